// @ts-check
/**
 * The browser host: reads a resolved graph for platform `web` (app.loop.json) and the site
 * metadata pack-web wrote beside it (loop.site.json: the jco-transpiled files of every
 * component, their SHA-256 and the interfaces each imports), gates every component on its
 * allow-list, wires providers and components together, and runs the entry.
 *
 * Scheduling is the host's: core and default components are instantiated in graph order
 * (a default component's exports are wired into the imports of the components that use
 * them), then plugins are loaded into the registry; `run()` calls the entry's
 * `loop:app/entry.run`. Runs in a dedicated worker (worker.js) but has no worker-only code.
 */
import { refusal, unversioned, packageOf } from './trust.js';
import { verify, embeddedModules, SignatureFailure } from './signature.js';
import { createLogger } from './providers/log.js';
import { createFiles } from './providers/fs.js';
import { createHttp } from './providers/http.js';
import { createKv } from './providers/kv.js';
import { createClock } from './providers/clock.js';
import { createRandom } from './providers/random.js';
import { createConfig } from './providers/config.js';
import { createDom } from './providers/dom.js';
import { stubInterface } from './providers/stubs.js';
import { PluginRegistry } from './providers/plugin.js';
import { messageOf } from './providers/errors.js';
import { IsolatedPlugin } from './isolate.js';
import { capMemories, PAGE } from './limits.js';
import { ASYNC_FUNCTIONS } from './async-imports.js';

export const GRAPH_FORMAT = 'loop.app/1';
export const SITE_FORMAT = 'loop.site/1';
const STUB_CAPABILITIES = ['loop:ui', 'loop:gfx', 'loop:input', 'loop:window'];

/**
 * @typedef {{ 'deadline-ms'?: number, 'memory-mb'?: number }} Limits
 * @typedef {{ name: string, class: 'core' | 'default' | 'plugin', trust: string, path: string, sha256: string, allow: string[], config: Record<string, string>, limits: Limits }} GraphComponent
 * @typedef {{ format: string, app: { name: string, entry: string, version?: string }, platform: string, components: GraphComponent[], plugins: null | { dir: string, trust: string, allow: string[], limits?: Limits }, capabilities: Record<string, { provider: string } & Record<string, any>>, trust?: Record<string, { allow: string[], keys?: string[], unsigned?: 'refuse' | 'demote' }> }} Graph
 * @typedef {{ js: string, dir: string, files: Record<string, string>, gzip?: string[], imports: string[], exports: string[], signed?: { file: string, sha256: string } }} Transpiled
 * @typedef {Transpiled & { name: string, version: string }} PluginEntry
 * @typedef {{ format: string, components: Record<string, Transpiled>, seed?: { root: string, dir: string, files: string[] }, plugins?: string }} Site
 */

/** A message for the page: `{ type: 'log' | 'event' | 'refused' | … }`. */
/** @typedef {(event: Record<string, any>) => void} Emit */

/** @param {ArrayBuffer} bytes */
async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** An error that names what failed; shown on the page as is. */
export class HostError extends Error {}

/**
 * The bytes of a fetched core module: gunzipped when they are gzip (a `.gz` file; a server that
 * already decoded it through Content-Encoding hands over the plain module, used as it is).
 * @param {Response} res @param {string} what
 * @returns {Promise<ArrayBuffer>}
 */
