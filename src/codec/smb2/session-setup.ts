/**
 * SMB2 SESSION_SETUP request (MS-SMB2 §2.2.5) and response (§2.2.6), whole messages. The security
 * buffers stay raw: SPNEGO/NTLMSSP are decoded elsewhere.
 */

import { Smb2Command, SMB2_HEADER_SIZE, Smb2SecurityMode } from './constants.js';
import {
  encodePacket,
  expectStructureSize,
  makeHeader,
  openMessage,
  readOffsetBuffer,
  type HeaderInit,
  type Smb2BodyCodec,
  type Smb2Header,
  type Smb2Packet,
} from './header.js';

/** SMB2 SESSION_SETUP request body (MS-SMB2 §2.2.5). */
export interface SessionSetupRequest {
  /** Flags: 0x01 BINDING (see SessionSetupRequestFlags). */
  flags: number;
  /** SecurityMode (8-bit here): 0x01 signing enabled, 0x02 required. */
  securityMode: number;
  /** Capabilities (only DFS is meaningful). */
  capabilities: number;
  /** Channel (must be 0). */
  channel: number;
  /** PreviousSessionId (64-bit). */
  previousSessionId: bigint;
  /** Security buffer (SPNEGO or raw NTLMSSP), raw. */
  securityBuffer: Uint8Array;
}

/** SMB2 SESSION_SETUP response body (MS-SMB2 §2.2.6). */
export interface SessionSetupResponse {
  /** SessionFlags: IS_GUEST 0x1, IS_NULL 0x2, ENCRYPT_DATA 0x4 (see SessionFlags). */
  sessionFlags: number;
  /** Security buffer (SPNEGO NegTokenResp), raw. */
  securityBuffer: Uint8Array;
}

/** An SMB2 SESSION_SETUP request: header and body. */
export type SessionSetupRequestMessage = Smb2Packet<SessionSetupRequest>;
/** An SMB2 SESSION_SETUP response: header and body. */
export type SessionSetupResponseMessage = Smb2Packet<SessionSetupResponse>;

const REQUEST_FIXED = 24;
const RESPONSE_FIXED = 8;

function checkBuffer(b: Uint8Array): void {
  if (b.length > 0xffff) throw new RangeError('security buffer too long for SecurityBufferLength');
}

/** Codec of SMB2 SESSION_SETUP requests (header + body). */
export const sessionSetupRequest: Smb2BodyCodec<SessionSetupRequestMessage> = {
  encode(m, buf, offset) {
    const b = m.body;
    checkBuffer(b.securityBuffer);
    return encodePacket(m.header, REQUEST_FIXED + b.securityBuffer.length, (out, at) => {
      out.writeUInt16LE(REQUEST_FIXED + 1, at);
      out.writeUInt8(b.flags, at + 2);
      out.writeUInt8(b.securityMode, at + 3);
      out.writeUInt32LE(b.capabilities >>> 0, at + 4);
      out.writeUInt32LE(b.channel >>> 0, at + 8);
      out.writeUInt16LE(SMB2_HEADER_SIZE + REQUEST_FIXED, at + 12);
      out.writeUInt16LE(b.securityBuffer.length, at + 14);
      out.writeBigUInt64LE(b.previousSessionId, at + 16);
      out.set(b.securityBuffer, at + REQUEST_FIXED);
    }, buf, offset);
  },

  decode(buf, offset = 0, end = buf.length, decoded?: Smb2Header) {
    const { header, body: r } = openMessage(buf, offset, end, { command: Smb2Command.SESSION_SETUP, response: false }, decoded);
    expectStructureSize(r, REQUEST_FIXED + 1);
    const flags = r.u8('Flags');
    const securityMode = r.u8('SecurityMode');
    const capabilities = r.u32le('Capabilities');
    const channel = r.u32le('Channel');
    const secOffset = r.u16le('SecurityBufferOffset');
    const secLength = r.u16le('SecurityBufferLength');
    const previousSessionId = r.u64le('PreviousSessionId');
    const securityBuffer = readOffsetBuffer(r, secOffset, secLength, r.offset, 'SecurityBufferOffset');
    return { header, body: { flags, securityMode, capabilities, channel, previousSessionId, securityBuffer } };
  },

  encodingLength(m) {
    return SMB2_HEADER_SIZE + REQUEST_FIXED + m.body.securityBuffer.length;
  },
};

/** Codec of SMB2 SESSION_SETUP responses (header + body). */
export const sessionSetupResponse: Smb2BodyCodec<SessionSetupResponseMessage> = {
  encode(m, buf, offset) {
    const b = m.body;
    checkBuffer(b.securityBuffer);
    return encodePacket(m.header, RESPONSE_FIXED + b.securityBuffer.length, (out, at) => {
      out.writeUInt16LE(RESPONSE_FIXED + 1, at);
      out.writeUInt16LE(b.sessionFlags, at + 2);
      // an empty buffer is still given the offset just past the fixed part, as Windows does
      out.writeUInt16LE(SMB2_HEADER_SIZE + RESPONSE_FIXED, at + 4);
      out.writeUInt16LE(b.securityBuffer.length, at + 6);
      out.set(b.securityBuffer, at + RESPONSE_FIXED);
    }, buf, offset);
  },

  decode(buf, offset = 0, end = buf.length, decoded?: Smb2Header) {
    const { header, body: r } = openMessage(buf, offset, end, { command: Smb2Command.SESSION_SETUP, response: true }, decoded);
    expectStructureSize(r, RESPONSE_FIXED + 1);
    const sessionFlags = r.u16le('SessionFlags');
    const secOffset = r.u16le('SecurityBufferOffset');
    const secLength = r.u16le('SecurityBufferLength');
    const securityBuffer = readOffsetBuffer(r, secOffset, secLength, r.offset, 'SecurityBufferOffset');
    return { header, body: { sessionFlags, securityBuffer } };
  },

  encodingLength(m) {
    return SMB2_HEADER_SIZE + RESPONSE_FIXED + m.body.securityBuffer.length;
  },
};

/** Options of {@link buildSessionSetupRequest}. */
export interface SessionSetupRequestOptions {
  /** The security token (SPNEGO NegTokenInit wrapping NTLMSSP NEGOTIATE, or later tokens). */
  securityBuffer: Uint8Array;
  /** SecurityMode (8-bit); default SIGNING_ENABLED. */
  securityMode?: number;
  /** Capabilities; default 0. */
  capabilities?: number;
  /** Flags; default 0 (no binding). */
  flags?: number;
  previousSessionId?: bigint;
  /** Header fields: MessageId (1 after a negotiate), SessionId (from the first response) … */
  header?: Omit<HeaderInit, 'command'>;
}

/** The SESSION_SETUP request message a probe sends (header + body), as a value. */
export function makeSessionSetupRequest(o: SessionSetupRequestOptions): SessionSetupRequestMessage {
  return {
    header: makeHeader({ ...o.header, command: Smb2Command.SESSION_SETUP }),
    body: {
      flags: o.flags ?? 0,
      securityMode: o.securityMode ?? Smb2SecurityMode.SIGNING_ENABLED,
      capabilities: o.capabilities ?? 0,
      channel: 0,
      previousSessionId: o.previousSessionId ?? 0n,
      securityBuffer: Uint8Array.from(o.securityBuffer),
    },
  };
}

/** SESSION_SETUP request bytes (SMB2 message only, without the 4-byte transport header). */
export function buildSessionSetupRequest(o: SessionSetupRequestOptions): Uint8Array {
  return sessionSetupRequest.encode(makeSessionSetupRequest(o));
}
