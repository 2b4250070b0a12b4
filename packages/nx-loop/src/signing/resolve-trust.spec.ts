// Elevation by signature at resolve time: once `[trust.<class>] keys` is set, every component
// of that class in the resolved graph must carry a valid signature by one of the keys.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { isLoopError, type LoopError } from '../errors';
import { resolveApp } from '../resolve/resolve';
import { ADDER_WAT, CORE_WAT, embeddedCodeSections, encode, tmpDir } from './__fixtures__/components';
import { generateKeyPair, type SecretKey } from './keys';
import { signWasm } from './sign';
import { verifyForPack } from './pack';

const dir = tmpDir('loop-trust-');
let alice: SecretKey;
let bob: SecretKey;
let adder: Uint8Array;

const put = (name: string, bytes: Uint8Array) => fs.writeFileSync(path.join(dir, name), bytes);
function app(name: string, body: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'app.loop.toml'), `[app]\nname = "${name}"\nentry = "main"\n${body}`);
  return d;
}
function resolveError(appDir: string, opts: { profile?: string } = {}): LoopError {
  try {
    resolveApp(appDir, { platform: 'native', ...opts });
  } catch (e) {
    if (isLoopError(e)) return e;
    throw e;
  }
  throw new Error('expected resolution to fail');
}
const trusted = (keys: SecretKey[]) => `[trust.trusted]\nallow = ["*"]\nkeys = [${keys.map((k) => `"${k.publicKey}"`).join(', ')}]\n`;

beforeAll(async () => {
  alice = generateKeyPair();
  bob = generateKeyPair();
  adder = await encode(ADDER_WAT);
  put('unsigned.wasm', adder);
  put('alice.wasm', signWasm(adder, alice, { file: 'x' }).bytes);
  put('bob.wasm', signWasm(adder, bob, { file: 'x' }).bytes);
  put('plain.wasm', await encode(CORE_WAT));
  const t = Buffer.from(fs.readFileSync(path.join(dir, 'alice.wasm')));
  t[embeddedCodeSections(t)[0].start + 4] ^= 0x01;
  put('tampered.wasm', t);
});

