import * as path from 'node:path';
import type { Command } from '../../cli/command';
import { LoopError } from '../../errors';
import { CODES } from '../../build/codes';
import { findWorkspaceRoot } from '../../build/workspace';
import type { ComponentGeneratorSchema } from './schema';

/** `loop component new` — the component generator on the real file system (no nx process). */
export const componentNew: Command = {
  name: 'component new',
  summary: 'Scaffold a component project (Rust, JS or TS) that builds and runs on the first try',
  usage: 'loop component new <name> [--language rust|js|ts] [--world plugin|core] [--directory <dir>]',
  details:
    'The same as `nx g @loop/nx:component`: writes loop.component.toml, the sources, a README\n' +
    'and test/<name>.spec.ts (which builds the component and calls it) into the workspace\n' +
    '(the nearest directory with nx.json), by default under components/<name>.\n\n' +
    'Example: loop component new shout --language ts --world plugin',
  options: {
    language: { type: 'string', short: 'l', description: 'guest language (default ts)', value: '<rust|js|ts>' },
    world: { type: 'string', short: 'w', description: 'world of wit/: plugin (default) or core', value: '<plugin|core>' },
    directory: { type: 'string', short: 'd', description: 'project directory, relative to the current directory (default <workspace>/components/<name>)', value: '<dir>' },
  },
  async run({ positionals, values, cwd, out }) {
    // Loaded on demand: the generator pulls in @nx/devkit, which would slow every `loop` command.
    const { generateComponentProject, nextSteps, normalizeOptions } = await import('./generator.js');
    const root = findWorkspaceRoot(cwd) ?? cwd;
    const schema: ComponentGeneratorSchema = {
      name: positionals[0],
      language: values.language as ComponentGeneratorSchema['language'],
      world: values.world as ComponentGeneratorSchema['world'],
      directory: typeof values.directory === 'string' ? path.relative(root, path.resolve(cwd, values.directory)) : undefined,
    };
    let result: { directory: string; files: string[] };
    try {
      result = await generateComponentProject(root, schema);
    } catch (e) {
      throw new LoopError({ code: CODES.generatorRefused, message: (e as Error).message, hint: 'run `loop component new --help`' });
    }
    for (const f of result.files) out(`CREATE ${f}`);
    out(nextSteps(normalizeOptions(schema)));
    return 0;
  },
};
