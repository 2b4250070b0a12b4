/**
 * jco transpile for the browser host: `--instantiation async` (providers passed at run time),
 * `--async-mode jspi` with the asynchronous `loop:*` functions (and every function of an
 * interface another component exports) as suspending imports and every export promising.
 * Results are cached by content hash under ${LOOP_CACHE_DIR}/web-transpile.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../errors';
import { loopCacheDir } from '../host';
import { CODES } from './codes';
import { loadJco, loadRolldown } from './esm';

export interface TranspiledComponent {
  /** File name → bytes (`<name>.js`, `<name>.core*.wasm`). */
  files: Record<string, Buffer>;
  /** Imported interfaces, as jco reports them (unversioned: `loop:log/logger`). */
  imports: string[];
  /** Exported interfaces, versioned. */
  exports: string[];
}

/** Asynchronous loop:* functions in the browser host (the runtime's async-imports.js, kept in sync by a test). */
export const ASYNC_FUNCTIONS: Record<string, string[]> = {
  'loop:fs/files': ['read', 'write', 'list', 'remove', 'exists'],
  'loop:http/client': ['fetch'],
  'loop:dom/document': ['set-text', 'get-text'],
  'loop:plugin/host': ['list', 'call'],
};

const CACHE_VERSION = 'web-transpile-1';

function jcoVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('@bytecodealliance/jco/package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const unversioned = (i: string) => i.replace(/@[^/]*$/, '');
const kebab = (s: string) => s.replace(/\$\d+$/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Function names the generated JS destructures from each import (`const { a, b: c } = imports['x']`). */
export function importedFunctions(js: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /const \{([^}]*)\} = imports\['([^']+)'\];/g;
  for (let m; (m = re.exec(js)); ) {
    const names = m[1].split(',').map((s) => s.trim().split(':')[0].trim()).filter(Boolean).map(kebab);
    out.set(m[2], [...(out.get(m[2]) ?? []), ...names]);
  }
  return out;
}

async function runJco(bytes: Uint8Array, name: string, label: string, asyncImports?: string[]) {
  const { transpile } = await loadJco();
  try {
    return await transpile(bytes, {
      name,
      instantiation: 'async',
      noTypescript: true,
      quiet: true,
      ...(asyncImports ? { asyncMode: 'jspi', asyncImports, asyncExports: ['*'] } : {}),
    } as never);
  } catch (e) {
    throw new LoopError({ code: CODES.transpileFailed, file: label, message: `jco transpile failed: ${(e as Error).message ?? e}`, hint: 'check that the file is a WebAssembly component (jco wit <file>)' });
  }
}

/**
 * Transpiles one component for the browser host.
 * @param label the file, for messages
 */
export async function transpileForWeb(bytes: Uint8Array, name: string, label: string): Promise<TranspiledComponent> {
  const key = createHash('sha256').update(CACHE_VERSION).update(jcoVersion()).update(name).update(bytes).digest('hex');
  const cacheDir = path.join(loopCacheDir(), 'web-transpile', key);
  const metaFile = path.join(cacheDir, 'meta.json');
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    const files: Record<string, Buffer> = {};
    for (const f of meta.files as string[]) files[f] = fs.readFileSync(path.join(cacheDir, f));
    return { files, imports: meta.imports, exports: meta.exports };
  }
  // First pass: the plain transpile tells which functions each imported interface has.
  const first = await runJco(bytes, name, label);
  const js = Buffer.from(first.files[`${name}.js`]).toString('utf8');
  const functions = importedFunctions(js);
  const asyncImports: string[] = [];
  for (const [iface, fns] of functions) {
    const full = unversioned(iface);
    const known = ASYNC_FUNCTIONS[iface];
    // loop:* providers: only the listed functions; interfaces of other components: all of them.
    const chosen = known ? fns.filter((f) => known.includes(f)) : iface.startsWith('loop:') || iface.startsWith('wasi:') ? [] : fns;
    for (const f of chosen) asyncImports.push(`${full}#${f}`);
  }
  const second = await runJco(bytes, name, label, asyncImports);
  const files: Record<string, Buffer> = {};
  for (const [f, data] of Object.entries(second.files as Record<string, Uint8Array>)) {
    if (f.endsWith('.d.ts')) continue;
    files[f] = Buffer.from(data);
  }
  const result: TranspiledComponent = {
    files,
    imports: [...(first.imports as string[])],
    exports: (first.exports as [string, string][]).filter(([n, kind]) => kind === 'instance' && n.includes(':')).map(([n]) => n),
  };
  // Written to a temporary directory and renamed, so parallel packers never read half an entry.
  const tmp = `${cacheDir}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { recursive: true });
  for (const [f, data] of Object.entries(files)) fs.writeFileSync(path.join(tmp, f), data);
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify({ files: Object.keys(files), imports: result.imports, exports: result.exports }));
  try {
    fs.renameSync(tmp, cacheDir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another packer got there first
  }
  return result;
}
