// Static composition of the example app with the real wac (tools/setup/wac.sh) and the real
// example components (built here when missing): the composed component's WIT, and the same
// output composed and uncomposed — through jco in Node with real JS providers, and through
// the native host binary when it exists (LOOP_REQUIRE_HOST=1 makes a missing host a failure).
import type { ExecutorContext } from '@nx/devkit';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComponent } from '../build/build-component';
import { importEsm } from '../build/esm';
import { instantiateComponent, memoryProviders, type LogRecord } from '../build/run';
import { main } from '../cli/main';
import { isLoopError } from '../errors';
import composeExecutor from '../executors/compose/executor';
import { findHostBinary } from '../host';
import { graphJson, resolveApp, type ResolvedGraph } from '../resolve/resolve';
import { composeApp, defaultComposedFile, type ComposeResult } from './index';

const REPO = resolve(__dirname, '../../../..');
const APP = join(REPO, 'examples/apps/hello');
const EXAMPLES = ['greeter-rust', 'formatter-basic-js', 'formatter-fancy-ts', 'upper-js', 'reverse-ts'];
const tmp = mkdtempSync(join(tmpdir(), 'loop-compose-spec-'));

async function witOf(file: string): Promise<string> {
  const { componentWit } = await importEsm<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco');
  return componentWit(readFileSync(file));
}
const witImports = (wit: string) => wit.slice(0, wit.indexOf('\n}')).split('\n').filter((l) => /^\s+import /.test(l)).map((l) => l.trim());

/** Expects `p` to reject with a LoopError; returns its diagnostics. */
async function loopErrorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isLoopError(e)) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a LoopError, but it succeeded');
}

/**
 * Runs a resolved graph the way the hosts do, in Node through jco: plugins and default
 * components first, their exports wired into the entry's imports, then `entry.run()`.
 * Providers are the real in-memory ones of build/run.ts; fs sees the app's data dir.
 */
async function runInNode(graph: ResolvedGraph, graphDir: string): Promise<LogRecord[]> {
  const file = (p: string) => resolve(graphDir, p);
  const files = { 'greeting.txt': readFileSync(join(APP, 'data/greeting.txt')) };
  const plugins: Record<string, { info: any; handle: (s: string) => string }> = {};
  for (const c of graph.components.filter((c) => c.class === 'plugin')) {
    const { exports } = await instantiateComponent(file(c.path), memoryProviders().imports);
    plugins[c.name] = { info: exports.plugin.info(), handle: (s) => exports.plugin.handle(s) };
  }
  const entry = graph.components.find((c) => c.name === graph.app.entry)!;
  const p = memoryProviders({ config: entry.config, files, plugins });
  for (const c of graph.components.filter((c) => c.class === 'default')) {
    const wit = await witOf(file(c.path));
    const { exports } = await instantiateComponent(file(c.path), p.imports);
    // jco's import keys are unversioned; its exports carry the versioned name.
    for (const [, name, version = ''] of wit.matchAll(/^\s+export ([^\s;@]+:[^\s;@]+)(@[^\s;]+)?;$/gm)) p.imports[name] = exports[name + version];
  }
  const { exports } = await instantiateComponent(file(entry.path), p.imports);
  exports.entry.run();
  return p.logs;
}

let basic: ComposeResult;
let fancy: ComposeResult;
let uncomposed: ResolvedGraph;
const uncomposedDir = join(tmp, 'uncomposed');

