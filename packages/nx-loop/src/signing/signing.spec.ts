// loop keygen / sign / verify on real components (encoded from WAT by jco/wasm-tools):
// formats, embedded and detached signatures, several signers, and every kind of bad input.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { isLoopError, LoopError } from '../errors';
import { ADDER_WAT, CORE_WAT, embeddedCodeSections, encode, tmpDir } from './__fixtures__/components';
import { decodeSignatureData, encodeSignatureData } from './format';
import { generateKeyPair, loadPublicKey, loadSecretKey, parsePublicKeyText } from './keys';
import { readSignatureData, signWasm, verifyWasm } from './sign';
import { customSection, parseWasm } from './wasm';

const repo = path.resolve(__dirname, '../../../..');
const dir = tmpDir();
let adder: Uint8Array;
let core: Uint8Array;

async function loop(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const write = (name: string, bytes: Uint8Array) => (fs.writeFileSync(path.join(dir, name), bytes), name);
const read = (name: string) => Uint8Array.from(fs.readFileSync(path.join(dir, name)));

function caught(f: () => unknown): LoopError {
  try {
    f();
  } catch (e) {
    if (isLoopError(e)) return e;
    throw e;
  }
  throw new Error('expected a LoopError');
}

beforeAll(async () => {
  adder = await encode(ADDER_WAT);
  core = await encode(CORE_WAT);
  write('adder.wasm', adder);
  write('core.wasm', core);
  fs.writeFileSync(path.join(dir, 'adder.wat'), ADDER_WAT);
});

describe('loop keygen', () => {
  it('writes the Signatures.md key formats and prints ed25519:<base64> on stdout only', async () => {
    const r = await loop('keygen', '--out', 'keys/alice');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ed25519:[A-Za-z0-9+/]{43}=$/);
    expect(r.err).toContain('keys/alice.key (secret key: keep it private)');
    const sk = read('keys/alice.key');
    const pk = read('keys/alice.pub');
    expect(sk.length).toBe(65);
    expect(sk[0]).toBe(0x81);
    expect(pk.length).toBe(33);
    expect(pk[0]).toBe(0x01);
    expect(Buffer.from(sk.subarray(33)).equals(Buffer.from(pk.subarray(1)))).toBe(true);
    expect(fs.statSync(path.join(dir, 'keys/alice.key')).mode & 0o777).toBe(0o600);
    expect(loadPublicKey('keys/alice.pub', dir).toString()).toBe(r.out);
    expect(parsePublicKeyText(r.out).toString()).toBe(r.out);
  });

  it('refuses to overwrite a key unless --force', async () => {
    await loop('keygen', '--out', 'keys/bob');
    const before = read('keys/bob.key');
    const r = await loop('keygen', '--out', 'keys/bob');
    expect(r.code).toBe(1);
    expect(r.err).toContain('keys/bob.key: error[LOOP508] already exists; not overwriting a key');
    expect(read('keys/bob.key')).toEqual(before);
    expect((await loop('keygen', '--out', 'keys/bob', '--force')).code).toBe(0);
    expect(read('keys/bob.key')).not.toEqual(before);
  });
});

