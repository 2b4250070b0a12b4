// The published @loop/nx carries what the native-wasmtime template needs: `npm pack` (prepack:
// scripts/pack-files.cjs copy) ships host-templates/wasmtime-rust (the loop-host crate, its
// Cargo.lock, no target/ or tests) and wit/ (read by loop-host's build.rs at ../../../../wit),
// and postpack removes the copies from the checkout again. From the unpacked tarball, the
// generator finds the crate in the package itself and scaffolds a host whose Cargo.toml points at
// it; cargo resolves that host offline against the shipped Cargo.lock. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../../../../..');
const PKG = path.join(REPO, 'packages/nx-loop');

describe('@loop/nx as packed by npm: the native-wasmtime template finds its crate', () => {
  let tmp = '';
  let unpacked = '';
  let packed: string[] = [];
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(tmpdir(), 'loop-nx-packed-'));
    const r = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: PKG, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout)[0];
    packed = info.files.map((f: { path: string }) => f.path);
    const x = spawnSync('tar', ['-xzf', path.join(tmp, info.filename), '-C', tmp], { encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
    unpacked = path.join(tmp, 'package');
    // What an install provides next to the package (its dependencies and nx).
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(unpacked, 'node_modules'));
  }, 300_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ships the loop-host crate with its Cargo.lock and the WIT, not target/, tests or fuzz/', () => {
    for (const f of [
      'host-templates/wasmtime-rust/Cargo.toml',
      'host-templates/wasmtime-rust/Cargo.lock',
      'host-templates/wasmtime-rust/crates/loop-host/Cargo.toml',
      'host-templates/wasmtime-rust/crates/loop-host/build.rs',
      'host-templates/wasmtime-rust/crates/loop-host/src/embed.rs',
      'wit/worlds.wit',
      'wit/deps/log/log.wit',
      'schema/app.loop.schema.json',
      'src/generators/host/files/native-wasmtime/Cargo.toml__tmpl__',
      'src/generators/host/files/native-wasmtime/scripts/build.mjs__tmpl__',
    ]) {
      expect(packed, f).toContain(f);
    }
    expect(packed.filter((f) => /(^|\/)(target|tests|fuzz)\//.test(f) || /\.(c?wasm|spec\.ts)$/.test(f))).toEqual([]);
    // postpack put the checkout back as it was: the generator there still finds the checkout's crate.
    for (const d of ['host-templates', 'wit', 'schema']) expect(fs.existsSync(path.join(PKG, d)), d).toBe(false);
  });

  it('the generator of the unpacked package uses the crate inside it and scaffolds a host cargo resolves', () => {
    const ws = path.join(tmp, 'ws');
    fs.mkdirSync(path.join(ws, 'apps/a'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'apps/a/app.loop.toml'), '[app]\nname = "a"\nentry = "x"\n');
    const script = `
      const g = require(${JSON.stringify(path.join(unpacked, 'dist/generators/host/generator.js'))});
      g.generateHostProject(process.argv[1], { name: 'nat', template: 'native-wasmtime', app: 'apps/a' })
        .then((r) => console.log(JSON.stringify({ crate: g.findLoopHostCrate(), templates: g.templatesDir(), files: r.files })));`;
    const env = { ...process.env };
    delete env.LOOP_HOST_CRATE;
    const r = spawnSync(process.execPath, ['-e', script, ws], { env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const crate = path.join(unpacked, 'host-templates/wasmtime-rust/crates/loop-host');
    expect(out.crate).toBe(crate);
    expect(out.templates).toBe(path.join(unpacked, 'src/generators/host/files'));
    expect(out.files).toContain('hosts/nat/src/providers/greeting.rs');
    // loop-host's build.rs reads Loop's WIT at ../../../../wit from the crate.
    expect(fs.existsSync(path.join(crate, '../../../../wit/worlds.wit'))).toBe(true);
    const cargo = fs.readFileSync(path.join(ws, 'hosts/nat/Cargo.toml'), 'utf8');
    expect(path.resolve(ws, 'hosts/nat', /loop-host = \{ path = "([^"]+)" \}/.exec(cargo)![1])).toBe(crate);
    // cargo reads the scaffolded crate and the packed loop-host and resolves every dependency
    // from the shipped Cargo.lock without the network: it adds only the host's own entry.
    const meta = spawnSync('cargo', ['metadata', '--offline', '--format-version', '1', '--manifest-path', path.join(ws, 'hosts/nat/Cargo.toml')], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
    expect(meta.status, meta.stderr).toBe(0);
    const packages = JSON.parse(meta.stdout).packages as { name: string; manifest_path: string }[];
    expect(packages.find((p) => p.name === 'loop-host')?.manifest_path).toBe(path.join(crate, 'Cargo.toml'));
    expect(packages.some((p) => p.name === 'wasmtime')).toBe(true);
    const locked = (file: string) =>
      (parse(fs.readFileSync(file, 'utf8')) as { package: { name: string; version: string; source?: string }[] }).package
        .filter((p) => p.source)
        .map((p) => `${p.name}@${p.version}`)
        .sort();
    expect(locked(path.join(ws, 'hosts/nat/Cargo.lock'))).toEqual(locked(path.join(crate, '../../Cargo.lock')));
  }, 300_000);
});
