/**
 * Nx inference: one glob, one function per file kind. An `app.loop.toml` makes an app
 * project, a `loop.component.toml` a component project; targets are cacheable and declare
 * exactly their inputs and outputs. Parsing is TOML only (no schema, no hashing) so that
 * `nx show projects` stays fast with hundreds of apps.
 */
// Types only: @nx/devkit's index loads its generator utilities (~100 ms of module loading,
// more than inference of 200 apps) and Nx loads this file on every command.
import type {
  CreateDependencies,
  CreateNodes,
  CreateNodesContext,
  CreateNodesResult,
  CreateNodesResultV2,
  DependencyType,
  RawProjectGraphDependency,
  TargetConfiguration,
} from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';

// The file names, not imported from ../manifest: manifest/load pulls in the schema validator,
// the semantic checks and signing (~20 modules) that inference never uses, on every nx command.
// create-nodes.spec checks they equal MANIFEST_FILE and COMPONENT_MARKER.
export const APP_FILE = 'app.loop.toml';
export const MARKER_FILE = 'loop.component.toml';
const MANIFEST_FILE = APP_FILE;
const COMPONENT_MARKER = MARKER_FILE;

export interface LoopPluginOptions {
  /** Rename inferred targets, e.g. { resolve: 'loop-resolve' }. */
  targetNames?: Partial<Record<'validate' | 'resolve' | 'compose' | 'buildComponent' | 'packWeb' | 'packNative' | 'serve' | 'run', string>>;
}

const GLOB = `**/{${MANIFEST_FILE},${COMPONENT_MARKER}}`;

/**
 * `{workspaceRoot}/<dir>` when a package is a project of this workspace (a workspace that
 * develops Loop, like this repository), undefined when it is an installed npm package.
 * Nx hashes the first kind by its sources and the second as an external dependency.
 */
function workspacePath(workspaceRoot: string, pkgDir: string): string | undefined {
  const rel = path.relative(workspaceRoot, fs.realpathSync(pkgDir));
  if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) return undefined;
  return `{workspaceRoot}/${rel.split(path.sep).join('/')}`;
}

type Input = NonNullable<TargetConfiguration['inputs']>[number];

/** Inputs that depend on where Loop itself lives; computed once per inference batch. */
interface LoopSelfInputs {
  /** Loop's code behind app targets (manifest, resolver, packers). */
  all: Input[];
  /** Loop's code behind component builds only: editing the resolver must not rebuild every component. */
  build: Input[];
  /** The browser runtime packed into every site. */
  browserRuntime: Input[];
  /** The native hosts behind pack-native: the host's sources and the prebuilt runtime hosts' bytes. */
  nativeHost: Input[];
}

/**
 * The identity of the runtime hosts packed into executables: their SHA-256, by target (content,
 * not dates, so that another machine with the same hosts gets the same hash), and the Rust
 * toolchain that builds the dev host (which precompiles the components).
 */
export const RUNTIME_HOSTS_INPUT =
  'cd "${LOOP_CACHE_DIR:-$HOME/.cache/loop}/hosts" 2>/dev/null && sha256sum */loop-host */loop-host.exe 2>/dev/null; rustc -vV 2>/dev/null | grep -E "^(release|host):"; true';

function nativeHostInputs(workspaceRoot: string): Input[] {
  const runtime: Input = { runtime: RUNTIME_HOSTS_INPUT };
  const template = path.join(workspaceRoot, 'host-templates', 'wasmtime-rust');
  if (!fs.existsSync(path.join(template, 'Cargo.toml'))) return [runtime];
  // A workspace that develops Loop: the host's sources (not its tests) and the WIT it binds.
  const t = '{workspaceRoot}/host-templates/wasmtime-rust';
  return [`${t}/Cargo.toml`, `${t}/Cargo.lock`, `${t}/crates/*/Cargo.toml`, `${t}/crates/*/build.rs`, `${t}/crates/*/src/**/*`, '{workspaceRoot}/wit/**/*', runtime];
}

