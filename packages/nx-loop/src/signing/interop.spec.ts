// Interop with wasmsign2, the reference implementation of the tool-conventions signature
// format, installed from crates.io by tools/setup/wasmsign2.sh (idempotent; the first run
// compiles it, ~5 min on 2 cores). Both directions, on a component built by componentize-js
// from examples/components/upper-js and on a WAT component with an embedded core module
// and a nested component: loop signs → wasmsign2 verifies, wasmsign2 signs → loop verifies.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { ADDER_WAT, embeddedCodeSections, encode, tmpDir } from './__fixtures__/components';
import { parseWasm } from './wasm';

const repo = path.resolve(__dirname, '../../../..');
const dir = tmpDir('loop-wasmsign2-');
let wasmsign2 = '';
const components: Record<string, string> = {};

async function loop(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
function ws2(...args: string[]) {
  const r = spawnSync(wasmsign2, args, { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const copy = (from: string, to: string) => (fs.copyFileSync(path.join(dir, from), path.join(dir, to)), to);

beforeAll(async () => {
  const setup = spawnSync('bash', [path.join(repo, 'tools/setup/wasmsign2.sh')], { encoding: 'utf8', env: process.env });
  if (setup.status !== 0) throw new Error(`tools/setup/wasmsign2.sh failed (exit ${setup.status}):\n${setup.stderr}`);
  wasmsign2 = setup.stdout.trim().split('\n').pop()!;

  // A real componentize-js component, built from a copy of the example in a throwaway workspace.
  const ws = tmpDir('loop-wasmsign2-ws-');
  fs.writeFileSync(path.join(ws, 'nx.json'), '{}\n');
  fs.symlinkSync(path.join(repo, 'wit'), path.join(ws, 'wit'));
  fs.cpSync(path.join(repo, 'examples/components/upper-js'), path.join(ws, 'upper-js'), { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
  // Built by the compiled library in a plain Node process (as `loop build` runs it), not
  // inside vitest's module runner, which cannot host componentize-js's native import().
  const script = `require(${JSON.stringify(path.join(repo, 'packages/nx-loop/dist/build'))}).buildComponent(${JSON.stringify(path.join(ws, 'upper-js'))}, { workspaceRoot: ${JSON.stringify(ws)} }).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e && e.stack || e); process.exit(1); })`;
  const build = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ws });
  if (build.status !== 0) throw new Error(`componentize-js build of upper-js failed (exit ${build.status}):\n${build.stderr}`);
  const built = JSON.parse(build.stdout.trim().split('\n').pop()!) as { wasm: string };
  fs.copyFileSync(built.wasm, path.join(dir, 'upper.wasm'));
  components.upper = 'upper.wasm';
  fs.writeFileSync(path.join(dir, 'adder.wasm'), await encode(ADDER_WAT));
  components.adder = 'adder.wasm';

  expect((await loop('keygen', '--out', 'loop')).code).toBe(0);
  expect(ws2('keygen', '-k', 'ws.key', '-K', 'ws.pub').code).toBe(0);
}, 1_800_000);

describe('wasmsign2 0.2.6 from crates.io', () => {
  it('is the pinned version', () => {
    expect(spawnSync(wasmsign2, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe('wasmsign2-cli 0.2.6');
  });
});

describe.each(['upper', 'adder'])('%s component', (name) => {
  it('is a component (componentize-js / wasm-tools output)', () => {
    expect(parseWasm(fs.readFileSync(path.join(dir, components[name]))).kind).toBe('component');
  });

  it('loop sign → wasmsign2 verify (embedded)', async () => {
    const f = copy(components[name], `${name}.loop.wasm`);
    expect((await loop('sign', f, '--key', 'loop.key')).code).toBe(0);
    expect(ws2('verify', '-i', f, '-K', 'loop.pub')).toMatchObject({ code: 0, out: 'Signature is valid.\n' });
    // …and not with an unrelated key.
    expect(ws2('verify', '-i', f, '-K', 'ws.pub')).toMatchObject({ code: 1, err: 'No valid signatures\n' });
  });

  it('loop sign --detached → wasmsign2 verify -S', async () => {
    expect((await loop('sign', components[name], '--key', 'loop.key', '--detached', `${name}.loop.sig`)).code).toBe(0);
    expect(ws2('verify', '-i', components[name], '-K', 'loop.pub', '-S', `${name}.loop.sig`)).toMatchObject({ code: 0, out: 'Signature is valid.\n' });
  });

  it('wasmsign2 sign → loop verify (with and without a key id, embedded and detached)', async () => {
    expect(ws2('sign', '-i', components[name], '-o', `${name}.ws.wasm`, '-k', 'ws.key', '-K', 'ws.pub').code).toBe(0);
    expect(await loop('verify', `${name}.ws.wasm`, '--key', 'ws.pub')).toMatchObject({ code: 0, out: expect.stringMatching(/^\S+\.ws\.wasm: valid signature by ed25519:/) });
    expect(ws2('sign', '-i', components[name], '-o', `${name}.ws-noid.wasm`, '-k', 'ws.key').code).toBe(0);
    expect((await loop('verify', `${name}.ws-noid.wasm`, '--key', 'ws.pub')).code).toBe(0);
    expect(ws2('sign', '-i', components[name], '-o', `${name}.ws-det.wasm`, '-k', 'ws.key', '-K', 'ws.pub', '-S', `${name}.ws.sig`).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, `${name}.ws-det.wasm`)).equals(fs.readFileSync(path.join(dir, components[name])))).toBe(true);
    expect((await loop('verify', components[name], '--key', 'ws.pub', '--detached', `${name}.ws.sig`)).code).toBe(0);
    // The wrong key is refused.
    expect((await loop('verify', `${name}.ws.wasm`, '--key', 'loop.pub')).err).toContain('error[LOOP505] is not signed by key ed25519:');
  });

  it('both tools refuse a wasmsign2-signed component with one byte changed in an embedded core module', async () => {
    const signed = fs.readFileSync(path.join(dir, `${name}.ws.wasm`));
    const code = embeddedCodeSections(signed);
    expect(code.length).toBeGreaterThan(0);
    const t = Buffer.from(signed);
    const at = Math.floor((code[0].start + code[0].end) / 2);
    t[at] ^= 0x01;
    fs.writeFileSync(path.join(dir, `${name}.ws-tampered.wasm`), t);
    expect(ws2('verify', '-i', `${name}.ws-tampered.wasm`, '-K', 'ws.pub')).toMatchObject({ code: 1, err: 'No valid signatures\n' });
    const r = await loop('verify', `${name}.ws-tampered.wasm`, '--key', 'ws.pub');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${name}\\.ws-tampered\\.wasm: error\\[LOOP506\\] signature by ed25519:\\S+ does not match the content: the component was modified after it was signed`));
  });

  it('several signers across both tools: each key verifies in each tool', async () => {
    const f = copy(`${name}.loop.wasm`, `${name}.both.wasm`);
    expect(ws2('sign', '-i', f, '-o', f, '-k', 'ws.key', '-K', 'ws.pub').code).toBe(0);
    for (const pub of ['loop.pub', 'ws.pub']) {
      expect(ws2('verify', '-i', f, '-K', pub).code).toBe(0);
      expect((await loop('verify', f, '--key', pub)).code).toBe(0);
    }
    const g = copy(`${name}.ws.wasm`, `${name}.both2.wasm`);
    expect((await loop('sign', g, '--key', 'loop.key')).out).toContain('kept 1 signature(s) by other keys');
    for (const pub of ['loop.pub', 'ws.pub']) expect(ws2('verify', '-i', g, '-K', pub).code).toBe(0);
  });

  it('keys cross over: loop signs with a wasmsign2 key, wasmsign2 signs with a loop key', async () => {
    const f = copy(components[name], `${name}.cross1.wasm`);
    expect((await loop('sign', f, '--key', 'ws.key')).code).toBe(0);
    expect(ws2('verify', '-i', f, '-K', 'ws.pub').code).toBe(0);
    expect(ws2('sign', '-i', components[name], '-o', `${name}.cross2.wasm`, '-k', 'loop.key', '-K', 'loop.pub').code).toBe(0);
    expect((await loop('verify', `${name}.cross2.wasm`, '--key', 'loop.pub')).code).toBe(0);
  });
});

describe('multi-part signatures (signature_delimiter)', () => {
  it('wasmsign2 split + sign → loop verify checks every part', async () => {
    expect(ws2('split', '-i', 'adder.wasm', '-o', 'adder.split.wasm', '-s', 'component-name').code).toBe(0);
    expect(ws2('sign', '-i', 'adder.split.wasm', '-o', 'adder.split.signed.wasm', '-k', 'ws.key', '-K', 'ws.pub').code).toBe(0);
    expect((await loop('verify', 'adder.split.signed.wasm', '--key', 'ws.pub')).code).toBe(0);
    const f = copy('adder.split.wasm', 'adder.split.loop.wasm');
    expect((await loop('sign', f, '--key', 'loop.key')).code).toBe(0);
    expect(ws2('verify', '-i', f, '-K', 'loop.pub').code).toBe(0);
  });
});

describe('where wasmsign2 0.2.6 does not understand components', () => {
  // Signing and verifying work (above): they treat sections as opaque bytes. Describing a
  // component does not: `show` names a component's sections as if they were a core
  // module's (id 1, an embedded core module, is printed as "types section"; id 4, a nested
  // component, as "table section"). Loop reads the component's own section kinds.
  it('`wasmsign2 show` labels component sections with core-module section names', async () => {
    const r = ws2('show', '-i', 'adder.loop.wasm');
    expect(r.code).toBe(0);
    const ids = parseWasm(fs.readFileSync(path.join(dir, 'adder.loop.wasm'))).sections.map((s) => s.id);
    expect(ids[1]).toBe(1); // a core module section in a component
    expect(ids).toContain(4); // a nested component
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('0:\tcustom section: [signature]');
    expect(lines[1]).toBe('1:\ttypes section');
    expect(lines[ids.indexOf(4)]).toBe(`${ids.indexOf(4)}:\ttable section`);
  });
});
