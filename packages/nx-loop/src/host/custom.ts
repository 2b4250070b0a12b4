/**
 * A custom native host (`[targets] native-host` of an app: a project made by `loop host new
 * --template native-wasmtime`) used by `loop run`: built with its own scripts/build.mjs when its
 * sources or the app's resolved graph changed since `loop run` last built it, then run with
 * `LOOP_APP_DIR=<app dir>` and the entry's arguments.
 *
 * Freshness: next to the executable, `<exe>.loop-run.json` records the sha256 of the graph it
 * was built from (the graph carries every component's sha256) and the profile. The host is
 * rebuilt when that stamp is missing or differs, when the executable is newer than the stamp
 * (someone else built it, maybe from another graph), or when a source is newer than the stamp:
 * the host project (Cargo.*, build.rs, loop.host.json, src/, wit/) and the loop-host crate it
 * depends on (with its Cargo.lock and Loop's wit/).
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { LoopError } from '../errors';
import { readManifest } from '../manifest/load';

export type CustomHostProfile = 'debug' | 'release';

export const CUSTOM_HOST_CODES = { notAHost: 'LOOP022', buildFailed: 'LOOP023', cannotStart: 'LOOP024' } as const;

export interface CustomHost {
  /** The host project directory (absolute). */
  dir: string;
  /** Its binary's name (Cargo.toml `[[bin]]`, else the package name). */
  name: string;
  /** Where scripts/build.mjs puts the executable: `<out of loop.host.json>/<name>[.exe]`. */
  exe: string;
  /** The loop-host crate it depends on (absolute), when Cargo.toml names it by path. */
  loopHostCrate: string | null;
}

const isFile = (p: string) => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Reads the host project at `dir` (`label`: how the user named it, for errors). */
export function readCustomHost(dir: string, label = dir): CustomHost {
  const notAHost = (why: string) =>
    new LoopError({
      code: CUSTOM_HOST_CODES.notAHost,
      file: label,
      message: `not a native-wasmtime host project: ${why}`,
      hint: 'point [targets] native-host at a directory made by `loop host new <name> --template native-wasmtime`',
    });
  let config: { template?: unknown; out?: unknown };
  try {
    config = JSON.parse(fs.readFileSync(path.join(dir, 'loop.host.json'), 'utf8'));
  } catch (e) {
    throw notAHost(`cannot read loop.host.json (${(e as Error).message})`);
  }
  if (config.template !== 'native-wasmtime') throw notAHost(`loop.host.json has template ${JSON.stringify(config.template ?? null)}`);
  if (!isFile(path.join(dir, 'scripts', 'build.mjs'))) throw notAHost('it has no scripts/build.mjs');
  let cargo: Record<string, unknown>;
  try {
    cargo = parse(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw notAHost(`cannot read Cargo.toml (${(e as Error).message})`);
  }
  const bins = (cargo.bin ?? []) as { name?: string }[];
  const name = bins[0]?.name ?? (cargo.package as { name?: string } | undefined)?.name;
  if (typeof name !== 'string' || !name) throw notAHost('Cargo.toml names no binary');
  const out = path.resolve(dir, typeof config.out === 'string' && config.out ? config.out : 'dist');
  const dep = (cargo.dependencies as Record<string, { path?: string }> | undefined)?.['loop-host'];
  const loopHostCrate = typeof dep?.path === 'string' ? path.resolve(dir, dep.path) : null;
  return { dir, name, exe: path.join(out, process.platform === 'win32' ? `${name}.exe` : name), loopHostCrate };
}

/**
 * The custom native host an app's manifest names (`[targets] native-host`, relative to the
 * manifest), or null. Call it on a manifest that passed its checks (LOOP218 covers a bad dir).
 */
export function nativeHostOfApp(manifestFile: string): CustomHost | null {
  const targets = (readManifest(manifestFile).data as { targets?: { 'native-host'?: unknown } }).targets;
  const host = targets?.['native-host'];
  if (typeof host !== 'string' || !host) return null;
  return readCustomHost(path.resolve(path.dirname(manifestFile), host), host);
}

const SKIP = new Set(['target', 'dist', 'node_modules', '.git', 'tests', 'fuzz', 'README.md']);

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) if (!SKIP.has(name)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

/** The files whose change makes the host stale (besides the graph). */
export function customHostSources(host: CustomHost): string[] {
  const own = ['Cargo.toml', 'Cargo.lock', 'build.rs', 'loop.host.json', 'src', 'wit'].map((f) => path.join(host.dir, f));
  if (!host.loopHostCrate) return own;
  const crate = host.loopHostCrate;
  return [...own, crate, path.join(crate, '..', '..', 'Cargo.toml'), path.join(crate, '..', '..', 'Cargo.lock'), path.join(crate, '..', '..', '..', '..', 'wit')];
}

interface Stamp {
  graph: string;
  profile: CustomHostProfile;
}

const stampFile = (host: CustomHost) => `${host.exe}.loop-run.json`;

/** Why the host must be (re)built for `graphText`, or null when its executable is up to date. */
export function customHostStaleness(host: CustomHost, graphText: string, profile: CustomHostProfile): string | null {
  if (!isFile(host.exe)) return `${host.exe} does not exist`;
  let stamp: Stamp;
  let stampTime: number;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile(host), 'utf8'));
    stampTime = fs.statSync(stampFile(host)).mtimeMs;
  } catch {
    return 'not built by loop run yet';
  }
  if (stamp.graph !== sha256(graphText)) return 'the app changed';
  if (stamp.profile !== profile) return `built as ${stamp.profile}`;
  if (fs.statSync(host.exe).mtimeMs > stampTime) return 'the executable was rebuilt since';
  if (customHostSources(host).some((s) => newestMtime(s) > stampTime)) return 'its sources changed';
  return null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface EnsureCustomHostOptions {
  profile?: CustomHostProfile;
  /** stdio of build.mjs (cargo's progress); default: its stdout and stderr to our stderr. */
  stdio?: SpawnSyncOptions['stdio'];
  env?: NodeJS.ProcessEnv;
}

