/**
 * `nx g @loop/nx:host <name> --template browser-worker|native-wasmtime [--app <app dir>] [--directory dir]`
 * (also `loop host new`, alias `loop host scaffold`): a host project for a Loop app.
 *
 * - browser-worker: a small JS/TS web project wired to @loop/runtime-browser — an index.html,
 *   src/main.ts (starts the app from its resolved graph and shows its log), src/loop-host.ts
 *   (the part to embed in an existing page), src/worker.ts (the worker host), scripts to build
 *   (`loop pack web` + rolldown) and serve it, a README and its own Chromium test.
 * - native-wasmtime: a Rust host crate over the loop-host library (providers, graph loader, trust
 *   gating, plugin hot reload) with an example provider of its own (src/providers/greeting.rs for
 *   the WIT in wit/), and the app compiled in by build.rs (include_bytes!); scripts/build.mjs
 *   resolves the app and runs cargo with the shared target dir. LOOP806: no loop-host crate.
 *
 * Every bad input is a LoopError with a code, the field and a hint (LOOP801–806).
 */
import { generateFiles, joinPathFragments, offsetFromRoot, type Tree } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { LoopError } from '../../errors';
import { MANIFEST_FILE } from '../../manifest/load';
import type { HostGeneratorSchema } from './schema';

export type { HostGeneratorSchema };

/** Error codes of the host generator (LOOP8xx). */
export const HOST_CODES = {
  badName: 'LOOP801',
  unknownTemplate: 'LOOP802',
  directoryExists: 'LOOP803',
  notAnApp: 'LOOP804',
  outsideWorkspace: 'LOOP805',
  templateNotAvailable: 'LOOP806',
} as const;

export { HOST_TEMPLATES } from './templates';
import { HOST_TEMPLATES } from './templates';
export type HostTemplate = (typeof HOST_TEMPLATES)[number];

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface NormalizedHostOptions {
  name: string;
  template: HostTemplate;
  /** The project directory, relative to the workspace root. */
  directory: string;
  /** The app directory relative to the workspace root (absolute on another drive), or null when not given. */
  app: string | null;
  /** The app directory as seen from the project directory (what loop.host.json records). */
  appFromProject: string | null;
  /** The project directory as seen from the app (`[targets] native-host` of its manifest). */
  hostFromApp: string | null;
}

const inside = (p: string) => !p.startsWith('..') && !path.isAbsolute(p);

/** Checks and completes the options; `root` is the workspace root on disk (for an absolute --app). */
export function normalizeOptions(options: HostGeneratorSchema, root = '/'): NormalizedHostOptions {
  const name = options.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new LoopError({
      code: HOST_CODES.badName,
      field: 'name',
      message: `${JSON.stringify(name ?? '')} is not a valid host name`,
      hint: 'use lowercase kebab-case starting with a letter, e.g. "web-host"',
    });
  }
  const template = options.template ?? 'browser-worker';
  if (!(HOST_TEMPLATES as readonly string[]).includes(template)) {
    throw new LoopError({
      code: HOST_CODES.unknownTemplate,
      field: '--template',
      message: `unknown host template ${JSON.stringify(template)}`,
      hint: `use one of: ${HOST_TEMPLATES.join(', ')}`,
    });
  }
  const directory = joinPathFragments(options.directory ?? joinPathFragments('hosts', name)).replace(/\/+$/, '');
  if (!inside(directory) || directory === '' || directory === '.') {
    throw new LoopError({
      code: HOST_CODES.outsideWorkspace,
      field: '--directory',
      message: `${JSON.stringify(options.directory)} is not a directory inside the workspace`,
      hint: 'give a path relative to the workspace root, e.g. hosts/web',
    });
  }
  // The app may live anywhere (absolute, or relative to the workspace root, even outside it);
  // loop.host.json records it relative to the project.
  let app: string | null = null;
  let appFromProject: string | null = null;
  let hostFromApp: string | null = null;
  if (options.app !== undefined && options.app !== '') {
    const rel = path.isAbsolute(options.app) ? path.relative(root, options.app) : options.app;
    app = path.isAbsolute(rel) ? rel : joinPathFragments(rel.split(path.sep).join('/')).replace(/\/+$/, '') || '.';
    appFromProject = path.isAbsolute(app) ? app : path.posix.relative(directory, app) || '.';
    hostFromApp = path.isAbsolute(app) ? path.join(root, directory) : path.posix.relative(app, directory) || '.';
  }
  return { name, template: template as HostTemplate, directory, app, appFromProject, hostFromApp };
}

