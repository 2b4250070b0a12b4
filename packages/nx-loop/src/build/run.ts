/**
 * Running a built component in Node: `jco transpile --instantiation async` in memory, then
 * `instantiate()` with providers passed as plain objects keyed by unversioned interface
 * names (`'loop:log/logger'`). Used by tests (ours and generated projects') and tools.
 *
 * `memoryProviders()` gives small, real in-process providers for the `loop:*` interfaces a
 * plugin or core component imports (log lines are collected, kv lives in a Map).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importEsm } from './esm';

export type Imports = Record<string, Record<string, unknown>>;

export interface Instantiated {
  /** The component's exports (`plugin`, `entry`, …, and the versioned names). */
  exports: Record<string, any>;
  /** Interfaces the component imports (unversioned, e.g. `loop:log/logger`). */
  imports: string[];
}

/** Transpiles and instantiates a component; throws if an import it needs is not provided. */
export async function instantiateComponent(wasm: string | Uint8Array, imports: Imports): Promise<Instantiated> {
  const bytes = typeof wasm === 'string' ? readFileSync(wasm) : wasm;
  const { transpile } = await importEsm<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco');
  const { files, imports: needed } = await transpile(bytes, {
    name: 'component',
    instantiation: 'async',
    noTypescript: true,
    quiet: true,
  });
  const unversioned = needed.map((n) => n.replace(/@[^/]*$/, ''));
  const missing = unversioned.filter((n) => !(n in imports));
  if (missing.length) {
    throw new Error(`the component imports ${missing.join(', ')}, which no provider was given for`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'loop-run-'));
  try {
    for (const [name, data] of Object.entries(files)) {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
    }
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const mod = await importEsm<{ instantiate: (getCoreModule: (p: string) => Promise<WebAssembly.Module>, imports: Imports) => Promise<Record<string, any>> }>(pathToFileURL(join(dir, 'component.js')).href);
    const exports = await mod.instantiate(
      (p: string) => WebAssembly.compile(readFileSync(join(dir, p))),
      imports,
    );
    return { exports, imports: unversioned };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LogRecord {
  level: string;
  message: string;
}

export interface MemoryProviders {
  imports: Imports;
  logs: LogRecord[];
  kv: Map<string, Uint8Array>;
}

/** Real in-memory providers for the `loop:*` interfaces of the `core` and `plugin` worlds. */
export function memoryProviders(opts: { config?: Record<string, string>; files?: Record<string, string | Uint8Array>; plugins?: Record<string, { info: { name: string; version: string; description: string }; handle: (input: string) => string }> } = {}): MemoryProviders {
  const logs: LogRecord[] = [];
  const kv = new Map<string, Uint8Array>();
  const files = new Map<string, Uint8Array>(
    Object.entries(opts.files ?? {}).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v]),
  );
  const started = process.hrtime.bigint();
  const plugins = opts.plugins ?? {};
  const imports: Imports = {
    'loop:log/logger': { log: (level: string, message: string) => void logs.push({ level, message }) },
    'loop:app/config': { get: (key: string) => opts.config?.[key] },
    'loop:clock/clock': { now: () => BigInt(Date.now()), monotonic: () => process.hrtime.bigint() - started },
    'loop:random/random': {
      bytes: (len: number) => crypto.getRandomValues(new Uint8Array(len)),
      nextU64: () => crypto.getRandomValues(new BigUint64Array(1))[0],
    },
    'loop:kv/store': {
      get: (key: string) => kv.get(key),
      set: (key: string, value: Uint8Array) => void kv.set(key, value),
      delete: (key: string) => void kv.delete(key),
      keys: (prefix: string) => [...kv.keys()].filter((k) => k.startsWith(prefix)).sort(),
    },
    'loop:fs/files': {
      read: (path: string) => {
        const f = files.get(path);
        if (!f) throw { tag: 'not-found', val: path };
        return f;
      },
      write: (path: string, data: Uint8Array) => void files.set(path, data),
      list: (dir: string) => [...files.keys()].filter((k) => dir === '' || dir === '.' || k.startsWith(`${dir.replace(/\/$/, '')}/`)).sort(),
      remove: (path: string) => {
        if (!files.delete(path)) throw { tag: 'not-found', val: path };
      },
      exists: (path: string) => files.has(path),
    },
    'loop:http/client': {
      fetch: () => {
        throw { tag: 'denied', val: 'no network in memory providers' };
      },
    },
    'loop:plugin/host': {
      list: () => Object.values(plugins).map((p) => p.info).sort((a, b) => a.name.localeCompare(b.name)),
      call: (name: string, input: string) => {
        const p = plugins[name];
        if (!p) throw `no plugin named '${name}'`;
        return p.handle(input);
      },
    },
  };
  return { imports, logs, kv };
}
