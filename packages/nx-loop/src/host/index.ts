/**
 * Locating and building the native reference host (`host-templates/wasmtime-rust`, binary
 * `loop-host`). The host is built with cargo into the shared target dir
 * `${LOOP_CACHE_DIR:-$HOME/.cache/loop}/target` and rebuilt only when its sources (Rust, Cargo
 * files or the workspace `wit/`) are newer than the binary. `LOOP_HOST_BIN` overrides everything.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export type HostProfile = 'release' | 'debug';

export class HostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostError';
  }
}

/** `${LOOP_CACHE_DIR:-$HOME/.cache/loop}` */
export function loopCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOOP_CACHE_DIR && env.LOOP_CACHE_DIR.length > 0 ? env.LOOP_CACHE_DIR : join(homedir(), '.cache', 'loop');
}

/** The cargo target dir shared by every host build on this machine. */
export function hostTargetDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(loopCacheDir(env), 'target');
}

const EXE = process.platform === 'win32' ? 'loop-host.exe' : 'loop-host';

/** Where cargo puts the host binary for `profile`. */
export function hostBinaryPath(profile: HostProfile = 'release', env: NodeJS.ProcessEnv = process.env): string {
  return join(hostTargetDir(env), profile, EXE);
}

/**
 * The host template directory: `LOOP_HOST_TEMPLATE`, else the first `host-templates/wasmtime-rust`
 * found walking up from `from` (default: this file's directory).
 */
export function hostTemplateDir(from: string = __dirname, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LOOP_HOST_TEMPLATE) return resolve(env.LOOP_HOST_TEMPLATE);
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'host-templates', 'wasmtime-rust');
    if (existsSync(join(candidate, 'Cargo.toml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function newestMtime(path: string, skip: Set<string>): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (skip.has(name)) continue;
    newest = Math.max(newest, newestMtime(join(path, name), skip));
  }
  return newest;
}

/** True when the binary is missing or older than any host source (Rust, Cargo files, wit/). */
export function hostIsStale(template: string, binary: string): boolean {
  if (!existsSync(binary)) return true;
  const built = statSync(binary).mtimeMs;
  // Only what goes into the binary: tests and docs do not make it stale.
  const skip = new Set(['target', 'node_modules', '.git', 'tests', 'README.md']);
  const sources = [
    join(template, 'Cargo.toml'),
    join(template, 'Cargo.lock'),
    join(template, 'crates'),
    join(template, '..', '..', 'wit'),
  ];
  return sources.some((s) => newestMtime(s, skip) > built);
}

/** An existing host binary (`LOOP_HOST_BIN`, else release, else debug), without building. */
export function findHostBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LOOP_HOST_BIN) return existsSync(env.LOOP_HOST_BIN) ? env.LOOP_HOST_BIN : undefined;
  for (const profile of ['release', 'debug'] as const) {
    const p = hostBinaryPath(profile, env);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface EnsureHostOptions {
  profile?: HostProfile;
  env?: NodeJS.ProcessEnv;
  /** Where cargo's progress goes; default: inherit stderr. */
  stdio?: SpawnSyncOptions['stdio'];
}

/**
 * Returns a host binary that is up to date with its sources, building it with cargo when needed
 * (`cargo build [--release] --locked --bin loop-host`). Throws `HostError` with cargo's status
 * when the build fails or cargo is missing.
 */
export function ensureHostBinary(opts: EnsureHostOptions = {}): string {
  const env = opts.env ?? process.env;
  if (env.LOOP_HOST_BIN) {
    if (!existsSync(env.LOOP_HOST_BIN)) throw new HostError(`LOOP_HOST_BIN=${env.LOOP_HOST_BIN}: no such file`);
    return env.LOOP_HOST_BIN;
  }
  const profile = opts.profile ?? 'release';
  const binary = hostBinaryPath(profile, env);
  const template = hostTemplateDir(__dirname, env);
  if (!template) {
    if (existsSync(binary)) return binary;
    throw new HostError(
      'cannot find host-templates/wasmtime-rust to build the native host (set LOOP_HOST_TEMPLATE or LOOP_HOST_BIN)',
    );
  }
  if (!hostIsStale(template, binary)) return binary;
  // The dev host is built the way `cargo test` builds it (with the test targets), so both share
  // one feature set and one compiled Wasmtime; `cargo build` alone would resolve dev-dependency
  // features differently (resolver 2) and compile Wasmtime a second time.
  const args =
    profile === 'release'
      ? ['build', '--locked', '--release', '--bin', 'loop-host', '--manifest-path', join(template, 'Cargo.toml')]
      : ['test', '--no-run', '--locked', '--manifest-path', join(template, 'Cargo.toml')];
  const r = spawnSync('cargo', args, {
    env: { ...env, CARGO_TARGET_DIR: hostTargetDir(env) },
    stdio: opts.stdio ?? ['ignore', 'inherit', 'inherit'],
  });
  if (r.error) throw new HostError(`cannot run cargo to build the native host: ${r.error.message}`);
  if (r.status !== 0) {
    throw new HostError(`cargo ${args.join(' ')} failed with exit status ${r.status ?? r.signal}`);
  }
  if (!existsSync(binary)) throw new HostError(`cargo succeeded but ${binary} does not exist`);
  // cargo does not relink an up-to-date binary; mark it checked so the next run skips cargo.
  const now = new Date();
  utimesSync(binary, now, now);
  return binary;
}

/**
 * Runs `loop-host run <target> ...args` with inherited stdio and returns its exit status (signals
 * map to 128+n). Errors printed by the host reach the user unchanged.
 */
export function runHost(target: string, args: string[] = [], opts: EnsureHostOptions & { hostArgs?: string[] } = {}): number {
  const binary = ensureHostBinary(opts);
  const r = spawnSync(binary, ['run', ...(opts.hostArgs ?? []), target, ...(args.length ? ['--', ...args] : [])], {
    env: opts.env ?? process.env,
    stdio: 'inherit',
  });
  if (r.error) throw new HostError(`cannot start ${binary}: ${r.error.message}`);
  if (r.status !== null) return r.status;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6 };
  return 128 + (signals[r.signal ?? ''] ?? 1);
}
