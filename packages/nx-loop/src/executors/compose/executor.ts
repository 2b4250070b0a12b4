import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { composeApp } from '../../compose';
import { reportFailure } from '../report';

export interface ComposeExecutorOptions {
  manifest: string;
  outputPath?: string;
  graphPath?: string;
  profile?: string;
  set?: string[];
}

/** `nx run <app>:compose` — the same composition as `loop compose`. */
export default async function composeExecutor(options: ComposeExecutorOptions, context: ExecutorContext) {
  try {
    const r = await composeApp(path.resolve(context.root, options.manifest), {
      out: options.outputPath ? path.resolve(context.root, options.outputPath) : undefined,
      graphOut: options.graphPath ? path.resolve(context.root, options.graphPath) : undefined,
      profile: options.profile,
      set: options.set,
      cwd: context.root,
      root: context.root,
    });
    for (const note of r.notes) console.warn(`warning: ${note}`);
    for (const p of r.plugged) console.log(`plugged ${p.component} into ${p.into}: ${p.interfaces.join(', ')}`);
    console.log(`composed ${r.graph.app.name}: ${path.relative(context.root, r.out)} (${r.bytes} bytes), graph ${path.relative(context.root, r.graphFile)}`);
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
