/**
 * pack-native without the runtime hosts: target names and groups, the archive writers (checked
 * by the system's own tar and unzip), and the errors of the CLI for bad targets and missing hosts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, isLoopError } from '../errors';
import { main } from '../cli/main';
import { ensureHostBinary } from '../host';
import { generateKeyPair } from '../signing/keys';
import { crc32Combine, directoryEntries, PIECE_MIN, readSums, tarGz, writeArchive, writeWithChecksum, zip } from './archive';
import * as zlib from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { parseTargets, requireRuntimeHost, runtimeHostPath, TARGETS } from './targets';

const REPO = path.resolve(__dirname, '../../../..');
const LOOP = path.join(REPO, 'node_modules/.bin/loop');
const made: string[] = [];
/** A temp dir, removed after the file's tests (packed apps are ~100 MB each). */
const tmp = (p: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  made.push(d);
  return d;
};

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function errorText(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isLoopError(e)) return e.diagnostics.map(formatDiagnostic).join('\n');
    throw e;
  }
  throw new Error('expected a LoopError');
}

describe('targets', () => {
  it('expands groups, takes names and triples, keeps one of each in a fixed order', () => {
    expect(parseTargets('linux').map((t) => t.name)).toEqual(['linux-x64', 'linux-arm64']);
    expect(parseTargets('windows').map((t) => t.name)).toEqual(['windows-x64']);
    expect(parseTargets('macos').map((t) => t.name)).toEqual(['macos-x64', 'macos-arm64']);
    expect(parseTargets(['macos-arm64,linux', 'linux-x64']).map((t) => t.name)).toEqual(['linux-x64', 'linux-arm64', 'macos-arm64']);
    expect(parseTargets('x86_64-pc-windows-gnu')[0]).toMatchObject({ name: 'windows-x64', exe: '.exe', archive: 'zip' });
    expect(parseTargets('linux,windows,macos')).toHaveLength(5);
    expect(TARGETS.map((t) => `${t.name}=${t.triple}`)).toEqual([
      'linux-x64=x86_64-unknown-linux-gnu',
      'linux-arm64=aarch64-unknown-linux-gnu',
      'windows-x64=x86_64-pc-windows-gnu',
      'macos-x64=x86_64-apple-darwin',
      'macos-arm64=aarch64-apple-darwin',
    ]);
  });

  it('names every unknown target, with the ones it knows', () => {
    expect(errorText(() => parseTargets('linux,solaris,freebsd-x64'))).toBe(
      'error[LOOP810] --target: unknown target "solaris"\n  hint: use a group (linux, windows, macos) or a target (linux-x64, linux-arm64, windows-x64, macos-x64, macos-arm64)\n' +
        'error[LOOP810] --target: unknown target "freebsd-x64"\n  hint: use a group (linux, windows, macos) or a target (linux-x64, linux-arm64, windows-x64, macos-x64, macos-arm64)',
    );
    expect(errorText(() => parseTargets(' , '))).toContain('error[LOOP810] --target: no target given');
  });

  it('says which runtime host is missing and the command that builds it; for macOS, what this machine lacks', () => {
    const env = { LOOP_CACHE_DIR: tmp('loop-hosts-') };
    const [arm] = parseTargets('linux-arm64');
    expect(runtimeHostPath(arm, env)).toBe(path.join(env.LOOP_CACHE_DIR, 'hosts/linux-arm64/loop-host'));
    expect(runtimeHostPath(parseTargets('windows')[0], env)).toBe(path.join(env.LOOP_CACHE_DIR, 'hosts/windows-x64/loop-host.exe'));
    const missing = errorText(() => requireRuntimeHost(arm, env));
    expect(missing).toContain('error[LOOP811] linux-arm64: no runtime host for linux-arm64 (aarch64-unknown-linux-gnu)');
    expect(missing).toContain('hint: build it with `bash tools/setup/native-hosts.sh linux-arm64`');
    const mac = errorText(() => requireRuntimeHost(parseTargets('macos-arm64')[0], env));
    expect(mac).toContain('error[LOOP812] macos-arm64: no runtime host for macos-arm64 (aarch64-apple-darwin), and this machine cannot build one');
    expect(mac).toContain('the Apple macOS SDK');
    expect(mac).toContain('Mach-O linker');
    // An explicit host path wins over the cache.
    const own = path.join(env.LOOP_CACHE_DIR, 'my-host');
    fs.writeFileSync(own, '');
    expect(requireRuntimeHost(arm, { ...env, LOOP_RUNTIME_HOST_LINUX_ARM64: own })).toBe(own);
  });
});

