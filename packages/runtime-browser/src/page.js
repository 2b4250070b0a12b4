// @ts-check
/**
 * The script of a packed site's index.html: registers the service worker (offline cache and
 * plugin swaps), starts the app in the worker host, prints every log line into #loop-log and
 * every refusal or error into #loop-events, runs the entry once, and listens for plugin
 * changes announced by `loop serve`. `window.loop` is the running app (see bridge.js).
 */
import { startApp } from './bridge.js';

/** @param {string} b64 */
function decode(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Inline sites carry every file in `<script type="application/octet-stream" data-path>` tags. */
function inlineFiles() {
  /** @type {Record<string, ArrayBuffer>} */
  const files = {};
  for (const el of document.querySelectorAll('script[data-path]')) {
    files[/** @type {string} */ (el.getAttribute('data-path'))] = decode((el.textContent ?? '').trim()).buffer;
  }
  return files;
}

async function main() {
  const config = JSON.parse(document.getElementById('loop-config')?.textContent ?? '{}');
  const logEl = /** @type {HTMLElement} */ (document.getElementById('loop-log'));
  const eventsEl = /** @type {HTMLElement} */ (document.getElementById('loop-events'));
  const status = document.getElementById('loop-status');
  const say = (/** @type {HTMLElement} */ el, /** @type {string} */ line, cls = '') => {
    const div = document.createElement('div');
    div.textContent = line;
    if (cls) div.className = cls;
    el.appendChild(div);
  };
  const setStatus = (/** @type {string} */ s) => {
    if (status) status.textContent = s;
    document.documentElement.dataset.loopStatus = s;
  };

  const files = config.inline ? inlineFiles() : undefined;
  const root = document.documentElement;
  /** @type {Promise<ServiceWorker | null> | undefined} */
  let serviceWorker;
  let syncs = 0;
  // Asks the service worker to cache the server's current plugin index with its files (the
  // worker host may have fetched a swapped-in version before the service worker controlled
  // it). data-loop-offline: 'syncing' | 'ready' | 'stale'; data-loop-offline-plugins: the
  // `name@version`s an offline start loads.
  const syncOffline = () => {
    if (!serviceWorker) return;
    const n = ++syncs;
    root.dataset.loopOffline = 'syncing';
    serviceWorker
      .then(
        (active) =>
          new Promise((resolve) => {
            if (!active) return resolve({ ok: false }); // not registered (said so already)
            const channel = new MessageChannel();
            channel.port1.onmessage = (ev) => resolve(ev.data);
            active.postMessage({ type: 'sync-plugins' }, [channel.port2]);
          }),
      )
      .then((/** @type {any} */ r) => {
        if (n !== syncs) return; // a later sync is under way
        if (r.ok) root.dataset.loopOfflinePlugins = r.plugins.join(' ');
        else if (r.error) say(eventsEl, `offline copy not updated: ${r.error}`, 'error');
        root.dataset.loopOffline = r.ok ? 'ready' : 'stale';
      });
  };
  // Registered once the app is up, so the service worker's precache reads what the page
  // already loaded from the HTTP cache instead of downloading the site twice.
  const registerServiceWorker = () => {
    if (files || !('serviceWorker' in navigator)) return;
    serviceWorker = navigator.serviceWorker
      .register('./sw.js')
      .then(() => navigator.serviceWorker.ready)
      .then((reg) => reg.active)
      .catch((e) => {
        say(eventsEl, `service worker not registered: ${e.message}`, 'error');
        return null;
      });
    syncOffline();
  };

  setStatus('starting');
  const app = startApp({
    graphUrl: './app.loop.json',
    workerUrl: files ? URL.createObjectURL(new Blob([files['loop-worker.js']], { type: 'text/javascript' })) : './loop-worker.js',
    files,
    onLog: (e) => {
      if (!(/** @type {any} */ (window).__loopFirstLog)) /** @type {any} */ (window).__loopFirstLog = performance.now();
      say(logEl, e.line, `level-${e.level}`);
    },
    onEvent: (e) => {
      if (e.type === 'live') document.documentElement.dataset.loopLive = 'on';
      else if (e.type === 'refused') say(eventsEl, `refused: ${e.message}`, 'refused');
      else if (e.type === 'demoted') say(eventsEl, `demoted: ${e.message}`, 'refused');
      else if (e.type === 'error') say(eventsEl, `error: ${e.component ? `${e.component}: ` : ''}${e.message}`, 'error');
      else if (e.type === 'plugin' && e.previous) say(eventsEl, `plugin ${e.name} swapped: ${e.previous} → ${e.version}`, 'swap');
      else if (e.type === 'plugins') syncOffline(); // after a reload of the plugin index
    },
  });
  /** @type {any} */ (window).loop = app;
  // `loop serve` announces plugin changes; a plain static host has no live channel.
  if (!config.inline) {
    fetch('./__loop/live', { cache: 'no-store' })
      .then((r) => r.ok && app.listen('./__loop/events'))
      .catch(() => {}); // offline
  }
  try {
    await app.ready;
  } catch (e) {
    setStatus('failed');
    registerServiceWorker();
    return;
  }
  setStatus('running');
  const result = await app.run();
  if (!result.ok) say(eventsEl, `error: ${config.entry ?? 'entry'}: run failed: ${result.error}`, 'error');
  setStatus(result.ok ? 'done' : 'failed');
  registerServiceWorker();
}

main();
