// @ts-check
/**
 * `loop:dom/document` — provider `main-thread`: the worker asks the page (the bridge) to run
 * the DOM operation and waits for the answer (asynchronous for the guest, through JSPI).
 * Granted to trusted components only (the trust classes decide; the host gates imports).
 * Errors are strings (`result<_, string>`).
 */
import { err, guardAll } from './errors.js';

/**
 * @param {(op: string, args: Record<string, string>) => Promise<{ ok: boolean, value?: string, error?: string }>} request
 *   sends one operation to the main thread
 */
export function createDom(request) {
  /** @param {string} op @param {Record<string, string>} args */
  async function call(op, args) {
    const r = await request(op, args);
    if (!r.ok) throw err(r.error ?? `${op} failed`);
    return r.value;
  }
  return {
    'loop:dom/document': guardAll(
      {
        setText: async (/** @type {string} */ selector, /** @type {string} */ text) => {
          await call('set-text', { selector, text });
        },
        getText: async (/** @type {string} */ selector) => call('get-text', { selector }),
      },
      (m) => m,
    ),
  };
}

/**
 * The main-thread half: runs one operation against `root` (the page's document).
 * @param {ParentNode} root
 * @param {string} op
 * @param {Record<string, string>} args
 */
export function runDomOperation(root, op, args) {
  let el;
  try {
    el = root.querySelector(args.selector);
  } catch (e) {
    return { ok: false, error: `invalid selector '${args.selector}'` };
  }
  if (!el) return { ok: false, error: `no element matches '${args.selector}'` };
  if (op === 'set-text') {
    el.textContent = args.text;
    return { ok: true };
  }
  if (op === 'get-text') return { ok: true, value: el.textContent ?? '' };
  return { ok: false, error: `unknown operation '${op}'` };
}
