/**
 * pack-web: a resolved graph for platform `web` → a static site that runs the app in the
 * browser worker host (@loop/runtime-browser):
 *
 *   index.html            the page: log view, starts the host (or everything, with --inline)
 *   loop-page.js          bridge + page script (bundled)
 *   loop-worker.js        the worker host and its providers (bundled)
 *   sw.js                 service worker: offline cache, plugin versions swapped without reload
 *   app.loop.json         the resolved graph (component paths point at the transpiled modules)
 *   loop.site.json        transpiled files of every component with SHA-256, imports, exports
 *   components/<name>-<hash16>/   jco output (`--instantiation async`, JSPI)
 *   plugins/index.json, plugins/<name>/<hash16>/   the plugin directory's components
 *   seed/<root>/…          the files of the app's loop:fs root, copied into OPFS on first start
 *
 * `inline: true` writes one self-contained index.html instead (no service worker needed).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { LoopError } from '../errors';
import { loopCacheDir } from '../host';
import { isComponentFileName } from '../manifest/component-marker';
import { resolveApp, type ResolvedGraph } from '../resolve/resolve';
import { CODES } from './codes';
import { loadJco, loadRolldown } from './esm';
import { transpileForWeb, type TranspiledComponent } from './transpile';
import { bundleRuntime } from './runtime';
import { isSigned, verifyForPack } from '../signing/pack';
import type { GraphCheck } from '../signing/trust';

export interface PackWebOptions {
  /** Output directory; default `dist/<app dir relative to the workspace>/web/site` (or `index.html` inside it with inline). */
  out?: string;
  inline?: boolean;
  profile?: string;
  set?: string[];
  cwd?: string;
  /** Workspace root for the default output dir (default: the nearest dir with nx.json or package.json workspaces). */
  root?: string;
}

export interface SiteComponent {
  js: string;
  dir: string;
  /** Core module → SHA-256 of its (uncompressed) bytes. */
  files: Record<string, string>;
  /** Core modules stored gzip-compressed as `<file>.gz` (the worker host gunzips them). */
  gzip?: string[];
  imports: string[];
  exports: string[];
  /** The signed component file as it was packed (only for signed files), for the browser host to verify again. */
  signed?: { file: string; sha256: string };
}

export interface PluginEntry extends SiteComponent {
  name: string;
  version: string;
}

export interface PackWebResult {
  /** The site directory (or the directory of the inline file). */
  outDir: string;
  /** Files written, relative to outDir. */
  files: string[];
  graph: ResolvedGraph;
  /** The app's plugin directory on disk (null without [plugins]). */
  pluginsDir: string | null;
  /** Total bytes written. */
  bytes: number;
  /** The pack-time signature check (trust classes with keys): what was verified, demoted, not checked. */
  signatures: GraphCheck;
}

export const SITE_FORMAT = 'loop.site/1';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The workspace root: nearest ancestor with nx.json, else `cwd`. */
export function workspaceRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(from);
    dir = parent;
  }
}

/** `dist/<app dir relative to the workspace>/...sub` (an app outside the workspace: its dir name). */
export function appDistDir(manifestDir: string, root: string, ...sub: string[]): string {
  const rel = path.relative(root, manifestDir);
  const inside = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.basename(manifestDir);
  return path.join(root, 'dist', inside, ...sub);
}

/** `dist/<app dir relative to the workspace>/web/site` */
export function defaultSiteDir(manifestDir: string, root: string): string {
  return appDistDir(manifestDir, root, 'web', 'site');
}

function manifestDirOf(input: string, cwd: string): string {
  const abs = path.resolve(cwd, input);
  return fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? abs : path.dirname(abs);
}

class SiteWriter {
  files = new Map<string, Buffer>();
  add(rel: string, data: Buffer | string) {
    this.files.set(rel, Buffer.isBuffer(data) ? data : Buffer.from(data));
  }
}

function readComponentFile(abs: string, who: string): Buffer {
  if (!fs.existsSync(abs)) {
    throw new LoopError({ code: CODES.componentMissing, file: abs, message: `${who}: component file not found`, hint: 'build it first: nx run-many -t build-component (or loop build)' });
  }
  return fs.readFileSync(abs);
}

async function textComponent(abs: string, bytes: Buffer): Promise<Uint8Array> {
  if (!abs.endsWith('.wat')) return bytes;
  const { parse } = await loadJco();
  return parse(bytes.toString('utf8'));
}

/**
 * Core modules at least this large are stored gzip-compressed (`<file>.gz`) and gunzipped by the
 * worker host (DecompressionStream): a StarlingMonkey module is 11.4 MiB, 3.7 MiB gzipped. The
 * site is a third of the size on disk and in caches, a host that does not compress serves a
 * third of the bytes, and one that does serves about the same.
 */
export const GZIP_MIN = 64 * 1024;

