import * as path from 'node:path';
import { composeApp } from '../../compose';
import type { Command } from '../command';

export const composeCommand: Command = {
  name: 'compose',
  summary: 'Compose the entry component with the default components it imports into one component',
  usage: 'loop compose [app-dir | app.loop.toml] [--profile <name>] [--set <key=value>]... [-o <file>]',
  details:
    'Plugs every default component that exports an interface the entry (core) component imports\n' +
    'into it with `wac plug`, giving ONE component whose imports are only what hosts serve\n' +
    '(loop:*, WASI). Writes <name>.wasm (default dist/<app dir>/composed/<app>[-<profile>].wasm)\n' +
    'and, next to it, <name>.loop.json: the native graph with the entry replaced by the composed\n' +
    'file, which `loop-host run` runs like the uncomposed app. Needs wac: bash tools/setup/wac.sh.\n\n' +
    'Example: loop compose examples/apps/hello --profile fancy',
  options: {
    out: { type: 'string', short: 'o', description: 'the composed component file (default dist/<app dir>/composed/<app>[-<profile>].wasm)', value: '<file>' },
    profile: { type: 'string', description: 'apply [profiles.<name>]', value: '<name>' },
    set: { type: 'string', multiple: true, description: 'override a component field, e.g. components.formatter.source=../fancy', value: '<key=value>' },
  },
  async run({ positionals, values, cwd, out, err }) {
    const r = await composeApp(positionals[0] ?? '.', {
      out: values.out as string | undefined,
      profile: values.profile as string | undefined,
      set: (values.set as string[] | undefined) ?? [],
      cwd,
    });
    for (const note of r.notes) err(`warning: ${note}`);
    for (const p of r.plugged) out(`plugged ${p.component} into ${p.into}: ${p.interfaces.join(', ')}`);
    if (r.unused.length) out(`not plugged (nothing imports them): ${r.unused.join(', ')}`);
    out(`composed ${r.graph.app.name}: ${path.relative(cwd, r.out)} (${(r.bytes / 1e6).toFixed(1)} MB; imports ${r.imports.join(', ') || 'nothing'})`);
    out(`graph: ${path.relative(cwd, r.graphFile)}`);
    return 0;
  },
};
