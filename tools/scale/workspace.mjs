// Throwaway copies of this workspace for tests and benchmarks: a real `git clone` of the
// committed tree, node_modules hard-linked from the original (seconds, no download), Loop
// built. Options let a copy lack packages, to prove a tool never ran in it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(fileURLToPath(import.meta.url), '../../..');

/**
 * @param {string} dest  directory to create (must not exist)
 * @param {{ without?: string[], build?: boolean, commit?: string }} [opts]  `without`: node_modules
 *   entries to leave out; `commit`: check out this commit (e.g. to match another clone exactly)
 */
export function cloneWorkspace(dest, opts = {}) {
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, dest], { stdio: 'inherit' });
  if (opts.commit) execFileSync('git', ['checkout', '--quiet', opts.commit], { cwd: dest, stdio: 'inherit' });
  execFileSync('cp', ['-al', join(repoRoot, 'node_modules'), join(dest, 'node_modules')]);
  if (opts.build !== false) {
    // Loop's own dist/ is built per clone (it is not committed).
    rmSync(join(dest, 'packages/nx-loop/dist'), { recursive: true, force: true });
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dest, stdio: 'inherit' });
  }
  // Removed after the build: compiling Loop needs their type declarations, running tasks must not.
  for (const pkg of opts.without ?? []) rmSync(join(dest, 'node_modules', pkg), { recursive: true, force: true });
  return dest;
}

/**
 * Environment for running Nx in scripts: no daemon, no plugin isolation, no cloud, and no
 * colour (CI machines set FORCE_COLOR, which puts escape codes inside "> nx run" lines).
 * With `ws` (a clone made by cloneWorkspace), Nx keeps its cache and workspace data inside
 * that clone: Nx 23 otherwise shares one per-user directory (~/.nx/<workspace id>/) between
 * every checkout of the same repository, so a clone would read and write the cache of the
 * developer's own checkout (a "fresh" clone B would get local hits from clone A, and
 * `nx reset` in a clone would empty the checkout's cache), and its entries would outlive the
 * clone. `extra` wins over both.
 * @param {Record<string, string>} [extra]
 * @param {string} [ws]
 */
export function nxEnv(extra = {}, ws) {
  const own = ws ? { NX_CACHE_DIRECTORY: join(ws, '.nx/cache'), NX_WORKSPACE_DATA_DIRECTORY: join(ws, '.nx/workspace-data') } : {};
  const env = { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1', ...own, ...extra };
  delete env.FORCE_COLOR;
  return env;
}

export function ensureDir(p) {
  if (!existsSync(p)) mkdirSync(p, { recursive: true });
  return p;
}

/** The commit a clone is at. */
export function headOf(ws) {
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws, encoding: 'utf8' }).trim();
}
