/**
 * pack-web and serve without a browser: the site layout, the transpile options that make
 * the browser host work (JSPI suspending imports, promising exports), bad inputs, and the
 * CLI verbs. The Chromium end-to-end tests are in packages/runtime-browser/test.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../cli/main';
import executor from '../executors/pack-web/executor';
import { importedFunctions } from './transpile';
import { packWeb, repackPlugins } from './index';
import { serveSite } from './serve';

const REPO = path.resolve(__dirname, '../../../..');
const WAT_PLUGIN = `(component
  (core module $m (func (export "f") (result i32) i32.const 7))
  (core instance $i (instantiate $m))
  (func $f (result u32) (canon lift (core func $i "f")))
  (instance $x (export "seven" (func $f)))
  (export "test:seven/seven@0.1.0" (instance $x)))`;

const tmp: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-pack-web-'));
  tmp.push(d);
  return d;
}
afterAll(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function cli(args: string[], cwd = REPO) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function appWith(toml: string, files: Record<string, string> = {}): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'app.loop.toml'), toml);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('pack-web', () => {
  test('reads the function names each import destructures (for JSPI suspending imports)', () => {
    const js = "const { format } = imports['example:hello/formatter'];\nconst { fetch: fetch$1 } = imports['loop:http/client'];\nconst { setText, getText } = imports['loop:dom/document'];";
    expect(Object.fromEntries(importedFunctions(js))).toEqual({
      'example:hello/formatter': ['format'],
      'loop:http/client': ['fetch'],
      'loop:dom/document': ['set-text', 'get-text'],
    });
  });

  test('packs the example app: site files, graph paths at the transpiled modules, JSPI glue, seed', async () => {
    const out = tempDir();
    const r = await packWeb(path.join(REPO, 'examples/apps/hello'), { out });
    expect(r.files).toEqual(expect.arrayContaining(['index.html', 'loop-page.js', 'loop-worker.js', 'sw.js', 'app.loop.json', 'loop.site.json', 'plugins/index.json', 'seed/data/greeting.txt']));
    const graph = JSON.parse(fs.readFileSync(path.join(out, 'app.loop.json'), 'utf8'));
    const site = JSON.parse(fs.readFileSync(path.join(out, 'loop.site.json'), 'utf8'));
    expect(graph.platform).toBe('web');
    expect(graph.capabilities['loop:fs']).toEqual({ provider: 'opfs', root: 'data' });
    for (const c of graph.components) {
      expect(c.path).toBe(site.components[c.name].js);
      expect(fs.existsSync(path.join(out, c.path))).toBe(true);
      // Large core modules are stored gzipped (`<file>.gz`); either way the recorded sha256 is
      // that of the module itself.
      const sc = site.components[c.name];
      for (const [f, sha] of Object.entries(sc.files as Record<string, string>)) {
        const stored = sc.gzip?.includes(f) ? `${f}.gz` : f;
        const bytes = fs.readFileSync(path.join(out, sc.dir, stored));
        const module = stored === f ? bytes : zlib.gunzipSync(bytes);
        expect(createHash('sha256').update(module).digest('hex'), stored).toBe(sha);
        expect(module.subarray(0, 4).toString('latin1'), stored).toBe('\0asm');
        expect(fs.existsSync(path.join(out, sc.dir, stored === f ? `${f}.gz` : f)), stored).toBe(false);
      }
    }
    // The StarlingMonkey modules (11 MiB) are gzipped, the Rust greeter's small ones are not.
    expect(site.components.formatter.gzip).toEqual(['formatter.core.wasm']);
    expect(site.components.greeter.gzip).toBeUndefined();
    expect(site.components.greeter.imports).toEqual(expect.arrayContaining(['loop:fs/files', 'loop:http/client', 'example:hello/formatter']));
    expect(site.components.formatter.exports).toEqual(['example:hello/formatter@0.1.0']);
    // The greeter waits on OPFS/fetch/other components through JSPI; its run is promising.
    const greeterJs = fs.readFileSync(path.join(out, graph.components[0].path), 'utf8');
    expect(greeterJs).toContain('WebAssembly.Suspending');
    expect(greeterJs).toContain('WebAssembly.promising');
    const sw = fs.readFileSync(path.join(out, 'sw.js'), 'utf8');
    expect(sw).toMatch(/^const LOOP_SITE = \{"version":"[0-9a-f]{16}","files":\["\.\/",/);
  }, 300_000);

  test('plugins of the plugin directory are versioned by content and re-packed in place', async () => {
    const app = appWith('[app]\nname = "p"\nentry = "seven"\n[components.seven]\nsource = "seven.wat"\nclass = "core"\n[plugins]\ndir = "plugins"\n', {
      'seven.wat': WAT_PLUGIN,
      'plugins/one.wat': WAT_PLUGIN,
    });
    const out = tempDir();
    const r = await packWeb(app, { out });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'plugins/index.json'), 'utf8'));
    expect(index.plugins.map((p: any) => p.name)).toEqual(['one']);
    expect(index.plugins[0].dir).toMatch(/^plugins\/one\/[0-9a-f]{16}\/$/);
    fs.writeFileSync(path.join(app, 'plugins/one.wat'), WAT_PLUGIN.replace('i32.const 7', 'i32.const 8'));
    fs.writeFileSync(path.join(app, 'plugins/two.wat'), WAT_PLUGIN);
    const again = await repackPlugins(out, r.pluginsDir);
    expect(again.map((p) => p.name)).toEqual(['one', 'two']);
    expect(again[0].version).not.toBe(index.plugins[0].version);
    expect(fs.existsSync(path.join(out, index.plugins[0].dir))).toBe(false);
    expect(fs.existsSync(path.join(out, again[0].dir, 'plugin.js'))).toBe(true);
  }, 120_000);

  test('a missing component file is an error naming the component and the build command', async () => {
    const app = appWith('[app]\nname = "p"\nentry = "seven"\n[components.seven]\nsource = "seven.wasm"\nclass = "core"\n', {});
    fs.writeFileSync(path.join(app, 'seven.wasm'), 'x');
    fs.rmSync(path.join(app, 'seven.wasm'));
    const r = await cli(['pack', 'web', app, '--out', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error\[LOOP\d+\]/);
    expect(r.err).toContain('seven.wasm');
  });

  test('a file that is not a component is a transpile error naming the file', async () => {
    const app = appWith('[app]\nname = "p"\nentry = "seven"\n[components.seven]\nsource = "seven.wat"\nclass = "core"\n', { 'seven.wat': '(module)' });
    const r = await cli(['pack', 'web', app, '--out', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[LOOP702]');
    expect(r.err).toContain('seven.wat');
    expect(r.err).toContain('jco transpile failed');
  });

  test('loop pack web --inline writes one HTML file with every site file embedded', async () => {
    const out = tempDir();
    const app = appWith('[app]\nname = "p"\nentry = "seven"\n[components.seven]\nsource = "seven.wat"\nclass = "core"\n', { 'seven.wat': WAT_PLUGIN });
    const r = await cli(['pack', 'web', app, '--out', out, '--inline']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['index.html']);
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    for (const f of ['app.loop.json', 'loop.site.json', 'loop-worker.js']) expect(html).toContain(`data-path="${f}"`);
    expect(r.out).toContain('index.html');
  }, 120_000);
});

describe('serve', () => {
  test('serves the site with content types and cache headers; 404 and no escape', async () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'index.html'), '<p>hi</p>');
    fs.mkdirSync(path.join(out, 'components/x-0123456789abcdef'), { recursive: true });
    fs.writeFileSync(path.join(out, 'components/x-0123456789abcdef/x.core.wasm'), Buffer.from([0, 97, 115, 109]));
    const s = await serveSite(out);
    try {
      const index = await fetch(s.url);
      expect(index.headers.get('content-type')).toContain('text/html');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const wasm = await fetch(`${s.url}components/x-0123456789abcdef/x.core.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect(wasm.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${s.url}nope.js`)).status).toBe(404);
      expect((await fetch(`${s.url}..%2f..%2fetc%2fpasswd`)).status).toBe(403);
      expect(await (await fetch(`${s.url}__loop/live`)).json()).toEqual({ live: true });
    } finally {
      await s.close();
    }
  });

  test('loop serve: a bad port and a missing site are clear errors', async () => {
    let r = await cli(['serve', 'examples/apps/hello', '--port', 'eighty']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[LOOP706]');
    const app = appWith('[app]\nname = "p"\nentry = "seven"\n[components.seven]\nsource = "seven.wat"\nclass = "core"\n', { 'seven.wat': WAT_PLUGIN });
    r = await cli(['serve', app]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[LOOP705]');
    expect(r.err).toContain('loop pack web');
  });
});

describe('pack-web executor', () => {
  test('nx run <app>:pack-web packs like loop pack web (outputPath relative to the workspace root)', async () => {
    const root = tempDir();
    fs.writeFileSync(path.join(root, 'seven.wat'), WAT_PLUGIN);
    fs.writeFileSync(path.join(root, 'app.loop.toml'), '[app]\nname = "p"\nentry = "seven"\n[components.seven]\nsource = "seven.wat"\nclass = "core"\n');
    const ok = await executor({ manifest: 'app.loop.toml', outputPath: 'out/site' }, { root } as never);
    expect(ok).toEqual({ success: true });
    expect(fs.existsSync(path.join(root, 'out/site/loop.site.json'))).toBe(true);
    const bad = await executor({ manifest: 'missing/app.loop.toml' }, { root } as never);
    expect(bad).toEqual({ success: false });
  }, 120_000);
});
