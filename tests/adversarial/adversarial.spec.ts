/**
 * The adversarial suite (issue #8): every hostile input Loop must survive, listed once, each
 * run against the real native host (`loop run` / `loop-host`, built as `cargo test` builds it)
 * and, where it applies, the real browser host (pack-web + Chromium). Each case asserts the
 * error text (what failed and where) and that the host then goes on serving: the example
 * app's greeter calls every plugin in turn, so the lines after a hostile plugin prove that
 * nothing else was lost.
 *
 * Cases whose check already exists as a focused test elsewhere are run from here (a cargo
 * test of the native host) or named with the spec that runs them in the same vitest run
 * (`covered`), so nothing is written twice. The table is printed at the end with the count.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureHostBinary, hostTargetDir, hostTemplateDir } from '../../packages/nx-loop/src/host';
import { packWeb } from '../../packages/nx-loop/src/pack-web/index';
import { serveSite } from '../../packages/nx-loop/src/pack-web/serve';
import { generateKeyPair, type SecretKey } from '../../packages/nx-loop/src/signing/keys';
import { signWasm } from '../../packages/nx-loop/src/signing/sign';
import { parseWasm } from '../../packages/nx-loop/src/signing/wasm';
import { copyExampleApp, dataServer, EXAMPLE_APP, EXAMPLE_COMPONENTS, EXPECTED_LINES, GREETING, launch, REPO, runLoop } from '../../packages/runtime-browser/test/browser';
import { adversaryWat, encode, FLOOD_BYTES } from './guests';

const LONG = 300_000;
const LOG_CAP = 64 * 1024;
/**
 * The plugins' deadline in the hostile app: long enough that the busy but finite plugins
 * (the 100 MiB log line) finish on a loaded 2-core machine, short enough to stop the spinner.
 */
const PLUGIN_DEADLINE_MS = 10_000;

type Where = 'native' | 'browser';
type Check = { kind: 'run'; run: () => Promise<void> } | { kind: 'covered'; by: string; test: string } | { kind: 'n/a'; why: string };
interface Case {
  id: string;
  what: string;
  native: Check;
  browser: Check;
}

const run = (f: () => Promise<void>): Check => ({ kind: 'run', run: f });
const covered = (by: string, name: string): Check => ({ kind: 'covered', by, test: name });
const na = (why: string): Check => ({ kind: 'n/a', why });

// ---------------------------------------------------------------------------------------------
// Shared fixtures

let host: string;
let data: Awaited<ReturnType<typeof dataServer>>;
let browser: Awaited<ReturnType<typeof launch>> | undefined;
let alice: SecretKey;
let mallory: SecretKey;
const cleanup: (() => unknown)[] = [];
const tmp = (tag: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `loop-adv-${tag}-`));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};

/**
 * The example app (a copy). The plugin directory's deadline is PLUGIN_DEADLINE_MS and the
 * components' raised (the greeter waits for every hostile plugin).
 */
function exampleApp(extra = ''): string {
  const app = copyExampleApp(data.origin, extra);
  cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
  const toml = path.join(app, 'app.loop.toml');
  const text = fs
    .readFileSync(toml, 'utf8')
    .replace('deadline-ms = 5000', 'deadline-ms = 120000')
    .replace('[plugins]\ndir = "plugins"\ntrust = "untrusted"\n', `[plugins]\ndir = "plugins"\ntrust = "untrusted"\nlimits = { deadline-ms = ${PLUGIN_DEADLINE_MS} }\n`);
  expect(text).toContain(`limits = { deadline-ms = ${PLUGIN_DEADLINE_MS} }`);
  fs.writeFileSync(toml, text);
  return app;
}

/**
 * `loop-host <args>`: exit status, signal, stdout, stderr. Asynchronous: the data server in
 * this process must keep answering the app's fetches while the host runs.
 */
function loopHost(args: string[]): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The code cache stays on (the example's JS components take minutes to compile from scratch).
    const child = spawn(host, args, { env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    child.stdin.end();
  });
}

/** A one-component graph (`main`, core, trusted) around a component file's bytes. */
function oneComponentGraph(tag: string, bytes: Uint8Array, extra: Record<string, unknown> = {}): string {
  const dir = tmp(tag);
  fs.writeFileSync(path.join(dir, 'main.wasm'), bytes);
  const graph = {
    format: 'loop.app/1',
    app: { name: tag, entry: 'main' },
    platform: 'native',
    profile: null,
    components: [{ name: 'main', class: 'core', trust: 'trusted', path: 'main.wasm', allow: ['loop:app', 'loop:log'] }],
    ...extra,
  };
  const file = path.join(dir, 'app.loop.json');
  fs.writeFileSync(file, JSON.stringify(graph, null, 2));
  return file;
}

