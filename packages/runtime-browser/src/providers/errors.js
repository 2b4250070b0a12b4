// @ts-check
/**
 * A provider error must reach the guest as a WIT `err`, never as a trap: jco maps a thrown
 * string or plain object to the `err` payload, but a thrown `Error` escapes the guest and
 * poisons the instance. `guard` turns every unexpected exception into the payload `toErr`
 * builds, and passes payloads the provider threw on purpose through unchanged.
 */

/** Marks an intended WIT error payload. */
export class Payload {
  /** @param {unknown} value */
  constructor(value) {
    this.payload = value;
  }
}

/** @param {unknown} value */
export function err(value) {
  return new Payload(value);
}

/** @param {unknown} e */
export function messageOf(e) {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * @template {(...args: any[]) => any} F
 * @param {F} fn
 * @param {(message: string) => unknown} toErr
 * @returns {F}
 */
export function guard(fn, toErr) {
  const wrapped = /** @type {any} */ ((/** @type {any[]} */ ...args) => {
    const fail = (/** @type {unknown} */ e) => {
      if (e instanceof Payload) throw e;
      throw new Payload(toErr(messageOf(e)));
    };
    try {
      const r = fn(...args);
      if (r && typeof r.then === 'function') return r.catch(fail);
      return r;
    } catch (e) {
      return fail(e);
    }
  });
  return wrapped;
}

/**
 * Wraps every function of an interface implementation with `guard`.
 * @param {Record<string, (...args: any[]) => any>} impl
 * @param {(message: string) => unknown} toErr
 */
export function guardAll(impl, toErr) {
  /** @type {Record<string, (...args: any[]) => any>} */
  const out = {};
  for (const [k, f] of Object.entries(impl)) out[k] = guard(f, toErr);
  return out;
}
