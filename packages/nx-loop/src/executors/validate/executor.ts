import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { formatDiagnostic } from '../../errors';
import { validateManifestFile } from '../../manifest/load';

/** `nx run <app>:validate` — the same checks as `loop validate`. */
export default async function validateExecutor(options: { manifest: string }, context: ExecutorContext) {
  const problems = validateManifestFile(path.resolve(context.root, options.manifest), context.root);
  for (const d of problems) console.error(formatDiagnostic(d));
  return { success: problems.length === 0 };
}
