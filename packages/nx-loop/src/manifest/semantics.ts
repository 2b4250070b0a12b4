/**
 * Checks a schema cannot express: references between tables, trust rules, providers per
 * platform, and sources on disk. Runs on possibly schema-invalid data, so every access is
 * guarded — the user gets all errors of a file in one run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../errors';
import { CAPABILITIES, CAPABILITY_NAMES, DEFAULT_TRUST, HOST_PROVIDER, isHostPackage, PLATFORMS, type Platform } from './capabilities';
import { fieldName, type Locator } from './locate';
import { COMPONENT_MARKER, isComponentFileName } from './component-marker';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const list = (xs: Iterable<string>) => [...xs].map((x) => `"${x}"`).join(', ');

export interface SemanticOptions {
  /**
   * `false`: skip the on-disk check (a stat) of `components.<name>.source`, for a caller that
   * opens every one of them next and runs the full check when one fails to open (the resolver
   * without overrides: resolve/resolve.ts). Profile sources are checked either way.
   */
  componentSources?: boolean;
}

export function checkSemantics(data: unknown, manifestFile: string, where: { readonly loc: Locator }, opts: SemanticOptions = {}): Diagnostic[] {
  if (!isObj(data)) return [];
  const out: Diagnostic[] = [];
  const err = (code: string, at: (string | number)[], message: string, hint: string, part: 'key' | 'value' = 'value') =>
    out.push({ code, message, hint, field: fieldName(at), ...where.loc.at(at, part) });

  const components = isObj(data.components) ? data.components : {};
  const names = Object.keys(components);
  const trust = trustClasses(data);
  const granted = grantedCapabilities(data);
  const baseDir = path.dirname(manifestFile);

  // The entry must be a component that can be run.
  const app = isObj(data.app) ? data.app : {};
  if (typeof app.entry === 'string' && names.length) {
    const entry = components[app.entry];
    if (!entry) {
      err('LOOP201', ['app', 'entry'], `unknown component "${app.entry}"`, `set entry to one of: ${list(names)}`);
    } else if (isObj(entry) && entry.class === 'plugin') {
      err('LOOP202', ['app', 'entry'], `"${app.entry}" is a plugin; the entry must be a core or default component`, `set class = "core" on [components.${app.entry}] or pick another entry`);
    }
  }

  const checkGrants = (where: (string | number)[], trustName: string, caps: unknown) => {
    const allow = trust.get(trustName);
    strings(caps).forEach((cap, i) => {
      if (!CAPABILITIES[cap] && !isHostPackage(cap)) return; // the schema reports unknown names
      if (allow && !allows(allow, cap)) {
        err('LOOP204', [...where, 'capabilities', i], `"${cap}" is granted, but trust class "${trustName}" does not allow it`, `remove "${cap}", give this a trust class that allows it, or add it to [trust.${trustName}].allow`);
      } else if (!granted.has(cap)) {
        err('LOOP205', [...where, 'capabilities', i], `"${cap}" is requested but the app does not configure it`, `add a [capabilities."${cap}"] table (with its provider and settings)`);
      }
    });
  };
  const checkTrustRef = (where: (string | number)[], value: unknown) => {
    if (typeof value === 'string' && !trust.has(value)) {
      err('LOOP203', [...where, 'trust'], `unknown trust class "${value}"`, `use one of ${list(trust.keys())} or define [trust.${value}]`);
    }
  };

  for (const name of names) {
    const c = components[name];
    if (!isObj(c)) continue;
    const at = ['components', name];
    checkTrustRef(at, c.trust);
    checkGrants(at, typeof c.trust === 'string' ? c.trust : 'untrusted', c.capabilities);
    if (typeof c.source === 'string' && opts.componentSources !== false) checkSource(c.source, baseDir, [...at, 'source'], err);
  }

  if (isObj(data.plugins)) {
    checkTrustRef(['plugins'], data.plugins.trust);
    checkGrants(['plugins'], typeof data.plugins.trust === 'string' ? data.plugins.trust : 'untrusted', data.plugins.capabilities);
    if (typeof data.plugins.dir === 'string') {
      const dir = path.resolve(baseDir, data.plugins.dir);
      if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) {
        err('LOOP208', ['plugins', 'dir'], `"${data.plugins.dir}" is a file, not a directory`, 'point dir at a directory (it may be empty or not exist yet)');
      }
    }
  }

  // A custom native host is a project scaffolded by `loop host new --template native-wasmtime`.
  const host = isObj(data.targets) ? data.targets['native-host'] : undefined;
  // Its own packages exist only where it runs: natively, with the host named.
  for (const cap of Object.keys(isObj(data.capabilities) ? data.capabilities : {}).filter(isHostPackage)) {
    if (typeof host !== 'string' || !host) {
      err('LOOP219', ['capabilities', cap], `"${cap}" is not a Loop capability, so a custom native host must provide it, but the app names none`, 'add [targets] native-host = "<dir of a host made by `loop host new --template native-wasmtime`>" (it implements the package), or remove this table', 'key');
    } else if (targetedPlatforms(data).includes('web')) {
      err('LOOP219', ['capabilities', cap], `"${cap}" is provided by the custom native host only, but the app also targets the web`, 'limit the app to native: [targets] native = ["linux-x64", …] and no [targets.web] table', 'key');
    }
  }
  if (typeof host === 'string' && host) {
    const marker = path.join(path.resolve(baseDir, host), 'loop.host.json');
    let template: unknown;
    try {
      template = JSON.parse(fs.readFileSync(marker, 'utf8')).template;
    } catch {
      template = undefined;
    }
    if (template !== 'native-wasmtime') {
      const why = fs.existsSync(marker) ? `its loop.host.json is not a native-wasmtime host (template: ${JSON.stringify(template ?? null)})` : 'it has no loop.host.json';
      err('LOOP218', ['targets', 'native-host'], `"${host}" is not a native host project: ${why}`, 'scaffold one with `loop host new <dir> --template native-wasmtime` and point native-host at its directory (relative to this manifest)');
    }
  }

  checkProviders(data, err);

  // Demotion runs a component without a valid signature as "untrusted": that class must exist
  // as a place to demote to, i.e. be another class, itself without keys.
  if (isObj(data.trust)) {
    const untrusted = isObj(data.trust.untrusted) ? data.trust.untrusted : {};
    for (const [cls, decl] of Object.entries(data.trust)) {
      if (!isObj(decl) || decl.unsigned !== 'demote') continue;
      if (cls === 'untrusted') {
        err('LOOP217', ['trust', cls, 'unsigned'], 'trust class "untrusted" cannot demote unsigned components: demotion runs them as untrusted', 'remove unsigned = "demote" here (or set it to "refuse")');
      } else if (strings(untrusted.keys).length) {
        err('LOOP217', ['trust', cls, 'unsigned'], `trust class "${cls}" demotes unsigned components to "untrusted", but [trust.untrusted] lists keys, so it admits no unsigned component either`, `set unsigned = "refuse" on [trust.${cls}], or remove the keys of [trust.untrusted]`);
      }
    }
  }

  // Profiles may replace default and plugin components, never core ones.
  const profiles = isObj(data.profiles) ? data.profiles : {};
  for (const [pname, p] of Object.entries(profiles)) {
    const pcomps = isObj(p) && isObj(p.components) ? p.components : {};
    for (const [cname, over] of Object.entries(pcomps)) {
      const at = ['profiles', pname, 'components', cname];
      const base = components[cname];
      if (!base) {
        err('LOOP211', at, `profile "${pname}" overrides unknown component "${cname}"`, `use one of: ${list(names)}`, 'key');
        continue;
      }
      if (isObj(base) && base.class === 'core' && isObj(over) && 'source' in over) {
        err('LOOP212', [...at, 'source'], `profile "${pname}" replaces "${cname}", which is a core component`, `core components are pinned: remove this override, or set class = "default" on [components.${cname}]`);
      }
      if (isObj(over) && typeof over.source === 'string') checkSource(over.source, baseDir, [...at, 'source'], err);
    }
  }
  return out;
}

