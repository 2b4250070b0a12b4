/**
 * Small real plugin components for the browser tests, written in WebAssembly text and encoded
 * by jco's `parse` (wasm-tools): they export `loop:plugin/plugin` (info + handle) like the JS
 * plugins, build in milliseconds, and differ only in what the tests need (a version prefix,
 * an import of `loop:dom`).
 *
 * `handle(input)` answers `<prefix><input>`; the dom variant first sets `#loop-app`'s text to
 * the input through `loop:dom/document.set-text`; the kv `set` variant first stores the input
 * under the key `shared` (`loop:kv/store.set`), and the kv `get` variant answers
 * `<prefix><value of shared>` instead (empty when the key is missing).
 */

export interface PluginWatOptions {
  name: string;
  version: string;
  /** Prepended to the input by `handle`. */
  prefix: string;
  /** Import loop:dom/document and call set-text from `handle`. */
  dom?: boolean;
  /** Import loop:kv/store and set (or get) the key `shared` from `handle`. */
  kv?: 'set' | 'get';
}

const bytes = (s: string) =>
  [...new TextEncoder().encode(s)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
const len = (s: string) => new TextEncoder().encode(s).length;

export function pluginWat({ name, version, prefix, dom = false, kv }: PluginWatOptions): string {
  const description = `test plugin ${name} ${version}`;
  // Static data: strings at 16.., info's return area at 512, handle's at 544, selector at 600.
  const nameAt = 16;
  const versionAt = nameAt + len(name);
  const descAt = versionAt + len(version);
  const prefixAt = descAt + len(description);
  const selector = '#loop-app';
  const key = 'shared'; // at 640
  const kvType = '(type $error (variant (case "denied" string) (case "io" string) (case "too-large" string)))\n    (export "error" (type $err (eq $error)))';
  const kvFunc =
    kv === 'set'
      ? '(export "set" (func (param "key" string) (param "value" (list u8)) (result (result (error $err)))))'
      : '(export "get" (func (param "key" string) (result (result (option (list u8)) (error $err)))))';
  return `(component
  (import "loop:plugin/types@0.1.0" (instance $types
    (type $info (record (field "name" string) (field "version" string) (field "description" string)))
    (export "info" (type (eq $info)))))
  (alias export $types "info" (type $info))
${dom ? `  (import "loop:dom/document@0.1.0" (instance $dom
    (export "set-text" (func (param "selector" string) (param "text" string) (result (result (error string)))))))
` : ''}${kv ? `  (import "loop:kv/store@0.1.0" (instance $kv
    ${kvType}
    ${kvFunc}))
` : ''}
  (core module $mem
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $mi (instantiate $mem))
${dom ? `  (core func $set-text (canon lower (func $dom "set-text") (memory (core memory $mi "memory")) (realloc (core func $mi "realloc"))))
` : ''}${kv ? `  (core func $kv-op (canon lower (func $kv "${kv}") (memory (core memory $mi "memory")) (realloc (core func $mi "realloc"))))
` : ''}
  (core module $m
    (import "mem" "memory" (memory 1))
    (import "mem" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
${dom ? `    (import "dom" "set-text" (func $set_text (param i32 i32 i32 i32 i32)))
` : ''}${kv === 'set' ? `    (import "kv" "op" (func $kv_op (param i32 i32 i32 i32 i32)))
` : ''}${kv === 'get' ? `    (import "kv" "op" (func $kv_op (param i32 i32 i32)))
` : ''}
    (data (i32.const ${nameAt}) "${bytes(name)}${bytes(version)}${bytes(description)}${bytes(prefix)}")
    (data (i32.const 600) "${bytes(selector)}")
    (data (i32.const 640) "${bytes(key)}")
    (func (export "info") (result i32)
      (i32.store (i32.const 512) (i32.const ${nameAt}))
      (i32.store (i32.const 516) (i32.const ${len(name)}))
      (i32.store (i32.const 520) (i32.const ${versionAt}))
      (i32.store (i32.const 524) (i32.const ${len(version)}))
      (i32.store (i32.const 528) (i32.const ${descAt}))
      (i32.store (i32.const 532) (i32.const ${len(description)}))
      (i32.const 512))
    (func (export "handle") (param $ptr i32) (param $len i32) (result i32)
      (local $out i32)
${dom ? `      (call $set_text (i32.const 600) (i32.const ${len(selector)}) (local.get $ptr) (local.get $len) (i32.const 560))
` : ''}${kv === 'set' ? `      (call $kv_op (i32.const 640) (i32.const ${len(key)}) (local.get $ptr) (local.get $len) (i32.const 560))
` : ''}${kv === 'get' ? `      (call $kv_op (i32.const 640) (i32.const ${len(key)}) (i32.const 560))
      ;; ok(some(list)) at 560: result tag 0, option tag 1 at 564, list at 568/572; else empty
      (local.set $ptr (i32.load (i32.const 568)))
      (local.set $len (select (i32.load (i32.const 572)) (i32.const 0)
        (i32.and (i32.eqz (i32.load8_u (i32.const 560))) (i32.eq (i32.load8_u (i32.const 564)) (i32.const 1)))))
` : ''}      (local.set $out (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (i32.add (local.get $len) (i32.const ${len(prefix)}))))
      (memory.copy (local.get $out) (i32.const ${prefixAt}) (i32.const ${len(prefix)}))
      (memory.copy (i32.add (local.get $out) (i32.const ${len(prefix)})) (local.get $ptr) (local.get $len))
      (i32.store8 (i32.const 544) (i32.const 0))
      (i32.store (i32.const 548) (local.get $out))
      (i32.store (i32.const 552) (i32.add (local.get $len) (i32.const ${len(prefix)})))
      (i32.const 544)))
  (core instance $i (instantiate $m
    (with "mem" (instance $mi))
${dom ? `    (with "dom" (instance (export "set-text" (func $set-text))))
` : ''}${kv ? `    (with "kv" (instance (export "op" (func $kv-op))))
` : ''}  ))
  (func $info (result $info) (canon lift (core func $i "info") (memory (core memory $mi "memory")) (realloc (core func $mi "realloc"))))
  (func $handle (param "input" string) (result (result string (error string)))
    (canon lift (core func $i "handle") (memory (core memory $mi "memory")) (realloc (core func $mi "realloc"))))
  (instance $plugin (export "info" (func $info)) (export "handle" (func $handle)))
  (export "loop:plugin/plugin@0.1.0" (instance $plugin))
)
`;
}
