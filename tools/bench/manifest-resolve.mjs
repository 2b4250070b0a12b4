#!/usr/bin/env node
// Benchmark: parse + validate + resolve a 200-component manifest in a cold process, hashing
// 200 real component files (SHA-256 of every byte; nothing is cached between runs).
//
// Every measured process runs a script file (`node <file>`, as bin/loop.js runs), not
// `node -e`: Node's -e mode loads node:crypto and ~35 stream modules before the script starts,
// which would hide a cost the CLI pays.
//
// Loop side, each run a new `node` process:
//   in process  from before the first require of the CLI's code (dist/loop.cjs: the loader
//               bin/loop.js runs; it compiles dist/loop-core.js with its V8 code cache, the
//               manifest reader + resolver, and nothing else on this path) to the written
//               app.loop.json. INCLUDED: loading that code, reading and parsing the TOML,
//               JSON Schema validation (running the validator ajv generated from
//               spec/app.loop.schema.json at build time, scripts/compile-schema.cjs), the
//               semantic checks (a stat of every source), loading node:crypto, reading and
//               SHA-256 hashing the 200 files, building and writing the graph.
//               NOT INCLUDED: Node's own start-up (see "process" and "node -e"), and
//               compiling the schema: no Loop process compiles it, the build does. What
//               compiling it at run time would cost is measured in the same cold process
//               right after the resolve and printed on its own line ("ajv.compile") and as
//               the sum, so both readings are visible.
//   process     wall time of that whole process (Node start included).
//   CLI         `node_modules/.bin/loop resolve <dir> -o <file>` wall time (it also loads the
//               CLI's argument handling and commands, dist/loop-rest.js).
// What a user would do instead, measured in the same run on the same files:
//   script      a hand-written Node script with the same libraries, as one would write it:
//               smol-toml parse, ajv compiling spec/app.loop.schema.json and validating,
//               readFileSync + sha256 of each source, JSON written (no semantic checks, no
//               positions) — in process and wall;
//   sha256sum   coreutils hashing the same 200 files (the floor of any tool that hashes them);
//   node        a bare Node start running an empty script file.
//   node tools/bench/manifest-resolve.mjs [--components 200] [--runs 15] [--size 16384]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { components: { type: 'string', default: '200' }, runs: { type: 'string', default: '15' }, size: { type: 'string', default: '16384' } } });
const N = Number(values.components), RUNS = Number(values.runs), SIZE = Number(values.size);
const repo = join(fileURLToPath(import.meta.url), '../../..');
const loader = join(repo, 'packages/nx-loop/dist/loop.cjs');
if (!existsSync(loader)) {
  console.error(`${loader} is missing: run \`npm run build\` at the root of the checkout`);
  process.exit(1);
}
const pkgRequire = createRequire(join(repo, 'packages/nx-loop/package.json'));

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

// Loop: the resolver of the bundle the CLI runs. With the argument `compile` (separate runs, so
// that the process wall time above is the resolve's alone), then, outside the measured span,
// what compiling the schema with ajv (the configuration the build uses: loading ajv,
// compiling, one validation) adds in the same process.
const loopProbe = `
const t0 = process.hrtime.bigint();
const loop = require(${JSON.stringify(loader)});
const { resolveApp, graphJson } = loop.load('resolve/resolve.js');
const g = resolveApp(${JSON.stringify(dir)}, { platform: 'native' });
require('fs').writeFileSync(${JSON.stringify(join(dir, 'app.loop.json'))}, graphJson(g));
const t1 = process.hrtime.bigint();
if (process.argv[2] === 'compile') {
  const { schemaAjv, loadSchema } = loop.load('manifest/schema.js');
  const validate = schemaAjv().compile(loadSchema());
  if (!validate({ app: { name: 'x', entry: 'x' }, components: { x: { source: 'x.wasm' } } })) throw new Error('ajv: ' + JSON.stringify(validate.errors));
}
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ ms: Number(t1 - t0) / 1e6, compile: Number(t2 - t1) / 1e6, stale: loop.stale, codeCacheRejected: loop.codeCacheRejected, scripts: loop.scripts ?? [] }));`;