describe('a trust class with keys', () => {
  it('admits components signed by one of its keys, and leaves other classes alone', () => {
    const d = app('ok', `[components.main]\nsource = "../alice.wasm"\nclass = "core"\ntrust = "trusted"\n[components.helper]\nsource = "../unsigned.wasm"\n` + trusted([bob, alice]));
    const g = resolveApp(d, { platform: 'native' });
    expect(g.components.map((c) => [c.name, c.trust])).toEqual([['main', 'trusted'], ['helper', 'untrusted']]);
    expect(g.trust.trusted.keys).toEqual([bob.publicKey.toString(), alice.publicKey.toString()]);
  });

  it('refuses an unsigned component with the component, the class, the file and a `loop sign` hint', () => {
    const d = app('unsigned', `[components.main]\nsource = "../unsigned.wasm"\nclass = "core"\ntrust = "trusted"\n` + trusted([alice]));
    const e = resolveError(d);
    expect(e.code).toBe('LOOP510');
    const diag = e.diagnostics[0];
    expect(diag).toMatchObject({ field: 'components.main', line: 4, col: 1 });
    expect(diag.file).toMatch(/app\.loop\.toml$/);
    expect(diag.message).toMatch(/^component "main" is in trust class "trusted", which requires a valid signature by one of its keys \(trust\.trusted\.keys\), but \S*unsigned\.wasm: \[LOOP503\] is not signed/);
    expect(diag.hint).toMatch(/^sign it with `loop sign \S*unsigned\.wasm --key <secret key of trust\.trusted\.keys>`, or move it to a trust class without keys$/);
  });

  it('refuses a component signed by a key the class does not list', () => {
    const e = resolveError(app('other-key', `[components.main]\nsource = "../bob.wasm"\nclass = "core"\ntrust = "trusted"\n` + trusted([alice])));
    expect(e.code).toBe('LOOP510');
    expect(e.diagnostics[0].message).toContain(`[LOOP505] is not signed by key ${alice.publicKey}`);
  });

  it('refuses a signed component whose embedded core module was changed afterwards', () => {
    const e = resolveError(app('tampered', `[components.main]\nsource = "../tampered.wasm"\nclass = "core"\ntrust = "trusted"\n` + trusted([alice])));
    expect(e.code).toBe('LOOP510');
    expect(e.diagnostics[0].message).toContain(`[LOOP506] signature by ${alice.publicKey} does not match the content: the component was modified after it was signed`);
  });

  it('checks the component a profile puts in place, and reports every unsigned component at once', () => {
    const d = app(
      'profile',
      `[components.main]\nsource = "../alice.wasm"\nclass = "core"\ntrust = "trusted"\n` +
        `[components.fmt]\nsource = "../alice.wasm"\ntrust = "trusted"\n[components.aux]\nsource = "../plain.wasm"\ntrust = "trusted"\n` +
        `[profiles.dev.components.fmt]\nsource = "../unsigned.wasm"\n` +
        trusted([alice]),
    );
    const e = resolveError(d, { profile: 'dev' });
    expect(e.diagnostics.map((x) => [x.code, x.field])).toEqual([
      ['LOOP510', 'components.fmt'],
      ['LOOP510', 'components.aux'],
    ]);
    expect(e.diagnostics[1].message).toContain('plain.wasm: [LOOP503] is not signed');
    // Without the profile only aux fails.
    expect(resolveError(d).diagnostics.map((x) => x.field)).toEqual(['components.aux']);
  });

  it('applies to manifest-defined classes too', () => {
    const d = app('partner', `[components.main]\nsource = "../bob.wasm"\nclass = "core"\ntrust = "partner"\n[trust.partner]\nallow = ["loop:log"]\nkeys = ["${bob.publicKey}"]\n`);
    expect(resolveApp(d, { platform: 'web' }).components[0].trust).toBe('partner');
    put('bob-then-unsigned.wasm', adder);
    const d2 = app('partner2', `[components.main]\nsource = "../bob-then-unsigned.wasm"\nclass = "core"\ntrust = "partner"\n[trust.partner]\nallow = ["loop:log"]\nkeys = ["${bob.publicKey}"]\n`);
    expect(resolveError(d2).diagnostics[0].message).toContain('component "main" is in trust class "partner"');
  });

  it('fails `loop resolve` with exit 1 and the error on stderr', async () => {
    const d = app('cli', `[components.main]\nsource = "../unsigned.wasm"\nclass = "core"\ntrust = "trusted"\n` + trusted([alice]));
    const err: string[] = [];
    const code = await main(['resolve', d, '--platform', 'native'], { cwd: dir, out: () => {}, err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/cli\/app\.loop\.toml:4:1: error\[LOOP510\] components\.main: component "main" is in trust class "trusted"/);
    expect(err.join('\n')).toContain('hint: sign it with `loop sign ');
  });
});

describe('loop verify --graph (what hosts and packers check before running a graph)', () => {
  async function loop(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('checks components and plugin files of keyed classes, and catches a component changed after resolving', async () => {
    const d = app(
      'graph',
      `[components.main]\nsource = "../g-main.wasm"\nclass = "core"\ntrust = "trusted"\n[components.helper]\nsource = "../unsigned.wasm"\n` +
        `[plugins]\ndir = "plugins"\ntrust = "vendor"\n[trust.vendor]\nallow = ["loop:log"]\nkeys = ["${bob.publicKey}"]\n` +
        trusted([alice]),
    );
    put('g-main.wasm', signWasm(adder, alice, { file: 'x' }).bytes);
    fs.mkdirSync(path.join(d, 'plugins'));
    fs.writeFileSync(path.join(d, 'plugins', 'good.wasm'), signWasm(adder, bob, { file: 'x' }).bytes);
    fs.writeFileSync(path.join(d, 'plugins', 'notes.txt'), 'not a plugin');
    expect((await loop('resolve', d, '--out', 'graph-out/app.loop.json')).code).toBe(0);

    const ok = await loop('verify', '--graph', 'graph-out/app.loop.json');
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')).toEqual([
      `component "main": valid signature by ${alice.publicKey} (trust class "trusted")`,
      `plugin good.wasm: valid signature by ${bob.publicKey} (trust class "vendor")`,
      'component "helper": trust class "untrusted" lists no keys (not checked)',
    ]);

    // A plugin dropped in unsigned, and the component replaced after resolution.
    fs.writeFileSync(path.join(d, 'plugins', 'evil.wasm'), adder);
    const t = Buffer.from(fs.readFileSync(path.join(dir, 'g-main.wasm')));
    t[embeddedCodeSections(t)[0].start + 3] ^= 0x40;
    put('g-main.wasm', t);
    const bad = await loop('verify', '--graph', 'graph-out/app.loop.json');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`graph-out/app.loop.json: error[LOOP510] components[0]: component "main" is in trust class "trusted", which requires a valid signature by one of its keys, but `);
    expect(bad.err).toContain(`[LOOP506] signature by ${alice.publicKey} does not match the content`);
    expect(bad.err).toMatch(/error\[LOOP510\] plugins\.dir: plugin evil\.wasm is in trust class "vendor", which requires a valid signature by one of its keys, but \S*evil\.wasm: \[LOOP503\] is not signed/);
  });

  it('says clearly when the file is not a graph', async () => {
    fs.writeFileSync(path.join(dir, 'not-a-graph.json'), '{"format": "other"}');
    expect((await loop('verify', '--graph', 'not-a-graph.json')).err).toContain('not-a-graph.json: error[LOOP512] is not a resolved graph (format "other", expected "loop.app/1")');
    expect((await loop('verify', '--graph', 'nope.json')).err).toContain('nope.json: error[LOOP512] no such graph file');
  });
});

