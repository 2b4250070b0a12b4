/**
 * Rust guests: delegated to `tools/rust-guest/build.sh <projectDir>` (Debian rustc-web +
 * build-std, wit-bindgen against the project's WIT), which writes `<project>/dist/<name>.wasm`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LoopError } from '../errors';
import { CODES } from './codes';
import type { ComponentBuildProject } from './marker';
import { displayPath } from './workspace';

export const RUST_BUILD_SCRIPT = join('tools', 'rust-guest', 'build.sh');

export interface RustBuildInput {
  project: ComponentBuildProject;
  workspaceRoot: string | undefined;
  /** Receives the script's stderr/stdout lines as they come (cargo progress). */
  onOutput?: (chunk: string) => void;
  cwd?: string;
  /** cargo --release (the default: opt-level "s", LTO as the crate's profile says). */
  release?: boolean;
}

export async function buildRust({ project, workspaceRoot, onOutput, cwd, release = true }: RustBuildInput): Promise<void> {
  const script = workspaceRoot ? join(workspaceRoot, RUST_BUILD_SCRIPT) : undefined;
  if (!script || !existsSync(script)) {
    throw new LoopError({
      code: CODES.rustFailed,
      file: displayPath(project.markerFile),
      field: 'component.language',
      message: `Rust components are built by ${RUST_BUILD_SCRIPT}, which is missing${workspaceRoot ? ` in ${workspaceRoot}` : ' (no workspace nx.json above the project)'}`,
      hint: 'build inside a Loop workspace (run `npm run setup` to install the Rust guest toolchain)',
    });
  }
  const { code, output } = await run('bash', [script, project.dir, ...(release ? ['--release'] : [])], workspaceRoot!, onOutput);
  if (code !== 0) {
    const tail = output.trimEnd().split('\n').slice(-60).join('\n');
    throw new LoopError({
      code: CODES.rustFailed,
      file: displayPath(join(project.dir, 'Cargo.toml'), cwd),
      message: `the Rust build failed (${RUST_BUILD_SCRIPT} exited with ${code}):\n${tail}`,
      hint: 'fix the cargo error above; run `npm run setup` if the Rust guest toolchain is missing',
    });
  }
}

function run(cmd: string, args: string[], cwd: string, onOutput?: (s: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (b: Buffer) => {
      const s = b.toString();
      output += s;
      if (output.length > 1_000_000) output = output.slice(-500_000);
      onOutput?.(s);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code, signal) => resolveRun({ code: code ?? (signal ? 128 : 1), output }));
  });
}