function loopSelfInputs(workspaceRoot: string): LoopSelfInputs {
  const pkg = workspacePath(workspaceRoot, path.resolve(__dirname, '../..'));
  let runtimeDir: string | undefined;
  try {
    runtimeDir = path.dirname(require.resolve('@loop/runtime-browser/package.json'));
  } catch {
    runtimeDir = undefined;
  }
  const runtime = runtimeDir && workspacePath(workspaceRoot, runtimeDir);
  const browserRuntime: Input[] = !runtimeDir ? [] : runtime ? [`${runtime}/src/**/*`] : [{ externalDependencies: ['@loop/runtime-browser'] }];
  if (!pkg) {
    const external: Input[] = [{ externalDependencies: ['@loop/nx', 'smol-toml', 'ajv'] }];
    return { all: external, build: external, browserRuntime, nativeHost: nativeHostInputs(workspaceRoot) };
  }
  const src = `${pkg}/src`;
  return {
    all: [`${src}/**/*`, '!{workspaceRoot}/**/*.spec.ts', '{workspaceRoot}/spec/app.loop.schema.json', { externalDependencies: ['smol-toml', 'ajv'] }],
    build: [`${src}/build/**/*`, '!{workspaceRoot}/**/*.spec.ts', `${src}/errors.ts`, `${src}/manifest/{component-marker,locate,toml-locate}.ts`, { externalDependencies: ['smol-toml'] }],
    browserRuntime,
    nativeHost: nativeHostInputs(workspaceRoot),
  };
}

/*
 * Every target states `continuous` (Loop's executors all end). Without it Nx looks the executor
 * up to read `continuous` from its schema, and for a plugin that is a workspace package (this
 * repository) that lookup reads tsconfig.base.json through the `typescript` package: ~0.5 s of
 * CPU loading TypeScript on every `nx` command, more than inferring 200 apps.
 */

/** Tool versions that change what a target produces; Nx hashes them as external inputs. */
const TOOLCHAIN_PACKAGES = ['@bytecodealliance/componentize-js', '@bytecodealliance/jco', 'typescript', 'rolldown'];

export const createNodes: CreateNodes<LoopPluginOptions> = [
  GLOB,
  // async like createNodesFromFiles (a broken file rejects); the work itself is synchronous.
  async (files, options, context) => {
    const self = loopSelfInputs(context.workspaceRoot);
    return inferAll(files, (file) => inferProject(file, options ?? {}, context, self));
  },
];

/**
 * What `createNodesFromFiles` does, synchronously: one result per file; a file that fails is
 * reported by name (Nx's AggregateCreateNodesError, loaded only then) and the others are kept.
 */
function inferAll(files: readonly string[], infer: (file: string) => CreateNodesResult): CreateNodesResultV2 {
  const results: CreateNodesResultV2 = [];
  const errors: [string, Error][] = [];
  for (const file of files) {
    try {
      results.push([file, infer(file)]);
    } catch (e) {
      errors.push([file, e as Error]);
    }
  }
  if (errors.length) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AggregateCreateNodesError } = require('@nx/devkit') as typeof import('@nx/devkit');
    throw new AggregateCreateNodesError(errors, results);
  }
  return results;
}
/** Nx 21 reads only this name; Nx 22+ prefer createNodes with the same signature. */
export const createNodesV2 = createNodes;

function inferProject(file: string, options: LoopPluginOptions | undefined, context: CreateNodesContext, self: LoopSelfInputs): CreateNodesResult {
  const root = path.dirname(file);
  const abs = path.join(context.workspaceRoot, file);
  const text = fs.readFileSync(abs, 'utf8');
  const data = parse(text) as Record<string, any>;
  const names = { validate: 'validate', resolve: 'resolve', buildComponent: 'build-component', packWeb: 'pack-web', packNative: 'pack-native', serve: 'serve', compose: 'compose', run: 'run', ...options?.targetNames };
  if (path.basename(file) === MANIFEST_FILE) {
    manifestSources.set(abs, { text, sources: sourcesOf(data) });
    return { projects: { [root]: appProject(root, file, data, names, self) } };
  }
  return { projects: { [root]: componentProject(root, file, data, names, self.build) } };
}