function checkSource(
  source: string,
  baseDir: string,
  at: (string | number)[],
  err: (code: string, at: (string | number)[], message: string, hint: string) => void,
): void {
  if (source.includes('\0')) {
    // No file system has such a name, and Node refuses the path outright (ERR_INVALID_ARG_VALUE).
    err('LOOP206', at, `source ${JSON.stringify(source)} contains a NUL character, which no file name can hold`, 'point source at a component project directory or a .wasm/.wat file, relative to this manifest');
    return;
  }
  const abs = resolveSource(baseDir, source);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs, { throwIfNoEntry: false }); // one stat, not exists + stat
  } catch (e) {
    // A path through a file (`core.wasm/x.wasm`) does not exist either; Node only spares ENOENT.
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
  }
  if (!st) {
    err('LOOP206', at, `source "${source}" does not exist (looked for ${path.relative(process.cwd(), abs) || abs})`, 'point source at a component project directory or a .wasm/.wat file, relative to this manifest');
    return;
  }
  if (st.isDirectory()) {
    if (!fs.existsSync(path.join(abs, COMPONENT_MARKER))) {
      err('LOOP207', at, `"${source}" is a directory without ${COMPONENT_MARKER}`, `create one with \`loop component new\`, or point source at a .wasm file`);
    }
  } else if (!isComponentFileName(abs)) {
    err('LOOP207', at, `"${source}" is neither a component project nor a .wasm/.wat file`, 'point source at a component project directory or a .wasm/.wat file');
  }
}

