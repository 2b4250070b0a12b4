// @ts-check
/**
 * The dedicated-worker entry of the browser host. The page (bridge.js) starts it as a module
 * worker and talks to it with messages:
 *   page → worker: { type: 'start', graphUrl, files?, workerUrl?, workerType? }
 *                  files: site path → bytes (inline sites); workerUrl/workerType: this script, which
 *                  the host starts again for every plugin (its own worker, see isolate.js)
 *                  { type: 'run' | 'reload-plugins' | 'call-plugin', id, name?, input? }
 *                  { type: 'dom-result', id, ok, value?, error? }
 *   worker → page: { type: 'log' | 'event' | 'refused' | 'plugin' | 'plugins' | 'ready' | 'error', … }
 *                  { type: 'reply', id, ok, value?, error? }   the answer to a request
 *                  { type: 'dom', id, op, args }              a loop:dom operation for the page
 * A worker whose first message is `plugin-init` is a plugin's worker instead (plugin-worker.js).
 */
import { Host } from './host.js';
import { messageOf } from './providers/errors.js';
import { servePlugin } from './plugin-worker.js';

const post = (/** @type {any} */ msg) => /** @type {any} */ (self).postMessage(msg);
let nextDom = 1;
/** @type {Map<number, (r: any) => void>} */
const domWaiting = new Map();

/** @type {Host | undefined} */
let host;
/** @type {Promise<void> | undefined} */
let started;

const TYPES = { js: 'text/javascript', wasm: 'application/wasm', json: 'application/json' };

/**
 * Inline sites hand the worker every file's bytes; the worker makes its own blob: URLs (a
 * file:// page's blob URLs are not fetchable from the worker's opaque origin).
 * @param {Record<string, ArrayBuffer> | undefined} files
 */
function urlMapper(files) {
  if (!files) return undefined;
  /** @type {Map<string, string>} */
  const urls = new Map();
  return (/** @type {string} */ path) => {
    let u = urls.get(path);
    if (!u) {
      const bytes = files[path];
      if (!bytes) throw new Error(`${path} is not part of this inline site`);
      const ext = /** @type {keyof typeof TYPES} */ (path.split('.').pop());
      u = URL.createObjectURL(new Blob([bytes], { type: TYPES[ext] ?? 'application/octet-stream' }));
      urls.set(path, u);
    }
    return u;
  };
}

/** @type {((msg: any) => void) | undefined} set when this worker runs one plugin */
let pluginRole;

self.addEventListener('message', async (/** @type {MessageEvent} */ ev) => {
  const msg = ev.data;
  if (pluginRole) return pluginRole(msg);
  if (msg.type === 'plugin-init' && !host) {
    pluginRole = servePlugin(self);
    return pluginRole(msg);
  }
  if (msg.type === 'dom-result') {
    domWaiting.get(msg.id)?.(msg);
    domWaiting.delete(msg.id);
    return;
  }
  if (msg.type === 'start') {
    const url = urlMapper(msg.files);
    host = new Host({
      emit: post,
      url,
      // Plugins run in workers of this same script (an inline site's from its own bytes).
      pluginWorker: url ? { url: url('loop-worker.js'), type: 'classic' } : { url: msg.workerUrl ?? self.location.href, type: msg.workerType ?? 'module' },
      domRequest: (op, args) =>
        new Promise((resolve) => {
          const id = nextDom++;
          domWaiting.set(id, resolve);
          post({ type: 'dom', id, op, args });
        }),
    });
    started = host.start(msg.graphUrl).catch((e) => {
      post({ type: 'error', message: messageOf(e) });
      throw e;
    });
    return;
  }
  const reply = (/** @type {any} */ r) => post({ type: 'reply', id: msg.id, ...r });
  try {
    await started;
  } catch (e) {
    reply({ ok: false, error: `the app did not start: ${messageOf(e)}` });
    return;
  }
  const h = /** @type {Host} */ (host);
  try {
    if (msg.type === 'run') reply(await h.run());
    else if (msg.type === 'call-plugin') reply(await h.callPlugin(msg.name, msg.input));
    else if (msg.type === 'reload-plugins') reply({ ok: true, value: await h.reloadPlugins() });
    else reply({ ok: false, error: `unknown request '${msg.type}'` });
  } catch (e) {
    reply({ ok: false, error: messageOf(e) });
  }
});
