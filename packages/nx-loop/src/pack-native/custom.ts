/**
 * pack-native for an app whose manifest names its own host (`[targets] native-host`, a project
 * made by `loop host new --template native-wasmtime`): instead of `loop-host pack`, the host is
 * built with its scripts/build.mjs — the graph and every component compiled in (include_bytes!),
 * so the executable needs no payload — through src/host/custom.ts (the same build and freshness
 * stamp `loop run` uses: a host `loop run` already built for this graph is not built again).
 *
 *   <out>/<target>/<app>                  the host executable (the app inside; debug info stripped)
 *   <out>/<app>-<target>.tar.gz | .zip    dir bundle: <app>[.exe] + plugins/ + SHA256SUMS, + .sha256
 *
 * Only this machine's target is built: another target needs a cross linker and a standard
 * library built for it (what tools/setup/native-hosts.sh sets up for loop-host), which the
 * template's build does not do yet; such a target is a problem (LOOP816), not a guess.
 *
 * Profile: `debug` (default) is cargo's dev profile, the one build.mjs uses without --release
 * (dependencies at opt-level 2), whose Wasmtime is already in the shared target dir; `release`
 * compiles Wasmtime again in release the first time (~20+ min on 2 cores).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { isLoopError, LoopError, type Diagnostic } from '../errors';
import { ensureCustomHost, type CustomHost, type CustomHostProfile } from '../host/custom';
import { graphJson, resolveApp, type ResolvedGraph } from '../resolve/resolve';
import { directoryEntries, tarGz, writeWithChecksum, zip } from './archive';
import { CODES } from './codes';
import { isComponentFileName } from '../manifest/component-marker';
import { hostTarget, type NativeTarget } from './targets';
import type { TargetResult } from './index';

export interface CustomPackInput {
  host: CustomHost;
  manifest: string;
  /** The graph resolved with paths relative to the manifest dir. */
  graph: ResolvedGraph;
  targets: NativeTarget[];
  outDir: string;
  profile?: string;
  set?: string[];
  cwd: string;
  release?: boolean;
  level?: number;
  env?: NodeJS.ProcessEnv;
}

/** A target packed with the app's own host: its file is that host, so `hostBytes` = `fileBytes`. */
export type CustomTargetResult = TargetResult & { custom: NonNullable<TargetResult['custom']> };

/**
 * Drops the debug info of a packed copy (`strip --strip-debug`, binutils): the dev profile's
 * executable is ~450 MB with it, ~40 MB without; the code is the same. False when strip is
 * not installed or fails (the copy is then left as it is).
 */
