/**
 * End to end: a team's remote cache. nginx (tools/remote-cache) on 127.0.0.1 with a bearer
 * token; clone A builds, resolves and packs (web, native) every example app and fills the cache; clone B (its own
 * local cache, no jco/componentize-js installed, cargo replaced by a tripwire) runs the same
 * targets and must get every task from the remote cache, byte for byte.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { cloneWorkspace, headOf, nxEnv } from '../scale/workspace.mjs';
// @ts-expect-error plain ESM helper without types
import { generateApps } from '../scale/generate.mjs';
import { ensureHostBinary } from '../../packages/nx-loop/src/host';

const here = __dirname;
const hasNginx = fs.existsSync('/usr/sbin/nginx');
const TOKEN = 'team-token-1234';
// Build, resolve and pack every example app (web, and native for this machine's target).
const TARGETS = [
  ['run-many', '-t', 'build-component', 'resolve'],
  ['run-many', '-t', 'resolve', '-c', 'web'],
  ['run-many', '-t', 'pack-web'],
  ['run-many', '-t', 'pack-native', '-c', 'linux-x64'],
];

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every file Nx declared as a task output, with its hash. */
function artifacts(ws: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(ws, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(path.join(ws, 'dist'));
  for (const c of fs.readdirSync(path.join(ws, 'examples/components'))) walk(path.join(ws, 'examples/components', c, 'dist'));
  return out;
}

describe.skipIf(!hasNginx)('Nx remote cache on the nginx server from tools/remote-cache', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-remote-cache-'));
  fs.chmodSync(tmp, 0o755); // nginx's workers (user nobody) must reach the store inside
  const serverDir = path.join(tmp, 'server');
  let url = '';
  let a = '';
  let b = '';
  let hostBin = '';
  const nx = (ws: string, args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(path.join(ws, 'node_modules/.bin/nx'), [...args, '--outputStyle=static'], {
      cwd: ws,
      encoding: 'utf8',
      // Each clone's own cache and workspace data (nxEnv's `ws`): B must not see A's entries.
      env: nxEnv({ NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: TOKEN, LOOP_HOST_BIN: hostBin, ...env }, ws),
    });
    // Parsed line by line below: no escape codes, whatever the terminal settings.
    return { ...r, stdout: stripAnsi(r.stdout), stderr: stripAnsi(r.stderr) };
  };

  beforeAll(async () => {
    url = execFileSync(path.join(here, 'start.sh'), ['--dir', serverDir, '--token', TOKEN, '--listen', `127.0.0.1:${await freePort()}`], { encoding: 'utf8' }).trim();
    a = cloneWorkspace(path.join(tmp, 'a'));
    // pack-native precompiles with the dev host: clone A uses this checkout's (same commit on a
    // clean clone) instead of compiling the loop-host crate again at the clone's path.
    const built = ensureHostBinary({ profile: 'debug', stdio: ['ignore', process.stderr, 'inherit'] });
    hostBin = path.join(tmp, 'loop-host');
    fs.copyFileSync(built, hostBin);
  }, 600_000);
  const scratch = [tmp];
  afterAll(() => {
    spawnSync(path.join(here, 'stop.sh'), ['--dir', serverDir]);
    // Two clones with their dist/ and Nx caches, and the server's store: 1-2 GB.
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('start.sh says what is wrong: missing arguments, a store nginx workers cannot reach', () => {
    const usage = spawnSync(path.join(here, 'start.sh'), ['--dir', path.join(tmp, 'x')], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('start.sh: --dir and --token are required');
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-cache-closed-')); // 0700: nobody cannot enter
    scratch.push(closed);
    const r = spawnSync(path.join(here, 'start.sh'), ['--dir', path.join(closed, 'server'), '--token', TOKEN, '--listen', '127.0.0.1:1'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nginx's workers run as 'nobody' and cannot reach");
    expect(r.stderr).toContain('chmod o+x');
  });

  it('refuses a wrong token, and Nx says so', () => {
    const r = nx(a, ['run', 'hello-app:validate'], { NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: 'wrong' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('missing or wrong bearer token for the Loop remote cache');
  });

  it('reports a server that is down, and --skip-remote-cache works without it', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const r = nx(a, ['run', 'hello-app:validate'], { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: down });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Failed to send request/);
    const skip = nx(a, ['run', 'hello-app:validate', '--skip-remote-cache'], { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: down });
    expect(skip.stdout + skip.stderr).toContain('Remote Cache Disabled');
    expect(skip.status).toBe(0);
  });

  it('serves every task of a fresh clone from the remote cache, byte-identical, without running a toolchain', () => {
    for (const args of TARGETS) {
      const r = nx(a, args);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    const fromA = artifacts(a);
    expect(Object.keys(fromA).some((f) => f.endsWith('greeter.wasm'))).toBe(true);
    expect(Object.keys(fromA).some((f) => f.endsWith('web/app.loop.json'))).toBe(true);
    expect(Object.keys(fromA).some((f) => f.includes('/web/site/'))).toBe(true);
    expect(Object.keys(fromA).some((f) => /\/native\/linux-x64\/[^/]+$/.test(f))).toBe(true);

    // B: no jco / componentize-js at all, and a cargo that records any call and fails.
    b = cloneWorkspace(path.join(tmp, 'b'), { commit: headOf(a), without: ['@bytecodealliance/jco', '@bytecodealliance/componentize-js'] });
    expect(fs.existsSync(path.join(b, '.nx/cache'))).toBe(false);
    const tripwire = path.join(tmp, 'cargo-was-called');
    const fakeCargo = path.join(tmp, 'fake-cargo');
    fs.writeFileSync(fakeCargo, `#!/bin/sh\necho "$@" >> ${tripwire}\nexit 1\n`, { mode: 0o755 });
    const accessLog = path.join(serverDir, 'access.log');
    const logBefore = fs.readFileSync(accessLog, 'utf8').length;
    const tasks = new Set<string>();
    for (const args of TARGETS) {
      const r = nx(b, args, { LOOP_GUEST_CARGO: fakeCargo, CARGO: fakeCargo });
      const out = r.stdout + r.stderr;
      expect(r.status, out).toBe(0);
      const ran = [...out.matchAll(/^> nx run (\S+)(.*)$/gm)];
      expect(ran.length).toBeGreaterThan(0);
      // B's own cache started empty, so every hit came from the server. (Nx 23 labels some of
      // them "[local cache]": its batch lookup stores remote results locally first.)
      for (const [line, , tail] of ran) expect(tail, line).toMatch(/\[(remote|local) cache\]/);
      expect(out).toContain(`Nx read the output from the cache instead of running the command for ${ran.length} out of ${ran.length} tasks`);
      for (const [, id] of ran) tasks.add(id);
    }
    // The server handed out one stored entry per distinct task (the second run's dependencies
    // were already fetched by the first).
    const served = fs.readFileSync(accessLog, 'utf8').slice(logBefore).split('\n').filter((l) => / "GET \/v1\/cache\/\d+ HTTP\/1\.1" 200 /.test(l));
    expect(served.length).toBe(tasks.size);
    expect(fs.existsSync(tripwire)).toBe(false);
    expect(artifacts(b)).toEqual(fromA);
  }, 1_800_000); // two clones build every example component (cold in A): minutes on 2 cores

  it('caches correctly: a rerun is all hits; one changed plugin reruns only itself and the resolves and packs of the apps that use it (the apps nx affected names); a new guest compiler misses', () => {
    const local = (args: string[], env: Record<string, string> = {}) => nx(a, [...args, '--skip-remote-cache'], env);
    const statusOf = (out: string) =>
      Object.fromEntries([...out.matchAll(/^> nx run (\S+)(.*)$/gm)].map(([, id, tail]) => [id, /\[(local|remote) cache\]|existing outputs match/.test(tail) ? 'hit' : 'ran']));
    // Every target of the e2e run above (build, resolve for both platforms, pack for both). A
    // task that ran in one of them shows up again as a cache hit where a later one depends on
    // it: it counts as ran.
    const all = () => {
      const st: Record<string, string> = {};
      for (const args of TARGETS) {
        const r = local(args);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        for (const [id, s] of Object.entries(statusOf(r.stdout))) if (st[id] !== 'ran') st[id] = s;
      }
      return st;
    };
    // Three more apps on the same components: app-000 has no 'reverse' plugin, app-001 and
    // app-002 do (tools/scale/generate.mjs). Their first run packs them.
    generateApps(a, 3);
    all();

    // Nothing changed since: every task is a hit.
    const again = all();
    expect(Object.keys(again)).toEqual(expect.arrayContaining(['app-000:pack-native:linux-x64', 'hello-app:pack-web']));
    expect(Object.entries(again).filter(([, s]) => s !== 'hit')).toEqual([]);

    // nx affected (createDependencies' app → component edges): the component and exactly the
    // apps whose manifests name it.
    const reverseSrc = 'examples/components/reverse-ts/src/index.ts';
    const affected = nx(a, ['show', 'projects', '--affected', `--files=${reverseSrc}`, '--skip-remote-cache']);
    expect(affected.status, affected.stderr).toBe(0);
    const users = ['app-001', 'app-002', 'hello-app'];
    expect(affected.stdout.trim().split('\n').sort()).toEqual([...users, 'reverse'].sort());

    // That plugin's source changes: it, and the resolves and packs of the apps that use it,
    // rerun; nothing else does (app-000 and every other component are hits).
    fs.appendFileSync(path.join(a, reverseSrc), '\n// touched by the caching test\n');
    const touched = all();
    const ran = Object.entries(touched).filter(([, s]) => s === 'ran').map(([id]) => id).sort();
    const appTargets = (app: string) => [`${app}:resolve`, `${app}:resolve:web`, `${app}:pack-web`, `${app}:pack-native:linux-x64`];
    expect(ran).toEqual(['reverse:build-component', ...users.flatMap(appTargets)].sort());
    expect(Object.keys(touched)).toEqual(expect.arrayContaining(appTargets('app-000')));

    // A different guest compiler (rustc -vV is an input): exactly the Rust builds miss. A cargo
    // that fails at once proves they ran without paying for a rebuild.
    const rustc = path.join(tmp, 'rustc-next');
    fs.writeFileSync(rustc, '#!/bin/sh\nif [ "$1" = -vV ]; then /usr/bin/rustc -vV | sed "s/^release: /release: 99./"; else exec /usr/bin/rustc "$@"; fi\n', { mode: 0o755 });
    const noCargo = path.join(tmp, 'cargo-refuses');
    fs.writeFileSync(noCargo, '#!/bin/sh\necho "cargo must not be needed for a cache hit" >&2\nexit 1\n', { mode: 0o755 });
    const next = local(['run-many', '-t', 'build-component', '--nxBail=false'], { LOOP_GUEST_RUSTC: rustc, LOOP_GUEST_CARGO: noCargo });
    const st = statusOf(next.stdout);
    // Every Rust component of the checkout (by its marker's language), not a list that goes stale.
    const rust = fs
      .readdirSync(path.join(a, 'examples/components'))
      .map((c) => path.join(a, 'examples/components', c, 'loop.component.toml'))
      .filter((f) => fs.existsSync(f) && /^language\s*=\s*"rust"/m.test(fs.readFileSync(f, 'utf8')))
      .map((f) => `${/^name\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(f, 'utf8'))![1]}:build-component`)
      .sort();
    expect(rust).toEqual(expect.arrayContaining(['count:build-component', 'greeter:build-component', 'hello:build-component']));
    for (const id of rust) expect(st[id], id).toBe('ran');
    for (const [id, s] of Object.entries(st)) if (!rust.includes(id)) expect(s, id).toBe('hit');
    expect(next.status).not.toBe(0);
  }, 1_200_000);
});
