/**
 * Shared fast-check settings of the fuzz specs (manifest/fuzz.spec.ts, signing/fuzz.spec.ts):
 * a fixed number of runs per property by default; LOOP_FUZZ_RUNS for more runs;
 * LOOP_FUZZ_SECONDS to run every property for that long instead (CI: 10 s × 6 properties;
 * a longer run: LOOP_FUZZ_SECONDS=600); LOOP_FUZZ_SEED and LOOP_FUZZ_PATH to replay a
 * failure fast-check reported.
 */
import type * as fc from 'fast-check';

export const FUZZ_RUNS = Number(process.env.LOOP_FUZZ_RUNS ?? 0);
export const FUZZ_SECONDS = Number(process.env.LOOP_FUZZ_SECONDS ?? 0);

export function fuzzParams(ciRuns: number): fc.Parameters<unknown> {
  return {
    numRuns: FUZZ_SECONDS > 0 ? 2 ** 31 - 1 : FUZZ_RUNS > 0 ? FUZZ_RUNS : ciRuns,
    // Time-boxed: stops after the budget; an interrupted run that found nothing passes.
    ...(FUZZ_SECONDS > 0 ? { interruptAfterTimeLimit: FUZZ_SECONDS * 1000, markInterruptAsFailure: false } : {}),
    ...(process.env.LOOP_FUZZ_SEED ? { seed: Number(process.env.LOOP_FUZZ_SEED) } : {}),
    ...(process.env.LOOP_FUZZ_PATH ? { path: process.env.LOOP_FUZZ_PATH } : {}),
  };
}

/** A generous test timeout that grows with LOOP_FUZZ_RUNS (never a timed assertion). */
export function fuzzTimeout(ciRuns: number): number {
  if (FUZZ_SECONDS > 0) return Math.max(300_000, FUZZ_SECONDS * 3000);
  return Math.max(300_000, ((FUZZ_RUNS || ciRuns) / ciRuns) * 300_000);
}
