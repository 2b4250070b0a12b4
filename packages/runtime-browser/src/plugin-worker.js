// @ts-check
/**
 * The plugin side of an isolated plugin (isolate.js is the host side): one plugin instance in
 * its own dedicated worker, started by the worker host from the same script (worker.js hands
 * the first `plugin-init` message here). Protocol:
 *   host → plugin: { type: 'plugin-init', name, js, jsText?, modules, imports, config, kv }
 *                  { type: 'plugin-call', id, input }
 *                  { type: 'import-result', id, ok, value?, payload?, error? }   a forwarded import's answer
 *                  { type: 'kv', op, key, value? }                              a write made elsewhere
 *   plugin → host: { type: 'plugin-ready', info } | { type: 'plugin-failed', message }
 *                  { type: 'plugin-result', id, ok, value?, payload?, trap?, memory? }
 *                  { type: 'import-call', id, iface, fn, args }                 an asynchronous import
 *                  { type: 'kv-write', op, key, value? }                        this plugin's kv write
 *                  { type: 'log', … }                                           a log line (already cut)
 *
 * Local imports: loop:log (cut to 64 KiB here, sent to the host), loop:clock, loop:random,
 * loop:app/config, loop:plugin/types, the ui/gfx/input/window stubs, and loop:kv as a replica
 * of the host's store (reads are local and synchronous; writes go to the host, which applies
 * them in order and passes other instances' writes on before their next message). The
 * asynchronous imports (async-imports.js: fs, http, dom, plugin host) are suspending in the
 * transpiled plugin and are forwarded to the host's providers, so gating and scoping stay there.
 */
import { createLogger } from './providers/log.js';
import { createClock } from './providers/clock.js';
import { createRandom } from './providers/random.js';
import { createConfig } from './providers/config.js';
import { createKv } from './providers/kv.js';
import { stubInterface } from './providers/stubs.js';
import { err, messageOf } from './providers/errors.js';

/**
 * The message handler of a plugin worker (worker.js passes it every message).
 * @param {any} scope the worker global
 */
export function servePlugin(scope) {
  const post = (/** @type {any} */ msg) => scope.postMessage(msg);
  /** @type {any} */
  let plugin;
  /** @type {WebAssembly.Memory[]} */
  const memories = [];
  /** The kv replica: writes made elsewhere arrive as `kv` messages, also while init awaits. */
  let kvData = new Map();
  let nextImport = 1;
  /** @type {Map<number, (r: any) => void>} */
  const waiting = new Map();

  const memoryBytes = () => memories.reduce((n, m) => Math.max(n, m.buffer.byteLength), 0);

  /** @param {string} iface @param {string} fn @param {any[]} args */
  const forward = (iface, fn, args) =>
    new Promise((resolve, reject) => {
      const id = nextImport++;
      waiting.set(id, (r) => (r.ok ? resolve(r.value) : reject(r.error !== undefined ? new Error(r.error) : err(r.payload))));
      post({ type: 'import-call', id, iface, fn, args });
    });

  /** @param {any} msg */
  async function init(msg) {
    for (const [k, v] of msg.kv ?? []) kvData.set(k, v);
    /** @type {Record<string, object>} */
    const imports = {};
    for (const [iface, mode] of /** @type {[string, string][]} */ (Object.entries(msg.imports))) {
      if (mode === 'config') Object.assign(imports, createConfig({ config: msg.config ?? {} }));
      else if (mode === 'log') Object.assign(imports, createLogger({ component: msg.name, emit: post }));
      else if (mode === 'types') imports[iface] = {};
      else if (mode === 'clock') Object.assign(imports, createClock());
      else if (mode === 'random') Object.assign(imports, createRandom());
      else if (mode === 'stub') imports[iface] = stubInterface();
      else if (mode === 'kv') {
        const kv = await createKv({ provider: 'memory', app: '' });
        for (const [k, v] of kvData) kv.data.set(k, v);
        kvData = kv.data;
        const store = /** @type {Record<string, (...a: any[]) => any>} */ (kv.imports['loop:kv/store']);
        imports[iface] = {
          ...store,
          set: (/** @type {string} */ key, /** @type {Uint8Array} */ value) => {
            const r = store.set(key, value);
            post({ type: 'kv-write', op: 'set', key, value: kv.data.get(key) });
            return r;
          },
          delete: (/** @type {string} */ key) => {
            const r = store.delete(key);
            post({ type: 'kv-write', op: 'delete', key });
            return r;
          },
        };
      } else if (mode === 'forward') {
        imports[iface] = new Proxy({}, { get: (_t, fn) => (typeof fn === 'string' ? (/** @type {any[]} */ ...args) => forward(iface, fn, args) : undefined) });
      } else throw new Error(`no provider for '${iface}' in a plugin worker`);
    }
    const glue = await import(/* @vite-ignore */ msg.jsText === undefined ? msg.js : URL.createObjectURL(new Blob([msg.jsText], { type: 'text/javascript' })));
    const getCoreModule = async (/** @type {string} */ file) => {
      const m = msg.modules[file];
      if (!m) throw new Error(`${file} is not listed in loop.site.json`);
      return m;
    };
    const instantiateCore = async (/** @type {WebAssembly.Module} */ module, /** @type {any} */ imp) => {
      const instance = await WebAssembly.instantiate(module, imp);
      for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory && !memories.includes(v)) memories.push(v);
      return instance;
    };
    const inst = await glue.instantiate(getCoreModule, imports, instantiateCore);
    plugin = inst['loop:plugin/plugin@0.1.0'] ?? inst.plugin;
    if (!plugin) throw new Error(`plugin '${msg.name}' does not export loop:plugin/plugin`);
    return await plugin.info();
  }

  /** Handles one message from the host. */
  return async (/** @type {any} */ msg) => {
    if (msg.type === 'import-result') {
      waiting.get(msg.id)?.(msg);
      waiting.delete(msg.id);
    } else if (msg.type === 'kv') {
      if (msg.op === 'set') kvData.set(msg.key, msg.value);
      else kvData.delete(msg.key);
    } else if (msg.type === 'plugin-init') {
      try {
        post({ type: 'plugin-ready', info: await init(msg) });
      } catch (e) {
        post({ type: 'plugin-failed', message: messageOf(e), memory: memoryBytes() });
      }
    } else if (msg.type === 'plugin-call') {
      try {
        post({ type: 'plugin-result', id: msg.id, ok: true, value: await plugin.handle(msg.input) });
      } catch (e) {
        const payload = /** @type {any} */ (e)?.payload;
        if (payload !== undefined) post({ type: 'plugin-result', id: msg.id, ok: false, payload });
        else post({ type: 'plugin-result', id: msg.id, ok: false, trap: messageOf(e), memory: memoryBytes() });
      }
    }
  };
}
