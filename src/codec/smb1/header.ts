/**
 * The SMB1 header (MS-CIFS §2.2.3.1, MS-SMB §2.2.3.1) and the generic message frame around it:
 * SMB_Parameters (WordCount + Words) and SMB_Data (ByteCount + Bytes), MS-CIFS §2.2.3.2-3.
 */

import type { Codec } from '../codec.js';
import { placeEncoded } from '../codec.js';
import { ntStatusName } from '../ntstatus.js';
import { ByteReader, hexAt, u16leAt } from '../reader.js';
import { DecodeError } from '../../errors.js';
import {
  bitNames,
  dosErrorName,
  nameOf,
  SMB1_HEADER_SIZE,
  Smb1Command,
  Smb1Flags,
  Smb1Flags2,
} from './constants.js';
import { Writer } from './wire.js';

/** Decoded SMB1 header: the wire fields, then names derived from them. */
export interface Smb1Header {
  /** Command (smb.cmd). */
  command: number;
  /**
   * Status as the little-endian u32 on the wire: an NT status (smb.nt_status) when Flags2 has
   * NT_STATUS, else ErrorClass (byte 0), reserved (byte 1), ErrorCode (bytes 2-3).
   */
  status: number;
  /** Flags (smb.flags). */
  flags: number;
  /** Flags2 (smb.flags2). */
  flags2: number;
  /** PIDHigh (smb.pid.high). */
  pidHigh: number;
  /** SecurityFeatures / SecuritySignature, 8 bytes as hex (smb.signature). */
  securityFeatures: string;
  /** Reserved (2 bytes). */
  reserved: number;
  /** TID (smb.tid). */
  tid: number;
  /** PIDLow (smb.pid). */
  pidLow: number;
  /** UID (smb.uid). */
  uid: number;
  /** MID (smb.mid). */
  mid: number;

  // ---- derived, ignored by encode
  /** Command name (`NEGOTIATE`, ...), undefined when unknown. */
  commandName?: string;
  /** Flags bits by name. */
  flagNames: string[];
  /** Flags2 bits by name. */
  flags2Names: string[];
  /** Flags REPLY bit. */
  isReply: boolean;
  /** `STATUS_…` (or hex) for NT status, `ERRDOS/ERRbadfile`-style for DOS errors. */
  statusName: string;
  /** The DOS error fields, present when Flags2 lacks NT_STATUS (smb.error_class, smb.error_code). */
  dosError?: { errorClass: number; errorCode: number };
}

/** The wire fields of a header; everything but `command` has a default (0, or zero signature). */
export type Smb1HeaderInit = Partial<Pick<Smb1Header,
  'status' | 'flags' | 'flags2' | 'pidHigh' | 'securityFeatures' | 'reserved' | 'tid' | 'pidLow' | 'uid' | 'mid'>> & {
  command: number;
};

/** Build a header value (with its derived names) from wire fields. */
export function smb1Header(init: Smb1HeaderInit): Smb1Header {
  return withNames({
    command: init.command & 0xff,
    status: (init.status ?? 0) >>> 0,
    flags: (init.flags ?? 0) & 0xff,
    flags2: (init.flags2 ?? 0) & 0xffff,
    pidHigh: (init.pidHigh ?? 0) & 0xffff,
    securityFeatures: init.securityFeatures ?? '0000000000000000',
    reserved: (init.reserved ?? 0) & 0xffff,
    tid: (init.tid ?? 0) & 0xffff,
    pidLow: (init.pidLow ?? 0) & 0xffff,
    uid: (init.uid ?? 0) & 0xffff,
    mid: (init.mid ?? 0) & 0xffff,
  });
}

type WireHeader = Omit<Smb1Header, 'commandName' | 'flagNames' | 'flags2Names' | 'isReply' | 'statusName' | 'dosError'>;

