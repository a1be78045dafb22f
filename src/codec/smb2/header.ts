/**
 * The SMB2 packet header (MS-SMB2 §2.2.1), the compound-chain splitter (§3.2.4.1.4, §3.3.5.2.7),
 * and enough of the TRANSFORM_HEADER (§2.2.41) and COMPRESSION_TRANSFORM_HEADER (§2.2.42) to say
 * what such a message is. Nothing here decrypts or decompresses.
 */

import { placeEncoded, type Codec } from '../codec.js';
import { fixedLayout, Parser } from '../fixed.js';
import { DecodeError } from '../../errors.js';
import { ByteReader, copyBytes, u16leAt, u32leAt, u64leAt } from '../reader.js';
import {
  SMB1_PROTOCOL_ID,
  SMB2_COMPRESSION_PROTOCOL_ID,
  SMB2_HEADER_SIZE,
  SMB2_PROTOCOL_ID,
  SMB2_TRANSFORM_PROTOCOL_ID,
  Smb2Flags,
} from './constants.js';

/**
 * One SMB2 header. The 8 bytes at offset 32 are Reserved + TreeId (sync form) or AsyncId (when
 * Flags has ASYNC_COMMAND): decode fills exactly one of the two forms.
 */
export interface Smb2Header {
  /** CreditCharge (2.0.2 servers send 0). */
  creditCharge: number;
  /**
   * Status (NT status) in responses. In requests of 3.x dialects the same 4 bytes are
   * ChannelSequence (low 16 bits) and Reserved: see {@link channelSequence}.
   */
  status: number;
  /** Command (see Smb2Command). */
  command: number;
  /** CreditRequest in requests, CreditResponse in responses. */
  credits: number;
  /** Flags (see Smb2Flags). */
  flags: number;
  /** NextCommand: offset of the next header of a compound chain, 0 for the last one. */
  nextCommand: number;
  /** MessageId (64-bit). */
  messageId: bigint;
  /** Sync form: Reserved (Wireshark calls it `smb2.pid`). */
  reserved?: number;
  /** Sync form: TreeId. */
  treeId?: number;
  /** Async form: AsyncId. */
  asyncId?: bigint;
  /** SessionId (64-bit). */
  sessionId: bigint;
  /** Signature: 16 bytes (zero when unsigned). */
  signature: Uint8Array;
}

/** True when the header's Flags mark a response (SERVER_TO_REDIR). */
export function isResponse(h: Pick<Smb2Header, 'flags'>): boolean {
  return (h.flags & Smb2Flags.SERVER_TO_REDIR) !== 0;
}

/** True when the header is in the async form (ASYNC_COMMAND). */
export function isAsync(h: Pick<Smb2Header, 'flags'>): boolean {
  return (h.flags & Smb2Flags.ASYNC_COMMAND) !== 0;
}

/** ChannelSequence of a request header (the low 16 bits of the Status field). */
export function channelSequence(h: Pick<Smb2Header, 'status'>): number {
  return h.status & 0xffff;
}

function decodeHeader(buf: Uint8Array, offset = 0, end = buf.length): Smb2Header {
  checkWindow(buf, offset, end, 'SMB2 Header');
  if (end - offset < SMB2_HEADER_SIZE) {
    throw new DecodeError('TRUNCATED', 'smb2', 'SMB2 Header', 0, `needs 64 bytes, ${end - offset} present`);
  }
  // read in place (the length is checked above): no parser result or Buffer per message
  const b = buf;
  const o = offset;
  const protocolId = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  if (protocolId !== SMB2_PROTOCOL_ID) {
    throw new DecodeError('BAD_VALUE', 'smb2', 'ProtocolId', 0, `0x${protocolId.toString(16)} is not \\xFESMB`);
  }
  const structureSize = u16leAt(b, o + 4);
  if (structureSize !== SMB2_HEADER_SIZE) {
    throw new DecodeError('BAD_VALUE', 'smb2', 'StructureSize', 4, `header StructureSize ${structureSize}, not 64`);
  }
  const flags = u32leAt(b, o + 16);
  const reserved = u32leAt(b, o + 32);
  const treeId = u32leAt(b, o + 36);
  const signature = new Uint8Array(16);
  for (let i = 0; i < 16; i++) signature[i] = b[o + 48 + i]!;
  const h: Smb2Header = {
    creditCharge: u16leAt(b, o + 6),
    status: u32leAt(b, o + 8),
    command: u16leAt(b, o + 12),
    credits: u16leAt(b, o + 14),
    flags,
    nextCommand: u32leAt(b, o + 20),
    messageId: u64leAt(b, o + 24),
    sessionId: u64leAt(b, o + 40),
    signature,
  };
  if ((flags & Smb2Flags.ASYNC_COMMAND) !== 0) {
    h.asyncId = (BigInt(treeId) << 32n) | BigInt(reserved);
  } else {
    h.reserved = reserved;
    h.treeId = treeId;
  }
  return h;
}

