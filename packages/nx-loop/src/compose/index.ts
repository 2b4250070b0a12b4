/**
 * Static composition: the app's entry (core) component with every `default` component that
 * satisfies one of its imports plugged in, as ONE component (`wac plug`). Imports a host
 * serves (`loop:*`, WASI) stay imports; every other import must be exported by exactly one
 * default component, which is itself composed first when it imports another default's
 * interface. Profiles and `--set` apply as in `loop resolve`.
 *
 * Output (default `dist/<app dir>/composed/`; with a profile `<app>-<profile>.*`):
 *   <app>.wasm         the composed component
 *   <app>.loop.json    the resolved native graph with the entry replaced by <app>.wasm and
 *                      the plugged defaults removed, so hosts run it like the original graph
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoopError, type Diagnostic } from '../errors';
import { ALWAYS_ALLOWED } from '../manifest/capabilities';
import { readManifest } from '../manifest/load';
import { defaultSiteDir, workspaceRoot } from '../pack-web';
import { graphJson, resolveApp, type ResolvedComponent, type ResolvedGraph } from '../resolve/resolve';
import { CODES } from './codes';
import { capabilityOf, componentBytes, hostServed, packageOf, readSurface, type Surface } from './surface';
import { findWac, wacPlug } from './wac';

export { CODES as COMPOSE_CODES } from './codes';
export { readSurface, parseWorld, hostServed } from './surface';
export { findWac } from './wac';

export interface ComposeOptions {
  /** The composed component file; default `dist/<app dir>/composed/<app name>[-<profile>].wasm` under the workspace root. */
  out?: string;
  /** The composed graph file; default: `out` with `.wasm` replaced by `.loop.json`. */
  graphOut?: string;
  profile?: string;
  /** `components.formatter.source=../fancy` style overrides, applied after the profile. */
  set?: string[];
  cwd?: string;
  /** Workspace root for the default output (default: the nearest dir with nx.json). */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Plugged {
  /** The default component plugged in. */
  component: string;
  /** The component it was plugged into (the entry, or another default). */
  into: string;
  /** The interfaces it satisfies there. */
  interfaces: string[];
}

export interface ComposeResult {
  /** The composed component file. */
  out: string;
  /** The graph file next to it (`<name>.loop.json`), for `loop-host run`. */
  graphFile: string;
  /** The composed graph (what graphFile holds). */
  graph: ResolvedGraph;
  /** The graph the app resolves to without composition (paths relative to the output dir). */
  source: ResolvedGraph;
  entry: string;
  plugged: Plugged[];
  /** Default components nothing imports: left in the graph, not in the composed file. */
  unused: string[];
  /** The composed component's imports and exports. */
  imports: string[];
  exports: string[];
  bytes: number;
  sha256: string;
  /** Things that behave differently once composed (printed as warnings). */
  notes: string[];
}

interface Part {
  c: ResolvedComponent;
  file: string;
  bytes: Uint8Array;
  surface: Surface;
}

/** A component and the defaults plugged into it (each itself a Node). */
interface Node {
  part: Part;
  plugs: { node: Node; interfaces: string[] }[];
}

/** `dist/<app dir relative to the workspace>/composed/<app name>[-<profile>].wasm` */
export function defaultComposedFile(manifestDir: string, root: string, appName: string, profile?: string): string {
  // defaultSiteDir is dist/<app dir>/web/site.
  return path.resolve(defaultSiteDir(manifestDir, root), '..', '..', 'composed', `${appName}${profile ? `-${profile}` : ''}.wasm`);
}

