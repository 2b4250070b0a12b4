/** Error codes of component builds (LOOP4xx). Listed in the README's error table by the lead. */
export const CODES = {
  /** No loop.component.toml in the project dir. */
  markerMissing: 'LOOP401',
  /** loop.component.toml is not valid TOML. */
  markerSyntax: 'LOOP402',
  /** A [component] field of loop.component.toml is missing or invalid. */
  markerField: 'LOOP403',
  /** The entry module (js/ts) does not exist. */
  entryMissing: 'LOOP404',
  /** The WIT dir does not exist or the world is not in it. */
  witMissing: 'LOOP405',
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
