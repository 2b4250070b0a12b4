import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getOutputsForTargetAndConfiguration } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { COMPONENT_MARKER } from '../manifest/component-marker';
import { MANIFEST_FILE } from '../manifest/load';
import { APP_FILE, createDependencies, createNodes, createNodesV2, MARKER_FILE } from './create-nodes';

const repo = path.resolve(__dirname, '../../../..');

function workspace(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-nx-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const app = `[app]\nname = "shop"\nentry = "core"\n[components.core]\nsource = "../../components/core"\nclass = "core"\n[components.fmt]\nsource = "../../components/fmt"\n[profiles.x.components.fmt]\nsource = "../../components/fmt2"\n`;
const marker = (name: string, language = 'js') => `[component]\nname = "${name}"\nlanguage = "${language}"\nworld = "plugin"\n`;

describe('createNodes', () => {
  const root = workspace({
    'apps/shop/app.loop.toml': app,
    'components/core/loop.component.toml': marker('core', 'rust'),
    'components/fmt/loop.component.toml': marker('fmt'),
    'components/fmt2/loop.component.toml': marker('fmt2', 'ts'),
  });
  const files = ['apps/shop/app.loop.toml', 'components/core/loop.component.toml', 'components/fmt/loop.component.toml', 'components/fmt2/loop.component.toml'];
  const ctx = { workspaceRoot: root, nxJsonConfiguration: {} };

  it('exports the same batched function under both names, for one glob', () => {
    expect(createNodesV2).toBe(createNodes);
    expect(createNodes[0]).toBe('**/{app.loop.toml,loop.component.toml}');
  });

  it('infers an app project with cacheable validate and resolve targets', async () => {
    const results = await createNodes[1](files, {}, ctx);
    const shop = results.find(([f]) => f === 'apps/shop/app.loop.toml')![1].projects!['apps/shop'];
    expect(shop.name).toBe('shop');
    expect(shop.targets!.resolve).toMatchObject({
      executor: '@loop/nx:resolve',
      cache: true,
      dependsOn: ['^build-component'],
      outputs: ['{options.outputPath}'],
      options: { platform: 'native', outputPath: 'dist/apps/shop/native/app.loop.json' },
      configurations: { web: { platform: 'web', outputPath: 'dist/apps/shop/web/app.loop.json' } },
    });
    expect(shop.targets!.resolve.metadata!.description).toBeTruthy();
    expect(shop.targets!.validate.cache).toBe(true);
  });

  it('infers a cacheable pack-native target with one configuration per OS whose outputs do not overlap', async () => {
    const results = await createNodes[1](files, {}, ctx);
    const shop = results.find(([f]) => f === 'apps/shop/app.loop.toml')![1].projects!['apps/shop'];
    const pack = shop.targets!['pack-native'];
    expect(pack).toMatchObject({
      executor: '@loop/nx:pack-native',
      cache: true,
      dependsOn: ['^build-component'],
      defaultConfiguration: 'linux',
      options: { manifest: 'apps/shop/app.loop.toml', target: 'linux' },
      configurations: { linux: { target: 'linux' }, windows: { target: 'windows' }, macos: { target: 'macos' }, 'linux-x64': { target: 'linux-x64' }, 'macos-arm64': { target: 'macos-arm64' } },
    });
    expect(Object.keys(pack.configurations!)).toEqual(['linux', 'windows', 'macos', 'linux-x64', 'linux-arm64', 'windows-x64', 'macos-x64', 'macos-arm64']);
    expect(pack.metadata!.description).toMatch(/linux\|windows\|macos/);
    // Inputs: the app, its built components, Loop's code, and the runtime hosts' identity.
    expect(pack.inputs).toContain('{projectRoot}/**/*');
    expect(pack.inputs).toContainEqual({ dependentTasksOutputFiles: '**/*.wasm', transitive: true });
    expect(pack.inputs).toContainEqual({ runtime: expect.stringContaining('sha256sum */loop-host') });
    // Nx's own interpolation, per configuration: every output under dist/<root>/native, none shared.
    const node = { name: 'shop', type: 'app', data: { root: 'apps/shop', targets: { 'pack-native': pack } } } as never;
    const outs = Object.fromEntries(['linux', 'windows', 'macos'].map((c) => [c, getOutputsForTargetAndConfiguration({ project: 'shop', target: 'pack-native', configuration: c }, {}, node)]));
    expect(outs.linux).toEqual(['dist/apps/shop/native/linux*', 'dist/apps/shop/native/shop-linux*']);
    expect(outs.windows).toEqual(['dist/apps/shop/native/windows*', 'dist/apps/shop/native/shop-windows*']);
    const all = Object.values(outs).flat();
    expect(new Set(all).size).toBe(all.length);
    // A single target's outputs: only its own files (linux-x64 never restores linux-arm64's).
    const x64 = getOutputsForTargetAndConfiguration({ project: 'shop', target: 'pack-native', configuration: 'linux-x64' }, {}, node);
    expect(x64).toEqual(['dist/apps/shop/native/linux-x64*', 'dist/apps/shop/native/shop-linux-x64*']);
    // The files each configuration writes match its own globs only.
    const written: Record<string, string[]> = {
      linux: ['linux-x64/shop', 'linux-arm64/shop', 'shop-linux-x64.tar.gz', 'shop-linux-x64.tar.gz.sha256', 'shop-linux-arm64.tar.gz'],
      windows: ['windows-x64/shop.exe', 'shop-windows-x64.zip', 'shop-windows-x64.zip.sha256'],
      macos: ['macos-x64/shop', 'shop-macos-arm64.tar.gz'],
    };
    const matches = (glob: string, f: string) => new RegExp(`^${glob.replace('dist/apps/shop/native/', '').replace(/[.+]/g, '\\$&').replace('*', '[^/]*')}(/|$)`).test(f);
    for (const [config, fs_] of Object.entries(written))
      for (const f of fs_)
        for (const [other, globs] of Object.entries(outs)) expect(globs.some((g) => matches(g, f)), `${f} vs ${other}`).toBe(other === config);
  });

  it("adds a custom host's sources ([targets] native-host) to the app's pack-native inputs", async () => {
    const hostFiles = (dir: string) => [`${dir}/src/**/*`, `${dir}/wit/**/*`, `${dir}/Cargo.toml`, `${dir}/Cargo.lock`, `${dir}/build.rs`, `${dir}/loop.host.json`, `${dir}/scripts/**/*`];
    const ws = workspace({
      'apps/names/app.loop.toml': '[app]\nname = "names"\nentry = "g"\n[targets]\nnative-host = "../../hosts/names-host"\n',
      'apps/away/app.loop.toml': '[app]\nname = "away"\nentry = "g"\n[targets]\nnative-host = "../../../elsewhere/host"\n',
    });
    try {
      const results = await createNodes[1](['apps/names/app.loop.toml', 'apps/away/app.loop.toml'], {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
      const inputsOf = (f: string, root: string) => results.find(([r]) => r === f)![1].projects![root].targets!['pack-native'].inputs!;
      const names = inputsOf('apps/names/app.loop.toml', 'apps/names');
      for (const i of hostFiles('{workspaceRoot}/hosts/names-host')) expect(names).toContain(i);
      // Still the app's own inputs and the runtime hosts' identity.
      expect(names).toContain('{projectRoot}/**/*');
      expect(names).toContainEqual({ runtime: expect.stringContaining('sha256sum */loop-host') });
      // A host dir outside the workspace cannot be an Nx input: nothing outside is named.
      const away = inputsOf('apps/away/app.loop.toml', 'apps/away');
      expect(away.filter((i) => typeof i === 'string' && (i.includes('..') || i.includes('elsewhere')))).toEqual([]);
      // An app without one gets no host inputs.
      const shop = (await createNodes[1](files, {}, ctx)).find(([f]) => f === 'apps/shop/app.loop.toml')![1].projects!['apps/shop'].targets!['pack-native'].inputs!;
      expect(shop.filter((i) => typeof i === 'string' && i.includes('loop.host.json'))).toEqual([]);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('infers component projects whose build outputs only the .wasm and hashes the toolchain', async () => {
    const results = await createNodes[1](files, {}, ctx);
    const core = results.find(([f]) => f.startsWith('components/core/'))![1].projects!['components/core'];
    const build = core.targets!['build-component'];
    expect(build.outputs).toEqual(['{projectRoot}/dist/core.wasm']);
    expect(build.inputs).toContainEqual({ runtime: expect.stringContaining('rustc') });
    const fmt = results.find(([f]) => f.startsWith('components/fmt/'))![1].projects!['components/fmt'];
    expect(fmt.targets!['build-component'].inputs).toContainEqual({ externalDependencies: expect.arrayContaining(['@bytecodealliance/componentize-js']) });
  });

  it('reports a broken manifest by file without losing the other projects', async () => {
    const bad = workspace({ 'a/app.loop.toml': '[app\n', 'b/loop.component.toml': marker('b') });
    await expect(createNodes[1](['a/app.loop.toml', 'b/loop.component.toml'], {}, { workspaceRoot: bad, nxJsonConfiguration: {} })).rejects.toMatchObject({
      errors: [[`a/app.loop.toml`, expect.anything()]],
      partialResults: [['b/loop.component.toml', expect.anything()]],
    });
  });

  it('draws app → component edges from sources and profiles', () => {
    const projects = {
      shop: { root: 'apps/shop' },
      core: { root: 'components/core' },
      fmt: { root: 'components/fmt' },
      fmt2: { root: 'components/fmt2' },
    };
    const deps = createDependencies({}, { workspaceRoot: root, projects, nxJsonConfiguration: {}, externalNodes: {}, fileMap: { projectFileMap: {}, nonProjectFiles: [] }, filesToProcess: { projectFileMap: {}, nonProjectFiles: [] } } as never) as { source: string; target: string }[];
    expect(deps.map((d) => `${d.source}->${d.target}`).sort()).toEqual(['shop->core', 'shop->fmt', 'shop->fmt2']);
  });

  it('reuses what createNodes parsed, and parses a manifest again when it changed', async () => {
    const ws = workspace({ 'apps/shop/app.loop.toml': app, 'components/core/loop.component.toml': marker('core'), 'components/fmt/loop.component.toml': marker('fmt'), 'components/fmt2/loop.component.toml': marker('fmt2') });
    await createNodes[1](['apps/shop/app.loop.toml'], {}, { workspaceRoot: ws, nxJsonConfiguration: {} });
    const projects = { shop: { root: 'apps/shop' }, core: { root: 'components/core' }, fmt: { root: 'components/fmt' }, fmt2: { root: 'components/fmt2' } };
    const edges = () =>
      (createDependencies({}, { workspaceRoot: ws, projects, nxJsonConfiguration: {}, externalNodes: {}, fileMap: { projectFileMap: {}, nonProjectFiles: [] }, filesToProcess: { projectFileMap: {}, nonProjectFiles: [] } } as never) as { source: string; target: string }[])
        .map((d) => `${d.source}->${d.target}`)
        .sort();
    expect(edges()).toEqual(['shop->core', 'shop->fmt', 'shop->fmt2']);
    // Edited after createNodes ran (no profile any more): the edge to fmt2 goes.
    fs.writeFileSync(path.join(ws, 'apps/shop/app.loop.toml'), app.replace(/\[profiles[^]*$/, ''));
    expect(edges()).toEqual(['shop->core', 'shop->fmt']);
  });

  it('names the same files as the manifest loader', () => {
    expect(APP_FILE).toBe(MANIFEST_FILE);
    expect(MARKER_FILE).toBe(COMPONENT_MARKER);
  });
});

describe('nx show projects in this repository', () => {
  it('lists the example app and its components, inferred from manifests', () => {
    const r = spawnSync(path.join(repo, 'node_modules/.bin/nx'), ['show', 'projects'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true' },
    });
    expect(r.stderr).not.toMatch(/error/i);
    const projects = r.stdout.trim().split('\n');
    for (const p of ['hello-app', 'greeter', 'formatter-basic', 'formatter-fancy', 'upper', 'reverse']) expect(projects).toContain(p);
  });
});
