/**
 * Native `import()` of ES-module-only packages (componentize-js, jco, rolldown) and of
 * generated ES modules, from CommonJS code. TypeScript keeps `import()` in our CJS output,
 * but Nx runs a workspace's own plugin from its TS sources through swc, which rewrites
 * `import()` to `require()` — and `require()` cannot load these packages
 * (`No "exports" main defined`). A Function-built import is left alone by every compiler.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export function importEsm<T>(specifier: string): Promise<T> {
  return nativeImport(specifier) as Promise<T>;
}