function place(site: SiteWriter, dir: string, name: string, t: TranspiledComponent, original: Uint8Array): SiteComponent {
  const files: Record<string, string> = {};
  const gzip: string[] = [];
  for (const [f, data] of Object.entries(t.files)) {
    if (!f.endsWith('.wasm')) {
      site.add(dir + f, data);
      continue;
    }
    files[f] = sha256(data);
    if (data.length >= GZIP_MIN) {
      site.add(`${dir}${f}.gz`, gzipCached(data, files[f]));
      gzip.push(f);
    } else {
      site.add(dir + f, data);
    }
  }
  const placed: SiteComponent = { js: `${dir}${name}.js`, dir, files, ...(gzip.length ? { gzip } : {}), imports: t.imports, exports: t.exports };
  // A signed file travels with its signature: the browser host verifies it again at start.
  if (isSigned(original)) {
    const file = `${dir}${name}.signed.wasm`;
    site.add(file, Buffer.from(original));
    placed.signed = { file, sha256: sha256(original) };
  }
  return placed;
}

/**
 * gzip (level 9) of a core module whose SHA-256 is `sha`, cached by it in `$LOOP_CACHE_DIR/web-gzip/`
 * (level 9 takes ~1 s for a StarlingMonkey module; every app with that component reuses it).
 */
function gzipCached(data: Buffer, sha: string): Buffer {
  const file = path.join(loopCacheDir(), 'web-gzip', `${sha}.gz`);
  try {
    const cached = fs.readFileSync(file);
    // A damaged entry (a cut write, a flipped byte) is made again.
    if (zlib.gunzipSync(cached).equals(data)) return cached;
  } catch {
    // not cached yet, or unreadable
  }
  const gz = zlib.gzipSync(data, { level: 9 });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, gz);
    fs.renameSync(tmp, file);
  } catch {
    // best effort: the next pack compresses it again
  }
  return gz;
}

/** Transpiles one plugin file into `plugins/<name>/<hash16>/` and returns its index entry. */
export async function packPlugin(site: { add(rel: string, data: Buffer): void }, file: string): Promise<PluginEntry> {
  const name = path.basename(file).replace(/\.(wasm|wat)$/, '');
  const raw = readComponentFile(file, `plugin '${name}'`);
  const bytes = await textComponent(file, raw);
  const version = sha256(bytes).slice(0, 16);
  const t = await transpileForWeb(bytes, 'plugin', file);
  const placed = place(site as SiteWriter, `plugins/${name}/${version}/`, 'plugin', t, bytes);
  return { name, version, ...placed };
}

/** The plugin files of a directory (`*.wasm`, `*.wat`), sorted. */
export function pluginFiles(dir: string | null): string[] {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter(isComponentFileName)
    .sort()
    .map((f) => path.join(dir, f));
}

