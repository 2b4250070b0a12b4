#!/usr/bin/env node
// Native packaging benchmark (issue #5), every figure from cold processes as a user runs them:
//   1. pack time per target with a cached runtime host and a warm code cache:
//      `loop pack native examples/apps/hello --target <t>` (single file + dir bundle + archive),
//      median of --runs; target < 2 s per target.
//   2. cold start of the same component (examples/components/hello-rust, a wasi:cli/run command)
//      three ways, in the same run, interleaved:
//        a. the single-file executable packed for linux-x64 (app whose entry is hello-rust),
//        b. `loop run` of that app (node_modules/.bin/loop),
//        c. `wasmtime run --allow-precompiled hello.cwasm` (wasmtime CLI 48, precompiled by it);
//      ratios a/c (target ≤ 1.2×) and b/c.
//   3. artifact sizes against the runtime host binary alone.
//
//   node tools/bench/pack-native.mjs [--runs 10] [--targets linux-x64,linux-arm64,windows-x64]
//
// Needs: npm run build, the example components built, the dev host, runtime hosts
// (bash tools/setup/native-hosts.sh), wasmtime at ${LOOP_CACHE_DIR:-~/.cache/loop}/tools/bin.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, targets: { type: 'string' } } });
const RUNS = Number(values.runs) || 10;
const pn = require(path.join(REPO, 'packages/nx-loop/dist/pack-native/index.js'));
const { loopCacheDir } = require(path.join(REPO, 'packages/nx-loop/dist/host/index.js'));
const { resolveApp, graphJson } = require(path.join(REPO, 'packages/nx-loop/dist/resolve/resolve.js'));
const LOOP = path.join(REPO, 'node_modules/.bin/loop');
const WASMTIME = path.join(loopCacheDir(), 'tools/bin/wasmtime');
const HELLO = path.join(REPO, 'examples/components/hello-rust/dist/hello.wasm');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-bench-native-'));
const env = { ...process.env, LOOP_QUIET: '1' };

for (const [what, p, fix] of [
  ['wasmtime CLI', WASMTIME, 'bash tools/setup/install.sh'],
  ['hello-rust component', HELLO, 'npx nx run-many -t build-component'],
]) {
  if (!fs.existsSync(p)) {
    console.error(`${what} missing: ${p} (${fix})`);
    process.exit(1);
  }
}

const ms = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
};

// --- 1. pack time per target ----------------------------------------------------------------
const wanted = values.targets ? pn.parseTargets(values.targets) : pn.TARGETS.filter((t) => t.os !== 'macos');
const targets = wanted.filter((t) => fs.existsSync(pn.runtimeHostPath(t)));
for (const t of wanted) if (!targets.includes(t)) console.log(`(skipping ${t.name}: no runtime host at ${pn.runtimeHostPath(t)} — bash tools/setup/native-hosts.sh ${t.name})`);
if (!targets.length) {
  console.error('no runtime host is built: bash tools/setup/native-hosts.sh linux-x64');
  process.exit(1);
}
// hello-cmd: an app whose entry is the hello-rust command, so all three sides run one component.
const app = path.join(work, 'hello-cmd');
fs.mkdirSync(app);
fs.writeFileSync(
  path.join(app, 'app.loop.toml'),
  `[app]\nname = "hello-cmd"\nentry = "hello"\n\n[components.hello]\nsource = ${JSON.stringify(HELLO)}\nclass = "core"\n`,
);
const example = path.join(REPO, 'examples/apps/hello');
const sizes = [];
for (const [label, dir, name] of [
  ['examples/apps/hello (Rust core + 3 JS/TS components, each with its JS engine)', example, 'hello-app'],
  ['hello-cmd (the hello-rust command alone)', app, 'hello-cmd'],
]) {
  console.log(`\n1. pack time, ${label}: cached runtime host, warm code cache, median of ${RUNS} cold \`loop pack native\` processes (single file + dir bundle + archive)`);
  console.log('target        pack (process)   loop-host pack (single file only)   single file     archive        host alone   file / host');
  // The staged graph loop pack native hands to the dev host, for timing `loop-host pack` alone.
  const graph = path.join(work, `${name}.loop.json`);
  fs.writeFileSync(graph, graphJson(pn.stagedGraph(resolveApp(path.join(dir, 'app.loop.toml'), { platform: 'native', outDir: dir }), dir)));
  const dev = pn.devHost();
  for (const t of targets) {
    const out = path.join(work, 'pack', name, t.name);
    const args = ['pack', 'native', dir, '--target', t.name, '-o', out];
    run(LOOP, args); // warm-up: fills the code cache for this target
    const times = Array.from({ length: RUNS }, () => ms(() => run(LOOP, args)));
    const single = median(Array.from({ length: RUNS }, () => ms(() => run(dev, ['pack', '--target', t.name, '--runtime', pn.runtimeHostPath(t), '--graph', graph, '--out', path.join(work, 'single.bin')]))));
    const names = pn.artifactNames(name, t);
    const file = fs.statSync(path.join(out, names.file)).size;
    const archive = fs.statSync(path.join(out, names.archive)).size;
    const host = fs.statSync(pn.runtimeHostPath(t)).size;
    sizes.push({ t: `${name} ${t.name}`, file, archive, host });
    const p = median(times);
    console.log(`${t.name.padEnd(13)} ${`${(p / 1000).toFixed(2)} s`.padStart(14)}   ${`${(single / 1000).toFixed(2)} s`.padStart(33)}   ${mb(file).padStart(11)}   ${mb(archive).padStart(11)}   ${mb(host).padStart(11)}   ${`${(file / host).toFixed(2)}x`.padStart(11)}   ${p < 2000 ? 'ok (< 2 s)' : 'OVER the 2 s target'}`);
  }
}

