#!/usr/bin/env node
// Writes N apps into a workspace, all sharing the example components, for scale tests and
// benchmarks. Apps differ (profiles, plugin sets, config) the way a team's apps would.
//   node tools/scale/generate.mjs --apps 200 [--into <workspace root>]   (default: this repo)
// The apps land in <root>/scale/apps/app-NNN; `rm -rf scale` removes them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './workspace.mjs';

export function generateApps(root, n) {
  const dirs = [];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(3, '0');
    const dir = join(root, 'scale/apps', `app-${id}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data/greeting.txt'), `Hello from generated app ${id}.\n`);
    const fancy = i % 2 === 1;
    const plugins = i % 3 === 0 ? ['upper'] : ['upper', 'reverse'];
    writeFileSync(
      join(dir, 'app.loop.toml'),
      `#:schema ../../../spec/app.loop.schema.json
[app]
name = "app-${id}"
entry = "greeter"

[components.greeter]
source = "../../../examples/components/greeter-rust"
class = "core"
trust = "trusted"
config = { url = "http://127.0.0.1:8787/hello.txt", app = "${id}" }

[components.formatter]
source = "../../../examples/components/${fancy ? 'formatter-fancy-ts' : 'formatter-basic-js'}"
${plugins.map((p) => `\n[components.${p}]\nsource = "../../../examples/components/${p === 'upper' ? 'upper-js' : 'reverse-ts'}"\nclass = "plugin"\n`).join('')}
[plugins]
dir = "plugins"

[capabilities."loop:fs"]
provider = { native = "host-dir", web = "opfs" }
root = "data"

[capabilities."loop:http"]
provider = { native = "wasi-http", web = "fetch" }
allow = ["http://127.0.0.1:8787"]
`,
    );
    dirs.push(dir);
  }
  return dirs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { apps: { type: 'string', default: '20' }, into: { type: 'string', default: repoRoot } } });
  const dirs = generateApps(values.into, Number(values.apps));
  console.log(`wrote ${dirs.length} apps under ${join(values.into, 'scale/apps')}`);
}
