/**
 * Bundles @loop/runtime-browser (plain ES modules) into the three scripts of a site:
 * loop-worker.js (worker host + providers), loop-page.js (bridge + page) and the service worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../errors';
import { CODES } from './codes';
import { loadJco, loadRolldown } from './esm';

/** The runtime's src/ directory: the installed package, else the workspace copy. */
export function runtimeSourceDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(path.join(path.dirname(require.resolve('@loop/runtime-browser/package.json')), 'src'));
  } catch {
    // not installed as a package
  }
  let dir = __dirname;
  for (;;) {
    candidates.push(path.join(dir, 'packages', 'runtime-browser', 'src'));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'worker.js')));
  if (!found) throw new LoopError({ code: CODES.runtimeMissing, message: '@loop/runtime-browser not found', hint: 'run npm install at the root of the Loop checkout' });
  return found;
}

let cached: Promise<{ worker: string; page: string; sw: string }> | undefined;

async function bundle(entry: string): Promise<string> {
  const { rolldown } = await loadRolldown();
  try {
    const b = await rolldown({ input: entry, platform: 'browser', treeshake: true, logLevel: 'silent' } as never);
    const { output } = await b.generate({ format: 'esm', minify: true, codeSplitting: false } as never);
    await b.close();
    return output[0].code;
  } catch (e) {
    throw new LoopError({ code: CODES.runtimeMissing, file: entry, message: `could not bundle the browser runtime: ${(e as Error).message}` });
  }
}

export function bundleRuntime() {
  cached ??= (async () => {
    const src = runtimeSourceDir();
    return {
      worker: await bundle(path.join(src, 'worker.js')),
      page: await bundle(path.join(src, 'page.js')),
      sw: fs.readFileSync(path.join(src, 'sw.js'), 'utf8'),
    };
  })();
  return cached;
}