/** Where the templates are: next to this file in src/, or in src/ when running from dist/. */
export function templatesDir(): string {
  const here = path.join(__dirname, 'files');
  if (existsSync(here)) return here;
  return path.resolve(__dirname, '../../../src/generators/host/files');
}

/**
 * Loop's host library, the crate a native-wasmtime host depends on: `$LOOP_HOST_CRATE`, else
 * host-templates/wasmtime-rust/crates/loop-host in the nearest directory above this file that has
 * it (the Loop checkout, or the @loop/nx package when it ships host-templates/ and wit/).
 */
export function findLoopHostCrate(): string | null {
  const env = process.env.LOOP_HOST_CRATE;
  if (env) return existsSync(path.join(env, 'Cargo.toml')) ? path.resolve(env) : null;
  for (let d = __dirname; ; d = path.dirname(d)) {
    const crate = path.join(d, 'host-templates', 'wasmtime-rust', 'crates', 'loop-host');
    if (existsSync(path.join(crate, 'Cargo.toml')) && existsSync(path.join(crate, '../../Cargo.lock'))) return crate;
    if (path.dirname(d) === d) return null;
  }
}

function requireLoopHostCrate(): string {
  const crate = findLoopHostCrate();
  if (crate) return crate;
  const env = process.env.LOOP_HOST_CRATE;
  throw new LoopError({
    code: HOST_CODES.templateNotAvailable,
    field: '--template',
    message: env
      ? `the native-wasmtime host template needs the loop-host crate, but LOOP_HOST_CRATE=${env} has no Cargo.toml`
      : 'the native-wasmtime host template needs the loop-host crate (host-templates/wasmtime-rust/crates/loop-host), which this installation of Loop does not have',
    hint: 'point LOOP_HOST_CRATE at host-templates/wasmtime-rust/crates/loop-host of a Loop checkout, or use --template browser-worker',
  });
}

/**
 * loop-host's [dev-dependencies] as TOML lines, for the host crate's [dependencies]. Loop's set-up
 * builds loop-host with `cargo test --no-run`, where they take part in feature resolution (and
 * share build-time crates with the host's build dependencies); with the same ones, cargo resolves
 * every crate of the host exactly as that build did and reuses the compiled Wasmtime.
 */
export function parityDependencies(crate: string): string {
  const file = path.join(crate, 'Cargo.toml');
  const manifest = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const dev = (manifest['dev-dependencies'] ?? {}) as Record<string, unknown>;
  const value = (v: unknown): string => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
    if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k} = ${value(x)}`).join(', ')} }`;
    throw new Error(`${file}: unexpected value in [dev-dependencies]: ${String(v)}`);
  };
  return Object.entries(dev)
    .map(([name, v]) => `${name} = ${value(v)}\n`)
    .join('');
}

/** How the project's Cargo.toml names the crate: relative inside the workspace, else absolute. */
function cratePathFrom(workspaceRoot: string, directory: string, crate: string): string {
  const rel = path.relative(path.resolve(workspaceRoot), crate);
  if (!inside(rel)) return crate.split(path.sep).join('/');
  return path.posix.relative(directory, rel.split(path.sep).join('/'));
}

function checkTarget(tree: Tree, o: NormalizedHostOptions): void {
  if (tree.exists(o.directory) && (tree.isFile(o.directory) || tree.children(o.directory).length > 0)) {
    throw new LoopError({
      code: HOST_CODES.directoryExists,
      field: '--directory',
      file: o.directory,
      message: `${o.directory} already exists${tree.isFile(o.directory) ? ' (a file)' : ' and is not empty'}`,
      hint: 'pick another name or --directory; the generator never overwrites files',
    });
  }
  if (o.app === null) return;
  const found = inside(o.app) ? tree.exists(joinPathFragments(o.app, MANIFEST_FILE)) : existsSync(path.resolve(tree.root, o.app, MANIFEST_FILE));
  if (!found) {
    throw new LoopError({
      code: HOST_CODES.notAnApp,
      field: '--app',
      file: o.app,
      message: `${o.app} has no ${MANIFEST_FILE}`,
      hint: 'point --app at the directory of an app manifest, e.g. examples/apps/hello',
    });
  }
}

