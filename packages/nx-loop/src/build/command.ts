import * as path from 'node:path';
import { formatDiagnostic, isLoopError, LoopError } from '../errors';
import type { Command } from '../cli/command';
import { buildComponent } from './build-component';
import { JS_FEATURES, type JsFeature } from './marker';
import { displayPath } from './workspace';

const size = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

/** `loop build [component-dir]...` — the same build as `nx run <component>:build-component`. */
export const buildCommand: Command = {
  name: 'build',
  summary: 'Build component projects (loop.component.toml) into dist/<name>.wasm',
  usage: 'loop build [component-dir]... [--features stdio,clocks] [--debug]',
  details:
    'Builds each component project (default: the current directory): Rust through\n' +
    'tools/rust-guest/build.sh (release), JS through componentize-js with every WASI feature\n' +
    'off (the component imports only the WIT it uses), TS type-checked and compiled first.\n' +
    'Compiler errors are printed as the compiler prints them; exits 1 if any build fails.\n\n' +
    'Example: loop build examples/components/upper-js examples/components/reverse-ts',
  options: {
    features: { type: 'string', description: `JS/TS: WASI features to keep (${JS_FEATURES.join(', ')}), replacing the marker's`, value: '<list>' },
    debug: { type: 'boolean', description: 'Rust: build the debug profile instead of release' },
  },
  async run({ positionals, values, cwd, out, err }) {
    let features: JsFeature[] | undefined;
    if (typeof values.features === 'string') {
      features = values.features.split(',').map((f) => f.trim()).filter(Boolean) as JsFeature[];
      const unknown = features.filter((f) => !(JS_FEATURES as readonly string[]).includes(f));
      if (unknown.length) {
        throw new LoopError({ code: 'LOOP012', message: `--features: unknown feature ${unknown.map((f) => `"${f}"`).join(', ')}`, hint: `choose from ${JS_FEATURES.join(', ')}` });
      }
    }
    const dirs = positionals.length ? positionals : ['.'];
    let failed = 0;
    for (const dir of dirs) {
      try {
        const r = await buildComponent(path.resolve(cwd, dir), { cwd, features, release: values.debug !== true, onOutput: (s) => process.stderr.write(s) });
        out(`built ${displayPath(r.wasm, cwd)} (${r.language}, ${size(r.bytes)}, sha256 ${r.sha256}) in ${(r.ms / 1000).toFixed(1)} s`);
      } catch (e) {
        if (!isLoopError(e)) throw e;
        failed++;
        for (const d of e.diagnostics) err(formatDiagnostic(d));
      }
    }
    if (dirs.length > 1 && failed) err(`${failed} of ${dirs.length} builds failed`);
    return failed ? 1 : 0;
  },
};
