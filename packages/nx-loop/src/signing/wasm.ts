/**
 * The outer structure of a WebAssembly binary, as far as signatures need it: the 8-byte
 * header and the top-level sections (id, size, payload, custom-section name), with byte
 * offsets. For a component these are the component's own sections; embedded core modules
 * and nested components are payloads of those sections, so every byte of them is covered
 * by a signature over the outer sections.
 */

export const MODULE_HEADER = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
export const COMPONENT_HEADER = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);

export type WasmKind = 'module' | 'component';

export interface Section {
  id: number;
  /** Offset of the section's id byte in the file. */
  start: number;
  /** Offset just past the section's last byte. */
  end: number;
  /** The custom section's name (id 0 only). */
  name?: string;
  /** Offset of the custom section's data (after its name), or of the payload for other sections. */
  dataStart: number;
}

export interface WasmBinary {
  kind: WasmKind;
  bytes: Uint8Array;
  sections: Section[];
}

/** A structural problem in a binary; `offset` is the byte where reading failed. */
export class WasmFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'WasmFormatError';
  }
}

/** Reads an unsigned LEB128 of at most 32 bits. Returns [value, next offset]. */
export function readU32(bytes: Uint8Array, offset: number, what: string): [number, number] {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const at = offset + i;
    if (at >= bytes.length) throw new WasmFormatError(`${what} at byte ${offset} runs past the end of the file`, offset);
    const b = bytes[at];
    if (i === 4 && b > 0x0f) throw new WasmFormatError(`${what} at byte ${offset} is not a valid 32-bit LEB128 number`, offset);
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, at + 1];
  }
  throw new WasmFormatError(`${what} at byte ${offset} is not a valid 32-bit LEB128 number`, offset);
}

export function encodeU32(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`cannot encode ${value} as u32`);
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array, offset = 0): boolean {
  if (a.length - offset < b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[offset + i] !== b[i]) return false;
  return true;
}

export function parseWasm(bytes: Uint8Array): WasmBinary {
  if (bytes.length < 8 || !sameBytes(bytes, MODULE_HEADER.subarray(0, 4))) {
    throw new WasmFormatError('not a WebAssembly binary (it does not start with "\\0asm")', 0);
  }
  let kind: WasmKind;
  if (sameBytes(bytes, COMPONENT_HEADER)) kind = 'component';
  else if (sameBytes(bytes, MODULE_HEADER)) kind = 'module';
  else {
    const hex = [...bytes.subarray(4, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new WasmFormatError(`unsupported WebAssembly version/layer ${hex} (expected a core module 01 00 00 00 or a component 0d 00 01 00)`, 4);
  }
  const sections: Section[] = [];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at];
    const [size, payload] = readU32(bytes, at + 1, `the size of section #${sections.length} (id ${id})`);
    const end = payload + size;
    if (end > bytes.length) {
      throw new WasmFormatError(`section #${sections.length} (id ${id}) at byte ${start} claims ${size} bytes but only ${bytes.length - payload} remain (truncated file?)`, start);
    }
    const section: Section = { id, start, end, dataStart: payload };
    if (id === 0) {
      const [nameLen, nameAt] = readU32(bytes, payload, `the name length of custom section #${sections.length}`);
      if (nameAt + nameLen > end) throw new WasmFormatError(`custom section #${sections.length} at byte ${start} has a name longer than the section`, start);
      try {
        section.name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(nameAt, nameAt + nameLen));
      } catch {
        throw new WasmFormatError(`custom section #${sections.length} at byte ${start} has a name that is not UTF-8`, start);
      }
      section.dataStart = nameAt + nameLen;
    }
    sections.push(section);
    at = end;
  }
  return { kind, bytes, sections };
}

/** A custom section: id 0, size, name, data. */
export function customSection(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...encodeU32(nameBytes.length), ...nameBytes];
  const size = body.length + data.length;
  const out = new Uint8Array(1 + encodeU32(size).length + size);
  out.set([0, ...encodeU32(size), ...body]);
  out.set(data, out.length - data.length);
  return out;
}
