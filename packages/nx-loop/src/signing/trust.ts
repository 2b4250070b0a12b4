/**
 * Elevation by signature: a trust class that lists `keys` admits only components that carry
 * a valid whole-file signature by one of them. The resolver calls `signatureProblems` once
 * it knows every component's file; a component without such a signature fails resolution.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isLoopError, LoopError, type Diagnostic } from '../errors';
import type { LoadedManifest } from '../manifest/load';
import { isComponentFileName } from '../manifest/component-marker';
import type { Manifest } from '../manifest/types';
import { parsePublicKeyText, type PublicKey } from './keys';
import { verifyWasm } from './sign';

export const TRUST_CODES = {
  /** A component of a class with keys has no valid signature by them. */
  unsigned: 'LOOP510',
  /** A component of a class with keys is a text (.wat) source, which cannot carry a signature. */
  textSource: 'LOOP511',
} as const;

/** The keys of each trust class that lists any, parsed (`ed25519:…`). Bad keys are left to the schema check. */
export function trustKeys(m: Pick<Manifest, 'trust'>): Map<string, PublicKey[]> {
  const out = new Map<string, PublicKey[]>();
  for (const [cls, decl] of Object.entries(m.trust ?? {})) {
    const keys: PublicKey[] = [];
    (decl?.keys ?? []).forEach((k, i) => {
      try {
        keys.push(parsePublicKeyText(k, `trust.${cls}.keys[${i}]`));
      } catch {
        /* reported by keyProblems */
      }
    });
    if (decl?.keys?.length) out.set(cls, keys);
  }
  return out;
}

/** Keys that match the schema's pattern but are not 32-byte Ed25519 public keys. */
export function keyProblems(loaded: LoadedManifest, m: Pick<Manifest, 'trust'>): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const [cls, decl] of Object.entries(m.trust ?? {})) {
    (decl?.keys ?? []).forEach((k, i) => {
      try {
        parsePublicKeyText(k, `trust.${cls}.keys[${i}]`);
      } catch (e) {
        if (!isLoopError(e)) throw e;
        problems.push({ ...e.diagnostics[0], message: e.diagnostics[0].message.replace(/^trust\.[^:]+: /, ''), field: `trust.${cls}.keys[${i}]`, ...loaded.loc.at(['trust', cls, 'keys', i]) });
      }
    });
  }
  return problems;
}

/**
 * One diagnostic per component whose trust class lists keys but that carries no valid
 * signature by one of them. `components[].path` is relative to `graphDir`.
 */
export function signatureProblems(
  loaded: LoadedManifest,
  m: Pick<Manifest, 'trust'>,
  components: readonly { name: string; trust: string; path: string }[],
  graphDir: string,
): Diagnostic[] {
  const keysOf = trustKeys(m);
  if (!keysOf.size) return [];
  const problems: Diagnostic[] = keyProblems(loaded, m);
  for (const c of components) {
    const keys = keysOf.get(c.trust);
    if (!keys?.length) continue;
    // unsigned = "demote": the hosts run such a component as untrusted; not an error here.
    if (m.trust?.[c.trust]?.unsigned === 'demote') continue;
    const abs = path.resolve(graphDir, c.path);
    const shown = path.relative(process.cwd(), abs) || abs;
    const where = loaded.loc.at(['components', c.name]);
    const sign = `\`loop sign ${shown} --key <secret key of trust.${c.trust}.keys>\``;
    if (/\.wat$/i.test(abs)) {
      problems.push({
        code: TRUST_CODES.textSource,
        field: `components.${c.name}.source`,
        ...loaded.loc.at(['components', c.name, 'source']),
        message: `component "${c.name}" is in trust class "${c.trust}", which requires a signature by one of its keys, but its source ${shown} is WebAssembly text, which cannot carry one`,
        hint: `encode it (\`jco parse ${shown} -o x.wasm\`), sign the .wasm with ${sign.replace(shown, 'x.wasm')} and point the source at it`,
      });
      continue;
    }
    try {
      verifyWasm(fs.readFileSync(abs), keys, { file: shown });
    } catch (e) {
      if (!isLoopError(e)) throw e;
      const why = e.diagnostics[0];
      problems.push({
        code: TRUST_CODES.unsigned,
        field: `components.${c.name}`,
        ...where,
        message: `component "${c.name}" is in trust class "${c.trust}", which requires a valid signature by one of its keys (trust.${c.trust}.keys), but ${shown}: [${why.code}] ${why.message}`,
        hint: `sign it with ${sign}, or move it to a trust class without keys`,
      });
    }
  }
  return problems;
}

