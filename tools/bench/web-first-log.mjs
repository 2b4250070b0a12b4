#!/usr/bin/env node
// Browser host benchmark: time from navigation to the first log line in the page, and bytes
// transferred (gzip) until then, for the example app packed by `loop pack web`, against a
// hand-written baseline page that loads the same components' raw `jco transpile` output (ESM,
// providers wired by --map to the same provider modules of @loop/runtime-browser) in a module
// worker and logs the first line. Each load is cold: a fresh Chromium profile, no HTTP cache,
// no service worker. Both sides are served by the same gzip static server.
//
//   node tools/bench/web-first-log.mjs [--runs 5]
//
// Needs: npm run build, the example components built, /usr/bin/chromium.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(REPO, 'examples/apps/hello');
const CHROMIUM = process.env.LOOP_CHROMIUM ?? '/usr/bin/chromium';
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;
if (!fs.existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(1);
}
const { packWeb } = require(path.join(REPO, 'packages/nx-loop/dist/pack-web/index.js'));
const { chromium } = await import('playwright-core');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-bench-web-'));

// --- servers ---------------------------------------------------------------------------
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.txt': 'text/plain' };
const gz = new Map();
let sent = 0;
function staticServer(root) {
  return http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(root, rel.endsWith('/') ? rel + 'index.html' : rel);
    res.setHeader('access-control-allow-origin', '*');
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
    let body = gz.get(file);
    if (!body) gz.set(file, (body = zlib.gzipSync(fs.readFileSync(file), { level: 6 })));
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-encoding': 'gzip', 'content-length': body.length, 'cache-control': 'no-cache' });
    sent += body.length;
    res.end(body);
  });
}
const listen = (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${srv.address().port}`)));
const data = staticServer(path.join(EXAMPLE, 'www'));
const dataOrigin = await listen(data);

// --- the example app (a copy whose http origin is the local data server) --------------
const app = path.join(work, 'app');
fs.mkdirSync(path.join(app, 'plugins'), { recursive: true });
fs.cpSync(path.join(EXAMPLE, 'data'), path.join(app, 'data'), { recursive: true });
fs.writeFileSync(
  path.join(app, 'app.loop.toml'),
  fs.readFileSync(path.join(EXAMPLE, 'app.loop.toml'), 'utf8')
    .replace(/^#:schema.*$/m, '')
    .replace(/source = "(\.\.\/[^"]+)"/g, (_m, rel) => `source = ${JSON.stringify(path.resolve(EXAMPLE, rel))}`)
    .replaceAll('http://127.0.0.1:8787', dataOrigin),
);
const site = path.join(work, 'site');
const packed = await packWeb(app, { out: site });

// --- the baseline: raw jco transpile (ESM) + hand-wired providers ------------------------
const base = path.join(work, 'baseline');
const jco = path.join(REPO, 'node_modules/@bytecodealliance/jco/dist/jco.js');
const runtimeSrc = path.join(REPO, 'packages/runtime-browser/src');
fs.cpSync(runtimeSrc, path.join(base, 'runtime'), { recursive: true });
const graph = packed.graph;
const comp = Object.fromEntries(JSON.parse(fs.readFileSync(path.join(site, 'app.loop.json'), 'utf8')).components.map((c) => [c.name, c]));
const wasmOf = (name) => {
  const resolved = JSON.parse(execFileSync(process.execPath, [path.join(REPO, 'packages/nx-loop/bin/loop.js'), 'resolve', app, '--platform', 'web']));
  return path.resolve(app, resolved.components.find((c) => c.name === name).path);
};
const maps = {
  greeter: ['loop:log/logger=../p/log-greeter.js', 'loop:fs/files=../p/fs.js', 'loop:http/client=../p/http.js', 'loop:app/config=../p/config-greeter.js', 'loop:plugin/host=../p/plugin-host.js', 'loop:plugin/types=../p/empty.js', 'example:hello/formatter=../p/formatter.js'],
  formatter: ['loop:log/logger=../p/log-formatter.js'],
  upper: ['loop:log/logger=../p/log-upper.js', 'loop:plugin/types=../p/empty.js'],
  reverse: ['loop:log/logger=../p/log-reverse.js', 'loop:plugin/types=../p/empty.js'],
};
for (const [name, m] of Object.entries(maps)) {
  const args = [jco, 'transpile', wasmOf(name), '-o', path.join(base, name), '--name', name, '-q', '--no-typescript', ...m.flatMap((x) => ['--map', x])];
  if (name === 'greeter') {
    args.push('--async-mode', 'jspi', '--async-exports', 'loop:app/entry#run');
    for (const f of ['loop:fs/files#read', 'loop:http/client#fetch', 'loop:plugin/host#call', 'loop:plugin/host#list']) args.push('--async-imports', f);
  }
  execFileSync(process.execPath, args, { stdio: 'inherit' });
}
const p = path.join(base, 'p');
fs.mkdirSync(p);
const w = (f, s) => fs.writeFileSync(path.join(p, f), s);
for (const n of ['greeter', 'formatter', 'upper', 'reverse']) {
  w(`log-${n}.js`, `import { createLogger } from '../runtime/providers/log.js';\nexport const { log } = createLogger({ component: ${JSON.stringify(n)}, emit: (e) => self.postMessage(e) })['loop:log/logger'];\n`);
}
w('empty.js', 'export {};\n');
w('config-greeter.js', `import { createConfig } from '../runtime/providers/config.js';\nexport const { get } = createConfig(${JSON.stringify({ config: comp.greeter.config })})['loop:app/config'];\n`);
const fsCap = graph.capabilities['loop:fs'];
w('fs.js', `import { createFiles } from '../runtime/providers/fs.js';
const seed = { files: ['greeting.txt'], load: async (f) => new Uint8Array(await (await fetch(new URL('../seed/' + f, import.meta.url))).arrayBuffer()) };
const { imports } = await createFiles({ provider: ${JSON.stringify(fsCap.provider)}, app: 'baseline', root: 'data', seed });
export const { read, write, list, remove, exists } = imports['loop:fs/files'];\n`);
fs.mkdirSync(path.join(base, 'seed'));
fs.copyFileSync(path.join(EXAMPLE, 'data/greeting.txt'), path.join(base, 'seed/greeting.txt'));
w('http.js', `import { createHttp } from '../runtime/providers/http.js';\nexport const { fetch } = createHttp({ allow: ${JSON.stringify(graph.capabilities['loop:http'].allow)} })['loop:http/client'];\n`);
w('formatter.js', `export { formatter as default } from '../formatter/formatter.js';\nimport { formatter } from '../formatter/formatter.js';\nexport const { format } = formatter;\n`);
w('plugin-host.js', `import { PluginRegistry } from '../runtime/providers/plugin.js';
import { plugin as upper } from '../upper/upper.js';
import { plugin as reverse } from '../reverse/reverse.js';
const r = new PluginRegistry();
for (const [name, p] of [['upper', upper], ['reverse', reverse]]) r.set({ name, source: name, info: p.info(), handle: (i) => p.handle(i) });
export const { list, call } = r.imports()['loop:plugin/host'];\n`);
fs.writeFileSync(path.join(base, 'worker.js'), `const { entry } = await import('./greeter/greeter.js');\nawait entry.run();\nself.postMessage({ type: 'done' });\n`);
fs.writeFileSync(path.join(base, 'index.html'), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>baseline</title><div id="loop-log"></div>
<script type="module">
const w = new Worker('./worker.js', { type: 'module' });
w.onmessage = (e) => {
  if (e.data.type === 'log') {
    if (!window.__loopFirstLog) window.__loopFirstLog = performance.now();
    const d = document.createElement('div'); d.textContent = e.data.line; document.getElementById('loop-log').appendChild(d);
  } else if (e.data.type === 'done') document.documentElement.dataset.loopStatus = 'done';
};
</script>\n`);

