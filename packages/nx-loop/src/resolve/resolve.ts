/**
 * app.loop.toml + platform + profile/--set → app.loop.json, the resolved graph hosts read
 * (format `loop.app/1`, documented in spec/resolved-graph.md).
 */
import { createHash, hash as cryptoHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError, type Diagnostic } from '../errors';
import { ALWAYS_ALLOWED, CAPABILITIES, CAPABILITY_NAMES, DEFAULT_LIMITS, isHostPackage, type Platform } from '../manifest/capabilities';
import { COMPONENT_MARKER, isComponentFileName, readComponentProject } from '../manifest/component-marker';
import { checkManifest, readManifest, type LoadedManifest } from '../manifest/load';
import { allows, grantedCapabilities, pickProvider, resolveSource, trustClasses } from '../manifest/semantics';
import type { ComponentClass, Limits, Manifest } from '../manifest/types';
import { applyOverrides } from './overrides';
// In the CLI bundle this module is loaded on first use (scripts/bundle-cli.cjs: not part of the
// resolver's core script); only a manifest whose trust classes list keys uses it.
import { signatureProblems } from '../signing/trust';

export const GRAPH_FORMAT = 'loop.app/1';

export interface ResolvedComponent {
  name: string;
  class: ComponentClass;
  trust: string;
  /** The component file, relative to the graph's directory. */
  path: string;
  sha256: string;
  allow: string[];
  config: Record<string, string>;
  limits: Required<Limits>;
}

export interface ResolvedGraph {
  format: typeof GRAPH_FORMAT;
  app: { name: string; entry: string; version?: string };
  platform: Platform;
  profile: string | null;
  components: ResolvedComponent[];
  plugins: { dir: string; trust: string; allow: string[]; limits: Required<Limits> } | null;
  capabilities: Record<string, { provider: string } & Record<string, unknown>>;
  trust: Record<string, { allow: string[]; keys: string[]; unsigned: 'refuse' | 'demote' }>;
}

export interface ResolveOptions {
  platform: Platform;
  profile?: string;
  /** `components.formatter.source=../fancy` style overrides, applied after the profile. */
  set?: string[];
  /** Directory the graph will be written to; paths in it are relative to this. Default: the manifest's. */
  outDir?: string;
  cwd?: string;
}

const CLASS_ORDER: Record<ComponentClass, number> = { core: 0, default: 1, plugin: 2 };
/** Settings that are paths on the host, rewritten relative to the graph's directory. */
const PATH_SETTINGS: Record<string, string[]> = { 'loop:fs': ['root'], 'loop:log': ['path'], 'loop:kv': ['path'] };
/** Settings only some providers read; the graph carries them only for those. */
const PROVIDER_SETTINGS: Record<string, Record<string, string[]>> = {
  'loop:log': { path: ['file', 'jsonl'] },
  'loop:kv': { path: ['file'] },
  'loop:fs': { root: ['host-dir', 'opfs'] },
};

export function resolveApp(input: string, opts: ResolveOptions): ResolvedGraph {
  const loaded = readManifest(input, opts.cwd);
  if (opts.profile !== undefined || opts.set?.length) {
    fail(checkManifest(loaded));
    return resolveManifest(loaded, applyOverrides(loaded, opts.profile, opts.set ?? []), opts);
  }
  // Without overrides the resolver opens every component source next, so that open stands in
  // for the checker's stat of each. Any problem in the manifest, or a source that does not open
  // as a component, gets the full check (stats included): the same diagnostics, all at once.
  const fullCheck = () => fail(checkManifest(loaded));
  if (checkManifest(loaded, { componentSources: false }).length) fullCheck();
  return resolveChecked(loaded, loaded.data as Manifest, opts, fullCheck);
}

export function resolveManifest(loaded: LoadedManifest, m: Manifest, opts: ResolveOptions): ResolvedGraph {
  return resolveChecked(loaded, m, opts);
}

