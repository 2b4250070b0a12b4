// Property-based fuzzing (fast-check) of the signature code: the wasm section reader, the
// signature data decoder, and verification of mutated signed components. Whatever the
// bytes, they only ever fail with WasmFormatError (reader/decoder) or LoopError (verify),
// and no mutation of a signed component verifies.
//
// Bounded in CI; longer run:  LOOP_FUZZ_RUNS=20000 npx vitest run packages/nx-loop/src/signing/fuzz.spec.ts
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../errors';
import { ADDER_WAT, encode } from './__fixtures__/components';
import { fuzzParams, fuzzTimeout } from './__fixtures__/fuzz-params';
import { decodeSignatureData, encodeSignatureData, type SignatureData } from './format';
import { generateKeyPair } from './keys';
import { signWasm, verifyWasm } from './sign';
import { customSection, parseWasm, WasmFormatError } from './wasm';

const key = generateKeyPair();
let signed: Uint8Array;
let adder: Uint8Array;

beforeAll(async () => {
  adder = await encode(ADDER_WAT);
  signed = signWasm(adder, key, { file: 'f.wasm' }).bytes;
});

const onlyFormatErrors = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.offset).toBeGreaterThanOrEqual(0);
  }
};

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(b: Uint8Array, ms: Mutation[]): Uint8Array {
  let out = Buffer.from(b);
  for (const m of ms) {
    const at = 'at' in m ? 8 + (m.at % Math.max(1, out.length - 8)) : 0;
    if (m.kind === 'flip') out[at] ^= m.bits;
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    else if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.n)]);
    else out = Buffer.concat([out, m.bytes]);
  }
  return out;
}

describe('signature fuzzing', () => {
  it('the section reader and the signature decoder reject any bytes only with WasmFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withHeader) => {
        const wasm = withHeader ? Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), bytes]) : bytes;
        onlyFormatErrors(() => parseWasm(wasm));
        onlyFormatErrors(() => decodeSignatureData(bytes));
        onlyFormatErrors(() => decodeSignatureData(Buffer.concat([Buffer.from([1, 1, 1]), bytes])));
      }),
      fuzzParams(20000),
    );
  }, fuzzTimeout(20000));

  it('signature data round-trips through encode/decode', () => {
    const sig = fc.record({ keyId: fc.uint8Array({ maxLength: 16 }), algorithm: fc.constant(1), signature: fc.uint8Array({ maxLength: 80 }) });
    const data = fc.record({
      specVersion: fc.constant(1),
      contentType: fc.constant(1),
      hashFunction: fc.constant(1),
      sets: fc.array(fc.record({ hashes: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }), signatures: fc.array(sig, { maxLength: 3 }) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(data, (d: SignatureData) => {
        const bytes = encodeSignatureData(d);
        expect(decodeSignatureData(bytes)).toEqual(d);
      }),
      fuzzParams(3000),
    );
  }, fuzzTimeout(3000));

  it('no mutation of a signed component verifies, and every refusal is a LoopError naming the file', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const t = mutate(signed, ms);
        if (Buffer.from(t).equals(Buffer.from(signed))) return; // e.g. inserting then deleting the same bytes
        try {
          verifyWasm(t, [key.publicKey], { file: 'f.wasm' });
        } catch (e) {
          if (!isLoopError(e)) throw e;
          expect(e.diagnostics[0].file).toBe('f.wasm');
          expect(e.code).toMatch(/^LOOP50[2-7]$/);
          return;
        }
        // Only a change confined to the signature section's unsigned padding could verify;
        // the format has none, so a verified mutation is a bug.
        throw new Error(`a mutated component verified: ${JSON.stringify(ms)}`);
      }),
      fuzzParams(20000),
    );
  }, fuzzTimeout(20000));

  it('signing any well-formed binary yields one that verifies, and re-signing is stable', () => {
    const extra = fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 4 });
    fc.assert(
      fc.property(extra, (sections) => {
        const bytes = Buffer.concat([adder, ...sections.map(([n, d]) => customSection(n, d))]);
        const once = signWasm(bytes, key, { file: 'g.wasm' }).bytes;
        expect(verifyWasm(once, [key.publicKey], { file: 'g.wasm' }).key.toString()).toBe(key.publicKey.toString());
        expect(Buffer.from(signWasm(once, key, { file: 'g.wasm' }).bytes).equals(Buffer.from(once))).toBe(true);
      }),
      fuzzParams(2000),
    );
  }, fuzzTimeout(2000));
});
