// Builds the example JS/TS components for real (componentize-js, ~20-50 s each on 2 cores,
// so each is built once here and shared by the tests), checks what they import, and runs
// them through jco in Node with small real providers.
import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import buildComponentExecutor from '../executors/build-component/executor';
import { buildComponent, type BuildResult } from './build-component';
import { instantiateComponent, memoryProviders } from './run';
import { REPO } from './__fixtures__/workspace';

const dir = (name: string) => join(REPO, 'examples/components', name);
const built: Record<string, BuildResult> = {};
let executorResult: { success: boolean } | undefined;
const wit: Record<string, string> = {};

async function witOf(wasm: string): Promise<string> {
  const { componentWit } = await import('@bytecodealliance/jco');
  return componentWit(readFileSync(wasm));
}

beforeAll(async () => {
  // Two at a time: componentize runs wizer in a child process, so pairs use both cores.
  [built.upper, built.reverse] = await Promise.all([buildComponent(dir('upper-js')), buildComponent(dir('reverse-ts'))]);
  const context = {
    root: REPO,
    cwd: REPO,
    isVerbose: false,
    projectName: 'formatter-basic',
    projectsConfigurations: { version: 2, projects: { 'formatter-basic': { root: 'examples/components/formatter-basic-js' } } },
  } as unknown as ExecutorContext;
  [executorResult, built.fancy] = await Promise.all([buildComponentExecutor({}, context), buildComponent(dir('formatter-fancy-ts'))]);
  built.basic = { wasm: join(dir('formatter-basic-js'), 'dist/formatter-basic.wasm') } as BuildResult;
  for (const [k, b] of Object.entries(built)) wit[k] = await witOf(b.wasm);
}, 900_000);

describe('example plugins (upper-js, reverse-ts)', () => {
  it('write only dist/<name>.wasm and report its hash and size', () => {
    const bytes = readFileSync(built.upper.wasm);
    expect(built.upper).toMatchObject({ name: 'upper', language: 'js', world: 'plugin', bytes: bytes.length });
    expect(built.upper.wasm).toBe(join(dir('upper-js'), 'dist/upper.wasm'));
    expect(built.upper.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(built.reverse).toMatchObject({ name: 'reverse', language: 'ts', world: 'plugin' });
  });

  it('import only loop:log (plus the types their export uses) and no WASI', () => {
    for (const k of ['upper', 'reverse']) {
      const imports = wit[k].split('\n').filter((l) => l.trim().startsWith('import ')).map((l) => l.trim());
      expect(imports).toEqual(['import loop:log/logger@0.1.0;', 'import loop:plugin/types@0.1.0;']);
      expect(wit[k]).toContain('export loop:plugin/plugin@0.1.0;');
      expect(wit[k]).not.toContain('wasi:');
    }
  });

  it('upper-js (two modules, bundled) upper-cases and logs through loop:log', async () => {
    const p = memoryProviders();
    const { exports, imports } = await instantiateComponent(built.upper.wasm, p.imports);
    expect(imports).toEqual(['loop:log/logger']);
    expect(exports.plugin.info()).toEqual({ name: 'upper', version: '0.1.0', description: 'Upper-cases text' });
    expect(exports.plugin.handle('straße, héllo')).toBe('STRASSE, HÉLLO');
    expect(p.logs).toEqual([{ level: 'info', message: 'upper: 13 chars' }]);
  });

  it('reverse-ts reverses by code point and turns a thrown string into an err', async () => {
    const p = memoryProviders();
    const { exports } = await instantiateComponent(built.reverse.wasm, p.imports);
    expect(exports.plugin.info().name).toBe('reverse');
    expect(exports.plugin.handle('añb😀')).toBe('😀bña');
    expect(() => exports.plugin.handle('')).toThrow('reverse: nothing to reverse');
    // The instance survives an err.
    expect(exports.plugin.handle('ab')).toBe('ba');
    expect(p.logs.map((l) => l.level)).toEqual(['info', 'warn', 'info']);
  });

  it('a plugin given no loop:log provider is refused before it runs', async () => {
    await expect(instantiateComponent(built.upper.wasm, {})).rejects.toThrow('the component imports loop:log/logger, which no provider was given for');
  });
});

describe('interchangeable formatters (formatter-basic-js via the executor, formatter-fancy-ts)', () => {
  it('the executor succeeded', () => {
    expect(executorResult).toEqual({ success: true });
  });

  it('have the same WIT surface', () => {
    expect(wit.basic).toBe(wit.fancy);
    expect(wit.basic).toContain('export example:hello/formatter@0.1.0;');
    expect(wit.basic).toContain('import loop:log/logger@0.1.0;');
    expect(wit.basic).not.toContain('wasi:');
  });

  it('format differently', async () => {
    const results: string[] = [];
    for (const k of ['basic', 'fancy']) {
      const p = memoryProviders();
      const { exports } = await instantiateComponent(built[k].wasm, p.imports);
      results.push(exports.formatter.format('hello, world'));
      expect(p.logs).toEqual([{ level: 'debug', message: `formatter-${k}: formatting 12 chars` }]);
    }
    expect(results).toEqual(['[basic] hello, world', '✨ Hello, world ✨']);
  });
});