export async function composeApp(input: string, opts: ComposeOptions = {}): Promise<ComposeResult> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const loaded = readManifest(input, cwd);
  const manifestDir = path.dirname(loaded.file);
  // A manifest without a string app.name fails resolution below with the schema's error.
  const appName = String((loaded.data as { app?: { name?: unknown } })?.app?.name ?? 'app');
  const out = opts.out
    ? path.resolve(cwd, opts.out)
    : defaultComposedFile(manifestDir, opts.root ?? workspaceRoot(manifestDir), appName, opts.profile);
  const outDir = path.dirname(out);
  const graphFile = opts.graphOut ? path.resolve(cwd, opts.graphOut) : out.replace(/\.wasm$/, '') + '.loop.json';
  if (path.dirname(graphFile) !== outDir || graphFile === out) {
    // Paths in the graph are relative to the composed file's directory.
    throw new LoopError({ code: CODES.badOutput, file: graphFile, message: `the graph file must be another file in the composed file's directory (${outDir})`, hint: 'give both files the same directory and different names' });
  }
  const source = resolveApp(input, { platform: 'native', profile: opts.profile, set: opts.set, cwd, outDir });

  const entryC = source.components.find((c) => c.name === source.app.entry);
  if (!entryC) {
    throw new LoopError({ code: CODES.noEntry, field: 'app.entry', message: `the entry component "${source.app.entry}" is not in the resolved graph`, hint: 'set [app] entry to a core component' });
  }
  const defaults = source.components.filter((c) => c.class === 'default');
  const load = async (c: ResolvedComponent): Promise<Part> => {
    const file = path.resolve(outDir, c.path);
    const who = `component '${c.name}'`;
    const bytes = await componentBytes(file, who);
    return { c, file, bytes, surface: await readSurface(bytes, file, who) };
  };
  const parts = new Map<string, Part>();
  for (const c of [entryC, ...defaults]) parts.set(c.name, await load(c));

  const problems: Diagnostic[] = [];
  const tree = plan(parts.get(entryC.name)!, [...defaults.map((d) => parts.get(d.name)!)], [], problems);
  const pluggedParts = new Map<string, Part>();
  walk(tree, (n) => n !== tree && pluggedParts.set(n.part.c.name, n.part));
  const config = { ...entryC.config };
  const notes: string[] = [];
  for (const p of pluggedParts.values()) checkPlugged(p, entryC, config, problems, notes);
  if (problems.length) throw new LoopError(problems);

  const wac = pluggedParts.size ? findWac(env) : undefined;
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-compose-'));
  let composed: Uint8Array;
  try {
    composed = fs.readFileSync(build(tree, tmp, wac));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const surface = await readSurface(composed, out, 'the composed component');
  const plugged: Plugged[] = [];
  walk(tree, (n) => {
    for (const p of n.plugs) plugged.push({ component: p.node.part.c.name, into: n.part.c.name, interfaces: p.interfaces });
  });
  const left = plugged.filter((p) => p.into === entryC.name).flatMap((p) => p.interfaces).filter((i) => surface.imports.includes(i));
  if (left.length) {
    throw new LoopError({
      code: CODES.toolFailed,
      file: out,
      message: `wac plug produced a component that still imports ${left.join(', ')}`,
      hint: 'this is a wac bug or version mismatch; reinstall it with `bash tools/setup/wac.sh`',
    });
  }
  if (!pluggedParts.size) notes.push(`nothing to plug: '${entryC.name}' imports no interface a default component exports; the output is the entry component unchanged`);

  const tmpOut = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmpOut, composed);
  fs.renameSync(tmpOut, out);
  const sha256 = createHash('sha256').update(composed).digest('hex');

  // The composed graph: the entry's file is the composed one; it may import what each plugged
  // default was allowed to import (checked above); the plugged defaults are inside it.
  const allow = new Set(entryC.allow);
  for (const p of pluggedParts.values()) for (const i of p.surface.imports) {
    const cap = hostServed(i) ? capabilityOf(i) : null;
    if (cap) allow.add(cap);
  }
  const entryOut: ResolvedComponent = {
    ...entryC,
    path: path.relative(outDir, out).split(path.sep).join('/'),
    sha256,
    allow: [ALWAYS_ALLOWED, ...[...allow].filter((a) => a !== ALWAYS_ALLOWED).sort()],
    config,
  };
  const graph: ResolvedGraph = {
    ...source,
    components: source.components.filter((c) => !pluggedParts.has(c.name)).map((c) => (c.name === entryC.name ? entryOut : c)),
  };
  if (source.trust[entryC.trust]?.keys.length) {
    // Resolution verified the signatures of the inputs; the composed file is new bytes.
    notes.push(`trust class '${entryC.trust}' lists keys: the composed component carries no signature of its own; sign it (loop sign ${path.relative(cwd, out) || out}) before shipping it on its own`);
  }
  fs.writeFileSync(graphFile, graphJson(graph));

  const used = new Set(pluggedParts.keys());
  return {
    out,
    graphFile,
    graph,
    source,
    entry: entryC.name,
    plugged,
    unused: defaults.filter((d) => !used.has(d.name)).map((d) => d.name),
    imports: surface.imports,
    exports: surface.exports,
    bytes: composed.length,
    sha256,
    notes,
  };
}