async function moduleBytes(res, what) {
  const buf = await res.arrayBuffer();
  const head = new Uint8Array(buf, 0, Math.min(2, buf.byteLength));
  if (head[0] !== 0x1f || head[1] !== 0x8b) return buf;
  try {
    return await new Response(new Blob([buf]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  } catch (e) {
    throw new HostError(`${what}: cannot gunzip: ${messageOf(e)}`);
  }
}

/** Imports an isolated plugin's worker provides itself (the rest are forwarded to the host). */
const LOCAL_IMPORTS = /** @type {Record<string, string>} */ ({
  'loop:app/config': 'config',
  'loop:log/logger': 'log',
  'loop:plugin/types': 'types',
  'loop:clock/clock': 'clock',
  'loop:random/random': 'random',
  'loop:kv/store': 'kv',
});

/** 64 KiB pages of a `memory-mb` cap. @param {Limits | undefined} limits */
function capPagesOf(limits) {
  const mb = limits?.['memory-mb'];
  return mb === undefined ? undefined : Math.floor((mb * 1024 * 1024) / PAGE);
}

export class Host {
  /**
   * @param {{ emit: Emit, domRequest?: (op: string, args: Record<string, string>) => Promise<any>, url?: (path: string) => string, pluginWorker?: { url: string, type: WorkerType } }} opts
   *   `url` maps a path of the site to a URL (default: relative to the graph's URL);
   *   `pluginWorker` is the script that runs each plugin in its own worker (the worker host's
   *   own script): without it (or without Worker) plugins run in the host, with no limits
   */
  constructor({ emit, domRequest, url, pluginWorker }) {
    this.emit = emit;
    this.pluginWorker = typeof Worker === 'undefined' ? undefined : pluginWorker;
    /** @type {Map<string, IsolatedPlugin>} plugin name → its isolated instance */
    this.isolates = new Map();
    this.domRequest = domRequest;
    this.urlOf = url;
    this.registry = new PluginRegistry();
    /** @type {Map<string, any>} component name → instance exports */
    this.instances = new Map();
    /** @type {Map<string, string>} plugin name → version loaded */
    this.pluginVersions = new Map();
    /** @type {Record<string, object>} */
    this.shared = {};
  }

  /** @param {string} path */
  url(path) {
    return this.urlOf ? this.urlOf(path) : new URL(path, this.base).href;
  }

  /** @param {string} path @param {RequestInit} [init] */
  async fetchOk(path, init) {
    const url = this.url(path);
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new HostError(`cannot fetch ${path}: ${messageOf(e)}`);
    }
    if (!res.ok) throw new HostError(`cannot fetch ${path}: HTTP ${res.status}`);
    return res;
  }

  /** Loads the graph and the site metadata, prepares providers, instantiates components and plugins. */
  async start(/** @type {string} */ graphUrl) {
    this.base = new URL(graphUrl, typeof location !== 'undefined' ? location.href : undefined).href;
    const [graph, site] = /** @type {[Graph, Site]} */ (
      await Promise.all([this.fetchOk(this.urlOf ? 'app.loop.json' : this.base), this.fetchOk('loop.site.json')].map(async (r) => (await r).json()))
    );
    if (graph.format !== GRAPH_FORMAT) throw new HostError(`app.loop.json: format is '${graph.format}', this host reads '${GRAPH_FORMAT}'`);
    if (graph.platform !== 'web') throw new HostError(`app.loop.json: resolved for platform '${graph.platform}'; resolve the app with --platform web`);
    if (site.format !== SITE_FORMAT) throw new HostError(`loop.site.json: format is '${site.format}', this host reads '${SITE_FORMAT}'`);
    const seen = new Set();
    for (const c of graph.components) {
      if (seen.has(c.name)) throw new HostError(`app.loop.json: component '${c.name}' is listed twice`);
      seen.add(c.name);
    }
    this.graph = graph;
    this.site = site;
    // Download, verify and compile every component while the providers get ready; the
    // components are still instantiated one by one, in graph order, below.
    for (const c of graph.components) {
      const t = site.components[c.name];
      if (t) this.preload(c, t, c.class === 'plugin' ? capPagesOf(c.limits) : undefined, !(c.class === 'plugin' && this.pluginWorker)).catch(() => {});
    }
    await this.prepareProviders();

    // Interfaces exported by core/default components, for wiring and for the trust check.
    /** @type {Map<string, string>} unversioned interface → component */
    this.exportedBy = new Map();
    for (const c of graph.components) {
      if (c.class === 'plugin') continue;
      const t = site.components[c.name];
      if (!t) throw new HostError(`loop.site.json: no transpiled files for component '${c.name}' (re-run loop pack web)`);
      for (const e of t.exports) this.exportedBy.set(unversioned(e), c.name);
    }
    // Signatures (trust classes with keys) before anything is instantiated; a demoted
    // component continues under untrusted's allow-list.
    /** @type {Map<string, { trust: string, allow: string[] }>} */
    const gates = new Map();
    for (const c of graph.components) {
      if (c.class === 'plugin') continue;
      try {
        gates.set(c.name, await this.admit(c.name, c, site.components[c.name], `component '${c.name}'`));
      } catch (e) {
        if (e instanceof HostError) this.emit({ type: 'refused', component: c.name, message: e.message });
        throw e;
      }
    }
    for (const c0 of graph.components) {
      if (c0.class === 'plugin') continue;
      const c = { ...c0, ...gates.get(c0.name) };
      const t = site.components[c.name];
      const why = refusal(c, t.imports, new Set([...this.exportedBy].filter(([, owner]) => owner !== c.name).map(([i]) => i)));
      if (why) {
        this.emit({ type: 'refused', component: c.name, message: why });
        throw new HostError(why);
      }
    }
    // Plugins start loading now (each starts its own worker) while the core and default
    // components are instantiated here; they are reported and registered afterwards, in order.
    /** @type {Promise<() => Promise<unknown>>[]} */
    const plugins = [];
    for (const c of graph.components) {
      if (c.class !== 'plugin') continue;
      const t = site.components[c.name];
      if (!t) throw new HostError(`loop.site.json: no transpiled files for plugin component '${c.name}'`);
      plugins.push(this.preparePlugin(c.name, c, t, `component:${c.sha256.slice(0, 16)}`));
    }
    if (graph.plugins && site.plugins) plugins.push(this.preparePluginDir());
    for (const p of plugins) p.catch(() => {});
    try {
      for (const c of graph.components) {
        if (c.class === 'plugin') continue;
        this.instances.set(c.name, await this.instantiate(c, site.components[c.name]));
        this.emit({ type: 'event', name: 'instantiated', component: c.name });
      }
      for (const p of plugins) await (await p)();
    } catch (e) {
      // The app does not start: end the plugin workers that were started for it.
      Promise.allSettled(plugins).then(() => {
        for (const iso of this.isolates.values()) iso.retire();
      });
      throw e;
    }
    this.emit({ type: 'ready', app: graph.app, plugins: this.registry.list() });
  }

  async prepareProviders() {
    const graph = /** @type {Graph} */ (this.graph);
    const site = /** @type {Site} */ (this.site);
    const caps = graph.capabilities;
    const app = graph.app.name;
    const emit = this.emit;
    /** @type {Record<string, object>} */
    const shared = {};
    if (caps['loop:fs']) {
      const seed = site.seed;
      const fsp = await createFiles({
        provider: caps['loop:fs'].provider,
        app,
        root: caps['loop:fs'].root,
        emit,
        seed: seed && {
          files: seed.files,
          load: async (p) => new Uint8Array(await (await this.fetchOk(`${seed.dir}/${p}`)).arrayBuffer()),
        },
      });
      Object.assign(shared, fsp.imports);
    }
    if (caps['loop:http']) Object.assign(shared, createHttp({ allow: caps['loop:http'].allow ?? [] }));
    if (caps['loop:kv']) {
      const kv = await createKv({ provider: caps['loop:kv'].provider, app, emit });
      const store = /** @type {Record<string, (...a: any[]) => any>} */ (kv.imports['loop:kv/store']);
      // Isolated plugins keep a replica: every write is passed on to them (but the writer).
      const tell = (/** @type {'set' | 'delete'} */ op, /** @type {string} */ key, /** @type {IsolatedPlugin | undefined} */ from) => {
        for (const iso of this.isolates.values()) if (iso !== from) iso.kvChanged(op, key, kv.data.get(key));
      };
      const wrapped = {
        ...store,
        set: (/** @type {string} */ key, /** @type {Uint8Array} */ value, /** @type {IsolatedPlugin | undefined} */ from) => {
          const r = store.set(key, value);
          tell('set', key, from);
          return r;
        },
        delete: (/** @type {string} */ key, /** @type {IsolatedPlugin | undefined} */ from) => {
          const r = store.delete(key);
          tell('delete', key, from);
          return r;
        },
      };
      shared['loop:kv/store'] = wrapped;
      this.kv = { data: kv.data, store: wrapped };
    }
    if (caps['loop:clock']) Object.assign(shared, createClock());
    if (caps['loop:random']) Object.assign(shared, createRandom());
    if (caps['loop:dom']) {
      const request = this.domRequest;
      Object.assign(shared, createDom(request ?? (async () => ({ ok: false, error: 'no page is attached to this host' }))));
    }
    this.shared = shared;
  }

  /**
   * The import object for one component: only interfaces it imports and may use.
   * @param {{ name: string }} c @param {string[]} imports
   */
  importsFor(c, imports) {
    const caps = /** @type {Graph} */ (this.graph).capabilities;
    /** @type {Record<string, object>} */
    const out = {};
    for (const iface of imports.map(unversioned)) {
      const pkg = packageOf(iface);
      if (iface === 'loop:app/config') Object.assign(out, createConfig(/** @type {any} */ (c)));
      else if (iface === 'loop:log/logger') Object.assign(out, createLogger({ component: c.name, emit: this.emit }));
      else if (iface === 'loop:plugin/host') Object.assign(out, this.registry.imports());
      else if (iface === 'loop:plugin/types') out[iface] = {};
      else if (STUB_CAPABILITIES.includes(pkg) && caps[pkg]) out[iface] = stubInterface();
      else if (this.shared[iface]) out[iface] = this.shared[iface];
      else if (this.exportedBy?.has(iface)) {
        const owner = /** @type {string} */ (this.exportedBy.get(iface));
        const forward = (/** @type {string} */ fn) => (/** @type {any[]} */ ...args) => {
          const inst = this.instances.get(owner);
          if (!inst) throw new HostError(`component '${owner}' (exporting ${iface}) is not instantiated`);
          const target = inst[Object.keys(inst).find((k) => unversioned(k) === iface) ?? iface];
          return target[fn](...args);
        };
        out[iface] = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? forward(k) : undefined) });
      } else {
        throw new HostError(`component '${c.name}' imports '${iface}', which this host cannot provide on the web (capability not granted or not available)`);
      }
    }
    return out;
  }

  /**
   * @param {{ name: string }} c @param {Transpiled} t
   * @returns {Promise<any>}
   */
  /**
   * Starts loading a component's glue module and compiling its core modules (each verified
   * against its SHA-256 first). Idempotent per file. `capPages`: the plugin's memory cap
   * (limits.memory-mb), written into the modules before they are compiled; `withGlue`: false
   * for an isolated plugin, whose own worker imports the glue.
   * @param {{ name: string }} c @param {Transpiled} t @param {number} [capPages] @param {boolean} [withGlue]
   */
  preload(c, t, capPages = /** @type {number | undefined} */ (undefined), withGlue = true) {
    /** @type {Map<string, Promise<any>>} */
    const cache = (this.loading ??= new Map());
    const once = (/** @type {string} */ key, /** @type {() => Promise<any>} */ f) => {
      let p = cache.get(key);
      if (!p) cache.set(key, (p = f()));
      return p;
    };
    // An isolated plugin's glue is imported by its own worker only.
    const glue = withGlue ? once(t.js, () => import(/* @vite-ignore */ this.url(t.js))) : Promise.resolve(undefined);
    /** @type {Record<string, Promise<WebAssembly.Module>>} */
    const cores = {};
    for (const [file, expected] of Object.entries(t.files)) {
      cores[file] = once(t.dir + file + (capPages === undefined ? '' : `#${capPages}`), async () => {
        // Large core modules are shipped gzip-compressed as `<file>.gz` (loop.site.json `gzip`).
        const stored = t.gzip?.includes(file) ? `${file}.gz` : file;
        const bytes = await moduleBytes(await this.fetchOk(t.dir + stored), `component '${c.name}': ${t.dir}${stored}`);
        const actual = await sha256(bytes);
        if (actual !== expected) throw new HostError(`component '${c.name}': ${t.dir}${stored} has sha256 ${actual}${stored === file ? '' : ' (gunzipped)'}, loop.site.json says ${expected}`);
        if (capPages === undefined) return WebAssembly.compile(bytes);
        // limits.memory-mb: the memories this module defines get the cap as their maximum.
        let capped;
        try {
          capped = capMemories(new Uint8Array(bytes), capPages).bytes;
        } catch (e) {
          throw new HostError(`component '${c.name}': ${t.dir}${file}: ${messageOf(e)} (limits.memory-mb = ${(capPages * PAGE) / (1024 * 1024)})`);
        }
        return WebAssembly.compile(/** @type {Uint8Array<ArrayBuffer>} */ (capped));
      });
    }
    return Promise.all([glue, ...Object.values(cores)]).then(() => ({ glue, cores }));
  }

  /**
   * The (possibly already running) loads of a component's files.
   * @param {{ name: string }} c @param {Transpiled} t @param {number} [capPages] @param {boolean} [withGlue]
   */
  preloadHandles(c, t, capPages, withGlue = true) {
    this.preload(c, t, capPages, withGlue).catch(() => {});
    const cache = /** @type {Map<string, Promise<any>>} */ (this.loading);
    /** @type {Record<string, Promise<WebAssembly.Module>>} */
    const cores = {};
    for (const file of Object.keys(t.files)) cores[file] = /** @type {Promise<WebAssembly.Module>} */ (cache.get(t.dir + file + (capPages === undefined ? '' : `#${capPages}`)));
    return { glue: /** @type {Promise<any>} */ (cache.get(t.js)), cores };
  }

  async instantiate(/** @type {{ name: string, config?: Record<string, string> }} */ c, /** @type {Transpiled} */ t) {
    const imports = this.importsFor(c, t.imports);
    const { glue, cores } = this.preloadHandles(c, t);
    const mod = await glue;
    const getCoreModule = async (/** @type {string} */ file) => {
      if (!cores[file]) throw new HostError(`component '${c.name}': ${file} is not listed in loop.site.json`);
      return cores[file];
    };
    try {
      return await mod.instantiate(getCoreModule, imports);
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw new HostError(`component '${c.name}' failed to instantiate: ${messageOf(e)}`);
    }
  }

  /**
   * The signature check of a component or plugin whose trust class lists keys (graph
   * `trust.<class>.keys`): the signed component file pack-web kept (`t.signed`) must carry a
   * valid signature by one of the keys, and every core module the host will compile must be
   * one embedded in it. Returns the gate to run it under: its own, or untrusted's allow-list
   * when the class says `unsigned = "demote"` (said once, as a `demoted` event and on the
   * console). Throws a HostError naming the component, the file and the reason otherwise.
   * @param {string} name @param {{ trust: string, allow: string[] }} gate @param {Transpiled} t @param {string} what
   * @returns {Promise<{ trust: string, allow: string[] }>}
   */
  async admit(name, gate, t, what) {
    const graph = /** @type {Graph} */ (this.graph);
    const cls = graph.trust?.[gate.trust];
    const keys = cls?.keys ?? [];
    if (!keys.length) return { trust: gate.trust, allow: gate.allow };
    const file = t?.signed?.file ?? `${t?.dir ?? ''}${name}.wasm`;
    try {
      if (!t?.signed) throw new SignatureFailure('no signature', 'the site carries no signed copy of it (the component was not signed when it was packed)');
      const bytes = new Uint8Array(await (await this.fetchOk(t.signed.file)).arrayBuffer());
      await verify(bytes, keys);
      const embedded = await embeddedModules(bytes);
      for (const [core, sha] of Object.entries(t.files)) {
        if (!embedded.has(sha)) throw new SignatureFailure('tampered', `core module ${t.dir}${core} (sha256 ${sha}) is not one of the modules of the signed component`);
      }
      return { trust: gate.trust, allow: gate.allow };
    } catch (e) {
      if (!(e instanceof SignatureFailure)) throw e instanceof HostError ? e : new HostError(`${file}: ${what}: ${messageOf(e)}`);
      if (cls?.unsigned === 'demote') {
        const untrusted = graph.trust?.untrusted?.allow ?? [];
        const allow = gate.allow.filter((a) => a === 'loop:app' || untrusted.includes(a));
        const message = `${what} (${file}) has no valid signature for trust class '${gate.trust}' (${e.message}); running it as 'untrusted' (trust.${gate.trust}.unsigned = "demote")`;
        console.warn(`loop: ${message}`);
        this.emit({ type: 'demoted', component: name, message });
        return { trust: 'untrusted', allow };
      }
      throw new HostError(
        `${file}: ${what} has trust class '${gate.trust}', which requires a valid signature by one of its keys (trust.${gate.trust}.keys), but ${e.message}; refusing to run it`,
      );
    }
  }

  /**
   * Gates, instantiates and registers one plugin (replacing a loaded one of the same name).
   * With a plugin worker script (the normal case in a worker host) the plugin runs isolated in
   * its own worker under its `limits` (isolate.js); otherwise in the host, without limits.
   * @param {string} name @param {{ name: string, trust: string, allow: string[], config?: Record<string, string>, limits?: Limits }} gate @param {Transpiled} t @param {string} version
   * @returns {Promise<boolean>} whether it was loaded
   */
  async loadPlugin(name, gate, t, version) {
    return (await this.preparePlugin(name, gate, t, version))();
  }

  /**
   * The slow part of loading a plugin (signature, trust gate, compiling, starting its worker),
   * without a word to the page: resolves to the step that reports and registers it, so that
   * several plugins load at once and are still reported in order.
   * @param {string} name @param {{ name: string, trust: string, allow: string[], config?: Record<string, string>, limits?: Limits }} gate @param {Transpiled} t @param {string} version
   * @returns {Promise<() => Promise<boolean>>}
   */
  async preparePlugin(name, gate, t, version) {
    try {
      gate = { ...gate, ...(await this.admit(name, gate, t, `plugin '${name}'`)) };
    } catch (e) {
      return async () => {
        this.emit({ type: 'refused', component: name, message: messageOf(e) });
        return false;
      };
    }
    const why = refusal({ ...gate, name }, t.imports, new Set());
    if (why) {
      return async () => {
        this.emit({ type: 'refused', component: name, message: why });
        return false;
      };
    }
    if (this.pluginWorker) return this.prepareIsolated(name, gate, t, version);
    return () => this.loadInHost(name, gate, t, version);
  }

  /**
   * Instantiates a plugin in the host worker (no Worker to isolate it in): no limits.
   * @param {string} name @param {{ config?: Record<string, string> }} gate @param {Transpiled} t @param {string} version
   */
  async loadInHost(name, gate, t, version) {
    try {
      const inst = await this.instantiate({ name, config: gate.config ?? {} }, t);
      const plugin = inst['loop:plugin/plugin@0.1.0'] ?? inst.plugin;
      if (!plugin) throw new HostError(`plugin '${name}' does not export loop:plugin/plugin`);
      const info = await plugin.info();
      const previous = this.pluginVersions.get(name);
      this.registry.set({ name, source: version, info, handle: (input) => plugin.handle(input) });
      this.pluginVersions.set(name, version);
      this.emit({ type: 'plugin', name, version, info, previous: previous ?? null });
      return true;
    } catch (e) {
      this.emit({ type: 'error', component: name, message: messageOf(e) });
      return false;
    }
  }

  /**
   * Starts a plugin in its own worker; the step it resolves to registers it (or reports why it
   * could not start) and retires the previous version once its queued calls are done.
   * @param {string} name @param {{ name: string, trust: string, allow: string[], config?: Record<string, string>, limits?: Limits }} gate @param {Transpiled} t @param {string} version
   * @returns {Promise<() => Promise<boolean>>}
   */
  async prepareIsolated(name, gate, t, version) {
    /** @type {IsolatedPlugin | undefined} */
    let iso;
    try {
      const limits = gate.limits ?? {};
      const c = { name, config: gate.config ?? {} };
      const hostImports = this.importsFor(c, t.imports); // refuses what this host cannot provide
      const caps = /** @type {Graph} */ (this.graph).capabilities;
      /** @type {Record<string, string>} */
      const modes = {};
      for (const iface of t.imports.map(unversioned)) {
        if (LOCAL_IMPORTS[iface]) modes[iface] = LOCAL_IMPORTS[iface];
        else if (STUB_CAPABILITIES.includes(packageOf(iface)) && caps[packageOf(iface)]) modes[iface] = 'stub';
        else if (/** @type {Record<string, string[]>} */ (ASYNC_FUNCTIONS)[iface]) modes[iface] = 'forward';
        else throw new HostError(`plugin '${name}' imports '${iface}', which an isolated plugin cannot use on the web`);
      }
      const { cores } = this.preloadHandles(c, t, capPagesOf(limits), false);
      /** @type {Record<string, WebAssembly.Module>} */
      const modules = {};
      for (const [file, m] of Object.entries(cores)) modules[file] = await m;
      const kv = this.kv;
      // An inline site's files are blob: URLs of this worker, which no other worker may load:
      // the plugin's worker gets the glue's source instead.
      const js = this.url(t.js);
      const jsText = js.startsWith('blob:') ? await (await fetch(js)).text() : undefined;
      iso = new IsolatedPlugin({
        name,
        worker: /** @type {{ url: string, type: WorkerType }} */ (this.pluginWorker),
        js,
        jsText,
        modules,
        imports: modes,
        hostImports,
        config: c.config,
        limits,
        kv: kv && (() => [...kv.data]),
        onKvWrite: kv && ((op, key, value, from) => (op === 'set' ? kv.store.set(key, /** @type {Uint8Array} */ (value), from) : kv.store.delete(key, from))),
        emit: this.emit,
      });
      this.isolates.set(`${name}\u0000${version}`, iso); // receives kv writes while it starts
      const started = await iso.start();
      if (!started.ok) throw new HostError(`plugin '${name}' could not be instantiated: ${started.message}`);
      const running = /** @type {IsolatedPlugin} */ (iso);
      return async () => {
        const previous = this.pluginVersions.get(name);
        this.registry.set({ name, source: version, info: started.info, handle: (input) => running.call(input) });
        this.isolates.get(name)?.retire();
        this.isolates.delete(`${name}\u0000${version}`);
        this.isolates.set(name, running);
        this.pluginVersions.set(name, version);
        this.emit({ type: 'plugin', name, version, info: started.info, previous: previous ?? null });
        return true;
      };
    } catch (e) {
      if (iso) {
        iso.retire();
        this.isolates.delete(`${name}\u0000${version}`);
      }
      return async () => {
        this.emit({ type: 'error', component: name, message: messageOf(e) });
        return false;
      };
    }
  }

  /** Reads plugins/index.json again and swaps every plugin whose version changed. */
  async reloadPlugins() {
    return (await this.preparePluginDir())();
  }

  /**
   * Reads plugins/index.json and starts loading every plugin whose version changed, all at
   * once; resolves to the step that reports and registers them in index order, removes the
   * plugins no longer listed and answers the list.
   * @returns {Promise<() => Promise<ReturnType<PluginRegistry['list']>>>}
   */
  async preparePluginDir() {
    const graph = /** @type {Graph} */ (this.graph);
    const site = /** @type {Site} */ (this.site);
    if (!graph.plugins || !site.plugins) return async () => this.registry.list();
    const index = await (await this.fetchOk(site.plugins, { cache: 'no-store' })).json();
    const entries = /** @type {PluginEntry[]} */ (index.plugins ?? []);
    const gate = { name: '', trust: graph.plugins.trust, allow: graph.plugins.allow, limits: graph.plugins.limits };
    const loads = entries.filter((e) => this.pluginVersions.get(e.name) !== e.version).map((e) => this.preparePlugin(e.name, gate, e, e.version));
    for (const l of loads) l.catch(() => {});
    return async () => {
      for (const l of loads) await (await l)();
      return this.commitPluginDir(graph, entries);
    };
  }

  /** @param {Graph} graph @param {PluginEntry[]} entries */
  commitPluginDir(graph, entries) {
    const fromComponents = new Set(graph.components.filter((c) => c.class === 'plugin').map((c) => c.name));
    for (const name of [...this.pluginVersions.keys()]) {
      if (!fromComponents.has(name) && !entries.some((e) => e.name === name)) {
        this.registry.delete(name);
        this.isolates.get(name)?.retire();
        this.isolates.delete(name);
        this.pluginVersions.delete(name);
        this.emit({ type: 'plugin-removed', name });
      }
    }
    const list = this.registry.list();
    this.emit({ type: 'plugins', plugins: list });
    return list;
  }

  /** Calls the entry's `run`; resolves to `{ ok: true }` or `{ ok: false, error }`. */
  async run() {
    const graph = /** @type {Graph} */ (this.graph);
    const inst = this.instances.get(graph.app.entry);
    if (!inst) throw new HostError(`the entry component '${graph.app.entry}' is not instantiated`);
    const entry = inst['loop:app/entry@0.1.0'] ?? inst.entry;
    if (!entry) throw new HostError(`the entry component '${graph.app.entry}' does not export loop:app/entry`);
    try {
      await entry.run();
      return { ok: true };
    } catch (e) {
      const payload = /** @type {any} */ (e)?.payload;
      return { ok: false, error: typeof payload === 'string' ? payload : `trap: ${messageOf(e)}` };
    }
  }

  /** @param {string} name @param {string} input */
  async callPlugin(name, input) {
    try {
      return { ok: true, value: await this.registry.call(name, input) };
    } catch (e) {
      const payload = /** @type {any} */ (e)?.payload;
      return { ok: false, error: typeof payload === 'string' ? payload : messageOf(e) };
    }
  }
}
