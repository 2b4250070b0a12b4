// @ts-check
/**
 * `limits` of a plugin in the browser host (graph `plugins.limits`, or a class `plugin`
 * component's `limits`): `deadline-ms` per call and `memory-mb` per instance.
 *
 * - Deadline: every plugin instance runs in its own dedicated worker (isolate.js); a call that
 *   has not answered after `deadline-ms` terminates that worker — the only way to stop a
 *   WebAssembly loop in a browser — and a fresh instance serves the next call.
 * - Memory: jco-transpiled core modules define their own linear memory, so the host caps it
 *   in the module itself: `capMemories` rewrites the maximum of every memory a core module
 *   defines to `memory-mb` before it is compiled (a `memory.grow` past it returns -1, as the
 *   WebAssembly spec has it for a memory at its maximum). A plugin that then traps with its
 *   memory grown to at least half the cap is reported as having exceeded its memory limit
 *   (any request as large as what it already holds would have been refused); its worker is
 *   terminated like on a deadline.
 *
 * The messages use the native host's wording (host-templates/wasmtime-rust, plugins.rs).
 */

export const PAGE = 65536;

/** @param {string} name @param {number} ms */
export function deadlineMessage(name, ms) {
  return `plugin '${name}' exceeded its deadline of ${ms} ms and was stopped`;
}

/** @param {string} name @param {number} mb @param {number} bytes @param {string} trap */
export function memoryMessage(name, mb, bytes, trap) {
  return `plugin '${name}' exceeded its memory limit of ${mb} MiB (its linear memory was at ${bytes} bytes when it trapped: ${trap}) and was stopped`;
}

/** @param {string} name @param {string} trap */
export function trapMessage(name, trap) {
  return `plugin '${name}' trapped: ${trap}`;
}

/**
 * Whether a trap of a memory-capped instance is its memory limit: the memory grew to at least
 * half the cap. @param {number} bytes @param {number | undefined} mb
 */
export function isMemoryTrap(bytes, mb) {
  return mb !== undefined && bytes * 2 >= mb * 1024 * 1024;
}

/** @param {Uint8Array} b @param {number} at @returns {[number, number]} value, next offset */
function leb(b, at) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= b.length) throw new Error('truncated LEB128 number');
    const byte = b[at++];
    value += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) return [value, at];
    scale *= 128;
  }
}

/** @param {number} v */
function encodeLeb(v) {
  const out = [];
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

/**
 * A core module's bytes with the maximum of every memory it defines set to at most
 * `maxPages` (64 KiB pages). Imported memories are capped where they are defined. Returns the
 * bytes unchanged when the module defines no memory. Throws when a memory's initial size is
 * already above the cap. Memories with a custom page size are left as they are.
 * @param {Uint8Array} bytes @param {number} maxPages
 * @returns {{ bytes: Uint8Array, initialPages: number }}
 */
export function capMemories(bytes, maxPages) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a WebAssembly module');
  let at = 8;
  let initialPages = 0;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = leb(bytes, at + 1);
    const end = start + size;
    if (end > bytes.length) throw new Error('truncated section');
    if (id === 5) {
      let [count, p] = leb(bytes, start);
      const entries = [...encodeLeb(count)];
      for (let i = 0; i < count; i++) {
        const flags = bytes[p++];
        let min;
        let max;
        [min, p] = leb(bytes, p);
        if (flags & 1) [max, p] = leb(bytes, p);
        let pageLog;
        if (flags & 8) [pageLog, p] = leb(bytes, p);
        initialPages = Math.max(initialPages, min);
        if (flags & 8) {
          entries.push(flags, ...encodeLeb(min), ...(flags & 1 ? encodeLeb(/** @type {number} */ (max)) : []), ...encodeLeb(/** @type {number} */ (pageLog)));
          continue;
        }
        if (min > maxPages) throw new Error(`its memory starts at ${min * PAGE} bytes, more than the limit of ${maxPages * PAGE} bytes`);
        // memory32 cannot declare more than 4 GiB (a cap of 4096 MiB or more means no cap).
        const limit = flags & 4 ? maxPages : Math.min(maxPages, 65536);
        const capped = max === undefined ? limit : Math.min(max, limit);
        entries.push(flags | 1, ...encodeLeb(min), ...encodeLeb(capped));
      }
      if (p !== end) throw new Error('malformed memory section');
      const body = Uint8Array.from(entries);
      const head = Uint8Array.from([5, ...encodeLeb(body.length)]);
      const out = new Uint8Array(at + head.length + body.length + (bytes.length - end));
      out.set(bytes.subarray(0, at), 0);
      out.set(head, at);
      out.set(body, at + head.length);
      out.set(bytes.subarray(end), at + head.length + body.length);
      return { bytes: out, initialPages };
    }
    at = end;
  }
  return { bytes, initialPages };
}