describe('archives (written with zlib, read by the system tar and unzip)', () => {
  const dir = tmp('loop-archive-src-');
  const deep = 'components/' + 'very-long-directory-name-'.repeat(4) + '/x';
  fs.mkdirSync(path.join(dir, deep), { recursive: true });
  fs.mkdirSync(path.join(dir, 'plugins'));
  fs.writeFileSync(path.join(dir, 'app'), Buffer.from('#!/bin/sh\necho hi\n'));
  fs.chmodSync(path.join(dir, 'app'), 0o755);
  fs.writeFileSync(path.join(dir, 'app.loop.json'), '{"format":"loop.app/1"}\n');
  fs.writeFileSync(path.join(dir, deep, 'greeter.wasm'), Buffer.alloc(70_000, 7));
  fs.writeFileSync(path.join(dir, 'SHA256SUMS'), 'x\n');
  const same = (a: string, b: string) => {
    for (const f of ['app', 'app.loop.json', `${deep}/greeter.wasm`, 'SHA256SUMS']) expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f))), f).toBe(true);
    expect(fs.statSync(path.join(b, 'plugins')).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(b, 'app')).mode & 0o111).not.toBe(0);
    expect(fs.statSync(path.join(b, 'app.loop.json')).mode & 0o111).toBe(0);
  };

  it('tar.gz: unpacks with tar to the same files and modes, and is byte-reproducible', () => {
    const out = tmp('loop-archive-out-');
    const file = path.join(out, 'hello-linux-x64.tar.gz');
    const hex = writeWithChecksum(file, tarGz(directoryEntries(dir, 'hello-linux-x64')));
    expect(tarGz(directoryEntries(dir, 'hello-linux-x64')).equals(fs.readFileSync(file))).toBe(true);
    expect(fs.readFileSync(`${file}.sha256`, 'utf8')).toBe(`${hex}  hello-linux-x64.tar.gz\n`);
    expect(spawnSync('sha256sum', ['-c', 'hello-linux-x64.tar.gz.sha256'], { cwd: out, encoding: 'utf8' }).stdout).toBe('hello-linux-x64.tar.gz: OK\n');
    const x = spawnSync('tar', ['-xzf', file, '-C', out], { encoding: 'utf8' });
    expect(x.stderr).toBe('');
    expect(x.status).toBe(0);
    same(dir, path.join(out, 'hello-linux-x64'));
  });

  it('zip: passes unzip -t, unpacks to the same files and modes, and is byte-reproducible', () => {
    const out = tmp('loop-archive-zip-');
    const file = path.join(out, 'hello-windows-x64.zip');
    writeWithChecksum(file, zip(directoryEntries(dir, 'hello-windows-x64')));
    expect(zip(directoryEntries(dir, 'hello-windows-x64')).equals(fs.readFileSync(file))).toBe(true);
    const t = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(t.stdout).toContain('No errors detected');
    expect(spawnSync('unzip', ['-q', file, '-d', out]).status).toBe(0);
    same(dir, path.join(out, 'hello-windows-x64'));
  });
});

