// `loop build` and `loop component new` as commands (the CLI registers them); the failing
// build paths are fast, the successful ones are covered by examples/generator specs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLoopError } from '../errors';
import { componentNew } from '../generators/component/command';
import { buildCommand } from './command';
import { marker, tempWorkspace, writeTree } from './__fixtures__/workspace';

const ws = tempWorkspace();

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, ctx: { cwd: ws, out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

describe('loop build', () => {
  it('exits 1 with the diagnostics of every failing project, and builds nothing else', async () => {
    writeTree(join(ws, 'typed'), {
      'loop.component.toml': marker('typed', 'ts', 'plugin'),
      'src/index.ts': "const s: string = 1;\nexport {};\n",
    });
    writeTree(join(ws, 'unmarked'), { 'loop.component.toml': marker('unmarked', 'js', 'plugin', 'colour = "red"\n') });
    const { err, ctx } = io();
    const code = await buildCommand.run({ ...ctx, positionals: ['typed', 'unmarked'], values: {} });
    expect(code).toBe(1);
    const text = err.join('\n');
    expect(text).toContain("typed/src/index.ts:1:7 - error TS2322: Type 'number' is not assignable to type 'string'.");
    expect(text).toMatch(/unmarked\/loop\.component\.toml:5:\d+: error\[LOOP302\] component\.colour: unknown key 'colour'/);
    expect(text).toContain('2 of 2 builds failed');
    expect(existsSync(join(ws, 'typed/dist'))).toBe(false);
  });

  it('rejects an unknown --features value', async () => {
    const { ctx } = io();
    const run = buildCommand.run({ ...ctx, positionals: ['typed'], values: { features: 'stdio,threads' } });
    await expect(run).rejects.toSatisfy((e: unknown) => isLoopError(e) && e.message.includes('--features: unknown feature "threads"'));
  });
});

describe('loop component new', () => {
  it('writes the project into the workspace and says how to build and test it', async () => {
    const { out, ctx } = io();
    const code = await componentNew.run({ ...ctx, cwd: join(ws, 'typed'), positionals: ['shout'], values: { language: 'js', directory: '../plugins/shout' } });
    expect(code).toBe(0);
    expect(out).toContain('CREATE plugins/shout/loop.component.toml');
    expect(out.join('\n')).toContain('loop build plugins/shout');
    expect(existsSync(join(ws, 'plugins/shout/src/index.js'))).toBe(true);
  });

  it('turns generator refusals into a LOOP403 error', async () => {
    const { ctx } = io();
    const run = componentNew.run({ ...ctx, positionals: ['Nope'], values: {} });
    await expect(run).rejects.toSatisfy((e: unknown) => isLoopError(e) && e.code === 'LOOP403' && e.message.includes('component name "Nope" is invalid'));
  });
});
