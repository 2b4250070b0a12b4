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
import { parseTomlFast } from './toml-fast';
import { validateSchema } from './schema';
import { checkSemantics, type SemanticOptions } from './semantics';
import type { Manifest } from './types';
// In the CLI bundle this module is loaded on first use (scripts/bundle-cli.cjs: not part of the
// resolver's core script); checkManifest uses it only for a manifest that lists keys.
import { keyProblems } from '../signing/trust';

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
  // The plain TOML manifests are made of, read fast; anything else (errors included) by smol-toml.
  let data: unknown = parseTomlFast(text);
  if (data === undefined) {
    try {
      data = parse(text);
    } catch (e) {
      throw tomlSyntaxError(display, e);
    }
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
export function checkManifest(m: LoadedManifest, opts?: SemanticOptions): Diagnostic[] {
  const schema = validateSchema(m.data, m);
  const all = schema.concat(checkSemantics(m.data, m.file, m, opts));
  const trust = keysOf(m.data);
  if (trust) {
    // A key the schema already rejected is not reported a second time by the key check.
    for (const d of keyProblems(m, { trust })) if (!schema.some((s) => s.field === d.field)) all.push(d);
  }
  if (all.length < 2) return all;
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

/** The trust keys of possibly invalid data, as strings at their original indices; `undefined` when no class lists any. */
function keysOf(data: unknown): Manifest['trust'] | undefined {
  const trust = (data as { trust?: unknown })?.trust;
  if (typeof trust !== 'object' || trust === null) return undefined;
  let out: NonNullable<Manifest['trust']> | undefined;
  for (const [name, decl] of Object.entries(trust as Record<string, { keys?: unknown }>)) {
    if (!Array.isArray(decl?.keys) || !decl.keys.length) continue;
    (out ??= {})[name] = { allow: [], keys: decl.keys.map((k) => (typeof k === 'string' ? k : '')) };
  }
  return out;
}
