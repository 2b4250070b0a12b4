/**
 * Signature checks for packers (pack-web, pack-native): before an app is packed, every
 * component and every plugin file of a trust class that lists keys must carry a valid
 * signature by one of them — or, in a class with `unsigned = "demote"`, is reported as
 * demoted (the hosts run it as untrusted). Packers keep the signed files in their output so
 * the packed host verifies again when it starts.
 *
 *   const report = verifyForPack(graph, graphDir, { label: 'examples/apps/hello/app.loop.toml' });
 *   // throws LoopError (LOOP510, one diagnostic per refused file) when something is refused;
 *   // report.verified / report.demoted / report.unchecked: one line per file, for the packer's output.
 */
import * as path from 'node:path';
import { LoopError } from '../errors';
import { checkGraphSignatures, type GraphCheck, type GraphForSignatures } from './trust';
import { parseWasm } from './wasm';
import { SIGNATURE_SECTION } from './format';

export interface PackSignatureOptions {
  /** What the diagnostics name as the graph: the manifest or app.loop.json the packer read. */
  label: string;
}

/**
 * Checks the signatures a resolved graph requires. `graphDir` is the directory the graph's
 * paths are relative to (the manifest's directory when the graph was resolved with
 * `outDir: manifestDir`). Throws a LoopError listing every refused component / plugin.
 */
export function verifyForPack(graph: GraphForSignatures, graphDir: string, opts: PackSignatureOptions): GraphCheck {
  const r = checkGraphSignatures(graph, path.resolve(graphDir), opts.label);
  if (r.problems.length) throw new LoopError(r.problems);
  return r;
}

/** Whether a file carries an embedded signature (its first section is the `signature` custom section). */
export function isSigned(bytes: Uint8Array): boolean {
  try {
    const first = parseWasm(bytes).sections[0];
    return !!first && first.id === 0 && first.name === SIGNATURE_SECTION;
  } catch {
    return false;
  }
}
