#!/usr/bin/env node
// Benchmark: Nx inference at scale. In a throwaway clone, generates 3, 20 and 200 apps that
// share the example components, then times
//   - `nx show projects` as a user runs it (cold process; after `nx reset` and warm), and
//   - the inference function itself, in process, over every manifest and marker.
// Prints each figure and the ratios 200 apps / 3 apps (target ≤ 1.5×) — Nx's own cost with
// 3 apps is the baseline a user would otherwise pay.
//   node tools/bench/nx-scale.mjs [--runs 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { cloneWorkspace, nxEnv } from '../scale/workspace.mjs';
import { generateApps } from '../scale/generate.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const ws = cloneWorkspace(join(mkdtempSync(join(tmpdir(), 'loop-nx-scale-')), 'ws'));
const nx = join(ws, 'node_modules/.bin/nx');
const time = (fn) => { const t = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t) / 1e6; };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const show = () => execFileSync(nx, ['show', 'projects'], { cwd: ws, env: nxEnv(), encoding: 'utf8' });

const require = createRequire(import.meta.url);
const { createNodes } = require(join(ws, 'packages/nx-loop/dist/plugin/create-nodes.js'));
const rows = {};
for (const n of [3, 20, 200]) {
  rmSync(join(ws, 'scale'), { recursive: true, force: true });
  generateApps(ws, n);
  execFileSync(nx, ['reset'], { cwd: ws, env: nxEnv(), stdio: 'ignore' });
  const cold = time(show);
  const projects = show().trim().split('\n').length;
  const warm = median(Array.from({ length: RUNS }, () => time(show)));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*app.loop.toml', '*loop.component.toml'], { cwd: ws, encoding: 'utf8' })
    .trim().split('\n').filter((f) => !f.startsWith('spec/'));
  const infer = median(Array.from({ length: RUNS }, () => time(() => createNodes[1](files, {}, { workspaceRoot: ws, nxJsonConfiguration: {} }))));
  rows[n] = { cold, warm, infer, projects, files: files.length };
}
const f = (x) => `${x.toFixed(0).padStart(6)} ms`;
console.log('apps  projects  manifests+markers  nx show projects (after nx reset)  (warm)   inference in process');
for (const [n, r] of Object.entries(rows)) console.log(`${n.padStart(4)}  ${String(r.projects).padStart(8)}  ${String(r.files).padStart(17)}  ${f(r.cold).padStart(33)}  ${f(r.warm)}  ${f(r.infer)}`);
console.log(`ratio 200 apps / 3 apps, nx show projects: cold ${(rows[200].cold / rows[3].cold).toFixed(2)}x, warm ${(rows[200].warm / rows[3].warm).toFixed(2)}x (target ≤ 1.5x)`);
console.log(`inference of 200 apps in process: ${rows[200].infer.toFixed(0)} ms (target < 200 ms); nx show projects with 200 apps: ${rows[200].warm.toFixed(0)} ms (target < 2 s)`);
rmSync(join(ws, '..'), { recursive: true, force: true });