function appProject(root: string, file: string, data: Record<string, any>, names: Record<string, string>, self: LoopSelfInputs) {
  const name: string = data.app?.name ?? path.basename(root);
  // Every cached app target reads the app dir, the built components (their sha256 end up in
  // what it writes) and Loop's own code.
  const appInputs: Input[] = ['{projectRoot}/**/*', { dependentTasksOutputFiles: '**/*.wasm', transitive: true }, ...self.all];
  const resolve: TargetConfiguration = {
    executor: '@loop/nx:resolve',
    continuous: false,
    cache: true,
    dependsOn: [`^${names.buildComponent}`],
    inputs: appInputs,
    outputs: ['{options.outputPath}'],
    options: { manifest: file, platform: 'native', outputPath: `dist/${root}/native/app.loop.json` },
    configurations: {
      native: { platform: 'native', outputPath: `dist/${root}/native/app.loop.json` },
      web: { platform: 'web', outputPath: `dist/${root}/web/app.loop.json` },
    },
    metadata: {
      description: 'Resolve app.loop.toml into app.loop.json for one platform (--configuration=native|web)',
      technologies: ['wasm'],
      help: { command: 'loop resolve --help', example: { options: { profile: 'fancy' } } },
    },
  };
  const composedDir = `dist/${root}/composed`;
  const composedFiles = (suffix: string) => ({ outputPath: `${composedDir}/${name}${suffix}.wasm`, graphPath: `${composedDir}/${name}${suffix}.loop.json` });
  const compose: TargetConfiguration = {
    executor: '@loop/nx:compose',
    continuous: false,
    cache: true,
    dependsOn: [`^${names.buildComponent}`],
    inputs: [
      ...appInputs,
      { runtime: '"${LOOP_WAC:-${LOOP_CACHE_DIR:-$HOME/.cache/loop}/tools/bin/wac}" --version 2>/dev/null || echo no-wac' },
      { externalDependencies: ['@bytecodealliance/jco'] },
    ],
    outputs: ['{options.outputPath}', '{options.graphPath}'],
    options: { manifest: file, ...composedFiles('') },
    configurations: Object.fromEntries(Object.keys(data.profiles ?? {}).map((p) => [p, { profile: p, ...composedFiles(`-${p}`) }])),
    metadata: {
      description: 'Compose the entry component with the default components it imports into one component (--configuration=<profile>)',
      technologies: ['wasm'],
      help: { command: 'loop compose --help', example: { options: { profile: 'fancy' } } },
    },
  };
  return {
    name,
    projectType: 'application' as const,
    tags: ['loop:app'],
    targets: {
      [names.validate]: {
        executor: '@loop/nx:validate',
        continuous: false,
        cache: true,
        inputs: ['{projectRoot}/**/*', ...self.all],
        outputs: [],
        options: { manifest: file },
        metadata: { description: 'Check app.loop.toml: syntax, schema and cross-references', technologies: ['wasm'] },
      },
      [names.resolve]: resolve,
      [names.compose]: compose,
      [names.packWeb]: {
        executor: '@loop/nx:pack-web',
        continuous: false,
        cache: true,
        dependsOn: [`^${names.buildComponent}`],
        inputs: [...appInputs, ...self.browserRuntime, { externalDependencies: ['@bytecodealliance/jco', 'rolldown'] }],
        outputs: [`{workspaceRoot}/dist/${root}/web/site`],
        options: { manifest: file },
        configurations: { inline: { inline: true } },
        metadata: {
          description: 'Pack the app into a static web site (worker host, transpiled components, service worker)',
          technologies: ['wasm', 'web'],
          help: { command: 'loop pack web --help', example: { options: { inline: true } } },
        },
      },
      [names.packNative]: packNative(root, file, name, names, [...appInputs, ...customHostInputs(root, data.targets?.['native-host'])], self),
      [names.run]: {
        command: `node_modules/.bin/loop run ${root}`,
        continuous: false,
        dependsOn: [`^${names.buildComponent}`],
        metadata: { description: 'Run the app in the native reference host (Wasmtime), streaming its logs', technologies: ['wasm'] },
      },
      [names.serve]: {
        command: `node_modules/.bin/loop serve ${root} --pack`,
        continuous: true,
        metadata: { description: 'Pack the web site and serve it on 127.0.0.1, re-packing plugins as they change', technologies: ['wasm', 'web'] },
      },
    },
  };
}

/**
 * An app with its own host (`[targets] native-host = "<dir>"`, relative to the manifest):
 * pack-native builds that host with the app compiled in, so its sources are inputs too (a
 * host dir outside the workspace cannot be an Nx input; Nx then misses its edits).
 */
export function customHostInputs(root: string, nativeHost: unknown): Input[] {
  if (typeof nativeHost !== 'string' || !nativeHost || path.isAbsolute(nativeHost)) return [];
  const dir = path.posix.normalize(path.posix.join(root.split(path.sep).join('/'), nativeHost.split(path.sep).join('/')));
  if (dir === '..' || dir.startsWith('../')) return [];
  const h = dir === '.' ? '{workspaceRoot}' : `{workspaceRoot}/${dir}`;
  return [`${h}/src/**/*`, `${h}/wit/**/*`, `${h}/Cargo.toml`, `${h}/Cargo.lock`, `${h}/build.rs`, `${h}/loop.host.json`, `${h}/scripts/**/*`];
}

/** pack-native configurations: the OS groups, then the single targets (as `loop pack native --target`). */
export const NATIVE_CONFIGURATIONS = ['linux', 'windows', 'macos', 'linux-x64', 'linux-arm64', 'windows-x64', 'macos-x64', 'macos-arm64'];

/**
 * pack-native, one configuration per OS group (default linux). Outputs are per configuration
 * (`{options.target}` is the group or target name): `native/linux*` and
 * `native/<app>-linux*` for linux, so packing windows never overwrites or restores linux's files
 * (`linux-x64` restores only linux-x64's, a subset of linux's).
 */
