// @ts-check
/**
 * The host side of an isolated plugin: one plugin instance in its own dedicated worker
 * (plugin-worker.js is the other side), so that the host can stop it. Calls are queued (one
 * at a time, like one Wasmtime store) and each carries `limits.deadline-ms`: a call that has
 * not answered by then terminates the worker and fails with the native host's wording
 * ("plugin 'x' exceeded its deadline of N ms and was stopped"). A trap (including a memory
 * limit, see limits.js) also ends the instance. Either way a fresh instance is started at once
 * and serves the next call; if it cannot be started, the next call tries again and says why.
 */
import { deadlineMessage, isMemoryTrap, memoryMessage, trapMessage } from './limits.js';
import { err, messageOf, Payload } from './providers/errors.js';

/** Time a plugin's worker gets to load its glue and instantiate, on top of `deadline-ms`. */
export const START_ALLOWANCE_MS = 10_000;

/**
 * @typedef {{
 *   name: string,
 *   worker: { url: string, type: WorkerType },
 *   js: string,
 *   jsText?: string,
 *   modules: Record<string, WebAssembly.Module>,
 *   imports: Record<string, string>,
 *   hostImports: Record<string, any>,
 *   config: Record<string, string>,
 *   limits: { 'deadline-ms'?: number, 'memory-mb'?: number },
 *   kv?: () => [string, Uint8Array][],
 *   onKvWrite?: (op: 'set' | 'delete', key: string, value: Uint8Array | undefined, from: IsolatedPlugin) => void,
 *   emit: (event: Record<string, any>) => void,
 * }} IsolateOptions
 * @typedef {{ ok: true, info: any } | { ok: false, message: string }} Started
 */

export class IsolatedPlugin {
  /** @param {IsolateOptions} opts */
  constructor(opts) {
    this.opts = opts;
    this.name = opts.name;
    /** @type {Worker | undefined} */
    this.worker = undefined;
    /** @type {Promise<Started>} */
    this.ready = Promise.resolve({ ok: false, message: 'not started' });
    /** @type {Promise<unknown>} */
    this.queue = Promise.resolve();
    /** @type {((msg: any) => void) | undefined} the call in flight */
    this.settle = undefined;
    this.nextId = 1;
    this.retired = false;
  }

  /** Starts the first instance: `{ ok: true, info }` or `{ ok: false, message }`. */
  start() {
    this.ready = this.launch();
    return this.ready;
  }

  /** @returns {Promise<Started>} */
  launch() {
    const { name, limits } = this.opts;
    return new Promise((resolve) => {
      let worker;
      try {
        worker = new Worker(this.opts.worker.url, { type: this.opts.worker.type, name: `loop-plugin:${name}` });
      } catch (e) {
        resolve({ ok: false, message: `its worker could not be started: ${messageOf(e)}` });
        return;
      }
      this.worker = worker;
      let started = false;
      const deadline = limits['deadline-ms'];
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(() => {
              if (started) return;
              this.kill(worker);
              resolve({ ok: false, message: `it did not start within ${deadline + START_ALLOWANCE_MS} ms (limits.deadline-ms = ${deadline}, plus ${START_ALLOWANCE_MS} ms to load) and was stopped` });
            }, deadline + START_ALLOWANCE_MS);
      worker.addEventListener('error', (ev) => {
        ev.preventDefault();
        const why = `its worker failed: ${ev.message || 'could not load the host script'}`;
        if (!started) {
          started = true;
          clearTimeout(timer);
          this.kill(worker);
          resolve({ ok: false, message: why });
        } else this.settle?.({ type: 'plugin-result', ok: false, trap: why, memory: 0 });
      });
      worker.addEventListener('message', (ev) => {
        const msg = ev.data;
        if (msg.type === 'plugin-ready' || msg.type === 'plugin-failed') {
          if (started) return;
          started = true;
          clearTimeout(timer);
          if (msg.type === 'plugin-ready') resolve({ ok: true, info: msg.info });
          else {
            this.kill(worker);
            resolve({ ok: false, message: msg.message });
          }
        } else if (msg.type === 'plugin-result') this.settle?.(msg);
        else if (msg.type === 'import-call') this.answerImport(worker, msg);
        else if (msg.type === 'kv-write') this.opts.onKvWrite?.(msg.op, msg.key, msg.value, this);
        else this.opts.emit(msg); // log lines and events, in order with the results
      });
      worker.postMessage({
        type: 'plugin-init',
        name,
        js: this.opts.js,
        jsText: this.opts.jsText,
        modules: this.opts.modules,
        imports: this.opts.imports,
        config: this.opts.config,
        kv: this.opts.kv?.() ?? [],
      });
    });
  }

