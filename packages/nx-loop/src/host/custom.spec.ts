// The custom-host side of `loop run` without cargo: which project an app names, what is wrong
// with a directory that is not a native-wasmtime host, and when its executable is stale. The
// build and run for real (cargo, a Rust guest, `loop run`) are in
// src/generators/host/native.spec.ts.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../errors';
import { main } from '../cli/main';
import { customHostStaleness, nativeHostOfApp, readCustomHost } from './custom';

describe('custom native host of an app ([targets] native-host)', () => {
  let ws = '';
  const w = (f: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
    fs.writeFileSync(path.join(ws, f), text);
  };
  const setTime = (f: string, seconds: number) => fs.utimesSync(path.join(ws, f), seconds, seconds);

  beforeAll(async () => {
    ws = fs.mkdtempSync(path.join(tmpdir(), 'loop-custom-host-'));
    const r = await main(['host', 'new', 'h', '--template', 'native-wasmtime'], { cwd: ws, out: () => {}, err: () => {} });
    expect(r).toBe(0);
    w('apps/a/app.loop.toml', '[app]\nname = "a"\nentry = "main"\n\n[components.main]\nsource = "main.wat"\n\n[targets]\nnative-host = "../../hosts/h"\n');
    w('apps/b/app.loop.toml', '[app]\nname = "b"\nentry = "main"\n\n[components.main]\nsource = "main.wat"\n');
  });
  afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('is the scaffolded project: binary name, dist/ executable, the loop-host crate it depends on', () => {
    const host = nativeHostOfApp(path.join(ws, 'apps/a/app.loop.toml'))!;
    expect(host.dir).toBe(path.join(ws, 'hosts/h'));
    expect(host.name).toBe('h');
    expect(host.exe).toBe(path.join(ws, 'hosts/h/dist', process.platform === 'win32' ? 'h.exe' : 'h'));
    expect(fs.existsSync(path.join(host.loopHostCrate!, 'src/embed.rs'))).toBe(true);
    expect(nativeHostOfApp(path.join(ws, 'apps/b/app.loop.toml'))).toBeNull();
  });

  it('a directory that is not a native-wasmtime host is LOOP022, naming what is missing', () => {
    const err = (dir: string) => {
      try {
        readCustomHost(path.join(ws, dir), dir);
      } catch (e) {
        if (!isLoopError(e)) throw e;
        return `${e.diagnostics[0].code} ${e.diagnostics[0].file}: ${e.diagnostics[0].message}`;
      }
      return 'no error';
    };
    expect(err('apps')).toMatch(/^LOOP022 apps: not a native-wasmtime host project: cannot read loop\.host\.json/);
    w('other/loop.host.json', '{"template":"browser-worker"}');
    expect(err('other')).toBe('LOOP022 other: not a native-wasmtime host project: loop.host.json has template "browser-worker"');
    w('other/loop.host.json', '{"template":"native-wasmtime"}');
    expect(err('other')).toBe('LOOP022 other: not a native-wasmtime host project: it has no scripts/build.mjs');
  });

  it('is rebuilt when never built by loop run, when the graph, profile or a source changed, or when rebuilt by someone else', () => {
    const host = readCustomHost(path.join(ws, 'hosts/h'));
    const graph = '{"format":"loop.app/1"}';
    expect(customHostStaleness(host, graph, 'debug')).toMatch(/does not exist$/);
    w('hosts/h/dist/h', 'an executable');
    setTime('hosts/h/dist/h', 1000);
    expect(customHostStaleness(host, graph, 'debug')).toBe('not built by loop run yet');
    // What ensureCustomHost writes after a build.
    const hash = createHash('sha256').update(graph).digest('hex');
    w('hosts/h/dist/h.loop-run.json', JSON.stringify({ graph: hash, profile: 'debug' }));
    const now = Date.now() / 1000;
    setTime('hosts/h/dist/h.loop-run.json', now);
    expect(customHostStaleness(host, graph, 'debug')).toBeNull();
    expect(customHostStaleness(host, '{"format":"loop.app/1","app":{}}', 'debug')).toBe('the app changed');
    expect(customHostStaleness(host, graph, 'release')).toBe('built as debug');
    setTime('hosts/h/src/providers/greeting.rs', now + 10);
    expect(customHostStaleness(host, graph, 'debug')).toBe('its sources changed');
    setTime('hosts/h/src/providers/greeting.rs', 1000);
    setTime('hosts/h/dist/h', now + 10);
    expect(customHostStaleness(host, graph, 'debug')).toBe('the executable was rebuilt since');
  });
});