/** The host refused cleanly: exit 1, no panic, no signal, one line naming what and where. */
function refusedCleanly(r: { status: number | null; signal: NodeJS.Signals | null; stderr: string }, ...needles: string[]) {
  expect(r.signal).toBeNull();
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(/panicked|RUST_BACKTRACE/);
  for (const n of needles) expect(r.stderr).toContain(n);
}

/** `lines` contains `want` in order (other lines may come between). */
function inOrder(lines: string[], want: string[]) {
  let i = 0;
  for (const l of lines) if (i < want.length && l === want[i]) i++;
  expect(want.slice(i), `missing, in order, from:\n${lines.join('\n')}`).toEqual([]);
}

/** Runs a cargo test of the native host (already compiled by ensureHostBinary's `cargo test --no-run`). */
function cargoTest(file: string, name: string) {
  const template = hostTemplateDir(__dirname) as string;
  const r = spawnSync('cargo', ['test', '--offline', '--manifest-path', path.join(template, 'Cargo.toml'), '-p', 'loop-host', '--test', file, '--', '--exact', name], {
    encoding: 'utf8',
    env: { ...process.env, CARGO_TARGET_DIR: hostTargetDir() },
  });
  expect(r.stdout + r.stderr).toMatch(/test result: ok\. 1 passed/);
}

// The example app with four hostile plugins, run once per host; several cases read the result.
const HOSTILE = ['aaa-flood', 'aaa-grow', 'aaa-recurse', 'aaa-spin'] as const;
let hostileNative: Promise<{ status: number | null; stdout: string; stderr: string }> | undefined;
async function hostileApp(): Promise<string> {
  const app = exampleApp();
  for (const name of HOSTILE) fs.writeFileSync(path.join(app, 'plugins', `${name}.wasm`), await encode(adversaryWat(name, name.slice(4) as never)));
  return app;
}
const nativeHostile = () => (hostileNative ??= hostileApp().then((app) => runLoop(['run', app])));

type Page = Awaited<ReturnType<NonNullable<typeof browser>['context']['newPage']>>;
async function openSite(outDir: string, pluginsDir: string | null): Promise<Page> {
  browser ??= await launch();
  const server = await serveSite(outDir, { pluginsDir });
  cleanup.push(() => server.close());
  const page = await browser.context.newPage();
  cleanup.push(() => page.close().catch(() => {}));
  await page.goto(server.url);
  await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.loopStatus ?? ''), null, { timeout: LONG });
  return page;
}
const logLines = (page: Page) => page.evaluate(() => [...document.querySelectorAll('#loop-log > div')].map((d) => d.textContent ?? ''));
const eventLines = (page: Page) => page.evaluate(() => [...document.querySelectorAll('#loop-events > div')].map((d) => d.textContent ?? ''));

let hostileBrowser: Promise<Page> | undefined;
const browserHostile = () =>
  (hostileBrowser ??= (async () => {
    const app = await hostileApp();
    const packed = await packWeb(app, { out: tmp('site-hostile') });
    return openSite(packed.outDir, packed.pluginsDir);
  })());

/**
 * After a hostile plugin was stopped, the page asks again: the plugin is a fresh instance
 * (it misbehaves again and is stopped again, with the same error) and another plugin answers.
 */
async function servesAgain(page: Page, plugin: string, error: string | RegExp) {
  const again = await page.evaluate((name) => (window as any).loop.callPlugin(name, 'again'), plugin);
  expect(again.ok).toBe(false);
  if (typeof error === 'string') expect(again.error).toBe(error);
  else expect(again.error).toMatch(error);
  const upper = await page.evaluate(() => (window as any).loop.callPlugin('upper', 'still here'));
  expect(upper).toEqual({ type: 'reply', id: expect.any(Number), ok: true, value: 'STILL HERE' });
}

/** The byte range of the first code section of a core module embedded in a component. */
function codeSection(component: Uint8Array): { start: number; end: number } {
  const outer = parseWasm(component);
  for (const s of outer.sections.filter((x) => x.id === 1)) {
    const inner = parseWasm(component.subarray(s.dataStart, s.end));
    const c = inner.sections.find((x) => x.id === 10);
    if (c) return { start: s.dataStart + c.dataStart, end: s.dataStart + c.end };
  }
  throw new Error('no embedded code section');
}

