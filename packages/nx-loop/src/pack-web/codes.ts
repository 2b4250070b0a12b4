/** Error codes of pack-web and serve (LOOP7xx). */
export const CODES = {
  /** A component or plugin file of the graph is missing. */
  componentMissing: 'LOOP701',
  /** jco could not transpile a component. */
  transpileFailed: 'LOOP702',
  /** A component imports an interface the browser host cannot wire. */
  unsupportedImport: 'LOOP703',
  /** The browser runtime package could not be found or bundled. */
  runtimeMissing: 'LOOP704',
  /** `loop serve`: no packed site. */
  siteMissing: 'LOOP705',
  /** `loop serve`: bad --port. */
  badPort: 'LOOP706',
} as const;
