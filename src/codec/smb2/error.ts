/**
 * SMB2 ERROR response (MS-SMB2 §2.2.2) and its 3.1.1 error contexts (§2.2.2.1). The ErrorData
 * formats (symbolic link, share redirect, buffer size) stay raw.
 */

import { ByteReader } from '../reader.js';
import { SMB2_HEADER_SIZE } from './constants.js';
import { encodePacket, expectStructureSize, openMessage, type Smb2BodyCodec, type Smb2Header, type Smb2Packet } from './header.js';

/** One ERROR_CONTEXT of an SMB2 ERROR response (MS-SMB2 §2.2.2.1). */
export interface Smb2ErrorContext {
  /** ErrorId (see ErrorId). */
  errorId: number;
  /** ErrorContextData, raw. */
  errorData: Uint8Array;
}

/** SMB2 ERROR response body (MS-SMB2 §2.2.2). */
export interface ErrorResponse {
  /** ErrorData when ErrorContextCount is 0 (e.g. the 4-byte size of STATUS_BUFFER_TOO_SMALL). */
  errorData: Uint8Array;
  /** Error contexts (3.1.1), when ErrorContextCount is not 0; errorData is then empty. */
  errorContexts: Smb2ErrorContext[];
}

/** An SMB2 ERROR response: header and body. */
export type ErrorResponseMessage = Smb2Packet<ErrorResponse>;

const FIXED = 8;
const CONTEXT_HEADER = 8;
const pad8 = (n: number): number => (8 - (n % 8)) % 8;

function contextsLength(list: readonly Smb2ErrorContext[]): number {
  let n = 0;
  list.forEach((c, i) => {
    if (i > 0) n += pad8(n);
    n += CONTEXT_HEADER + c.errorData.length;
  });
  return n;
}

function byteCount(b: ErrorResponse): number {
  return b.errorContexts.length > 0 ? contextsLength(b.errorContexts) : b.errorData.length;
}

function check(b: ErrorResponse): void {
  if (b.errorContexts.length > 0xff) throw new RangeError('at most 255 error contexts');
  if (b.errorContexts.length > 0 && b.errorData.length > 0) {
    throw new TypeError('ErrorData is either raw data or error contexts, not both');
  }
}

/** StructureSize 9 counts one byte of ErrorData: an empty ErrorData is still sent as one zero byte. */
const bodyLength = (b: ErrorResponse): number => FIXED + Math.max(1, byteCount(b));

/** Codec of SMB2 ERROR responses (header + body). */
export const errorResponse: Smb2BodyCodec<ErrorResponseMessage> = {
  encode(m, buf, offset) {
    const b = m.body;
    check(b);
    return encodePacket(m.header, bodyLength(b), (out, at) => {
      out.writeUInt16LE(FIXED + 1, at);
      out.writeUInt8(b.errorContexts.length, at + 2);
      out.writeUInt32LE(byteCount(b), at + 4);
      let p = at + FIXED;
      if (b.errorContexts.length === 0) {
        out.set(b.errorData, p);
        return;
      }
      b.errorContexts.forEach((c, i) => {
        if (i > 0) p += pad8(p - at - FIXED);
        out.writeUInt32LE(c.errorData.length, p);
        out.writeUInt32LE(c.errorId >>> 0, p + 4);
        out.set(c.errorData, p + CONTEXT_HEADER);
        p += CONTEXT_HEADER + c.errorData.length;
      });
    }, buf, offset);
  },

  decode(buf, offset = 0, end = buf.length, decoded?: Smb2Header) {
    // no Command/Flags expectation: any command's failure comes back in this shape
    const { header, body: r } = openMessage(buf, offset, end, undefined, decoded);
    expectStructureSize(r, FIXED + 1);
    const count = r.u8('ErrorContextCount');
    r.skip(1, 'Reserved');
    const countAt = r.offset;
    const n = r.u32le('ByteCount');
    if (n > r.remaining) throw r.error('BAD_LENGTH', 'ByteCount', `ByteCount ${n} runs past the message`, countAt);
    const data = r.sub(n, 'ErrorData');
    if (count === 0) return { header, body: { errorData: new Uint8Array(data.bytes(n, 'ErrorData')), errorContexts: [] } };
    return { header, body: { errorData: new Uint8Array(0), errorContexts: decodeErrorContexts(data, count) } };
  },

  encodingLength(m) {
    check(m.body);
    return SMB2_HEADER_SIZE + bodyLength(m.body);
  },
};

function decodeErrorContexts(r: ByteReader, count: number): Smb2ErrorContext[] {
  if (count * CONTEXT_HEADER > r.remaining) {
    throw r.error('BAD_LENGTH', 'ErrorContextCount', `${count} error contexts cannot fit in ${r.remaining} bytes`, 2 + SMB2_HEADER_SIZE);
  }
  const start = r.pos;
  const out: Smb2ErrorContext[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) r.skip(pad8(r.pos - start), 'Padding');
    const lenAt = r.offset;
    const len = r.u32le('ErrorDataLength');
    const errorId = r.u32le('ErrorId');
    if (len > r.remaining) throw r.error('BAD_LENGTH', 'ErrorDataLength', `ErrorDataLength ${len} runs past ErrorData`, lenAt);
    out.push({ errorId, errorData: new Uint8Array(r.bytes(len, 'ErrorContextData')) });
  }
  return out;
}
