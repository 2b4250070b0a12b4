/**
 * The manifest corpus in spec/manifests/: which `loop` command each case runs and where
 * its expected output lives. Shared by the corpus test and tools/spec/update-corpus.mjs;
 * the Rust host's tests read the same expected graphs.
 *
 *   valid/<case>/app.loop.toml          → expected.<platform>[.profile-<name>].json (loop resolve stdout)
 *   invalid/<case>/app.loop.toml        → expected.txt (exit code + loop validate stderr)
 *   resolve-errors/<case>/args.json     → expected.txt (exit code + loop resolve stderr)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { PLATFORMS } from '../manifest/capabilities';

export interface CorpusCase {
  kind: 'valid' | 'invalid' | 'resolve-error';
  name: string;
  argv: string[];
  expectedFile: string;
}

export function corpusCases(corpusDir: string, cwd = path.resolve(corpusDir, '../..')): CorpusCase[] {
  const rel = (p: string) => path.relative(cwd, p).split(path.sep).join('/');
  const dirs = (sub: string) =>
    fs
      .readdirSync(path.join(corpusDir, sub), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(corpusDir, sub, d.name))
      .sort();
  const cases: CorpusCase[] = [];
  for (const dir of dirs('valid')) {
    const manifest = parse(fs.readFileSync(path.join(dir, 'app.loop.toml'), 'utf8')) as { profiles?: Record<string, unknown> };
    for (const platform of PLATFORMS) {
      for (const profile of [undefined, ...Object.keys(manifest.profiles ?? {})]) {
        cases.push({
          kind: 'valid',
          name: `${path.basename(dir)} (${platform}${profile ? `, profile ${profile}` : ''})`,
          argv: ['resolve', rel(dir), '--platform', platform, ...(profile ? ['--profile', profile] : [])],
          expectedFile: path.join(dir, `expected.${platform}${profile ? `.profile-${profile}` : ''}.json`),
        });
      }
    }
  }
  for (const dir of dirs('invalid')) {
    cases.push({ kind: 'invalid', name: path.basename(dir), argv: ['validate', rel(dir)], expectedFile: path.join(dir, 'expected.txt') });
  }
  for (const dir of dirs('resolve-errors')) {
    const args = JSON.parse(fs.readFileSync(path.join(dir, 'args.json'), 'utf8')) as string[];
    cases.push({ kind: 'resolve-error', name: path.basename(dir), argv: ['resolve', rel(dir), ...args], expectedFile: path.join(dir, 'expected.txt') });
  }
  return cases;
}
