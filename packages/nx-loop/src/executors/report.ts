import { formatDiagnostic, isLoopError } from '../errors';

/** Executors print Loop errors the way the CLI does (no stack trace) and fail the task. */
export function reportFailure(e: unknown): { success: false } {
  if (isLoopError(e)) for (const d of e.diagnostics) console.error(formatDiagnostic(d));
  else console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return { success: false };
}