// --- measure -------------------------------------------------------------------------------
const siteUrl = await listen(staticServer(site));
const baseUrl = await listen(staticServer(base));
async function once(url) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-bench-profile-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await ctx.newPage();
    sent = 0;
    await page.goto(url);
    await page.waitForFunction(() => window.__loopFirstLog, null, { timeout: 120_000 });
    const bytes = sent;
    const ms = await page.evaluate(() => window.__loopFirstLog);
    const first = await page.evaluate(() => document.querySelector('#loop-log > div')?.textContent);
    return { ms, bytes, first };
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const results = { loop: [], baseline: [] };
for (let i = 0; i < runs; i++) {
  results.loop.push(await once(siteUrl));
  results.baseline.push(await once(baseUrl));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (k) => ({ ms: median(results[k].map((r) => r.ms)), bytes: median(results[k].map((r) => r.bytes)), first: results[k][0].first });
const a = sum('loop');
const b = sum('baseline');
console.log(`web-first-log: example app (hello-app), ${runs} cold loads each, median; gzip level 6 on both sides`);
console.log(`  loop pack web site : first log after ${a.ms.toFixed(0)} ms, ${(a.bytes / 1e6).toFixed(3)} MB transferred  (${JSON.stringify(a.first)})`);
console.log(`  raw jco baseline   : first log after ${b.ms.toFixed(0)} ms, ${(b.bytes / 1e6).toFixed(3)} MB transferred  (${JSON.stringify(b.first)})`);
console.log(`  ratio loop/baseline: time ${(a.ms / b.ms).toFixed(2)}x, bytes ${(a.bytes / b.bytes).toFixed(3)}x  (target <= 1.1x)`);
console.log(`  all runs (ms): loop ${results.loop.map((r) => r.ms.toFixed(0)).join(' ')} | baseline ${results.baseline.map((r) => r.ms.toFixed(0)).join(' ')}`);
fs.rmSync(work, { recursive: true, force: true });
process.exit(0);
