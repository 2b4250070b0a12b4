// examples/wit (package example:hello) must resolve from this directory alone, for
// wit-bindgen (greeter-rust: tools/rust-guest/build.spec.ts), componentize-js (the formatter
// examples: packages/nx-loop/src/build/examples.spec.ts) and jco (here). Its deps/ are
// relative symlinks into the workspace wit/: deps/app is the loop:app root package.
import { componentEmbed, componentNew, componentWit, types } from '@bytecodealliance/jco';
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const HERE = __dirname;
const WIT = join(HERE, '..', '..', 'wit');

async function worldWit(world: string): Promise<string> {
  const core = await componentEmbed({ dummy: true, witPath: HERE, world });
  return componentWit(await componentNew(core));
}
const lines = (wit: string, kind: 'import' | 'export') =>
  [...wit.matchAll(new RegExp(`^\\s*${kind} ([^;]+);`, 'gm'))].map((m) => m[1]).sort();

describe('examples/wit deps', () => {
  it('links every loop:* package of wit/ with a relative symlink, and app -> wit/', () => {
    const deps = readdirSync(join(HERE, 'deps')).sort();
    expect(deps).toEqual(['app', ...readdirSync(join(WIT, 'deps'))].sort());
    for (const d of deps) {
      const link = join(HERE, 'deps', d);
      expect(lstatSync(link).isSymbolicLink(), `deps/${d} is a symlink`).toBe(true);
      expect(readlinkSync(link)).toBe(d === 'app' ? '../../../wit' : `../../../wit/deps/${d}`);
      expect(realpathSync(link)).toBe(realpathSync(d === 'app' ? WIT : join(WIT, 'deps', d)));
    }
  });
});

describe('example:hello worlds (jco WIT parser)', () => {
  it('greeter = loop:app/core + import formatter', async () => {
    const wit = await worldWit('example:hello/greeter');
    expect(lines(wit, 'import')).toEqual(
      [
        'example:hello/formatter', 'loop:app/config', 'loop:clock/clock', 'loop:fs/files', 'loop:http/client',
        'loop:kv/store', 'loop:log/logger', 'loop:plugin/host', 'loop:plugin/types', 'loop:random/random',
      ].map((i) => `${i}@0.1.0`),
    );
    expect(lines(wit, 'export')).toEqual(['loop:app/entry@0.1.0']);
  });

  it('formatter-impl imports loop:log/logger and exports formatter', async () => {
    const wit = await worldWit('example:hello/formatter-impl');
    expect(lines(wit, 'import')).toEqual(['loop:log/logger@0.1.0']);
    expect(lines(wit, 'export')).toEqual(['example:hello/formatter@0.1.0']);
    const files = await types(HERE, { worldName: 'example:hello/formatter-impl', quiet: true });
    const dts = Buffer.from(files['interfaces/example-hello-formatter.d.ts']).toString();
    expect(dts).toContain('export function format(text: string): string;');
  });
});
