import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/codec/codec.js';
import { DecodeError } from '../../src/errors.js';

/**
 * encode → decode → deep-equal, encodingLength agrees, and encoding again at a non-zero offset
 * of a larger buffer gives the same bytes.
 */
export function roundTrip<T>(codec: Codec<T>, value: T, normalize: (v: T) => unknown = (v) => v): Uint8Array {
  const bytes = codec.encode(value);
  assert.equal(bytes.length, codec.encodingLength(value), 'encodingLength disagrees with encode');
  const back = codec.decode(bytes);
  assert.deepEqual(normalize(back), normalize(value));
  const big = new Uint8Array(bytes.length + 7);
  const placed = codec.encode(value, big, 5);
  assert.deepEqual(Buffer.from(placed), Buffer.from(bytes));
  assert.deepEqual(normalize(codec.decode(big, 5, 5 + bytes.length)), normalize(back));
  return bytes;
}

/** Run `decode` and accept only a value or a DecodeError. */
export function valueOrDecodeError(decode: (b: Uint8Array) => unknown, input: Uint8Array): void {
  try {
    decode(input);
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      throw new Error(`decoder threw ${(e as Error)?.name}: ${(e as Error)?.message} on ${Buffer.from(input).toString('hex')}`);
    }
  }
}

/** Arbitrary that mutates real packets: truncation, bit flips, overwritten length-ish bytes. */
export function mutatedPackets(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('mutatedPackets needs at least one seed');
  return fc
    .tuple(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xc0, 0xff) }),
          fc.record({ kind: fc.constant('set16' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0xffff, 0x8000, 0x7fff) }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([i, muts]) => {
      let b = Uint8Array.from(seeds[i]!);
      for (const m of muts) {
        if (b.length === 0) break;
        const at = m.at % b.length;
        if (m.kind === 'truncate') b = b.subarray(0, at);
        else if (m.kind === 'flip') b[at]! ^= 1 << m.bit;
        else if (m.kind === 'set') b[at] = m.value;
        else if (at + 1 < b.length) {
          b[at] = m.value & 0xff;
          b[at + 1] = m.value >> 8;
        }
      }
      return b;
    });
}

/** Property: random bytes and mutated seeds give a value or a DecodeError, nothing else. */
export function assertDecoderTotal(decode: (b: Uint8Array) => unknown, seeds: Uint8Array[], numRuns = 2000): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (b) => valueOrDecodeError(decode, b)),
    { numRuns },
  );
  if (seeds.length > 0) {
    fc.assert(
      fc.property(mutatedPackets(seeds), (b) => valueOrDecodeError(decode, b)),
      { numRuns },
    );
  }
}
