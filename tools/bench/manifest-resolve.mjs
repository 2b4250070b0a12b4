#!/usr/bin/env node
// Benchmark: parse + validate + resolve a 200-component manifest in a cold process,
// including JSON Schema compilation and hashing 200 real component files.
//
// Loop side: `node` running the resolver once (timed inside the process, from before the
// first import to the written graph) and the whole process wall time.
// Baseline: a cold `node -e ""` — the floor any Node CLI pays — so the ratio shows what
// Loop adds on top of starting Node.
//   node tools/bench/manifest-resolve.mjs [--components 200] [--runs 10] [--size 16384]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { components: { type: 'string', default: '200' }, runs: { type: 'string', default: '10' }, size: { type: 'string', default: '16384' } } });
const N = Number(values.components), RUNS = Number(values.runs), SIZE = Number(values.size);
const repo = join(fileURLToPath(import.meta.url), '../../..');
const dist = join(repo, 'packages/nx-loop/dist');

// A real (if empty) binary component: preamble + one custom section, so every file is
// a distinct component of SIZE bytes that Wasmtime and jco accept.
function component(i) {
  const name = Buffer.from('loop-bench');
  const payload = Buffer.alloc(SIZE - 8 - 1 - 5 - 1 - name.length, i % 251);
  payload.writeUInt32LE(i, 0);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  const len = Buffer.alloc(5);
  let v = body.length;
  for (let k = 0; k < 5; k++) { len[k] = (v & 0x7f) | (k < 4 ? 0x80 : 0); v >>>= 7; }
  return Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00]), len, body]);
}

const dir = mkdtempSync(join(tmpdir(), 'loop-bench-200-'));
mkdirSync(join(dir, 'components'));
let toml = '#:schema spec/app.loop.schema.json\n[app]\nname = "big"\nentry = "c0"\n\n';
for (let i = 0; i < N; i++) {
  writeFileSync(join(dir, 'components', `c${i}.wasm`), component(i));
  toml += `[components.c${i}]\nsource = "components/c${i}.wasm"\nclass = "${i === 0 ? 'core' : i % 3 ? 'default' : 'plugin'}"\n${i % 5 === 0 ? 'capabilities = ["loop:log", "loop:kv"]\n' : ''}config = { index = "${i}" }\n\n`;
}
toml += '[plugins]\ndir = "plugins"\n\n[capabilities."loop:fs"]\nprovider = { native = "host-dir", web = "opfs" }\nroot = "data"\n\n[capabilities."loop:http"]\nprovider = { native = "wasi-http", web = "fetch" }\nallow = ["https://api.example.com"]\n';
writeFileSync(join(dir, 'app.loop.toml'), toml);

const probe = `
const t0 = process.hrtime.bigint();
const { resolveApp, graphJson } = require(${JSON.stringify(join(dist, 'resolve/resolve.js'))});
const g = resolveApp(${JSON.stringify(dir)}, { platform: 'native' });
require('fs').writeFileSync(${JSON.stringify(join(dir, 'app.loop.json'))}, graphJson(g));
process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));`;

const wall = (args) => { const t = process.hrtime.bigint(); const r = spawnSync(process.execPath, args, { encoding: 'utf8' }); if (r.status) throw new Error(r.stderr); return [Number(process.hrtime.bigint() - t) / 1e6, r.stdout]; };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
wall(['-e', probe]); // warm the OS file cache once; every measured run is still a cold process
const inProc = [], loopWall = [], nodeWall = [];
for (let r = 0; r < RUNS; r++) {
  const [w, out] = wall(['-e', probe]);
  loopWall.push(w); inProc.push(Number(out));
  nodeWall.push(wall(['-e', ''])[0]);
}
const cli = median(Array.from({ length: Math.max(3, RUNS / 2) }, () => { const t = process.hrtime.bigint(); execFileSync(join(repo, 'node_modules/.bin/loop'), ['resolve', dir, '-o', join(dir, 'cli.json')]); return Number(process.hrtime.bigint() - t) / 1e6; }));

const f = (x) => x.toFixed(1).padStart(7);
console.log(`manifest: ${N} components of ${SIZE} B (${((N * SIZE) / 1048576).toFixed(1)} MiB hashed), ${RUNS} cold runs, medians`);
console.log(`  loop parse+validate+resolve, in process (schema compile + hashing included): ${f(median(inProc))} ms   target < 50 ms`);
console.log(`  loop resolver process, wall:                                              ${f(median(loopWall))} ms`);
console.log(`  node -e "" (bare Node start), wall:                                       ${f(median(nodeWall))} ms`);
console.log(`  node_modules/.bin/loop resolve -o, wall:                                  ${f(cli)} ms`);
console.log(`  ratio loop resolver process / bare node start: ${(median(loopWall) / median(nodeWall)).toFixed(2)}x`);
