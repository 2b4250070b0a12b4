/**
 * Shared fast-check settings of the fuzz specs (manifest/fuzz.spec.ts, signing/fuzz.spec.ts):
 * a fixed number of runs per property in CI; LOOP_FUZZ_RUNS for longer runs; LOOP_FUZZ_SEED
 * and LOOP_FUZZ_PATH to replay a failure fast-check reported.
 */
import type * as fc from 'fast-check';

export const FUZZ_RUNS = Number(process.env.LOOP_FUZZ_RUNS ?? 0);

export function fuzzParams(ciRuns: number): fc.Parameters<unknown> {
  return {
    numRuns: FUZZ_RUNS > 0 ? FUZZ_RUNS : ciRuns,
    ...(process.env.LOOP_FUZZ_SEED ? { seed: Number(process.env.LOOP_FUZZ_SEED) } : {}),
    ...(process.env.LOOP_FUZZ_PATH ? { path: process.env.LOOP_FUZZ_PATH } : {}),
  };
}

/** A generous test timeout that grows with LOOP_FUZZ_RUNS (never a timed assertion). */
export function fuzzTimeout(ciRuns: number): number {
  return Math.max(300_000, ((FUZZ_RUNS || ciRuns) / ciRuns) * 300_000);
}
