/**
 * ES-module-only packages (jco, rolldown) from this CommonJS library. The native import of
 * build/esm.ts survives Nx's swc transpilation (which turns `import()` into `require()`), but
 * inside vitest's module runner it has no dynamic-import callback
 * (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING); there the plain `import()` works.
 */
import { importEsm } from '../build/esm';

async function load<T>(specifier: string, plain: () => Promise<T>): Promise<T> {
  try {
    return await importEsm<T>(specifier);
  } catch (e) {
    if ((e as { code?: string })?.code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') return plain();
    throw e;
  }
}

export const loadJco = () => load<typeof import('@bytecodealliance/jco')>('@bytecodealliance/jco', () => import('@bytecodealliance/jco'));
export const loadRolldown = () => load<typeof import('rolldown')>('rolldown', () => import('rolldown'));
