import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main';
import { corpusCases } from './corpus';

const repo = path.resolve(__dirname, '../../../..');
const cases = corpusCases(path.join(repo, 'spec/manifests'), repo);

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { cwd: repo, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n') + '\n', err: err.join('\n') + '\n' };
}

describe('the manifest corpus (spec/manifests)', () => {
  it('has a valid and an invalid case for every check, and a file with several errors', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['invalid', 'resolve-error', 'valid']);
    const codes = new Set(
      cases.filter((c) => c.kind !== 'valid').flatMap((c) => [...fs.readFileSync(c.expectedFile, 'utf8').matchAll(/error\[(LOOP\d+)\]/g)].map((m) => m[1])),
    );
    // Every semantic check (LOOP2xx) and every schema error family (LOOP10x) appears.
    for (const code of ['LOOP001', 'LOOP101', 'LOOP102', 'LOOP103', 'LOOP104', 'LOOP105', 'LOOP201', 'LOOP202', 'LOOP203', 'LOOP204', 'LOOP205', 'LOOP206', 'LOOP207', 'LOOP208', 'LOOP209', 'LOOP210', 'LOOP211', 'LOOP212', 'LOOP215', 'LOOP216', 'LOOP303']) {
      expect(codes, code).toContain(code);
    }
    const many = fs.readFileSync(path.join(repo, 'spec/manifests/invalid/many-errors/expected.txt'), 'utf8');
    expect(many.match(/error\[/g)!.length).toBeGreaterThanOrEqual(8);
  });

  for (const dir of [...new Set(cases.filter((c) => c.kind === 'valid').map((c) => c.argv[1]))]) {
    it(`validates ${dir} with exit 0 and no output on stderr`, async () => {
      const r = await run(['validate', dir]);
      expect(r.err.trim()).toBe('');
      expect(r.code).toBe(0);
    });
  }

  for (const c of cases.filter((c) => c.kind === 'valid')) {
    it(`resolves ${c.name} to its expected graph`, async () => {
      const r = await run(c.argv);
      expect(r.err.trim()).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual(JSON.parse(fs.readFileSync(c.expectedFile, 'utf8')));
    });
  }

  for (const c of cases.filter((c) => c.kind !== 'valid')) {
    it(`rejects ${c.kind === 'invalid' ? 'invalid manifest' : 'resolution of'} ${c.name} with file:line:col, field and hint`, async () => {
      const r = await run(c.argv);
      expect(r.code).not.toBe(0);
      expect(`exit ${r.code}\n${r.err}`).toBe(fs.readFileSync(c.expectedFile, 'utf8'));
      for (const line of r.err.split('\n').filter((l) => l.includes('error['))) {
        // Every error names a place: a file position, or the flag that caused it.
        expect(line).toMatch(/^(\S+\.toml(:\d+:\d+)?: |error\[LOOP\d+\] --)/);
      }
      if (c.kind === 'invalid') {
        // Syntax errors stop parsing before any field exists; all others name the field.
        expect(r.err).toMatch(r.err.includes('LOOP001') ? /:\d+:\d+: error\[LOOP001\] TOML syntax: / : /:\d+:\d+: error\[LOOP\d+\] \S+: /);
        expect(r.err).toContain('hint: ');
      }
    });
  }
});
