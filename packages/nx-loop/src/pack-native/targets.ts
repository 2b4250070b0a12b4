/**
 * Native targets: names, Rust triples, OS groups, and where their runtime hosts are cached.
 *
 *   linux   = linux-x64, linux-arm64
 *   windows = windows-x64
 *   macos   = macos-x64, macos-arm64
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LoopError } from '../errors';
import { loopCacheDir } from '../host';
import { CODES } from './codes';

export interface NativeTarget {
  name: string;
  triple: string;
  os: 'linux' | 'windows' | 'macos';
  /** `.tar.gz` or `.zip` */
  archive: 'tar.gz' | 'zip';
  /** `.exe` on Windows, empty elsewhere. */
  exe: string;
}

export const TARGETS: readonly NativeTarget[] = [
  { name: 'linux-x64', triple: 'x86_64-unknown-linux-gnu', os: 'linux', archive: 'tar.gz', exe: '' },
  { name: 'linux-arm64', triple: 'aarch64-unknown-linux-gnu', os: 'linux', archive: 'tar.gz', exe: '' },
  { name: 'windows-x64', triple: 'x86_64-pc-windows-gnu', os: 'windows', archive: 'zip', exe: '.exe' },
  { name: 'macos-x64', triple: 'x86_64-apple-darwin', os: 'macos', archive: 'tar.gz', exe: '' },
  { name: 'macos-arm64', triple: 'aarch64-apple-darwin', os: 'macos', archive: 'tar.gz', exe: '' },
];

export const GROUPS: Readonly<Record<string, readonly string[]>> = {
  linux: ['linux-x64', 'linux-arm64'],
  windows: ['windows-x64'],
  macos: ['macos-x64', 'macos-arm64'],
};

/** The target of the machine Loop runs on, if it is one of ours. */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const os = platform === 'win32' ? 'windows' : platform === 'darwin' ? 'macos' : platform === 'linux' ? 'linux' : undefined;
  const cpu = arch === 'x64' ? 'x64' : arch === 'arm64' ? 'arm64' : undefined;
  const name = os && cpu ? `${os}-${cpu}` : undefined;
  return TARGETS.some((t) => t.name === name) ? name : undefined;
}

/**
 * `linux,windows-x64` → the targets, in TARGETS order, each once. Accepts group names, target
 * names and Rust triples, comma- or space-separated, across several `--target` values.
 */
export function parseTargets(specs: string | string[], field = '--target'): NativeTarget[] {
  const words = (Array.isArray(specs) ? specs : [specs]).flatMap((s) => s.split(/[,\s]+/)).filter(Boolean);
  if (!words.length) {
    throw new LoopError({ code: CODES.unknownTarget, field, message: 'no target given', hint: `use a group (${Object.keys(GROUPS).join(', ')}) or a target (${TARGETS.map((t) => t.name).join(', ')})` });
  }
  const wanted = new Set<string>();
  const bad: string[] = [];
  for (const w of words) {
    const word = w.toLowerCase();
    if (GROUPS[word]) GROUPS[word].forEach((n) => wanted.add(n));
    else {
      const t = TARGETS.find((x) => x.name === word || x.triple === word);
      if (t) wanted.add(t.name);
      else bad.push(w);
    }
  }
  if (bad.length) {
    throw new LoopError(
      bad.map((b) => ({
        code: CODES.unknownTarget,
        field,
        message: `unknown target "${b}"`,
        hint: `use a group (${Object.keys(GROUPS).join(', ')}) or a target (${TARGETS.map((t) => t.name).join(', ')})`,
      })),
    );
  }
  return TARGETS.filter((t) => wanted.has(t.name));
}

/** `${LOOP_CACHE_DIR:-~/.cache/loop}/hosts` */
export function hostsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(loopCacheDir(env), 'hosts');
}

/** Where the prebuilt runtime host of a target lives (`LOOP_RUNTIME_HOST_<TARGET>` overrides it). */
export function runtimeHostPath(t: NativeTarget, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[`LOOP_RUNTIME_HOST_${t.name.toUpperCase().replace(/-/g, '_')}`];
  if (override) return path.resolve(override);
  return path.join(hostsDir(env), t.name, `loop-host${t.exe}`);
}

/** The runtime host of a target, or a LoopError saying what is missing and how to provide it. */
export function requireRuntimeHost(t: NativeTarget, env: NodeJS.ProcessEnv = process.env): string {
  const p = runtimeHostPath(t, env);
  if (fs.existsSync(p)) return p;
  throw t.os === 'macos' ? macosMissing(t, p) : runtimeMissing(t, p);
}

/** The error for a runtime host that has not been built. */
export function runtimeMissing(t: NativeTarget, p: string): LoopError {
  return new LoopError({
    code: CODES.runtimeMissing,
    field: t.name,
    file: p,
    message: `no runtime host for ${t.name} (${t.triple}): the prebuilt loop-host for this target has not been built`,
    hint: `build it with \`bash tools/setup/native-hosts.sh ${t.name}\` (cross-builds a runtime-only loop-host into ${path.dirname(p)})`,
  });
}

/** What a macOS runtime host needs that a Linux machine lacks. */
export function macosMissing(t: NativeTarget, p: string, precompiled = false): LoopError {
  return new LoopError({
    code: CODES.macosUnbuildable,
    field: t.name,
    file: p,
    message:
      `no runtime host for ${t.name} (${t.triple}), and this machine cannot build one: linking a macOS executable needs ` +
      `the Apple macOS SDK (libSystem and the system frameworks, from Xcode's command line tools) and a Mach-O linker (Xcode's ld64, ` +
      `or cargo-zigbuild with SDKROOT pointing at an unpacked MacOSX SDK) — neither is on this machine` +
      (precompiled ? `. The code for ${t.triple} was still precompiled (loop-host compile --target ${t.triple})` : ''),
    hint:
      `on a Mac with Xcode's command line tools (or with SDKROOT + cargo-zigbuild), build the runtime host with \`bash tools/setup/native-hosts.sh ${t.name}\` ` +
      `and put it at ${p} (or set LOOP_RUNTIME_HOST_${t.name.toUpperCase().replace(/-/g, '_')}=<path>), then pack again`,
  });
}