function listFiles(dir: string, base = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out.sort();
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function indexHtml(graph: ResolvedGraph, body: { config: object; head?: string; tail?: string }): string {
  const title = escapeHtml(graph.app.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; }
pre, #loop-log, #loop-events { font-family: ui-monospace, monospace; white-space: pre-wrap; }
#loop-events .refused, #loop-events .error { color: #b00020; }
.level-warn { color: #8a6d00; } .level-error { color: #b00020; } .level-debug, .level-trace { color: #666; }
</style>
<script type="application/json" id="loop-config">${JSON.stringify(body.config).replace(/</g, '\\u003c')}</script>
${body.head ?? ''}</head>
<body>
<h1>${title}</h1>
<p>status: <span id="loop-status">loading</span></p>
<h2>log</h2>
<div id="loop-log" role="log" aria-live="polite"></div>
<h2>events</h2>
<div id="loop-events"></div>
<div id="loop-app"></div>
${body.tail ?? ''}</body>
</html>
`;
}

/** Packs the app into a static site (or one HTML file). */
export async function packWeb(input: string, opts: PackWebOptions = {}): Promise<PackWebResult> {
  const cwd = opts.cwd ?? process.cwd();
  const manifestDir = manifestDirOf(input, cwd);
  const root = opts.root ?? workspaceRoot(manifestDir);
  const outDir = opts.out ? path.resolve(cwd, opts.out) : defaultSiteDir(manifestDir, root);
  // Resolve with paths relative to the manifest, then make them absolute ourselves.
  const graph = resolveApp(input, { platform: 'web', profile: opts.profile, set: opts.set, cwd, outDir: manifestDir });
  const abs = (p: string) => path.resolve(manifestDir, p);
  const site = new SiteWriter();
  // Signatures of keyed trust classes, plugin files included, before anything is transpiled.
  const signatures = verifyForPack(graph, manifestDir, { label: path.relative(cwd, path.resolve(cwd, input)) || input });

  const siteGraph: ResolvedGraph = JSON.parse(JSON.stringify(graph));
  const components: Record<string, SiteComponent> = {};
  for (const c of siteGraph.components) {
    const file = abs(c.path);
    const bytes = await textComponent(file, readComponentFile(file, `component '${c.name}'`));
    const t = await transpileForWeb(bytes, c.name, file);
    components[c.name] = place(site, `components/${c.name}-${c.sha256.slice(0, 16)}/`, c.name, t, bytes);
    c.path = components[c.name].js;
  }

  // The plugin directory: every component file in it, transpiled and versioned by hash.
  const pluginsDir = graph.plugins ? abs(graph.plugins.dir) : null;
  const plugins: PluginEntry[] = [];
  for (const f of pluginFiles(pluginsDir)) plugins.push(await packPlugin(site, f));
  if (siteGraph.plugins) siteGraph.plugins.dir = 'plugins';
  site.add('plugins/index.json', JSON.stringify({ plugins }, null, 2) + '\n');

  // The loop:fs root's files, copied into OPFS (or memory) the first time the app starts.
  let seed: { root: string; dir: string; files: string[] } | undefined;
  const fsCap = siteGraph.capabilities['loop:fs'];
  if (fsCap && typeof fsCap.root === 'string') {
    const rootAbs = abs(fsCap.root);
    const rootName = path.basename(rootAbs) || 'data';
    const files = listFiles(rootAbs);
    for (const f of files) site.add(`seed/${rootName}/${f}`, fs.readFileSync(path.join(rootAbs, f)));
    seed = { root: rootName, dir: `seed/${rootName}`, files };
    fsCap.root = rootName;
  }

  site.add('app.loop.json', JSON.stringify(siteGraph, null, 2) + '\n');
  site.add('loop.site.json', JSON.stringify({ format: SITE_FORMAT, app: graph.app.name, components, seed, plugins: 'plugins/index.json' }, null, 2) + '\n');

  const runtime = await bundleRuntime();
  site.add('loop-worker.js', runtime.worker);
  const config = { app: graph.app.name, entry: graph.app.entry, inline: !!opts.inline };

  if (opts.inline) {
    const embedded = [...site.files]
      .map(([rel, data]) => `<script type="application/octet-stream" data-path="${escapeHtml(rel)}">${data.toString('base64')}</script>`)
      .join('\n');
    const html = indexHtml(graph, {
      config,
      tail: `${embedded}\n<script type="module">\n${runtime.page.replace(/<\/script/gi, '<\\/script')}\n</script>\n`,
    });
    const file = path.join(outDir, 'index.html');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(file, html);
    return { outDir, files: ['index.html'], graph: siteGraph, pluginsDir, bytes: Buffer.byteLength(html), signatures };
  }

  site.add('loop-page.js', runtime.page);
  site.add('index.html', indexHtml(graph, { config, head: '<script type="module" src="./loop-page.js"></script>\n' }));
  // Everything except sw.js itself is precached; the version changes with any file.
  const all = [...site.files.keys()].sort();
  const version = createHash('sha256');
  for (const f of all) version.update(f).update(site.files.get(f) as Buffer);
  site.add('sw.js', `const LOOP_SITE = ${JSON.stringify({ version: version.digest('hex').slice(0, 16), files: ['./', ...all] })};\n${runtime.sw}`);

  fs.rmSync(outDir, { recursive: true, force: true });
  let bytes = 0;
  for (const [rel, data] of site.files) {
    const p = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    bytes += data.length;
  }
  return { outDir, files: [...site.files.keys()].sort(), graph: siteGraph, pluginsDir, bytes, signatures };
}

/**
 * Re-packs the plugin directory into an existing site (what `loop serve` does when a plugin
 * file changes): new versions are transpiled into plugins/<name>/<hash>/, plugins/index.json is
 * rewritten, old version directories are removed. Returns the new index entries.
 */
export async function repackPlugins(siteDir: string, pluginsDir: string | null): Promise<PluginEntry[]> {
  const writer = {
    add(rel: string, data: Buffer) {
      const p = path.join(siteDir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, data);
    },
  };
  const plugins: PluginEntry[] = [];
  for (const f of pluginFiles(pluginsDir)) plugins.push(await packPlugin(writer, f));
  const keep = new Set(plugins.map((p) => p.dir));
  const pluginRoot = path.join(siteDir, 'plugins');
  for (const name of fs.existsSync(pluginRoot) ? fs.readdirSync(pluginRoot) : []) {
    const d = path.join(pluginRoot, name);
    if (!fs.statSync(d).isDirectory()) continue;
    for (const v of fs.readdirSync(d)) if (!keep.has(`plugins/${name}/${v}/`)) fs.rmSync(path.join(d, v), { recursive: true, force: true });
    if (!fs.readdirSync(d).length) fs.rmSync(d, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(pluginRoot, 'index.json'), JSON.stringify({ plugins }, null, 2) + '\n');
  return plugins;
}
