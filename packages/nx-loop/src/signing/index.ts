/** Component signatures in the tool-conventions `Signatures.md` format (wasmsign2-compatible). */
export { generateKeyPair, loadPublicKey, loadSecretKey, parsePublicKeyText, PublicKey, SecretKey, KEY_PREFIX } from './keys';
export { signWasm, verifyWasm, contentHashes, readSignatureData, describeKeys, SIGNING_CODES, type SignResult, type VerifyResult } from './sign';
export { signatureProblems, keyProblems, trustKeys, checkGraphSignatures, TRUST_CODES, type GraphCheck, type GraphForSignatures } from './trust';
export { decodeSignatureData, encodeSignatureData, SIGNATURE_SECTION, DELIMITER_SECTION, type SignatureData } from './format';
export { parseWasm, WasmFormatError } from './wasm';
export { verifyForPack, isSigned, type PackSignatureOptions } from './pack';
