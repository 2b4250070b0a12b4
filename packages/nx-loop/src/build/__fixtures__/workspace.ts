/** Helpers for the build specs: throwaway component projects inside a throwaway workspace. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../../../../..');

/** A temp workspace: nx.json plus the repo's wit/ and tools/ (symlinked). */
export function tempWorkspace(prefix = 'loop-build-spec-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(root, 'nx.json'), '{}\n');
  symlinkSync(join(REPO, 'wit'), join(root, 'wit'));
  symlinkSync(join(REPO, 'tools'), join(root, 'tools'));
  return root;
}

/** Writes `files` (path → text) under `dir`. */
export function writeTree(dir: string, files: Record<string, string>): string {
  for (const [p, text] of Object.entries(files)) {
    const f = join(dir, p);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, text);
  }
  return dir;
}

export const marker = (name: string, language: string, world: string, extra = '') =>
  `[component]\nname = "${name}"\nlanguage = "${language}"\nworld = "${world}"\n${extra}`;
