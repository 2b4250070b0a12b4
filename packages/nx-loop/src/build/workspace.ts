import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { LoopError } from '../errors';
import { CODES } from './codes';
import type { ComponentBuildProject } from './marker';

/** The nearest ancestor of `from` (itself included) that holds nx.json, or undefined. */
export function findWorkspaceRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface WitTarget {
  /** Absolute WIT dir handed to componentize-js / jco / wit-bindgen. */
  witDir: string;
  /** World name as componentize-js expects it (`plugin`, `example:hello/formatter-impl`). */
  world: string;
}

/** Where the project's WIT lives: its own `wit` dir when the marker sets one, else `<workspace>/wit`. */
export function resolveWit(project: ComponentBuildProject, workspaceRoot: string | undefined): WitTarget {
  let witDir: string;
  if (project.wit !== undefined) {
    witDir = resolve(project.dir, project.wit);
    if (!isDir(witDir)) {
      throw new LoopError({
        code: CODES.witMissing,
        file: displayPath(project.markerFile),
        field: 'component.wit',
        message: `WIT dir '${project.wit}' does not exist (looked for ${witDir})`,
        hint: 'point `wit` at a directory of .wit files, relative to the project',
      });
    }
  } else {
    if (!workspaceRoot) {
      throw new LoopError({
        code: CODES.witMissing,
        file: displayPath(project.markerFile),
        field: 'component.wit',
        message: 'no workspace (nx.json) above the project, so there is no workspace wit/ to build against',
        hint: 'set `wit = "<dir>"` in [component], or build inside a Loop workspace',
      });
    }
    witDir = join(workspaceRoot, 'wit');
    if (!isDir(witDir)) {
      throw new LoopError({
        code: CODES.witMissing,
        file: displayPath(project.markerFile),
        field: 'component.wit',
        message: `the workspace has no wit/ dir (looked for ${witDir})`,
        hint: 'restore the workspace wit/ or set `wit = "<dir>"` in [component]',
      });
    }
  }
  return { witDir, world: project.world };
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A path for messages: relative to `base` (default cwd) when inside it, else absolute. */
export function displayPath(p: string, base = process.cwd()): string {
  const rel = relative(base, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}
