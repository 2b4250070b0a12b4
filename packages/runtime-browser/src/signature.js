// @ts-check
/**
 * Component signatures in the browser host, with WebCrypto (Ed25519, SHA-256, HMAC): the
 * format of the WebAssembly tool-conventions `Signatures.md` that `loop sign` and wasmsign2
 * write (packages/nx-loop/src/signing/README.md). The same rules as the native host
 * (host-templates/wasmtime-rust/crates/loop-host/src/signature.rs):
 *
 * - the `signature` custom section must be the first section; each signature signs
 *   "wasmsig" ‖ 01 01 01 ‖ h1 ‖ … ‖ hn, where hi is the SHA-256 of the sections after the
 *   signature section up to the i-th `signature_delimiter` (or the end);
 * - a file is admitted when one signature by one of the keys is valid and its hashes equal the
 *   file's, part for part;
 * - key id = first 12 bytes of HMAC-SHA256(public key, "key_id").
 *
 * The browser runs jco's transpiled core modules, not the component: `embeddedModules` lists
 * the SHA-256 of every core module embedded in the verified component, and the host refuses a
 * core file that is not one of them.
 */

const KEY_PREFIX = 'ed25519:';
const SIGNATURE_SECTION = 'signature';
const DELIMITER_SECTION = 'signature_delimiter';
const MAX_HASHES = 64;
const MAX_SIGNATURES = 256;

/** A refusal reason: `kind` is "no signature" | "unknown key" | "tampered" | … */
export class SignatureFailure extends Error {
  /** @param {string} kind @param {string} detail */
  constructor(kind, detail) {
    super(`${kind}: ${detail}`);
    this.kind = kind;
    this.detail = detail;
  }
}

const subtle = () => globalThis.crypto.subtle;

/** @param {Uint8Array} b */
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** @param {Uint8Array} b @param {number} at @param {string} what @returns {[number, number]} */
function readU32(b, at, what) {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    if (at + i >= b.length) throw new Error(`${what} at byte ${at} runs past the end`);
    const x = b[at + i];
    if (i === 4 && x > 0x0f) throw new Error(`${what} at byte ${at} is not a valid 32-bit LEB128 number`);
    v += (x & 0x7f) * 2 ** (7 * i);
    if (!(x & 0x80)) return [v, at + i + 1];
  }
  throw new Error(`${what} at byte ${at} is not a valid 32-bit LEB128 number`);
}

/**
 * The top-level sections of a module or component.
 * @param {Uint8Array} b
 * @returns {{ kind: 'module' | 'component', sections: { id: number, start: number, end: number, name?: string, dataStart: number }[] }}
 */
export function sections(b) {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Error('it does not start with "\\0asm"');
  const v = hex(b.subarray(4, 8));
  const kind = v === '01000000' ? 'module' : v === '0d000100' ? 'component' : null;
  if (!kind) throw new Error(`unsupported WebAssembly version/layer ${v}`);
  const out = [];
  let at = 8;
  while (at < b.length) {
    const start = at;
    const id = b[at];
    const [size, payload] = readU32(b, at + 1, `the size of section #${out.length}`);
    const end = payload + size;
    if (end > b.length) throw new Error(`section #${out.length} (id ${id}) at byte ${start} claims ${size} bytes but only ${b.length - payload} remain (truncated file?)`);
    /** @type {{ id: number, start: number, end: number, name?: string, dataStart: number }} */
    const s = { id, start, end, dataStart: payload };
    if (id === 0) {
      const [len, nameAt] = readU32(b, payload, 'a custom section name length');
      if (nameAt + len > end) throw new Error(`custom section #${out.length} at byte ${start} has a name longer than the section`);
      s.name = new TextDecoder().decode(b.subarray(nameAt, nameAt + len));
      s.dataStart = nameAt + len;
    }
    out.push(s);
    at = end;
  }
  return { kind, sections: out };
}

