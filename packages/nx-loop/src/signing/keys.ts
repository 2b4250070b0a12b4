/**
 * Ed25519 keys for component signatures.
 *
 * Text form (manifest `[trust.<class>] keys`, `loop keygen` output): `ed25519:<base64 of the
 * 32-byte public key>` (standard or URL-safe base64).
 * Files `loop keygen` writes are the raw formats of `Signatures.md`, so wasmsign2 reads them
 * as they are: public key `0x01 ‖ pk(32)` (.pub), key pair `0x81 ‖ seed(32) ‖ pk(32)` (.key).
 * Also read: PEM (SPKI public / PKCS#8 private keys, as `openssl genpkey -algorithm ed25519`
 * writes them), a raw 32-byte public key, and a text file holding `ed25519:…`.
 *
 * Key id (stored with each signature, as wasmsign2 computes it): the first 12 bytes of
 * HMAC-SHA256(key = public key, message = "key_id").
 */
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../errors';

export const PUBLIC_KEY_TAG = 0x01;
export const KEY_PAIR_TAG = 0x81;
export const KEY_PREFIX = 'ed25519:';

export class PublicKey {
  readonly keyId: Uint8Array;
  private readonly object: KeyObject;
  constructor(
    /** The raw 32-byte Ed25519 public key. */
    readonly raw: Uint8Array,
    /** Where it came from, for messages (a file, a manifest field, or the key text itself). */
    readonly origin?: string,
  ) {
    if (raw.length !== 32) throw new RangeError('an Ed25519 public key has 32 bytes');
    this.keyId = Uint8Array.from(createHmac('sha256', Buffer.from(raw)).update('key_id').digest().subarray(0, 12));
    this.object = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
  }
  /** `ed25519:<base64>` */
  toString(): string {
    return KEY_PREFIX + Buffer.from(this.raw).toString('base64');
  }
  /** The wasmsign2 public key file: 0x01 ‖ pk. */
  toFileBytes(): Uint8Array {
    return Uint8Array.of(PUBLIC_KEY_TAG, ...this.raw);
  }
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 64) return false;
    return edVerify(null, message, this.object, signature);
  }
  equals(other: PublicKey): boolean {
    return Buffer.from(this.raw).equals(Buffer.from(other.raw));
  }
}

export class SecretKey {
  readonly publicKey: PublicKey;
  private readonly object: KeyObject;
  constructor(
    /** The 32-byte Ed25519 seed. */
    private readonly seed: Uint8Array,
    origin?: string,
  ) {
    this.object = createPrivateKey({ key: pkcs8(seed), format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(this.object).export({ format: 'jwk' }) as { x: string };
    this.publicKey = new PublicKey(Uint8Array.from(Buffer.from(jwk.x, 'base64url')), origin);
  }
  sign(message: Uint8Array): Uint8Array {
    return Uint8Array.from(edSign(null, message, this.object));
  }
  /** The wasmsign2 key pair file: 0x81 ‖ seed ‖ pk. */
  toFileBytes(): Uint8Array {
    return Uint8Array.of(KEY_PAIR_TAG, ...this.seed, ...this.publicKey.raw);
  }
}

/** PKCS#8 DER of an Ed25519 seed (RFC 8410). */
function pkcs8(seed: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]);
}

export function generateKeyPair(): SecretKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string };
  return new SecretKey(Uint8Array.from(Buffer.from(jwk.d, 'base64url')));
}

const keyError = (message: string, hint: string, field?: string) => new LoopError({ code: 'LOOP501', message, hint, ...(field ? { field } : {}) });

const PUBLIC_HINT = 'give `ed25519:<base64>` (as `loop keygen` prints it) or a public key file (`loop keygen` .pub, wasmsign2 or PEM)';

/** Parses `ed25519:<base64>`; `where` names the source in errors (a field or an option). */
export function parsePublicKeyText(text: string, where = '--key'): PublicKey {
  const t = text.trim();
  if (!t.startsWith(KEY_PREFIX)) throw keyError(`${where}: "${clip(t)}" is not a public key`, PUBLIC_HINT);
  const b64 = t.slice(KEY_PREFIX.length);
  const raw = /^[A-Za-z0-9+/_-]+={0,2}$/.test(b64) ? Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64') : Buffer.alloc(0);
  if (raw.length === 33 && raw[0] === PUBLIC_KEY_TAG) return new PublicKey(Uint8Array.from(raw.subarray(1)), where);
  if (raw.length !== 32) throw keyError(`${where}: "${clip(t)}" does not hold a 32-byte Ed25519 public key (${raw.length} bytes after base64 decoding)`, PUBLIC_HINT);
  return new PublicKey(Uint8Array.from(raw), where);
}