/** Write a header into `out` at `at` (64 bytes). */
export function writeHeader(h: Smb2Header, out: Buffer, at: number): void {
  out.writeUInt32BE(SMB2_PROTOCOL_ID, at);
  out.writeUInt16LE(SMB2_HEADER_SIZE, at + 4);
  out.writeUInt16LE(h.creditCharge, at + 6);
  out.writeUInt32LE(h.status >>> 0, at + 8);
  out.writeUInt16LE(h.command, at + 12);
  out.writeUInt16LE(h.credits, at + 14);
  out.writeUInt32LE(h.flags >>> 0, at + 16);
  out.writeUInt32LE(h.nextCommand, at + 20);
  out.writeBigUInt64LE(h.messageId, at + 24);
  if ((h.flags & Smb2Flags.ASYNC_COMMAND) !== 0) {
    out.writeBigUInt64LE(h.asyncId ?? 0n, at + 32);
  } else {
    out.writeUInt32LE(h.reserved ?? 0, at + 32);
    out.writeUInt32LE(h.treeId ?? 0, at + 36);
  }
  out.writeBigUInt64LE(h.sessionId, at + 40);
  if (h.signature.length !== 16) throw new RangeError(`Signature must be 16 bytes, got ${h.signature.length}`);
  out.set(h.signature, at + 48);
}

/** Codec of the 64-byte header alone. */
export const smb2Header: Codec<Smb2Header> = {
  encode(h, buf, offset) {
    const out = Buffer.alloc(SMB2_HEADER_SIZE);
    writeHeader(h, out, 0);
    return placeEncoded(out, buf, offset);
  },
  decode: decodeHeader,
  encodingLength() {
    return SMB2_HEADER_SIZE;
  },
};

/** Options for {@link makeHeader}: everything but Command is optional. */
export interface HeaderInit {
  command: number;
  creditCharge?: number;
  status?: number;
  credits?: number;
  flags?: number;
  nextCommand?: number;
  messageId?: bigint;
  reserved?: number;
  treeId?: number;
  asyncId?: bigint;
  sessionId?: bigint;
  signature?: Uint8Array;
}

/** A header with defaults: request, sync form, zero ids, one credit requested, no signature. */
export function makeHeader(init: HeaderInit): Smb2Header {
  const flags = init.flags ?? 0;
  const h: Smb2Header = {
    creditCharge: init.creditCharge ?? 0,
    status: init.status ?? 0,
    command: init.command,
    credits: init.credits ?? 1,
    flags,
    nextCommand: init.nextCommand ?? 0,
    messageId: init.messageId ?? 0n,
    sessionId: init.sessionId ?? 0n,
    signature: init.signature ? Uint8Array.from(init.signature) : new Uint8Array(16),
  };
  if ((flags & Smb2Flags.ASYNC_COMMAND) !== 0) h.asyncId = init.asyncId ?? 0n;
  else {
    h.reserved = init.reserved ?? 0;
    h.treeId = init.treeId ?? 0;
  }
  return h;
}

/** Most messages one compound chain may hold before the splitter gives up (LIMIT). */
export const MAX_COMPOUND_MESSAGES = 256;

/** Where one message of a compound chain lies: `[offset, end)` of the buffer. */
export interface MessageSpan {
  offset: number;
  end: number;
}

/**
 * Split a compound chain (MS-SMB2 §3.2.4.1.4) into its messages. Every NextCommand must be at
 * least a header long, a multiple of 8 and stay inside the input, so offsets only move forward;
 * the last message (NextCommand 0) runs to `end`. A single message gives one span.
 */