describe('loop sign / loop verify', () => {
  let alice: string;
  beforeAll(async () => {
    alice = (await loop('keygen', '--out', 'k/alice')).out;
    await loop('keygen', '--out', 'k/mallory');
  });

  it('embeds the signature as the first custom section and verifies it', async () => {
    write('a.wasm', adder);
    const s = await loop('sign', 'a.wasm', '--key', 'k/alice.key');
    expect(s).toMatchObject({ code: 0, out: `signed a.wasm (component) with ${alice}` });
    const signed = read('a.wasm');
    const bin = parseWasm(signed);
    expect(bin.kind).toBe('component');
    expect(bin.sections[0]).toMatchObject({ id: 0, name: 'signature' });
    // The rest of the file is the original component, byte for byte.
    expect(Buffer.from(signed.subarray(bin.sections[1].start)).equals(Buffer.from(adder.subarray(8)))).toBe(true);
    const data = readSignatureData(signed, 'a.wasm')!;
    expect(data).toMatchObject({ specVersion: 1, contentType: 1, hashFunction: 1 });
    expect(data.sets).toHaveLength(1);
    expect(data.sets[0].hashes).toHaveLength(1);
    expect(data.sets[0].signatures[0]).toMatchObject({ algorithm: 1 });
    expect(data.sets[0].signatures[0].keyId).toHaveLength(12);
    expect(data.sets[0].signatures[0].signature).toHaveLength(64);
    for (const key of [alice, 'k/alice.pub']) {
      expect(await loop('verify', 'a.wasm', '--key', key)).toMatchObject({ code: 0, out: `a.wasm: valid signature by ${alice}` });
    }
  });

  it('signs to --out and leaves the input alone', async () => {
    write('b.wasm', adder);
    expect((await loop('sign', 'b.wasm', '--key', 'k/alice.key', '--out', 'out/b.signed.wasm')).code).toBe(0);
    expect(read('b.wasm')).toEqual(adder);
    expect((await loop('verify', 'out/b.signed.wasm', '--key', alice)).code).toBe(0);
  });

  it('signs core modules too', async () => {
    write('core-signed.wasm', core);
    expect((await loop('sign', 'core-signed.wasm', '--key', 'k/alice.key')).out).toContain('(module)');
    expect((await loop('verify', 'core-signed.wasm', '--key', alice)).code).toBe(0);
  });

  it('writes and verifies detached signatures without touching the component', async () => {
    write('d.wasm', adder);
    const r = await loop('sign', 'd.wasm', '--key', 'k/alice.key', '--detached', 'd.sig');
    expect(r.out).toBe(`wrote detached signature d.sig for d.wasm (signed by ${alice})`);
    expect(read('d.wasm')).toEqual(adder);
    // A detached signature is the payload a `signature` section would hold.
    const embedded = signWasm(adder, loadSecretKey('k/alice.key', dir), { file: 'x' });
    expect(read('d.sig')).toEqual(embedded.signature);
    expect(await loop('verify', 'd.wasm', '--key', alice, '--detached', 'd.sig')).toMatchObject({ code: 0, out: `d.wasm: valid detached signature by ${alice}` });
    const unsigned = await loop('verify', 'd.wasm', '--key', alice);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain(`d.wasm: error[LOOP503] is not signed (no "signature" custom section; checked for key ${alice})`);
    const missing = await loop('verify', 'd.wasm', '--key', alice, '--detached', 'nope.sig');
    expect(missing.err).toContain('nope.sig: error[LOOP504] cannot read the detached signature: no such file');
  });

  it('keeps other signers: a component signed by two keys verifies with each', async () => {
    write('two.wasm', adder);
    await loop('sign', 'two.wasm', '--key', 'k/alice.key');
    const r = await loop('sign', 'two.wasm', '--key', 'k/mallory.key');
    expect(r.out).toContain('kept 1 signature(s) by other keys');
    expect((await loop('verify', 'two.wasm', '--key', 'k/alice.pub')).code).toBe(0);
    expect((await loop('verify', 'two.wasm', '--key', 'k/mallory.pub')).code).toBe(0);
    const data = readSignatureData(read('two.wasm'), 'two.wasm')!;
    expect(data.sets).toHaveLength(1);
    expect(data.sets[0].signatures).toHaveLength(2);
    // Signing again with the same key replaces its signature instead of stacking copies.
    await loop('sign', 'two.wasm', '--key', 'k/alice.key');
    expect(readSignatureData(read('two.wasm'), 'two.wasm')!.sets[0].signatures).toHaveLength(2);
  });

  it('drops signatures that no longer match when a changed component is signed again', async () => {
    const signed = signWasm(adder, loadSecretKey('k/mallory.key', dir), { file: 'x' }).bytes;
    const changed = Buffer.concat([signed, customSection('note', Buffer.from('appended later'))]);
    write('changed.wasm', changed);
    const r = await loop('sign', 'changed.wasm', '--key', 'k/alice.key');
    expect(r.out).toContain('dropped 1 old signature(s) that no longer matched');
    expect((await loop('verify', 'changed.wasm', '--key', 'k/mallory.pub')).err).toContain('error[LOOP505]');
  });

  it('reads PEM keys (openssl genpkey -algorithm ed25519 format)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(path.join(dir, 'pem.key'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
    fs.writeFileSync(path.join(dir, 'pem.pub'), publicKey.export({ format: 'pem', type: 'spki' }));
    write('pem.wasm', adder);
    expect((await loop('sign', 'pem.wasm', '--key', 'pem.key')).code).toBe(0);
    expect((await loop('verify', 'pem.wasm', '--key', 'pem.pub')).code).toBe(0);
  });

  it('verifies against the keys of an app manifest and names the trust class', async () => {
    const mallory = loadPublicKey('k/mallory.pub', dir).toString();
    fs.writeFileSync(
      path.join(dir, 'app.loop.toml'),
      `[app]\nname = "x"\nentry = "a"\n[components.a]\nsource = "a.wasm"\n` +
        `[trust.trusted]\nallow = ["*"]\nkeys = ["${alice}"]\n[trust.partner]\nallow = ["loop:log"]\nkeys = ["${mallory}", "${alice}"]\n`,
    );
    expect((await loop('verify', 'a.wasm', '--keys-from', 'app.loop.toml')).out).toBe(`a.wasm: valid signature by ${alice} (trust class "trusted", "partner")`);
    expect((await loop('verify', 'a.wasm', '--keys-from', '.', '--class', 'partner')).code).toBe(0);
    const wrongClass = await loop('verify', 'a.wasm', '--keys-from', '.', '--class', 'untrusted');
    expect(wrongClass.err).toContain('error[LOOP203] --class: the manifest has no trust class "untrusted"');
    fs.writeFileSync(path.join(dir, 'nokeys.toml'), `[app]\nname = "x"\nentry = "a"\n[components.a]\nsource = "a.wasm"\n[trust.trusted]\nallow = ["*"]\n`);
    expect((await loop('verify', 'a.wasm', '--keys-from', 'nokeys.toml')).err).toContain('nokeys.toml: error[LOOP509] trust: no trust class lists any keys');
  });
});

