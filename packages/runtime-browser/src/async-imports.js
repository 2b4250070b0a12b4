// @ts-check
/**
 * Which `loop:*` functions are asynchronous in the browser host. pack-web transpiles every
 * component with `jco transpile --async-mode jspi`, marking these imports as suspending
 * (JSPI lets the synchronous guest wait for OPFS, fetch or the main thread) and every export
 * as promising. Calls into other components (a default component's exports, plugins) are
 * promising too, so their imports are suspending as well.
 */
export const ASYNC_FUNCTIONS = {
  'loop:fs/files': ['read', 'write', 'list', 'remove', 'exists'],
  'loop:http/client': ['fetch'],
  'loop:dom/document': ['set-text', 'get-text'],
  'loop:plugin/host': ['list', 'call'],
};
