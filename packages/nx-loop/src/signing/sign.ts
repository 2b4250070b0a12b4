/**
 * Signing and verifying components (and core modules) in the tool-conventions
 * `Signatures.md` format, embedded as the first custom section `signature` or detached.
 *
 * What a signature covers: every byte of every section after the `signature` section —
 * for a component that includes its embedded core modules (code sections and all) and
 * nested components. Verification is whole-file: a valid Ed25519 signature by a given key
 * over hashes that equal the file's own hashes, part for part.
 */
import { createHash, type Hash } from 'node:crypto';
import { LoopError, type Diagnostic } from '../errors';
import {
  ALG_ED25519,
  CONTENT_TYPE_WASM,
  decodeSignatureData,
  DELIMITER_SECTION,
  encodeSignatureData,
  HASH_SHA256,
  hex,
  signedMessage,
  SIGNATURE_SECTION,
  SPEC_VERSION,
  type SignatureData,
  type SignedHashes,
} from './format';
import type { PublicKey, SecretKey } from './keys';
import { customSection, parseWasm, WasmFormatError, type Section, type WasmBinary } from './wasm';

/** Error codes of signing (README's error table). */
export const SIGNING_CODES = {
  key: 'LOOP501',
  notWasm: 'LOOP502',
  unsigned: 'LOOP503',
  badSignatureData: 'LOOP504',
  otherKeys: 'LOOP505',
  tampered: 'LOOP506',
  partial: 'LOOP507',
} as const;

export interface SignResult {
  /** The signed file (embedded signature), or the input unchanged (detached). */
  bytes: Uint8Array;
  /** The signature data: the `signature` section's payload, or the detached signature file. */
  signature: Uint8Array;
  kind: WasmBinary['kind'];
  /** Signatures by other keys that were kept (multi-signer), and stale ones that were dropped. */
  kept: number;
  dropped: number;
}

export interface VerifyResult {
  key: PublicKey;
  kind: WasmBinary['kind'];
  /** Signatures in the file by keys other than the one that matched. */
  others: number;
}

const fail = (d: Diagnostic): never => {
  throw new LoopError(d);
};