/** Which defaults plug into `part` (recursively), collecting every problem. */
function plan(part: Part, defaults: Part[], stack: string[], problems: Diagnostic[]): Node {
  const node: Node = { part, plugs: [] };
  const name = part.c.name;
  const byProvider = new Map<Part, string[]>();
  for (const item of part.surface.imports) {
    const providers = defaults.filter((d) => d !== part && d.surface.exports.includes(item));
    if (hostServed(item)) {
      // wac would plug these too, replacing the host's provider: refuse rather than change behaviour.
      for (const p of providers) {
        problems.push({
          code: CODES.ambiguous,
          message: `default component '${p.c.name}' exports '${item}', which the host serves to '${name}'; composing would replace the host's provider`,
          hint: `compose by hand with wac if that is intended, or stop exporting '${item}' from '${p.c.name}'`,
        });
      }
      continue;
    }
    if (providers.length === 0) {
      const known = defaults.filter((d) => d !== part).map((d) => `'${d.c.name}' (exports ${d.surface.exports.join(', ') || 'nothing'})`);
      problems.push({
        code: CODES.unsatisfied,
        message: `component '${name}' imports '${item}', which no default component exports and no host serves`,
        hint: known.length
          ? `add a class = "default" component that exports '${item}' (default components now: ${known.join('; ')})`
          : `add a [components.<name>] with class = "default" whose component exports '${item}'`,
      });
      continue;
    }
    if (providers.length > 1) {
      problems.push({
        code: CODES.ambiguous,
        message: `component '${name}' imports '${item}', which several default components export: ${providers.map((p) => `'${p.c.name}'`).join(', ')}`,
        hint: 'keep one default component per interface (a profile or --set replaces a default\'s source)',
      });
      continue;
    }
    const list = byProvider.get(providers[0]) ?? [];
    list.push(item);
    byProvider.set(providers[0], list);
  }
  for (const [p, interfaces] of byProvider) {
    if (stack.includes(p.c.name) || p.c.name === name) {
      problems.push({
        code: CODES.cycle,
        message: `default components import each other in a cycle: ${[...stack, name, p.c.name].join(' → ')}`,
        hint: 'static composition needs an acyclic graph; break the cycle or leave these components uncomposed',
      });
      continue;
    }
    node.plugs.push({ node: plan(p, defaults, [...stack, name], problems), interfaces });
  }
  return node;
}

/** A plugged default runs inside the entry: its imports must be ones its own trust class allows. */
function checkPlugged(p: Part, entry: ResolvedComponent, config: Record<string, string>, problems: Diagnostic[], notes: string[]) {
  for (const item of p.surface.imports) {
    if (!hostServed(item)) continue;
    const cap = capabilityOf(item);
    if (cap && !p.c.allow.includes(cap)) {
      problems.push({
        code: CODES.denied,
        message: `component '${p.c.name}' imports '${item}' but trust class '${p.c.trust}' does not allow '${cap}'`,
        hint: `grant '${cap}' to trust class '${p.c.trust}' ([trust.${p.c.trust}] allow) or give '${p.c.name}' a trust class that allows it`,
      });
    }
    if (packageOf(item) === 'loop:kv') {
      notes.push(`'${p.c.name}' imports ${item}: composed into '${entry.name}', it uses '${entry.name}''s kv namespace`);
    }
  }
  if (!p.surface.imports.some((i) => packageOf(i) === 'loop:app' && i.startsWith('loop:app/config'))) return;
  for (const [k, v] of Object.entries(p.c.config)) {
    if (k in config && config[k] !== v) {
      problems.push({
        code: CODES.configConflict,
        field: `components.${p.c.name}.config.${k}`,
        message: `'${p.c.name}' and '${entry.name}' both set config key "${k}" to different values; composed, they read one config`,
        hint: `use distinct keys, or the same value, in [components.${p.c.name}] and [components.${entry.name}] config`,
      });
    } else {
      config[k] = v;
    }
  }
}

function walk(n: Node, f: (n: Node) => void) {
  f(n);
  for (const p of n.plugs) walk(p.node, f);
}

/** Writes the node's composed component into `tmp` (bottom-up) and returns its path. */
function build(n: Node, tmp: string, wac: string | undefined): string {
  const name = n.part.c.name;
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const file = path.join(dir, `${name}.wasm`);
  if (!n.plugs.length) {
    fs.writeFileSync(file, n.part.bytes);
    return file;
  }
  const socket = path.join(dir, 'socket.wasm');
  fs.writeFileSync(socket, n.part.bytes);
  // wac names a plug after its file stem: each plug is `<component name>.wasm`.
  const plugs = n.plugs.map((p) => ({ file: build(p.node, tmp, wac), name: p.node.part.c.name, interfaces: p.interfaces }));
  wacPlug(wac!, socket, plugs, file, `component '${name}'`);
  return file;
}
