// @ts-check
/** `loop:app/config` — the component's `config` map from the resolved graph. Always linked. */

/** @param {{ config: Record<string, string> }} component */
export function createConfig(component) {
  const config = component.config ?? {};
  return {
    'loop:app/config': {
      /** @param {string} key */
      get: (key) => (Object.prototype.hasOwnProperty.call(config, key) ? config[key] : undefined),
    },
  };
}
