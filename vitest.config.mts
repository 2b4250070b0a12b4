import { defineConfig } from 'vitest/config';

// One vitest run covers every TypeScript spec in the repo; e2e specs (real hosts,
// real components, Chromium) live next to the code they exercise like the rest.
export default defineConfig({
  test: {
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/files/**', '**/target/**', '**/.loop/**'],
    environment: 'node',
    pool: 'forks',
    // One temp dir per run, removed at the end (tools/vitest-tmpdir.mjs).
    globalSetup: ['tools/vitest-tmpdir.mjs'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