function stripDebug(file: string, env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync(env.STRIP || 'strip', ['--strip-debug', file], { env, stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** What building a custom host for `t` (not this machine's target) would need. */
export function customCrossMissing(t: NativeTarget, host: CustomHost, here: string | undefined): Diagnostic {
  const linkerVar = `CARGO_TARGET_${t.triple.toUpperCase().replace(/-/g, '_')}_LINKER`;
  return {
    code: CODES.customHostTarget,
    field: `--target ${t.name}`,
    message:
      `custom host '${host.name}' ([targets] native-host): ${t.name} not supported yet — custom hosts are built for this machine's target only` +
      ` (${here ?? `${process.platform}-${process.arch}, which is not a Loop target`})`,
    hint:
      `building it for ${t.triple} needs a cross linker (${linkerVar}) and the standard library built for that target ` +
      `(RUSTC_BOOTSTRAP=1 cargo -Zbuild-std), as tools/setup/native-hosts.sh sets up for loop-host` +
      (t.os === 'macos' ? ', plus a macOS SDK and linker (not available on Linux)' : '') +
      `; pack on a ${t.name} machine, or drop [targets] native-host to pack with the prebuilt loop-host`,
  };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Builds (when stale) and packs the custom host for each target; returns results and problems. */
export function packCustom(input: CustomPackInput, onTarget?: (r: CustomTargetResult) => void): { packed: CustomTargetResult[]; problems: Diagnostic[] } {
  const { host, manifest, graph, targets, outDir } = input;
  const manifestDir = path.dirname(manifest);
  const here = hostTarget();
  const profile: CustomHostProfile = input.release ? 'release' : 'debug';
  const packed: CustomTargetResult[] = [];
  const problems: Diagnostic[] = [];
  const app = graph.app.name;
  // The plugin dir where the host looks for it: relative to the executable as it is to the
  // app; checked before anything is built.
  const pluginsRel = graph.plugins ? path.normalize(graph.plugins.dir) : 'plugins';
  if (path.isAbsolute(pluginsRel) || pluginsRel.split(path.sep)[0] === '..') {
    const e = new LoopError({
      code: CODES.customBundle,
      field: 'plugins.dir',
      file: manifest,
      message: `the plugin dir ${graph.plugins!.dir} is outside the app dir: the dir bundle cannot hold it where the host looks for it (relative to the executable)`,
      hint: 'move the plugin dir inside the app dir',
    });
    return { packed, problems: e.diagnostics };
  }
  let built: { exe: string; built: boolean } | null = null;
  for (const t of targets) {
    const file = path.join(outDir, t.name, `${app}${t.exe}`);
    const archive = path.join(outDir, `${app}-${t.name}.${t.archive}`);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    fs.rmSync(archive, { force: true });
    fs.rmSync(`${archive}.sha256`, { force: true });
    if (t.name !== here) {
      problems.push(customCrossMissing(t, host, here));
      continue;
    }
    const started = process.hrtime.bigint();
    try {
      if (!built) {
        // The graph exactly as `loop run` writes it (same file, same text), so the host's
        // freshness stamp is shared: whichever of the two built it last, the other reuses it.
        const graphFile = path.join(manifestDir, '.loop', 'native', 'app.loop.json');
        const forHost = resolveApp(manifest, { platform: 'native', profile: input.profile, set: input.set, outDir: path.dirname(graphFile), cwd: input.cwd });
        fs.mkdirSync(path.dirname(graphFile), { recursive: true });
        fs.writeFileSync(graphFile, graphJson(forHost));
        built = ensureCustomHost(host, graphFile, manifestDir, { profile, env: input.env });
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.copyFileSync(built.exe, `${file}.tmp`);
      fs.chmodSync(`${file}.tmp`, 0o755);
      const stripped = stripDebug(`${file}.tmp`, input.env ?? process.env);
      fs.renameSync(`${file}.tmp`, file);

      const bundleName = `${app}-${t.name}`;
      const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-pack-custom-'));
      try {
        const bundle = path.join(stage, bundleName);
        fs.mkdirSync(bundle);
        const exeName = `${app}${t.exe}`;
        fs.copyFileSync(file, path.join(bundle, exeName));
        fs.chmodSync(path.join(bundle, exeName), 0o755);
        // The plugin dir where the host looks for it: relative to the executable as it is to the app.
        const listed: string[] = [exeName];
        fs.mkdirSync(path.join(bundle, pluginsRel), { recursive: true });
        const pluginsSrc = path.resolve(manifestDir, pluginsRel);
        if (graph.plugins && fs.existsSync(pluginsSrc)) {
          for (const f of fs.readdirSync(pluginsSrc).sort()) {
            if (!isComponentFileName(f) || f.startsWith('.') || !fs.statSync(path.join(pluginsSrc, f)).isFile()) continue;
            // Byte for byte (signed plugins are verified again by the host).
            fs.copyFileSync(path.join(pluginsSrc, f), path.join(bundle, pluginsRel, f));
            listed.push(path.posix.join(pluginsRel.split(path.sep).join('/'), f));
          }
        }
        const sums = listed
          .sort()
          .map((rel) => `${sha256(fs.readFileSync(path.join(bundle, rel)))}  ${rel}\n`)
          .join('');
        fs.writeFileSync(path.join(bundle, 'SHA256SUMS'), sums);
        const entries = directoryEntries(bundle, bundleName);
        const level = input.level ?? 1;
        const data = t.archive === 'zip' ? zip(entries, level) : tarGz(entries, level);
        const archiveSha256 = writeWithChecksum(archive, data);
        const fileBytes = fs.statSync(file).size;
        const r: CustomTargetResult = {
          target: t.name,
          triple: t.triple,
          file,
          fileBytes,
          archive,
          archiveBytes: data.length,
          archiveSha256,
          hostBytes: fileBytes,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          custom: { name: host.name, dir: host.dir, profile, built: built.built, stripped },
        };
        packed.push(r);
        onTarget?.(r);
      } finally {
        fs.rmSync(stage, { recursive: true, force: true });
      }
    } catch (e) {
      if (!isLoopError(e)) throw e;
      problems.push(...e.diagnostics);
    }
  }
  return { packed, problems };
}
