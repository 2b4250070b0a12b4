import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { componentGenerator, generateComponentProject } from './generator';

const REPO = resolve(__dirname, '../../../../..');

describe('component generator (in a virtual tree)', () => {
  it.each([
    ['js', 'plugin', ['src/index.js']],
    ['ts', 'plugin', ['src/index.ts', 'tsconfig.json']],
    ['rust', 'plugin', ['Cargo.toml', 'src/lib.rs']],
    ['ts', 'core', ['src/index.ts']],
  ] as const)('%s %s: marker, sources, README and its own test', async (language, world, sources) => {
    const tree = createTreeWithEmptyWorkspace();
    await componentGenerator(tree, { name: 'demo-thing', language, world });
    const root = 'components/demo-thing';
    for (const f of ['loop.component.toml', 'README.md', 'test/demo-thing.spec.ts', ...sources]) {
      expect(tree.exists(`${root}/${f}`), f).toBe(true);
    }
    expect(tree.read(`${root}/loop.component.toml`, 'utf-8')).toBe(`[component]\nname = "demo-thing"\nlanguage = "${language}"\nworld = "${world}"\n`);
    const spec = tree.read(`${root}/test/demo-thing.spec.ts`, 'utf-8')!;
    expect(spec).toContain("from '@loop/nx'");
    expect(spec).toContain(world === 'plugin' ? "exports.plugin.handle('hello')" : 'exports.entry.run()');
    expect(tree.children(root).some((f) => f.includes('__') || f.endsWith('tmpl__'))).toBe(false);
  });

  it('points a Rust crate at the workspace wit/ from any depth', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await componentGenerator(tree, { name: 'deep', language: 'rust', world: 'core', directory: 'a/b/c/deep' });
    const lib = tree.read('a/b/c/deep/src/lib.rs', 'utf-8')!;
    expect(lib).toContain('path: "../../../../wit"');
    expect(lib).toContain('world: "loop:app/core"');
    expect(lib).toContain('impl Guest for Component');
  });

  it('generateComponentProject writes the project to disk (for `loop component new`)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'loop-gen-fs-'));
    const r = await generateComponentProject(root, { name: 'on-disk', language: 'js' });
    expect(r.directory).toBe('components/on-disk');
    expect(r.files).toEqual([
      'components/on-disk/README.md',
      'components/on-disk/loop.component.toml',
      'components/on-disk/src/index.js',
      'components/on-disk/test/on-disk.spec.ts',
    ]);
    expect(readFileSync(join(root, 'components/on-disk/src/index.js'), 'utf8')).toContain("name: 'on-disk'");
  });

  it('treats --world app as core', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await componentGenerator(tree, { name: 'x', language: 'js', world: 'app' });
    expect(tree.read('components/x/loop.component.toml', 'utf-8')).toContain('world = "core"');
  });

  it('refuses bad names, languages and an existing project with a clear message', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await expect(componentGenerator(tree, { name: 'Bad_Name' })).rejects.toThrow('component name "Bad_Name" is invalid');
    await expect(componentGenerator(tree, { name: 'x', language: 'go' as never })).rejects.toThrow('--language must be one of rust, js, ts (got "go")');
    await expect(componentGenerator(tree, { name: 'x', directory: '../out' })).rejects.toThrow('--directory must be inside the workspace');
    await componentGenerator(tree, { name: 'twice', language: 'js' });
    await expect(componentGenerator(tree, { name: 'twice', language: 'ts' })).rejects.toThrow('components/twice/loop.component.toml already exists');
  });
});

// The real thing: `nx g @loop/nx:component` in a fresh workspace (which links this repo's
// node_modules, wit/ and tools/), then the generated project's own test, run by vitest, which
// builds the component and calls it. Needs the plugin built (`npm run build`).
describe('nx g @loop/nx:component, then the generated test', () => {
  let ws = '';
  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'loop-gen-e2e-'));
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'gen-e2e', private: true }));
    writeFileSync(join(ws, 'nx.json'), readFileSync(join(REPO, 'nx.json')));
    for (const link of ['node_modules', 'wit', 'tools']) symlinkSync(join(REPO, link), join(ws, link));
    mkdirSync(join(ws, 'components'));
  });
  const env = { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  // eslint-disable-next-line no-control-regex
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const nx = (...args: string[]) => spawnSync(join(ws, 'node_modules/.bin/nx'), args, { cwd: ws, env, encoding: 'utf8' });

  it('@loop/nx exports what generated tests import', () => {
    const api = createRequire(__filename)(join(REPO, 'packages/nx-loop'));
    expect(typeof api.buildComponent, 'src/index.ts must export the build API (export * from "./build")').toBe('function');
    expect(typeof api.instantiateComponent).toBe('function');
    expect(typeof api.memoryProviders).toBe('function');
  });

  it.each(['js', 'ts', 'rust'])('--language %s builds and runs on the first try', { timeout: 1_800_000 }, (language) => {
    const name = `demo-${language}`;
    const g = nx('g', '@loop/nx:component', name, '--language', language, '--no-interactive');
    expect(g.status, g.stdout + g.stderr).toBe(0);
    expect(plain(g.stdout)).toContain(`CREATE components/${name}/loop.component.toml`);
    expect(existsSync(join(ws, 'components', name, 'test', `${name}.spec.ts`))).toBe(true);

    const t = spawnSync(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', `components/${name}`], {
      cwd: ws,
      env,
      encoding: 'utf8',
    });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(plain(t.stdout)).toMatch(/Tests\s+1 passed/);
    expect(existsSync(join(ws, 'components', name, 'dist', `${name}.wasm`))).toBe(true);
  });
});
