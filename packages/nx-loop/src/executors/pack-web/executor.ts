import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { packWeb } from '../../pack-web';
import { reportFailure } from '../report';

export interface PackWebExecutorOptions {
  manifest: string;
  outputPath?: string;
  inline?: boolean;
  profile?: string;
  set?: string[];
}

/** `nx run <app>:pack-web` — the same packer as `loop pack web`. */
export default async function packWebExecutor(options: PackWebExecutorOptions, context: ExecutorContext) {
  try {
    const result = await packWeb(path.resolve(context.root, options.manifest), {
      out: options.outputPath ? path.resolve(context.root, options.outputPath) : undefined,
      inline: options.inline,
      profile: options.profile,
      set: options.set,
      cwd: context.root,
      root: context.root,
    });
    console.log(`packed ${result.graph.app.name} for the web: ${path.relative(context.root, result.outDir)} (${result.files.length} files)`);
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