/** `a/b.wasm` style: relative, '/'-separated, no empty, `.` or `..` segment (nothing to normalise). */
const PLAIN_RELATIVE = /^[^/\\.][^/\\]*(?:\/[^/\\.][^/\\]*)*$/;

/**
 * `path.resolve(baseDir, source)` for an absolute, normalised `baseDir` (a manifest's
 * directory): a plain relative source is appended as is, which is what path.resolve returns
 * for it, without its character-by-character normalisation (a cold process runs that in the
 * interpreter, 200 times for 200 components).
 */
export function resolveSource(baseDir: string, source: string): string {
  if (path.sep === '/' && PLAIN_RELATIVE.test(source)) return baseDir === '/' ? '/' + source : `${baseDir}/${source}`;
  return path.resolve(baseDir, source);
}

/** Provider names must exist on the platforms the app targets. */
function checkProviders(
  data: Obj,
  err: (code: string, at: (string | number)[], message: string, hint: string, part?: 'key' | 'value') => void,
): void {
  const caps = isObj(data.capabilities) ? data.capabilities : {};
  const platforms = targetedPlatforms(data);
  for (const [cap, decl] of Object.entries(caps)) {
    const spec = CAPABILITIES[cap];
    if (!spec || !isObj(decl)) continue;
    const at = ['capabilities', cap, 'provider'];
    const choice = decl.provider;
    const known = (p: Platform) => spec.providers[p];
    const explain = (p: Platform) => (known(p).length ? `${p} providers for ${cap}: ${list(known(p))}` : `${cap} has no ${p} provider`);
    if (typeof choice === 'string') {
      for (const p of platforms) {
        if (known(p).length && !known(p).includes(choice)) {
          // Without [targets] the app is checked for both platforms: say how to target one.
          const other: Platform = p === 'web' ? 'native' : 'web';
          const onlyOne =
            !isObj(data.targets) && known(other).includes(choice)
              ? `, or, for a ${other}-only app, say so under [targets] (${other === 'native' ? 'native = ["linux-x64"]' : 'web = {}'})`
              : '';
          err('LOOP209', at, `"${choice}" is not a ${p} provider for ${cap}`, `${explain(p)}; to differ per platform write provider = { native = "…", web = "…" }${onlyOne}`);
        }
      }
    } else if (isObj(choice)) {
      for (const p of PLATFORMS) {
        const name = choice[p];
        if (typeof name !== 'string') continue;
        if (!known(p).includes(name)) {
          err('LOOP209', [...at, p], `"${name}" is not a ${p} provider for ${cap}`, explain(p));
        }
      }
      if (typeof choice.fallback === 'string') {
        const fb = choice.fallback;
        for (const p of platforms) {
          if (typeof choice[p] !== 'string' && known(p).length && !known(p).includes(fb)) {
            err('LOOP209', [...at, 'fallback'], `fallback "${fb}" is not a ${p} provider for ${cap}`, explain(p));
          }
        }
      }
    }
    // Settings that some providers need.
    const providerFor = (p: Platform) => pickProvider(cap, decl, p);
    for (const p of platforms) {
      const chosen = providerFor(p);
      if ((chosen === 'file' || chosen === 'jsonl') && cap === 'loop:log' && typeof decl.path !== 'string') {
        err('LOOP210', ['capabilities', cap], `the ${chosen} log provider needs a path`, `add path = "logs/app.log" to [capabilities."${cap}"]`, 'key');
      }
      if (chosen === 'file' && cap === 'loop:kv' && typeof decl.path !== 'string') {
        err('LOOP210', ['capabilities', cap], 'the file kv provider needs a path', `add path = "data/kv.json" to [capabilities."${cap}"]`, 'key');
      }
      if (chosen === 'host-dir' && typeof decl.root !== 'string') {
        err('LOOP210', ['capabilities', cap], 'the host-dir provider needs a root directory', `add root = "data" to [capabilities."${cap}"]`, 'key');
      }
    }
  }
}

