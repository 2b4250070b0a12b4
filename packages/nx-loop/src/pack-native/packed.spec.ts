/**
 * pack-native end to end: the example app packed by the real `loop pack native` (dev host +
 * prebuilt runtime hosts from tools/setup/native-hosts.sh), then run the way a user's machine
 * runs it — no Loop, no Node, no cargo: `env -i PATH=/nonexistent` from an empty directory, in a
 * private mount namespace where the checkout, every Loop cache dir, Node and cargo are hidden.
 * Needs: root (unshare), the example components built, the linux-x64 runtime host; the
 * linux-arm64 (qemu-user) and windows-x64 (wine) checks need those hosts too. The first pack
 * for a target compiles the components for it (minutes for the two JS engines with the debug
 * dev host); later packs take them from the code cache — hence the generous timeouts.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExampleApp, dataServer, EXAMPLE_APP, EXPECTED_LINES, GREETING, REPO } from '../../../runtime-browser/test/browser';
import { ensureHostBinary, loopCacheDir } from '../host';

// The dev host, as pack-native uses it (a release build lying around may be older).
const devHost = () => ensureHostBinary({ profile: 'debug', stdio: ['ignore', process.stderr, 'inherit'] });
import packNativeExecutor from '../executors/pack-native/executor';
import { parseTargets, runtimeHostPath } from './targets';

const LOOP = path.join(REPO, 'node_modules/.bin/loop');
const made: string[] = [];
/** A temp dir, removed after the file's tests (packed apps are ~100 MB each). */
const tmp = (p: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  made.push(d);
  return d;
};

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Host diagnostics name component files by path; where the file lives differs between hosts. */
const samePaths = (stderr: string) => stderr.replace(/ from \S*\/([^/\s]+)$/gm, ' from …/$1');

/** Runs a process asynchronously (the data server in this process must keep answering). */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? os.tmpdir(), env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end();
  });
}

/** Directories hidden (empty tmpfs) while a packed artifact runs. */
const HIDDEN = [REPO, loopCacheDir(), path.join(os.homedir(), '.cargo'), path.join(os.homedir(), '.rustup'), path.join(os.homedir(), '.npm')].filter((d) => fs.existsSync(d));
/** Programs hidden (bound to /dev/null). */
const HIDDEN_PROGRAMS = ['/usr/bin/node', '/usr/local/bin/node', '/usr/bin/cargo', '/usr/bin/rustc', '/usr/bin/npm', '/usr/bin/nx'].filter((f) => fs.existsSync(f));

/**
 * `cmd args` with an empty environment (PATH=/nonexistent) from `cwd`, with the checkout, the
 * Loop caches, cargo/rustup and Node hidden. `launcher` (qemu, wine) runs with a normal PATH.
 */
function runIsolated(cwd: string, cmd: string[], extraEnv: string[] = []): Promise<Ran> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    'set -e',
    ...HIDDEN.map((d) => `mount -t tmpfs -o size=1m loop-hidden ${q(d)}`),
    ...HIDDEN_PROGRAMS.map((f) => `mount --bind /dev/null ${q(f)}`),
    `cd ${q(cwd)}`,
    `exec /usr/bin/env -i PATH=/nonexistent ${extraEnv.map(q).join(' ')} ${cmd.map(q).join(' ')}`,
  ].join('\n');
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script]);
}

function requireHost(target: string): string {
  const p = runtimeHostPath(parseTargets(target)[0]);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: build it with \`bash tools/setup/native-hosts.sh ${target}\``);
  return p;
}

let data: Awaited<ReturnType<typeof dataServer>>;
let app = '';
let out = '';
let expected: Ran;

