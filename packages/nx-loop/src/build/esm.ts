/**
 * `import()` of ES-module-only packages (componentize-js, jco, rolldown) and of generated ES
 * modules, from CommonJS code, wherever this code runs:
 * - compiled by tsc (dist/): `import()` is kept, and a Function-built import works too;
 * - run by Nx from the plugin's TS sources through swc, which rewrites `import()` into
 *   `require()` — and `require()` cannot load these packages (`No "exports" main defined`):
 *   a Function-built import is left alone by every compiler;
 * - run by vitest, whose module runner gives Function-built code no import callback
 *   (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): there the plain `import()` (vitest's) is used.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export async function importEsm<T>(specifier: string): Promise<T> {
  try {
    return (await nativeImport(specifier)) as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') return (await import(specifier)) as T;
    throw e;
  }
}