// --- 2. cold start of the same component ----------------------------------------------------
const linux = pn.parseTargets('linux-x64')[0];
if (!fs.existsSync(pn.runtimeHostPath(linux))) {
  console.log('\n2. cold start: skipped, no linux-x64 runtime host');
  process.exit(0);
}
const packed = path.join(work, 'cmd');
run(LOOP, ['pack', 'native', app, '--target', 'linux-x64', '-o', packed]);
const exe = path.join(work, 'run-here', 'hello-cmd');
fs.mkdirSync(path.dirname(exe));
fs.copyFileSync(path.join(packed, 'linux-x64/hello-cmd'), exe);
fs.chmodSync(exe, 0o755);
const cwasm = path.join(work, 'hello.cwasm');
run(WASMTIME, ['compile', HELLO, '-o', cwasm]);
const cwd = path.dirname(exe);
const sides = {
  'single file (packed linux-x64)': () => run(exe, [], { cwd, env: { PATH: '/usr/bin:/bin' } }),
  'loop run (node_modules/.bin/loop)': () => run(LOOP, ['run', app], { cwd }),
  'wasmtime run --allow-precompiled': () => run(WASMTIME, ['run', '--allow-precompiled', cwasm], { cwd }),
};
const outputs = Object.fromEntries(Object.entries(sides).map(([k, f]) => [k, f().stdout]));
const same = new Set(Object.values(outputs)).size === 1;
const samples = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) for (const [k, f] of Object.entries(sides)) samples[k].push(ms(f));
const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
const [single, loopRun, wasmtime] = Object.keys(sides);
console.log(`\n2. cold start of examples/components/hello-rust (wasi:cli/run), median of ${RUNS} interleaved runs each`);
for (const k of Object.keys(sides)) console.log(`${k.padEnd(36)} ${`${m[k].toFixed(1)} ms`.padStart(10)}`);
console.log(`same stdout on all three: ${same ? 'yes' : 'NO'}`);
console.log(`ratio single file / wasmtime run --allow-precompiled: ${(m[single] / m[wasmtime]).toFixed(2)}x (target ≤ 1.2x)`);
console.log(`ratio loop run / wasmtime run --allow-precompiled:    ${(m[loopRun] / m[wasmtime]).toFixed(2)}x`);
console.log(`ratio single file / loop run:                         ${(m[single] / m[loopRun]).toFixed(2)}x`);

// --- 3. sizes -------------------------------------------------------------------------------
console.log('\n3. sizes against the runtime host alone');
for (const s of sizes) console.log(`${s.t.padEnd(22)} single file ${mb(s.file)} = host ${mb(s.host)} + payload ${mb(s.file - s.host)}; archived bundle ${mb(s.archive)}`);
console.log(`(hello.wasm ${mb(fs.statSync(HELLO).size)}; the same component precompiled by wasmtime compile: ${mb(fs.statSync(cwasm).size)})`);
fs.rmSync(work, { recursive: true, force: true });
