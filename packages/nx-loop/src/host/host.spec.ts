import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureHostBinary, findHostBinary, hostBinaryPath, hostIsStale, hostTemplateDir, HostError } from './index';

describe('native host location', () => {
  it('puts the binary in the shared cargo target dir under LOOP_CACHE_DIR', () => {
    const p = hostBinaryPath('release', { LOOP_CACHE_DIR: '/cache' });
    expect(p.replace(/\\/g, '/')).toMatch(/^\/cache\/target\/release\/loop-host(\.exe)?$/);
  });

  it('finds the workspace host template by walking up', () => {
    const dir = hostTemplateDir(__dirname, {});
    expect(dir?.replace(/\\/g, '/')).toMatch(/host-templates\/wasmtime-rust$/);
  });

  it('honours LOOP_HOST_BIN and refuses a missing one by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loop-hostbin-'));
    const bin = join(dir, 'my-host');
    writeFileSync(bin, '');
    expect(findHostBinary({ LOOP_HOST_BIN: bin })).toBe(bin);
    expect(ensureHostBinary({ env: { LOOP_HOST_BIN: bin } })).toBe(bin);
    expect(() => ensureHostBinary({ env: { LOOP_HOST_BIN: join(dir, 'nope') } })).toThrow(HostError);
    expect(() => ensureHostBinary({ env: { LOOP_HOST_BIN: join(dir, 'nope') } })).toThrow(/LOOP_HOST_BIN=.*nope: no such file/);
  });

  it('is stale when the binary is missing or older than a source file', () => {
    const root = mkdtempSync(join(tmpdir(), 'loop-hoststale-'));
    const template = join(root, 'host-templates', 'wasmtime-rust');
    mkdirSync(join(template, 'crates', 'loop-host', 'src'), { recursive: true });
    mkdirSync(join(root, 'wit'), { recursive: true });
    writeFileSync(join(template, 'Cargo.toml'), '[workspace]');
    writeFileSync(join(template, 'crates', 'loop-host', 'src', 'main.rs'), 'fn main() {}');
    writeFileSync(join(root, 'wit', 'app.wit'), 'package loop:app@0.1.0;');
    const bin = join(root, 'loop-host');
    expect(hostIsStale(template, bin)).toBe(true);
    writeFileSync(bin, '');
    const future = new Date(Date.now() + 60_000);
    utimesSync(bin, future, future);
    expect(hostIsStale(template, bin)).toBe(false);
    const later = new Date(Date.now() + 120_000);
    utimesSync(join(root, 'wit', 'app.wit'), later, later);
    expect(hostIsStale(template, bin)).toBe(true);
  });
});
