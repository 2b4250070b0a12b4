// WASI features are off by default (see examples.spec.ts: no wasi:* imports); a marker can
// opt back in, and then the component imports the WASI interfaces StarlingMonkey needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildComponent } from './build-component';
import { marker, tempWorkspace, writeTree } from './__fixtures__/workspace';

describe('features opt-in', () => {
  it('features = ["stdio", "clocks"] keeps wasi:cli stdio and wasi:clocks', { timeout: 900_000 }, async () => {
    const dir = writeTree(join(tempWorkspace(), 'stamp'), {
      'loop.component.toml': marker('stamp', 'js', 'plugin', 'features = ["stdio", "clocks"]\n'),
      'src/index.js': [
        "import { log } from 'loop:log/logger@0.1.0';",
        'export const plugin = {',
        "  info: () => ({ name: 'stamp', version: '0.1.0', description: 'Stamps text with the time' }),",
        '  handle(input) {',
        '    console.log(input);',
        "    log('info', input);",
        '    return `${Date.now()} ${input}`;',
        '  },',
        '};',
      ].join('\n'),
    });
    const built = await buildComponent(dir);
    const { componentWit } = await import('@bytecodealliance/jco');
    const wit = await componentWit(readFileSync(built.wasm));
    expect(wit).toContain('import loop:log/logger@0.1.0;');
    expect(wit).toMatch(/import wasi:cli\/stdout@0\.2\.\d+;/);
    expect(wit).toMatch(/import wasi:clocks\/wall-clock@0\.2\.\d+;/);
    expect(wit).not.toMatch(/wasi:random|wasi:http/);
  });
});
