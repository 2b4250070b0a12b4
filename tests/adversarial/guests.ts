/**
 * Misbehaving plugin components for the adversarial suite, written in WebAssembly text and
 * encoded by jco's `parse` (wasm-tools). Each exports `loop:plugin/plugin` like every plugin;
 * `handle` misbehaves as asked, then (if it ever gets there) answers ok("survived").
 *
 *   spin     loops forever                      (the deadline must stop it)
 *   grow     grows its memory until refused    (the memory cap must stop it)
 *   recurse  unbounded recursion               (stack overflow: a trap, not a host crash)
 *   flood    logs one 100 MiB message          (the log provider must cut it, the host live on)
 */
export type Misbehavior = 'spin' | 'grow' | 'recurse' | 'flood';

export const FLOOD_BYTES = 100 * 1024 * 1024;

const bytes = (s: string) => [...new TextEncoder().encode(s)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');

export function adversaryWat(name: string, kind: Misbehavior): string {
  const version = '6.6.6';
  const description = `adversary ${kind}`;
  const answer = 'survived';
  const strings = name + version + description + answer;
  const at = (s: string) => 16 + new TextEncoder().encode(strings.slice(0, strings.indexOf(s))).length;
  const len = (s: string) => new TextEncoder().encode(s).length;
  const log = kind === 'flood';
  const misbehave = {
    spin: '(loop $l (br $l))',
    grow: '(loop $l (br_if $l (i32.ne (memory.grow (i32.const 256)) (i32.const -1)))) unreachable',
    recurse: '(call $deep (i32.const 0)) drop',
    flood: `(drop (memory.grow (i32.const ${FLOOD_BYTES / 65536 + 1})))
      (memory.fill (i32.const 65536) (i32.const 120) (i32.const ${FLOOD_BYTES}))
      (call $log (i32.const 2) (i32.const 65536) (i32.const ${FLOOD_BYTES}))`,
  }[kind];
  return `(component
  (import "loop:plugin/types@0.1.0" (instance $types
    (type $info (record (field "name" string) (field "version" string) (field "description" string)))
    (export "info" (type (eq $info)))))
  (alias export $types "info" (type $info))
${log ? `  (import "loop:log/logger@0.1.0" (instance $logger
    (type $level (enum "trace" "debug" "info" "warn" "error"))
    (export "level" (type $lvl (eq $level)))
    (export "log" (func (param "level" $lvl) (param "message" string)))))
  (alias export $logger "log" (func $logf))
` : ''}  (core module $mem
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $mi (instantiate $mem))
${log ? `  (core func $log-lower (canon lower (func $logf) (memory (core memory $mi "memory"))))
` : ''}  (core module $m
    (import "mem" "memory" (memory 1))
${log ? `    (import "log" "log" (func $log (param i32 i32 i32)))
` : ''}    (data (i32.const 16) "${bytes(strings)}")
    (func $deep (param i32) (result i32)
      (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
    (func (export "info") (result i32)
      (i32.store (i32.const 512) (i32.const ${at(name)}))
      (i32.store (i32.const 516) (i32.const ${len(name)}))
      (i32.store (i32.const 520) (i32.const ${at(version)}))
      (i32.store (i32.const 524) (i32.const ${len(version)}))
      (i32.store (i32.const 528) (i32.const ${at(description)}))
      (i32.store (i32.const 532) (i32.const ${len(description)}))
      (i32.const 512))
    (func (export "handle") (param $ptr i32) (param $len i32) (result i32)
      ${misbehave}
      (i32.store8 (i32.const 544) (i32.const 0))
      (i32.store (i32.const 548) (i32.const ${at(answer)}))
      (i32.store (i32.const 552) (i32.const ${len(answer)}))
      (i32.const 544)))
  (core instance $i (instantiate $m
    (with "mem" (instance $mi))
${log ? `    (with "log" (instance (export "log" (func $log-lower))))
` : ''}  ))
  (func $info (result $info) (canon lift (core func $i "info") (memory (core memory $mi "memory")) (realloc (core func $mi "realloc"))))
  (func $handle (param "input" string) (result (result string (error string)))
    (canon lift (core func $i "handle") (memory (core memory $mi "memory")) (realloc (core func $mi "realloc"))))
  (instance $plugin (export "info" (func $info)) (export "handle" (func $handle)))
  (export "loop:plugin/plugin@0.1.0" (instance $plugin))
)
`;
}

export async function encode(wat: string): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco');
  return Uint8Array.from(await parse(wat));
}
