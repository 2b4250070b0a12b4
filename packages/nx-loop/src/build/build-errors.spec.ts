// Build failures that stop before componentize (each takes well under a second): the
// messages must name the file (and field) and come from the tool that found the problem.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLoopError, type LoopError } from '../errors';
import { generateComponentProject } from '../generators/component/generator';
import { buildComponent } from './build-component';
import { marker, tempWorkspace, writeTree } from './__fixtures__/workspace';

const ws = tempWorkspace();
let n = 0;
const project = (files: Record<string, string>) => writeTree(join(ws, `p${++n}`), files);

async function failure(dir: string, opts = {}): Promise<LoopError> {
  try {
    await buildComponent(dir, { cwd: ws, ...opts });
  } catch (e) {
    if (isLoopError(e)) return e;
    throw e;
  }
  throw new Error('expected the build to fail');
}

const plugin = (body: string) => `import { log } from 'loop:log/logger@0.1.0';\n${body}`;

describe('buildComponent failures', () => {
  it('a TS type error fails with the compiler message at file:line:col', async () => {
    const dir = project({
      'loop.component.toml': marker('typo', 'ts', 'plugin'),
      'src/index.ts': [
        "import { log } from 'loop:log/logger@0.1.0';",
        "export const plugin: typeof import('loop:plugin/plugin@0.1.0') = {",
        "  info: () => ({ name: 'typo', version: '0.1.0', description: 'x' }),",
        '  handle(input: string): string {',
        "    log('loud', input);",
        '    return input.length;',
        '  },',
        '};',
      ].join('\n'),
    });
    const e = await failure(dir);
    expect(e.code).toBe('LOOP410');
    const rel = `p${n}/src/index.ts`;
    expect(e.message).toContain(`${rel}:5:9 - error TS2345: Argument of type '"loud"' is not assignable to parameter of type 'Level'.`);
    expect(e.message).toContain(`${rel}:6:5 - error TS2322: Type 'number' is not assignable to type 'string'.`);
    expect(e.diagnostics[0]).toMatchObject({ file: rel, line: 5, col: 9 });
    expect(e.message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a TS syntax error is reported the same way', async () => {
    const dir = project({ 'loop.component.toml': marker('syn', 'ts', 'plugin'), 'src/index.ts': 'export const plugin = {\n  info() {\n' });
    const e = await failure(dir);
    expect(e.code).toBe('LOOP410');
    expect(e.message).toMatch(/src\/index\.ts:3:1 - error TS1005: '}' expected\./);
  });

  it('names the marker field when the entry module is missing', async () => {
    const dir = project({ 'loop.component.toml': marker('noentry', 'js', 'plugin', 'entry = "lib/main.js"\n') });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'LOOP401', field: 'component.entry' });
    expect(e.diagnostics[0].file).toMatch(/loop\.component\.toml$/);
    expect(e.message).toContain('lib/main.js does not exist');
  });

  it('an unresolved relative import fails the bundle step, naming the module', async () => {
    const dir = project({
      'loop.component.toml': marker('unres', 'js', 'plugin'),
      'src/index.js': plugin("import { x } from './missing.js';\nexport const plugin = { info: () => x, handle: (s) => s };\n"),
    });
    const e = await failure(dir);
    expect(e.code).toBe('LOOP411');
    expect(e.message).toContain('./missing.js');
    expect(e.diagnostics[0].file).toBe(`p${n}/src/index.js`);
  });

  it('an unknown world names the marker field', async () => {
    const dir = project({ 'loop.component.toml': marker('w', 'js', 'nope'), 'src/index.js': 'export const x = 1;\n' });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'LOOP402', field: 'component.world' });
    expect(e.message).toContain("World `nope` not found in package `loop:app@0.1.0`");
  });

  it('an unknown world fails a TS build before type-checking', async () => {
    const dir = project({ 'loop.component.toml': marker('w', 'ts', 'loop:app/nope'), 'src/index.ts': 'export const x = 1;\n' });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'LOOP402', field: 'component.world' });
  });

  it('a missing own WIT dir names the marker field', async () => {
    const dir = project({ 'loop.component.toml': marker('w', 'js', 'x:y/z', 'wit = "my-wit"\n'), 'src/index.js': '' });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'LOOP402', field: 'component.wit' });
  });

  it('a guest importing an interface its world lacks is refused before componentize', async () => {
    const dir = project({
      'loop.component.toml': marker('sneaky', 'js', 'plugin'),
      'src/index.js': plugin("import { read } from 'loop:fs/files@0.1.0';\nexport const plugin = { info: () => ({}), handle: (s) => { log('info', s); return String(read(s)); } };\n"),
    });
    const e = await failure(dir);
    expect(e.code).toBe('LOOP412');
    expect(e.message).toContain("the guest imports 'loop:fs/files@0.1.0', which world 'plugin' does not import");
    expect(e.diagnostics[0].hint).toContain('loop:log/logger');
  });

  it('a Rust compile error fails with cargo\'s own message', { timeout: 900_000 }, async () => {
    await generateComponentProject(ws, { name: 'broken-rust', language: 'rust', directory: 'broken-rust' });
    const lib = join(ws, 'broken-rust/src/lib.rs');
    writeFileSync(lib, readFileSync(lib, 'utf8').replace('Ok(format!("broken-rust: {input}"))', 'Ok(42)'));
    const e = await failure(join(ws, 'broken-rust'));
    expect(e.code).toBe('LOOP420');
    expect(e.diagnostics[0].file).toBe('broken-rust/Cargo.toml');
    expect(e.message).toContain('error[E0308]: mismatched types');
    expect(e.message).toMatch(/src\/lib\.rs:\d+:\d+/);
  });

  it('a rust project outside any workspace says the build script is missing', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const lone = writeTree(mkdtempSync(join(tmpdir(), 'loop-lone-')), { 'loop.component.toml': marker('r', 'rust', 'core') });
    const e = await failure(lone);
    expect(e.code).toBe('LOOP420');
    expect(e.message).toContain('tools/rust-guest/build.sh');
  });
});
