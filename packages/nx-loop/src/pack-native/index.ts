/**
 * pack-native: an app → per-target native artifacts, thin over `loop-host pack` (the dev host
 * owns the payload format, spec/native-payload.md):
 *
 *   <out>/<target>/<app>[.exe]            single file: runtime host + payload (graph, components,
 *                                         code precompiled for the target)
 *   <out>/<app>-<target>.tar.gz | .zip    the dir bundle (tar.gz for linux/macos, zip for windows)
 *   <out>/<app>-<target>.tar.gz.sha256    `sha256sum -c` format
 *
 * `<out>` defaults to `dist/<app dir relative to the workspace>/native`. Each target's runtime
 * host is the prebuilt, compiler-less loop-host at `${LOOP_CACHE_DIR:-~/.cache/loop}/hosts/<target>/`
 * (tools/setup/native-hosts.sh builds them). A target that cannot be packed does not stop the
 * others; its problem is returned (and thrown by the CLI / executor after the summary).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLoopError, LoopError, type Diagnostic } from '../errors';
import { ensureHostBinary, HostError, loopCacheDir, type HostProfile } from '../host';
import { manifestPath } from '../manifest/load';
import { isComponentFileName } from '../manifest/component-marker';
import { graphJson, resolveApp, type ResolvedGraph } from '../resolve/resolve';
import { nativeHostOfApp, type CustomHostProfile } from '../host/custom';
import { verifyForPack } from '../signing/pack';
import { directoryEntries, readSums, writeArchive } from './archive';
import { CODES } from './codes';
import { packCustom } from './custom';
import { hostTarget, macosMissing, parseTargets, runtimeHostPath, runtimeMissing, type NativeTarget } from './targets';
import { appDistDir, workspaceRoot } from '../pack-web';

export { CODES } from './codes';
export { customCrossMissing } from './custom';
export { GROUPS, TARGETS, hostTarget, parseTargets, runtimeHostPath, hostsDir, type NativeTarget } from './targets';
export { tar, tarGz, zip, directoryEntries, readSums, writeArchive, ARCHIVE_EPOCH } from './archive';

export interface PackNativeOptions {
  /** Groups / target names / triples (`linux,windows-x64`); default: this machine's target. */
  targets?: string | string[];
  /** Output directory; default `dist/<app dir relative to the workspace>/native`. */
  out?: string;
  profile?: string;
  set?: string[];
  cwd?: string;
  /** Workspace root for the default output dir (default: the nearest dir with nx.json). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Called when a target is done (for progress lines). */
  onTarget?: (r: TargetResult) => void;
  /**
   * gzip / deflate level of the archives (default 1: precompiled code makes payloads of ~100 MB,
   * where level 6 takes ~3× as long as level 1 for ~10% less).
   */
  level?: number;
  /**
   * Where deflated pieces of the bundles' large files are cached by sha256 (archive.ts); default
   * `$LOOP_DEFLATE_CACHE`, else `${LOOP_CACHE_DIR:-~/.cache/loop}/deflate`; `false` (or
   * LOOP_NO_CODE_CACHE=1) for none.
   */
  archiveCache?: string | false;
  /**
   * Only for an app with its own host (`[targets] native-host`): build that host with cargo's
   * release profile instead of the dev profile its build.mjs uses by default (the first release
   * build compiles Wasmtime again: ~20+ min on 2 cores).
   */
  release?: boolean;
}

export interface TargetResult {
  target: string;
  triple: string;
  /** The single-file executable. */
  file: string;
  fileBytes: number;
  /** The dir bundle's archive and its `.sha256`. */
  archive: string;
  archiveBytes: number;
  archiveSha256: string;
  /** The runtime host alone, for comparison. */
  hostBytes: number;
  /** Wall time of this target: single file + bundle + archive. */
  ms: number;
  /**
   * Set when the app has its own host (`[targets] native-host`): the file is that host built
   * with the app compiled in (no payload); `hostBytes` is then the same as `fileBytes`.
   */
  custom?: { name: string; dir: string; profile: CustomHostProfile; built: boolean; stripped: boolean };
}

export interface PackNativeResult {
  outDir: string;
  graph: ResolvedGraph;
  packed: TargetResult[];
  /** Targets whose payload/precompile step ran though their executable could not be made (macOS here). */
  precompiledOnly: string[];
  /** What stopped a target; empty when every target was packed. */
  problems: Diagnostic[];
  /** Signature check lines (verified / unchecked). */
  signatures: string[];
}

// The workspace root and dist/ layout are pack-web's (one place for both packers).
export { workspaceRoot };

/** `dist/<app dir relative to the workspace>/native` */
export function defaultNativeDir(manifestDir: string, root: string): string {
  return appDistDir(manifestDir, root, 'native');
}

