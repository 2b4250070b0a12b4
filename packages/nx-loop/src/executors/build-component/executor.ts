import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { buildComponent } from '../../build/build-component';
import type { JsFeature } from '../../build/marker';
import { reportFailure } from '../report';

export interface BuildComponentExecutorOptions {
  /** Component project dir relative to the workspace root (default: the Nx project's root). */
  project?: string;
  features?: JsFeature[];
}

/** `nx run <component>:build-component` — the same build as `loop build <dir>`. */
export default async function buildComponentExecutor(options: BuildComponentExecutorOptions, context: ExecutorContext) {
  const root = options.project ?? (context.projectName ? context.projectsConfigurations?.projects[context.projectName]?.root : undefined);
  if (!root) {
    console.error('error: build-component needs a project: set the `project` option (the component dir, relative to the workspace root)');
    return { success: false };
  }
  try {
    const r = await buildComponent(path.resolve(context.root, root), {
      workspaceRoot: context.root,
      features: options.features,
      cwd: context.root,
      onOutput: (chunk) => process.stderr.write(chunk),
    });
    const size = r.bytes >= 1 << 20 ? `${(r.bytes / (1 << 20)).toFixed(1)} MiB` : `${(r.bytes / 1024).toFixed(1)} KiB`;
    console.log(`built ${path.relative(context.root, r.wasm)} (${r.language}, ${size}, sha256 ${r.sha256.slice(0, 12)}…) in ${(r.ms / 1000).toFixed(1)} s`);
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