beforeAll(async () => {
  // wac from crates.io (idempotent: instant when installed).
  const wac = spawnSync('bash', [join(REPO, 'tools/setup/wac.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (wac.status !== 0) throw new Error(`tools/setup/wac.sh failed with status ${wac.status}`);
  for (const name of EXAMPLES) {
    const dir = join(REPO, 'examples/components', name);
    const built = readFileSync(join(dir, 'loop.component.toml'), 'utf8').match(/name = "([^"]+)"/)![1];
    if (!existsSync(join(dir, 'dist', `${built}.wasm`))) await buildComponent(dir);
  }
  basic = await composeApp(APP, { root: tmp, cwd: REPO });
  fancy = await composeApp(APP, { profile: 'fancy', out: join(tmp, 'fancy/hello-fancy.wasm'), cwd: REPO });
  mkdirSync(uncomposedDir, { recursive: true });
  uncomposed = resolveApp(APP, { platform: 'native', outDir: uncomposedDir, cwd: REPO });
  writeFileSync(join(uncomposedDir, 'app.loop.json'), graphJson(uncomposed));
}, 1_800_000);

describe('compose the example app (greeter + formatter)', () => {
  it('writes dist/<app dir>/composed/<app>.wasm and <app>.loop.json under the workspace root', () => {
    expect(defaultComposedFile(APP, REPO, 'hello-app')).toBe(join(REPO, 'dist/examples/apps/hello/composed/hello-app.wasm'));
    expect(defaultComposedFile(APP, REPO, 'hello-app', 'fancy')).toBe(join(REPO, 'dist/examples/apps/hello/composed/hello-app-fancy.wasm'));
    // An app outside the workspace root (here: root = tmp) gets its directory's base name.
    expect(basic.out).toBe(join(tmp, 'dist/hello/composed/hello-app.wasm'));
    expect(basic.graphFile).toBe(join(tmp, 'dist/hello/composed/hello-app.loop.json'));
    const bytes = readFileSync(basic.out);
    expect(bytes.length).toBe(basic.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(basic.sha256);
  });

  it('plugs formatter into greeter', () => {
    expect(basic.entry).toBe('greeter');
    expect(basic.plugged).toEqual([{ component: 'formatter', into: 'greeter', interfaces: ['example:hello/formatter@0.1.0'] }]);
    expect(basic.unused).toEqual([]);
  });

  it("the composed WIT no longer imports example:hello/formatter but keeps the host's loop:* imports", async () => {
    const before = witImports(await witOf(join(REPO, 'examples/components/greeter-rust/dist/greeter.wasm')));
    expect(before).toContain('import example:hello/formatter@0.1.0;');
    for (const r of [basic, fancy]) {
      const wit = await witOf(r.out);
      const imports = witImports(wit);
      expect(imports).not.toContain('import example:hello/formatter@0.1.0;');
      expect(wit).not.toMatch(/import example:hello\//);
      for (const i of ['loop:log/logger', 'loop:fs/files', 'loop:http/client', 'loop:plugin/host', 'loop:app/config']) {
        expect(imports).toContain(`import ${i}@0.1.0;`);
      }
      expect(wit).toContain('export loop:app/entry@0.1.0;');
      expect(r.imports).toEqual(imports.map((l) => l.replace(/^import (.*);$/, '$1')));
    }
    // The same imports as greeter, minus the plugged one (formatter imports only loop:log, which greeter has too).
    expect(witImports(await witOf(basic.out)).sort()).toEqual(before.filter((l) => !l.includes('example:hello')).sort());
  });

  it('the composed graph runs the composed file as the entry, without the plugged default', () => {
    const g = JSON.parse(readFileSync(basic.graphFile, 'utf8')) as ResolvedGraph;
    expect(g).toEqual(basic.graph);
    expect(g.components.map((c) => [c.name, c.class])).toEqual([['greeter', 'core'], ['upper', 'plugin'], ['reverse', 'plugin']]);
    const greeter = g.components[0];
    expect(greeter).toMatchObject({ path: 'hello-app.wasm', sha256: basic.sha256, trust: 'trusted', config: { url: 'http://127.0.0.1:8787/hello.txt' } });
    // Plugins and the fs root still point at the app's files, relative to the composed dir.
    const dir = dirname(basic.out);
    expect(resolve(dir, g.components[1].path)).toBe(join(REPO, 'examples/components/upper-js/dist/upper.wasm'));
    expect(resolve(dir, g.capabilities['loop:fs'].root as string)).toBe(join(APP, 'data'));
    expect({ ...g, components: [] }).toEqual({ ...basic.source, components: [] });
  });

  it('profile fancy composes formatter-fancy', () => {
    expect(fancy.out).toBe(join(tmp, 'fancy/hello-fancy.wasm'));
    expect(fancy.graphFile).toBe(join(tmp, 'fancy/hello-fancy.loop.json'));
    expect(fancy.graph.profile).toBe('fancy');
    expect(fancy.sha256).not.toBe(basic.sha256);
  });
});

describe('composed and uncomposed produce the same output', () => {
  it('in Node through jco, with real JS providers (formatter-basic)', async () => {
    const plain = await runInNode(uncomposed, uncomposedDir);
    const composed = await runInNode(basic.graph, dirname(basic.out));
    expect(composed).toEqual(plain);
    expect(plain).toContainEqual({ level: 'info', message: 'formatted: [basic] Hello from the data dir of the example app.' });
    expect(plain).toContainEqual({ level: 'debug', message: 'formatter-basic: formatting 43 chars' });
    expect(plain).toContainEqual({ level: 'info', message: 'plugin upper: HELLO FROM THE DATA DIR OF THE EXAMPLE APP.' });
  }, 600_000);

  it('in Node through jco, profile fancy', async () => {
    const dir = join(tmp, 'uncomposed-fancy');
    const plain = resolveApp(APP, { platform: 'native', profile: 'fancy', outDir: dir, cwd: REPO });
    const composed = await runInNode(fancy.graph, join(tmp, 'fancy'));
    expect(composed).toEqual(await runInNode(plain, dir));
    expect(composed.find((l) => l.message.startsWith('formatted: '))?.message).toMatch(/^formatted: ✨ .* ✨$/);
  }, 600_000);

  const host = findHostBinary();
  const requireHost = process.env.LOOP_REQUIRE_HOST === '1';
  if (!host && !requireHost) {
    console.warn('compose.spec: the native host binary (loop-host) is not built: the native-host comparison is skipped (LOOP_REQUIRE_HOST=1 makes this a failure)');
  }
  it.skipIf(!host && !requireHost)('in the native host (loop-host run <graph>)', async () => {
    if (!host) throw new Error('LOOP_REQUIRE_HOST=1 but the native host binary is missing: build it (cargo build --release --bin loop-host in host-templates/wasmtime-rust, CARGO_TARGET_DIR=$LOOP_CACHE_DIR/target) or set LOOP_HOST_BIN');
    // A real HTTP server for the greeter's fetch; both graphs point at it the same way.
    const server: Server = createServer((_req, res) => res.end('hello over http\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const point = (g: ResolvedGraph, dir: string, name: string) => {
      const copy = structuredClone(g);
      copy.components.find((c) => c.name === g.app.entry)!.config.url = `${origin}/hello.txt`;
      copy.capabilities['loop:http'] = { ...copy.capabilities['loop:http'], allow: [origin] };
      writeFileSync(join(dir, name), graphJson(copy));
      return join(dir, name);
    };
    const run = (graphFile: string) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(host!, ['run', graphFile], { env: { ...process.env, LOOP_QUIET: '1' } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (status: number | null) => done({ status, stdout, stderr }));
      });
    try {
      const plain = await run(point(uncomposed, uncomposedDir, 'http.loop.json'));
      const composed = await run(point(basic.graph, dirname(basic.out), 'http.loop.json'));
      expect(plain.status, plain.stderr).toBe(0);
      expect(composed.status, composed.stderr).toBe(0);
      expect(composed.stderr).toBe(plain.stderr);
      // The only difference: composed, formatter runs inside greeter, so the host's log
      // provider (`[component] level: message`) attributes formatter's lines to greeter.
      expect(plain.stdout).toContain('[formatter] debug: formatter-basic: formatting 43 chars');
      expect(composed.stdout).toBe(plain.stdout.replaceAll('[formatter] ', '[greeter] '));
      expect(plain.stdout).toContain('[greeter] info: formatted: [basic] Hello from the data dir of the example app.');
      expect(plain.stdout).toContain('hello over http');
    } finally {
      server.close();
    }
  }, 900_000);
});

describe('adapters', () => {
  it('loop compose [app] --profile fancy -o file', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const file = join(tmp, 'cli/out.wasm');
    const code = await main(['compose', relative(REPO, APP), '--profile', 'fancy', '-o', file], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: REPO });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toEqual([
      'plugged formatter into greeter: example:hello/formatter@0.1.0',
      `composed hello-app: ${relative(REPO, file)} (${(readFileSync(file).length / 1e6).toFixed(1)} MB; imports ${fancy.imports.join(', ')})`,
      `graph: ${relative(REPO, join(tmp, 'cli/out.loop.json'))}`,
    ]);
    expect(JSON.parse(readFileSync(join(tmp, 'cli/out.loop.json'), 'utf8')).profile).toBe('fancy');
  }, 300_000);

  it('the compose executor', async () => {
    const outputPath = relative(REPO, join(tmp, 'nx/hello.wasm'));
    const context = { root: REPO, cwd: REPO, isVerbose: false, projectName: 'hello-app' } as unknown as ExecutorContext;
    expect(await composeExecutor({ manifest: 'examples/apps/hello/app.loop.toml', outputPath }, context)).toEqual({ success: true });
    expect(readFileSync(join(REPO, outputPath)).equals(readFileSync(basic.out))).toBe(true);
  }, 300_000);

  it('the executor with graphPath, under a profile', async () => {
    const context = { root: REPO, cwd: REPO, isVerbose: false, projectName: 'hello-app' } as unknown as ExecutorContext;
    const outputPath = relative(REPO, join(tmp, 'nx2/hello-fancy.wasm'));
    const graphPath = relative(REPO, join(tmp, 'nx2/graph.json'));
    expect(await composeExecutor({ manifest: 'examples/apps/hello/app.loop.toml', outputPath, graphPath, profile: 'fancy' }, context)).toEqual({ success: true });
    expect(readFileSync(join(REPO, outputPath)).equals(readFileSync(fancy.out))).toBe(true);
    expect(JSON.parse(readFileSync(join(REPO, graphPath), 'utf8')).components[0].path).toBe('hello-fancy.wasm');
  }, 300_000);

  it('a graph file outside the composed file\'s directory is refused before anything is written (LOOP439)', async () => {
    const d = await loopErrorOf(composeApp(APP, { cwd: REPO, out: join(tmp, 'g1/x.wasm'), graphOut: join(tmp, 'g2/x.loop.json') }));
    expect(d[0]).toMatchObject({ code: 'LOOP439', file: join(tmp, 'g2/x.loop.json') });
    expect(existsSync(join(tmp, 'g1'))).toBe(false);
  });

  it('the executor reports a Loop error without a stack trace and fails', async () => {
    const context = { root: REPO, cwd: REPO, isVerbose: false, projectName: 'hello-app' } as unknown as ExecutorContext;
    const lines: string[] = [];
    const orig = console.error;
    console.error = (l: string) => void lines.push(l);
    try {
      expect(await composeExecutor({ manifest: 'examples/apps/hello/app.loop.toml', profile: 'nope' }, context)).toEqual({ success: false });
    } finally {
      console.error = orig;
    }
    expect(lines.join('\n')).toContain('error[LOOP215] unknown profile "nope"');
  });
});

/**
 * A component (text format) that exports `test:chain/<name>` { value: func() -> u32 }: `add`, or
 * the value of its import (`test:chain/<imports>`, or a full interface name) + `add`.
 */
const valueWat = (name: string, add: number, imports?: string) => `(component
${imports ? `  (import "${imports.includes(':') ? imports : `test:chain/${imports}`}" (instance $in (export "value" (func (result u32)))))
  (alias export $in "value" (func $inv))
  (core func $v (canon lower (func $inv)))
  (core module $m
    (import "in" "value" (func $v (result i32)))
    (func (export "value") (result i32) call $v i32.const ${add} i32.add))
  (core instance $ci (instantiate $m (with "in" (instance (export "value" (func $v))))))` : `  (core module $m (func (export "value") (result i32) i32.const ${add}))
  (core instance $ci (instantiate $m))`}
  (func $f (result u32) (canon lift (core func $ci "value")))
  (instance $out (export "value" (func $f)))
  (export "test:chain/${name}" (instance $out)))
`;

describe('defaults that import other defaults', () => {
  /** main (core) imports b; the defaults are given as name → [imports, add]. */
  function chainApp(dirName: string, defaults: Record<string, [string | undefined, number, string?]>) {
    const dir = join(tmp, dirName);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.wat'), valueWat('main', 0, 'b'));
    let toml = `[app]\nname = "${dirName}"\nentry = "main"\n\n[components.main]\nsource = "main.wat"\nclass = "core"\n`;
    for (const [name, [imports, add, exportName]] of Object.entries(defaults)) {
      writeFileSync(join(dir, `${name}.wat`), valueWat(exportName ?? name, add, imports));
      toml += `\n[components.${name}]\nsource = "${name}.wat"\nclass = "default"\n`;
    }
    writeFileSync(join(dir, 'app.loop.toml'), toml);
    return dir;
  }

  it('are composed first (main ← b ← c), and the result runs', async () => {
    const dir = chainApp('chain', { b: ['c', 2], c: [undefined, 40], d: [undefined, 1] });
    const r = await composeApp(dir, { cwd: dir, out: join(dir, 'out/chain.wasm') });
    expect(r.plugged).toEqual([
      { component: 'b', into: 'main', interfaces: ['test:chain/b'] },
      { component: 'c', into: 'b', interfaces: ['test:chain/c'] },
    ]);
    expect(r.unused).toEqual(['d']);
    expect(r.imports).toEqual([]);
    expect(r.exports).toEqual(['test:chain/main']);
    expect(r.graph.components.map((c) => c.name)).toEqual(['main', 'd']);
    const { exports } = await instantiateComponent(r.out, {});
    expect(exports['test:chain/main'].value()).toBe(42);
  });

  it('an entry that imports nothing a default exports is written unchanged, without wac, with a note', async () => {
    const dir = chainApp('nothing', { b: [undefined, 1] });
    writeFileSync(join(dir, 'main.wat'), valueWat('main', 5));
    const r = await composeApp(dir, { cwd: dir, out: join(dir, 'out/nothing.wasm'), env: { ...process.env, LOOP_WAC: join(tmp, 'no-such-wac') } });
    expect(r.plugged).toEqual([]);
    expect(r.unused).toEqual(['b']);
    expect(r.notes).toEqual(["nothing to plug: 'main' imports no interface a default component exports; the output is the entry component unchanged"]);
    const { exports } = await instantiateComponent(r.out, {});
    expect(exports['test:chain/main'].value()).toBe(5);
  });

  it('a plugged default reading config that disagrees with the entry on a key (LOOP434)', async () => {
    const dir = chainApp('config', { b: ['loop:app/config@0.1.0', 1] });
    const toml = readFileSync(join(dir, 'app.loop.toml'), 'utf8');
    writeFileSync(join(dir, 'app.loop.toml'), toml.replace('class = "core"\n', 'class = "core"\nconfig = { mode = "a", url = "x" }\n').replace('class = "default"\n', 'class = "default"\nconfig = { mode = "b", url = "x" }\n'));
    const d = await loopErrorOf(composeApp(dir, { cwd: dir, out: join(dir, 'out.wasm') }));
    expect(d).toEqual([
      expect.objectContaining({ code: 'LOOP434', field: 'components.b.config.mode', message: '\'b\' and \'main\' both set config key "mode" to different values; composed, they read one config' }),
    ]);
    // Agreeing keys and the default's own keys: one merged config for the composed entry.
    writeFileSync(join(dir, 'app.loop.toml'), toml.replace('class = "core"\n', 'class = "core"\nconfig = { mode = "a" }\n').replace('class = "default"\n', 'class = "default"\nconfig = { mode = "a", extra = "y" }\n'));
    const r = await composeApp(dir, { cwd: dir, out: join(dir, 'out.wasm') });
    expect(r.graph.components.map((c) => [c.name, c.config])).toEqual([['main', { mode: 'a', extra: 'y' }]]);
  });

  it('a cycle is refused (LOOP432)', async () => {
    const dir = chainApp('cycle', { b: ['c', 2], c: ['b', 40] });
    const d = await loopErrorOf(composeApp(dir, { cwd: dir, out: join(dir, 'out.wasm') }));
    expect(d).toEqual([expect.objectContaining({ code: 'LOOP432', message: 'default components import each other in a cycle: main → b → c → b' })]);
  });

  it('two defaults exporting one interface are refused (LOOP431 names both)', async () => {
    const dir = chainApp('twice', { b: [undefined, 1], other: [undefined, 2, 'b'] });
    const d = await loopErrorOf(composeApp(dir, { cwd: dir, out: join(dir, 'out.wasm') }));
    expect(d).toEqual([expect.objectContaining({ code: 'LOOP431', message: "component 'main' imports 'test:chain/b', which several default components export: 'b', 'other'" })]);
  });
});

describe('errors', () => {
  it('no default component exports an interface the entry imports (LOOP430)', async () => {
    const d = await loopErrorOf(composeApp(APP, { set: ['components.formatter.source=../../components/upper-js'], out: join(tmp, 'err/x.wasm'), cwd: REPO }));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'LOOP430', message: "component 'greeter' imports 'example:hello/formatter@0.1.0', which no default component exports and no host serves" });
    expect(d[0].hint).toContain("'formatter' (exports loop:plugin/plugin@0.1.0)");
    expect(existsSync(join(tmp, 'err/x.wasm'))).toBe(false);
  });

  /** A throwaway app dir holding copies of greeter (core) and `formatter` (default) files. */
  function tempApp(name: string, formatter: { file: string; data: string | Buffer }, extra = '') {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    cpSync(join(REPO, 'examples/components/greeter-rust/dist/greeter.wasm'), join(dir, 'greeter.wasm'));
    writeFileSync(join(dir, formatter.file), formatter.data);
    writeFileSync(
      join(dir, 'app.loop.toml'),
      `[app]\nname = "${name}"\nentry = "greeter"\n\n[components.greeter]\nsource = "greeter.wasm"\nclass = "core"\ntrust = "trusted"\n\n` +
        `[components.formatter]\nsource = "${formatter.file}"\nclass = "default"\n${extra}`,
    );
    return dir;
  }

  it('a default component file that is not WebAssembly (LOOP435 names the component and file)', async () => {
    const dir = tempApp('broken', { file: 'formatter.wasm', data: 'this is not wasm\n' });
    const d = await loopErrorOf(composeApp(dir, { cwd: REPO, out: join(dir, 'out.wasm') }));
    expect(d[0]).toMatchObject({ code: 'LOOP435', file: join(dir, 'formatter.wasm') });
    expect(d[0].message).toMatch(/^component 'formatter': not a WebAssembly component \(.+\)$/);
    expect(d[0].hint).toContain('jco wit');
  });

  it('a truncated component file (LOOP435)', async () => {
    const good = readFileSync(join(REPO, 'examples/components/formatter-basic-js/dist/formatter-basic.wasm'));
    const dir = tempApp('truncated', { file: 'formatter.wasm', data: good.subarray(0, 4096) });
    const d = await loopErrorOf(composeApp(dir, { cwd: REPO, out: join(dir, 'out.wasm') }));
    expect(d[0]).toMatchObject({ code: 'LOOP435', file: join(dir, 'formatter.wasm') });
    expect(d[0].message).toContain("component 'formatter': not a WebAssembly component");
  });

  it('a default that exports the interface with other types: wac fails (LOOP437 names both components)', async () => {
    // A component (text format) exporting example:hello/formatter@0.1.0 with format: func(text: u32) -> u32.
    const wat = `(component
  (core module $m (func (export "format") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (func $f (param "text" u32) (result u32) (canon lift (core func $i "format")))
  (instance $inst (export "format" (func $f)))
  (export "example:hello/formatter@0.1.0" (instance $inst)))
`;
    const dir = tempApp('mismatch', { file: 'formatter.wat', data: wat });
    const d = await loopErrorOf(composeApp(dir, { cwd: REPO, out: join(dir, 'out.wasm') }));
    expect(d[0].code).toBe('LOOP437');
    expect(d[0].message).toBe("wac plug failed composing component 'greeter' with 'formatter' (for example:hello/formatter@0.1.0): error: the socket component had no matching imports for the plugs that were provided");
    expect(d[0].hint).toContain('same types');
  });

  it("a plugged default importing what its trust class does not allow (LOOP433, the host's wording)", async () => {
    const formatter = readFileSync(join(REPO, 'examples/components/formatter-basic-js/dist/formatter-basic.wasm'));
    const dir = tempApp('denied', { file: 'formatter.wasm', data: formatter }, '\n[trust.untrusted]\nallow = ["loop:clock"]\n');
    const d = await loopErrorOf(composeApp(dir, { cwd: REPO, out: join(dir, 'out.wasm') }));
    expect(d[0]).toMatchObject({
      code: 'LOOP433',
      message: "component 'formatter' imports 'loop:log/logger@0.1.0' but trust class 'untrusted' does not allow 'loop:log'",
    });
  });

  it('wac missing (LOOP436 with the install hint)', async () => {
    const d = await loopErrorOf(composeApp(APP, { cwd: REPO, out: join(tmp, 'nowac/x.wasm'), env: { ...process.env, LOOP_WAC: join(tmp, 'no-such-wac') } }));
    expect(d[0]).toMatchObject({ code: 'LOOP436', message: `LOOP_WAC=${join(tmp, 'no-such-wac')}: no such file` });
    expect(d[0].hint).toContain('bash tools/setup/wac.sh');
  });

  it('the CLI prints the error with its code and exits 1', async () => {
    const err: string[] = [];
    const code = await main(['compose', 'examples/apps/hello', '--set', 'components.formatter.source=../../components/upper-js', '-o', join(tmp, 'err/cli.wasm')], { out: () => {}, err: (l) => err.push(l), cwd: REPO });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain("error[LOOP430] component 'greeter' imports 'example:hello/formatter@0.1.0'");
  });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));