function withNames(h: WireHeader): Smb1Header {
  // one object literal with every field: a stable shape (a spread plus added fields was the
  // hottest function of capture decoding)
  const out: Smb1Header = {
    command: h.command,
    status: h.status,
    flags: h.flags,
    flags2: h.flags2,
    pidHigh: h.pidHigh,
    securityFeatures: h.securityFeatures,
    reserved: h.reserved,
    tid: h.tid,
    pidLow: h.pidLow,
    uid: h.uid,
    mid: h.mid,
    flagNames: bitNames(Smb1Flags, h.flags),
    flags2Names: bitNames(Smb1Flags2, h.flags2),
    isReply: (h.flags & Smb1Flags.REPLY) !== 0,
    statusName: '',
  };
  const name = nameOf(Smb1Command, h.command);
  if (name !== undefined) out.commandName = name;
  if ((h.flags2 & Smb1Flags2.NT_STATUS) !== 0) {
    out.statusName = ntStatusName(h.status);
  } else {
    const errorClass = h.status & 0xff;
    const errorCode = h.status >>> 16;
    out.dosError = { errorClass, errorCode };
    out.statusName = dosErrorName(errorClass, errorCode);
  }
  return out;
}

const ZERO_SIGNATURE = '0000000000000000';

/** SecurityFeatures as hex; most messages are unsigned (all zero): one constant string for them. */
function signatureAt(b: Uint8Array, o: number): string {
  for (let i = o; i < o + 8; i++) if (b[i] !== 0) return hexAt(b, o, 8);
  return ZERO_SIGNATURE;
}

/** True when `buf` holds `\xFFSMB` at `offset`. */
export function isSmb1(buf: Uint8Array, offset = 0): boolean {
  return buf.length - offset >= 4 && buf[offset] === 0xff && buf[offset + 1] === 0x53 && buf[offset + 2] === 0x4d && buf[offset + 3] === 0x42;
}

function decodeHeader(buf: Uint8Array, offset = 0, end = buf.length): Smb1Header {
  if (offset < 0 || end > buf.length || offset > end) throw new DecodeError('BAD_OFFSET', 'smb1', 'SMB_Header', 0);
  if (end - offset < SMB1_HEADER_SIZE) throw new DecodeError('TRUNCATED', 'smb1', 'SMB_Header', 0, `needs ${SMB1_HEADER_SIZE} bytes, ${end - offset} present`);
  if (!isSmb1(buf, offset)) throw new DecodeError('BAD_VALUE', 'smb1', 'Protocol', 0, 'not \\xFFSMB');
  // read in place (length checked above): no parser object or Buffer views per message
  const b = buf;
  const o = offset;
  return withNames({
    command: b[o + 4]!,
    status: (b[o + 5]! | (b[o + 6]! << 8) | (b[o + 7]! << 16) | (b[o + 8]! << 24)) >>> 0,
    flags: b[o + 9]!,
    flags2: u16leAt(b, o + 10),
    pidHigh: u16leAt(b, o + 12),
    securityFeatures: signatureAt(b, o + 14),
    reserved: u16leAt(b, o + 22),
    tid: u16leAt(b, o + 24),
    pidLow: u16leAt(b, o + 26),
    uid: u16leAt(b, o + 28),
    mid: u16leAt(b, o + 30),
  });
}

function signatureBytes(s: string): Uint8Array {
  if (!/^[0-9a-fA-F]{16}$/.test(s)) throw new TypeError(`securityFeatures must be 16 hex digits, got ${JSON.stringify(s)}`);
  return Buffer.from(s, 'hex');
}

/** Append the 32 header bytes to a writer. */
export function writeHeader(w: Writer, h: Smb1Header): void {
  w.u8(0xff).u8(0x53).u8(0x4d).u8(0x42);
  w.u8(h.command).u32(h.status).u8(h.flags).u16(h.flags2).u16(h.pidHigh);
  w.bytes(signatureBytes(h.securityFeatures));
  w.u16(h.reserved).u16(h.tid).u16(h.pidLow).u16(h.uid).u16(h.mid);
}

/** Codec for the 32-byte header alone. */
export const smb1HeaderCodec: Codec<Smb1Header> = {
  encode(value, buf, offset) {
    const w = new Writer();
    writeHeader(w, value);
    return placeEncoded(w.finish(), buf, offset);
  },
  decode: decodeHeader,
  encodingLength() {
    return SMB1_HEADER_SIZE;
  },
};

