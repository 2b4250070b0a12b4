// @ts-check
/**
 * `loop:kv/store` — providers `memory`, `indexeddb` and `webstorage`. Reads are served from an
 * in-memory copy loaded before the app starts, so every call is synchronous for the guest;
 * `indexeddb` and `webstorage` write through (in order) to persistent storage.
 * Errors are the WIT variant `error { denied(string), io(string), too-large(string) }`.
 */
import { err, guardAll } from './errors.js';

export const MAX_VALUE_BYTES = 1 << 20;
export const MAX_KEY_BYTES = 1024;

/** @param {string} name */
function openDb(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('kv');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** @param {IDBRequest | IDBTransaction} req */
function done(req) {
  return new Promise((resolve, reject) => {
    if ('oncomplete' in req) {
      req.oncomplete = () => resolve(undefined);
      req.onerror = () => reject(req.error);
    } else {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    }
  });
}

/**
 * @param {{ provider: string, app: string, emit?: (e: object) => void }} opts
 */
export async function createKv({ provider, app, emit }) {
  /** @type {Map<string, Uint8Array>} */
  const data = new Map();
  /** @type {(op: 'set' | 'delete', key: string, value?: Uint8Array) => void} */
  let persist = () => {};
  let backend = provider;
  const failed = (/** @type {unknown} */ e) => emit?.({ type: 'event', name: 'kv-error', message: `loop:kv write failed: ${/** @type {any} */ (e)?.message ?? e}` });
  if (provider === 'indexeddb') {
    try {
      const db = /** @type {IDBDatabase} */ (await openDb(`loop:${app}`));
      const tx = db.transaction('kv', 'readonly');
      const store = tx.objectStore('kv');
      const keys = /** @type {string[]} */ (await done(store.getAllKeys()));
      const values = /** @type {Uint8Array[]} */ (await done(store.getAll()));
      keys.forEach((k, i) => data.set(k, new Uint8Array(values[i])));
      let chain = Promise.resolve();
      persist = (op, key, value) => {
        chain = chain
          .then(async () => {
            const t = db.transaction('kv', 'readwrite');
            if (op === 'set') t.objectStore('kv').put(value, key);
            else t.objectStore('kv').delete(key);
            await done(t);
          })
          .catch(failed);
      };
    } catch (e) {
      backend = 'memory';
      emit?.({ type: 'event', name: 'kv-fallback', message: `IndexedDB unavailable (${/** @type {any} */ (e)?.message ?? e}); loop:kv uses memory` });
    }
  } else if (provider === 'webstorage' && typeof localStorage === 'undefined') {
    backend = 'memory';
    emit?.({ type: 'event', name: 'kv-fallback', message: 'Web Storage is not available in a worker; loop:kv uses memory' });
  } else if (provider === 'webstorage') {
    const prefix = `loop:${app}:`;
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k?.startsWith(prefix)) data.set(k.slice(prefix.length), Uint8Array.from(atob(localStorage.getItem(k) ?? ''), (c) => c.charCodeAt(0)));
    }
    persist = (op, key, value) => {
      try {
        if (op === 'set') localStorage.setItem(prefix + key, btoa(String.fromCharCode(...(value ?? []))));
        else localStorage.removeItem(prefix + key);
      } catch (e) {
        failed(e);
      }
    };
  } else if (provider !== 'memory') {
    throw new Error(`unknown loop:kv provider '${provider}' for the web (expected memory, indexeddb or webstorage)`);
  }
  const checkKey = (/** @type {string} */ key) => {
    if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) throw err({ tag: 'too-large', val: `key longer than ${MAX_KEY_BYTES} bytes` });
  };
  const impl = guardAll(
    {
      get: (/** @type {string} */ key) => {
        const v = data.get(key);
        return v ? v.slice() : undefined;
      },
      set: (/** @type {string} */ key, /** @type {Uint8Array} */ value) => {
        checkKey(key);
        if (value.length > MAX_VALUE_BYTES) throw err({ tag: 'too-large', val: `value of ${value.length} bytes for '${key}' (limit ${MAX_VALUE_BYTES})` });
        const copy = new Uint8Array(value);
        data.set(key, copy);
        persist('set', key, copy);
      },
      delete: (/** @type {string} */ key) => {
        data.delete(key);
        persist('delete', key);
      },
      keys: (/** @type {string} */ prefix) => [...data.keys()].filter((k) => k.startsWith(prefix)).sort(),
    },
    (m) => ({ tag: 'io', val: m }),
  );
  return { backend, data, imports: { 'loop:kv/store': impl } };
}
