#!/usr/bin/env node
// Nx cache benchmark (issue #7): a workspace of 20 generated apps sharing the example
// components (tools/scale/generate.mjs) runs `nx run-many -t pack-web pack-native`
//   1. cold   — clone A, nothing of the packs cached (components restored from A's local cache;
//               the code precompiled per component × target is Loop's own content-hash cache,
//               warm as on any developer machine, so packing is copying and writing),
//   2. local  — clone A again: every task a local-cache hit,
//   3. remote — a fresh clone B with its own empty local cache, against the nginx remote cache
//               (tools/remote-cache) that run 1 filled: every task a remote hit,
// each a cold `nx` process, and prints the wall times, the ratios and the hit counts.
// Target: an all-hit run of 20 apps under 10 s.
//
//   node tools/bench/nx-apps.mjs [--apps 20] [--configuration linux-x64] [--keep]
//
// pack-native runs with -c linux-x64 by default (one target: the example app's single file and
// archive are ~170 MB per target because each JS component carries its engine; 20 apps × every
// copy — clone A's dist and cache, the server's store, clone B's dist and cache — would not fit
// next to everyone else's work). Clone A is deleted before clone B runs, for the same reason.
// The dev host is the one already built here (LOOP_HOST_BIN, else the debug build), so the clones
// do not rebuild it from their own checkout.
//
// Needs: npm run build, nginx (apt-get install nginx-core), the runtime hosts of the chosen
// configuration (bash tools/setup/native-hosts.sh linux-x64), the dev host built.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cloneWorkspace, headOf, nxEnv, repoRoot } from '../scale/workspace.mjs';
import { generateApps } from '../scale/generate.mjs';

const { values } = parseArgs({ options: { apps: { type: 'string', default: '20' }, configuration: { type: 'string', default: 'linux-x64' }, keep: { type: 'boolean', default: false } } });
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

function nx(ws, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(join(ws, 'node_modules/.bin/nx'), [...args, '--outputStyle=static'], { cwd: ws, env: nxEnv(remote), encoding: 'utf8', maxBuffer: 256 << 20 });
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
  return { ms, tasks: tasks.length, hits };
}

/** The generated apps (scale/ is git-ignored, and .nxignore un-hides it for Nx). */
function withApps(ws) {
  generateApps(ws, APPS);
}

const PACK = ['run-many', '-t', 'pack-web', 'pack-native', '-c', values.configuration, '--projects', 'app-*'];
try {
  const a = cloneWorkspace(join(tmp, 'a'));
  withApps(a);
  const projects = execFileSync(join(a, 'node_modules/.bin/nx'), ['show', 'projects', '--with-target', 'pack-native'], { cwd: a, env: nxEnv(), encoding: 'utf8' }).trim().split('\n');
  if (projects.filter((p) => p.startsWith('app-')).length !== APPS) throw new Error(`Nx sees ${projects.length} apps, expected ${APPS} generated ones: ${projects.join(', ')}`);
  console.log(`workspace: ${projects.length} apps with pack-native (${APPS} generated + the example; the generated ones are packed), remote cache ${url}`);
  console.log(`command: nx ${PACK.join(' ')}`);
  const prep = nx(a, ['run-many', '-t', 'build-component']);
  console.log(`(prep, not in the ratios: build-component in clone A ${(prep.ms / 1000).toFixed(1)} s, ${prep.tasks} tasks)`);

  const cold = nx(a, PACK);
  const local = nx(a, PACK);
  const commit = headOf(a);
  const du = (p) => (existsSync(p) ? execFileSync('du', ['-sh', p], { encoding: 'utf8' }).split('\t')[0] : 'nothing');
  const sizes = { dist: du(join(a, 'dist')), store: du(join(server, 'store')) };
  rmSync(a, { recursive: true, force: true });
  const b = cloneWorkspace(join(tmp, 'b'), { commit });
  withApps(b);
  const hit = nx(b, PACK);

  const row = (name, r) =>
    console.log(`${name.padEnd(28)} ${`${(r.ms / 1000).toFixed(2)} s`.padStart(9)}   tasks ${String(r.tasks).padStart(3)}   cache hits ${String(r.hits).padStart(3)}`);
  console.log(`\nnx ${PACK.join(' ')}: ${APPS} apps, ${cold.tasks} tasks with their build-component dependencies (cold nx process each, no daemon)`);
  row('cold (packs run)', cold);
  row('all local-cache hits', local);
  row('all remote-cache hits (B)', hit);
  console.log(`ratio local hit / cold:  ${(local.ms / cold.ms).toFixed(3)}x   (cold is ${(cold.ms / local.ms).toFixed(1)}x slower)`);
  console.log(`ratio remote hit / cold: ${(hit.ms / cold.ms).toFixed(3)}x   (cold is ${(cold.ms / hit.ms).toFixed(1)}x slower)`);
  console.log(`ratio remote hit / local hit: ${(hit.ms / local.ms).toFixed(2)}x`);
  console.log(`all-hit run under 10 s: local ${local.ms < 10000 ? 'yes' : 'NO'}, remote ${hit.ms < 10000 ? 'yes' : 'NO'}`);
  for (const [name, r] of [['local', local], ['remote', hit]]) if (r.hits !== r.tasks) console.log(`NOTE: the ${name} run had ${r.tasks - r.hits} task(s) that were not cache hits`);
  console.log(`outputs in clone A's dist/: ${sizes.dist}; the server's store: ${sizes.store}`);
  const log = join(server, 'access.log');
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  const count = (re) => lines.filter((l) => re.test(l)).length;
  console.log(`remote server (access.log): ${count(/"GET [^"]*" 200 /)} GET hits, ${count(/"GET [^"]*" 404 /)} GET misses, ${count(/"PUT [^"]*" 20[01] /)} PUTs stored`);
} finally {
  spawnSync('bash', [join(repoRoot, 'tools/remote-cache/stop.sh'), '--dir', server], { stdio: 'inherit' });
  if (!values.keep) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}
