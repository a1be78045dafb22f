/**
 * The shape every message codec exports (as in dns-packet): bytes in, typed value out, and back.
 * Codecs are pure: no sockets, timers, files or logging.
 */
export interface Codec<T> {
  /** Encode `value`; writes into `buf` at `offset` when given (must have room), else allocates. */
  encode(value: T, buf?: Uint8Array, offset?: number): Uint8Array;
  /** Decode one message starting at `offset`, reading no further than `end`. Throws DecodeError. */
  decode(buf: Uint8Array, offset?: number, end?: number): T;
  /** Exact number of bytes `encode(value)` writes. */
  encodingLength(value: T): number;
}

/** Copy `bytes` into `buf` at `offset` when a target was given; otherwise return `bytes` as is. */
export function placeEncoded(bytes: Uint8Array, buf?: Uint8Array, offset = 0): Uint8Array {
  if (!buf) return bytes;
  if (offset < 0 || offset + bytes.length > buf.length) {
    throw new RangeError(`encode: ${bytes.length} bytes do not fit at offset ${offset} of ${buf.length}`);
  }
  buf.set(bytes, offset);
  return buf.subarray(offset, offset + bytes.length);
}
