import { HOST_TEMPLATES } from '../../generators/host/templates';
import type { Command } from '../command';

/** `loop host new` (alias `loop host scaffold`): the host generator on the real file system. */
export const hostNew: Command = {
  name: 'host new',
  aliases: ['host scaffold'],
  summary: 'Scaffold a host project for an app (browser-worker; native-wasmtime lands with native packaging)',
  usage: `loop host new <name> [--template <${HOST_TEMPLATES.join('|')}>] [--app <app dir>] [--directory <dir>]`,
  details:
    'Writes a host project under the current directory (default hosts/<name>), the same as\n' +
    '`nx g @loop/nx:host`. browser-worker: a JS/TS page + worker host wired to\n' +
    '@loop/runtime-browser that runs the app of --app (recorded in loop.host.json), ready to\n' +
    'embed in an existing web app, with a build script, a dev server, a README and a Chromium test.\n\n' +
    'Example: loop host new web --template browser-worker --app examples/apps/hello',
  options: {
    template: { type: 'string', short: 't', description: 'host template (default browser-worker)', value: `<${HOST_TEMPLATES.join('|')}>` },
    app: { type: 'string', description: 'the app directory (with app.loop.toml) the host runs', value: '<dir>' },
    directory: { type: 'string', short: 'd', description: 'project directory (default hosts/<name>)', value: '<dir>' },
  },
  async run({ positionals, values, cwd, out }) {
    // Loaded on demand: the generator pulls in @nx/devkit, which would slow every `loop` command.
    const { generateHostProject } = await import('../../generators/host/generator.js');
    const result = await generateHostProject(cwd, {
      name: positionals[0],
      template: values.template as string | undefined,
      app: values.app as string | undefined,
      directory: values.directory as string | undefined,
    });
    for (const f of result.files) out(`CREATE ${f}`);
    out(result.nextSteps);
    return 0;
  },
};
