import { formatDiagnostic } from '../../errors';
import { validateManifestFile } from '../../manifest/load';
import type { Command } from '../command';

export const validate: Command = {
  name: 'validate',
  summary: 'Check app manifests: TOML syntax, the schema, and cross-references',
  usage: 'loop validate [app-dir | app.loop.toml]...',
  details:
    'Reports every error of each manifest at once as file:line:col, the field, and a hint.\n' +
    'Exits 1 when any manifest has an error. With no argument, validates ./app.loop.toml.',
  run({ positionals, cwd, out, err }) {
    const inputs = positionals.length ? positionals : ['.'];
    let failed = 0;
    for (const input of inputs) {
      const problems = validateManifestFile(input, cwd);
      if (problems.length) {
        failed++;
        for (const d of problems) err(formatDiagnostic(d));
        err(`${problems.length} error${problems.length === 1 ? '' : 's'} in ${input}`);
      } else {
        out(`ok ${input}`);
      }
    }
    return failed ? 1 : 0;
  },
};
