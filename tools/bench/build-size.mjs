#!/usr/bin/env node
// Benchmark: build time and component size per guest language (Rust, JS, TS) for the same
// hello component — a `core` component whose run() logs "hello from hello-<lang>" through
// loop:log — as scaffolded by `nx g @loop/nx:component` (the generator's own templates).
//
// Each build is a cold `node` process calling buildComponent() (what `nx run
// <p>:build-component` runs), timed as wall time of the whole process. "first" is the first
// build of the project; "rebuild" follows a one-line source edit. Rust reuses the shared
// guest cargo target dir (${LOOP_CACHE_DIR:-~/.cache/loop}/guest-target), so its first build
// here has wit-bindgen and std already compiled if anything was built before; JS/TS builds
// have no cache at all (componentize-js re-initialises StarlingMonkey every time).
// Sizes: the raw .wasm and gzip -9 of it.
//   node tools/bench/build-size.mjs [--runs 1] [--languages rust,js,ts]
// Needs `npm run build` (uses packages/nx-loop/dist) and the Rust guest toolchain.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, languages: { type: 'string', default: 'rust,js,ts' }, 'cold-rust': { type: 'boolean', default: false } } });
// --cold-rust: give the Rust builds an empty cache dir, so the first build compiles std
// (build-std) and wit-bindgen from scratch, as on a fresh machine.
const COLD_RUST = values['cold-rust'];
const RUNS = Number(values.runs);
const LANGS = values.languages.split(',');
const repo = join(fileURLToPath(import.meta.url), '../../..');
const dist = join(repo, 'packages/nx-loop/dist');
const require = createRequire(import.meta.url);

// A scratch workspace like a user's: nx.json, wit/ and tools/ of this repo.
const ws = mkdtempSync(join(tmpdir(), 'loop-bench-build-'));
writeFileSync(join(ws, 'nx.json'), '{}\n');
for (const l of ['wit', 'tools', 'node_modules']) symlinkSync(join(repo, l), join(ws, l));

const { FsTree, flushChanges } = require(join(repo, 'node_modules/nx/dist/src/generators/tree.js'));
const { componentGenerator } = require(join(dist, 'generators/component/generator.js'));
const tree = new FsTree(ws, false);
for (const language of LANGS) {
  await componentGenerator(tree, { name: `hello-${language}`, language, world: 'core' });
}
flushChanges(ws, tree.listChanges());

function buildOnce(dir, env = process.env) {
  const script = `require(${JSON.stringify(join(dist, 'build/index.js'))}).buildComponent(${JSON.stringify(dir)})
    .then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); })`;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ws, encoding: 'utf8', env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`build of ${dir} failed:\n${r.stderr}`);
  return { wall, result: JSON.parse(r.stdout.trim().split('\n').pop()) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const SOURCES = { rust: 'src/lib.rs', js: 'src/index.js', ts: 'src/index.ts' };
const rows = [];
for (const language of LANGS) {
  const dir = join(ws, 'components', `hello-${language}`);
  const env = language === 'rust' && COLD_RUST ? { ...process.env, LOOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'loop-bench-cache-')) } : process.env;
  const first = buildOnce(dir, env);
  const rebuilds = [];
  for (let i = 0; i < RUNS; i++) {
    appendFileSync(join(dir, SOURCES[language]), `\n// edit ${i}\n`);
    rebuilds.push(buildOnce(dir, env).wall);
  }
  const bytes = readFileSync(first.result.wasm);
  rows.push({ language, first: first.wall, rebuild: median(rebuilds), size: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
}

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const kib = (b) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
console.log(`hello component (world core, logs one line), cold node process per build, ${RUNS} rebuild run(s), median; Rust cache: ${COLD_RUST ? 'empty (fresh machine)' : 'shared guest-target (warm std + wit-bindgen)'}`);
console.log(`node ${process.version}, ${require('node:os').cpus().length} cores, load ${require('node:os').loadavg()[0].toFixed(1)}`);
console.log('| language | first build | rebuild (source edited) | size | gzip -9 |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.language} | ${s(r.first)} | ${s(r.rebuild)} | ${kib(r.size)} (${r.size} B) | ${kib(r.gzip)} |`);
const rust = rows.find((r) => r.language === 'rust');
if (rust) {
  for (const r of rows.filter((x) => x !== rust)) {
    console.log(`${r.language} vs rust: rebuild ${(r.rebuild / rust.rebuild).toFixed(1)}× slower, ${(r.size / rust.size).toFixed(0)}× larger (gzip ${(r.gzip / rust.gzip).toFixed(0)}×)`);
  }
}