/** A public key given on the command line: `ed25519:…` or the path of a key file. */
export function loadPublicKey(spec: string, cwd: string): PublicKey {
  if (spec.startsWith(KEY_PREFIX)) return parsePublicKeyText(spec);
  const bytes = readKeyFile(spec, cwd, 'public key');
  const text = asText(bytes);
  if (bytes.length === 33 && bytes[0] === PUBLIC_KEY_TAG) return new PublicKey(Uint8Array.from(bytes.subarray(1)), spec);
  if (bytes.length === 65 && bytes[0] === KEY_PAIR_TAG) {
    throw keyError(`${spec} is a secret key; verification takes the public key`, 'use the .pub file `loop keygen` wrote next to it, or the `ed25519:…` line it printed');
  }
  if (bytes.length === 32 && text === undefined) return new PublicKey(Uint8Array.from(bytes), spec);
  if (text?.trim().startsWith(KEY_PREFIX)) return parsePublicKeyText(text, spec);
  if (text?.includes('-----BEGIN PUBLIC KEY-----')) {
    try {
      const jwk = createPublicKey(text).export({ format: 'jwk' }) as { crv?: string; x?: string };
      if (jwk.crv === 'Ed25519' && jwk.x) return new PublicKey(Uint8Array.from(Buffer.from(jwk.x, 'base64url')), spec);
    } catch {
      /* reported below */
    }
    throw keyError(`${spec} is a PEM public key but not an Ed25519 one`, 'signatures use Ed25519 keys: create one with `loop keygen`');
  }
  if (text?.includes('PRIVATE KEY')) throw keyError(`${spec} is a secret key; verification takes the public key`, 'give the matching public key file or its `ed25519:…` form');
  throw keyError(`${spec} is not a public key file (${bytes.length} bytes in no known format)`, PUBLIC_HINT);
}

/** A secret key file: the wasmsign2/`loop keygen` key pair, or PEM PKCS#8. */
export function loadSecretKey(spec: string, cwd: string): SecretKey {
  const bytes = readKeyFile(spec, cwd, 'secret key');
  const text = asText(bytes);
  if (bytes.length === 65 && bytes[0] === KEY_PAIR_TAG) {
    const key = new SecretKey(Uint8Array.from(bytes.subarray(1, 33)), spec);
    if (!Buffer.from(bytes.subarray(33)).equals(Buffer.from(key.publicKey.raw))) {
      throw keyError(`${spec}: the public half of the key pair does not belong to its secret half (damaged key file)`, 'create a new key pair with `loop keygen`');
    }
    return key;
  }
  if (bytes.length === 33 && bytes[0] === PUBLIC_KEY_TAG) {
    throw keyError(`${spec} is a public key; signing takes the secret key`, 'use the .key file `loop keygen` wrote next to it');
  }
  if (text?.includes('-----BEGIN PRIVATE KEY-----')) {
    let jwk: { crv?: string; d?: string } = {};
    try {
      jwk = createPrivateKey(text).export({ format: 'jwk' }) as typeof jwk;
    } catch {
      /* reported below */
    }
    if (jwk.crv === 'Ed25519' && jwk.d) return new SecretKey(Uint8Array.from(Buffer.from(jwk.d, 'base64url')), spec);
    throw keyError(`${spec} is a PEM private key but not an Ed25519 one`, 'signatures use Ed25519 keys: create one with `loop keygen`');
  }
  if (text?.trim().startsWith(KEY_PREFIX) || text?.includes('PUBLIC KEY')) {
    throw keyError(`${spec} is a public key; signing takes the secret key`, 'use the .key file `loop keygen` wrote');
  }
  throw keyError(`${spec} is not a secret key file (${bytes.length} bytes in no known format)`, 'create a key pair with `loop keygen` (or `wasmsign2 keygen`) and pass its secret key file');
}

function readKeyFile(spec: string, cwd: string, what: string): Uint8Array {
  const file = path.resolve(cwd, spec);
  try {
    return Uint8Array.from(fs.readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw keyError(
      `cannot read ${what} ${spec}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`,
      what === 'public key' ? PUBLIC_HINT : 'pass the secret key file `loop keygen` wrote (e.g. --key loop-signing.key)',
    );
  }
}

/** The bytes as text when they are printable UTF-8, else undefined. */
function asText(bytes: Uint8Array): string | undefined {
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}