/** One SMB_Parameters + SMB_Data block. Offsets count from the SMB header start. */
export interface Smb1Block {
  /** Offset of WordCount. */
  offset: number;
  /** WordCount (smb.wct). */
  wordCount: number;
  /** The 2×WordCount parameter bytes (a view into the input). */
  words: Uint8Array;
  /** ByteCount (smb.bcc). */
  byteCount: number;
  /** Offset of the first data byte. */
  bytesOffset: number;
  /** The ByteCount data bytes (a view into the input). */
  bytes: Uint8Array;
  /** Offset just past the block. */
  end: number;
}

/**
 * Read the block whose WordCount sits at `at` (offset from the header start `headerStart`),
 * within [headerStart, end). Throws TRUNCATED when WordCount or ByteCount claim more than is there.
 */
export function decodeSmb1Block(buf: Uint8Array, headerStart: number, at: number, end = buf.length): Smb1Block {
  const r = new ByteReader(buf, 'smb1', headerStart, end);
  r.seek(at, 'WordCount');
  const wordCount = r.u8('WordCount');
  const words = r.bytes(wordCount * 2, 'Words');
  const byteCount = r.u16le('ByteCount');
  const bytesOffset = r.offset;
  const bytes = r.bytes(byteCount, 'Bytes');
  return { offset: at, wordCount, words, byteCount, bytesOffset, bytes, end: r.offset };
}

/** A whole SMB1 message seen generically: header, first block, and the trailing bytes after it. */
export interface Smb1RawMessage {
  header: Smb1Header;
  /** First block's parameter words. */
  words: Uint8Array;
  /** First block's data bytes. */
  bytes: Uint8Array;
  /** Bytes after the first block (AndX followers, padding). */
  trailing: Uint8Array;
}

/** Decode header + first block; a reader over the message for further parsing. */
/**
 * The header and the first block. `header`: the header of these same bytes, already decoded (by a
 * caller that dispatched on it), used as it is instead of being decoded again.
 */
export function decodeSmb1Frame(buf: Uint8Array, offset = 0, end = buf.length, header: Smb1Header = decodeHeader(buf, offset, end)): { header: Smb1Header; block: Smb1Block } {
  const block = decodeSmb1Block(buf, offset, SMB1_HEADER_SIZE, end);
  return { header, block };
}

/** Write header + one block; `fill` writes the data bytes (its writer knows offsets for padding). */
export function encodeSmb1Frame(header: Smb1Header, words: Uint8Array, fill: (w: Writer) => void): Uint8Array {
  if (words.length % 2 !== 0 || words.length > 510) throw new RangeError(`Words must be an even length ≤ 510, got ${words.length}`);
  const w = new Writer();
  writeHeader(w, header);
  w.u8(words.length / 2).bytes(words);
  const bcAt = w.length;
  w.u16(0);
  const start = w.length;
  fill(w);
  const bc = w.length - start;
  if (bc > 0xffff) throw new RangeError(`ByteCount ${bc} exceeds 65535`);
  w.patchU16(bcAt, bc);
  return w.finish();
}

/** Generic codec: header, first block as raw words/bytes, and whatever follows it. */
export const smb1RawMessage: Codec<Smb1RawMessage> = {
  encode(value, buf, offset) {
    const out = encodeSmb1Frame(value.header, value.words, (w) => w.bytes(value.bytes));
    const all = new Uint8Array(out.length + value.trailing.length);
    all.set(out, 0);
    all.set(value.trailing, out.length);
    return placeEncoded(all, buf, offset);
  },
  decode(buf, offset = 0, end = buf.length) {
    const { header, block } = decodeSmb1Frame(buf, offset, end);
    return { header, words: block.words, bytes: block.bytes, trailing: buf.subarray(offset + block.end, end) };
  },
  encodingLength(value) {
    return SMB1_HEADER_SIZE + 1 + value.words.length + 2 + value.bytes.length + value.trailing.length;
  },
};