describe('tampering and bad input', () => {
  let alice: string;
  let signed: Uint8Array;
  beforeAll(async () => {
    alice = (await loop('keygen', '--out', 't/alice')).out;
    write('t.wasm', adder);
    await loop('sign', 't.wasm', '--key', 't/alice.key');
    signed = read('t.wasm');
  });

  it('refuses a component whose embedded core module code section changed by one byte', async () => {
    const code = embeddedCodeSections(signed);
    expect(code.length).toBeGreaterThan(0);
    // i32.add (0x6a) → i32.sub (0x6b) in the core module's code: still a valid component.
    const at = signed.indexOf(0x6a, code[0].start);
    expect(at).toBeLessThan(code[0].end);
    const t = Uint8Array.from(signed);
    t[at] = 0x6b;
    write('tampered.wasm', t);
    const r = await loop('verify', 'tampered.wasm', '--key', alice);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^tampered\\.wasm: error\\[LOOP506\\] signature by ${alice.replace(/[+/]/g, '\\$&')} does not match the content: the component was modified after it was signed`),
    );
    expect(r.err).toContain('hint: do not use this file; rebuild the component and sign it again: `loop sign tampered.wasm --key <secret key>`');
  });

  it('refuses every single-byte change anywhere in the signed file, naming the file and the key', () => {
    const key = loadPublicKey(alice, dir);
    const seen = new Set<string>();
    for (let i = 8; i < signed.length; i++) {
      const t = Uint8Array.from(signed);
      t[i] ^= 0x01;
      const e = caught(() => verifyWasm(t, [key], { file: 'flip.wasm' }));
      const d = e.diagnostics[0];
      expect(d.file).toBe('flip.wasm');
      expect(d.message).toContain(alice);
      seen.add(d.code);
    }
    // Payload bytes give LOOP506, broken sizes LOOP502, a damaged signature section LOOP504/505/506.
    expect(seen.has('LOOP506')).toBe(true);
    expect([...seen].every((c) => ['LOOP502', 'LOOP503', 'LOOP504', 'LOOP505', 'LOOP506'].includes(c))).toBe(true);
  });

  it('refuses a truncated file', () => {
    const e = caught(() => verifyWasm(signed.subarray(0, signed.length - 3), [loadPublicKey(alice, dir)], { file: 'short.wasm' }));
    expect(e.code).toBe('LOOP502');
    expect(e.diagnostics[0].message).toMatch(/^is not a valid WebAssembly binary: section #\d+ \(id \d+\) at byte \d+ claims \d+ bytes but only \d+ remain \(truncated file\?\) \(cannot verify it for key ed25519:/);
  });

  it('names the key a component is not signed by', async () => {
    const other = (await loop('keygen', '--out', 't/other')).out;
    const r = await loop('verify', 't.wasm', '--key', other);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`t.wasm: error[LOOP505] is not signed by key ${other}: none of its 1 signature(s) verifies with this key (it is signed by key id `);
  });

  it('refuses a signature section that is not the first section', () => {
    const bin = parseWasm(signed);
    const sig = signed.subarray(bin.sections[0].start, bin.sections[0].end);
    const moved = Buffer.concat([signed.subarray(0, 8), signed.subarray(bin.sections[1].start), sig]);
    const e = caught(() => verifyWasm(moved, [loadPublicKey(alice, dir)], { file: 'm.wasm' }));
    expect(e.code).toBe('LOOP503');
    expect(e.diagnostics[0].message).toContain('carries a "signature" section, but as section #');
  });

  it('refuses a partial signature (sections appended after signing)', () => {
    const key = generateKeyPair();
    const withDelimiter = Buffer.concat([adder, customSection('signature_delimiter', Buffer.alloc(16, 7))]);
    const s = signWasm(withDelimiter, key, { file: 'p.wasm' }).bytes;
    const extended = Buffer.concat([s, customSection('late', Buffer.from('added after signing'))]);
    const e = caught(() => verifyWasm(extended, [key.publicKey], { file: 'p.wasm' }));
    expect(e.code).toBe('LOOP507');
    expect(e.diagnostics[0].message).toBe(`the signature by ${key.publicKey} covers only the first 1 of 2 parts (a partial signature); sections were added after signing`);
    expect(verifyWasm(s, [key.publicKey], { file: 'p.wasm' }).key.toString()).toBe(key.publicKey.toString());
  });

  it('explains malformed signature data', () => {
    const key = generateKeyPair();
    const good = signWasm(adder, key, { file: 'x' });
    const data = decodeSignatureData(good.signature);
    expect(encodeSignatureData(data)).toEqual(good.signature);
    const bad = Uint8Array.from(good.signature);
    bad[0] = 2;
    const e = caught(() => verifyWasm(adder, [key.publicKey], { file: 'x.wasm', detached: bad, detachedFile: 'x.sig' }));
    expect(e.code).toBe('LOOP504');
    expect(e.diagnostics[0].message).toBe(`detached signature x.sig is malformed (signature data: unsupported specification version 0x02 (expected 0x01)); cannot verify it for key ${key.publicKey}`);
  });

  it('refuses text-format sources, missing files, wrong key kinds and missing options with hints', async () => {
    expect((await loop('sign', 'adder.wat', '--key', 't/alice.key')).err).toBe(
      'adder.wat: error[LOOP502] is a WebAssembly text (.wat) file; only binary components can carry a signature\n  hint: encode it first, e.g. `jco parse x.wat -o x.wasm` or `wasm-tools parse`, then sign the .wasm',
    );
    expect((await loop('sign', 'none.wasm', '--key', 't/alice.key')).err).toContain('none.wasm: error[LOOP502] no such file');
    expect((await loop('sign', 't.wasm', '--key', 't/alice.pub')).err).toContain('error[LOOP501] t/alice.pub is a public key; signing takes the secret key');
    expect((await loop('verify', 't.wasm', '--key', 't/alice.key')).err).toContain('error[LOOP501] t/alice.key is a secret key; verification takes the public key');
    expect((await loop('verify', 't.wasm', '--key', 'ed25519:AAAA')).err).toContain('error[LOOP501] --key: "ed25519:AAAA" does not hold a 32-byte Ed25519 public key (3 bytes after base64 decoding)');
    expect((await loop('verify', 't.wasm', '--key', 'missing.pub')).err).toContain('error[LOOP501] cannot read public key missing.pub: no such file');
    expect((await loop('sign', 't.wasm')).err).toContain('error[LOOP012] --key: missing --key <secret-key-file>');
    expect((await loop('verify', 't.wasm')).err).toContain('error[LOOP012] --key: no public key given');
    fs.writeFileSync(path.join(dir, 'garbage.wasm'), 'not wasm at all');
    expect((await loop('verify', 'garbage.wasm', '--key', alice)).err).toContain('garbage.wasm: error[LOOP502] is not a valid WebAssembly binary: not a WebAssembly binary (it does not start with "\\0asm")');
    const damaged = Uint8Array.from(read('t/alice.key'));
    damaged[40] ^= 1;
    write('t/damaged.key', damaged);
    expect((await loop('sign', 't.wasm', '--key', 't/damaged.key')).err).toContain('the public half of the key pair does not belong to its secret half');
  });

  it('exits 1 from the real bin with file, code and key on stderr', () => {
    const bin = path.join(repo, 'node_modules/.bin/loop');
    const t = Uint8Array.from(signed);
    const code = embeddedCodeSections(signed)[0];
    t[code.end - 2] ^= 0xff;
    write('bin-tampered.wasm', t);
    const r = spawnSync(bin, ['verify', 'bin-tampered.wasm', '--key', alice], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`bin-tampered.wasm: error[LOOP506] signature by ${alice} does not match the content`);
    const ok = spawnSync(bin, ['verify', 't.wasm', '--key', alice], { cwd: dir, encoding: 'utf8' });
    expect(ok.status).toBe(0);
  });
});