/**
 * Returns the host's executable, built for the graph at `graphFile` (app root `appDir`) with
 * `node <host>/scripts/build.mjs --graph <graphFile> --app-root <appDir> [--release]` when stale.
 */
export function ensureCustomHost(host: CustomHost, graphFile: string, appDir: string, opts: EnsureCustomHostOptions = {}): { exe: string; built: boolean } {
  const profile = opts.profile ?? 'debug';
  const graphText = fs.readFileSync(graphFile, 'utf8');
  if (customHostStaleness(host, graphText, profile) === null) return { exe: host.exe, built: false };
  const args = [path.join(host.dir, 'scripts', 'build.mjs'), '--graph', graphFile, '--app-root', appDir, ...(profile === 'release' ? ['--release'] : [])];
  const r = spawnSync(process.execPath, args, { cwd: host.dir, env: opts.env ?? process.env, stdio: opts.stdio ?? ['ignore', process.stderr, process.stderr] });
  if (r.error || r.status !== 0 || !isFile(host.exe)) {
    throw new LoopError({
      code: CUSTOM_HOST_CODES.buildFailed,
      file: host.dir,
      message: `building the app's native host failed (${r.error ? r.error.message : `node scripts/build.mjs exited with ${r.status ?? r.signal}`})`,
      hint: `its errors are above; build it by hand with: cd ${host.dir} && node scripts/build.mjs`,
    });
  }
  const stamp: Stamp = { graph: sha256(graphText), profile };
  fs.writeFileSync(stampFile(host), JSON.stringify(stamp) + '\n');
  return { exe: host.exe, built: true };
}

/**
 * Builds the host when needed and runs it like `loop run` runs loop-host: inherited stdio, the
 * entry's arguments, `LOOP_APP_DIR=<appDir>` (where the app's relative paths point); returns its
 * exit status (signals map to 128+n).
 */
export function runCustomHost(
  host: CustomHost,
  graphFile: string,
  appDir: string,
  args: string[] = [],
  opts: EnsureCustomHostOptions & { runStdio?: SpawnSyncOptions['stdio'] } = {},
): number {
  const { exe } = ensureCustomHost(host, graphFile, appDir, opts);
  const r = spawnSync(exe, args, { env: { ...(opts.env ?? process.env), LOOP_APP_DIR: appDir }, stdio: opts.runStdio ?? 'inherit' });
  if (r.error) {
    throw new LoopError({ code: CUSTOM_HOST_CODES.cannotStart, file: exe, message: `cannot start the app's native host: ${r.error.message}`, hint: `rebuild it: cd ${host.dir} && node scripts/build.mjs` });
  }
  if (r.status !== null) return r.status;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6 };
  return 128 + (signals[r.signal ?? ''] ?? 1);
}
