#!/usr/bin/env node
// Nx cache benchmark (issue #7): a workspace of 20 generated apps sharing the example
// components (tools/scale/generate.mjs) runs `nx run-many -t pack-web pack-native`
//   1. cold   — clone A, nothing of the packs cached, Nx daemon on (a developer's default),
//   2. local  — clone A again, daemon on: every task a local-cache hit. Nx 23 restores a hit's
//               outputs unless the daemon confirms the files on disk already match the cache
//               ("[existing outputs match the cache, left as is]"; task-orchestrator.js,
//               shouldCopyOutputsFromCacheBatch: without a daemon it always copies), so
//   2b. local, no daemon (CI style, NX_DAEMON=false) — the same hits, every output copied back,
//   3. remote — a fresh clone B with its own empty local cache (no daemon, as on CI; --remote-runs
//               times, each a new clone, median reported), against the
//               nginx remote cache (tools/remote-cache) that run 1 filled: every task a remote
//               hit: Nx downloads each entry whole, gunzips + untars it into its cache dir and
//               copies the outputs into the workspace,
// each a new `nx` process, and prints the wall times, the ratios, the hit counts and, for the
// remote run, what its parts cost when done alone (download, gunzip, untar to disk).
// Prep, not timed: components built in clone A, and Loop's code cache warmed with their
// precompiled code (`loop-host compile --target`): componentize-js output differs from build to
// build, so a fresh clone's components are new to the cache, and each app packed in parallel
// would precompile the same 11 MiB StarlingMonkey components again (minutes each on 2 cores)
// — on a developer machine they were precompiled when first run or packed.
// Target: an all-hit run of 20 apps under 10 s.
//
//   node tools/bench/nx-apps.mjs [--apps 20] [--configuration linux-x64] [--remote-runs 3] [--keep]
//
// pack-native runs with -c linux-x64 by default (one target: the example app's single file and
// archive are ~50 MB per target, and were ~170 MB before loop.pack/2 compressed the code; 20
// apps × every copy — clone A's dist and cache, the server's store, clone B's dist and cache —
// is GBs next to everyone else's work). Clone A is deleted before clone B runs, for the same
// reason.
// Each clone keeps its Nx cache inside itself (tools/scale/workspace.mjs nxEnv), all deleted at
// the end. The dev host is the one already built here (LOOP_HOST_BIN, else the debug build), so
// the clones do not rebuild it from their own checkout.
//
// Needs: npm run build, nginx (apt-get install nginx-core), the runtime hosts of the chosen
// configuration (bash tools/setup/native-hosts.sh linux-x64), the dev host built.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cloneWorkspace, headOf, nxEnv, repoRoot } from '../scale/workspace.mjs';
import { generateApps } from '../scale/generate.mjs';

