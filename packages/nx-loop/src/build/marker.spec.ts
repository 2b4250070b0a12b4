import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLoopError, type LoopError } from '../errors';
import { readComponentMarker } from './marker';
import { marker, tempWorkspace, writeTree } from './__fixtures__/workspace';

const ws = tempWorkspace();
let n = 0;
function project(toml: string): string {
  return writeTree(join(ws, `p${++n}`), { 'loop.component.toml': toml });
}
function failure(dir: string): LoopError {
  try {
    readComponentMarker(dir);
  } catch (e) {
    if (isLoopError(e)) return e;
    throw e;
  }
  throw new Error('expected a LoopError');
}

describe('readComponentMarker', () => {
  it('reads the core fields and the build keys', () => {
    const dir = project(marker('text-upper', 'js', 'plugin', 'entry = "lib/main.js"\nfeatures = ["clocks", "random"]\n'));
    const p = readComponentMarker(dir);
    expect(p).toMatchObject({ name: 'text-upper', language: 'js', world: 'plugin', entry: 'lib/main.js', features: ['clocks', 'random'] });
    expect(p.markerFile).toBe(join(dir, 'loop.component.toml'));
  });

  it('defaults features to none (a pure component)', () => {
    expect(readComponentMarker(project(marker('a', 'ts', 'core'))).features).toEqual([]);
  });

  it('names the file for a missing marker', () => {
    const e = failure(join(ws, 'nowhere'));
    expect(e.diagnostics[0].file).toBe(join(ws, 'nowhere', 'loop.component.toml'));
  });

  it('names file, line and field for a bad language', () => {
    const e = failure(project(marker('a', 'go', 'plugin')));
    expect(e.diagnostics[0]).toMatchObject({ field: 'component.language', line: 3 });
    expect(e.message).toContain('loop.component.toml:3:');
    expect(e.message).toContain('"go"');
  });

  it('reports a TOML syntax error with its position', () => {
    const e = failure(project('[component\nname = "x"\n'));
    expect(e.diagnostics[0].line).toBe(1);
    expect(e.message).toContain('loop.component.toml:1:');
  });

  it('rejects unknown keys, bad features and js-only keys on rust, all in one error', () => {
    const e = failure(project(marker('r', 'rust', 'core', 'entry = "src/lib.rs"\nfeatures = ["clocks"]\nworlds = "x"\n[extra]\n')));
    const fields = e.diagnostics.map((d) => d.field).sort();
    expect(fields).toEqual(['component.entry', 'component.features', 'component.worlds', 'extra']);
    for (const d of e.diagnostics) expect(d.file).toMatch(/loop\.component\.toml$/);
    const worlds = e.diagnostics.find((d) => d.field === 'component.worlds')!;
    expect(worlds.line).toBe(7);
    expect(worlds.hint).toContain('allowed keys');
  });

  it('rejects an unknown feature with the list of known ones', () => {
    const e = failure(project(marker('a', 'js', 'plugin', 'features = ["threads"]\n')));
    expect(e.diagnostics[0]).toMatchObject({ field: 'component.features' });
    expect(e.message).toContain('unknown feature "threads"');
    expect(e.diagnostics[0].hint).toContain('stdio, random, clocks, http, fetch-event');
  });
});
