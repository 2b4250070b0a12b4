// @ts-check
/// <reference lib="webworker" />
/**
 * The service worker of a packed site. pack-web prepends `const LOOP_SITE = { version, files }`.
 * - install: caches every file of the site (offline after the first load), except the plugin
 *   directory, which is taken from the server's current plugins/index.json (see below);
 * - content-addressed files (components/<name>-<hash>/, plugins/<name>/<version>/) are served
 *   cache-first; everything else (index.html, app.loop.json, loop.site.json, the plugin
 *   index, the runtime scripts) network-first with the cache as the offline fallback;
 * - the plugin index is cached as a unit with the files it lists: a new index is stored only
 *   after every file it names is in the cache, then versions it no longer lists are dropped.
 *   So the cache never pairs an index with another version's files, whoever fetched them.
 * - `{ type: 'sync-plugins' }` from a page (sent after a plugin swap, and once the worker is
 *   active) re-reads the index from the network and caches it the same way; the reply, on the
 *   message's port, is `{ ok: true, plugins: ["name@version", …], offline }` (what an offline
 *   start loads; `offline`: the server could not be reached, the cached index stays) or
 *   `{ ok: false, error }`. The page's worker host may have fetched the new version before
 *   this worker controlled it (a swap during install), so the page asks instead of trusting
 *   that the swap's requests passed through here.
 */
/** @type {{ version: string, files: string[] }} */
// @ts-ignore provided by pack-web
const SITE = LOOP_SITE;
const CACHE = `loop-site-${SITE.version}`;
const INDEX = 'plugins/index.json';
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const scope = new URL(sw.registration.scope);

/** @param {string} rel */
const immutable = (rel) => /^components\/[^/]+-[0-9a-f]{16}\//.test(rel) || /^plugins\/[^/]+\/[0-9a-f]{16}\//.test(rel);
/** @param {string} rel */
const pluginFile = (rel) => rel === INDEX || /^plugins\/[^/]+\/[0-9a-f]{16}\//.test(rel);
/** @param {string} rel */
const keyOf = (rel) => new Request(new URL(rel || 'index.html', scope).href);

/**
 * Caches a plugin index and every file it lists, the index last, then drops the cached plugin
 * versions it no longer lists. Calls are serialised (the last index stored wins, and it is the
 * last one read). Throws (caching nothing new) when a listed file cannot be fetched.
 * @param {string} text the index as served
 * @returns {Promise<string[]>} `name@version` of every plugin the cached index lists
 */
function storePluginIndex(text) {
  const run = storing.then(async () => {
    const index = JSON.parse(text);
    const plugins = /** @type {{ name: string, version: string, js: string, dir: string, files: Record<string, string> }[]} */ (index.plugins ?? []);
    const cache = await caches.open(CACHE);
    for (const p of plugins) {
      for (const rel of [p.js, ...Object.keys(p.files ?? {}).map((f) => p.dir + f)]) {
        if (await cache.match(keyOf(rel))) continue;
        const res = await fetch(new URL(rel, scope).href);
        if (!res.ok) throw new Error(`${rel}: HTTP ${res.status}`);
        await cache.put(keyOf(rel), res);
      }
    }
    await cache.put(keyOf(INDEX), new Response(text, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
    const keep = new Set(plugins.map((p) => p.dir));
    for (const req of await cache.keys()) {
      const rel = new URL(req.url).pathname.slice(scope.pathname.length);
      const m = /^(plugins\/[^/]+\/[0-9a-f]{16}\/)/.exec(rel);
      if (m && !keep.has(m[1])) await cache.delete(req);
    }
    return plugins.map((p) => `${p.name}@${p.version}`);
  });
  storing = run.catch(() => {});
  return run;
}
/** @type {Promise<unknown>} */
let storing = Promise.resolve();

/**
 * Reads the plugin index from the network and caches it with its files. Offline (the request
 * fails before any answer) it keeps the cached index and answers what that one lists.
 * @returns {Promise<{ plugins: string[], offline: boolean }>}
 */
async function syncPlugins() {
  let res;
  try {
    res = await fetch(new URL(INDEX, scope).href, { cache: 'no-store' });
  } catch (e) {
    const cached = await (await caches.open(CACHE)).match(keyOf(INDEX));
    if (!cached) throw e;
    const index = await cached.json();
    return { plugins: (index.plugins ?? []).map((/** @type {any} */ p) => `${p.name}@${p.version}`), offline: true };
  }
  if (!res.ok) throw new Error(`${INDEX}: HTTP ${res.status}`);
  return { plugins: await storePluginIndex(await res.text()), offline: false };
}

sw.addEventListener('install', (ev) => {
  ev.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Default cache mode: files the page just loaded come from the HTTP cache, not the network.
      // The plugin directory may have changed since the site was packed (`loop serve` re-packs
      // it on every change): its files come from the current index instead of SITE.files.
      await cache.addAll(SITE.files.filter((f) => !pluginFile(f.replace(/^\.\//, ''))).map((f) => new URL(f, scope).href));
      await syncPlugins();
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

sw.addEventListener('message', (ev) => {
  if (ev.data?.type !== 'sync-plugins') return;
  const port = ev.ports[0];
  ev.waitUntil(
    syncPlugins().then(
      (r) => port?.postMessage({ ok: true, ...r }),
      (e) => port?.postMessage({ ok: false, error: String(e?.message ?? e) }),
    ),
  );
});

sw.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const rel = url.pathname.slice(scope.pathname.length);
  if (rel.startsWith('__loop/')) return; // the dev server's live channel
  ev.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const key = keyOf(rel);
      if (immutable(rel)) {
        const hit = await cache.match(key);
        if (hit) return hit;
        const res = await fetch(req);
        if (res.ok) await cache.put(key, res.clone());
        return res;
      }
      let res;
      try {
        res = await fetch(req, { cache: 'no-store' });
      } catch (e) {
        const hit = await cache.match(key);
        if (hit) return hit;
        throw e;
      }
      if (res.ok) {
        // The index is stored with its files, in the background (the host fetches the same
        // files right after reading it); a failure keeps the previous index and files.
        if (rel === INDEX) ev.waitUntil(res.clone().text().then(storePluginIndex).catch(() => {}));
        else await cache.put(key, res.clone());
      }
      return res;
    })(),
  );
});
