// @ts-check
/**
 * `loop:http/client` — provider `fetch`: `fetch()` limited to the origins of the capability's
 * `allow` list. Errors are the WIT variant `error { denied(string), invalid-url(string),
 * network(string), timeout }`. Asynchronous (the guest waits through JSPI).
 */
import { err, guard } from './errors.js';

/**
 * @param {{ allow?: string[], timeoutMs?: number, fetchImpl?: typeof fetch }} opts
 */
export function createHttp({ allow = [], timeoutMs = 30_000, fetchImpl = globalThis.fetch.bind(globalThis) }) {
  const origins = new Set(allow.map((a) => new URL(a).origin));
  /** @param {{ method: string, url: string, headers: [string, string][], body?: Uint8Array }} req */
  async function fetchRequest(req) {
    let url;
    try {
      url = new URL(req.url);
    } catch {
      throw err({ tag: 'invalid-url', val: req.url });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw err({ tag: 'invalid-url', val: `${req.url}: only http and https` });
    if (!origins.has(url.origin)) {
      throw err({ tag: 'denied', val: `${url.origin} is not in the loop:http allow list` });
    }
    let res;
    try {
      res = await fetchImpl(url.href, {
        method: req.method || 'GET',
        headers: req.headers,
        body: req.body ?? undefined,
        signal: AbortSignal.timeout(timeoutMs),
        cache: 'no-store',
      });
    } catch (e) {
      const name = /** @type {any} */ (e)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw err({ tag: 'timeout' });
      throw err({ tag: 'network', val: `${url.href}: ${/** @type {any} */ (e)?.message ?? e}` });
    }
    /** @type {[string, string][]} */
    const headers = [];
    res.headers.forEach((v, k) => headers.push([k, v]));
    return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
  }
  return { 'loop:http/client': { fetch: guard(fetchRequest, (m) => ({ tag: 'network', val: m })) } };
}
