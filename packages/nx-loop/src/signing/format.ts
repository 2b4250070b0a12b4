/**
 * The signature data of the WebAssembly tool-conventions `Signatures.md` (the format
 * wasmsign2 implements): the payload of the `signature` custom section, or a detached
 * signature file (the two are byte-for-byte the same).
 *
 *   spec_version(0x01) content_type(0x01) hash_fn(0x01 = SHA-256) signed_hashes_count
 *   signed_hashes* : bytes(hashes_count, hashes(32 each), signature_count, bytes(signature)*)
 *   signature      : key_id_len, key_id, alg_id(0x01 = Ed25519), signature_len, signature
 *
 * Each signature signs  "wasmsig" ‖ spec_version ‖ content_type ‖ hash_fn ‖ h1 ‖ … ‖ hn,
 * where hi is the rolling SHA-256 of the sections after the signature section up to and
 * including the i-th `signature_delimiter` (or the end of the module).
 */
import { encodeU32, readU32, WasmFormatError } from './wasm';

export const SIGNATURE_SECTION = 'signature';
export const DELIMITER_SECTION = 'signature_delimiter';
export const SPEC_VERSION = 0x01;
export const CONTENT_TYPE_WASM = 0x01;
export const HASH_SHA256 = 0x01;
export const ALG_ED25519 = 0x01;
export const DOMAIN = 'wasmsig';
/** Limits wasmsign2 enforces too; larger values are refused as malformed. */
export const MAX_HASHES = 64;
export const MAX_SIGNATURES = 256;

export interface SignatureEntry {
  /** Empty when the signer stored no key id. */
  keyId: Uint8Array;
  algorithm: number;
  signature: Uint8Array;
}

export interface SignedHashes {
  hashes: Uint8Array[];
  signatures: SignatureEntry[];
}

export interface SignatureData {
  specVersion: number;
  contentType: number;
  hashFunction: number;
  sets: SignedHashes[];
}

/** The message an Ed25519 signature covers for a set of hashes. */
export function signedMessage(hashes: Uint8Array[]): Uint8Array {
  const head = [...new TextEncoder().encode(DOMAIN), SPEC_VERSION, CONTENT_TYPE_WASM, HASH_SHA256];
  const out = new Uint8Array(head.length + hashes.length * 32);
  out.set(head);
  hashes.forEach((h, i) => out.set(h, head.length + i * 32));
  return out;
}

function bytesField(b: Uint8Array): number[] {
  return [...encodeU32(b.length), ...b];
}

export function encodeSignatureData(d: SignatureData): Uint8Array {
  const out: number[] = [d.specVersion, d.contentType, d.hashFunction, ...encodeU32(d.sets.length)];
  for (const set of d.sets) {
    const inner: number[] = [...encodeU32(set.hashes.length)];
    for (const h of set.hashes) inner.push(...h);
    inner.push(...encodeU32(set.signatures.length));
    for (const s of set.signatures) {
      inner.push(...bytesField(Uint8Array.from([...bytesField(s.keyId), s.algorithm, ...bytesField(s.signature)])));
    }
    out.push(...bytesField(Uint8Array.from(inner)));
  }
  return Uint8Array.from(out);
}

/** Parses signature data; throws WasmFormatError (offsets relative to the data) when malformed. */
export function decodeSignatureData(data: Uint8Array): SignatureData {
  const need = (at: number, n: number, what: string) => {
    if (at + n > data.length) throw new WasmFormatError(`signature data: ${what} at byte ${at} runs past the end (${data.length} bytes)`, at);
  };
  need(0, 3, 'header');
  const [specVersion, contentType, hashFunction] = data;
  if (specVersion !== SPEC_VERSION) throw new WasmFormatError(`signature data: unsupported specification version 0x${hex(specVersion)} (expected 0x01)`, 0);
  if (contentType !== CONTENT_TYPE_WASM) throw new WasmFormatError(`signature data: unsupported content type 0x${hex(contentType)} (expected 0x01, WebAssembly)`, 1);
  if (hashFunction !== HASH_SHA256) throw new WasmFormatError(`signature data: unsupported hash function 0x${hex(hashFunction)} (expected 0x01, SHA-256)`, 2);
  let [count, at] = readU32(data, 3, 'signature data: number of signed hash sets');
  if (count > MAX_HASHES) throw new WasmFormatError(`signature data: ${count} signed hash sets (at most ${MAX_HASHES})`, 3);
  const sets: SignedHashes[] = [];
  for (let i = 0; i < count; i++) {
    const [len, setAt] = readU32(data, at, `signature data: size of hash set #${i}`);
    need(setAt, len, `hash set #${i}`);
    const end = setAt + len;
    let p = setAt;
    let n: number;
    [n, p] = readU32(data, p, `signature data: hash count of set #${i}`);
    if (n > MAX_HASHES) throw new WasmFormatError(`signature data: set #${i} has ${n} hashes (at most ${MAX_HASHES})`, p);
    const hashes: Uint8Array[] = [];
    for (let h = 0; h < n; h++) {
      if (p + 32 > end) throw new WasmFormatError(`signature data: hash #${h} of set #${i} runs past its set`, p);
      hashes.push(data.slice(p, p + 32));
      p += 32;
    }
    [n, p] = readU32(data, p, `signature data: signature count of set #${i}`);
    if (n > MAX_SIGNATURES) throw new WasmFormatError(`signature data: set #${i} has ${n} signatures (at most ${MAX_SIGNATURES})`, p);
    const signatures: SignatureEntry[] = [];
    for (let s = 0; s < n; s++) {
      const [slen, sAt] = readU32(data, p, `signature data: size of signature #${s} of set #${i}`);
      if (sAt + slen > end) throw new WasmFormatError(`signature data: signature #${s} of set #${i} runs past its set`, sAt);
      const sEnd = sAt + slen;
      const [klen, kAt] = readU32(data, sAt, `signature data: key id length of signature #${s}`);
      if (kAt + klen + 1 > sEnd) throw new WasmFormatError(`signature data: key id of signature #${s} of set #${i} runs past the signature`, kAt);
      const keyId = data.slice(kAt, kAt + klen);
      const algorithm = data[kAt + klen];
      const [siglen, sigAt] = readU32(data, kAt + klen + 1, `signature data: length of signature #${s}`);
      if (sigAt + siglen !== sEnd) throw new WasmFormatError(`signature data: signature #${s} of set #${i} does not fill its record`, sigAt);
      signatures.push({ keyId, algorithm, signature: data.slice(sigAt, sEnd) });
      p = sEnd;
    }
    if (p !== end) throw new WasmFormatError(`signature data: ${end - p} unexpected bytes after the signatures of set #${i}`, p);
    sets.push({ hashes, signatures });
    at = end;
  }
  if (at !== data.length) throw new WasmFormatError(`signature data: ${data.length - at} unexpected bytes after the last hash set`, at);
  return { specVersion, contentType, hashFunction, sets };
}

export function hex(b: number | Uint8Array): string {
  return typeof b === 'number' ? b.toString(16).padStart(2, '0') : Buffer.from(b).toString('hex');
}