/** File names of a target's artifacts inside the output dir. */
export function artifactNames(app: string, t: NativeTarget): { file: string; archive: string; bundle: string } {
  return { file: `${t.name}/${app}${t.exe}`, archive: `${app}-${t.name}.${t.archive}`, bundle: `${app}-${t.name}` };
}

/** The dev host: `loop-host` built like `cargo test` builds it (the one with the compiler). */
export function devHost(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return ensureHostBinary({ profile: (env.LOOP_HOST_PROFILE as HostProfile | undefined) ?? 'debug', env, stdio: ['ignore', process.stderr, 'inherit'] });
  } catch (e) {
    if (e instanceof HostError) {
      throw new LoopError({ code: CODES.devHostMissing, message: e.message, hint: 'run `bash tools/setup/install.sh` (it builds the host with cargo), or set LOOP_HOST_BIN to a built loop-host' });
    }
    throw e;
  }
}

/** Runs the dev host; a failure becomes a LoopError carrying the host's own message. */
export function runDevHost(host: string, args: string[], what: string, env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(host, args, { env: { ...env, LOOP_QUIET: '1' }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new LoopError({ code: CODES.packFailed, file: host, message: `cannot start the dev host: ${r.error.message}`, hint: 'set LOOP_HOST_BIN to a built loop-host' });
  if (r.status !== 0) {
    const lines = `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean);
    throw new LoopError({
      code: CODES.packFailed,
      field: what,
      message: `loop-host ${args[0]} failed (exit ${r.status ?? r.signal}): ${lines.slice(-5).join(' | ') || '(no message)'}`,
      hint: `command: ${[host, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
    });
  }
}

/**
 * The graph `loop-host pack` reads: component paths and the plugin dir absolute (where to read
 * files from), capability paths (fs root, kv/log path) as the manifest wrote them — relative
 * to the app, which is what the packed app resolves them against when it runs.
 */
export function stagedGraph(graph: ResolvedGraph, manifestDir: string): ResolvedGraph {
  const g: ResolvedGraph = JSON.parse(JSON.stringify(graph));
  for (const c of g.components) c.path = path.resolve(manifestDir, c.path);
  if (g.plugins) g.plugins.dir = path.resolve(manifestDir, g.plugins.dir);
  return g;
}

function missingFiles(g: ResolvedGraph, shown: string): Diagnostic[] {
  return g.components
    .filter((c) => !fs.existsSync(c.path))
    .map((c) => ({
      code: CODES.componentMissing,
      file: shown,
      field: `components.${c.name}`,
      message: `component '${c.name}': ${c.path} does not exist`,
      hint: 'build it first: nx run-many -t build-component (or loop build)',
    }));
}

/** Packs the app for every requested target. */
export function packNative(input: string, opts: PackNativeOptions = {}): PackNativeResult {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const targets = parseTargets(opts.targets ?? hostTarget() ?? 'linux-x64');
  const manifest = manifestPath(input, cwd);
  const manifestDir = path.dirname(manifest);
  const shown = path.relative(cwd, manifest) || manifest;
  const root = opts.root ?? workspaceRoot(manifestDir);
  const outDir = opts.out ? path.resolve(cwd, opts.out) : defaultNativeDir(manifestDir, root);

  const graph = resolveApp(manifest, { platform: 'native', profile: opts.profile, set: opts.set, cwd, outDir: manifestDir });
  const customHost = nativeHostOfApp(manifest);
  if (opts.release && !customHost) {
    throw new LoopError({
      code: 'LOOP012',
      field: 'release',
      file: shown,
      message: "a release build applies to an app with its own host ([targets] native-host); this app is packed with loop-host's runtime hosts, which are release builds already",
      hint: 'drop --release (release: true)',
    });
  }
  const staged = stagedGraph(graph, manifestDir);
  const missing = missingFiles(staged, shown);
  if (missing.length) throw new LoopError(missing);
  // Signatures are checked here, at pack time (the signing module's packer check), as a host
  // checks them before running: components and plugin files of trust classes with keys.
  const sig = verifyForPack(staged, manifestDir, { label: shown });
  const signatures = [...sig.verified, ...sig.unchecked];

  // An app with its own host: that host is built with the app compiled in (no loop-host pack).
  if (customHost) {
    fs.mkdirSync(outDir, { recursive: true });
    const r = packCustom(
      { host: customHost, manifest, graph, targets, outDir, profile: opts.profile, set: opts.set, cwd, release: opts.release, level: opts.level, env },
      opts.onTarget,
    );
    return { outDir, graph, packed: r.packed, precompiledOnly: [], problems: r.problems, signatures };
  }

  const host = devHost(env);
  const cacheDir = opts.archiveCache === false || env.LOOP_NO_CODE_CACHE ? undefined : (opts.archiveCache || env.LOOP_DEFLATE_CACHE || path.join(loopCacheDir(env), 'deflate'));
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-pack-native-'));
  const result: PackNativeResult = { outDir, graph, packed: [], precompiledOnly: [], problems: [], signatures };
  try {
    const graphFile = path.join(stage, 'app.loop.json');
    fs.writeFileSync(graphFile, graphJson(staged));
    fs.mkdirSync(outDir, { recursive: true });
    const app = graph.app.name;
    for (const t of targets) {
      const names = artifactNames(app, t);
      const file = path.join(outDir, names.file);
      const archive = path.join(outDir, names.archive);
      // Only this target's artifacts are replaced: other targets' stay (one Nx configuration each).
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      fs.rmSync(archive, { force: true });
      fs.rmSync(`${archive}.sha256`, { force: true });
      const runtime = runtimeHostPath(t, env);
      if (!fs.existsSync(runtime)) {
        if (t.os !== 'macos') {
          result.problems.push(...runtimeMissing(t, runtime).diagnostics);
          continue;
        }
        // No macOS host can be linked here; the code for the target is still precompiled.
        let precompiled = false;
        try {
          precompileOnly(host, t, staged, env);
          precompiled = true;
          result.precompiledOnly.push(t.name);
        } catch (p) {
          if (!isLoopError(p)) throw p;
          result.problems.push(...p.diagnostics);
        }
        result.problems.push(...macosMissing(t, runtime, precompiled).diagnostics);
        continue;
      }
      const started = process.hrtime.bigint();
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const bundle = path.join(stage, names.bundle);
        // One `loop-host pack` writes the single file and stages the dir bundle (--also-bundle:
        // same reads and checksums, written at the same time). The stage is only read (archived)
        // and then deleted, so its large files are hard links to the runtime host and the
        // component files.
        runDevHost(host, ['pack', '--target', t.name, '--runtime', runtime, '--graph', graphFile, '--out', file, '--also-bundle', bundle], `${t.name} single file and dir bundle`, env);
        const entries = directoryEntries(bundle, names.bundle, readSums(bundle));
        const { bytes: archiveBytes, sha256: archiveSha256 } = writeArchive(archive, t.archive, entries, { level: opts.level ?? 1, cacheDir });
        fs.rmSync(bundle, { recursive: true, force: true });
        const r: TargetResult = {
          target: t.name,
          triple: t.triple,
          file,
          fileBytes: fs.statSync(file).size,
          archive,
          archiveBytes,
          archiveSha256,
          hostBytes: fs.statSync(runtime).size,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        };
        result.packed.push(r);
        opts.onTarget?.(r);
      } catch (e) {
        if (!isLoopError(e)) throw e;
        result.problems.push(...e.diagnostics);
      }
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  return result;
}

/** Precompiles every component and plugin of the graph for a target (into the code cache). */
export function precompileOnly(host: string, t: NativeTarget, staged: ResolvedGraph, env: NodeJS.ProcessEnv = process.env): void {
  const files = staged.components.map((c) => c.path);
  const pluginsDir = staged.plugins?.dir;
  if (pluginsDir && fs.existsSync(pluginsDir)) {
    for (const f of fs.readdirSync(pluginsDir).sort()) if (isComponentFileName(f)) files.push(path.join(pluginsDir, f));
  }
  runDevHost(host, ['compile', '--target', t.triple, ...files], `${t.name} precompile`, env);
}

/** A human summary line per packed target. */
export function summaryLines(r: PackNativeResult, cwd: string): string[] {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const rel = (p: string) => path.relative(cwd, p) || p;
  const lines = r.packed.map((t) =>
    t.custom
      ? `${t.target.padEnd(12)} ${rel(t.file)} (${mb(t.fileBytes)}; custom host ${t.custom.name}, the app compiled in, ${
          t.custom.profile === 'release' ? 'release build' : 'debug build (cargo dev profile; --release for a release build)'
        }${t.custom.stripped ? ', debug info stripped' : ''}, ${t.custom.built ? 'built now' : 'up to date'}), ${rel(t.archive)} (${mb(t.archiveBytes)}) in ${(t.ms / 1000).toFixed(2)} s`
      : `${t.target.padEnd(12)} ${rel(t.file)} (${mb(t.fileBytes)}; host alone ${mb(t.hostBytes)}), ${rel(t.archive)} (${mb(t.archiveBytes)}) in ${(t.ms / 1000).toFixed(2)} s`,
  );
  for (const t of r.precompiledOnly) lines.push(`${t.padEnd(12)} code precompiled for ${t}; no executable (see the error below)`);
  return lines;
}

/** Throws the collected problems of a pack (after its summary was printed). */
export function throwProblems(r: PackNativeResult): void {
  if (r.problems.length) throw new LoopError(r.problems);
}

