// @ts-check
/**
 * `loop:ui`, `loop:gfx`, `loop:input`, `loop:window` — provider `stub`: every function answers
 * `err(unsupported)` until real providers land.
 */
export const STUB_INTERFACES = ['loop:ui/view', 'loop:gfx/canvas', 'loop:input/source', 'loop:window/windows'];

function unsupported() {
  // jco maps a thrown plain object to the `err` payload of the function's result.
  throw { tag: 'unsupported' };
}

/** An implementation whose every function answers `unsupported`. */
export function stubInterface() {
  return new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? unsupported : undefined) });
}

/** @param {string[]} capabilities the stub capabilities granted (`loop:ui`, …) */
export function createStubs(capabilities) {
  /** @type {Record<string, object>} */
  const out = {};
  for (const iface of STUB_INTERFACES) {
    if (capabilities.includes(iface.split('/')[0])) out[iface] = stubInterface();
  }
  return out;
}
