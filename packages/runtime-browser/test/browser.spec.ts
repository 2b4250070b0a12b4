/**
 * The browser host end to end: the example app packed by `pack-web`, served by `serveSite`
 * (the `loop serve` core) and run in headless Debian Chromium through playwright-core.
 * Components are the real example components (build them with `nx run-many -t build-component`)
 * and small real WAT plugins (test/plugins.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packWeb } from '../../nx-loop/src/pack-web/index';
import { serveSite } from '../../nx-loop/src/pack-web/serve';
import { copyExampleApp, dataServer, EXAMPLE_APP, EXAMPLE_COMPONENTS, EXPECTED_LINES, GREETING, launch, REPO, requireChromium, reverse, runLoop } from './browser';
import { pluginWat } from './plugins';

type Browser = Awaited<ReturnType<typeof launch>>;
type Page = Awaited<ReturnType<Browser['context']['newPage']>>;


const LONG = 120_000;
let browser: Browser;
let data: Awaited<ReturnType<typeof dataServer>>;
const cleanup: (() => Promise<void> | void)[] = [];

async function parse(wat: string): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco');
  return parse(wat);
}

async function waitDone(page: Page) {
  await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.loopStatus ?? ''), null, { timeout: LONG });
}

const logLines = (page: Page) => page.evaluate(() => [...document.querySelectorAll('#loop-log > div')].map((d) => d.textContent));
const eventLines = (page: Page) => page.evaluate(() => [...document.querySelectorAll('#loop-events > div')].map((d) => d.textContent));

/**
 * Stops the site's server and empties Chromium's HTTP cache, so that only the service worker's
 * cache can answer (the HTTP cache keeps content-addressed files for a year and used to hide
 * files missing from the service worker's cache).
 */
async function goOffline(b: Browser, page: Page, server: { close(): Promise<void> }) {
  await server.close();
  const cdp = await b.context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
}

async function packAndServe(app: string, opts: { inline?: boolean; set?: string[] } = {}) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-web-site-'));
  const packed = await packWeb(app, { out, inline: opts.inline, set: opts.set });
  cleanup.push(() => fs.rmSync(out, { recursive: true, force: true }));
  if (opts.inline) return { packed, url: `file://${path.join(out, 'index.html')}`, server: undefined };
  const server = await serveSite(out, { pluginsDir: packed.pluginsDir });
  cleanup.push(() => server.close());
  return { packed, url: server.url, server };
}

beforeAll(async () => {
  requireChromium();
  const missing = EXAMPLE_COMPONENTS.filter((c) => !fs.existsSync(path.join(REPO, c)));
  if (missing.length) {
    throw new Error(`example components are not built: ${missing.join(', ')}; run \`node_modules/.bin/nx run-many -t build-component\``);
  }
  data = await dataServer(path.join(EXAMPLE_APP, 'www'));
  browser = await launch();
}, LONG * 5);

afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await browser?.close();
  await data?.close();
});