const { values } = parseArgs({
  options: { apps: { type: 'string', default: '20' }, configuration: { type: 'string', default: 'linux-x64' }, 'remote-runs': { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } },
});
const REMOTE_RUNS = Math.max(1, Number(values['remote-runs']));
const APPS = Number(values.apps);
const TOKEN = 'bench-token-1234';
const tmp = mkdtempSync(join(tmpdir(), 'loop-nx-apps-'));
chmodSync(tmp, 0o755); // nginx's workers (user nobody) must reach the store inside
const server = join(tmp, 'server');

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = execFileSync('bash', [join(repoRoot, 'tools/remote-cache/start.sh'), '--dir', server, '--token', TOKEN, '--listen', `127.0.0.1:${port}`], { encoding: 'utf8' }).trim();
const require = createRequire(import.meta.url);
const { hostBinaryPath } = require(join(repoRoot, 'packages/nx-loop/dist/host/index.js'));
const devHost = process.env.LOOP_HOST_BIN || hostBinaryPath('debug');
if (!existsSync(devHost)) throw new Error(`no dev host at ${devHost}: bash tools/setup/install.sh`);
const remote = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: TOKEN, LOOP_HOST_BIN: devHost };

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average (1/5/15 min) at the start: ${load()}`);
const TRIPLES = { 'linux-x64': 'x86_64-unknown-linux-gnu', 'linux-arm64': 'aarch64-unknown-linux-gnu', 'windows-x64': 'x86_64-pc-windows-gnu' };

function nx(ws, args, { daemon = false } = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(join(ws, 'node_modules/.bin/nx'), [...args, '--outputStyle=static'], { cwd: ws, env: nxEnv({ ...remote, NX_DAEMON: String(daemon) }, ws), encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) {
    console.error(out.split('\n').slice(-60).join('\n'));
    throw new Error(`nx ${args.join(' ')} failed in ${ws} (exit ${r.status})`);
  }
  // "> nx run app-000:pack-web  [local cache]" / "[remote cache]" / no tag = ran.
  const tasks = [...out.matchAll(/^> nx run (\S+)(.*)$/gm)];
  // (Nx 23 may tag a remote hit "[local cache]": its batch lookup stores remote results locally first.)
  const hits = tasks.filter((m) => /\[(local|remote) cache\]|existing outputs match/.test(m[2])).length;
  const kept = tasks.filter((m) => /existing outputs match/.test(m[2])).length;
  return { ms, tasks: tasks.length, hits, kept, load: load() };
}

/** The generated apps (scale/ is git-ignored, and .nxignore un-hides it for Nx). */
function withApps(ws) {
  generateApps(ws, APPS);
}

const PACK = ['run-many', '-t', 'pack-web', 'pack-native', '-c', values.configuration, '--projects', 'app-*'];
let a = '';
/** Wall ms of a shell command. */
const timed = (cmd) => {
  const t = process.hrtime.bigint();
  execFileSync('bash', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
};
try {
  a = cloneWorkspace(join(tmp, 'a'));
  withApps(a);
  const projects = execFileSync(join(a, 'node_modules/.bin/nx'), ['show', 'projects', '--with-target', 'pack-native'], { cwd: a, env: nxEnv({}, a), encoding: 'utf8' }).trim().split('\n');
  if (projects.filter((p) => p.startsWith('app-')).length !== APPS) throw new Error(`Nx sees ${projects.length} apps, expected ${APPS} generated ones: ${projects.join(', ')}`);
  console.log(`workspace: ${projects.length} apps with pack-native (${APPS} generated + the example; the generated ones are packed), remote cache ${url}`);
  console.log(`command: nx ${PACK.join(' ')}`);
  const prep = nx(a, ['run-many', '-t', 'build-component']);
  const wasm = readdirSync(join(a, 'examples/components')).flatMap((c) => {
    const d = join(a, 'examples/components', c, 'dist');
    return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.wasm')).map((f) => join(d, f)) : [];
  });
  const triple = TRIPLES[values.configuration];
  const warm = triple ? timed(`${JSON.stringify(devHost)} compile --target ${triple} ${wasm.map((f) => JSON.stringify(f)).join(' ')}`) : 0;
  console.log(`(prep, not in the ratios: build-component in clone A ${(prep.ms / 1000).toFixed(1)} s, ${prep.tasks} tasks; Loop's code cache warmed for ${wasm.length} components in ${(warm / 1000).toFixed(1)} s${triple ? '' : ' — skipped: not a single target'})`);

  const cold = nx(a, PACK, { daemon: true });
  const local = nx(a, PACK, { daemon: true });
  const localNoDaemon = nx(a, PACK);
  spawnSync(join(a, 'node_modules/.bin/nx'), ['daemon', '--stop'], { cwd: a, env: nxEnv({}, a), stdio: 'ignore' });
  const commit = headOf(a);
  const du = (p) => (existsSync(p) ? execFileSync('du', ['-sh', p], { encoding: 'utf8' }).split('\t')[0] : 'nothing');
  const sizes = { dist: du(join(a, 'dist')), cache: du(join(a, '.nx/cache')), store: du(join(server, 'store')) };
  rmSync(a, { recursive: true, force: true });
  // Each remote run in a fresh clone B of its own (its own empty local cache); all but the last
  // deleted right after (disk).
  const log = join(server, 'access.log');
  const logText = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const hits = [];
  const servedPerRun = [];
  let b = '';
  let sizesB = {};
  for (let i = 0; i < REMOTE_RUNS; i++) {
    if (b) rmSync(b, { recursive: true, force: true });
    b = cloneWorkspace(join(tmp, `b${i}`), { commit });
    withApps(b);
    const before = logText().length;
    hits.push(nx(b, PACK));
    servedPerRun.push(logText().slice(before).split('\n').filter((l) => /"GET [^"]*" 200 /.test(l)).length);
    sizesB = { dist: du(join(b, 'dist')), cache: du(join(b, '.nx/cache')) };
  }
  const byTime = [...hits].sort((x, y) => x.ms - y.ms);
  const hit = byTime[Math.floor(byTime.length / 2)];

  const row = (name, r) =>
    console.log(`${name.padEnd(36)} ${`${(r.ms / 1000).toFixed(2)} s`.padStart(9)}   tasks ${String(r.tasks).padStart(3)}   cache hits ${String(r.hits).padStart(3)}   outputs left as is ${String(r.kept).padStart(3)}   load after ${r.load}`);
  console.log(`\nnx ${PACK.join(' ')}: ${APPS} apps, ${cold.tasks} tasks with their build-component dependencies (a new nx process each)`);
  row('cold (packs run), daemon on', cold);
  row('all local-cache hits, daemon on', local);
  row('all local-cache hits, no daemon', localNoDaemon);
  hits.forEach((r, i) => row(`all remote-cache hits (B${i + 1}), no daemon`, r));
  if (hits.length > 1) console.log(`remote runs: median ${(hit.ms / 1000).toFixed(2)} s (min ${(byTime[0].ms / 1000).toFixed(2)}, max ${(byTime.at(-1).ms / 1000).toFixed(2)}), each a fresh clone; the ratios below use the median`);
  console.log(`ratio local hit (daemon) / cold:  ${(local.ms / cold.ms).toFixed(4)}x   (cold is ${(cold.ms / local.ms).toFixed(1)}x slower)`);
  console.log(`ratio local hit, no daemon / daemon: ${(localNoDaemon.ms / local.ms).toFixed(2)}x   (without the daemon Nx copies every output back from its cache)`);
  console.log(`ratio remote hit / cold: ${(hit.ms / cold.ms).toFixed(3)}x   (cold is ${(cold.ms / hit.ms).toFixed(1)}x slower)`);
  console.log(`ratio remote hit / local hit (daemon): ${(hit.ms / local.ms).toFixed(2)}x`);
  const yes = (r) => (r.ms < 10000 ? 'yes' : 'NO');
  console.log(`all-hit run under 10 s: local with the daemon (what a developer runs) ${yes(local)}, local without the daemon ${yes(localNoDaemon)}, remote into a fresh clone ${yes(byTime.at(-1))} (slowest of ${hits.length})`);
  for (const [name, r] of [['local', local], ['local (no daemon)', localNoDaemon], ...hits.map((h, i) => [`remote B${i + 1}`, h])]) if (r.hits !== r.tasks) console.log(`NOTE: the ${name} run had ${r.tasks - r.hits} task(s) that were not cache hits`);
  console.log(`outputs in clone A's dist/: ${sizes.dist}; A's Nx cache: ${sizes.cache}; the server's store: ${sizes.store}; B after the remote run: dist ${sizesB.dist}, Nx cache ${sizesB.cache}`);
  const lines = logText().split('\n');
  const count = (re) => lines.filter((l) => re.test(l)).length;
  console.log(`remote server (access.log): GET hits per remote run ${servedPerRun.join(', ')}; clone A's cold run: ${count(/"GET [^"]*" 404 /)} GET misses, ${count(/"PUT [^"]*" 20[01] /)} PUTs stored`);
  try {
    // The remote run's parts, each alone, over the entries B fetched (the server's files).
    rmSync(b, { recursive: true, force: true }); // before unpacking the entries again: disk
    const fetched = [...new Set(lines.filter((l) => /"GET \/v1\/cache\/\d+ [^"]*" 200 /.test(l)).map((l) => l.match(/\/v1\/cache\/(\d+)/)[1]))];
    const entries = fetched.map((h) => join(server, 'store/v1/cache', h)).filter((f) => existsSync(f));
    const bytes = entries.reduce((n, f) => n + statSync(f).size, 0);
    const list = join(tmp, 'entries.txt');
    execFileSync('bash', ['-c', `printf '%s\\n' "$@" > ${list}`, '_', ...entries]);
    const hashes = join(tmp, 'hashes.txt');
    execFileSync('bash', ['-c', `printf '%s\\n' "$@" > ${hashes}`, '_', ...fetched]);
    const dl = timed(`xargs -P 8 -I{} curl -sf -o /dev/null -H 'Authorization: Bearer ${TOKEN}' ${url}/v1/cache/{} < ${hashes}`);
    const gunzip = timed(`xargs -P 2 -I{} sh -c 'gzip -dc {} > /dev/null' < ${list}`);
    const untarDir = join(tmp, 'untar');
    mkdirSync(untarDir);
    const untar = timed(`xargs -P 2 -I{} sh -c 'd=${untarDir}/$(basename {}); mkdir -p $d; tar -xzf {} -C $d' < ${list}`);
    const unpacked = du(untarDir);
    rmSync(untarDir, { recursive: true, force: true });
    console.log(`remote run's parts alone, over the ${entries.length} entries B fetched (${(bytes / 1e9).toFixed(2)} GB gzip'd tar, ${unpacked} unpacked): download (curl, 8 at a time) ${(dl / 1000).toFixed(1)} s, gunzip to /dev/null (2 at a time) ${(gunzip / 1000).toFixed(1)} s, gunzip + untar to disk ${(untar / 1000).toFixed(1)} s; Nx then copies the unpacked outputs into the workspace`);
  } catch (e) {
    console.log(`remote run's parts: not measured (${e.message})`);
  }
} finally {
  if (a && existsSync(a)) spawnSync(join(a, 'node_modules/.bin/nx'), ['daemon', '--stop'], { cwd: a, env: nxEnv({}, a), stdio: 'ignore' });
  spawnSync('bash', [join(repoRoot, 'tools/remote-cache/stop.sh'), '--dir', server], { stdio: 'inherit' });
  if (!values.keep) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}
