#!/usr/bin/env node
// Native packaging benchmark (issue #5), every figure from cold processes as a user runs them:
//   1. pack time per target with a cached runtime host and a warm code cache (precompiled code
//      and deflated archive pieces, both content-addressed in $LOOP_CACHE_DIR):
//      `loop pack native <app> --target <t>` (single file + dir bundle + archive + .sha256),
//      median of --runs; target < 2 s per target, printed as a ratio to those 2 s. Against it,
//      what packing by hand with standard tools costs for the same artifacts: `cp` of the single
//      file + `tar` with `gzip -1` (Linux) / `zip -1 -r` (Windows) of the unpacked dir bundle.
//      Also once per target: the same pack with an empty archive-piece cache (the code cache
//      still warm: what the first pack of a changed component costs beyond its precompile).
//   2. cold start of the same component (examples/components/hello-rust, a wasi:cli/run command)
//      three ways, in the same run, interleaved:
//        a. the single-file executable packed for linux-x64 (app whose entry is hello-rust),
//        b. `loop run` of that app (node_modules/.bin/loop),
//        c. `wasmtime run --allow-precompiled hello.cwasm` (wasmtime CLI 48, precompiled by it);
//      ratios a/c (target ≤ 1.2×) and b/c.
//   3. artifact sizes against the runtime host binary alone.
//   4. the payload check at every start of the packed example app (13 MB payload, its code 111 MB
//      decompressed): read, sha256 and decompression of the payload, timed from the outside with
//      strace (the read system call; the time until the mmap of the decompression buffer:
//      checksum + index parse; from there to the next system call: decompression), median of --runs.
//
//   node tools/bench/pack-native.mjs [--runs 5] [--targets linux-x64,linux-arm64,windows-x64]
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
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, targets: { type: 'string' } } });
const RUNS = Number(values.runs) || 5;
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
// The shared cargo target dir's loop-host is relinked by whichever checkout built last: set
// LOOP_HOST_BIN to a dev host built from this checkout to time this checkout's packer.
console.log(`dev host: ${pn.devHost()}${process.env.LOOP_HOST_BIN ? ' (LOOP_HOST_BIN)' : ''}`);
const sizes = [];
let exampleExe;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const secs = (x) => `${(x / 1000).toFixed(2)} s`;
const byHand = (t, single, bundleDir, bundleName) => {
  const dest = path.join(work, 'by-hand');
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest);
  fs.copyFileSync(single, path.join(dest, path.basename(single)));
  if (t.archive === 'zip') run('zip', ['-q', '-1', '-r', path.join(dest, `${bundleName}.zip`), bundleName], { cwd: bundleDir });
  else run('tar', ['-I', 'gzip -1', '-cf', path.join(dest, `${bundleName}.tar.gz`), bundleName], { cwd: bundleDir });
};
const hasZip = spawnSync('zip', ['-v']).status === 0;
for (const [label, dir, name] of [
  ['examples/apps/hello (Rust core + 3 JS/TS components, each with its JS engine)', example, 'hello-app'],
  ['hello-cmd (the hello-rust command alone)', app, 'hello-cmd'],
]) {
  console.log(`\n1. pack time, ${label}: cached runtime host, warm code cache, median of ${RUNS} cold \`loop pack native\` processes (single file + dir bundle + archive + .sha256)`);
  console.log(`   load average before: ${load()}`);
  console.log('   by hand = `cp` of the single file + `tar -I "gzip -1"` (zip: `zip -1 -r`) of the unpacked dir bundle, the same artifacts with standard tools');
  console.log('target        loop pack native   / 2 s target   by hand    pack / by hand   empty piece cache (1 run)   loop-host pack (single file only)   single file     archive        host alone');
  // The staged graph loop pack native hands to the dev host, for timing `loop-host pack` alone.
  const graph = path.join(work, `${name}.loop.json`);
  fs.writeFileSync(graph, graphJson(pn.stagedGraph(resolveApp(path.join(dir, 'app.loop.toml'), { platform: 'native', outDir: dir }), dir)));
  const dev = pn.devHost();
  for (const t of targets) {
    const out = path.join(work, 'pack', name, t.name);
    const args = ['pack', 'native', dir, '--target', t.name, '-o', out];
    run(LOOP, args); // warm-up: fills the code cache and the archive-piece cache for this target
    const times = Array.from({ length: RUNS }, () => ms(() => run(LOOP, args)));
    const names = pn.artifactNames(name, t);
    // An empty archive-piece cache (the code cache stays warm).
    const pieces = fs.mkdtempSync(path.join(work, 'pieces-'));
    const noPieces = ms(() => run(LOOP, args, { env: { ...env, LOOP_DEFLATE_CACHE: pieces } }));
    fs.rmSync(pieces, { recursive: true, force: true });
    // By hand: the dir bundle unpacked once, then cp + tar/zip of it.
    const unpacked = path.join(work, 'unpacked');
    fs.rmSync(unpacked, { recursive: true, force: true });
    fs.mkdirSync(unpacked);
    if (t.archive === 'zip') run('unzip', ['-q', path.join(out, names.archive), '-d', unpacked]);
    else run('tar', ['-xzf', path.join(out, names.archive), '-C', unpacked]);
    const hand = t.archive === 'zip' && !hasZip ? NaN : median(Array.from({ length: RUNS }, () => ms(() => byHand(t, path.join(out, names.file), unpacked, names.bundle))));
    fs.rmSync(unpacked, { recursive: true, force: true });
    fs.rmSync(path.join(work, 'by-hand'), { recursive: true, force: true });
    const single = median(Array.from({ length: RUNS }, () => ms(() => run(dev, ['pack', '--target', t.name, '--runtime', pn.runtimeHostPath(t), '--graph', graph, '--out', path.join(work, 'single.bin')]))));
    const file = fs.statSync(path.join(out, names.file)).size;
    const archive = fs.statSync(path.join(out, names.archive)).size;
    const host = fs.statSync(pn.runtimeHostPath(t)).size;
    sizes.push({ t: `${name} ${t.name}`, file, archive, host });
    const p = median(times);
    console.log(
      `${t.name.padEnd(13)} ${secs(p).padStart(16)}   ${`${(p / 2000).toFixed(2)}x`.padStart(12)}   ${(Number.isNaN(hand) ? 'n/a (no zip)' : secs(hand)).padStart(8)}   ${(Number.isNaN(hand) ? '' : `${(p / hand).toFixed(2)}x`).padStart(14)}   ${secs(noPieces).padStart(25)}   ${secs(single).padStart(33)}   ${mb(file).padStart(11)}   ${mb(archive).padStart(11)}   ${mb(host).padStart(11)}   ${p < 2000 ? 'ok (< 2 s)' : 'OVER the 2 s target'}`,
    );
    console.log(`              all ${RUNS} runs: ${times.map((x) => secs(x)).join(', ')}`);
    fs.rmSync(path.join(work, 'single.bin'), { force: true });
    if (name === 'hello-app' && t.name === 'linux-x64') exampleExe = path.join(out, names.file);
    else fs.rmSync(out, { recursive: true, force: true });
  }
  console.log(`   load average after: ${load()}`);
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

// --- 4. the payload check at start ----------------------------------------------------------
/** The payload index of a packed file (spec/native-payload.md: trailer → header → JSON index). */
function payloadIndex(file) {
  const b = fs.readFileSync(file);
  const t = b.subarray(b.length - 64);
  const offset = Number(t.readBigUInt64LE(16));
  const indexLen = Number(b.readBigUInt64LE(offset + 24));
  return JSON.parse(b.subarray(offset + 32, offset + 32 + indexLen).toString('utf8'));
}
if (exampleExe && spawnSync('strace', ['-V']).status === 0) {
  const dir4 = path.join(work, 'check');
  fs.mkdirSync(dir4, { recursive: true });
  const exe4 = path.join(dir4, 'hello-app');
  fs.copyFileSync(exampleExe, exe4);
  fs.chmodSync(exe4, 0o755);
  const payload = fs.statSync(exe4).size - fs.statSync(pn.runtimeHostPath(linux)).size - 64;
  const section = payloadIndex(exe4).compressed?.size ?? 0;
  const reads = [];
  const checks = [];
  const inflates = [];
  for (let i = 0; i < RUNS; i++) {
    const log = path.join(work, 'strace.txt');
    // The app stops later (no data server here); the payload is read, checked and decompressed
    // before anything else.
    spawnSync('strace', ['-ttt', '-T', '-e', 'trace=read,mmap,clone3,openat', '-o', log, exe4], { cwd: dir4, env: { PATH: '/usr/bin:/bin' } });
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    const i0 = lines.findIndex((l) => l.includes(`= ${payload} <`));
    if (i0 < 0) break;
    const at = (l) => Number(/^([0-9.]+)/.exec(l)?.[1]);
    const took = (l) => Number(/<([0-9.]+)>$/.exec(l)?.[1] ?? 0);
    reads.push(took(lines[i0]) * 1000);
    const readEnd = at(lines[i0]) + took(lines[i0]);
    // The buffer of the decompressed section is one mmap of its size: the checksum and the index
    // come before it, the decompression fills it until the next system call.
    const i1 = section ? lines.findIndex((l, k) => k > i0 && /^[0-9.]+ mmap\(NULL, (\d+),/.test(l) && Number(/mmap\(NULL, (\d+),/.exec(l)[1]) >= section) : -1;
    if (i1 > 0) {
      checks.push((at(lines[i1]) - readEnd) * 1000);
      inflates.push((at(lines[i1 + 1]) - at(lines[i1]) - took(lines[i1])) * 1000);
    } else {
      checks.push((at(lines[i0 + 1]) - readEnd) * 1000);
    }
  }
  if (reads.length) {
    console.log(`\n4. payload check at each start of the packed example app (linux-x64, ${mb(payload)} payload${section ? `, its code ${mb(section)} decompressed` : ''}), median of ${reads.length} starts, load ${load()}`);
    console.log(`read of the payload (one system call):            ${median(reads).toFixed(1)} ms`);
    console.log(`then sha256 of the payload + index:                ${median(checks).toFixed(1)} ms`);
    if (inflates.length) console.log(`then decompressing the code section:               ${median(inflates).toFixed(1)} ms`);
    const total = median(reads) + median(checks) + (inflates.length ? median(inflates) : 0);
    console.log(`together: ${total.toFixed(1)} ms per start, against the packed hello-cmd's whole cold start (section 2): ${m[single].toFixed(1)} ms`);
  }
}
fs.rmSync(work, { recursive: true, force: true });