function parse(bytes: Uint8Array, file: string, forKeys?: string): WasmBinary {
  try {
    return parseWasm(bytes);
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    const text = /^\s*(\(|;;)/.test(Buffer.from(bytes.subarray(0, 64)).toString('latin1'));
    return fail({
      code: SIGNING_CODES.notWasm,
      file,
      message: (text ? 'is a WebAssembly text (.wat) file; only binary components can carry a signature' : `is not a valid WebAssembly binary: ${e.message}`) + (forKeys ? ` (cannot verify it for ${forKeys})` : ''),
      hint: text ? 'encode it first, e.g. `jco parse x.wat -o x.wasm` or `wasm-tools parse`, then sign the .wasm' : 'sign the component a build produced (e.g. dist/<name>.wasm)',
    });
  }
}

const isSignature = (s: Section) => s.id === 0 && s.name === SIGNATURE_SECTION;
const isDelimiter = (s: Section) => s.id === 0 && s.name === DELIMITER_SECTION;

/** Rolling SHA-256 over the content sections: one hash per delimiter, plus one for a tail after the last. */
export function contentHashes(bin: WasmBinary, content: Section[]): Uint8Array[] {
  const h: Hash = createHash('sha256');
  const hashes: Uint8Array[] = [];
  let lastWasDelimiter = false;
  for (const s of content) {
    h.update(bin.bytes.subarray(s.start, s.end));
    lastWasDelimiter = isDelimiter(s);
    if (lastWasDelimiter) hashes.push(Uint8Array.from(h.copy().digest()));
  }
  if (!lastWasDelimiter) hashes.push(Uint8Array.from(h.digest()));
  return hashes;
}

const sameHashes = (a: Uint8Array[], b: Uint8Array[]) => a.length === b.length && a.every((h, i) => Buffer.from(h).equals(Buffer.from(b[i])));
const isPrefix = (a: Uint8Array[], b: Uint8Array[]) => a.length < b.length && a.every((h, i) => Buffer.from(h).equals(Buffer.from(b[i])));

/**
 * Signs a component or module. An existing embedded signature's sets stay when they still
 * match the content (other signers, partial signatures); stale ones are dropped.
 */
export function signWasm(bytes: Uint8Array, key: SecretKey, opts: { file: string; detached?: boolean }): SignResult {
  const bin = parse(bytes, opts.file);
  const first = bin.sections[0];
  let previous: SignatureData | undefined;
  if (first && isSignature(first)) {
    try {
      previous = decodeSignatureData(bytes.subarray(first.dataStart, first.end));
    } catch {
      previous = undefined; // an unreadable old signature is replaced
    }
  }
  // Signature sections anywhere but first are not valid placements; like wasmsign2, drop them.
  const content = bin.sections.filter((s) => !isSignature(s));
  const hashes = contentHashes(bin, content);
  const entry = { keyId: key.publicKey.keyId, algorithm: ALG_ED25519, signature: key.sign(signedMessage(hashes)) };

  const sets: SignedHashes[] = [];
  let dropped = 0;
  let kept = 0;
  for (const set of previous?.sets ?? []) {
    if (sameHashes(set.hashes, hashes) || isPrefix(set.hashes, hashes)) {
      const others = set.signatures.filter((s) => !Buffer.from(s.keyId).equals(Buffer.from(entry.keyId)));
      kept += others.length;
      dropped += set.signatures.length - others.length;
      sets.push({ hashes: set.hashes, signatures: others });
    } else {
      dropped += set.signatures.length;
    }
  }
  const same = sets.find((s) => sameHashes(s.hashes, hashes));
  if (same) same.signatures.push(entry);
  else sets.push({ hashes, signatures: [entry] });
  const data = encodeSignatureData({
    specVersion: SPEC_VERSION,
    contentType: CONTENT_TYPE_WASM,
    hashFunction: HASH_SHA256,
    sets: sets.filter((s) => s.signatures.length),
  });
  if (opts.detached) return { bytes, signature: data, kind: bin.kind, kept, dropped };

  const parts: Uint8Array[] = [bytes.subarray(0, 8), customSection(SIGNATURE_SECTION, data), ...content.map((s) => bytes.subarray(s.start, s.end))];
  return { bytes: Buffer.concat(parts), signature: data, kind: bin.kind, kept, dropped };
}

/**
 * Verifies that `bytes` carries a whole-file signature by one of `keys` (embedded, or the
 * detached signature data given). Throws a LoopError naming the file and the key(s).
 */
export function verifyWasm(bytes: Uint8Array, keys: PublicKey[], opts: { file: string; detached?: Uint8Array; detachedFile?: string }): VerifyResult {
  const file = opts.file;
  if (!keys.length) fail({ code: SIGNING_CODES.key, file, message: 'no public key to verify the signature with', hint: 'pass --key ed25519:<base64> or --keys-from <app.loop.toml>' });
  const keyList = describeKeys(keys);
  const bin = parse(bytes, file, keyList);
  const first = bin.sections[0];
  let dataBytes: Uint8Array;
  let content: Section[];
  if (opts.detached) {
    dataBytes = opts.detached;
    content = first && isSignature(first) ? bin.sections.slice(1) : bin.sections;
  } else {
    const misplaced = bin.sections.findIndex((s, i) => i > 0 && isSignature(s));
    if (!first || !isSignature(first)) {
      return fail({
        code: SIGNING_CODES.unsigned,
        file,
        message:
          misplaced > 0
            ? `carries a "signature" section, but as section #${misplaced} instead of the first one, so it is not a valid signature (checked for ${keyList})`
            : `is not signed (no "signature" custom section; checked for ${keyList})`,
        hint: `sign it: \`loop sign ${file} --key <secret key>\`${misplaced > 0 ? '' : ', or pass a detached signature with --detached <file>'}`,
      });
    }
    dataBytes = bytes.subarray(first.dataStart, first.end);
    content = bin.sections.slice(1);
  }
  const where = opts.detached ? `detached signature ${opts.detachedFile ?? ''}`.trim() : 'its "signature" section';
  let data: SignatureData;
  try {
    data = decodeSignatureData(dataBytes);
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    return fail({
      code: SIGNING_CODES.badSignatureData,
      file,
      message: `${where} is malformed (${e.message}); cannot verify it for ${keyList}`,
      hint: `re-sign it: \`loop sign ${file} --key <secret key>\``,
    });
  }

  const hashes = contentHashes(bin, content);
  const valid: { key: PublicKey; set: SignedHashes }[] = [];
  const idMatchedButInvalid: PublicKey[] = [];
  const foreignIds = new Set<string>();
  let total = 0;
  for (const set of data.sets) {
    const msg = signedMessage(set.hashes);
    for (const sig of set.signatures) {
      total++;
      if (sig.algorithm !== ALG_ED25519) continue;
      let matchedId = false;
      for (const key of keys) {
        if (sig.keyId.length && !Buffer.from(sig.keyId).equals(Buffer.from(key.keyId))) continue;
        matchedId = sig.keyId.length > 0;
        if (key.verify(msg, sig.signature)) valid.push({ key, set });
        else if (matchedId) idMatchedButInvalid.push(key);
      }
      if (!matchedId && sig.keyId.length) foreignIds.add(hex(sig.keyId));
    }
  }
  const full = valid.find((v) => sameHashes(v.set.hashes, hashes));
  if (full) {
    return { key: full.key, kind: bin.kind, others: total - valid.filter((v) => v.key === full.key).length };
  }
  if (valid.length) {
    const v = valid[0];
    if (isPrefix(v.set.hashes, hashes)) {
      return fail({
        code: SIGNING_CODES.partial,
        file,
        message: `the signature by ${v.key} covers only the first ${v.set.hashes.length} of ${hashes.length} parts (a partial signature); sections were added after signing`,
        hint: `sign the whole component again: \`loop sign ${file} --key <secret key>\``,
      });
    }
    return fail({
      code: SIGNING_CODES.tampered,
      file,
      message: `signature by ${v.key} does not match the content: the ${bin.kind} was modified after it was signed (signed hash ${hex(v.set.hashes[v.set.hashes.length - 1]).slice(0, 16)}…, content hash ${hex(hashes[hashes.length - 1]).slice(0, 16)}…)`,
      hint: `do not use this file; rebuild the ${bin.kind} and sign it again: \`loop sign ${file} --key <secret key>\``,
    });
  }
  if (idMatchedButInvalid.length) {
    return fail({
      code: SIGNING_CODES.tampered,
      file,
      message: `the signature by ${idMatchedButInvalid[0]} in ${where} is invalid: the signature data was modified after signing`,
      hint: `do not use this file; sign the ${bin.kind} again: \`loop sign ${file} --key <secret key>\``,
    });
  }
  return fail({
    code: SIGNING_CODES.otherKeys,
    file,
    message:
      total === 0
        ? `${where} holds no signatures (checked for ${keyList})`
        : `is not signed by ${keyList}: none of its ${total} signature(s) verifies with ${keys.length > 1 ? 'these keys' : 'this key'}${foreignIds.size ? ` (it is signed by key id ${[...foreignIds].join(', ')})` : ''}`,
    hint: `check the key (\`loop keygen\` printed it), or sign it with the matching secret key: \`loop sign ${file} --key <secret key>\``,
  });
}

export function describeKeys(keys: PublicKey[]): string {
  if (keys.length === 1) return `key ${keys[0]}`;
  if (keys.length <= 3) return `keys ${keys.join(', ')}`;
  return `any of ${keys.length} keys (${keys.slice(0, 2).join(', ')}, …)`;
}

/** The signature data of a file, for `loop verify --show`-style listings and tests. */
export function readSignatureData(bytes: Uint8Array, file: string): SignatureData | undefined {
  const bin = parse(bytes, file);
  const first = bin.sections[0];
  return first && isSignature(first) ? decodeSignatureData(bytes.subarray(first.dataStart, first.end)) : undefined;
}
