/**
 * A component's WIT surface (what it imports and exports), read with jco's `componentWit`
 * (wasm-tools compiled to JS), and the rules that say which imports a host serves.
 */
import * as fs from 'node:fs';
import { LoopError } from '../errors';
import { importEsm } from '../build/esm';
import { CODES } from './codes';

export interface Surface {
  /** Imported interfaces (`example:hello/formatter@0.1.0`) and plain named imports (`foo`). */
  imports: string[];
  exports: string[];
  /** The printed WIT, as `jco wit` shows it. */
  wit: string;
}

/** The bytes of a component file; `.wat` text is parsed to binary. `who` names it in errors. */
export async function componentBytes(file: string, who: string): Promise<Uint8Array> {
  if (!fs.existsSync(file)) {
    throw new LoopError({
      code: CODES.badInput,
      file,
      message: `${who}: component file not found`,
      hint: 'build it first: nx run-many -t build-component (or loop build)',
    });
  }
  const raw = fs.readFileSync(file);
  if (!file.endsWith('.wat')) return raw;
  const { parse } = await importEsm<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco');
  try {
    return await parse(raw.toString('utf8'));
  } catch (e) {
    throw new LoopError({ code: CODES.badInput, file, message: `${who}: not valid WebAssembly text: ${firstLine(e)}`, hint: 'fix the .wat file (wasm-tools parse shows the same error)' });
  }
}

/** Reads the WIT surface of a component; a file that is not a component gives LOOP435 naming `who`. */
export async function readSurface(bytes: Uint8Array, file: string, who: string): Promise<Surface> {
  const { componentWit } = await importEsm<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco');
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (e) {
    throw new LoopError({
      code: CODES.badInput,
      file,
      message: `${who}: not a WebAssembly component (${firstLine(e)})`,
      hint: 'check the file with `jco wit <file>`; rebuild it with `loop build` or nx run <project>:build-component',
    });
  }
  return { ...parseWorld(wit), wit };
}

/** The `import`/`export` items of the first world of printed WIT. */
export function parseWorld(wit: string): { imports: string[]; exports: string[] } {
  const imports: string[] = [];
  const exports: string[] = [];
  const start = wit.search(/^world\s+[^\s{]+\s*\{/m);
  if (start < 0) return { imports, exports };
  for (const line of wit.slice(start).split('\n').slice(1)) {
    if (/^\}/.test(line)) break;
    const m = /^\s*(import|export)\s+(.+?);?\s*$/.exec(line);
    if (!m) continue;
    // `import foo: func(...)` / `export foo: interface { … }` name a plain item; interface ids have no `: `.
    const name = /^[^\s:]+: /.test(m[2]) ? m[2].split(':')[0] : m[2].replace(/;$/, '');
    (m[1] === 'import' ? imports : exports).push(name);
  }
  return { imports, exports };
}

/** `example:hello/formatter@0.1.0` → `example:hello`; a plain name stays as it is. */
export function packageOf(item: string): string {
  return item.replace(/\/.*$/, '').replace(/@.*$/, '');
}

/** WASI packages and the capability that grants them (null: always allowed, stdio only). */
const WASI_CAPABILITY: Record<string, string | null> = {
  'wasi:filesystem': 'loop:fs',
  'wasi:http': 'loop:http',
  'wasi:sockets': 'loop:http',
  'wasi:clocks': 'loop:clock',
  'wasi:random': 'loop:random',
  'wasi:cli': null,
  'wasi:io': null,
};

/** True when a host links this import itself (`loop:*`, WASI): composition leaves it alone. */
export function hostServed(item: string): boolean {
  return /^(loop|wasi):/.test(item);
}

/**
 * The capability package an import needs from a trust class's `allow`, or null when it is
 * always allowed (`loop:app`, `wasi:cli`, `wasi:io`).
 */
export function capabilityOf(item: string): string | null {
  const pkg = packageOf(item);
  if (pkg === 'loop:app') return null;
  if (pkg.startsWith('wasi:')) return WASI_CAPABILITY[pkg] ?? pkg;
  return pkg;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').find((l) => l.trim())?.trim() ?? msg;
}
