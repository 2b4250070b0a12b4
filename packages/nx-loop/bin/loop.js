#!/usr/bin/env node
'use strict';
// Plain-JS entry of the `loop` CLI: runs the compiled library in dist/ (built by `npm ci`
// through the workspace's prepare script), so it needs no TypeScript loader at run time.
const path = require('node:path');
const fs = require('node:fs');
const dist = path.join(__dirname, '..', 'dist');
// The build packs every module the CLI can reach into one script with a V8 code cache
// (scripts/bundle-cli.cjs → dist/loop.cjs); the module-per-file dist/ is the fallback.
const bundle = path.join(dist, 'loop.cjs');
const main = fs.existsSync(bundle) ? bundle : path.join(dist, 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(
    `error[LOOP003] Loop is not built (missing ${main})\n  hint: run \`npm run build\` at the root of the Loop checkout\n`,
  );
  process.exit(1);
}
require(main)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