describe('unsigned = "demote" and the pack-time check', () => {
  it('resolves an unsigned component of a demoting class (hosts demote it) and records the policy', () => {
    const d = app('demote', `[components.main]\nsource = "../unsigned.wasm"\nclass = "core"\ntrust = "partner"\n[trust.partner]\nallow = ["loop:log"]\nkeys = ["${alice.publicKey}"]\nunsigned = "demote"\n`);
    const g = resolveApp(d, { platform: 'native' });
    expect(g.trust.partner).toEqual({ allow: ['loop:log'], keys: [alice.publicKey.toString()], unsigned: 'demote' });
    expect(g.trust.trusted.unsigned).toBe('refuse');
    const r = verifyForPack(g, d, { label: 'demote/app.loop.toml' });
    expect(r.problems).toEqual([]);
    expect(r.demoted).toHaveLength(1);
    expect(r.demoted[0]).toMatch(/^component "main": no valid signature for trust class "partner" \(\[LOOP503\] is not signed .*\); hosts run it as untrusted \(unsigned = "demote"\)$/);
  });

  it('verifyForPack refuses a tampered component and an unsigned plugin file of a keyed class, naming each', () => {
    const d = app('pack', `[components.main]\nsource = "../alice.wasm"\nclass = "core"\ntrust = "trusted"\n[plugins]\ndir = "plugins"\ntrust = "trusted"\n` + trusted([alice]));
    fs.mkdirSync(path.join(d, 'plugins'));
    fs.copyFileSync(path.join(dir, 'alice.wasm'), path.join(d, 'plugins', 'good.wasm'));
    fs.copyFileSync(path.join(dir, 'unsigned.wasm'), path.join(d, 'plugins', 'bare.wasm'));
    fs.writeFileSync(path.join(d, 'plugins', 'text.wat'), CORE_WAT);
    fs.writeFileSync(path.join(d, 'plugins', 'notes.txt'), 'not a plugin');
    const g = resolveApp(d, { platform: 'web', outDir: d });
    // The component changes after resolving (the packer reads the files again).
    fs.copyFileSync(path.join(dir, 'tampered.wasm'), path.join(dir, 'pack-main.wasm'));
    g.components[0].path = path.relative(d, path.join(dir, 'pack-main.wasm'));
    let err: LoopError | undefined;
    try {
      verifyForPack(g, d, { label: 'pack/app.loop.toml' });
    } catch (e) {
      if (!isLoopError(e)) throw e;
      err = e;
    }
    expect(err?.diagnostics.map((x) => [x.code, x.file, x.field])).toEqual([
      ['LOOP510', 'pack/app.loop.toml', 'components[0]'],
      ['LOOP510', 'pack/app.loop.toml', 'plugins.dir'],
      ['LOOP510', 'pack/app.loop.toml', 'plugins.dir'],
    ]);
    const messages = err!.diagnostics.map((x) => x.message);
    expect(messages[0]).toMatch(/^component "main" is in trust class "trusted", .* \[LOOP506\] signature by .* does not match the content/);
    expect(messages[1]).toMatch(/^plugin bare\.wasm is in trust class "trusted", .*bare\.wasm: \[LOOP503\] is not signed/);
    expect(messages[2]).toMatch(/^plugin text\.wat is in trust class "trusted", .*text\.wat: \[LOOP502\] is a WebAssembly text/);
  });
});
