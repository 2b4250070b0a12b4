import type { ExecutorContext } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Platform } from '../../manifest/capabilities';
import { graphJson, resolveApp } from '../../resolve/resolve';
import { reportFailure } from '../report';

export interface ResolveExecutorOptions {
  manifest: string;
  platform?: Platform;
  profile?: string;
  set?: string[];
  outputPath: string;
}

/** `nx run <app>:resolve[:web]` — the same resolver as `loop resolve`, writing to outputPath. */
export default async function resolveExecutor(options: ResolveExecutorOptions, context: ExecutorContext) {
  const out = path.resolve(context.root, options.outputPath);
  try {
    const graph = resolveApp(path.resolve(context.root, options.manifest), {
      platform: options.platform ?? 'native',
      profile: options.profile,
      set: options.set,
      outDir: path.dirname(out),
      cwd: context.root,
    });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, graphJson(graph));
    console.log(`wrote ${path.relative(context.root, out)}`);
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
