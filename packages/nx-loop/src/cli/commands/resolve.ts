import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../../errors';
import { PLATFORMS, type Platform } from '../../manifest/capabilities';
import { graphJson, resolveApp } from '../../resolve/resolve';
import type { Command } from '../command';

export const resolve: Command = {
  name: 'resolve',
  summary: 'Resolve an app manifest into app.loop.json, the graph hosts run',
  usage: 'loop resolve [app-dir | app.loop.toml] --platform <native|web> [--profile <name>] [--set <key=value>]... [--out <file>]',
  details:
    'Picks providers for the platform, applies the profile and --set overrides, hashes every\n' +
    'component and computes each one\'s effective allow-list. Prints the graph, or writes it\n' +
    'to --out with paths relative to that file. Format: spec/resolved-graph.md.\n\n' +
    'Example: loop resolve examples/apps/hello --platform native --profile fancy',
  options: {
    platform: { type: 'string', description: 'native or web (default: native)', value: '<native|web>' },
    profile: { type: 'string', description: 'apply [profiles.<name>]', value: '<name>' },
    set: { type: 'string', multiple: true, description: 'override a component field, e.g. components.formatter.source=../fancy', value: '<key=value>' },
    out: { type: 'string', short: 'o', description: 'write the graph to this file instead of stdout', value: '<file>' },
  },
  run({ positionals, values, cwd, out }) {
    const platform = (values.platform as string | undefined) ?? 'native';
    if (!PLATFORMS.includes(platform as Platform)) {
      throw new LoopError({ code: 'LOOP010', field: '--platform', message: `unknown platform "${platform}"`, hint: 'use --platform native or --platform web' });
    }
    const outFile = values.out ? path.resolve(cwd, values.out as string) : undefined;
    const graph = resolveApp(positionals[0] ?? '.', {
      platform: platform as Platform,
      profile: values.profile as string | undefined,
      set: (values.set as string[] | undefined) ?? [],
      outDir: outFile ? path.dirname(outFile) : undefined,
      cwd,
    });
    if (outFile) {
      fs.mkdirSync(path.dirname(outFile), { recursive: true });
      fs.writeFileSync(outFile, graphJson(graph));
      out(`wrote ${path.relative(cwd, outFile)}`);
    } else {
      out(graphJson(graph).trimEnd());
    }
    return 0;
  },
};