beforeAll(async () => {
  devHost(); // built now if its sources changed, so no test pays for it
  data = await dataServer(path.join(EXAMPLE_APP, 'www'));
  app = copyExampleApp(data.origin);
  out = tmp('loop-packed-');
  // What `loop run` prints for the same app: the reference. (Its data dir is the app's.)
  const env = { ...process.env };
  delete env.LOOP_QUIET; // the packed app runs without it, so the reference does too
  expected = await run(LOOP, ['run', app], { env });
  expect(expected.status).toBe(0);
  expect(expected.stdout.trim().split('\n')).toEqual(EXPECTED_LINES);
});
afterAll(async () => {
  await data?.close();
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A directory a user would have: the executable (or the unpacked bundle) and the app's data/. */
function install(files: Record<string, string>): string {
  const dir = tmp('loop-installed-');
  for (const [name, from] of Object.entries(files)) {
    fs.copyFileSync(from, path.join(dir, name));
    fs.chmodSync(path.join(dir, name), 0o755);
  }
  fs.cpSync(path.join(app, 'data'), path.join(dir, 'data'), { recursive: true });
  return dir;
}

describe('the example app packed for linux-x64', () => {
  let exe = '';
  beforeAll(async () => {
    requireHost('linux-x64');
    const r = await run(LOOP, ['pack', 'native', app, '--target', 'linux-x64', '-o', out]);
    expect(r.stderr).not.toContain('error');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/linux-x64 .*linux-x64\/hello-app \([\d.]+ MB; host alone [\d.]+ MB\), .*hello-app-linux-x64\.tar\.gz \([\d.]+ MB\) in [\d.]+ s/);
    exe = path.join(out, 'linux-x64/hello-app');
  });

  it('writes the single file, the archived bundle and its checksum', () => {
    expect(fs.statSync(exe).mode & 0o111).not.toBe(0);
    expect(fs.statSync(exe).size).toBeGreaterThan(fs.statSync(runtimeHostPath(parseTargets('linux-x64')[0])).size);
    const sum = spawnSync('sha256sum', ['-c', 'hello-app-linux-x64.tar.gz.sha256'], { cwd: out, encoding: 'utf8' });
    expect(sum.stdout).toBe('hello-app-linux-x64.tar.gz: OK\n');
  });

  it('the single file runs with no Loop, Node or cargo (env -i, empty cwd, checkout and caches hidden) and prints what loop run prints', async () => {
    const dir = install({ 'hello-app': exe });
    const empty = tmp('loop-empty-cwd-');
    const r = await runIsolated(empty, [path.join(dir, 'hello-app')]);
    expect(samePaths(r.stderr)).toBe(samePaths(expected.stderr));
    expect(r.stdout).toBe(expected.stdout);
    expect(r.status).toBe(0);
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('refuses a payload with a flipped byte (several offsets) or cut short, with one line naming the file', async () => {
    const host = fs.statSync(runtimeHostPath(parseTargets('linux-x64')[0])).size;
    const bytes = fs.readFileSync(exe);
    const payload = bytes.length - host;
    for (const at of [host + 40, host + Math.floor(payload / 2), bytes.length - 100]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x01;
      const dir = install({ 'hello-app': exe });
      fs.writeFileSync(path.join(dir, 'hello-app'), bad);
      const r = await runIsolated(dir, ['./hello-app']);
      expect(r.status, `flipped byte at ${at}`).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(path.join(fs.realpathSync(dir), 'hello-app'));
      expect(r.stderr).toMatch(/checksum|magic|invalid|truncated/i);
    }
    // A byte inside the data (not the trailer/header): the checksum names it.
    const bad = Buffer.from(bytes);
    bad[host + Math.floor(payload / 2)] ^= 0x80;
    const dir = install({ 'hello-app': exe });
    fs.writeFileSync(path.join(dir, 'hello-app'), bad);
    expect((await runIsolated(dir, ['./hello-app'])).stderr).toContain('checksum');
    fs.writeFileSync(path.join(dir, 'hello-app'), bytes.subarray(0, bytes.length - Math.floor(payload / 3)));
    const cut = await runIsolated(dir, ['./hello-app']);
    expect(cut.status).toBe(1);
    expect(cut.stderr).toContain('truncated');
  });

  it('the unpacked dir bundle runs like loop run; a plugin dropped into plugins/ with code for the target joins the next run', async () => {
    const dir = tmp('loop-bundle-');
    expect(spawnSync('tar', ['-xzf', path.join(out, 'hello-app-linux-x64.tar.gz'), '-C', dir]).status).toBe(0);
    const bundle = path.join(dir, 'hello-app-linux-x64');
    expect(spawnSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: bundle, encoding: 'utf8' }).status).toBe(0);
    fs.cpSync(path.join(app, 'data'), path.join(bundle, 'data'), { recursive: true });
    const first = await runIsolated(tmp('loop-empty-cwd-'), [path.join(bundle, 'hello-app')]);
    expect(first.stdout).toBe(expected.stdout);
    expect(first.status).toBe(0);

    // A plugin without precompiled code: the runtime-only host says so and the app still runs.
    const count = path.join(REPO, 'examples/components/count-rust/dist/count.wasm');
    fs.copyFileSync(count, path.join(bundle, 'plugins/count.wasm'));
    const refused = await runIsolated(bundle, ['./hello-app']);
    expect(refused.stderr).toMatch(/count\.wasm.*precompiled|precompiled.*count/);
    // With its code compiled for the target (`loop-host compile --target`), it runs.
    const dev = devHost();
    const c = spawnSync(dev, ['compile', '--target', 'x86_64-unknown-linux-gnu', '--out-dir', path.join(bundle, 'code'), count], { encoding: 'utf8' });
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const withCount = await runIsolated(bundle, ['./hello-app']);
    expect(withCount.status).toBe(0);
    expect(withCount.stdout).toContain(`[greeter] info: plugin count: ${Array.from(GREETING).length} chars, ${GREETING.split(/\s+/).filter(Boolean).length} words`);
  });
});

describe('other targets', () => {
  it('linux-arm64 under qemu-user prints the same', async () => {
    requireHost('linux-arm64');
    const r = await run(LOOP, ['pack', 'native', app, '--target', 'linux-arm64', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const dir = install({ 'hello-app': path.join(out, 'linux-arm64/hello-app') });
    const q = await run('/usr/bin/qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', path.join(dir, 'hello-app')], { cwd: tmp('loop-empty-cwd-'), env: { PATH: '/nonexistent' } });
    expect(q.stdout).toBe(expected.stdout);
    expect(q.status).toBe(0);
  }, 600_000);

  it('windows-x64 (zip) under wine prints the same', async () => {
    requireHost('windows-x64');
    const r = await run(LOOP, ['pack', 'native', app, '--target', 'windows', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync('unzip', ['-t', path.join(out, 'hello-app-windows-x64.zip')], { encoding: 'utf8' }).stdout).toContain('No errors detected');
    const dir = install({ 'hello-app.exe': path.join(out, 'windows-x64/hello-app.exe') });
    // Wine 8 lacks bcryptprimitives.dll (every Windows 10+ has it): the shared test prefix gets
    // the stand-in tools/setup/native-hosts.sh builds (the packed executable is unchanged).
    const prefix = path.join(loopCacheDir(), 'wineprefix');
    const wineEnv = { PATH: '/usr/bin:/bin', HOME: tmp('loop-wine-home-'), WINEPREFIX: prefix, WINEDEBUG: '-all' };
    const system32 = path.join(prefix, 'drive_c/windows/system32');
    if (!fs.existsSync(system32)) await run('/usr/bin/wine', ['cmd', '/c', 'exit'], { env: wineEnv });
    const dll = path.join(system32, 'bcryptprimitives.dll');
    const shim = path.join(loopCacheDir(), 'hosts/windows-x64/wine/bcryptprimitives.dll');
    if (!fs.existsSync(dll)) {
      if (!fs.existsSync(shim)) throw new Error(`${shim} is missing: bash tools/setup/native-hosts.sh windows-x64 builds it (needs gcc-mingw-w64-x86-64)`);
      fs.copyFileSync(shim, dll);
    }
    const w = await run('/usr/bin/wine', [path.join(dir, 'hello-app.exe')], { cwd: tmp('loop-empty-cwd-'), env: wineEnv });
    expect(w.stdout.replace(/\r\n/g, '\n')).toBe(expected.stdout);
    expect(w.status).toBe(0);
  }, 600_000);

  it('macOS: the code is still precompiled; the error says what this machine lacks', async () => {
    const r = await run(LOOP, ['pack', 'native', app, '--target', 'macos-arm64', '-o', out]);
    if (fs.existsSync(runtimeHostPath(parseTargets('macos-arm64')[0]))) {
      expect(r.status, r.stderr).toBe(0);
      return;
    }
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('macos-arm64  code precompiled for macos-arm64');
    expect(r.stderr).toContain('error[LOOP812] macos-arm64: no runtime host for macos-arm64 (aarch64-apple-darwin), and this machine cannot build one');
    expect(r.stderr).toContain('the Apple macOS SDK');
  }, 600_000);
});

describe('the pack-native executor', () => {
  it('packs the linux group into outputPath, as `nx run <app>:pack-native -c linux` does', async () => {
    requireHost('linux-x64');
    requireHost('linux-arm64');
    const dest = tmp('loop-exec-');
    const r = await packNativeExecutor({ manifest: path.relative(REPO, path.join(app, 'app.loop.toml')), target: 'linux', outputPath: dest }, { root: REPO } as never);
    expect(r).toEqual({ success: true });
    expect(fs.readdirSync(dest).sort()).toEqual(['hello-app-linux-arm64.tar.gz', 'hello-app-linux-arm64.tar.gz.sha256', 'hello-app-linux-x64.tar.gz', 'hello-app-linux-x64.tar.gz.sha256', 'linux-arm64', 'linux-x64']);
  }, 600_000);
});
