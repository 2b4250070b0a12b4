// The executor is a thin adapter: a failing build returns { success: false } (Nx exits 1)
// and prints the Loop diagnostics — the compiler's own lines — without a stack trace.
// (A successful run through the executor is in build/examples.spec.ts.)
import type { ExecutorContext } from '@nx/devkit';
import { relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { marker, tempWorkspace, writeTree } from '../../build/__fixtures__/workspace';
import buildComponentExecutor from './executor';

const ws = tempWorkspace();
const context = (projectName: string, root: string) =>
  ({ root: ws, cwd: ws, isVerbose: false, projectName, projectsConfigurations: { version: 2, projects: { [projectName]: { root } } } }) as unknown as ExecutorContext;

afterEach(() => vi.restoreAllMocks());

function captureStderr() {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  return lines;
}

describe('build-component executor', () => {
  it('fails a TS type error with the compiler message and no stack trace', async () => {
    const dir = writeTree(`${ws}/components/bad-ts`, {
      'loop.component.toml': marker('bad-ts', 'ts', 'plugin'),
      'src/index.ts': "import { log } from 'loop:log/logger@0.1.0';\nconst n: number = 'one';\nlog('info', String(n));\n",
    });
    const err = captureStderr();
    const r = await buildComponentExecutor({}, context('bad-ts', relative(ws, dir)));
    expect(r).toEqual({ success: false });
    const out = err.join('\n');
    expect(out).toContain("components/bad-ts/src/index.ts:2:7 - error TS2322: Type 'string' is not assignable to type 'number'.");
    expect(out).toContain('error[LOOP410]');
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('takes the project dir from the `project` option', async () => {
    writeTree(`${ws}/elsewhere/m`, { 'loop.component.toml': marker('m', 'js', 'plugin', 'bogus = 1\n') });
    const err = captureStderr();
    const r = await buildComponentExecutor({ project: 'elsewhere/m' }, context('other', 'unrelated'));
    expect(r).toEqual({ success: false });
    expect(err.join('\n')).toMatch(/elsewhere\/m\/loop\.component\.toml:5:\d+: error\[LOOP302\] component\.bogus: unknown key 'bogus'/);
  });

  it('fails clearly without a project', async () => {
    const err = captureStderr();
    const r = await buildComponentExecutor({}, { root: ws } as ExecutorContext);
    expect(r).toEqual({ success: false });
    expect(err.join('\n')).toContain('build-component needs a project');
  });
});