/** @param {Uint8Array} d */
function decode(d) {
  if (d.length < 3) throw new Error('the header runs past the end');
  if (d[0] !== 1 || d[1] !== 1 || d[2] !== 1) throw new Error(`unsupported version/content type/hash function ${hex(d.subarray(0, 3))} (expected 010101)`);
  let [count, at] = readU32(d, 3, 'the number of signed hash sets');
  if (count > MAX_HASHES) throw new Error(`${count} signed hash sets (at most ${MAX_HASHES})`);
  const sets = [];
  for (let i = 0; i < count; i++) {
    const [len, setAt] = readU32(d, at, 'the size of a hash set');
    const end = setAt + len;
    if (end > d.length) throw new Error(`hash set #${i} runs past the end`);
    let [n, p] = readU32(d, setAt, 'a hash count');
    if (n > MAX_HASHES) throw new Error(`set #${i} has ${n} hashes (at most ${MAX_HASHES})`);
    const hashes = [];
    for (let h = 0; h < n; h++, p += 32) {
      if (p + 32 > end) throw new Error(`a hash of set #${i} runs past its set`);
      hashes.push(d.subarray(p, p + 32));
    }
    [n, p] = readU32(d, p, 'a signature count');
    if (n > MAX_SIGNATURES) throw new Error(`set #${i} has ${n} signatures (at most ${MAX_SIGNATURES})`);
    const signatures = [];
    for (let s = 0; s < n; s++) {
      const [slen, sAt] = readU32(d, p, "a signature's size");
      const sEnd = sAt + slen;
      if (sEnd > end) throw new Error(`signature #${s} of set #${i} runs past its set`);
      const [klen, kAt] = readU32(d, sAt, 'a key id length');
      if (kAt + klen + 1 > sEnd) throw new Error(`the key id of signature #${s} runs past the signature`);
      const alg = d[kAt + klen];
      const [siglen, sigAt] = readU32(d, kAt + klen + 1, 'a signature length');
      if (sigAt + siglen !== sEnd) throw new Error(`signature #${s} of set #${i} does not fill its record`);
      signatures.push({ keyId: d.subarray(kAt, kAt + klen), alg, signature: d.subarray(sigAt, sEnd) });
      p = sEnd;
    }
    if (p !== end) throw new Error(`${end - p} unexpected bytes after the signatures of set #${i}`);
    sets.push({ hashes, signatures });
    at = end;
  }
  if (at !== d.length) throw new Error(`${d.length - at} unexpected bytes after the last hash set`);
  return sets;
}

