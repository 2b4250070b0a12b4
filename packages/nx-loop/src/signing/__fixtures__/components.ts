/**
 * Real components for the signing tests, encoded from WebAssembly text by jco's `parse`
 * (wasm-tools): a component embedding a core module with a code section, a nested
 * component and custom sections, and a plain core module.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseWasm, type Section } from '../wasm';

export const ADDER_WAT = `(component
  (core module $m
    (memory (export "mem") 1)
    (data (i32.const 16) "loop signing fixture")
    (func (export "add") (param i32 i32) (result i32)
      local.get 0
      local.get 1
      i32.add)
    (func (export "mul") (param i32 i32) (result i32)
      local.get 0
      local.get 1
      i32.mul))
  (core instance $i (instantiate $m))
  (func $add (param "a" s32) (param "b" s32) (result s32) (canon lift (core func $i "add")))
  (func $mul (param "a" s32) (param "b" s32) (result s32) (canon lift (core func $i "mul")))
  (component $inner
    (core module $n (func (export "seven") (result i32) i32.const 7))
    (core instance $j (instantiate $n))
    (func (export "seven") (result s32) (canon lift (core func $j "seven"))))
  (instance $in (instantiate $inner))
  (export "add" (func $add))
  (export "mul" (func $mul)))`;

export const CORE_WAT = `(module
  (func (export "answer") (result i32) i32.const 42))`;

export async function encode(wat: string): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco');
  return Uint8Array.from(await parse(wat));
}

export function tmpDir(prefix = 'loop-signing-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Absolute byte ranges [start, end) of the code sections of the core modules embedded (at top level) in a component. */
export function embeddedCodeSections(component: Uint8Array): { start: number; end: number }[] {
  const outer = parseWasm(component);
  const out: { start: number; end: number }[] = [];
  for (const s of outer.sections.filter((x: Section) => x.id === 1)) {
    const inner = parseWasm(component.subarray(s.dataStart, s.end));
    for (const c of inner.sections.filter((x) => x.id === 10)) out.push({ start: s.dataStart + c.dataStart, end: s.dataStart + c.end });
  }
  return out;
}
