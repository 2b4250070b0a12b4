// @ts-check
/**
 * `loop:plugin/host` — provider `registry`: the plugins loaded in this worker (class `plugin`
 * components of the graph and the files of the plugin directory). `call` runs the plugin's
 * `handle`; its `err` (or a plugin that trapped) comes back as the string `err` of `call`.
 * Plugins are swapped by replacing the registry entry; the next call reaches the new version.
 */
import { err, guardAll, messageOf } from './errors.js';

/**
 * @typedef {{ name: string, version: string, description: string }} Info
 * @typedef {{ name: string, source: string, info: Info, handle: (input: string) => unknown, dead?: string }} Plugin
 */

export class PluginRegistry {
  constructor() {
    /** @type {Map<string, Plugin>} */
    this.plugins = new Map();
  }

  /** @param {Plugin} plugin */
  set(plugin) {
    this.plugins.set(plugin.name, plugin);
  }

  /** @param {string} name */
  delete(name) {
    this.plugins.delete(name);
  }

  list() {
    return [...this.plugins.values()].map((p) => ({ ...p.info, name: p.name })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Calls a plugin; resolves to its output or rejects with the error string.
   * @param {string} name @param {string} input
   */
  async call(name, input) {
    const p = this.plugins.get(name);
    if (!p) throw err(`no plugin named '${name}'`);
    if (p.dead) throw err(`plugin '${name}' is unavailable: ${p.dead}`);
    try {
      return await p.handle(input);
    } catch (e) {
      const payload = /** @type {any} */ (e)?.payload;
      if (typeof payload === 'string') throw err(payload);
      // A trap leaves the instance unusable: later calls fail fast until the plugin is swapped.
      p.dead = messageOf(e);
      throw err(`plugin '${name}' trapped: ${p.dead}`);
    }
  }

  imports() {
    return {
      'loop:plugin/host': guardAll(
        {
          list: () => this.list(),
          call: (/** @type {string} */ name, /** @type {string} */ input) => this.call(name, input),
        },
        (m) => m,
      ),
    };
  }
}