/** @param {string} s */
function base64(s) {
  const std = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * `ed25519:<base64>` → a verifying key with its key id.
 * @param {string} text
 */
export async function parseKey(text) {
  if (!text.startsWith(KEY_PREFIX)) throw new Error(`key '${text}' does not start with '${KEY_PREFIX}'`);
  let raw;
  try {
    raw = base64(text.slice(KEY_PREFIX.length));
  } catch {
    throw new Error(`key '${text}' is not base64`);
  }
  if (raw.length !== 32) throw new Error(`key '${text}' holds ${raw.length} bytes; an Ed25519 public key has 32`);
  const key = await subtle().importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  const mac = await subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const keyId = new Uint8Array(await subtle().sign('HMAC', mac, new TextEncoder().encode('key_id'))).subarray(0, 12);
  return { text, key, keyId };
}

/** @param {Uint8Array} a @param {Uint8Array} b */
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Verifies that `bytes` carries a whole-file signature by one of `keyTexts`. Resolves to the
 * key text that verified; rejects with a SignatureFailure.
 * @param {Uint8Array} bytes @param {string[]} keyTexts
 */
export async function verify(bytes, keyTexts) {
  let parsed;
  try {
    parsed = sections(bytes);
  } catch (e) {
    throw new SignatureFailure('not a valid WebAssembly binary', /** @type {Error} */ (e).message);
  }
  const { kind, sections: secs } = parsed;
  const first = secs[0];
  if (!first || first.id !== 0 || first.name !== SIGNATURE_SECTION) {
    const i = secs.findIndex((s) => s.id === 0 && s.name === SIGNATURE_SECTION);
    throw new SignatureFailure('no signature', i > 0 ? `the ${kind} carries a "signature" section as section #${i} instead of the first one` : `the ${kind} has no "signature" custom section (sign it with \`loop sign\`)`);
  }
  let sets;
  try {
    sets = decode(bytes.subarray(first.dataStart, first.end));
  } catch (e) {
    throw new SignatureFailure('malformed signature', `its "signature" section is malformed: ${/** @type {Error} */ (e).message}`);
  }
  const keys = [];
  for (const t of keyTexts) {
    try {
      keys.push(await parseKey(t));
    } catch {
      /* a bad key verifies nothing; graphs are checked by the resolver */
    }
  }
  // Rolling SHA-256: the content sections are contiguous, so hash i covers [contentStart, end of delimiter i].
  const content = secs.slice(1);
  const from = content.length ? content[0].start : bytes.length;
  const cuts = content.filter((s) => s.id === 0 && s.name === DELIMITER_SECTION).map((s) => s.end);
  if (!content.length || !(content[content.length - 1].id === 0 && content[content.length - 1].name === DELIMITER_SECTION)) cuts.push(bytes.length);
  const hashes = [];
  for (const end of cuts) hashes.push(new Uint8Array(await subtle().digest('SHA-256', bytes.subarray(from, end))));

  /** @type {{ key: { text: string }, hashes: Uint8Array[] }[]} */
  const valid = [];
  let idMatchedInvalid = null;
  const foreign = new Set();
  let total = 0;
  for (const set of sets) {
    const head = [...new TextEncoder().encode('wasmsig'), 1, 1, 1];
    const msg = new Uint8Array(head.length + set.hashes.length * 32);
    msg.set(head);
    set.hashes.forEach((h, i) => msg.set(h, head.length + i * 32));
    for (const sig of set.signatures) {
      total++;
      if (sig.alg !== 1) continue;
      let matched = false;
      for (const k of keys) {
        if (sig.keyId.length && !same(sig.keyId, k.keyId)) continue;
        matched = sig.keyId.length > 0;
        const ok = sig.signature.length === 64 && (await subtle().verify({ name: 'Ed25519' }, k.key, sig.signature, msg));
        if (ok) valid.push({ key: k, hashes: set.hashes });
        else if (matched) idMatchedInvalid ??= k;
      }
      if (!matched && sig.keyId.length) foreign.add(hex(sig.keyId));
    }
  }
  const sameHashes = (/** @type {Uint8Array[]} */ a) => a.length === hashes.length && a.every((h, i) => same(h, hashes[i]));
  const full = valid.find((v) => sameHashes(v.hashes));
  if (full) return full.key.text;
  if (valid.length) {
    const v = valid[0];
    if (v.hashes.length < hashes.length && v.hashes.every((h, i) => same(h, hashes[i]))) {
      throw new SignatureFailure('partial signature', `the signature by ${v.key.text} covers only the first ${v.hashes.length} of ${hashes.length} parts; sections were added after signing`);
    }
    throw new SignatureFailure(
      'tampered',
      `the signature by ${v.key.text} does not match the content: the ${kind} was modified after it was signed (signed hash ${hex(v.hashes[v.hashes.length - 1] ?? new Uint8Array()).slice(0, 16)}…, content hash ${hex(hashes[hashes.length - 1]).slice(0, 16)}…)`,
    );
  }
  if (idMatchedInvalid) throw new SignatureFailure('tampered', `the signature by ${idMatchedInvalid.text} is invalid: the signature data was modified after signing`);
  const wanted = keyTexts.join(', ');
  throw new SignatureFailure(
    'unknown key',
    total === 0
      ? `its "signature" section holds no signatures (wanted one by ${wanted})`
      : `none of its ${total} signature(s) is by ${wanted}${foreign.size ? ` (it is signed by key id ${[...foreign].sort().join(', ')})` : ''}`,
  );
}

/**
 * SHA-256 (hex) of every core module embedded in a component, nested components included.
 * @param {Uint8Array} bytes
 * @returns {Promise<Set<string>>}
 */
export async function embeddedModules(bytes) {
  const out = new Set();
  /** @param {Uint8Array} b */
  const walk = async (b) => {
    for (const s of sections(b).sections) {
      const body = b.subarray(s.dataStart, s.end);
      if (s.id === 1) out.add(hex(new Uint8Array(await subtle().digest('SHA-256', body))));
      else if (s.id === 4) await walk(body);
    }
  };
  await walk(bytes);
  return out;
}
