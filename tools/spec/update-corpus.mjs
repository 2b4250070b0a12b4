#!/usr/bin/env node
// Regenerates the expected outputs of spec/manifests/ from the current `loop` CLI.
// Run after an intended change of messages or graph format, then review the diff:
//   node tools/spec/update-corpus.mjs
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../..');
const require = createRequire(import.meta.url);
const { main } = require(join(root, 'packages/nx-loop/dist/cli/main.js'));
const { corpusCases } = require(join(root, 'packages/nx-loop/dist/resolve/corpus.js'));

for (const c of corpusCases(join(root, 'spec/manifests'))) {
  const out = [];
  const err = [];
  const code = await main(c.argv, { cwd: root, out: (l) => out.push(l), err: (l) => err.push(l) });
  const text = c.kind === 'valid' ? out.join('\n') + '\n' : `exit ${code}\n${err.join('\n')}\n`;
  writeFileSync(c.expectedFile, text);
  console.log(`${relative(root, c.expectedFile)}  (exit ${code})`);
}
