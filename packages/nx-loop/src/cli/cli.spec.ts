import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The real entry point users get on node_modules/.bin, run from an unrelated directory.
const repo = path.resolve(__dirname, '../../../..');
const bin = path.join(repo, 'node_modules/.bin/loop');
const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-cli-'));
afterAll(() => fs.rmSync(elsewhere, { recursive: true, force: true }));
const loop = (...args: string[]) => spawnSync(bin, args, { cwd: elsewhere, encoding: 'utf8' });

describe('the loop CLI (node_modules/.bin/loop)', () => {
  it('lists every verb in --help', () => {
    const r = loop('--help');
    expect(r.status).toBe(0);
    for (const verb of ['validate', 'resolve', 'run', 'build', 'component new', 'host new', 'pack native', 'pack web']) {
      expect(r.stdout).toContain(`  ${verb} `);
    }
  });

  it('explains each command with --help', () => {
    const r = loop('resolve', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: loop resolve');
    expect(r.stdout).toContain('--platform <native|web>');
  });

  it('validates a manifest given by absolute path from any directory', () => {
    const r = loop('validate', path.join(repo, 'spec/manifests/valid/full'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('exits 1 with file:line:col, field and hint for an invalid manifest', () => {
    const r = loop('validate', path.join(repo, 'spec/manifests/invalid/bad-class'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/app\.loop\.toml:7:9: error\[LOOP103\] components\.main\.class: "pinned" is not allowed here/);
    expect(r.stderr).toContain('hint: ');
  });

  it('says clearly when a manifest does not exist', () => {
    const r = loop('validate', 'nowhere');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[LOOP002] manifest not found');
  });

  it('rejects unknown commands and options with a hint', () => {
    expect(loop('frobnicate').stderr).toContain('unknown command "frobnicate"');
    const r = loop('resolve', '--platfrom', 'web');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Unknown option '--platfrom'");
    expect(r.stderr).toContain('loop resolve --help');
  });

  it('prints its version', () => {
    expect(loop('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
