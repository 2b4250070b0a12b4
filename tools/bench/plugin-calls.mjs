#!/usr/bin/env node
// Browser host benchmark: host→plugin call latency. Packs the example app with `packWeb`
// (the workspace's @loop/runtime-browser), opens it in headless Chromium, and times
// `loop.callPlugin(name, input)` from the page — page → worker host → plugin → back — for
// each plugin, sequential calls after a warm-up. Prints the median and p90 per call, the
// calls per second, and the load average before and after.
//
//   node tools/bench/plugin-calls.mjs [--calls 300] [--rounds 5] [--against <git rev>]
//
// --against REV: A/B in one run — the same site also served with the worker host of REV
// (packages/runtime-browser/src at that commit, bundled like pack-web bundles it), both pages
// measured in alternating rounds; prints both and the ratio (this tree / REV).
// --loads N (default 5): also N page loads per side, alternating, each in a new browser
// context (its own HTTP cache, no service worker yet): time from navigation to the first log
// line (page.js's window.__loopFirstLog; the entry runs once every plugin is loaded).
//
// Needs: npm run build (packages/nx-loop/dist), the example components built, /usr/bin/chromium.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(REPO, 'examples/apps/hello');
const CHROMIUM = process.env.LOOP_CHROMIUM ?? '/usr/bin/chromium';
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1] || dflt) || dflt;
const calls = arg('--calls', 300);
const rounds = arg('--rounds', 5);
const loads = arg('--loads', 5);
const against = process.argv.includes('--against') ? process.argv[process.argv.indexOf('--against') + 1] : undefined;
if (!fs.existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(1);
}
const { packWeb } = require(path.join(REPO, 'packages/nx-loop/dist/pack-web/index.js'));
const { chromium } = await import('playwright-core');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-bench-calls-'));
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const loadBefore = load();

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.txt': 'text/plain' };
let browser;
let server;
try {
  // The example app as is (its http fetch goes nowhere: the entry's run may fail; plugins load).
  const app = path.join(work, 'app');
  fs.mkdirSync(path.join(app, 'plugins'), { recursive: true });
  fs.cpSync(path.join(EXAMPLE, 'data'), path.join(app, 'data'), { recursive: true });
  fs.writeFileSync(
    path.join(app, 'app.loop.toml'),
    fs
      .readFileSync(path.join(EXAMPLE, 'app.loop.toml'), 'utf8')
      .replace(/^#:schema.*$/m, '')
      .replace(/source = "(\.\.\/[^"]+)"/g, (_m, rel) => `source = ${JSON.stringify(path.resolve(EXAMPLE, rel))}`),
  );
  const site = path.join(work, 'site');
  await packWeb(app, { out: site });
  /** @type {Record<string, string>} label → URL path prefix */
  const sides = { this: '' };
  if (against) {
    // The same site with REV's worker host: another directory whose loop-worker.js differs.
    const src = path.join(work, 'rev');
    fs.mkdirSync(src);
    execFileSync('sh', ['-c', `git -C "${REPO}" archive "${against}" packages/runtime-browser/src | tar -x -C "${src}"`]);
    const { loadRolldown } = require(path.join(REPO, 'packages/nx-loop/dist/pack-web/esm.js'));
    const { rolldown } = await loadRolldown();
    const b = await rolldown({ input: path.join(src, 'packages/runtime-browser/src/worker.js'), platform: 'browser', treeshake: true, logLevel: 'silent' });
    const { output } = await b.generate({ format: 'esm', minify: true, codeSplitting: false });
    await b.close();
    fs.cpSync(site, path.join(work, 'site-rev'), { recursive: true });
    fs.writeFileSync(path.join(work, 'site-rev', 'loop-worker.js'), output[0].code);
    sides[against] = 'rev/';
  }

  server = http.createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    let root = site;
    if (rel.startsWith('rev/')) [root, rel] = [path.join(work, 'site-rev'), rel.slice(4)];
    const file = path.join(root, rel || 'index.html');
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  const url = await new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${server.address().port}/`)));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  /** @type {Record<string, number[]>} */
  const firstLog = Object.fromEntries(Object.keys(sides).map((l) => [l, []]));
  for (let i = 0; i < loads; i++) {
    for (const [label, prefix] of Object.entries(sides)) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url + prefix);
      await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.loopStatus ?? ''), null, { timeout: 300_000 });
      firstLog[label].push(await page.evaluate(() => /** @type {any} */ (window).__loopFirstLog));
      await context.close();
    }
  }
  const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const [label, xs] of Object.entries(firstLog)) {
    console.log(`${label === 'this' ? 'this tree' : label}: navigation → first log line ${median(xs).toFixed(0)} ms (median of ${loads} loads, new context each: ${xs.map((x) => x.toFixed(0)).join(' ')})`);
  }
  if (against) console.log(`first log line: this tree / ${against} = ${(median(firstLog.this) / median(firstLog[against])).toFixed(2)}×`);

  /** @type {Record<string, any>} */
  const pages = {};
  for (const [label, prefix] of Object.entries(sides)) {
    const context = await browser.newContext(); // own HTTP cache and service worker
    const page = await context.newPage();
    await page.goto(url + prefix);
    await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.loopStatus ?? ''), null, { timeout: 300_000 });
    pages[label] = page;
  }

  /** @type {Record<string, Record<string, { median: number, p90: number, perSecond: number }>>} */
  const results = {};
  for (const name of ['upper', 'reverse']) {
    /** @type {Record<string, { median: number, p90: number, total: number }[]>} */
    const perRound = Object.fromEntries(Object.keys(sides).map((l) => [l, []]));
    for (let r = 0; r < rounds; r++) for (const [label, page] of Object.entries(pages)) {
      const times = await page.evaluate(
        async ({ name, calls }) => {
          const app = /** @type {any} */ (window).loop;
          for (let i = 0; i < 20; i++) await app.callPlugin(name, 'warm up');
          const out = [];
          for (let i = 0; i < calls; i++) {
            const t0 = performance.now();
            const res = await app.callPlugin(name, `hello ${i}`);
            out.push(performance.now() - t0);
            if (!res.ok) throw new Error(`${name}: ${res.error}`);
          }
          return out;
        },
        { name, calls },
      );
      times.sort((a, b) => a - b);
      perRound[label].push({ median: times[times.length >> 1], p90: times[Math.floor(times.length * 0.9)], total: times.reduce((a, b) => a + b, 0) });
    }
    for (const [label, rs] of Object.entries(perRound)) {
      const med = (/** @type {'median' | 'p90' | 'total'} */ k) => rs.map((x) => x[k]).sort((a, b) => a - b)[rs.length >> 1];
      (results[label] ??= {})[name] = { median: med('median'), p90: med('p90'), perSecond: (calls / med('total')) * 1000 };
    }
  }
  for (const [label, byPlugin] of Object.entries(results)) {
    for (const [name, r] of Object.entries(byPlugin)) {
      console.log(`${label === 'this' ? 'this tree' : label}: ${name}: median ${r.median.toFixed(3)} ms per call, p90 ${r.p90.toFixed(3)} ms, ${r.perSecond.toFixed(0)} calls/s (page → worker host → plugin → page; ${rounds} rounds × ${calls} calls, medians)`);
    }
  }
  if (against) {
    for (const name of ['upper', 'reverse']) {
      const a = results.this[name];
      const b = results[against][name];
      console.log(`${name}: this tree / ${against} = ${(a.median / b.median).toFixed(2)}× median latency, ${(b.perSecond / a.perSecond).toFixed(2)}× time per call (throughput)`);
    }
  }
  console.log(`load average: ${loadBefore} (before) / ${load()} (after)`);
} finally {
  await browser?.close();
  server?.close();
  fs.rmSync(work, { recursive: true, force: true });
}
