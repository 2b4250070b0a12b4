// vitest globalSetup: every test run gets its own temp directory (TMPDIR for the specs and
// everything they spawn: Nx, cargo, nginx, Chromium, wine), deleted when the run ends, so a
// developer running the suite repeatedly does not fill /tmp with clones, caches and prefixes
// that a failing or interrupted spec left behind. LOOP_KEEP_TMP=1 keeps it (path printed).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  const parent = process.env.TMPDIR || tmpdir();
  const dir = mkdtempSync(join(parent, 'loop-test-'));
  chmodSync(dir, 0o755); // nginx workers (user nobody) serve files from below it
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.LOOP_KEEP_TMP === '1') {
      console.log(`LOOP_KEEP_TMP=1: test temp files kept in ${dir}`);
      return;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}
