// @ts-check
/** `loop:random/random` — provider `crypto`: `crypto.getRandomValues`. */
const CHUNK = 65536; // getRandomValues' limit per call

export function createRandom() {
  return {
    'loop:random/random': {
      /** @param {number} len */
      bytes(len) {
        const out = new Uint8Array(len);
        for (let i = 0; i < len; i += CHUNK) crypto.getRandomValues(out.subarray(i, Math.min(len, i + CHUNK)));
        return out;
      },
      nextU64: () => crypto.getRandomValues(new BigUint64Array(1))[0],
    },
  };
}