export function splitCompound(buf: Uint8Array, offset = 0, end = buf.length, limit = MAX_COMPOUND_MESSAGES): MessageSpan[] {
  if (offset < 0 || end > buf.length || offset > end) {
    throw new DecodeError('BAD_OFFSET', 'smb2', 'NextCommand', 0, 'window outside the buffer');
  }
  const spans: MessageSpan[] = [];
  let at = offset;
  for (;;) {
    if (spans.length >= limit) {
      throw new DecodeError('LIMIT', 'smb2', 'NextCommand', at - offset, `more than ${limit} compounded messages`);
    }
    if (end - at < SMB2_HEADER_SIZE) {
      throw new DecodeError('TRUNCATED', 'smb2', 'SMB2 Header', at - offset, `needs 64 bytes, ${end - at} present`);
    }
    if (buf[at] !== 0xfe || buf[at + 1] !== 0x53 || buf[at + 2] !== 0x4d || buf[at + 3] !== 0x42) {
      throw new DecodeError('BAD_VALUE', 'smb2', 'ProtocolId', at - offset, 'compounded message is not \\xFESMB');
    }
    const next = u32leAt(buf, at + 20);
    if (next === 0) {
      spans.push({ offset: at, end });
      return spans;
    }
    if (next < SMB2_HEADER_SIZE || next % 8 !== 0) {
      throw new DecodeError('BAD_OFFSET', 'smb2', 'NextCommand', at - offset + 20, `NextCommand ${next} is not an 8-byte aligned offset past the header`);
    }
    if (next > end - at) {
      throw new DecodeError('BAD_OFFSET', 'smb2', 'NextCommand', at - offset + 20, `NextCommand ${next} runs past the input`);
    }
    spans.push({ offset: at, end: at + next });
    at += next;
  }
}

/** What the first four bytes of an SMB message say. */
export type Smb2FrameKind = 'smb2' | 'transform' | 'compression' | 'smb1' | 'unknown';

/** Classify a message by its ProtocolId without decoding it. */
export function frameKind(buf: Uint8Array, offset = 0): Smb2FrameKind {
  if (offset < 0 || buf.length - offset < 4) return 'unknown';
  const id = ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
  switch (id) {
    case SMB2_PROTOCOL_ID:
      return 'smb2';
    case SMB2_TRANSFORM_PROTOCOL_ID:
      return 'transform';
    case SMB2_COMPRESSION_PROTOCOL_ID:
      return 'compression';
    case SMB1_PROTOCOL_ID:
      return 'smb1';
    default:
      return 'unknown';
  }
}

/** SMB2 TRANSFORM_HEADER (encrypted message, 3.x). The payload stays encrypted. */
export interface Smb2TransformHeader {
  /** Signature: the AEAD tag, 16 bytes. */
  signature: Uint8Array;
  /** Nonce: 16 bytes (11 used by CCM, 12 by GCM). */
  nonce: Uint8Array;
  /** OriginalMessageSize: size of the SMB2 message before encryption. */
  originalMessageSize: number;
  reserved: number;
  /** Flags (3.1.1, 0x0001 Encrypted) or EncryptionAlgorithm (3.0/3.0.2, 0x0001 AES-128-CCM). */
  flags: number;
  sessionId: bigint;
  /** The encrypted message that follows the 52-byte header. */
  encryptedData: Uint8Array;
}

/** Size of the SMB2 TRANSFORM_HEADER (MS-SMB2 §2.2.41). */
export const TRANSFORM_HEADER_SIZE = 52;

interface RawTransform {
  protocolId: number;
  signature: Buffer;
  nonce: Buffer;
  originalMessageSize: number;
  reserved: number;
  flags: number;
  sessionId: bigint;
}

const TRANSFORM = fixedLayout<RawTransform>(
  'smb2',
  'TRANSFORM_HEADER',
  TRANSFORM_HEADER_SIZE,
  new Parser()
    .uint32be('protocolId')
    .buffer('signature', { length: 16 })
    .buffer('nonce', { length: 16 })
    .uint32le('originalMessageSize')
    .uint16le('reserved')
    .uint16le('flags')
    .uint64le('sessionId'),
);

