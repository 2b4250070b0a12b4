// @ts-check
/**
 * `loop:fs/files` — providers `opfs` (the Origin Private File System, scoped per app under
 * `loop/<app>/<root>`) and `memory` (a Map; also the fallback when OPFS is unavailable).
 * Every function is asynchronous (the guest waits through JSPI). Errors are the WIT variant
 * `error { not-found(string), denied(string), io(string) }`.
 */
import { err, guardAll } from './errors.js';

/**
 * Splits a guest path into segments, refusing anything that would leave the scoped root.
 * @param {string} path
 * @returns {string[]}
 */
export function segments(path) {
  if (typeof path !== 'string') throw err({ tag: 'denied', val: 'path must be a string' });
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw err({ tag: 'denied', val: `${path}: '..' leaves the component's root` });
  return parts;
}

/** @param {string} path */
function notFound(path) {
  return err({ tag: 'not-found', val: path });
}

/** @param {string} message */
const ioError = (message) => ({ tag: 'io', val: message });

/** In-memory files: path (segments joined by '/') → bytes. */
export function memoryFiles(/** @type {Map<string, Uint8Array>} */ files = new Map()) {
  const key = (/** @type {string} */ p) => segments(p).join('/');
  return {
    files,
    impl: guardAll(
      {
        read: async (/** @type {string} */ path) => {
          const f = files.get(key(path));
          if (!f) throw notFound(path);
          return f.slice();
        },
        write: async (/** @type {string} */ path, /** @type {Uint8Array} */ data) => {
          const k = key(path);
          if (!k) throw err({ tag: 'denied', val: 'cannot write the root directory' });
          files.set(k, new Uint8Array(data));
        },
        list: async (/** @type {string} */ dir) => {
          const prefix = key(dir);
          const names = new Set();
          for (const k of files.keys()) {
            if (prefix && !k.startsWith(prefix + '/')) continue;
            names.add(k.slice(prefix ? prefix.length + 1 : 0).split('/')[0]);
          }
          return [...names].sort();
        },
        remove: async (/** @type {string} */ path) => {
          if (!files.delete(key(path))) throw notFound(path);
        },
        exists: async (/** @type {string} */ path) => {
          try {
            const k = key(path);
            return k === '' || files.has(k) || [...files.keys()].some((f) => f.startsWith(k + '/'));
          } catch {
            return false; // exists() has no error case: an escaping path does not exist
          }
        },
      },
      ioError,
    ),
  };
}

/**
 * OPFS files under `root` (a FileSystemDirectoryHandle already scoped to the app).
 * @param {FileSystemDirectoryHandle} root
 */
export function opfsFiles(root) {
  /** @param {string[]} parts @param {boolean} create */
  async function dirOf(parts, create) {
    let dir = root;
    for (const p of parts) dir = await dir.getDirectoryHandle(p, { create });
    return dir;
  }
  /** @param {unknown} e @param {string} path */
  const mapError = (e, path) => {
    const name = /** @type {any} */ (e)?.name;
    if (name === 'NotFoundError' || name === 'TypeMismatchError') return notFound(path);
    if (name === 'NotAllowedError' || name === 'SecurityError') return err({ tag: 'denied', val: `${path}: ${/** @type {any} */ (e).message}` });
    return err({ tag: 'io', val: `${path}: ${/** @type {any} */ (e)?.message ?? e}` });
  };
  return guardAll(
    {
      read: async (/** @type {string} */ path) => {
        const parts = segments(path);
        try {
          const dir = await dirOf(parts.slice(0, -1), false);
          const file = await (await dir.getFileHandle(parts[parts.length - 1] ?? '')).getFile();
          return new Uint8Array(await file.arrayBuffer());
        } catch (e) {
          throw mapError(e, path);
        }
      },
      write: async (/** @type {string} */ path, /** @type {Uint8Array} */ data) => {
        const parts = segments(path);
        if (!parts.length) throw err({ tag: 'denied', val: 'cannot write the root directory' });
        try {
          const dir = await dirOf(parts.slice(0, -1), true);
          const handle = await dir.getFileHandle(parts[parts.length - 1], { create: true });
          const w = await handle.createWritable();
          await w.write(data);
          await w.close();
        } catch (e) {
          throw mapError(e, path);
        }
      },
      list: async (/** @type {string} */ path) => {
        try {
          const dir = await dirOf(segments(path), false);
          const names = [];
          for await (const name of /** @type {any} */ (dir).keys()) names.push(name);
          return names.sort();
        } catch (e) {
          throw mapError(e, path);
        }
      },
      remove: async (/** @type {string} */ path) => {
        const parts = segments(path);
        if (!parts.length) throw err({ tag: 'denied', val: 'cannot remove the root directory' });
        try {
          const dir = await dirOf(parts.slice(0, -1), false);
          await dir.removeEntry(parts[parts.length - 1], { recursive: true });
        } catch (e) {
          throw mapError(e, path);
        }
      },
      exists: async (/** @type {string} */ path) => {
        try {
          const parts = segments(path);
          const dir = await dirOf(parts.slice(0, -1), false);
          if (!parts.length) return true;
          const last = parts[parts.length - 1];
          for await (const name of /** @type {any} */ (dir).keys()) if (name === last) return true;
          return false;
        } catch {
          return false;
        }
      },
    },
    ioError,
  );
}

/**
 * The app's `loop:fs` provider. `seed` holds the files pack-web copied from the app's fs root
 * (`{ path: bytes }` loader); a seed file is written only when the store does not have it yet,
 * so what the app wrote survives reloads.
 * @param {{ provider: string, app: string, root?: string, seed?: { files: string[], load: (path: string) => Promise<Uint8Array> }, emit?: (e: object) => void }} opts
 */
export async function createFiles({ provider, app, root = 'data', seed, emit }) {
  /** @type {any} */
  let impl;
  let backend = provider;
  if (provider === 'opfs') {
    try {
      let dir = await navigator.storage.getDirectory();
      for (const p of ['loop', app, ...segments(root)]) dir = await dir.getDirectoryHandle(p, { create: true });
      impl = opfsFiles(dir);
    } catch (e) {
      backend = 'memory';
      emit?.({ type: 'event', name: 'fs-fallback', message: `OPFS unavailable (${/** @type {any} */ (e)?.message ?? e}); loop:fs uses memory` });
    }
  } else if (provider !== 'memory') {
    throw new Error(`unknown loop:fs provider '${provider}' for the web (expected opfs or memory)`);
  }
  if (!impl) impl = memoryFiles().impl;
  for (const path of seed?.files ?? []) {
    if (!(await impl.exists(path))) await impl.write(path, await seed.load(path));
  }
  return { backend, imports: { 'loop:fs/files': impl } };
}