  /** Runs one of the host's asynchronous imports for the plugin. @param {Worker} worker @param {any} msg */
  async answerImport(worker, msg) {
    try {
      const impl = this.opts.hostImports[msg.iface];
      if (!impl || typeof impl[msg.fn] !== 'function') throw new Error(`no function '${msg.fn}' in ${msg.iface}`);
      worker.postMessage({ type: 'import-result', id: msg.id, ok: true, value: await impl[msg.fn](...msg.args) });
    } catch (e) {
      if (e instanceof Payload || /** @type {any} */ (e)?.payload !== undefined) worker.postMessage({ type: 'import-result', id: msg.id, ok: false, payload: /** @type {any} */ (e).payload });
      else worker.postMessage({ type: 'import-result', id: msg.id, ok: false, payload: undefined, error: messageOf(e) });
    }
  }

  /** @param {Worker} worker */
  kill(worker) {
    worker.terminate();
    if (this.worker === worker) this.worker = undefined;
  }

  /** Ends the current instance after a failure and starts a fresh one (unless retired). */
  replace() {
    if (this.worker) this.kill(this.worker);
    this.ready = this.retired ? Promise.resolve({ ok: false, message: 'it was replaced' }) : this.launch();
    this.opts.emit({ type: 'event', name: 'plugin-restarted', component: this.name });
  }

  /**
   * Calls the plugin's `handle`: resolves to its `ok` value, or rejects with an `err` payload
   * (the plugin's own error, or the host's message when it was stopped).
   * @param {string} input
   */
  call(input) {
    const run = async () => {
      let r = await this.ready;
      if (!r.ok && !this.retired) {
        this.ready = this.launch(); // as the native host: try again at the next call
        r = await this.ready;
      }
      if (!r.ok) throw err(`plugin '${this.name}' could not be instantiated: ${r.message}`);
      const worker = /** @type {Worker} */ (this.worker);
      return new Promise((resolve, reject) => {
        const id = this.nextId++;
        const { 'deadline-ms': deadline, 'memory-mb': mb } = this.opts.limits;
        const timer =
          deadline === undefined
            ? undefined
            : setTimeout(() => {
                this.settle = undefined;
                this.replace();
                reject(err(deadlineMessage(this.name, deadline)));
              }, deadline);
        this.settle = (/** @type {any} */ msg) => {
          if (msg.id !== undefined && msg.id !== id) return;
          clearTimeout(timer);
          this.settle = undefined;
          if (msg.ok) return resolve(msg.value);
          if (msg.trap === undefined) return reject(err(msg.payload));
          this.replace();
          reject(err(isMemoryTrap(msg.memory, mb) ? memoryMessage(this.name, /** @type {number} */ (mb), msg.memory, msg.trap) : trapMessage(this.name, msg.trap)));
        };
        worker.postMessage({ type: 'plugin-call', id, input });
      });
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /** Passes a kv write made elsewhere on to this instance. @param {'set' | 'delete'} op @param {string} key @param {Uint8Array} [value] */
  kvChanged(op, key, value) {
    this.worker?.postMessage({ type: 'kv', op, key, value });
  }

  /** Ends this plugin (swapped out or removed) once the calls already queued are done. */
  retire() {
    this.retired = true;
    this.queue.then(() => {
      if (this.worker) this.kill(this.worker);
    });
  }
}