/** Codec of the SMB2 TRANSFORM_HEADER (encrypted messages, \xFDSMB). */
export const smb2TransformHeader: Codec<Smb2TransformHeader> = {
  encode(v, buf, offset) {
    const out = Buffer.alloc(TRANSFORM_HEADER_SIZE + v.encryptedData.length);
    out.writeUInt32BE(SMB2_TRANSFORM_PROTOCOL_ID, 0);
    if (v.signature.length !== 16 || v.nonce.length !== 16) throw new RangeError('Signature and Nonce are 16 bytes');
    out.set(v.signature, 4);
    out.set(v.nonce, 20);
    out.writeUInt32LE(v.originalMessageSize, 36);
    out.writeUInt16LE(v.reserved, 40);
    out.writeUInt16LE(v.flags, 42);
    out.writeBigUInt64LE(v.sessionId, 44);
    out.set(v.encryptedData, TRANSFORM_HEADER_SIZE);
    return placeEncoded(out, buf, offset);
  },
  decode(buf, offset = 0, end = buf.length) {
    checkWindow(buf, offset, end, 'TRANSFORM_HEADER');
    if (end - offset < TRANSFORM_HEADER_SIZE) {
      throw new DecodeError('TRUNCATED', 'smb2', 'TRANSFORM_HEADER', 0, `needs 52 bytes, ${end - offset} present`);
    }
    const r = TRANSFORM.decode(buf, offset, 0);
    if (r.protocolId !== SMB2_TRANSFORM_PROTOCOL_ID) {
      throw new DecodeError('BAD_VALUE', 'smb2', 'ProtocolId', 0, 'not \\xFDSMB');
    }
    return {
      signature: Uint8Array.from(r.signature),
      nonce: Uint8Array.from(r.nonce),
      originalMessageSize: r.originalMessageSize,
      reserved: r.reserved,
      flags: r.flags,
      sessionId: r.sessionId,
      encryptedData: new Uint8Array(buf.subarray(offset + TRANSFORM_HEADER_SIZE, end)),
    };
  },
  encodingLength(v) {
    return TRANSFORM_HEADER_SIZE + v.encryptedData.length;
  },
};

/**
 * SMB2 COMPRESSION_TRANSFORM_HEADER. The first 16 bytes have the same shape in the unchained and
 * chained forms: ProtocolId, OriginalCompressedSegmentSize, then CompressionAlgorithm, Flags and
 * Offset (unchained) or the first chained payload header's Length (chained).
 */
export interface Smb2CompressionTransformHeader {
  originalCompressedSegmentSize: number;
  compressionAlgorithm: number;
  /** Flags: 0 unchained, 1 chained (see CompressionTransformFlags). */
  flags: number;
  /** Offset (unchained) or Length of the first payload (chained). */
  offsetOrLength: number;
  /** Everything after the first 16 bytes, still compressed. */
  payload: Uint8Array;
}

/** Size of the unchained SMB2 COMPRESSION_TRANSFORM_HEADER (MS-SMB2 §2.2.42.1). */
export const COMPRESSION_TRANSFORM_HEADER_SIZE = 16;

/** Codec of the SMB2 COMPRESSION_TRANSFORM_HEADER (compressed messages, \xFCSMB). */
export const smb2CompressionTransformHeader: Codec<Smb2CompressionTransformHeader> = {
  encode(v, buf, offset) {
    const out = Buffer.alloc(COMPRESSION_TRANSFORM_HEADER_SIZE + v.payload.length);
    out.writeUInt32BE(SMB2_COMPRESSION_PROTOCOL_ID, 0);
    out.writeUInt32LE(v.originalCompressedSegmentSize, 4);
    out.writeUInt16LE(v.compressionAlgorithm, 8);
    out.writeUInt16LE(v.flags, 10);
    out.writeUInt32LE(v.offsetOrLength, 12);
    out.set(v.payload, COMPRESSION_TRANSFORM_HEADER_SIZE);
    return placeEncoded(out, buf, offset);
  },
  decode(buf, offset = 0, end = buf.length) {
    checkWindow(buf, offset, end, 'COMPRESSION_TRANSFORM_HEADER');
    if (end - offset < COMPRESSION_TRANSFORM_HEADER_SIZE) {
      throw new DecodeError('TRUNCATED', 'smb2', 'COMPRESSION_TRANSFORM_HEADER', 0, `needs 16 bytes, ${end - offset} present`);
    }
    const v = new DataView(buf.buffer, buf.byteOffset + offset, COMPRESSION_TRANSFORM_HEADER_SIZE);
    if (v.getUint32(0, false) !== SMB2_COMPRESSION_PROTOCOL_ID) {
      throw new DecodeError('BAD_VALUE', 'smb2', 'ProtocolId', 0, 'not \\xFCSMB');
    }
    return {
      originalCompressedSegmentSize: v.getUint32(4, true),
      compressionAlgorithm: v.getUint16(8, true),
      flags: v.getUint16(10, true),
      offsetOrLength: v.getUint32(12, true),
      payload: new Uint8Array(buf.subarray(offset + COMPRESSION_TRANSFORM_HEADER_SIZE, end)),
    };
  },
  encodingLength(v) {
    return COMPRESSION_TRANSFORM_HEADER_SIZE + v.payload.length;
  },
};

