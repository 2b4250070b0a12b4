#!/usr/bin/env node
// Benchmark: running the hello component (examples/components/hello-rust, a wasi:cli/run
// command) natively, each run a new process, against `wasmtime run` (wasmtime-cli 48) of the
// same file in the same run, interleaved so that load from elsewhere hits every side alike.
//
//   wasmtime run            warm: wasmtime's own compiled-code cache (on by default) is filled
//                           by a priming run; cold: `-C cache=n` (compiles every run)
//   loop-host run           the host binary `loop run` uses (the dev host, $LOOP_CACHE_DIR/target/
//                           <LOOP_HOST_PROFILE or debug>/loop-host, or LOOP_HOST_BIN); warm: its
//                           code cache ($LOOP_CACHE_DIR/code) filled by a priming run; cold:
//                           LOOP_NO_CODE_CACHE=1 (compiles every run)
//   loop run                node_modules/.bin/loop run hello.wasm -- ARGS: Node start, the CLI,
//                           the host's freshness check, then the same host binary
//   release loop-host       the release build, when one exists (it may predate the sources)
// and, through the host crate's tests (debug build, as `cargo test` builds it):
//   guest→host calls/s      tests/bench.rs guest_to_host_call_throughput (loop:clock/now)
//   host→plugin calls/s     tests/bench.rs plugin_call_throughput
//   hot-swap latency        tests/plugins.rs hot_swap_…: rename of a new plugin file → the new
//                           version answers, while a thread keeps calling it (K runs)
//
//   node tools/bench/native-run.mjs [--runs 15] [--swaps 5] [--no-cargo]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, swaps: { type: 'string', default: '5' }, 'no-cargo': { type: 'boolean', default: false } } });
const RUNS = Number(values.runs), SWAPS = Number(values.swaps);
const repo = join(fileURLToPath(import.meta.url), '../../..');
const cache = process.env.LOOP_CACHE_DIR || join(homedir(), '.cache/loop');
const hello = join(repo, 'examples/components/hello-rust/dist/hello.wasm');
const loop = join(repo, 'node_modules/.bin/loop');
const ARGS = ['a', 'b c'];

if (!existsSync(hello)) {
  console.error(`${hello} is missing: build it with \`npx nx run hello:build-component\``);
  process.exit(1);
}
const wasmtime = process.env.LOOP_WASMTIME || join(cache, 'tools/bin/wasmtime');
const haveWasmtime = existsSync(wasmtime);
if (!haveWasmtime) {
  console.error(
    `wasmtime-cli 48 not found at ${wasmtime}: only Loop's side is measured. Install it with\n` +
      `  cargo install wasmtime-cli@48.0.8 --locked --root ${join(cache, 'tools')}\n` +
      '(or set LOOP_WASMTIME to a wasmtime 48 binary).',
  );
}

const run = (cmd, args, env = {}) => {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, input: '' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw r.error;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x) => (x === undefined ? '      –' : x.toFixed(1).padStart(7));
const load0 = loadavg()[0];

// The first `loop run` builds the host when its sources changed (cargo, possibly minutes).
const first = run(loop, ['run', hello, '--', ...ARGS]);
if (first.status !== 0) {
  console.error(`loop run failed (exit ${first.status}):\n${first.stderr}`);
  process.exit(1);
}
const profile = process.env.LOOP_HOST_PROFILE || 'debug';
const host = process.env.LOOP_HOST_BIN || join(cache, 'target', profile, 'loop-host');
const release = join(cache, 'target/release/loop-host');
const haveRelease = !process.env.LOOP_HOST_BIN && profile !== 'release' && existsSync(release);

// Same behaviour first: stdout, stderr and status of both for the same arguments.
const ours = run(host, ['run', hello, ...ARGS]);
let same = null;
if (haveWasmtime) {
  const version = run(wasmtime, ['--version']).stdout.trim();
  if (!/^wasmtime 48\./.test(version)) console.error(`warning: ${wasmtime} is ${version}, not wasmtime 48`);
  const theirs = run(wasmtime, ['run', hello, ...ARGS]);
  same = ours.status === theirs.status && ours.stdout === theirs.stdout && ours.stderr === theirs.stderr;
}

