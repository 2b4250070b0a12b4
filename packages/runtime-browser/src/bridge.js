// @ts-check
/**
 * The main-thread bridge: starts the worker host for an app, streams its log lines and
 * events, answers `loop:dom` operations against the page, and swaps plugins on request or
 * when the development server (`loop serve`) announces a change.
 *
 *   import { startApp } from '@loop/runtime-browser/bridge';
 *   const app = startApp({ graphUrl: './app.loop.json', workerUrl: './loop-worker.js', onLog: (e) => … });
 *   await app.ready; await app.run(); await app.callPlugin('upper', 'hi');
 */
import { runDomOperation } from './providers/dom.js';

/**
 * @typedef {{ type: string } & Record<string, any>} LoopEvent
 * @typedef {{
 *   graphUrl?: string, workerUrl: string | URL, files?: Record<string, ArrayBuffer>,
 *   onLog?: (e: LoopEvent) => void, onEvent?: (e: LoopEvent) => void,
 *   domRoot?: ParentNode, liveUrl?: string | null
 * }} StartOptions
 */

/** @param {StartOptions} opts */
export function startApp(opts) {
  // An inline site's worker comes from a blob: URL, which file:// pages may only start as a
  // classic worker (the bundled host has no static imports, so it runs as either).
  const workerType = opts.files ? 'classic' : 'module';
  const worker = new Worker(opts.workerUrl, { type: workerType, name: 'loop-host' });
  let nextId = 1;
  /** @type {Map<number, { resolve: (v: any) => void }>} */
  const waiting = new Map();
  /** @type {Set<(e: LoopEvent) => void>} */
  const listeners = new Set();
  let resolveReady = (/** @type {any} */ _v) => {};
  let rejectReady = (/** @type {any} */ _e) => {};
  const ready = new Promise((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});

  worker.addEventListener('message', (ev) => {
    const msg = /** @type {LoopEvent} */ (ev.data);
    if (msg.type === 'reply') {
      waiting.get(msg.id)?.resolve(msg);
      waiting.delete(msg.id);
      return;
    }
    if (msg.type === 'dom') {
      const r = runDomOperation(opts.domRoot ?? document, msg.op, msg.args);
      worker.postMessage({ type: 'dom-result', id: msg.id, ...r });
      return;
    }
    if (msg.type === 'ready') resolveReady(msg);
    if (msg.type === 'error' && !msg.component) rejectReady(new Error(msg.message));
    if (msg.type === 'log') opts.onLog?.(msg);
    else opts.onEvent?.(msg);
    for (const l of listeners) l(msg);
  });
  worker.addEventListener('error', (ev) => {
    const e = { type: 'error', message: `worker failed: ${ev.message || 'could not load the host script'}` };
    rejectReady(new Error(e.message));
    opts.onEvent?.(e);
  });

  /** @param {Record<string, any>} msg @returns {Promise<any>} */
  function request(msg) {
    const id = nextId++;
    return new Promise((resolve) => {
      waiting.set(id, { resolve });
      worker.postMessage({ ...msg, id });
    });
  }

  // The worker host starts every plugin in a worker of its own script (workerUrl, workerType).
  worker.postMessage({
    type: 'start',
    graphUrl: new URL(opts.graphUrl ?? './app.loop.json', location.href).href,
    files: opts.files,
    workerUrl: new URL(opts.workerUrl, location.href).href,
    workerType,
  });

  /** @type {EventSource | undefined} */
  let live;
  /** Listens to a live channel (`loop serve`'s /__loop/events): `plugins` events swap plugins. @param {string} url */
  function listen(url) {
    if (live || typeof EventSource === 'undefined') return;
    live = new EventSource(url);
    live.addEventListener('plugins', () => {
      app.reloadPlugins().catch(() => {});
    });
    live.onerror = () => {}; // offline or no dev server: nothing to announce
    live.onopen = () => opts.onEvent?.({ type: 'live', url });
  }
  if (opts.liveUrl) listen(opts.liveUrl);

  const app = {
    ready,
    worker,
    /** Runs the entry's `run`: `{ ok: true }` or `{ ok: false, error }`. */
    run: () => request({ type: 'run' }),
    /** @param {string} name @param {string} input */
    callPlugin: (name, input) => request({ type: 'call-plugin', name, input }),
    /** Re-reads the plugin index and swaps changed plugins without a reload. */
    reloadPlugins: () => request({ type: 'reload-plugins' }),
    listen,
    /** @param {(e: LoopEvent) => void} fn */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    terminate() {
      live?.close();
      worker.terminate();
    },
  };
  return app;
}
