/**
 * `limits.memory-mb` in the browser host: the memory maximum written into a plugin's core
 * modules (capMemories), checked on real modules encoded by jco's `parse` (wasm-tools) and
 * instantiated by Node's WebAssembly (V8, the engine Chromium uses).
 */
import { describe, expect, test } from 'vitest';
// @ts-ignore plain JS module
import { capMemories, deadlineMessage, isMemoryTrap, memoryMessage, PAGE } from '../src/limits.js';

async function wat(text: string): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco');
  return Uint8Array.from(await parse(text));
}

/** A module defining `memory` with the given limits; `grow(n)` answers memory.grow's result. */
const grower = (limits: string) => `(module
  (memory (export "memory") ${limits})
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

describe('capMemories', () => {
  test('a memory without a maximum gets the cap: growing past it answers -1, below it works', async () => {
    const { bytes, initialPages } = capMemories(await wat(grower('1')), 16);
    expect(initialPages).toBe(1);
    const { instance } = await WebAssembly.instantiate(bytes);
    const grow = instance.exports.grow as (n: number) => number;
    const memory = instance.exports.memory as WebAssembly.Memory;
    expect(grow(10)).toBe(1);
    expect(grow(6)).toBe(-1); // 17 pages > 16
    expect(grow(5)).toBe(11);
    expect(memory.buffer.byteLength).toBe(16 * PAGE);
    expect(grow(1)).toBe(-1);
  });

  test('a lower maximum of its own is kept; a higher one is lowered', async () => {
    const low = capMemories(await wat(grower('1 4')), 16).bytes;
    expect(((await WebAssembly.instantiate(low)).instance.exports.grow as (n: number) => number)(4)).toBe(-1);
    const high = capMemories(await wat(grower('1 1000')), 16).bytes;
    const grow = (await WebAssembly.instantiate(high)).instance.exports.grow as (n: number) => number;
    expect(grow(15)).toBe(1);
    expect(grow(1)).toBe(-1);
  });

  test('a module without a memory section (imports its memory) is returned as is', async () => {
    const bytes = await wat('(module (import "mem" "memory" (memory 1)) (func (export "f")))');
    expect(capMemories(bytes, 16).bytes).toBe(bytes);
  });

  test('other sections survive the rewrite (data, exports, code)', async () => {
    const bytes = await wat(`(module (memory (export "m") 2) (data (i32.const 70000) "hi")
      (func (export "at") (result i32) (i32.load8_u (i32.const 70001))))`);
    const capped = capMemories(bytes, 1000).bytes; // a multi-byte LEB maximum
    const { instance } = await WebAssembly.instantiate(capped);
    expect((instance.exports.at as () => number)()).toBe('i'.charCodeAt(0));
  });

  test('a cap above 4 GiB is the memory32 maximum (65536 pages)', async () => {
    const { instance } = await WebAssembly.instantiate(capMemories(await wat(grower('1')), 100000).bytes);
    expect(instance.exports.memory).toBeInstanceOf(WebAssembly.Memory);
  });

  test('a memory that starts above the cap is refused with both sizes', async () => {
    expect(() => capMemories(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 40]), 16)).toThrow(
      `its memory starts at ${40 * PAGE} bytes, more than the limit of ${16 * PAGE} bytes`,
    );
    expect(() => capMemories(new Uint8Array([1, 2, 3]), 16)).toThrow('not a WebAssembly module');
  });
});

describe('messages', () => {
  test('the native host wording', () => {
    expect(deadlineMessage('spin', 1500)).toBe("plugin 'spin' exceeded its deadline of 1500 ms and was stopped");
    expect(memoryMessage('grow', 128, 117506048, 'unreachable')).toBe(
      "plugin 'grow' exceeded its memory limit of 128 MiB (its linear memory was at 117506048 bytes when it trapped: unreachable) and was stopped",
    );
    expect(isMemoryTrap(64 * 1024 * 1024, 128)).toBe(true);
    expect(isMemoryTrap(PAGE, 128)).toBe(false);
    expect(isMemoryTrap(1 << 30, undefined)).toBe(false);
  });
});
