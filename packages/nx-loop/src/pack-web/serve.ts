/**
 * `loop serve`: a small static server for a packed site on 127.0.0.1 (development only).
 * It also watches the app's plugin directory: when a plugin file is added, replaced or
 * removed it re-packs the plugins into the site and announces it on the live channel
 * (`GET /__loop/events`, server-sent events), and the page swaps the plugin without a reload.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { repackPlugins } from './index';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface ServeOptions {
  port?: number;
  host?: string;
  /** The app's plugin directory to watch (from the graph); null: no watching. */
  pluginsDir?: string | null;
  /** Called with one line per notable thing (request errors, plugin re-packs). */
  log?: (line: string) => void;
}

export interface SiteServer {
  url: string;
  port: number;
  /** Re-packs the plugin directory now and tells every page (what the watcher does). */
  repackPlugins(): Promise<void>;
  /** Sends an event to every connected page. */
  announce(event: string, data?: unknown): void;
  close(): Promise<void>;
}

/** Content-addressed paths never change: cache them for a year; everything else revalidates. */
const immutable = (rel: string) => /^components\/[^/]+-[0-9a-f]{16}\//.test(rel) || /^plugins\/[^/]+\/[0-9a-f]{16}\//.test(rel);

export async function serveSite(siteDir: string, opts: ServeOptions = {}): Promise<SiteServer> {
  const root = path.resolve(siteDir);
  const log = opts.log ?? (() => {});
  const clients = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (rel === '__loop/live') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"live":true}');
      return;
    }
    if (rel === '__loop/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': loop live channel\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: /${rel}`);
        return;
      }
      const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      const headers: Record<string, string> = {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable(rel) ? 'public, max-age=31536000, immutable' : 'no-cache',
        etag,
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': String(st.size) });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';

  const announce = (event: string, data: unknown = {}) => {
    for (const c of clients) c.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let chain = Promise.resolve();
  const repack = () => {
    chain = chain.then(async () => {
      try {
        const plugins = await repackPlugins(root, opts.pluginsDir ?? null);
        log(`plugins re-packed: ${plugins.map((p) => `${p.name}@${p.version}`).join(', ') || '(none)'}`);
        announce('plugins', { plugins: plugins.map((p) => ({ name: p.name, version: p.version })) });
      } catch (e) {
        log(`plugins not re-packed: ${(e as Error).message}`);
      }
    });
    return chain;
  };
  let watcher: fs.FSWatcher | undefined;
  let parentWatcher: fs.FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void repack(), 200);
  };
  const pluginsDir = opts.pluginsDir;
  const watchPlugins = () => {
    if (!pluginsDir || watcher || !fs.existsSync(pluginsDir)) return;
    watcher = fs.watch(pluginsDir, changed);
    changed();
  };
  if (pluginsDir) {
    // The directory may not exist yet: watch its parent until it appears (never create it).
    if (!fs.existsSync(pluginsDir) && fs.existsSync(path.dirname(pluginsDir))) {
      parentWatcher = fs.watch(path.dirname(pluginsDir), (_e, name) => {
        if (name === path.basename(pluginsDir)) watchPlugins();
      });
    }
    if (fs.existsSync(pluginsDir)) watcher = fs.watch(pluginsDir, changed);
  }
  return {
    url: `http://${host}:${port}/`,
    port,
    repackPlugins: repack,
    announce,
    async close() {
      watcher?.close();
      parentWatcher?.close();
      clearTimeout(timer);
      for (const c of clients) c.end();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
