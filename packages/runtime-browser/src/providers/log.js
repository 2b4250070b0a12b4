// @ts-check
/** `loop:log/logger` — provider `console`: the worker's console plus a `log` event to the page. */

const CONSOLE = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

/** One log line as the page shows it (and as the native host's stdout provider prints it). */
export function formatLine(component, level, message) {
  return `[${component}] ${level}: ${message}`;
}

/**
 * @param {{ component: string, emit: (event: object) => void }} ctx
 */
export function createLogger({ component, emit }) {
  return {
    'loop:log/logger': {
      /** @param {string} level @param {string} message */
      log(level, message) {
        try {
          const fn = /** @type {'debug'|'info'|'warn'|'error'} */ (CONSOLE[/** @type {keyof typeof CONSOLE} */ (level)] ?? 'info');
          console[fn](formatLine(component, level, message));
          emit({ type: 'log', component, level, message, line: formatLine(component, level, message), time: performance.now() });
        } catch {
          // logging never fails the guest
        }
      },
    },
  };
}
