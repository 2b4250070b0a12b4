/**
 * The browser host's signature check (src/signature.js, WebCrypto) against signatures made by
 * `loop sign` (packages/nx-loop/src/signing): the same verdicts as the Node and native
 * verifiers. Runs on Node's WebCrypto here; the adversarial suite runs it in Chromium.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, type SecretKey } from '../../nx-loop/src/signing/keys';
import { signWasm } from '../../nx-loop/src/signing/sign';
import { ADDER_WAT, embeddedCodeSections, encode } from '../../nx-loop/src/signing/__fixtures__/components';
import { transpileForWeb } from '../../nx-loop/src/pack-web/transpile';
import { embeddedModules, parseKey, SignatureFailure, verify } from '../src/signature.js';

let alice: SecretKey;
let adder: Uint8Array;
let signed: Uint8Array;

beforeAll(async () => {
  alice = generateKeyPair();
  adder = await encode(ADDER_WAT);
  signed = signWasm(adder, alice, { file: 'adder.wasm' }).bytes;
});

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SignatureFailure);
    return e as SignatureFailure;
  }
  throw new Error('expected a SignatureFailure');
};

describe('browser signature check', () => {
  test('key ids match the Node implementation (HMAC-SHA256 of "key_id")', async () => {
    const k = await parseKey(alice.publicKey.toString());
    expect(Buffer.from(k.keyId).equals(Buffer.from(alice.publicKey.keyId))).toBe(true);
    await expect(parseKey('ed25519:AAAA')).rejects.toThrow(/3 bytes/);
  });

  test('a component signed by `loop sign` verifies; unsigned, unknown key, tampered and truncated are refused', async () => {
    expect(await verify(signed, [alice.publicKey.toString()])).toBe(alice.publicKey.toString());
    expect((await failure(verify(adder, [alice.publicKey.toString()]))).kind).toBe('no signature');
    const bob = generateKeyPair();
    const unknown = await failure(verify(signed, [bob.publicKey.toString()]));
    expect(unknown.kind).toBe('unknown key');
    expect(unknown.message).toContain(`none of its 1 signature(s) is by ${bob.publicKey}`);
    const t = Buffer.from(signed);
    t[embeddedCodeSections(t)[0].start + 3] ^= 0x01;
    const tampered = await failure(verify(t, [alice.publicKey.toString()]));
    expect(tampered.kind).toBe('tampered');
    expect(tampered.message).toContain(`the signature by ${alice.publicKey} does not match the content`);
    expect((await failure(verify(signed.subarray(0, signed.length - 5), [alice.publicKey.toString()]))).kind).toBe('not a valid WebAssembly binary');
  });

  test("the core modules jco writes are byte for byte the component's embedded modules", async () => {
    const t = await transpileForWeb(signed, 'adder', 'adder.wasm');
    const cores = Object.entries(t.files).filter(([f]) => f.endsWith('.wasm'));
    expect(cores.length).toBeGreaterThan(0);
    const embedded = await embeddedModules(signed);
    for (const [, bytes] of cores) expect(embedded.has(createHash('sha256').update(bytes).digest('hex'))).toBe(true);
  });

  test('the example greeter, signed, verifies and lists its jco core modules', async () => {
    const file = path.resolve(__dirname, '../../../examples/components/greeter-rust/dist/greeter.wasm');
    if (!fs.existsSync(file)) return; // built by the main job; the adversarial suite requires it
    const bytes = signWasm(fs.readFileSync(file), alice, { file }).bytes;
    expect(await verify(bytes, [alice.publicKey.toString()])).toBe(alice.publicKey.toString());
    const t = await transpileForWeb(bytes, 'greeter', file);
    const embedded = await embeddedModules(bytes);
    for (const [f, b] of Object.entries(t.files)) if (f.endsWith('.wasm')) expect(embedded.has(createHash('sha256').update(b).digest('hex'))).toBe(true);
  });
});