/** Throws BAD_OFFSET unless `[offset, end)` lies inside `buf`. */
export function checkWindow(buf: Uint8Array, offset: number, end: number, field: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(end) || offset < 0 || end > buf.length || offset > end) {
    throw new DecodeError('BAD_OFFSET', 'smb2', field, 0, 'window outside the buffer');
  }
}

/** One SMB2 message: its header and its decoded body. */
export interface Smb2Packet<B> {
  header: Smb2Header;
  body: B;
}

/** An opened message: the header, a reader positioned on the body, and the message's end. */
export interface OpenedMessage {
  header: Smb2Header;
  /** Reader over the body; its offsets count from the start of the SMB2 header. */
  body: ByteReader;
  /** Absolute end of this message in the buffer (NextCommand bounds it inside a chain). */
  end: number;
}

/** A body codec whose decode can take the message's header already decoded (see openMessage). */
export type Smb2BodyCodec<T> = Codec<T> & { decode(buf: Uint8Array, offset?: number, end?: number, decoded?: Smb2Header): T };

/**
 * Decode the header at `offset` and open the body. A non-zero NextCommand limits the message to
 * that many bytes (checked like the chain splitter does). With `expect`, the Command and the
 * response bit must match. `decoded`: the header of these same bytes, already decoded by a caller
 * that dispatched on it, used as it is.
 */
export function openMessage(
  buf: Uint8Array,
  offset = 0,
  end = buf.length,
  expect?: { command: number; response: boolean },
  decoded?: Smb2Header,
): OpenedMessage {
  const header = decoded ?? decodeHeader(buf, offset, end);
  let msgEnd = end;
  if (header.nextCommand !== 0) {
    const next = header.nextCommand;
    if (next < SMB2_HEADER_SIZE || next % 8 !== 0 || next > end - offset) {
      throw new DecodeError('BAD_OFFSET', 'smb2', 'NextCommand', 20, `NextCommand ${next} is not an 8-byte aligned offset inside the input`);
    }
    msgEnd = offset + next;
  }
  if (expect) {
    if (header.command !== expect.command) {
      throw new DecodeError('BAD_VALUE', 'smb2', 'Command', 12, `command 0x${header.command.toString(16)}, expected 0x${expect.command.toString(16)}`);
    }
    if (isResponse(header) !== expect.response) {
      throw new DecodeError('BAD_VALUE', 'smb2', 'Flags', 16, expect.response ? 'a request, expected a response' : 'a response, expected a request');
    }
  }
  return { header, body: new ByteReader(buf, 'smb2', offset + SMB2_HEADER_SIZE, msgEnd, offset), end: msgEnd };
}

/** Read and check a body's StructureSize. */
export function expectStructureSize(r: ByteReader, size: number): void {
  const at = r.offset;
  const v = r.u16le('StructureSize');
  if (v !== size) throw r.error('BAD_VALUE', 'StructureSize', `StructureSize ${v}, expected ${size}`, at);
}

/** Allocate header + body, write the header and let `writeBody` fill the body (at offset 64). */
export function encodePacket(
  header: Smb2Header,
  bodyLength: number,
  writeBody: (out: Buffer, at: number) => void,
  buf?: Uint8Array,
  offset?: number,
): Uint8Array {
  const out = Buffer.alloc(SMB2_HEADER_SIZE + bodyLength);
  writeHeader(header, out, 0);
  writeBody(out, SMB2_HEADER_SIZE);
  return placeEncoded(out, buf, offset);
}

/**
 * Read a security-buffer style (offset, length) pair that counts from the SMB2 header: a
 * non-empty buffer must start after the fixed part (`minOffset`) and end inside the message.
 * Returns a copy.
 */
export function readOffsetBuffer(
  r: ByteReader,
  offset: number,
  length: number,
  minOffset: number,
  field: string,
): Uint8Array {
  if (length === 0) return new Uint8Array(0);
  if (offset < minOffset) throw r.error('BAD_OFFSET', field, `offset ${offset} points into the fixed part`, offset);
  return copyBytes(r.bytesAt(offset, length, field));
}
