/**
 * Small helpers shared by the SMB1 codecs: a growable little-endian writer that knows its offset
 * from the SMB header (for Unicode alignment), and tolerant SMB_STRING readers.
 */

import type { ByteReader } from '../reader.js';
import { decodeUtf16le } from '../reader.js';

/** Little-endian writer; `base` is the offset of its first byte from the SMB header start. */
export class Writer {
  private buf = Buffer.alloc(128);
  private len = 0;

  constructor(readonly base = 0) {}

  /** Offset of the next byte from the SMB header start. */
  get offset(): number {
    return this.base + this.len;
  }

  get length(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf.writeUInt8(v & 0xff, this.len);
    this.len += 1;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, this.len);
    this.len += 2;
    return this;
  }

  i16(v: number): this {
    this.room(2);
    this.buf.writeInt16LE(v, this.len);
    this.len += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }

  u64(v: bigint): this {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.len);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** One zero byte when the next byte would sit at an odd offset from the SMB header. */
  pad2(): this {
    if (this.offset % 2 !== 0) this.u8(0);
    return this;
  }

  /** NUL-terminated string: UTF-16LE (after `pad2` when `align`) or OEM (latin1). */
  string(s: string, unicode: boolean, align = true): this {
    if (unicode) {
      if (align) this.pad2();
      this.bytes(Buffer.from(s, 'utf16le')).u16(0);
    } else {
      this.bytes(Buffer.from(s, 'latin1')).u8(0);
    }
    return this;
  }

  /** Overwrite a u16 already written at `at` (index in this writer). */
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v & 0xffff, at);
  }

  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.len).slice();
  }
}

/**
 * Read one SMB_STRING leniently: skip the Unicode pad when `align` and the reader sits at an odd
 * offset from its base (the SMB header), then read up to the NUL or, when a server forgot it, to
 * the end of the window. `undefined` when nothing is left: servers omit trailing strings.
 */
export function readSmbString(r: ByteReader, unicode: boolean, align = true): string | undefined {
  if (unicode && align) r.align(2);
  if (r.remaining <= 0) return undefined;
  const start = r.pos;
  if (unicode) {
    let i = start;
    while (i + 1 < r.end && (r.buf[i] !== 0 || r.buf[i + 1] !== 0)) i += 2;
    if (i + 1 < r.end) {
      r.pos = i + 2;
      return decodeUtf16le(r.buf.subarray(start, i));
    }
    // no terminator: take the whole code units present; a lone last byte is dropped
    const n = (r.end - start) & ~1;
    r.pos = r.end;
    return decodeUtf16le(r.buf.subarray(start, start + n));
  }
  let i = start;
  while (i < r.end && r.buf[i] !== 0) i++;
  r.pos = i < r.end ? i + 1 : r.end;
  return Buffer.from(r.buf.buffer, r.buf.byteOffset + start, i - start).toString('latin1');
}