/** The example app with greeter in a keyed `trusted` class, its greeter signed by `by` (or not at all). */
function keyedApp(opts: { by?: SecretKey; unsigned?: 'demote'; tamper?: boolean }): { app: string; greeter: string } {
  const app = exampleApp(`\n[trust.trusted]\nallow = ["*"]\nkeys = ["${alice.publicKey}"]\n${opts.unsigned ? `unsigned = "${opts.unsigned}"\n` : ''}`);
  const original = fs.readFileSync(path.join(REPO, EXAMPLE_COMPONENTS[0]));
  let bytes = opts.by ? Buffer.from(signWasm(original, opts.by, { file: 'greeter.wasm' }).bytes) : Buffer.from(original);
  if (opts.tamper) {
    const { start, end } = codeSection(bytes);
    bytes[(start + end) >> 1] ^= 0x01;
  }
  const greeter = path.join(app, 'greeter.wasm');
  fs.writeFileSync(greeter, bytes);
  const toml = path.join(app, 'app.loop.toml');
  fs.writeFileSync(toml, fs.readFileSync(toml, 'utf8').replace(/(\[components\.greeter\]\nsource = )"[^"]+"/, '$1"greeter.wasm"'));
  return { app, greeter };
}

/** Packs a keyed app for the web from a signed greeter, then lets `mutate` change the site. */
async function keyedSite(mutate: (site: string, siteJson: any) => void): Promise<Page> {
  const { app } = keyedApp({ by: alice });
  const packed = await packWeb(app, { out: tmp('site-keyed') });
  const siteJson = JSON.parse(fs.readFileSync(path.join(packed.outDir, 'loop.site.json'), 'utf8'));
  mutate(packed.outDir, siteJson);
  fs.writeFileSync(path.join(packed.outDir, 'loop.site.json'), JSON.stringify(siteJson, null, 2));
  return openSite(packed.outDir, packed.pluginsDir);
}

// ---------------------------------------------------------------------------------------------
// The cases

const CASES: Case[] = [
  {
    id: 'malformed-wasm',
    what: 'a component file that is not WebAssembly (or a plugin file that is garbage)',
    native: run(async () => {
      const g = oneComponentGraph('malformed', Buffer.from('\0asm\x0d\0\x01\0\xff\xff\xff garbage'));
      refusedCleanly(await loopHost(['run', g]), "component 'main' is not a valid WebAssembly component", 'main.wasm');
      // A garbage plugin next to good ones: refused by name, the app serves the others.
      const app = exampleApp();
      fs.writeFileSync(path.join(app, 'plugins', 'junk.wasm'), Buffer.from('definitely not wasm'));
      const r = await runLoop(['run', app], {});
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd().split('\n')).toEqual(EXPECTED_LINES);
    }),
    browser: run(async () => {
      // pack-web refuses it before a browser ever sees it, naming the file.
      const app = exampleApp();
      fs.writeFileSync(path.join(app, 'plugins', 'junk.wasm'), Buffer.from('definitely not wasm'));
      await expect(packWeb(app, { out: tmp('site-junk') })).rejects.toThrow(/LOOP702|junk\.wasm/);
    }),
  },
  {
    id: 'truncated-wasm',
    what: 'a component cut short',
    native: run(async () => {
      const full = fs.readFileSync(path.join(REPO, EXAMPLE_COMPONENTS[0]));
      const g = oneComponentGraph('truncated', full.subarray(0, full.length >> 1));
      refusedCleanly(await loopHost(['run', g]), "component 'main' is not a valid WebAssembly component", 'main.wasm');
    }),
    browser: covered('packages/runtime-browser/test/browser.spec.ts', 'a tampered component file is refused before it is compiled, naming the file and both hashes'),
  },
  {
    id: 'core-module',
    what: 'a core module where a component is expected',
    native: run(async () => {
      const g = oneComponentGraph('core-module', await encode('(module (func (export "run")))'));
      refusedCleanly(await loopHost(['run', g]), "component 'main' is not a valid WebAssembly component", 'main.wasm');
    }),
    browser: run(async () => {
      const app = exampleApp();
      fs.writeFileSync(path.join(app, 'plugins', 'core.wasm'), await encode('(module (func (export "run")))'));
      await expect(packWeb(app, { out: tmp('site-core') })).rejects.toThrow(/core\.wasm/);
    }),
  },
  {
    id: 'manifest-errors',
    what: 'a manifest with every kind of error (all reported in one run) and malformed graphs',
    native: run(async () => {
      const r = await runLoop(['validate', path.join(REPO, 'spec/manifests/invalid/many-errors')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/\d+ errors in .*many-errors/);
      expect(r.stderr.match(/app\.loop\.toml:\d+:\d+: error\[LOOP\d+\]/g)?.length).toBeGreaterThanOrEqual(5);
      // The host itself: a graph of the wrong format / platform / entry.
      const g = oneComponentGraph('bad-graph', await encode('(component)'), { format: 'loop.app/9' });
      refusedCleanly(await loopHost(['run', g]), "field 'format' is 'loop.app/9'", 'app.loop.json');
      cargoTest('graph', 'bad_graph_fields_are_named');
    }),
    browser: run(async () => {
      const app = exampleApp();
      const packed = await packWeb(app, { out: tmp('site-badgraph') });
      const graph = path.join(packed.outDir, 'app.loop.json');
      fs.writeFileSync(graph, JSON.stringify({ ...JSON.parse(fs.readFileSync(graph, 'utf8')), platform: 'native' }));
      const page = await openSite(packed.outDir, packed.pluginsDir);
      expect((await eventLines(page)).join('\n')).toContain("app.loop.json: resolved for platform 'native'; resolve the app with --platform web");
      expect(await logLines(page)).toEqual([]);
    }),
  },
  {
    id: 'duplicate-names',
    what: 'two components with the same name',
    native: run(async () => {
      const r = await runLoop(['validate', path.join(REPO, 'spec/manifests/invalid/duplicate-component')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/duplicate-component\/app\.loop\.toml:\d+:\d+: error/);
      const g = oneComponentGraph('dup', await encode('(component)'));
      const graph = JSON.parse(fs.readFileSync(g, 'utf8'));
      graph.components.push({ ...graph.components[0] });
      fs.writeFileSync(g, JSON.stringify(graph));
      refusedCleanly(await loopHost(['run', g]), "component 'main' is listed twice", 'app.loop.json');
    }),
    browser: run(async () => {
      const packed = await packWeb(exampleApp(), { out: tmp('site-dup') });
      const file = path.join(packed.outDir, 'app.loop.json');
      const graph = JSON.parse(fs.readFileSync(file, 'utf8'));
      graph.components.push({ ...graph.components[1] });
      fs.writeFileSync(file, JSON.stringify(graph));
      const page = await openSite(packed.outDir, packed.pluginsDir);
      expect((await eventLines(page)).join('\n')).toContain(`app.loop.json: component '${graph.components[1].name}' is listed twice`);
    }),
  },
  {
    id: 'plugin-dir-junk',
    what: 'a plugin directory holding non-wasm files, a directory, a dotfile and a text file named .wasm',
    native: run(async () => {
      const app = exampleApp();
      const dir = path.join(app, 'plugins');
      fs.writeFileSync(path.join(dir, 'README.md'), '# notes');
      fs.writeFileSync(path.join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      fs.mkdirSync(path.join(dir, 'sub.wasm'));
      fs.writeFileSync(path.join(dir, '.hidden.wasm'), 'x');
      fs.writeFileSync(path.join(dir, 'text.wasm'), 'hello, I am text');
      const r = await runLoop(['run', app]);
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd().split('\n')).toEqual(EXPECTED_LINES);
      const g = path.join(app, '.loop/native/app.loop.json');
      const h = await loopHost(['run', g]);
      expect(h.status, h.stderr).toBe(0);
      expect(h.stderr).toMatch(/plugins\/text\.wasm: plugin 'text' is not a valid WebAssembly component/);
      expect(h.stderr).not.toMatch(/README|logo|hidden|sub\.wasm/);
    }),
    browser: run(async () => {
      const app = exampleApp();
      const dir = path.join(app, 'plugins');
      fs.writeFileSync(path.join(dir, 'README.md'), '# notes');
      fs.writeFileSync(path.join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      const packed = await packWeb(app, { out: tmp('site-dirjunk') });
      expect(packed.files.filter((f) => /README|logo/.test(f))).toEqual([]);
      const page = await openSite(packed.outDir, packed.pluginsDir);
      expect(await eventLines(page)).toEqual([]);
      expect(await logLines(page)).toEqual(EXPECTED_LINES);
    }),
  },
  {
    id: 'path-traversal',
    what: 'a guest reading ../ and absolute paths outside its fs root',
    native: run(async () => {
      cargoTest('providers', 'host_dir_denies_parent_absolute_and_symlink_escapes');
      cargoTest('command', 'dir_is_preopened_and_cannot_be_escaped');
    }),
    browser: covered('packages/runtime-browser/test/providers.spec.ts', 'fs (memory): read/write/list/remove/exists, not-found, and no escape from the root'),
  },
  {
    id: 'symlink-escape',
    what: "a symlink in the app's fs root pointing outside it",
    native: run(async () => {
      const app = exampleApp();
      const outside = path.join(tmp('outside'), 'secret.txt');
      fs.writeFileSync(outside, 'TOP SECRET');
      fs.rmSync(path.join(app, 'data/greeting.txt'));
      fs.symlinkSync(outside, path.join(app, 'data/greeting.txt'));
      const r = await runLoop(['run', app]);
      expect(r.status).toBe(1);
      expect(r.stdout).not.toContain('TOP SECRET');
      expect(r.stdout).toMatch(/\[greeter\] error: cannot read greeting\.txt: denied \(/);
      expect(r.stderr).toContain("component 'greeter' failed: cannot read greeting.txt: denied");
    }),
    browser: run(async () => {
      // pack-web seeds OPFS from the fs root: a symlink is not followed out of it.
      const app = exampleApp();
      const outside = path.join(tmp('outside-web'), 'secret.txt');
      fs.writeFileSync(outside, 'TOP SECRET');
      fs.symlinkSync(outside, path.join(app, 'data/leak.txt'));
      const packed = await packWeb(app, { out: tmp('site-symlink') });
      expect(packed.files.filter((f) => f.includes('leak'))).toEqual([]);
      for (const f of packed.files) expect(fs.readFileSync(path.join(packed.outDir, f)).includes('TOP SECRET')).toBe(false);
    }),
  },
  {
    id: 'http-outside-allow-list',
    what: 'a fetch of an origin outside loop:http allow',
    native: run(async () => {
      const app = exampleApp();
      const r = await runLoop(['run', '--set', 'components.greeter.config.url=http://127.0.0.1:9/elsewhere.txt', app]);
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      // The native wording names the URL (the browser's names the allow list, browser.spec.ts).
      expect(lines).toContain('[greeter] error: fetch http://127.0.0.1:9/elsewhere.txt failed: denied (http://127.0.0.1:9/elsewhere.txt)');
      expect(lines.at(-1)).toBe(EXPECTED_LINES.at(-1));
    }),
    browser: covered('packages/runtime-browser/test/browser.spec.ts', 'provider errors reach the guest as WIT errs (denied fetch, missing file, plugin err) and the host keeps serving'),
  },
  {
    id: 'infinite-loop',
    what: 'a plugin whose handle never returns',
    native: run(async () => {
      const r = await nativeHostile();
      expect(r.stdout).toContain(`[greeter] error: plugin aaa-spin failed: plugin 'aaa-spin' exceeded its deadline of ${PLUGIN_DEADLINE_MS} ms and was stopped`);
      inOrder(r.stdout.split('\n'), EXPECTED_LINES);
    }),
    browser: run(async () => {
      // Each plugin runs in its own worker; the host terminates it at the deadline.
      const page = await browserHostile();
      const lines = await logLines(page);
      expect(lines).toContain(`[greeter] error: plugin aaa-spin failed: plugin 'aaa-spin' exceeded its deadline of ${PLUGIN_DEADLINE_MS} ms and was stopped`);
      inOrder(lines, EXPECTED_LINES);
      await servesAgain(page, 'aaa-spin', `plugin 'aaa-spin' exceeded its deadline of ${PLUGIN_DEADLINE_MS} ms and was stopped`);
    }),
  },
  {
    id: 'memory-bomb',
    what: 'a plugin that grows its memory without end',
    native: run(async () => {
      const r = await nativeHostile();
      expect(r.stdout).toMatch(/\[greeter\] error: plugin aaa-grow failed: plugin 'aaa-grow' exceeded its memory limit of 128 MiB \(tried to grow to \d+ bytes\) and was stopped/);
      inOrder(r.stdout.split('\n'), EXPECTED_LINES);
    }),
    browser: run(async () => {
      // The cap is the maximum of the memory the plugin's core module defines: growing past it fails.
      const page = await browserHostile();
      const lines = await logLines(page);
      const memory = /^plugin 'aaa-grow' exceeded its memory limit of 128 MiB \(its linear memory was at \d+ bytes when it trapped: [^()]*unreachable[^()]*\) and was stopped$/;
      const grow = lines.filter((l) => l.startsWith('[greeter] error: plugin aaa-grow failed: '));
      expect(grow).toHaveLength(1);
      expect(grow[0].slice('[greeter] error: plugin aaa-grow failed: '.length)).toMatch(memory);
      inOrder(lines, EXPECTED_LINES);
      await servesAgain(page, 'aaa-grow', memory);
    }),
  },
  {
    id: 'stack-overflow',
    what: 'a plugin recursing without end',
    native: run(async () => {
      const r = await nativeHostile();
      expect(r.stdout).toMatch(/\[greeter\] error: plugin aaa-recurse failed: plugin 'aaa-recurse' trapped: .*stack/);
      inOrder(r.stdout.split('\n'), EXPECTED_LINES);
    }),
    browser: run(async () => {
      const page = await browserHostile();
      const lines = await logLines(page);
      expect(lines.some((l) => /^\[greeter\] error: plugin aaa-recurse failed: .*(stack|recursion)/i.test(l)), lines.join('\n')).toBe(true);
      inOrder(lines, EXPECTED_LINES);
    }),
  },
  {
    id: 'log-flood',
    what: 'a plugin that logs one 100 MiB message',
    native: run(async () => {
      const r = await nativeHostile();
      const flood = r.stdout.split('\n').find((l) => l.startsWith('[aaa-flood] info: '));
      expect(flood).toBeDefined();
      expect(flood!.length).toBeLessThan(LOG_CAP + 200);
      expect(flood).toMatch(new RegExp(`^\\[aaa-flood\\] info: x{${LOG_CAP}}… \\[cut by the host: a ${FLOOD_BYTES}-byte message, the first ${LOG_CAP} bytes kept\\]$`));
      expect(r.stdout).toContain('[greeter] info: plugin aaa-flood: survived');
      inOrder(r.stdout.split('\n'), EXPECTED_LINES);
    }),
    browser: run(async () => {
      const page = await browserHostile();
      const lines = await logLines(page);
      const flood = lines.find((l) => l.startsWith('[aaa-flood] info: '));
      expect(flood, lines.filter((l) => !l.startsWith('[aaa-flood]')).join('\n')).toBeDefined();
      expect(flood).toMatch(new RegExp(`^\\[aaa-flood\\] info: x{${LOG_CAP}}… \\[cut by the host: a ${FLOOD_BYTES}-byte message, the first ${LOG_CAP} bytes kept\\]$`));
      expect(lines).toContain('[greeter] info: plugin aaa-flood: survived');
      inOrder(lines, EXPECTED_LINES);
    }),
  },
  {
    id: 'tampered-signed-component',
    what: "a byte of a signed component's code section changed after signing",
    native: run(async () => {
      const { app, greeter } = keyedApp({ by: alice });
      // Resolve while it is intact (the resolver would refuse it too), then tamper.
      expect((await runLoop(['resolve', app, '--out', path.join(app, 'app.loop.json')])).status).toBe(0);
      const bytes = fs.readFileSync(greeter);
      const { start, end } = codeSection(bytes);
      bytes[(start + end) >> 1] ^= 0x01;
      fs.writeFileSync(greeter, bytes);
      const v = await runLoop(['verify', greeter, '--key', alice.publicKey.toString()]);
      expect(v.status).toBe(1);
      expect(v.stderr).toMatch(/greeter\.wasm.*error\[LOOP506\].*does not match the content/s);
      // The graph still carries the old sha256: fix it so the signature check is what refuses.
      const g = path.join(app, 'app.loop.json');
      const graph = JSON.parse(fs.readFileSync(g, 'utf8'));
      graph.components[0].sha256 = createHash('sha256').update(bytes).digest('hex');
      fs.writeFileSync(g, JSON.stringify(graph));
      refusedCleanly(await loopHost(['run', g]), "component 'greeter' has trust class 'trusted', which requires a valid signature by one of its keys (trust.trusted.keys), but tampered: the signature by ed25519:", 'greeter.wasm');
      cargoTest('signatures', 'tampered_code_section_byte_is_refused');
    }),
    browser: run(async () => {
      let signedFile = '';
      const page = await keyedSite((site, siteJson) => {
        signedFile = siteJson.components.greeter.signed.file;
        const bytes = fs.readFileSync(path.join(site, signedFile));
        const { start, end } = codeSection(bytes);
        bytes[(start + end) >> 1] ^= 0x01;
        fs.writeFileSync(path.join(site, signedFile), bytes);
      });
      const events = (await eventLines(page)).join('\n');
      expect(events).toContain(`refused: ${signedFile}: component 'greeter' has trust class 'trusted', which requires a valid signature by one of its keys (trust.trusted.keys), but tampered: the signature by ${alice.publicKey}`);
      expect(await logLines(page)).toEqual([]);
    }),
  },
  {
    id: 'core-module-swapped-under-signature',
    what: 'a transpiled core module replaced (and its hash in loop.site.json updated) next to an intact signed component',
    native: na('the native host compiles the signed file itself; there is no separate core module to swap'),
    browser: run(async () => {
      const page = await keyedSite((site, siteJson) => {
        const g = siteJson.components.greeter;
        const core = Object.keys(g.files).find((f) => f.endsWith('.core.wasm')) as string;
        const bytes = fs.readFileSync(path.join(site, g.dir, core));
        bytes[bytes.length - 3] ^= 0x01;
        fs.writeFileSync(path.join(site, g.dir, core), bytes);
        g.files[core] = createHash('sha256').update(bytes).digest('hex');
      });
      expect((await eventLines(page)).join('\n')).toMatch(/refused: .*component 'greeter' .* but tampered: core module components\/greeter-[0-9a-f]+\/greeter\.core\.wasm \(sha256 [0-9a-f]{64}\) is not one of the modules of the signed component/);
      expect(await logLines(page)).toEqual([]);
    }),
  },
  {
    id: 'unknown-key',
    what: 'a component signed by a key its trust class does not list',
    native: run(async () => {
      const { app } = keyedApp({ by: mallory });
      const r = await runLoop(['resolve', app]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/error\[LOOP510\].*component "greeter".*\[LOOP505\] is not signed by key/s);
      // The host on a graph written before the key changed: the same refusal at start.
      const g = path.join(app, 'g.json');
      const graph = JSON.parse((await runLoop(['resolve', exampleApp()])).stdout);
      graph.components.find((c: any) => c.name === 'greeter').path = path.join(app, 'greeter.wasm');
      delete graph.components.find((c: any) => c.name === 'greeter').sha256;
      graph.trust.trusted.keys = [alice.publicKey.toString()];
      for (const c of graph.components) if (!path.isAbsolute(c.path)) c.path = path.resolve(EXAMPLE_APP, c.path);
      graph.plugins.dir = path.join(app, 'plugins');
      for (const cap of Object.values(graph.capabilities) as any[]) if (cap.root) cap.root = path.join(app, 'data');
      fs.writeFileSync(g, JSON.stringify(graph));
      refusedCleanly(await loopHost(['run', g]), "component 'greeter' has trust class 'trusted'", 'but unknown key: none of its 1 signature(s) is by', 'greeter.wasm');
    }),
    browser: run(async () => {
      // The site's graph lists another key than the one that signed (a rotated key).
      const other = generateKeyPair();
      let page: Page | undefined;
      page = await keyedSite((site) => {
        const g = path.join(site, 'app.loop.json');
        const graph = JSON.parse(fs.readFileSync(g, 'utf8'));
        graph.trust.trusted.keys = [other.publicKey.toString()];
        fs.writeFileSync(g, JSON.stringify(graph));
      });
      expect((await eventLines(page)).join('\n')).toContain(`but unknown key: none of its 1 signature(s) is by ${other.publicKey}`);
      expect(await logLines(page)).toEqual([]);
    }),
  },
  {
    id: 'unsigned-demoted',
    what: 'an unsigned component in a class with unsigned = "demote" runs as untrusted, said once',
    native: run(async () => {
      const { app } = keyedApp({ unsigned: 'demote' });
      const r = await runLoop(['run', app]);
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd().split('\n')).toEqual(EXPECTED_LINES);
      expect(r.stderr.match(/running it as 'untrusted'/g)).toHaveLength(1);
      expect(r.stderr).toMatch(/component 'greeter' \(.*greeter\.wasm\) has no valid signature for trust class 'trusted' \(no signature: .*\); running it as 'untrusted'/);
      cargoTest('signatures', 'demoted_component_importing_outside_untrusted_is_refused');
    }),
    browser: run(async () => {
      const { app } = keyedApp({ unsigned: 'demote' });
      const packed = await packWeb(app, { out: tmp('site-demote') });
      expect(packed.signatures.demoted).toHaveLength(1);
      const page = await openSite(packed.outDir, packed.pluginsDir);
      const events = await eventLines(page);
      expect(events.filter((e) => e.startsWith('demoted: '))).toHaveLength(1);
      expect(events[0]).toMatch(/^demoted: component 'greeter' \(.*\) has no valid signature for trust class 'trusted' \(no signature: .*\); running it as 'untrusted'/);
      expect(await logLines(page)).toEqual(EXPECTED_LINES);
    }),
  },
  {
    id: 'signed-component-runs',
    what: 'the control: a component signed by a listed key runs in both hosts',
    native: run(async () => {
      const { app } = keyedApp({ by: alice });
      const r = await runLoop(['run', app]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trimEnd().split('\n')).toEqual(EXPECTED_LINES);
    }),
    browser: run(async () => {
      const page = await keyedSite(() => {});
      expect(await eventLines(page)).toEqual([]);
      expect(await logLines(page)).toEqual(EXPECTED_LINES);
    }),
  },
  {
    id: 'corrupted-packed-payload',
    what: 'a packed executable with flipped payload bytes, or cut short',
    native: run(async () => {
      cargoTest('pack', 'flipped_bytes_anywhere_in_the_payload_fail_the_checksum');
      cargoTest('pack', 'truncated_files_are_reported_as_truncated');
    }),
    browser: na('pack-web writes a static site, no payload; a changed site file is the sha256 case of browser.spec.ts'),
  },
  {
    id: 'plugin-garbage-mid-run',
    what: 'a plugin file replaced by garbage (then by a truncated component) while the app runs',
    native: run(async () => cargoTest('adversarial', 'plugin_replaced_by_garbage_mid_run_keeps_the_previous_version_serving')),
    browser: run(async () => {
      // `loop serve` re-packs the plugin dir when a file changes; garbage cannot be packed, so
      // the page keeps the version it runs and the error names the file.
      const app = exampleApp();
      const file = path.join(app, 'plugins', 'swap.wasm');
      fs.writeFileSync(file, await encode(adversaryWat('swap', 'recurse').replace('(call $deep (i32.const 0)) drop', '')));
      const packed = await packWeb(app, { out: tmp('site-garbage') });
      const served: string[] = [];
      const server = await serveSite(packed.outDir, { pluginsDir: packed.pluginsDir, log: (l) => served.push(l) });
      cleanup.push(() => server.close());
      browser ??= await launch();
      const page = await browser.context.newPage();
      cleanup.push(() => page.close().catch(() => {}));
      await page.goto(server.url);
      await page.waitForFunction(() => document.documentElement.dataset.loopStatus === 'done', null, { timeout: LONG });
      const call = () => page.evaluate(() => (window as any).loop.callPlugin('swap', 'x'));
      expect(await call()).toMatchObject({ ok: true, value: 'survived' });
      fs.writeFileSync(file, Buffer.from('garbage, not a component'));
      await server.repackPlugins();
      expect(served.join('\n')).toMatch(/plugins not re-packed: .*swap\.wasm/);
      expect(await page.evaluate(() => (window as any).loop.reloadPlugins())).toMatchObject({ ok: true });
      expect(await call()).toMatchObject({ ok: true, value: 'survived' });
      expect(await page.evaluate(() => (window as any).loop.run())).toMatchObject({ ok: true });
    }),
  },
];

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  const missing = EXAMPLE_COMPONENTS.filter((c) => !fs.existsSync(path.join(REPO, c)));
  if (missing.length) throw new Error(`example components are not built: ${missing.join(', ')}; run \`node_modules/.bin/nx run-many -t build-component\``);
  host = ensureHostBinary({ profile: 'debug', stdio: ['ignore', 'ignore', 'inherit'] });
  data = await dataServer(path.join(EXAMPLE_APP, 'www'));
  alice = generateKeyPair();
  mallory = generateKeyPair();
}, LONG * 4);

afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await browser?.close();
  await data?.close();
  const cell = (c: Check) => (c.kind === 'run' ? 'run here' : c.kind === 'covered' ? `covered: ${c.by} › ${c.test}` : `n/a: ${c.why}`);
  const hostChecks = CASES.flatMap((c) => [c.native, c.browser]).filter((c) => c.kind !== 'n/a').length;
  console.log(
    [
      `adversarial suite: ${CASES.length} cases, ${hostChecks} host checks (native + browser)`,
      ...CASES.map((c) => `  ${c.id.padEnd(38)} native: ${cell(c.native)}\n  ${''.padEnd(38)} browser: ${cell(c.browser)}`),
    ].join('\n'),
  );
});

describe('adversarial suite', () => {
  for (const c of CASES) {
    for (const where of ['native', 'browser'] as Where[]) {
      const check = c[where];
      if (check.kind === 'run') test(`${c.id} [${where}]: ${c.what}`, check.run, LONG);
      else if (check.kind === 'covered') {
        // The named test exists where the table says (so the table cannot silently rot).
        test(`${c.id} [${where}]: covered by ${path.basename(check.by)}`, () => {
          expect(fs.readFileSync(path.join(REPO, check.by), 'utf8')).toContain(check.test);
        });
      }
    }
  }
});
