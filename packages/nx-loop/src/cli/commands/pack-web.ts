import * as path from 'node:path';
import { packWeb } from '../../pack-web';
import type { Command } from '../command';

export const packWebCommand: Command = {
  name: 'pack web',
  summary: 'Pack an app into a static web bundle (worker host, transpiled components, service worker)',
  usage: 'loop pack web [app-dir | app.loop.toml] [--out <dir>] [--inline] [--profile <name>] [--set <key=value>]...',
  details:
    'Resolves the app for the web, transpiles every component with jco for the browser worker\n' +
    'host and writes a static site: index.html, loop-worker.js, sw.js (offline cache, plugin\n' +
    'swaps without reload), app.loop.json, loop.site.json, components/, plugins/, seed/.\n' +
    'Default output: dist/<app dir>/web/site under the workspace root. --inline writes one\n' +
    'self-contained index.html instead. Serve it with `loop serve`.\n\n' +
    'Example: loop pack web examples/apps/hello && loop serve examples/apps/hello',
  options: {
    out: { type: 'string', short: 'o', description: 'output directory (default dist/<app dir>/web/site)', value: '<dir>' },
    inline: { type: 'boolean', description: 'write one self-contained index.html' },
    profile: { type: 'string', description: 'apply [profiles.<name>]', value: '<name>' },
    set: { type: 'string', multiple: true, description: 'override a component field, e.g. components.formatter.source=../fancy', value: '<key=value>' },
  },
  async run({ positionals, values, cwd, out }) {
    const result = await packWeb(positionals[0] ?? '.', {
      out: values.out as string | undefined,
      inline: values.inline === true,
      profile: values.profile as string | undefined,
      set: (values.set as string[] | undefined) ?? [],
      cwd,
    });
    const where = path.relative(cwd, result.outDir) || '.';
    out(`packed ${result.graph.app.name} for the web: ${where}${values.inline ? '/index.html' : '/'} (${result.files.length} files, ${(result.bytes / 1e6).toFixed(1)} MB)`);
    return 0;
  },
};
