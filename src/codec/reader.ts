import { DecodeError, type Protocol } from '../errors.js';

/**
 * Bounds-checked cursor over untrusted bytes. Every read checks the remaining length first,
 * because `subarray` and friends clamp silently and would let a truncated field look valid.
 * Offsets in errors are relative to `base` (the start of the message the caller cares about).
 */
export class ByteReader {
  readonly buf: Uint8Array;
  readonly protocol: Protocol;
  /** Absolute index in `buf` that error offsets are counted from. */
  readonly base: number;
  /** Absolute end (exclusive) of the readable window. */
  readonly end: number;
  /** Absolute read position. */
  pos: number;

  constructor(buf: Uint8Array, protocol: Protocol, start = 0, end = buf.length, base = start) {
    if (start < 0 || end > buf.length || start > end) {
      throw new DecodeError('BAD_OFFSET', protocol, 'window', start - base);
    }
    this.buf = buf;
    this.protocol = protocol;
    this.base = base;
    this.end = end;
    this.pos = start;
  }

  /** Position relative to `base`. */
  get offset(): number {
    return this.pos - this.base;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws TRUNCATED unless `n` bytes remain. */
  need(n: number, field: string): void {
    if (n < 0 || !Number.isSafeInteger(n)) throw this.error('BAD_LENGTH', field);
    if (this.end - this.pos < n) throw this.error('TRUNCATED', field);
  }

  error(code: DecodeError['code'], field: string, detail?: string, at = this.offset): DecodeError {
    return new DecodeError(code, this.protocol, field, at, detail);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16le(field: string): number {
    this.need(2, field);
    // byte arithmetic, not a DataView: readers are made per message and sub-field, and a view each was a measurable share of capture decoding
    const v = u16leAt(this.buf, this.pos);
    this.pos += 2;
    return v;
  }

  u16be(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32le(field: string): number {
    this.need(4, field);
    const v = u32leAt(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  u32be(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  i16le(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p]! | (b[p + 1]! << 8)) << 16) >> 16;
  }

  u64le(field: string): bigint {
    this.need(8, field);
    const v = u64leAt(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** Move to an offset relative to `base`; must stay inside the window. */
  seek(offset: number, field: string): void {
    const abs = this.base + offset;
    if (!Number.isSafeInteger(offset) || offset < 0 || abs > this.end) {
      throw this.error('BAD_OFFSET', field, `offset ${offset} outside the message`, offset);
    }
    this.pos = abs;
  }

  /** Skip to the next multiple of `n` counted from `base`, clamped to the end of the window. */
  align(n: number): void {
    const rel = this.pos - this.base;
    const pad = (n - (rel % n)) % n;
    this.pos = Math.min(this.pos + pad, this.end);
  }

  /** A reader over the next `n` bytes with the same `base`; advances this one past them. */
  sub(n: number, field: string): ByteReader {
    this.need(n, field);
    const r = new ByteReader(this.buf, this.protocol, this.pos, this.pos + n, this.base);
    this.pos += n;
    return r;
  }

  /** A reader over [base+offset, base+offset+length), checked against this window. */
  window(offset: number, length: number, field: string): ByteReader {
    const start = this.windowStart(offset, length, field);
    return new ByteReader(this.buf, this.protocol, start, start + length, this.base);
  }

  /** A view of [base+offset, base+offset+length), checked as {@link window} checks it; the position does not move. */
  bytesAt(offset: number, length: number, field: string): Uint8Array {
    const start = this.windowStart(offset, length, field);
    return this.buf.subarray(start, start + length);
  }

  private windowStart(offset: number, length: number, field: string): number {
    const start = this.base + offset;
    if (!Number.isSafeInteger(offset) || offset < 0 || start > this.end) {
      throw this.error('BAD_OFFSET', field, `offset ${offset} outside the message`, offset);
    }
    if (!Number.isSafeInteger(length) || length < 0 || start + length > this.end) {
      throw this.error('BAD_LENGTH', field, `length ${length} at offset ${offset} runs past the message`, offset);
    }
    return start;
  }

  /** UTF-16LE string of `n` bytes (odd `n` is BAD_LENGTH); decoded as UTF-16, never by dropping NULs. */
  utf16le(n: number, field: string): string {
    if (n % 2 !== 0) throw this.error('BAD_LENGTH', field, `odd UTF-16 length ${n}`);
    return decodeUtf16le(this.bytes(n, field));
  }

  /** NUL-terminated string in the given single-byte encoding; TRUNCATED if no NUL before the end. */
  cstring(field: string, encoding: 'latin1' | 'ascii' = 'latin1'): string {
    const start = this.pos;
    let i = start;
    while (i < this.end && this.buf[i] !== 0) i++;
    if (i >= this.end) throw this.error('TRUNCATED', field, 'no NUL terminator');
    this.pos = i + 1;
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, i - start).toString(encoding);
  }

  /** NUL-terminated (two NUL bytes, 2-aligned from the start) UTF-16LE string. */
  cstring16(field: string): string {
    const start = this.pos;
    let i = start;
    while (i + 1 < this.end && (this.buf[i] !== 0 || this.buf[i + 1] !== 0)) i += 2;
    if (i + 1 >= this.end) throw this.error('TRUNCATED', field, 'no UTF-16 NUL terminator');
    this.pos = i + 2;
    return decodeUtf16le(this.buf.subarray(start, i));
  }
}

/**
 * A copy of `b` that the input may be reused after. Small copies share Node's buffer pool (one
 * 8 KiB slab for many of them): a Uint8Array of its own above 64 bytes has a malloc'd backing
 * store, slow to make and to free (security buffers were 2–3 % of host-mode capture decoding).
 * `.buffer` is then the slab: read it through byteOffset and byteLength.
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  const p = Buffer.allocUnsafe(b.length);
  p.set(b);
  return new Uint8Array(p.buffer, p.byteOffset, b.length);
}

/** Little-endian u16 at b[p] (the caller checked the bounds). */
export const u16leAt = (b: Uint8Array, p: number): number => b[p]! | (b[p + 1]! << 8);

/** Little-endian u32 at b[p] (the caller checked the bounds). */
export const u32leAt = (b: Uint8Array, p: number): number => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;

/** Little-endian u64 at b[p] (the caller checked the bounds). */
export function u64leAt(b: Uint8Array, p: number): bigint {
  const lo = u32leAt(b, p);
  const hi = u32leAt(b, p + 4);
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

const utf16 = new TextDecoder('utf-16le');

/** UTF-16LE bytes to a JS string; unpaired surrogates become U+FFFD. */
export function decodeUtf16le(b: Uint8Array): string {
  return utf16.decode(b);
}

/** Hex of bytes, lower case, optional separator. */
export function hex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0 && sep) s += sep;
    s += HEX[b[i]!]!;
  }
  return s;
}

/** Two lower-case hex digits of each byte value. */
export const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `length` bytes of `b` from `offset` (the caller checked the bounds). */
export function hexAt(b: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = offset; i < offset + length; i++) s += HEX[b[i]!]!;
  return s;
}

/** A Windows FILETIME (100 ns ticks since 1601-01-01) as an ISO-8601 string; `null` for 0. */
export function filetimeToIso(ft: bigint): string | null {
  if (ft === 0n) return null;
  const ms = Number(ft / 10000n) - 11644473600000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return null;
  // keep the 100 ns precision the wire carries: ISO with 7 fractional digits
  const frac = (ft % 10000000n).toString().padStart(7, '0');
  const iso = d.toISOString(); // always ends in .sssZ
  return `${iso.slice(0, -5)}.${frac}Z`;
}