/** `sourcesUnchecked`: the sources' stat was skipped; called when one fails to open as a component (throws the diagnostics). */
function resolveChecked(loaded: LoadedManifest, m: Manifest, opts: ResolveOptions, sourcesUnchecked?: () => void): ResolvedGraph {
  const baseDir = path.dirname(loaded.file);
  const outDir = path.resolve(opts.cwd ?? process.cwd(), opts.outDir ?? baseDir);
  // Most paths sit below outDir: slicing them is what path.relative would compute, minus its work.
  const below = outDir.endsWith(path.sep) ? outDir : outDir + path.sep;
  const rel = (abs: string) =>
    (abs.startsWith(below) && !abs.includes(`${path.sep}.`) ? abs.slice(below.length) : path.relative(outDir, abs)).split(path.sep).join('/') || '.';
  const platform = opts.platform;
  const onPlatform = (cap: string) => (isHostPackage(cap) ? platform === 'native' : CAPABILITIES[cap].providers[platform].length > 0);

  const granted = [...grantedCapabilities(m as unknown as Record<string, unknown>)].filter(onPlatform);
  const trust = trustClasses(m as unknown as Record<string, unknown>);
  // The same (trust class, capabilities) pair recurs for most components: compute each once.
  const allowLists = new Map<string, string[]>();
  const effective = (trustName: string, narrowed?: string[]) => {
    const key = narrowed ? `${trustName}\0${narrowed.join('\0')}` : trustName;
    let list = allowLists.get(key);
    if (!list) {
      list = [ALWAYS_ALLOWED, ...granted.filter((c) => allows(trust.get(trustName) ?? [], c) && (!narrowed || narrowed.includes(c))).sort()];
      allowLists.set(key, list);
    }
    return [...list];
  };
  const limits = (...layers: (Limits | undefined)[]): Required<Limits> => Object.assign({}, DEFAULT_LIMITS, ...layers.filter(Boolean));

  const problems: Diagnostic[] = [];
  const components: ResolvedComponent[] = [];
  for (const [name, c] of Object.entries(m.components)) {
    const found = componentFile(resolveSource(baseDir, c.source), name, loaded, problems, sourcesUnchecked);
    if (!found) continue;
    const trustName = c.trust ?? 'untrusted';
    components.push({
      name,
      class: c.class ?? 'default',
      trust: trustName,
      path: rel(found.file),
      sha256: found.sha256,
      allow: effective(trustName, c.capabilities),
      config: { ...(c.config ?? {}) },
      limits: limits(m.limits, c.limits),
    });
  }
  if (Object.values(m.trust ?? {}).some((t) => t?.keys?.length)) {
    problems.push(...signatureProblems(loaded, m, components, outDir));
  }
  fail(problems);
  components.sort((a, b) => CLASS_ORDER[a.class] - CLASS_ORDER[b.class]);

  const capabilities: ResolvedGraph['capabilities'] = {};
  for (const cap of granted.sort()) {
    const decl = (m.capabilities?.[cap] ?? {}) as Record<string, unknown>;
    const entry: { provider: string } & Record<string, unknown> = { provider: pickProvider(cap, decl, platform)! };
    for (const [k, v] of Object.entries(decl)) {
      if (k === 'provider' || PROVIDER_SETTINGS[cap]?.[k]?.includes(entry.provider) === false) continue;
      entry[k] = PATH_SETTINGS[cap]?.includes(k) && typeof v === 'string' ? rel(path.resolve(baseDir, v)) : v;
    }
    capabilities[cap] = entry;
  }

  const trustOut: ResolvedGraph['trust'] = {};
  // Code-unit order (names are [a-z0-9-]): the same for every locale, and no ICU collator to
  // initialise (its first use costs ~10 ms of a cold process).
  for (const [name, allow] of [...trust.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    trustOut[name] = {
      allow: allow.includes('*') ? [...CAPABILITY_NAMES, ...granted.filter(isHostPackage)].sort() : [...allow].sort(),
      keys: [...(m.trust?.[name]?.keys ?? [])],
      unsigned: m.trust?.[name]?.unsigned ?? 'refuse',
    };
  }

  const plugins = m.plugins
    ? {
        dir: rel(path.resolve(baseDir, m.plugins.dir)),
        trust: m.plugins.trust ?? 'untrusted',
        allow: effective(m.plugins.trust ?? 'untrusted', m.plugins.capabilities),
        limits: limits(m.limits, m.plugins.limits),
      }
    : null;

  const app: ResolvedGraph['app'] = { name: m.app.name, entry: m.app.entry };
  if (m.app.version) app.version = m.app.version;
  return { format: GRAPH_FORMAT, app, platform, profile: opts.profile ?? null, components, plugins, capabilities, trust: trustOut };
}

/**
 * The component file a source stands for (the file itself, or a project's built output) and
 * its SHA-256. A file is opened once and read in chunks into one reused buffer: no separate
 * stat (opening tells a directory apart) and no per-file allocation.
 */
function componentFile(
  abs: string,
  name: string,
  loaded: LoadedManifest,
  problems: Diagnostic[],
  sourcesUnchecked?: () => void,
): { file: string; sha256: string } | undefined {
  let sha256: string | undefined;
  try {
    sha256 = hashFile(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ERR_INVALID_ARG_VALUE: a path with a NUL character, which Node refuses before any system call.
    if (sourcesUnchecked && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ERR_INVALID_ARG_VALUE')) sourcesUnchecked();
    throw e;
  }
  // What checkSemantics' checkSource would have said, asked of the open file instead.
  if (sha256 !== undefined) {
    if (sourcesUnchecked && !isComponentFileName(abs)) sourcesUnchecked();
    return { file: abs, sha256 };
  }
  if (sourcesUnchecked && !fs.existsSync(path.join(abs, COMPONENT_MARKER))) sourcesUnchecked();
  const project = readComponentProject(abs);
  const built = fs.existsSync(project.wasm) ? hashFile(project.wasm) : undefined;
  if (built !== undefined) return { file: project.wasm, sha256: built };
  problems.push({
    code: 'LOOP303',
    field: `components.${name}.source`,
    ...loaded.loc.at(['components', name, 'source']),
    message: `component "${name}" is not built yet (no ${path.relative(process.cwd(), project.wasm)})`,
    hint: `build it with \`loop build ${path.relative(process.cwd(), abs) || '.'}\` or \`nx run ${project.name}:build-component\``,
  });
  return undefined;
}

let chunk: Buffer | undefined;
/** `crypto.hash` (Node ≥ 20.12): SHA-256 of one buffer without creating a Hash object. */
const oneShotSha256 = (data: Buffer): string =>
  typeof (cryptoHash as unknown) === 'function' ? cryptoHash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');

/** SHA-256 (hex) of a file's bytes; `undefined` when `file` is a directory. */
function hashFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') return undefined; // Windows: directories do not open
    throw e;
  }
  try {
    chunk ??= Buffer.allocUnsafeSlow(1 << 20);
    let hash: Hash | undefined;
    let size = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, size, chunk.length - size, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EISDIR') return undefined; // POSIX: a directory opens, reading fails
        throw e;
      }
      if (n === 0) break;
      size += n;
      if (size === chunk.length) {
        // Larger than the buffer: hash it as it streams through.
        (hash ??= createHash('sha256')).update(chunk);
        size = 0;
      }
    }
    // A file that fit in the buffer (nearly all components): one-shot, no Hash object.
    if (!hash) return oneShotSha256(chunk.subarray(0, size));
    return hash.update(chunk.subarray(0, size)).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

function fail(problems: Diagnostic[]): void {
  if (problems.length) throw new LoopError(problems);
}

/** Writes the graph as stable, diff-friendly JSON. */
export function graphJson(g: ResolvedGraph): string {
  return JSON.stringify(g, null, 2) + '\n';
}
