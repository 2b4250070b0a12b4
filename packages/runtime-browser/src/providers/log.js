// @ts-check
/** `loop:log/logger` — provider `console`: the worker's console plus a `log` event to the page. */

const CONSOLE = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

/** The longest message logged as is (64 KiB, as the native host); longer ones are cut and say so. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * A message cut to MAX_MESSAGE_BYTES of UTF-8 (at a character boundary), with the same note as
 * the native host. @param {string} message
 */
export function capMessage(message) {
  if (message.length * 3 <= MAX_MESSAGE_BYTES) return message;
  const bytes = new TextEncoder().encode(message);
  if (bytes.length <= MAX_MESSAGE_BYTES) return message;
  let end = MAX_MESSAGE_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return `${new TextDecoder().decode(bytes.subarray(0, end))}… [cut by the host: a ${bytes.length}-byte message, the first ${end} bytes kept]`;
}

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
          message = capMessage(message);
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
