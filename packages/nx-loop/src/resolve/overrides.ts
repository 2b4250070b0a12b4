/**
 * Profiles and `--set` change a manifest before resolution. Both may replace default and
 * plugin components; neither may touch a core component's source.
 */
import { parse } from 'smol-toml';
import { LoopError, type Diagnostic } from '../errors';
import type { LoadedManifest } from '../manifest/load';
import { validateSchema } from '../manifest/schema';
import { checkSemantics } from '../manifest/semantics';
import type { Manifest } from '../manifest/types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyOverrides(loaded: LoadedManifest, profile: string | undefined, sets: string[]): Manifest {
  if (profile === undefined && !sets.length) return loaded.data as Manifest;
  const data = structuredClone(loaded.data) as Obj;
  const components = data.components as Obj;
  const problems: Diagnostic[] = [];

  if (profile !== undefined) {
    const profiles = isObj(data.profiles) ? data.profiles : {};
    const p = profiles[profile];
    if (!isObj(p)) {
      const known = Object.keys(profiles);
      throw new LoopError({
        code: 'LOOP215',
        file: loaded.display,
        message: `unknown profile "${profile}"`,
        hint: known.length ? `use one of: ${known.join(', ')}` : 'this manifest defines no [profiles.<name>] tables',
      });
    }
    // Core replacement and unknown names were reported by checkSemantics on the base manifest.
    for (const [name, over] of Object.entries(isObj(p.components) ? p.components : {})) {
      Object.assign(components[name] as Obj, over);
    }
  }

  for (const expr of sets) {
    const where = `--set ${expr}`;
    const eq = expr.indexOf('=');
    const keys = eq > 0 ? splitKeyPath(expr.slice(0, eq)) : undefined;
    if (!keys || keys.length < 3 || keys[0] !== 'components') {
      problems.push({ code: 'LOOP216', field: where, message: 'expected components.<name>.<field>=<value>', hint: 'e.g. --set components.formatter.source=../formatter-fancy' });
      continue;
    }
    const [, name, ...rest] = keys;
    const target = components[name];
    if (!isObj(target)) {
      problems.push({ code: 'LOOP211', field: where, message: `unknown component "${name}"`, hint: `use one of: ${Object.keys(components).join(', ')}` });
      continue;
    }
    if (target.class === 'core' && (rest[0] === 'source' || rest[0] === 'class')) {
      problems.push({ code: 'LOOP212', field: where, message: `"${name}" is a core component and cannot be replaced`, hint: `core components are pinned; set class = "default" on [components.${name}] to allow replacing it` });
      continue;
    }
    setPath(target, rest, parseValue(expr.slice(eq + 1)));
  }
  if (problems.length) throw new LoopError(problems);

  // The result must still be a valid manifest (e.g. the new source must exist).
  const after = [...validateSchema(data, loaded), ...checkSemantics(data, loaded.file, loaded)];
  if (after.length) {
    const origin = [profile !== undefined ? `profile "${profile}"` : '', ...sets.map((s) => `--set ${s}`)].filter(Boolean).join(', ');
    throw new LoopError(after.map((d) => ({ ...d, message: `${d.message} (after applying ${origin})` })));
  }
  return data as unknown as Manifest;
}

/** `a.b."c.d"` → ['a', 'b', 'c.d']. */
export function splitKeyPath(s: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_:-]+))\s*(\.|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s))) {
    out.push(m[1] ?? m[2]);
    if (m[3] === '') break;
  }
  return re.lastIndex === s.length || out.length ? (re.lastIndex >= s.length ? out : undefined) : undefined;
}

/** Values are TOML (`5000`, `true`, `"x"`, `["a"]`); anything that is not TOML is a plain string. */
function parseValue(raw: string): unknown {
  try {
    return (parse(`v = ${raw}`) as Obj).v;
  } catch {
    return raw;
  }
}

function setPath(obj: Obj, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(cur[k])) cur[k] = {};
    cur = cur[k] as Obj;
  }
  cur[keys[keys.length - 1]] = value;
}