/** Platforms the app is packed for: both unless [targets] names only some. */
export function targetedPlatforms(data: Obj): Platform[] {
  if (!isObj(data.targets)) return [...PLATFORMS];
  const t = data.targets;
  const out: Platform[] = [];
  if ((Array.isArray(t.native) && t.native.length) || typeof t['native-host'] === 'string') out.push('native');
  if (isObj(t.web)) out.push('web');
  return out.length ? out : [...PLATFORMS];
}

/**
 * The provider a capability gets on a platform: the platform's own choice, else the
 * fallback if that platform knows it, else the platform's default. `undefined` when the
 * capability does not exist on the platform (loop:process on the web).
 */
export function pickProvider(cap: string, decl: unknown, platform: Platform): string | undefined {
  if (isHostPackage(cap)) return platform === 'native' ? HOST_PROVIDER : undefined;
  const known = CAPABILITIES[cap]?.providers[platform] ?? [];
  if (!known.length) return undefined;
  const choice = isObj(decl) ? decl.provider : undefined;
  if (typeof choice === 'string') return choice;
  if (isObj(choice)) {
    if (typeof choice[platform] === 'string') return choice[platform] as string;
    if (typeof choice.fallback === 'string' && known.includes(choice.fallback)) return choice.fallback;
  }
  return known[0];
}

/** Trust classes in effect: the built-in two, replaced or joined by the manifest's. */
export function trustClasses(data: Obj): Map<string, string[]> {
  const out = new Map<string, string[]>(Object.entries(DEFAULT_TRUST).map(([k, v]) => [k, [...v.allow]]));
  if (isObj(data.trust)) {
    for (const [k, v] of Object.entries(data.trust)) if (isObj(v)) out.set(k, strings(v.allow));
  }
  return out;
}

export const allows = (allow: readonly string[], cap: string) => allow.includes('*') || allow.includes(cap);

/** Capabilities the app makes available: the ambient ones plus every configured one. */
export function grantedCapabilities(data: Obj): Set<string> {
  const out = new Set(CAPABILITY_NAMES.filter((c) => CAPABILITIES[c].ambient));
  if (isObj(data.capabilities)) for (const c of Object.keys(data.capabilities)) if (CAPABILITIES[c] || isHostPackage(c)) out.add(c);
  return out;
}