export function nextSteps(o: NormalizedHostOptions): string {
  const lines = [`created ${o.template} host '${o.name}' in ${o.directory}`];
  if (o.app === null) lines.push(`set the app it runs:  edit ${o.directory}/loop.host.json ("app": "<dir with app.loop.toml>")`);
  if (o.template === 'native-wasmtime') {
    const manifest = o.app === null ? `the app's ${MANIFEST_FILE}` : joinPathFragments(o.app, MANIFEST_FILE);
    lines.push(
      `use it for the app and grant its packages in ${manifest}:  [targets] native-host = "${o.hostFromApp ?? `<path to ${o.directory}>`}" and [capabilities."acme:greeting"] provider = "host" (see ${o.directory}/README.md)`,
      `build the app's components:  nx run-many -t build-component`,
      `build the host (cargo; the app is compiled in):  nx run ${o.name}:build   (or: cd ${o.directory} && node scripts/build.mjs [--release])`,
      `run it:  ${o.directory}/dist/${o.name} [ARGS...]   (relative app paths: its directory, or $LOOP_APP_DIR)`,
      `add a provider:  a WIT package in ${o.directory}/wit/, its Rust in ${o.directory}/src/providers/ (see greeting.rs)`,
    );
    return lines.join('\n');
  }
  lines.push(
    `build the app's components:  nx run-many -t build-component`,
    `build the host:  nx run ${o.name}:build   (or: cd ${o.directory} && node scripts/build.mjs)`,
    `serve it:  nx run ${o.name}:serve   (http://127.0.0.1:8080)`,
    `test it in Chromium:  nx run ${o.name}:test   (or: npx vitest run ${o.directory})`,
  );
  return lines.join('\n');
}

export async function hostGenerator(tree: Tree, schema: HostGeneratorSchema): Promise<() => void> {
  const o = normalizeOptions(schema, tree.root);
  const loopHost = o.template === 'native-wasmtime' ? requireLoopHostCrate() : null;
  checkTarget(tree, o);
  generateFiles(tree, path.join(templatesDir(), o.template), o.directory, {
    ...o,
    tmpl: '',
    offset: offsetFromRoot(o.directory),
    /** JSON string literal of the app path for loop.host.json (null when not given). */
    appJson: JSON.stringify(o.appFromProject),
    hostFromApp: o.hostFromApp ?? `<path from the app to ${o.directory}>`,
    loopHostPath: loopHost ? cratePathFrom(tree.root, o.directory, loopHost) : '',
    parityDeps: loopHost ? parityDependencies(loopHost) : '',
  });
  if (loopHost) {
    // The dependency versions loop-host is built and tested with (and that the shared cargo
    // target dir already holds): cargo adds only this crate's own entries.
    tree.write(joinPathFragments(o.directory, 'Cargo.lock'), readFileSync(path.join(loopHost, '../../Cargo.lock')));
  }
  return () => {
    console.log(nextSteps(o));
  };
}

/**
 * The generator on the real file system, for `loop host new` (no `nx` process): writes the
 * project under `workspaceRoot` and returns its directory and the files created.
 */
export async function generateHostProject(
  workspaceRoot: string,
  schema: HostGeneratorSchema,
): Promise<{ directory: string; files: string[]; nextSteps: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { FsTree, flushChanges } = require('nx/src/generators/tree') as typeof import('nx/src/generators/tree');
  const tree = new FsTree(workspaceRoot, false);
  await hostGenerator(tree, schema);
  const changes = tree.listChanges();
  flushChanges(workspaceRoot, changes);
  const o = normalizeOptions(schema, workspaceRoot);
  return { directory: o.directory, files: changes.map((c) => c.path).sort(), nextSteps: nextSteps(o) };
}

export default hostGenerator;
