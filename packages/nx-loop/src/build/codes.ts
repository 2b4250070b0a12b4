/** Error codes of component builds (LOOP4xx; marker errors are LOOP301/302/001 from manifest/component-marker). Listed in the README's error table by the lead. */
export const CODES = {
  /** The entry module (js/ts) does not exist. */
  entryMissing: 'LOOP401',
  /** The WIT dir does not exist or the world is not in it. */
  witMissing: 'LOOP402',
  /** `loop component new` refused its options (bad name/language/world, project exists). */
  generatorRefused: 'LOOP403',
  /** TypeScript reported errors (type or syntax). */
  typeError: 'LOOP410',
  /** Bundling the JS sources failed (unresolved import, syntax error). */
  bundleFailed: 'LOOP411',
  /** componentize-js failed (WIT/world mismatch, guest threw during initialisation). */
  componentizeFailed: 'LOOP412',
  /** tools/rust-guest/build.sh failed (cargo error) or is missing. */
  rustFailed: 'LOOP420',
  /** The build finished but did not produce dist/<name>.wasm. */
  outputMissing: 'LOOP421',
} as const;