describe('archives from deflated pieces and the piece cache', () => {
  it('crc32Combine gives the CRC-32 of the concatenation', () => {
    for (const [a, b] of [[0, 0], [1, 0], [0, 1], [17, 70_000], [5000, 1], [65_537, 300_000]]) {
      const A = randomBytes(a);
      const B = randomBytes(b);
      expect(crc32Combine(zlib.crc32(A), zlib.crc32(B), B.length)).toBe(zlib.crc32(Buffer.concat([A, B])) >>> 0);
    }
  });

  // Large files (pieces of their own) next to small ones, one listed in SHA256SUMS with a wrong sum.
  const dir = tmp('loop-archive-pieces-');
  fs.mkdirSync(path.join(dir, 'code'));
  fs.mkdirSync(path.join(dir, 'plugins'));
  const big = Buffer.concat([randomBytes(PIECE_MIN), Buffer.alloc(3 * PIECE_MIN, 'loop ')]);
  fs.writeFileSync(path.join(dir, 'app'), Buffer.concat([Buffer.from('#!/bin/sh\necho hi\n'), big]));
  fs.chmodSync(path.join(dir, 'app'), 0o755);
  fs.writeFileSync(path.join(dir, 'code/a.cwasm'), big);
  fs.writeFileSync(path.join(dir, 'code/b.cwasm'), randomBytes(PIECE_MIN + 3)); // deflate does not help: stored in the zip
  fs.writeFileSync(path.join(dir, 'app.loop.json'), '{"format":"loop.app/1"}\n');
  const sha = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
  fs.writeFileSync(path.join(dir, 'SHA256SUMS'), `${sha('app')}  app\n${sha('code/a.cwasm')}  code/a.cwasm\n${'0'.repeat(64)}  code/b.cwasm\n`);

  for (const kind of ['tar.gz', 'zip'] as const) {
    it(`${kind}: the same bytes from a cold cache, a warm cache and no cache; tar/unzip read them; a damaged cache entry is not used`, () => {
      const out = tmp('loop-archive-pieces-out-');
      const cache = path.join(out, 'cache');
      const file = (n: string) => path.join(out, `${n}.${kind}`);
      const entries = () => directoryEntries(dir, 'b', readSums(dir));
      const none = writeArchive(file('none'), kind, entries(), { level: 1 });
      const cold = writeArchive(file('cold'), kind, entries(), { level: 1, cacheDir: cache });
      // Pieces are cached only under a sha256 that matches the bytes (b.cwasm's sum is wrong).
      const cached = fs.readdirSync(cache).sort();
      expect(cached.map((f) => f.slice(0, 64)).sort()).toEqual([sha('app'), sha('code/a.cwasm')].sort());
      const warm = writeArchive(file('warm'), kind, entries(), { level: 1, cacheDir: cache });
      expect(cold).toEqual(none);
      expect(warm).toEqual(none);
      expect(fs.readFileSync(file('warm')).equals(fs.readFileSync(file('none')))).toBe(true);
      expect((kind === 'zip' ? zip : tarGz)(entries(), 1).equals(fs.readFileSync(file('none')))).toBe(true);
      expect(fs.readFileSync(`${file('warm')}.sha256`, 'utf8')).toBe(`${warm.sha256}  warm.${kind}\n`);
      // A flipped byte in a cached piece: detected (its own sha256), deflated again, same archive.
      const piece = path.join(cache, cached[0]);
      const bytes = fs.readFileSync(piece);
      bytes[bytes.length - 10] ^= 0xff;
      fs.writeFileSync(piece, bytes);
      expect(writeArchive(file('healed'), kind, entries(), { level: 1, cacheDir: cache })).toEqual(none);
      const x = path.join(out, 'x');
      fs.mkdirSync(x);
      const r = kind === 'zip' ? spawnSync('unzip', ['-q', file('warm'), '-d', x], { encoding: 'utf8' }) : spawnSync('tar', ['-xzf', file('warm'), '-C', x], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (const f of ['app', 'app.loop.json', 'code/a.cwasm', 'code/b.cwasm', 'SHA256SUMS']) expect(fs.readFileSync(path.join(x, 'b', f)).equals(fs.readFileSync(path.join(dir, f))), f).toBe(true);
      expect(fs.statSync(path.join(x, 'b/app')).mode & 0o111).not.toBe(0);
      expect(fs.statSync(path.join(x, 'b/plugins')).isDirectory()).toBe(true);
      if (kind === 'tar.gz') expect(spawnSync('gzip', ['-t', file('warm')]).status).toBe(0);
      else expect(spawnSync('unzip', ['-t', file('warm')], { encoding: 'utf8' }).stdout).toContain('No errors detected');
    });
  }
});

describe('loop pack native: errors before anything is packed', () => {
  const loop = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(LOOP, ['pack', 'native', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, LOOP_QUIET: '1', ...env } });

  it('an unknown target', () => {
    const r = loop(['examples/apps/hello', '--target', 'linux,plan9']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[LOOP810] --target: unknown target "plan9"');
  });

  it('an app and --manifest both', () => {
    const r = loop(['examples/apps/hello', '--manifest', 'examples/apps/hello/app.loop.toml']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[LOOP012]');
  });

  it('--release for an app packed with the prebuilt runtime hosts (it applies to a custom host only)', () => {
    const r = loop(['examples/apps/hello', '--target', 'linux-x64', '--release']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[LOOP012] release: a release build applies to an app with its own host ([targets] native-host); this app is packed with loop-host's runtime hosts, which are release builds already");
  });

  it('an app with its own host ([targets] native-host) whose plugin dir is outside the app: its bundle cannot hold it; nothing is built', async () => {
    const ws = tmp('loop-pack-custom-plugins-');
    const quiet = { cwd: ws, out: () => {}, err: () => {} };
    expect(await main(['host', 'new', 'bare', '--template', 'native-wasmtime'], quiet)).toBe(0);
    const app = path.join(ws, 'apps/a');
    fs.mkdirSync(app, { recursive: true });
    fs.mkdirSync(path.join(ws, 'shared-plugins'));
    fs.writeFileSync(path.join(app, 'c.wat'), '(component)\n');
    fs.writeFileSync(
      path.join(app, 'app.loop.toml'),
      '[app]\nname = "a"\nentry = "c"\n\n[components.c]\nsource = "c.wat"\n\n[plugins]\ndir = "../../shared-plugins"\n\n[targets]\nnative-host = "../../hosts/bare"\n',
    );
    const err: string[] = [];
    const code = await main(['pack', 'native', 'apps/a', '--target', 'linux-x64', '-o', 'out'], { cwd: ws, out: () => {}, err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain(
      'error[LOOP817] plugins.dir: the plugin dir ../../shared-plugins is outside the app dir: the dir bundle cannot hold it where the host looks for it (relative to the executable)',
    );
    expect(fs.existsSync(path.join(ws, 'hosts/bare/dist'))).toBe(false);
    expect(fs.readdirSync(path.join(ws, 'out'))).toEqual([]);
  });

  it('a manifest that does not resolve (a component not built)', () => {
    const r = loop(['--manifest', 'spec/manifests/resolve-errors/component-not-built', '--target', 'linux-x64']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[LOOP303]');
  });

  it('a missing runtime host: names the target, the file and the command that builds it; other targets are still tried', () => {
    // The dev host, as pack-native uses it (a release build lying around may be older).
    const dev = ensureHostBinary({ profile: 'debug', stdio: ['ignore', process.stderr, 'inherit'] });
    const cache = tmp('loop-empty-cache-');
    const out = tmp('loop-pack-out-');
    const r = loop(['examples/apps/hello', '--target', 'linux-arm64,windows-x64', '-o', out], { LOOP_CACHE_DIR: cache, LOOP_HOST_BIN: dev });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('packed hello-app for no target:');
    expect(r.stderr).toContain(`${path.join(cache, 'hosts/linux-arm64/loop-host')}: error[LOOP811] linux-arm64: no runtime host for linux-arm64`);
    expect(r.stderr).toContain('build it with `bash tools/setup/native-hosts.sh linux-arm64`');
    expect(r.stderr).toContain('error[LOOP811] windows-x64: no runtime host for windows-x64 (x86_64-pc-windows-gnu)');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('checks signatures at pack time: an unsigned plugin file in a trust class with keys stops the pack', () => {
    const app = tmp('loop-pack-signed-');
    const comp = (p: string) => path.join(REPO, 'examples/components', p);
    const key = generateKeyPair().publicKey.toString();
    fs.writeFileSync(
      path.join(app, 'app.loop.toml'),
      `[app]\nname = "signed"\nentry = "greeter"\n[components.greeter]\nsource = ${JSON.stringify(comp('greeter-rust'))}\nclass = "core"\n` +
        `[components.formatter]\nsource = ${JSON.stringify(comp('formatter-basic-js'))}\n` +
        `[plugins]\ndir = "plugins"\ntrust = "vendor"\n[trust.vendor]\nallow = ["loop:log"]\nkeys = ["${key}"]\n`,
    );
    fs.mkdirSync(path.join(app, 'plugins'));
    fs.copyFileSync(comp('count-rust/dist/count.wasm'), path.join(app, 'plugins/count.wasm'));
    const out = tmp('loop-pack-out-');
    const r = loop([app, '--target', 'linux-x64', '-o', out], { LOOP_CACHE_DIR: tmp('loop-empty-cache-'), LOOP_HOST_BIN: '/nonexistent/loop-host' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('plugin count.wasm is in trust class "vendor", which requires a valid signature by one of its keys');
    expect(r.stderr).not.toContain('LOOP814'); // refused before the host is looked for
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
