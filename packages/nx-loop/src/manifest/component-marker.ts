/**
 * A component project is a directory with a `loop.component.toml` marker. The marker says
 * what the project is called, its language and the world it targets; Nx infers a project
 * from it and `build-component` builds `dist/<name>.wasm` from it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { LoopError, type Diagnostic } from '../errors';
import { Locator } from './locate';
import type { ComponentMarker } from './types';

export const COMPONENT_MARKER = 'loop.component.toml';

/** A file a host loads as a component by its name: binary `.wasm` or text `.wat`. */
export const isComponentFileName = (name: string): boolean => /\.(wasm|wat)$/.test(name);
export const LANGUAGES = ['rust', 'js', 'ts'] as const;

export interface ComponentProject {
  dir: string;
  markerFile: string;
  name: string;
  language: (typeof LANGUAGES)[number];
  world: string;
  /** The project's own WIT directory, when it has one. */
  wit?: string;
  /** Where build-component writes the component. */
  wasm: string;
}

export function readComponentProject(dir: string): ComponentProject {
  const markerFile = path.join(dir, COMPONENT_MARKER);
  let text: string;
  try {
    text = fs.readFileSync(markerFile, 'utf8');
  } catch {
    throw new LoopError({ code: 'LOOP301', file: markerFile, message: 'component marker not found', hint: 'create it with `loop component new`, or point the manifest at a .wasm file' });
  }
  let data: Partial<ComponentMarker>;
  try {
    data = parse(text) as Partial<ComponentMarker>;
  } catch (e) {
    throw tomlSyntaxError(markerFile, e);
  }
  const loc = new Locator(markerFile, text);
  const c = (data.component ?? {}) as Partial<ComponentMarker['component']>;
  const problems: Diagnostic[] = [];
  const need = (field: keyof ComponentMarker['component'], ok: boolean, message: string, hint: string) => {
    if (!ok) problems.push({ code: 'LOOP302', field: `component.${field}`, message, hint, ...loc.at(['component', field]) });
  };
  need('name', typeof c.name === 'string' && /^[a-z][a-z0-9-]*$/.test(c.name), `expected a name of lowercase letters, digits and dashes, got ${JSON.stringify(c.name)}`, 'set name = "my-component" under [component]');
  need('language', LANGUAGES.includes(c.language as never), `expected one of ${LANGUAGES.join(', ')}, got ${JSON.stringify(c.language)}`, 'set language = "rust", "js" or "ts"');
  need('world', typeof c.world === 'string' && c.world.length > 0, `expected a world name, got ${JSON.stringify(c.world)}`, 'set world = "core" or "plugin" (worlds of wit/), or "<package>/<world>" of the project\'s wit/');
  if (c.wit !== undefined) need('wit', typeof c.wit === 'string', `expected a directory path, got ${JSON.stringify(c.wit)}`, 'set wit = "wit" or remove it');
  if (problems.length) throw new LoopError(problems);
  return {
    dir,
    markerFile,
    name: c.name!,
    language: c.language!,
    world: c.world!,
    wit: c.wit ? path.resolve(dir, c.wit) : undefined,
    wasm: path.join(dir, 'dist', `${c.name}.wasm`),
  };
}

export function tomlSyntaxError(file: string, e: unknown): LoopError {
  const err = e as { line?: number; column?: number; message?: string };
  const first = String(err.message ?? e).split('\n')[0].replace(/^Invalid TOML document: /, '');
  return new LoopError({ code: 'LOOP001', file, line: err.line, col: err.column, message: `TOML syntax: ${first}`, hint: 'fix the TOML syntax at this position (https://toml.io)' });
}
