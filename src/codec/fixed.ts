import { Parser } from 'binary-parser';
import { DecodeError, type Protocol } from '../errors.js';

/**
 * A compiled binary-parser layout of known size, wrapped so that it never reads past the input:
 * binary-parser clamps or throws RangeError on short input, so the length is checked first and
 * any failure surfaces as a DecodeError.
 */
export interface FixedLayout<T> {
  readonly size: number;
  /** Decode `size` bytes at `offset` of `buf`; `at` is the offset reported in errors. */
  decode(buf: Uint8Array, offset: number, at?: number): T;
}

export function fixedLayout<T>(protocol: Protocol, field: string, size: number, parser: Parser): FixedLayout<T> {
  // compile once at module load
  parser.compile();
  return {
    size,
    decode(buf, offset, at = offset) {
      if (offset < 0 || buf.length - offset < size) {
        throw new DecodeError('TRUNCATED', protocol, field, at, `needs ${size} bytes, ${Math.max(0, buf.length - offset)} present`);
      }
      try {
        return parser.parse(Buffer.from(buf.buffer, buf.byteOffset + offset, size)) as T;
      } catch (e) {
        throw new DecodeError('BAD_VALUE', protocol, field, at, (e as Error).message);
      }
    },
  };
}

export { Parser };