// The hand-written alternative: same libraries, compiled schema at run time, no checks beyond the schema.
const scriptProbe = `
const t0 = process.hrtime.bigint();
const fs = require('fs'), path = require('path'), crypto = require('crypto');
const { parse } = require(${JSON.stringify(pkgRequire.resolve('smol-toml'))});
const Ajv = require(${JSON.stringify(pkgRequire.resolve('ajv'))}).default;
const dir = ${JSON.stringify(dir)};
const m = parse(fs.readFileSync(path.join(dir, 'app.loop.toml'), 'utf8'));
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false });
const validate = ajv.compile(JSON.parse(fs.readFileSync(${JSON.stringify(join(repo, 'spec/app.loop.schema.json'))}, 'utf8')));
if (!validate(m)) throw new Error(JSON.stringify(validate.errors));
const components = Object.entries(m.components).map(([name, c]) => {
  const file = path.resolve(dir, c.source);
  return { name, class: c.class ?? 'default', path: c.source, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'), config: c.config ?? {} };
});
fs.writeFileSync(path.join(dir, 'script.json'), JSON.stringify({ app: m.app, components }, null, 2));
process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));`;

// Each probe is a script file, run as `node <file>` like bin/loop.js (see the header).
const probeFile = (name, code) => {
  const file = join(dir, name);
  writeFileSync(file, code);
  return file;
};
const loopFile = probeFile('loop-probe.cjs', loopProbe);
const scriptFile = probeFile('script-probe.cjs', scriptProbe);
const emptyFile = probeFile('empty.cjs', '');
const wall = (cmd, args) => {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: dir });
  if (r.status) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return [Number(process.hrtime.bigint() - t) / 1e6, r.stdout];
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const files = readdirSync(join(dir, 'components')).map((f) => join('components', f));
const sha256sum = () => wall('sha256sum', files)[0];

// Warm the OS file cache once; every measured run is still a cold process.
wall(process.execPath, [loopFile]);
wall(process.execPath, [scriptFile]);
sha256sum();
const load0 = loadavg()[0];
const r = { loopIn: [], compile: [], withCompile: [], loopWall: [], scriptIn: [], scriptWall: [], sum: [], node: [], cli: [] };
let state = '';
for (let i = 0; i < RUNS; i++) {
  // Interleaved, so that a burst of load elsewhere hits every side alike.
  const [w, out] = wall(process.execPath, [loopFile]);
  state = JSON.parse(out);
  r.loopWall.push(w);
  r.loopIn.push(state.ms);
  const c = JSON.parse(wall(process.execPath, [loopFile, 'compile'])[1]);
  r.compile.push(c.compile);
  r.withCompile.push(c.ms + c.compile);
  const [sw, sout] = wall(process.execPath, [scriptFile]);
  r.scriptWall.push(sw);
  r.scriptIn.push(Number(sout));
  r.sum.push(sha256sum());
  r.node.push(wall(process.execPath, [emptyFile])[0]);
  const t = process.hrtime.bigint();
  execFileSync(join(repo, 'node_modules/.bin/loop'), ['resolve', dir, '-o', join(dir, 'cli.json')]);
  r.cli.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const load1 = loadavg()[0];
rmSync(dir, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]));
const f = (x) => x.toFixed(1).padStart(7);
const x = (a, b) => `${(a / b).toFixed(2)}×`;
const { stale, codeCacheRejected, scripts } = state;
console.log(`manifest: ${N} components of ${SIZE} B (${((N * SIZE) / 1048576).toFixed(1)} MiB hashed), ${RUNS} cold runs each, medians; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} (${availableParallelism()} cores, shared)`);
console.log(`  loader: dist/loop.cjs, ${stale ? 'STALE bundle (dist/ modules ran instead: run npm run build)' : `compiled ${scripts.join(' + ')}, code cache ${codeCacheRejected === null ? 'absent' : codeCacheRejected ? 'rejected by this Node' : 'used'}`}; schema validator generated at build time`);
console.log(`  loop parse+validate+resolve, in process:                 ${f(m.loopIn)} ms   target < 50 ms`);
console.log(`    + compiling the schema with ajv in that process (Loop does it at build time): ${f(m.compile)} ms; both together ${f(m.withCompile)} ms`);
console.log(`  hand-written script (smol-toml + ajv + sha256), in process: ${f(m.scriptIn)} ms   loop / script ${x(m.loopIn, m.scriptIn)}`);
console.log(`  loop resolver process, wall:                             ${f(m.loopWall)} ms`);
console.log(`  hand-written script process, wall:                       ${f(m.scriptWall)} ms   loop / script ${x(m.loopWall, m.scriptWall)}`);
console.log(`  node_modules/.bin/loop resolve -o, wall:                 ${f(m.cli)} ms`);
console.log(`  sha256sum of the ${N} files, wall:                        ${f(m.sum)} ms   loop process / sha256sum ${x(m.loopWall, m.sum)}`);
console.log(`  node empty.cjs (bare Node start), wall:                  ${f(m.node)} ms   loop process / bare node ${x(m.loopWall, m.node)}`);