const sides = {
  wasmtimeWarm: haveWasmtime && (() => run(wasmtime, ['run', hello, ...ARGS])),
  wasmtimeCold: haveWasmtime && (() => run(wasmtime, ['run', '-C', 'cache=n', hello, ...ARGS])),
  hostWarm: () => run(host, ['run', hello, ...ARGS]),
  hostCold: () => run(host, ['run', hello, ...ARGS], { LOOP_NO_CODE_CACHE: '1' }),
  loopWarm: () => run(loop, ['run', hello, '--', ...ARGS]),
  loopCold: () => run(loop, ['run', hello, '--', ...ARGS], { LOOP_NO_CODE_CACHE: '1' }),
  releaseWarm: haveRelease && (() => run(release, ['run', hello, ...ARGS])),
  releaseCold: haveRelease && (() => run(release, ['run', hello, ...ARGS], { LOOP_NO_CODE_CACHE: '1' })),
};
const times = {};
for (const [k, fn] of Object.entries(sides)) if (fn) fn(); // prime the caches (warm sides)
for (let i = 0; i < RUNS; i++) {
  for (const [k, fn] of Object.entries(sides)) {
    if (!fn) continue;
    const r = fn();
    if (r.status !== 0) throw new Error(`${k}: exit ${r.status}: ${r.stderr}`);
    (times[k] ??= []).push(r.ms);
  }
}
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const lo = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.min(...v)]));
const load1 = loadavg()[0];
const ratio = (a, b) => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`);

console.log(`hello-rust (${(statSync(hello).size / 1024).toFixed(0)} KiB), args ${JSON.stringify(ARGS)}, ${RUNS} runs per side, wall ms (median / min); load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${availableParallelism()} shared cores`);
console.log(`  host: ${host} (${profile}); first loop run (builds the host when stale): ${first.ms.toFixed(0)} ms`);
if (haveWasmtime) console.log(`  same stdout, stderr and exit status as wasmtime run: ${same ? 'yes' : 'NO'}`);
const row = (label, k) => console.log(`  ${label.padEnd(44)} ${f(m[k])} / ${f(lo[k])}`);
row('wasmtime run, warm (its cache)', 'wasmtimeWarm');
row('wasmtime run -C cache=n, cold', 'wasmtimeCold');
row(`loop-host run (${profile}), warm code cache`, 'hostWarm');
row(`loop-host run (${profile}), cold (LOOP_NO_CODE_CACHE=1)`, 'hostCold');
row('loop run (node_modules/.bin/loop), warm', 'loopWarm');
row('loop run, cold', 'loopCold');
if (haveRelease) {
  row(`loop-host run (release, built ${statSync(release).mtime.toISOString().slice(0, 16)}), warm`, 'releaseWarm');
  row('loop-host run (release), cold', 'releaseCold');
}
console.log(`  ratio loop-host / wasmtime run, warm:  ${ratio(m.hostWarm, m.wasmtimeWarm)}   (goal ≤ 1.0×)`);
console.log(`  ratio loop-host / wasmtime run, cold:  ${ratio(m.hostCold, m.wasmtimeCold)}`);
if (haveRelease) console.log(`  ratio release loop-host / wasmtime run, warm: ${ratio(m.releaseWarm, m.wasmtimeWarm)}, cold: ${ratio(m.releaseCold, m.wasmtimeCold)}`);
console.log(`  ratio loop run / wasmtime run, warm:   ${ratio(m.loopWarm, m.wasmtimeWarm)}`);
console.log(`  loop run overhead over loop-host, warm: +${(m.loopWarm - m.hostWarm).toFixed(1)} ms (${ratio(m.loopWarm, m.hostWarm)})`);

if (values['no-cargo']) process.exit(0);

// The host crate's own benchmarks (debug test build, shared target dir).
const crate = join(repo, 'host-templates/wasmtime-rust');
const cargo = (args) => {
  const t = Date.now();
  const r = spawnSync('cargo', ['test', '--locked', ...args], { cwd: crate, encoding: 'utf8', env: { ...process.env, CARGO_TARGET_DIR: join(cache, 'target') } });
  if (r.status !== 0) throw new Error(`cargo test ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return { out: r.stdout + r.stderr, ms: Date.now() - t };
};
const build = cargo(['--no-run', '--test', 'bench', '--test', 'plugins']);
const bench = cargo(['--test', 'bench', '--', '--ignored', '--nocapture', '--test-threads', '1']);
const rate = (re) => Number(re.exec(bench.out)?.[1]);
const g2h = rate(/loop:clock\/now: \d+ calls in [\d.]+ s = (\d+) calls\/s/);
const h2p = rate(/handle\("hello"\): \d+ calls in [\d.]+ s = (\d+) calls\/s/);
const toMs = (s) => {
  const [, n, unit] = /([\d.]+)(ns|µs|us|ms|s)/.exec(s);
  return Number(n) * { ns: 1e-6, µs: 1e-3, us: 1e-3, ms: 1, s: 1000 }[unit];
};
const swaps = [];
for (let i = 0; i < SWAPS; i++) {
  const r = cargo(['--test', 'plugins', 'hot_swap', '--', '--nocapture']);
  const hit = /hot swap: new version answered (\S+) after the rename/.exec(r.out);
  if (hit) swaps.push(toMs(hit[1]));
}
console.log(`host crate (debug test build; compile check ${(build.ms / 1000).toFixed(1)} s), load average now ${loadavg()[0].toFixed(1)}:`);
console.log(`  guest→host calls (loop:clock/now):        ${g2h.toLocaleString('en')} calls/s`);
console.log(`  host→plugin calls (handle):               ${h2p.toLocaleString('en')} calls/s`);
console.log(`  hot swap, rename → new version answers:   median ${f(median(swaps))} ms, min ${f(Math.min(...swaps))}, max ${f(Math.max(...swaps))} (${swaps.length} swaps; bound: 1 s)`);
