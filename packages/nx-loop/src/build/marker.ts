/**
 * The component project marker `loop.component.toml`, as builds need it.
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
 *
 * The core fields are read and checked by `readComponentProject` (manifest/component-marker);
 * this adds the build-only keys (`entry`, `features`) and rejects keys nobody reads.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { Diagnostic, LoopError } from '../errors';
import { COMPONENT_MARKER, LANGUAGES, readComponentProject } from '../manifest/component-marker';
import { locateToml, PathSegment } from '../manifest/toml-locate';
import { displayPath } from './workspace';

export const MARKER_FILE = COMPONENT_MARKER;
export { LANGUAGES };
export type ComponentLanguage = (typeof LANGUAGES)[number];

/** StarlingMonkey's WASI features (componentize-js `disableFeatures`). All are off unless listed. */
export const JS_FEATURES = ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as const;
export type JsFeature = (typeof JS_FEATURES)[number];

/** Code of a missing/invalid marker field (shared with readComponentProject). */
const FIELD_CODE = 'LOOP302';

export interface ComponentBuildProject {
  /** Absolute project directory. */
  dir: string;
  /** Absolute path of the marker file. */
  markerFile: string;
  name: string;
  language: ComponentLanguage;
  world: string;
  /** The project's own WIT dir (absolute), when the marker sets one. */
  wit?: string;
  /** Entry module relative to the project (js/ts only; defaults to src/index.js / src/index.ts). */
  entry?: string;
  /** WASI features kept in a js/ts component (default: none). */
  features: JsFeature[];
}

const KEYS = ['name', 'language', 'world', 'wit', 'entry', 'features'];

/** Reads and validates `<projectDir>/loop.component.toml`. Throws a LoopError naming file and field. */
export function readComponentMarker(projectDir: string): ComponentBuildProject {
  const base = readComponentProject(projectDir);
  const text = readFileSync(base.markerFile, 'utf8');
  const data = parseToml(text) as Record<string, unknown>;
  const loc = locateToml(text);
  const file = displayPath(base.markerFile);
  const diags: Diagnostic[] = [];
  const bad = (path: PathSegment[], message: string, hint?: string) => {
    const at = loc.nearest(path);
    diags.push({ code: FIELD_CODE, file, line: at?.value.line, col: at?.value.col, field: path.join('.'), message, hint });
  };
  for (const key of Object.keys(data)) {
    if (key !== 'component') bad([key], `unknown table or key '${key}'`, 'the marker has only a [component] table');
  }
  const c = data.component as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) bad(['component', key], `unknown key '${key}'`, `allowed keys: ${KEYS.join(', ')}`);
  }
  let entry: string | undefined;
  if (c.entry !== undefined) {
    if (typeof c.entry !== 'string' || c.entry === '') bad(['component', 'entry'], `expected a module path, got ${JSON.stringify(c.entry)}`, 'set entry = "src/index.js" (relative to the project) or remove it');
    else entry = c.entry;
  }
  let features: JsFeature[] = [];
  if (c.features !== undefined) {
    if (!Array.isArray(c.features) || c.features.some((f) => typeof f !== 'string')) {
      bad(['component', 'features'], `expected a list of feature names, got ${JSON.stringify(c.features)}`, `choose from ${JS_FEATURES.join(', ')}`);
    } else {
      for (const f of c.features as string[]) {
        if (!(JS_FEATURES as readonly string[]).includes(f)) bad(['component', 'features'], `unknown feature "${f}"`, `choose from ${JS_FEATURES.join(', ')}`);
      }
      features = c.features as JsFeature[];
    }
  }
  if (base.language === 'rust') {
    if (c.entry !== undefined) bad(['component', 'entry'], "only js and ts components have an entry module", 'a Rust component builds from its Cargo.toml; remove entry');
    if (c.features !== undefined) bad(['component', 'features'], 'only js and ts components have features', 'remove features');
  }
  if (diags.length) throw new LoopError(diags);
  return {
    dir: base.dir,
    markerFile: base.markerFile,
    name: base.name,
    language: base.language,
    world: base.world,
    wit: base.wit,
    entry,
    features,
  };
}
