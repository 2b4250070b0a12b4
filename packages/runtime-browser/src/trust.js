// @ts-check
/**
 * Trust gating, the same rule as the native host: before a component is instantiated, every
 * interface it imports is mapped to a capability package and checked against the component's
 * effective `allow` list from the resolved graph (spec/resolved-graph.md).
 */

/** WASI 0.2 packages and the Loop capability each one needs. */
export const WASI_CAPABILITIES = {
  'wasi:filesystem': 'loop:fs',
  'wasi:http': 'loop:http',
  'wasi:sockets': 'loop:http',
  'wasi:clocks': 'loop:clock',
  'wasi:random': 'loop:random',
};
/** WASI packages every component may import (stdio, exit, streams). */
export const WASI_ALWAYS = ['wasi:cli', 'wasi:io'];
/** `loop:app` (entry, config) is always allowed. */
export const ALWAYS_ALLOWED = 'loop:app';

/** `loop:dom/document@0.1.0` → `loop:dom/document` */
export function unversioned(iface) {
  return iface.replace(/@[^/]*$/, '');
}

/** `loop:dom/document@0.1.0` → `loop:dom` */
export function packageOf(iface) {
  return unversioned(iface).split('/')[0];
}

/**
 * The capability an import needs: a `loop:*` package, the Loop capability of a WASI package,
 * `null` for always-allowed imports, or `undefined` for interfaces of other packages (those
 * must be exported by another component of the app).
 * @param {string} iface
 * @returns {string | null | undefined}
 */
export function capabilityOf(iface) {
  const pkg = packageOf(iface);
  if (pkg === ALWAYS_ALLOWED || WASI_ALWAYS.includes(pkg)) return null;
  if (pkg.startsWith('loop:')) return pkg;
  if (pkg in WASI_CAPABILITIES) return WASI_CAPABILITIES[/** @type {keyof typeof WASI_CAPABILITIES} */ (pkg)];
  return undefined;
}

/**
 * Checks a component's imports against its allow-list. Returns the refusal message (the same
 * wording as the native host) or `null` when every import is allowed.
 * @param {{ name: string, trust: string, allow: string[] }} component
 * @param {string[]} imports interface names, versioned or not
 * @param {Set<string>} exportedByComponents unversioned interfaces other components of the app export
 * @returns {string | null}
 */
export function refusal(component, imports, exportedByComponents) {
  for (const iface of imports) {
    const name = unversioned(iface);
    const cap = capabilityOf(name);
    if (cap === null) continue;
    if (cap === undefined) {
      if (exportedByComponents.has(name)) continue;
      return `component '${component.name}' imports '${name}', which no provider or component of this app exports`;
    }
    if (!component.allow.includes(cap)) {
      return `component '${component.name}' imports '${name}' but trust class '${component.trust}' does not allow '${cap}'`;
    }
  }
  return null;
}
