/**
 * The component project marker `loop.component.toml`: reading and validating it.
 *
 * ```toml
 * [component]
 * name = "greeter"
 * language = "rust"      # rust | js | ts
 * world = "core"         # a world of the workspace wit/ (core | plugin) or "<pkg>/<world>"
 * wit = "wit"            # optional: the project's own WIT dir (defaults to the workspace wit/)
 * entry = "src/index.ts" # optional (js/ts): the guest's entry module
 * features = ["clocks"]  # optional (js/ts): StarlingMonkey WASI features to keep (default none)
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { Diagnostic, LoopError } from '../errors';
import { locateToml, PathSegment } from '../manifest/toml-locate';
import { CODES } from './codes';
import { displayPath } from './workspace';

export const MARKER_FILE = 'loop.component.toml';
export const LANGUAGES = ['rust', 'js', 'ts'] as const;
export type ComponentLanguage = (typeof LANGUAGES)[number];

/** StarlingMonkey's WASI features (componentize-js `disableFeatures`). All are off unless listed. */
export const JS_FEATURES = ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as const;
export type JsFeature = (typeof JS_FEATURES)[number];

export interface ComponentProject {
  /** Absolute project directory. */
  dir: string;
  /** Absolute path of the marker file. */
  markerFile: string;
  name: string;
  language: ComponentLanguage;
  world: string;
  /** The project's own WIT dir, relative to the project (as written). */
  wit?: string;
  /** Entry module relative to the project (js/ts only; defaults to src/index.js / src/index.ts). */
  entry?: string;
  /** WASI features kept in a js/ts component (default: none). */
  features: JsFeature[];
}

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** `core`, `plugin`, or `ns:pkg/world` (optionally `@version`). */
const WORLD_RE = /^([a-z][a-z0-9-]*:[a-z][a-z0-9-]*(@[0-9A-Za-z.+-]+)?\/)?%?[a-z][a-z0-9-]*$/;
const KEYS = ['name', 'language', 'world', 'wit', 'entry', 'features'];

/** Reads and validates `<projectDir>/loop.component.toml`. Throws a LoopError naming file and field. */
export function readComponentMarker(projectDir: string): ComponentProject {
  const file = join(projectDir, MARKER_FILE);
  if (!existsSync(file)) {
    throw new LoopError({
      code: CODES.markerMissing,
      file: displayPath(file),
      message: `no ${MARKER_FILE} in ${projectDir}`,
      hint: `create one with [component] name, language and world, or run \`nx g @loop/nx:component <name>\``,
    });
  }
  return parseComponentMarker(readFileSync(file, 'utf8'), file, projectDir);
}

/** Validates marker text; `file` is used in messages, `projectDir` for the result. */
export function parseComponentMarker(text: string, file: string, projectDir: string): ComponentProject {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new LoopError({
        code: CODES.markerSyntax,
        file: displayPath(file),
        line: e.line,
        col: e.column,
        message: `invalid TOML: ${first}`,
        hint: 'fix the syntax; see https://toml.io',
      });
    }
    throw e;
  }
  const loc = locateToml(text);
  const diags: Diagnostic[] = [];
  const bad = (path: PathSegment[], message: string, hint?: string) => {
    const at = loc.nearest(path);
    diags.push({
      code: CODES.markerField,
      file: displayPath(file),
      line: at?.value.line,
      col: at?.value.col,
      field: path.join('.'),
      message,
      hint,
    });
  };

  for (const key of Object.keys(data)) {
    if (key !== 'component') bad([key], `unknown table or key '${key}'`, 'the marker has only a [component] table');
  }
  const comp = data.component;
  if (comp === undefined || typeof comp !== 'object' || Array.isArray(comp) || comp === null) {
    bad(['component'], comp === undefined ? 'missing [component] table' : 'must be a table', 'add [component] with name, language and world');
    throw new LoopError(diags);
  }
  const c = comp as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) bad(['component', key], `unknown key '${key}'`, `allowed keys: ${KEYS.join(', ')}`);
  }
  const str = (key: string, required: boolean): string | undefined => {
    const v = c[key];
    if (v === undefined) {
      if (required) bad(['component', key], `missing required key '${key}'`);
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      bad(['component', key], `must be a non-empty string (got ${JSON.stringify(v)})`);
      return undefined;
    }
    return v;
  };
  const name = str('name', true);
  if (name !== undefined && !NAME_RE.test(name)) {
    bad(['component', 'name'], `'${name}' is not a valid component name`, 'use lowercase kebab-case, e.g. "text-upper"');
  }
  const language = str('language', true);
  if (language !== undefined && !(LANGUAGES as readonly string[]).includes(language)) {
    bad(['component', 'language'], `must be one of ${LANGUAGES.join(', ')} (got "${language}")`);
  }
  const world = str('world', true);
  if (world !== undefined && !WORLD_RE.test(world)) {
    bad(['component', 'world'], `'${world}' is not a world name`, 'use "core", "plugin" or "<namespace>:<package>/<world>"');
  }
  const wit = str('wit', false);
  const entry = str('entry', false);
  let features: JsFeature[] = [];
  if (c.features !== undefined) {
    if (!Array.isArray(c.features) || c.features.some((f) => typeof f !== 'string')) {
      bad(['component', 'features'], 'must be a list of strings');
    } else {
      for (const f of c.features as string[]) {
        if (!(JS_FEATURES as readonly string[]).includes(f)) {
          bad(['component', 'features'], `unknown feature "${f}"`, `one of ${JS_FEATURES.join(', ')}`);
        }
      }
      features = c.features as JsFeature[];
    }
  }
  if (language === 'rust') {
    if (entry !== undefined) bad(['component', 'entry'], "only js and ts components have an 'entry'", 'a Rust component builds from Cargo.toml');
    if (c.features !== undefined) bad(['component', 'features'], "only js and ts components have 'features'");
  }
  if (diags.length) throw new LoopError(diags);
  return {
    dir: projectDir,
    markerFile: file,
    name: name!,
    language: language as ComponentLanguage,
    world: world!,
    wit,
    entry,
    features,
  };
}
