/**
 * `buildComponent(projectDir)`: the one function behind the `build-component` executor and
 * `loop build`. Reads `loop.component.toml`, builds the guest for its language and writes
 * `<project>/dist/<name>.wasm` — the only output.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LoopError } from '../errors';
import { CODES } from './codes';
import { bundleGuest, bundlePath, componentizeGuest, narrowWorld } from './js';
import { ComponentLanguage, ComponentBuildProject, JsFeature, readComponentMarker } from './marker';
import { buildRust } from './rust';
import { compileTs } from './ts';
import { displayPath, findWorkspaceRoot, resolveWit } from './workspace';

export interface BuildOptions {
  /** Workspace root (holds nx.json, wit/, tools/rust-guest). Default: nearest nx.json above the project. */
  workspaceRoot?: string;
  /** JS/TS: WASI features to keep, replacing the marker's `features` (default: the marker's, i.e. none). */
  features?: JsFeature[];
  /** Progress lines (Rust build output). */
  onOutput?: (chunk: string) => void;
  /** Base for paths in messages (default: process.cwd()). */
  cwd?: string;
  /** Rust: build with cargo --release (default true); false builds the debug profile. */
  release?: boolean;
}

export interface BuildResult {
  name: string;
  language: ComponentLanguage;
  world: string;
  /** Absolute path of `<project>/dist/<name>.wasm`. */
  wasm: string;
  sha256: string;
  bytes: number;
  /** Wall time of the build in milliseconds. */
  ms: number;
}

export function componentOutputPath(project: Pick<ComponentBuildProject, 'dir' | 'name'>): string {
  return join(project.dir, 'dist', `${project.name}.wasm`);
}

export async function buildComponent(projectDir: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const dir = resolve(projectDir);
  const project = readComponentMarker(dir);
  const workspaceRoot = opts.workspaceRoot ? resolve(opts.workspaceRoot) : findWorkspaceRoot(dir);
  const out = componentOutputPath(project);

  if (project.language === 'rust') {
    await buildRust({ project, workspaceRoot, onOutput: opts.onOutput, cwd: opts.cwd, release: opts.release });
    let bytes: Buffer;
    try {
      bytes = readFileSync(out);
    } catch {
      throw new LoopError({
        code: CODES.outputMissing,
        file: displayPath(project.markerFile),
        message: `the Rust build succeeded but wrote no ${displayPath(out, opts.cwd)}`,
        hint: 'the [package] of Cargo.toml and [component] name must agree; see tools/rust-guest/build.sh',
      });
    }
    return result(project, out, bytes, started);
  }

  const wit = resolveWit(project, workspaceRoot);
  const tmp = mkdtempSync(join(tmpdir(), `loop-build-${project.name}-`));
  try {
    const defaultEntry = project.language === 'ts' ? 'src/index.ts' : 'src/index.js';
    const entry = resolve(dir, project.entry ?? defaultEntry);
    if (!existsSync(entry)) {
      throw new LoopError({
        code: CODES.entryMissing,
        file: displayPath(project.markerFile),
        field: 'component.entry',
        message: `entry module ${displayPath(entry, opts.cwd)} does not exist`,
        hint: 'create it, or set `entry = "<path>"` in [component] (relative to the project)',
      });
    }
    const js =
      project.language === 'ts'
        ? await compileTs({ projectDir: dir, entry, markerFile: project.markerFile, wit, tmp, cwd: opts.cwd })
        : entry;
    const bundle = bundlePath(tmp);
    const entryLabel = displayPath(entry, opts.cwd);
    const used = await bundleGuest({ entry: js, outFile: bundle, label: entryLabel, cwd: opts.cwd });
    const narrowed = await narrowWorld({ wit, used, tmp, markerFile: project.markerFile, entryLabel });
    const component = await componentizeGuest({
      bundle,
      wit: narrowed,
      worldLabel: project.world,
      features: opts.features ?? project.features,
      markerFile: project.markerFile,
      entryLabel,
    });
    mkdirSync(join(dir, 'dist'), { recursive: true });
    const partial = `${out}.${process.pid}.partial`;
    writeFileSync(partial, component);
    renameSync(partial, out);
    return result(project, out, Buffer.from(component), started);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function result(project: ComponentBuildProject, wasm: string, bytes: Buffer, started: number): BuildResult {
  return {
    name: project.name,
    language: project.language,
    world: project.world,
    wasm,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    ms: Math.round(performance.now() - started),
  };
}
