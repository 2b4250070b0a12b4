/**
 * Reading and checking `app.loop.toml`: TOML syntax, then the JSON Schema, then the
 * semantic checks — every error of the file at once, each with file:line:col.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { LoopError, type Diagnostic } from '../errors';
import { tomlSyntaxError } from './component-marker';
import { Locator } from './locate';
import { validateSchema } from './schema';
import { checkSemantics } from './semantics';
import { keyProblems } from '../signing/trust';
import type { Manifest } from './types';

export const MANIFEST_FILE = 'app.loop.toml';

export interface LoadedManifest {
  /** Absolute path of the manifest. */
  file: string;
  /** The path as the user gave it, for messages. */
  display: string;
  text: string;
  data: unknown;
  loc: Locator;
}

/** `dir`, `dir/app.loop.toml` or any `*.toml` path → the manifest file. */
export function manifestPath(input: string, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, input);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) return path.join(abs, MANIFEST_FILE);
  return abs;
}

export function readManifest(input: string, cwd = process.cwd()): LoadedManifest {
  const file = manifestPath(input, cwd);
  const display = path.relative(cwd, file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new LoopError({ code: 'LOOP002', file: display, message: 'manifest not found', hint: `pass an app directory or its ${MANIFEST_FILE}` });
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw tomlSyntaxError(display, e);
  }
  let loc: Locator | undefined;
  // Positions are only needed to report errors: build them on first use.
  return {
    file,
    display,
    text,
    data,
    get loc() {
      return (loc ??= new Locator(display, text));
    },
  };
}

/** Schema + semantic diagnostics (trust keys included), sorted by position. */
export function checkManifest(m: LoadedManifest): Diagnostic[] {
  const schema = validateSchema(m.data, m);
  // A key the schema already rejected is not reported a second time by the key check.
  const keys = keyProblems(m, { trust: keysOf(m.data) }).filter((d) => !schema.some((s) => s.field === d.field));
  const all = [...schema, ...checkSemantics(m.data, m.file, m), ...keys];
  return all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** Every problem of a manifest file, syntax errors included, as diagnostics. */
export function validateManifestFile(input: string, cwd = process.cwd()): Diagnostic[] {
  try {
    return checkManifest(readManifest(input, cwd));
  } catch (e) {
    if (e instanceof LoopError) return e.diagnostics;
    throw e;
  }
}

/** A manifest that passed every check, typed. Throws LoopError with all diagnostics otherwise. */
export function loadManifest(input: string, cwd = process.cwd()): LoadedManifest & { manifest: Manifest } {
  const m = readManifest(input, cwd);
  const problems = checkManifest(m);
  if (problems.length) throw new LoopError(problems);
  return { ...m, manifest: m.data as Manifest };
}

/** The trust keys of possibly invalid data, as strings at their original indices. */
function keysOf(data: unknown): Manifest['trust'] {
  const trust = (data as { trust?: unknown })?.trust;
  if (typeof trust !== 'object' || trust === null) return {};
  const out: NonNullable<Manifest['trust']> = {};
  for (const [name, decl] of Object.entries(trust as Record<string, { keys?: unknown }>)) {
    if (!Array.isArray(decl?.keys)) continue;
    out[name] = { allow: [], keys: decl.keys.map((k) => (typeof k === 'string' ? k : '')) };
  }
  return out;
}