describe('browser host (Chromium)', () => {
  test('the example app prints in the page what its components log', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const { url, packed } = await packAndServe(app);
    expect(packed.files).toEqual(expect.arrayContaining(['index.html', 'loop-worker.js', 'sw.js', 'app.loop.json', 'loop.site.json', 'plugins/index.json']));
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    expect(await eventLines(page)).toEqual([]);
    expect(await logLines(page)).toEqual(EXPECTED_LINES);
    await page.close();
  }, LONG * 3);

  test('prints the same lines as the native host for the same app (parity)', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const native = await runLoop(['run', app]);
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    const { url } = await packAndServe(app);
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    expect(await logLines(page)).toEqual(native.stdout.trimEnd().split('\n'));
    await page.close();
  }, LONG * 3);

  test('provider errors reach the guest as WIT errs (denied fetch, missing file, plugin err) and the host keeps serving', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const { url } = await packAndServe(app, { set: ['components.greeter.config.url=http://127.0.0.1:9/elsewhere.txt'] });
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    const lines = await logLines(page);
    expect(lines).toContain('[greeter] error: fetch http://127.0.0.1:9/elsewhere.txt failed: denied (http://127.0.0.1:9 is not in the loop:http allow list)');
    expect(lines).toContain(`[greeter] info: plugin upper: ${GREETING.toUpperCase()}`);
    const call = (name: string, input: string) => page.evaluate(([n, i]) => (window as any).loop.callPlugin(n, i), [name, input]);
    expect(await call('reverse', '')).toEqual({ type: 'reply', id: expect.any(Number), ok: false, error: 'reverse: nothing to reverse' });
    expect(await call('reverse', 'ab')).toMatchObject({ ok: true, value: 'ba' });
    // The file is gone from the app's OPFS directory: the guest sees err(not-found) and its
    // run() returns an err, again and again (no trap poisons the instance).
    await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const dir = await (await (await root.getDirectoryHandle('loop')).getDirectoryHandle('hello-app')).getDirectoryHandle('data');
      await dir.removeEntry('greeting.txt');
    });
    for (let i = 0; i < 2; i++) {
      expect(await page.evaluate(() => (window as any).loop.run())).toMatchObject({ ok: false, error: 'cannot read greeting.txt: not found (greeting.txt)' });
    }
    expect((await logLines(page)).at(-1)).toBe('[greeter] error: cannot read greeting.txt: not found (greeting.txt)');
    await page.close();
  }, LONG * 3);

  test('a tampered component file is refused before it is compiled, naming the file and both hashes', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const { url, packed } = await packAndServe(app);
    const site = JSON.parse(fs.readFileSync(path.join(packed.outDir, 'loop.site.json'), 'utf8'));
    const formatter = site.components.formatter;
    const file = Object.keys(formatter.files).find((f) => f.endsWith('.core.wasm')) as string;
    // The module is shipped gzipped: a byte changed inside it, then gzipped again (a valid .gz).
    expect(formatter.gzip).toEqual([file]);
    const stored = path.join(packed.outDir, formatter.dir, `${file}.gz`);
    const good = fs.readFileSync(stored);
    const bytes = zlib.gunzipSync(good);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(stored, zlib.gzipSync(bytes));
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    const events = await eventLines(page);
    expect(events).toHaveLength(1);
    const shown = `${formatter.dir}${file}.gz`.replace(/\./g, '\\.');
    expect(events[0]).toMatch(new RegExp(`^error: component 'formatter': ${shown} has sha256 [0-9a-f]{64} \\(gunzipped\\), loop\\.site\\.json says ${formatter.files[file]}$`));
    expect(await logLines(page)).toEqual([]);
    await page.close();
    // A .gz cut short is no gzip stream: refused the same way, naming the file. (Packed and
    // served again: another origin, so the first page's service worker does not answer.)
    const again = await packAndServe(app);
    const cutFile = path.join(again.packed.outDir, formatter.dir, `${file}.gz`);
    fs.writeFileSync(cutFile, fs.readFileSync(cutFile).subarray(0, good.length >> 1));
    const cut = await browser.context.newPage();
    await cut.goto(again.url);
    await waitDone(cut);
    const cutEvents = await eventLines(cut);
    expect(cutEvents).toHaveLength(1);
    expect(cutEvents[0]).toMatch(new RegExp(`^error: component 'formatter': ${shown}: cannot gunzip: `));
    expect(await logLines(cut)).toEqual([]);
    await cut.close();
  }, LONG * 3);

  test('--inline: one self-contained HTML file runs the same app from file://', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const { url, packed } = await packAndServe(app, { inline: true });
    expect(packed.files).toEqual(['index.html']);
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    // file:// has no OPFS: loop:fs falls back to memory, seeded from the packed data dir.
    expect(await eventLines(page)).toEqual([]);
    expect(await logLines(page)).toEqual(EXPECTED_LINES);
    await page.close();
  }, LONG * 3);

  test('an untrusted plugin importing loop:dom is refused with the message in the page; a trusted one may use it', async () => {
    const app = copyExampleApp(
      data.origin,
      '\n[components.painter]\nsource = "painter.wasm"\nclass = "plugin"\ntrust = "trusted"\n\n[capabilities."loop:dom"]\nprovider = "main-thread"\n',
    );
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    fs.writeFileSync(path.join(app, 'painter.wasm'), await parse(pluginWat({ name: 'painter', version: '1.0.0', prefix: 'painted:', dom: true })));
    fs.writeFileSync(path.join(app, 'plugins', 'intruder.wat'), pluginWat({ name: 'intruder', version: '1.0.0', prefix: 'x', dom: true }));
    const { url } = await packAndServe(app);
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    expect(await eventLines(page)).toEqual([
      "refused: component 'intruder' imports 'loop:dom/document' but trust class 'untrusted' does not allow 'loop:dom'",
    ]);
    const lines = await logLines(page);
    expect(lines).toContain(`[greeter] info: plugin painter: painted:${GREETING}`);
    expect(lines.some((l) => l?.includes('intruder'))).toBe(false);
    // The trusted plugin wrote the greeting into the page through loop:dom.
    expect(await page.textContent('#loop-app')).toBe(GREETING);
    expect(await page.evaluate(() => (window as any).loop.callPlugin('intruder', 'hi'))).toMatchObject({ ok: false, error: "no plugin named 'intruder'" });
    await page.close();
  }, LONG * 3);

  test('plugins run in workers of their own: loop:kv written by one plugin is read by another (the host store, replicated)', async () => {
    const app = copyExampleApp(data.origin, '\n[capabilities."loop:kv"]\nprovider = "memory"\n');
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    fs.writeFileSync(path.join(app, 'plugins', 'writer.wat'), pluginWat({ name: 'writer', version: '1.0.0', prefix: 'stored:', kv: 'set' }));
    fs.writeFileSync(path.join(app, 'plugins', 'reader.wat'), pluginWat({ name: 'reader', version: '1.0.0', prefix: 'read:', kv: 'get' }));
    const { url } = await packAndServe(app);
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitDone(page);
    expect(await eventLines(page)).toEqual([]);
    // The greeter called reader (nothing stored yet), then writer (stores the greeting).
    const lines = await logLines(page);
    expect(lines).toContain('[greeter] info: plugin reader: read:');
    expect(lines).toContain(`[greeter] info: plugin writer: stored:${GREETING}`);
    const call = (name: string, input: string) => page.evaluate(([n, i]) => (window as any).loop.callPlugin(n, i), [name, input]);
    expect(await call('reader', 'x')).toMatchObject({ ok: true, value: `read:${GREETING}` });
    expect(await call('writer', 'second value')).toMatchObject({ ok: true, value: 'stored:second value' });
    expect(await call('reader', 'x')).toMatchObject({ ok: true, value: 'read:second value' });
    // Each plugin has its own worker besides the host's.
    const workers = page.workers().map((w) => w.url());
    expect(workers.filter((u) => u.endsWith('/loop-worker.js')).length).toBeGreaterThanOrEqual(5); // host + upper, reverse, reader, writer
    await page.close();
  }, LONG * 3);

  test('replacing a plugin on the server swaps it without a reload; offline right after the swap, a reload starts the new version', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const pluginFile = path.join(app, 'plugins', 'swap.wat');
    fs.writeFileSync(pluginFile, pluginWat({ name: 'swap', version: '1.0.0', prefix: 'v1:' }));
    const { url, server, packed } = await packAndServe(app);
    // A profile of its own: service workers and caches of other tests' sites (a closed server's
    // port can be handed out again) must not answer for this origin when it goes offline.
    const own = await launch();
    cleanup.push(() => own.close());
    const page = await own.context.newPage();
    await page.goto(url);
    await waitDone(page);
    expect(await logLines(page)).toContain(`[greeter] info: plugin swap: v1:${GREETING}`);
    const call = (input: string) => page.evaluate((i) => (window as any).loop.callPlugin('swap', i), input);
    expect(await call('x')).toMatchObject({ ok: true, value: 'v1:x' });

    // The page listens to `loop serve`'s live channel.
    await page.waitForFunction(() => document.documentElement.dataset.loopLive === 'on', null, { timeout: LONG });
    // Page state: a counter the page keeps.
    await page.evaluate(() => {
      (window as any).counter = 0;
      for (let i = 0; i < 3; i++) (window as any).counter++;
    });
    // The swap comes while the service worker (registered once the app is done) may still be
    // installing, i.e. before it controls the worker host: the case that used to leave the
    // previous version (or an index without its files) in the offline cache.
    const swapped = page.waitForFunction(() => [...document.querySelectorAll('#loop-events > div')].some((d) => d.textContent?.startsWith('plugin swap swapped')), null, { timeout: LONG });
    fs.writeFileSync(pluginFile, pluginWat({ name: 'swap', version: '2.0.0', prefix: 'v2:' }));
    await swapped;
    expect(await call('x')).toMatchObject({ ok: true, value: 'v2:x' });
    expect(await page.evaluate(() => (window as any).counter)).toBe(3);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    // The core reaches the new version through loop:plugin/host too.
    expect(await page.evaluate(() => (window as any).loop.run())).toMatchObject({ ok: true });
    expect(await logLines(page)).toContain(`[greeter] info: plugin swap: v2:${GREETING}`);

    // Offline right after the swap: the page says when the service worker's cache holds the
    // new index with its files (a synchronous predicate: playwright takes a promise as truthy).
    const v2 = (JSON.parse(fs.readFileSync(path.join(packed.outDir, 'plugins/index.json'), 'utf8')).plugins as { name: string; version: string }[]).map((p) => `${p.name}@${p.version}`);
    expect(v2).toHaveLength(1);
    await page.waitForFunction(
      (want) => document.documentElement.dataset.loopOffline === 'ready' && document.documentElement.dataset.loopOfflinePlugins === want,
      v2.join(' '),
      { timeout: LONG },
    );
    await goOffline(own, page, server!);
    await page.reload();
    await waitDone(page);
    expect(await eventLines(page)).toEqual([]);
    const offline = await logLines(page);
    expect(offline).toContain(`[greeter] info: plugin swap: v2:${GREETING}`);
    expect(offline.filter((l) => l?.includes('v1:'))).toEqual([]);
    expect(await call('y')).toMatchObject({ ok: true, value: 'v2:y' });
    await page.close();
  }, LONG * 4);

  test('offline: after the first load the app starts with the server stopped', async () => {
    const app = copyExampleApp(data.origin);
    cleanup.push(() => fs.rmSync(app, { recursive: true, force: true }));
    const { url, server } = await packAndServe(app);
    const own = await launch();
    cleanup.push(() => own.close());
    const page = await own.context.newPage();
    await page.goto(url);
    await waitDone(page);
    await page.waitForFunction(() => document.documentElement.dataset.loopOffline === 'ready', null, { timeout: LONG });
    await goOffline(own, page, server!);
    await page.reload();
    await waitDone(page);
    expect(await logLines(page)).toEqual(EXPECTED_LINES);
    await page.close();
  }, LONG * 3);
});
