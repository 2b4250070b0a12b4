/**
 * `nx g @loop/nx:component <name> --language rust|js|ts [--world plugin|core] [--directory dir]`
 * (also `loop component new`): a component project that builds and runs on the first try,
 * with its own test (`test/<name>.spec.ts`, which builds it and calls it with in-memory
 * providers).
 */
import { generateFiles, joinPathFragments, names, offsetFromRoot, type Tree } from '@nx/devkit';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ComponentGeneratorSchema } from './schema';

export type { ComponentGeneratorSchema };

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const LANGUAGES = ['rust', 'js', 'ts'] as const;

export interface NormalizedComponentOptions {
  name: string;
  language: 'rust' | 'js' | 'ts';
  world: 'plugin' | 'core';
  directory: string;
}

export function normalizeOptions(options: ComponentGeneratorSchema): NormalizedComponentOptions {
  const name = options.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new Error(`component name ${JSON.stringify(name)} is invalid: use lowercase kebab-case, e.g. "text-upper"`);
  }
  const language = options.language ?? 'ts';
  if (!LANGUAGES.includes(language)) {
    throw new Error(`--language must be one of ${LANGUAGES.join(', ')} (got ${JSON.stringify(language)})`);
  }
  const w = options.world ?? 'plugin';
  if (!['plugin', 'core', 'app'].includes(w)) {
    throw new Error(`--world must be plugin or core (got ${JSON.stringify(w)})`);
  }
  const world = w === 'app' ? 'core' : (w as 'plugin' | 'core');
  const directory = joinPathFragments(options.directory ?? joinPathFragments('components', name));
  if (directory.startsWith('..') || path.isAbsolute(directory)) {
    throw new Error(`--directory must be inside the workspace (got ${JSON.stringify(options.directory)})`);
  }
  return { name, language, world, directory };
}

/** Where the templates are: next to this file in src/, or in src/ when running from dist/. */
export function templatesDir(): string {
  const here = path.join(__dirname, 'files');
  if (existsSync(here)) return here;
  return path.resolve(__dirname, '../../../src/generators/component/files');
}

export function nextSteps(o: NormalizedComponentOptions): string {
  return [
    `created ${o.language} component '${o.name}' (world ${o.world}) in ${o.directory}`,
    `build it:  nx run ${o.name}:build-component   (or: loop build ${o.directory})`,
    `test it:   npx vitest run ${o.directory}`,
  ].join('\n');
}

export async function componentGenerator(tree: Tree, schema: ComponentGeneratorSchema): Promise<() => void> {
  const o = normalizeOptions(schema);
  const marker = joinPathFragments(o.directory, 'loop.component.toml');
  if (tree.exists(marker)) throw new Error(`${marker} already exists: pick another name or --directory`);
  if (tree.exists(o.directory) && tree.children(o.directory).length > 0) {
    throw new Error(`${o.directory} already exists and is not empty: pick another name or --directory`);
  }
  const offset = offsetFromRoot(o.directory);
  const n = names(o.name);
  generateFiles(tree, path.join(templatesDir(), o.language), o.directory, {
    ...o,
    tmpl: '',
    className: n.className,
    propertyName: n.propertyName,
    crateName: o.name.replace(/-/g, '_'),
    /** Workspace wit/ as seen from the project (wit-bindgen resolves it from the crate dir). */
    witFromProject: `${offset}wit`,
    witWorld: `loop:app/${o.world}`,
  });
  return () => {
    console.log(nextSteps(o));
  };
}

/**
 * The generator on the real file system, for `loop component new` (no `nx` process):
 * writes the project under `workspaceRoot` and returns its directory and the files created.
 */
export async function generateComponentProject(
  workspaceRoot: string,
  schema: ComponentGeneratorSchema,
): Promise<{ directory: string; files: string[] }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { FsTree, flushChanges } = require('nx/src/generators/tree') as typeof import('nx/src/generators/tree');
  const tree = new FsTree(workspaceRoot, false);
  await componentGenerator(tree, schema);
  const changes = tree.listChanges();
  flushChanges(workspaceRoot, changes);
  return { directory: normalizeOptions(schema).directory, files: changes.map((c) => c.path).sort() };
}

export default componentGenerator;
