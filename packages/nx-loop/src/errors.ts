/**
 * Errors users see. Every problem Loop reports carries a stable code, says what is wrong,
 * where (file:line:col and the manifest field when known) and how to fix it.
 */
export interface Diagnostic {
  /** Stable code, e.g. LOOP101. Documented in README's error table. */
  code: string;
  message: string;
  /** How to fix it, in one sentence. */
  hint?: string;
  file?: string;
  line?: number;
  col?: number;
  /** Dotted manifest field, e.g. `components.greeter.class`. */
  field?: string;
  severity?: 'error' | 'warning';
}

export class LoopError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly code: string;
  readonly hint?: string;

  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'LoopError';
    this.diagnostics = list;
    this.code = list[0]?.code ?? 'LOOP000';
    this.hint = list[0]?.hint;
  }
}

export function isLoopError(e: unknown): e is LoopError {
  return e instanceof LoopError || (e instanceof Error && e.name === 'LoopError' && 'diagnostics' in e);
}

/** `app.loop.toml:12:9 error[LOOP103] components.greeter.class: must be one of …` + hint line. */
export function formatDiagnostic(d: Diagnostic): string {
  let where = '';
  if (d.file) where = d.line ? `${d.file}:${d.line}:${d.col ?? 1}: ` : `${d.file}: `;
  const field = d.field ? `${d.field}: ` : '';
  const head = `${where}${d.severity ?? 'error'}[${d.code}] ${field}${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}
