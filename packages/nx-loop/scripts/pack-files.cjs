#!/usr/bin/env node
// What the published @loop/nx carries besides dist/ (npm `prepack` copies, `postpack` removes):
// - schema/app.loop.schema.json (spec/app.loop.schema.json);
// - host-templates/wasmtime-rust: the loop-host crate a native-wasmtime host depends on (the
//   generator finds it above dist/, as in the checkout), without target/, fuzz/ and tests;
// - wit/: Loop's WIT, which loop-host's build.rs reads at ../../../../wit from the crate.
// Usage: node scripts/pack-files.cjs copy|clean   (run in packages/nx-loop)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const REPO = path.resolve(PKG, '..', '..');
const COPIES = [
  { from: 'spec/app.loop.schema.json', to: 'schema/app.loop.schema.json' },
  { from: 'host-templates/wasmtime-rust', to: 'host-templates/wasmtime-rust' },
  { from: 'wit', to: 'wit' },
];
/** Not shipped: build output, the fuzz workspace, tests (the crate's, *.spec.ts), built wasm. */
const SKIP = new Set(['target', 'fuzz', 'tests', 'node_modules', '.git', '.DS_Store']);

function copy() {
  clean();
  for (const { from, to } of COPIES) {
    const src = path.join(REPO, from);
    if (!fs.existsSync(src)) throw new Error(`pack-files: ${src} is missing (run npm pack in a Loop checkout)`);
    fs.mkdirSync(path.dirname(path.join(PKG, to)), { recursive: true });
    fs.cpSync(src, path.join(PKG, to), { recursive: true, filter: (p) => !SKIP.has(path.basename(p)) && !/\.(c?wasm|spec\.ts)$/.test(p) });
  }
}

function clean() {
  for (const dir of ['schema', 'host-templates', 'wit']) fs.rmSync(path.join(PKG, dir), { recursive: true, force: true });
}

const mode = process.argv[2];
if (mode === 'copy') copy();
else if (mode === 'clean') clean();
else {
  console.error('usage: node scripts/pack-files.cjs copy|clean');
  process.exitCode = 1;
}