function packNative(root: string, file: string, name: string, names: Record<string, string>, appInputs: Input[], self: LoopSelfInputs): TargetConfiguration {
  const native = `{workspaceRoot}/dist/${root}/native`;
  return {
    executor: '@loop/nx:pack-native',
    continuous: false,
    cache: true,
    dependsOn: [`^${names.buildComponent}`],
    inputs: [...appInputs, ...self.nativeHost],
    outputs: [`${native}/{options.target}*`, `${native}/${name}-{options.target}*`],
    options: { manifest: file, target: 'linux' },
    defaultConfiguration: 'linux',
    // One per OS (every target of it), and one per single target (`-c linux-x64`).
    configurations: Object.fromEntries(NATIVE_CONFIGURATIONS.map((c) => [c, { target: c }])),
    metadata: {
      description: 'Pack the app into native executables and archived dir bundles for one OS (--configuration=linux|windows|macos)',
      technologies: ['wasm', 'native'],
      help: { command: 'loop pack native --help', example: { options: { target: 'linux-x64' } } },
    },
  };
}

function componentProject(root: string, _file: string, data: Record<string, any>, names: Record<string, string>, self: Input[]) {
  const name: string = data.component?.name ?? path.basename(root);
  const language: string = data.component?.language ?? 'unknown';
  return {
    name,
    projectType: 'library' as const,
    tags: ['loop:component', `lang:${language}`],
    targets: {
      [names.buildComponent]: {
        executor: '@loop/nx:build-component',
        continuous: false,
        cache: true,
        inputs: [
          '{projectRoot}/**/*',
          '!{projectRoot}/dist/**/*',
          '!{projectRoot}/target/**/*',
          '!{projectRoot}/test/**/*',
          '!{projectRoot}/README.md',
          '{workspaceRoot}/wit/**/*',
          '{workspaceRoot}/examples/wit/**/*',
          ...(language === 'rust'
            ? // The guest compiler (Debian's rustc-web unless LOOP_GUEST_RUSTC says otherwise), not rustup's.
              [{ runtime: '"${LOOP_GUEST_RUSTC:-/usr/bin/rustc}" -vV 2>/dev/null || echo no-guest-rustc' }, '{workspaceRoot}/tools/rust-guest/**/*']
            : [{ externalDependencies: TOOLCHAIN_PACKAGES }]),
          ...self,
        ],
        outputs: [`{projectRoot}/dist/${name}.wasm`],
        options: { project: root },
        metadata: { description: `Build the ${language} component into dist/${name}.wasm`, technologies: ['wasm', language] },
      },
    },
  };
}

/** Every component `source` of a manifest, profiles included. */
function sourcesOf(data: Record<string, any>): Set<string> {
  const sources = new Set<string>();
  for (const c of Object.values(data.components ?? {})) if (typeof (c as any)?.source === 'string') sources.add((c as any).source);
  for (const p of Object.values(data.profiles ?? {}))
    for (const c of Object.values((p as any)?.components ?? {})) if (typeof (c as any)?.source === 'string') sources.add((c as any).source);
  return sources;
}

/**
 * The sources createNodes saw, by manifest path, with the text they came from: Nx calls
 * createDependencies right after createNodes in the same process (the plugin worker or, without
 * isolation, nx itself), so it reuses them instead of parsing every manifest again (at 200 apps
 * that parse was ~100 ms of every nx command). A manifest whose text changed since is parsed again.
 */
const manifestSources = new Map<string, { text: string; sources: Set<string> }>();

/**
 * app → component edges from each manifest's `source` entries (and its profiles), so
 * `nx graph` shows them and `nx affected` finds the apps a component change touches.
 */
export const createDependencies: CreateDependencies<LoopPluginOptions> = (_options, context) => {
  const byRoot = new Map(Object.entries(context.projects).map(([name, p]) => [p.root, name] as const));
  const deps: RawProjectGraphDependency[] = [];
  for (const [source, project] of Object.entries(context.projects)) {
    const manifest = path.posix.join(project.root, MANIFEST_FILE);
    const abs = path.join(context.workspaceRoot, manifest);
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch {
      continue; // not an app project
    }
    let sources = manifestSources.get(abs)?.text === text ? manifestSources.get(abs)!.sources : undefined;
    if (!sources) {
      try {
        sources = sourcesOf(parse(text) as Record<string, any>);
      } catch {
        continue; // createNodes already reported it
      }
      manifestSources.set(abs, { text, sources });
    }
    for (const s of sources) {
      const target = byRoot.get(path.posix.normalize(path.posix.join(project.root, s)));
      if (target && target !== source) deps.push({ source, target, type: 'static' as DependencyType.static, sourceFile: manifest });
    }
  }
  return deps;
};
