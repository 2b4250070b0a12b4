// @ts-check
/// <reference lib="webworker" />
/**
 * The service worker of a packed site. pack-web prepends `const LOOP_SITE = { version, files }`.
 * - install: caches every file of the site (offline after the first load);
 * - content-addressed files (components/<name>-<hash>/, plugins/<name>/<version>/) are served
 *   cache-first; everything else (index.html, app.loop.json, loop.site.json, the plugin
 *   index, the runtime scripts) network-first with the cache as the offline fallback;
 * - a new plugin version is fetched and cached the first time the host asks for it, and
 *   versions the plugin index no longer lists are dropped, so a swap needs no reload.
 */
/** @type {{ version: string, files: string[] }} */
// @ts-ignore provided by pack-web
const SITE = LOOP_SITE;
const CACHE = `loop-site-${SITE.version}`;
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const scope = new URL(sw.registration.scope);

sw.addEventListener('install', (ev) => {
  ev.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Default cache mode: files the page just loaded come from the HTTP cache, not the network.
      await cache.addAll(SITE.files.map((f) => new URL(f, scope).href));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (ev) => {
  ev.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith('loop-site-') && key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

/** @param {string} rel */
const immutable = (rel) => /^components\/[^/]+-[0-9a-f]{16}\//.test(rel) || /^plugins\/[^/]+\/[0-9a-f]{16}\//.test(rel);

/** Drops cached plugin versions the new index no longer lists. @param {Response} res */
async function prunePlugins(res) {
  try {
    const index = await res.json();
    const keep = new Set((index.plugins ?? []).map((/** @type {any} */ p) => p.dir));
    const cache = await caches.open(CACHE);
    for (const req of await cache.keys()) {
      const rel = new URL(req.url).pathname.slice(scope.pathname.length);
      const m = /^(plugins\/[^/]+\/[0-9a-f]{16}\/)/.exec(rel);
      if (m && !keep.has(m[1])) await cache.delete(req);
    }
  } catch {
    // a broken index is the host's problem to report
  }
}

sw.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const rel = url.pathname.slice(scope.pathname.length);
  if (rel.startsWith('__loop/')) return; // the dev server's live channel
  ev.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const key = new Request(new URL(rel || 'index.html', scope));
      if (immutable(rel)) {
        const hit = await cache.match(key);
        if (hit) return hit;
        const res = await fetch(req);
        if (res.ok) await cache.put(key, res.clone());
        return res;
      }
      try {
        const res = await fetch(req, { cache: 'no-store' });
        if (res.ok) {
          await cache.put(key, res.clone());
          if (rel === 'plugins/index.json') await prunePlugins(res.clone());
        }
        return res;
      } catch (e) {
        const hit = await cache.match(key);
        if (hit) return hit;
        throw e;
      }
    })(),
  );
});
