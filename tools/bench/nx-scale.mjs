#!/usr/bin/env node
// Benchmark: Nx inference at scale (issue #7: "nx show projects time at 20 and 200 apps;
// inference of 200 apps under 2 s"). In a throwaway clone, generates 3, 20 and 200 apps that
// share the example components, then times
//   - `nx show projects` as a user runs it (a new nx process each time, no daemon; after
//     `nx reset`, and warm = the median of --runs), with the CPU time it used, and
//   - the inference function itself, in process, over every manifest and marker Nx hands it
//     (the workspace globbed for `**/{app.loop.toml,loop.component.toml}` minus the plugin's
//     `exclude` from nx.json; the generated apps under scale/ are git-ignored but un-hidden for
//     Nx by .nxignore, so `git ls-files` would miss them).
// Then the same `nx show projects` with the @loop/nx plugin removed from nx.json: Nx's own cost,
// the floor no plugin can go under.
// On a loaded machine wall time is mostly waiting for a CPU: compare wall with CPU (user+sys
// of the nx process and its children) and the load average printed with the results.
//   node tools/bench/nx-scale.mjs [--runs 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { cloneWorkspace, nxEnv } from '../scale/workspace.mjs';
import { generateApps } from '../scale/generate.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const TARGET_SHOW_MS = 2000; // issue #7: inference of 200 apps (what `nx show projects` costs) under 2 s
const TARGET_INFER_MS = 200;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
const ws = cloneWorkspace(join(mkdtempSync(join(tmpdir(), 'loop-nx-scale-')), 'ws'));
const nx = join(ws, 'node_modules/.bin/nx');
const require = createRequire(join(ws, 'package.json'));
const { minimatch } = require('minimatch');
const { createNodes } = require(join(ws, 'packages/nx-loop/dist/plugin/create-nodes.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** CPU time (ms) of this process's waited-for children: /proc/self/stat cutime + cstime. */
const childCpu = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').slice(readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // fields 16, 17 of stat(5); USER_HZ = 100
};
/** One `nx show projects`: wall ms, CPU ms, the projects it listed. */
const show = () => {
  const c = childCpu();
  const t = process.hrtime.bigint();
  const out = execFileSync(nx, ['show', 'projects'], { cwd: ws, env: nxEnv({}, ws), encoding: 'utf8' });
  return { wall: Number(process.hrtime.bigint() - t) / 1e6, cpu: childCpu() - c, projects: out.trim().split('\n').length };
};
const showRuns = () => {
  execFileSync(nx, ['reset'], { cwd: ws, env: nxEnv({}, ws), stdio: 'ignore' }); // the clone's own cache (nxEnv), not the checkout's
  const cold = show();
  const warm = Array.from({ length: RUNS }, show);
  return { cold, warm: { wall: median(warm.map((r) => r.wall)), cpu: median(warm.map((r) => r.cpu)), projects: warm[0].projects } };
};

// The files Nx gives the plugin: every manifest/marker in the workspace, minus the plugin's
// `exclude` (nx.json). Nx skips git-ignored dirs unless .nxignore un-hides them (scale/ is);
// here only node_modules, .git and .nx are skipped outright, which holds no manifest of ours.
const nxJson = JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8'));
const exclude = nxJson.plugins.find((p) => (p.plugin ?? p) === '@loop/nx')?.exclude ?? [];
const NAMES = new Set(['app.loop.toml', 'loop.component.toml']);
function manifests(dir = ws, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!['node_modules', '.git', '.nx'].includes(e.name)) manifests(join(dir, e.name), out);
    } else if (NAMES.has(e.name)) {
      const rel = relative(ws, join(dir, e.name)).split(sep).join('/');
      if (minimatch(rel, createNodes[0], { dot: true }) && !exclude.some((x) => minimatch(rel, x, { dot: true }))) out.push(rel);
    }
  }
  return out;
}
const inferMs = async (files) => {
  const ctx = { workspaceRoot: ws, nxJsonConfiguration: nxJson };
  const times = [];
  let projects = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const results = await createNodes[1](files, {}, ctx);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    projects = results.length;
  }
  if (projects !== files.length) throw new Error(`inference returned ${projects} results for ${files.length} files`);
  return median(times);
};

const rows = {};
for (const n of [3, 20, 200]) {
  rmSync(join(ws, 'scale'), { recursive: true, force: true });
  generateApps(ws, n);
  const files = manifests();
  const generated = files.filter((f) => f.startsWith('scale/')).length;
  if (generated !== n) throw new Error(`found ${generated} generated manifests under scale/, expected ${n}`);
  rows[n] = { ...showRuns(), infer: await inferMs(files), files: files.length };
}
// Nx alone (the plugin removed from nx.json), 200 apps still on disk.
writeFileSync(join(ws, 'nx.json'), JSON.stringify({ ...nxJson, plugins: nxJson.plugins.filter((p) => (p.plugin ?? p) !== '@loop/nx') }, null, 2));
const bare = showRuns();
const loadAfter = load();

const ms = (x) => `${x.toFixed(0)} ms`;
const wc = (r) => `${ms(r.wall).padStart(8)} (cpu ${ms(r.cpu).padStart(7)})`;
console.log(`load average (1/5/15 min): before ${loadBefore}, after ${loadAfter}; ${RUNS} runs per warm figure (median)`);
console.log('apps  projects  manifests+markers  nx show projects after nx reset   warm                     inference in process');
for (const [n, r] of Object.entries(rows)) {
  console.log(`${n.padStart(4)}  ${String(r.warm.projects).padStart(8)}  ${String(r.files).padStart(17)}  ${wc(r.cold).padStart(31)}  ${wc(r.warm)}  ${ms(r.infer).padStart(8)}`);
}
console.log(`  Nx without @loop/nx (200 apps on disk): ${bare.warm.projects} projects, after nx reset ${wc(bare.cold)}, warm ${wc(bare.warm)}`);
const verdict = (x, target) => `${ms(x)} ${x < target ? '<' : '>='} ${ms(target)}: ${x < target ? 'PASS' : 'FAIL'}`;
console.log(`nx show projects,  20 apps: warm ${ms(rows[20].warm.wall)} (cpu ${ms(rows[20].warm.cpu)}), after nx reset ${ms(rows[20].cold.wall)}`);
console.log(`nx show projects, 200 apps: warm ${verdict(rows[200].warm.wall, TARGET_SHOW_MS)} (cpu ${ms(rows[200].warm.cpu)}); after nx reset ${ms(rows[200].cold.wall)}`);
console.log(`  @loop/nx's share at 200 apps (warm, with − without the plugin): wall ${ms(rows[200].warm.wall - bare.warm.wall)}, cpu ${ms(rows[200].warm.cpu - bare.warm.cpu)}`);
console.log(`inference in process, 200 apps (${rows[200].files} manifests+markers): ${verdict(rows[200].infer, TARGET_INFER_MS)}`);
console.log(`ratio 200 apps / 3 apps, nx show projects warm: wall ${(rows[200].warm.wall / rows[3].warm.wall).toFixed(2)}x, cpu ${(rows[200].warm.cpu / rows[3].warm.cpu).toFixed(2)}x (target ≤ 1.5x)`);
rmSync(join(ws, '..'), { recursive: true, force: true });