/** The parts of a resolved graph (`app.loop.json`, loop.app/1) signature checks read. */
export interface GraphForSignatures {
  components: readonly { name: string; trust: string; path: string }[];
  plugins: { dir: string; trust: string } | null;
  trust: Record<string, { keys: string[]; unsigned?: string }>;
}

export interface GraphCheck {
  /** What was checked and by which key, one line each, for reports. */
  verified: string[];
  /** Components / plugins whose class lists no keys (nothing to check). */
  unchecked: string[];
  /** Components / plugins without a valid signature in a class with `unsigned = "demote"`: hosts run them as untrusted. */
  demoted: string[];
  problems: Diagnostic[];
}

/**
 * Checks a resolved graph as a host or packer would before using it: every component and
 * every plugin file (`plugins.dir/*.wasm`) of a trust class with keys must carry a valid
 * signature by one of them. Paths are relative to the graph's directory. `shownGraph` names
 * the graph file in diagnostics.
 */
export function checkGraphSignatures(graph: GraphForSignatures, graphDir: string, shownGraph: string): GraphCheck {
  const out: GraphCheck = { verified: [], unchecked: [], demoted: [], problems: [] };
  const keysOf = new Map<string, PublicKey[]>();
  for (const [cls, t] of Object.entries(graph.trust ?? {})) {
    const keys: PublicKey[] = [];
    (t.keys ?? []).forEach((k, i) => {
      try {
        keys.push(parsePublicKeyText(k, `trust.${cls}.keys[${i}]`));
      } catch (e) {
        if (!isLoopError(e)) throw e;
        out.problems.push({ ...e.diagnostics[0], file: shownGraph, field: `trust.${cls}.keys[${i}]`, message: e.diagnostics[0].message.replace(/^trust\.[^:]+: /, '') });
      }
    });
    keysOf.set(cls, keys);
  }
  const check = (what: string, cls: string, rel: string, field: string) => {
    const keys = keysOf.get(cls) ?? [];
    if (!(graph.trust?.[cls]?.keys ?? []).length) {
      out.unchecked.push(`${what}: trust class "${cls}" lists no keys (not checked)`);
      return;
    }
    if (!keys.length) return; // every key of the class is malformed: reported above
    const abs = path.resolve(graphDir, rel);
    const shown = path.relative(process.cwd(), abs) || abs;
    try {
      const r = verifyWasm(readOrThrow(abs, shown), keys, { file: shown });
      out.verified.push(`${what}: valid signature by ${r.key} (trust class "${cls}")`);
    } catch (e) {
      if (!isLoopError(e)) throw e;
      const why = e.diagnostics[0];
      if (graph.trust?.[cls]?.unsigned === 'demote') {
        out.demoted.push(`${what}: no valid signature for trust class "${cls}" ([${why.code}] ${why.message}); hosts run it as untrusted (unsigned = "demote")`);
        return;
      }
      out.problems.push({
        code: TRUST_CODES.unsigned,
        file: shownGraph,
        field,
        message: `${what} is in trust class "${cls}", which requires a valid signature by one of its keys, but ${shown}: [${why.code}] ${why.message}`,
        hint: `sign it with \`loop sign ${shown} --key <secret key of trust.${cls}.keys>\` and resolve again`,
      });
    }
  };
  graph.components.forEach((c, i) => check(`component "${c.name}"`, c.trust, c.path, `components[${i}]`));
  if (graph.plugins) {
    const dir = path.resolve(graphDir, graph.plugins.dir);
    const files = fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((f) => isComponentFileName(f) && !f.startsWith('.')).sort() : [];
    for (const f of files) check(`plugin ${f}`, graph.plugins.trust, path.join(graph.plugins.dir, f), 'plugins.dir');
  }
  return out;
}

function readOrThrow(abs: string, shown: string): Uint8Array {
  try {
    return fs.readFileSync(abs);
  } catch (e) {
    throw new LoopError({ code: 'LOOP502', file: shown, message: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read: ${(e as Error).message}`, hint: 'resolve the app again so the graph points at existing files' });
  }
}
