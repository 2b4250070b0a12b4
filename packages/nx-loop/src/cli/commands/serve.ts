import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../../errors';
import { defaultSiteDir, packWeb, workspaceRoot } from '../../pack-web';
import { CODES } from '../../pack-web/codes';
import { serveSite } from '../../pack-web/serve';
import { resolveApp } from '../../resolve/resolve';
import type { Command } from '../command';

export const serve: Command = {
  name: 'serve',
  summary: 'Serve an app\'s packed web site on 127.0.0.1 for development (plugin changes swap live)',
  usage: 'loop serve [app-dir | app.loop.toml | site-dir] [--port <n>] [--pack]',
  details:
    'Serves the site `loop pack web` wrote (default dist/<app dir>/web/site) on 127.0.0.1 and\n' +
    'watches the app\'s plugin directory: a plugin file added, replaced or removed is re-packed\n' +
    'and the open pages swap it without a reload. --pack packs the app first.\n\n' +
    'Example: loop serve examples/apps/hello --pack --port 8080',
  options: {
    port: { type: 'string', short: 'p', description: 'port (default: any free port)', value: '<n>' },
    pack: { type: 'boolean', description: 'run loop pack web first' },
  },
  async run({ positionals, values, cwd, out }) {
    const input = path.resolve(cwd, positionals[0] ?? '.');
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new LoopError({ code: CODES.badPort, field: '--port', message: `"${values.port}" is not a port number`, hint: 'use --port 0..65535' });
    }
    let siteDir: string;
    let pluginsDir: string | null = null;
    if (fs.existsSync(path.join(input, 'loop.site.json'))) {
      siteDir = input;
    } else {
      const manifestDir = fs.existsSync(input) && fs.statSync(input).isDirectory() ? input : path.dirname(input);
      if (values.pack) {
        const packed = await packWeb(input, { cwd });
        siteDir = packed.outDir;
        pluginsDir = packed.pluginsDir;
      } else {
        siteDir = defaultSiteDir(manifestDir, workspaceRoot(manifestDir));
        if (!fs.existsSync(path.join(siteDir, 'loop.site.json'))) {
          throw new LoopError({ code: CODES.siteMissing, file: path.relative(cwd, siteDir) || '.', message: 'no packed site here', hint: `run \`loop pack web ${positionals[0] ?? '.'}\` first, or add --pack` });
        }
        const graph = resolveApp(input, { platform: 'web', cwd, outDir: manifestDir });
        if (graph.plugins) pluginsDir = path.resolve(manifestDir, graph.plugins.dir);
      }
    }
    const server = await serveSite(siteDir, { port, pluginsDir, log: out });
    out(`serving ${path.relative(cwd, siteDir) || '.'} at ${server.url}${pluginsDir ? ` (watching ${path.relative(cwd, pluginsDir)})` : ''}; Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
