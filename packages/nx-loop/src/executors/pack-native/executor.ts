import type { ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { packNative, summaryLines, throwProblems } from '../../pack-native';
import { reportFailure } from '../report';

export interface PackNativeExecutorOptions {
  manifest: string;
  /** A group (linux | windows | macos), a target name, or a comma-separated list. */
  target?: string;
  outputPath?: string;
  profile?: string;
  set?: string[];
  /** An app with its own host ([targets] native-host): build it with cargo's release profile. */
  release?: boolean;
}

/** `nx run <app>:pack-native --configuration=linux|windows|macos` — the same packer as `loop pack native`. */
export default async function packNativeExecutor(options: PackNativeExecutorOptions, context: ExecutorContext) {
  try {
    const result = packNative(path.resolve(context.root, options.manifest), {
      targets: options.target ?? 'linux',
      out: options.outputPath ? path.resolve(context.root, options.outputPath) : undefined,
      profile: options.profile,
      set: options.set,
      release: options.release,
      cwd: context.root,
      root: context.root,
    });
    console.log(`packed ${result.graph.app.name} for ${result.packed.map((t) => t.target).join(', ') || 'no target'}:`);
    for (const line of summaryLines(result, context.root)) console.log(`  ${line}`);
    throwProblems(result);
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
