/**
 * SMB2 NEGOTIATE request (MS-SMB2 §2.2.3) and response (§2.2.4), whole messages (header + body)
 * because every offset in them counts from the start of the SMB2 header.
 */

import { Smb2Command, Smb2Dialect, SMB2_HEADER_SIZE, Cipher, CompressionAlgorithm, CompressionCapabilitiesFlags,
  HashAlgorithm, POSIX_EXTENSIONS_GUID_HEX, RdmaTransformId, SigningAlgorithm } from './constants.js';
import { guidBytes, guidToString } from './guid.js';
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
import {
  decodeNegotiateContexts,
  negotiateContextsLength,
  writeNegotiateContexts,
  type NegotiateContext,
} from './negotiate-contexts.js';

/** SMB2 NEGOTIATE request body (MS-SMB2 §2.2.3). */
export interface NegotiateRequest {
  /** SecurityMode (see Smb2SecurityMode). */
  securityMode: number;
  /** Capabilities (see Smb2Capabilities). */
  capabilities: number;
  /** ClientGuid as a GUID string. */
  clientGuid: string;
  /** Dialects, in the order offered. */
  dialects: number[];
  /** ClientStartTime (FILETIME): present only when 0x0311 is not offered (the same 8 bytes hold the context offset/count otherwise). */
  clientStartTime?: bigint;
  /** Negotiate contexts: only when 0x0311 is offered, else empty. */
  negotiateContexts: NegotiateContext[];
}

/** SMB2 NEGOTIATE response body (MS-SMB2 §2.2.4). */
export interface NegotiateResponse {
  /** SecurityMode: 0x01 signing enabled, 0x02 signing required (whatever the dialect). */
  securityMode: number;
  /** DialectRevision; 0x02FF answers a multi-protocol SMB1 negotiate ("SMB2 preferred"). */
  dialectRevision: number;
  /** ServerGuid as a GUID string (Samba puts the NetBIOS name there: see guidAsciiText). */
  serverGuid: string;
  /** Capabilities (see Smb2Capabilities). */
  capabilities: number;
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  /** SystemTime (FILETIME). */
  systemTime: bigint;
  /** ServerStartTime (FILETIME; 0 from Samba and most modern servers). */
  serverStartTime: bigint;
  /** The security buffer (SPNEGO NegTokenInit), raw. */
  securityBuffer: Uint8Array;
  /** Negotiate contexts: decoded only when DialectRevision is 0x0311, else empty. */
  negotiateContexts: NegotiateContext[];
  /**
   * Before 3.1.1 the NegotiateContextCount and NegotiateContextOffset fields are Reserved and
   * Reserved2; some servers leave bytes there (Windows has sent " LM "). Decode sets them, as
   * numbers, only for other dialects; encode writes them there when given.
   */
  reserved?: number;
  reserved2?: number;
}

/** An SMB2 NEGOTIATE request: header and body. */
export type NegotiateRequestMessage = Smb2Packet<NegotiateRequest>;
/** An SMB2 NEGOTIATE response: header and body. */
export type NegotiateResponseMessage = Smb2Packet<NegotiateResponse>;

const REQUEST_FIXED = 36; // body bytes before Dialects
const RESPONSE_FIXED = 64; // body bytes before Buffer (StructureSize 65 counts one buffer byte)

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

function offers311(dialects: readonly number[]): boolean {
  return dialects.includes(Smb2Dialect.SMB3_1_1);
}

/** Body layout of a request: where the contexts go and how long the body is. */
function requestLayout(b: NegotiateRequest): { contextsAt: number; bodyLength: number } {
  const dialectsEnd = SMB2_HEADER_SIZE + REQUEST_FIXED + 2 * b.dialects.length;
  if (!offers311(b.dialects) || b.negotiateContexts.length === 0) {
    return { contextsAt: 0, bodyLength: dialectsEnd - SMB2_HEADER_SIZE };
  }
  const contextsAt = dialectsEnd + pad8(dialectsEnd);
  return { contextsAt, bodyLength: contextsAt + negotiateContextsLength(b.negotiateContexts) - SMB2_HEADER_SIZE };
}

function checkRequest(b: NegotiateRequest): void {
  if (!offers311(b.dialects) && b.negotiateContexts.length > 0) {
    throw new TypeError('negotiate contexts need dialect 0x0311 in Dialects');
  }
  if (b.dialects.length > 0xffff) throw new RangeError('too many dialects');
}

/** Codec of SMB2 NEGOTIATE requests (header + body). */
export const negotiateRequest: Smb2BodyCodec<NegotiateRequestMessage> = {
  encode(m, buf, offset) {
    const b = m.body;
    checkRequest(b);
    const { contextsAt, bodyLength } = requestLayout(b);
    return encodePacket(m.header, bodyLength, (out, at) => {
      out.writeUInt16LE(REQUEST_FIXED, at);
      out.writeUInt16LE(b.dialects.length, at + 2);
      out.writeUInt16LE(b.securityMode, at + 4);
      out.writeUInt32LE(b.capabilities >>> 0, at + 8);
      out.set(guidBytes(b.clientGuid), at + 12);
      if (offers311(b.dialects)) {
        out.writeUInt32LE(contextsAt, at + 28);
        out.writeUInt16LE(b.negotiateContexts.length, at + 32);
      } else {
        out.writeBigUInt64LE(b.clientStartTime ?? 0n, at + 28);
      }
      b.dialects.forEach((d, i) => out.writeUInt16LE(d, at + REQUEST_FIXED + 2 * i));
      if (contextsAt !== 0) writeNegotiateContexts(b.negotiateContexts, out, contextsAt);
    }, buf, offset);
  },

  decode(buf, offset = 0, end = buf.length, decoded?: Smb2Header) {
    const { header, body: r, end: msgEnd } = openMessage(buf, offset, end, { command: Smb2Command.NEGOTIATE, response: false }, decoded);
    expectStructureSize(r, REQUEST_FIXED);
    const dialectCount = r.u16le('DialectCount');
    const securityMode = r.u16le('SecurityMode');
    r.skip(2, 'Reserved');
    const capabilities = r.u32le('Capabilities');
    const clientGuid = guidToString(r.bytes(16, 'ClientGuid'));
    const startTimeOrContexts = r.sub(8, 'ClientStartTime');
    if (dialectCount * 2 > r.remaining) {
      throw r.error('BAD_LENGTH', 'DialectCount', `${dialectCount} dialects do not fit in ${r.remaining} bytes`, 2 + SMB2_HEADER_SIZE);
    }
    const dialects: number[] = [];
    for (let i = 0; i < dialectCount; i++) dialects.push(r.u16le('Dialects'));
    const body: NegotiateRequest = { securityMode, capabilities, clientGuid, dialects, negotiateContexts: [] };
    if (offers311(dialects)) {
      const ctxOffset = startTimeOrContexts.u32le('NegotiateContextOffset');
      const ctxCount = startTimeOrContexts.u16le('NegotiateContextCount');
      body.negotiateContexts = decodeNegotiateContexts(buf, offset, ctxOffset, ctxCount, msgEnd, r.offset);
    } else {
      body.clientStartTime = startTimeOrContexts.u64le('ClientStartTime');
    }
    return { header, body };
  },

  encodingLength(m) {
    checkRequest(m.body);
    return SMB2_HEADER_SIZE + requestLayout(m.body).bodyLength;
  },
};

function responseLayout(b: NegotiateResponse): { contextsAt: number; bodyLength: number } {
  const bufferEnd = SMB2_HEADER_SIZE + RESPONSE_FIXED + b.securityBuffer.length;
  if (b.dialectRevision !== Smb2Dialect.SMB3_1_1 || b.negotiateContexts.length === 0) {
    return { contextsAt: 0, bodyLength: bufferEnd - SMB2_HEADER_SIZE };
  }
  const contextsAt = bufferEnd + pad8(bufferEnd);
  return { contextsAt, bodyLength: contextsAt + negotiateContextsLength(b.negotiateContexts) - SMB2_HEADER_SIZE };
}

function checkResponse(b: NegotiateResponse): void {
  if (b.dialectRevision !== Smb2Dialect.SMB3_1_1 && b.negotiateContexts.length > 0) {
    throw new TypeError('negotiate contexts need DialectRevision 0x0311');
  }
  if (b.securityBuffer.length > 0xffff) throw new RangeError('security buffer too long for SecurityBufferLength');
}

/** Codec of SMB2 NEGOTIATE responses (header + body). */
export const negotiateResponse: Smb2BodyCodec<NegotiateResponseMessage> = {
  encode(m, buf, offset) {
    const b = m.body;
    checkResponse(b);
    const { contextsAt, bodyLength } = responseLayout(b);
    return encodePacket(m.header, bodyLength, (out, at) => {
      out.writeUInt16LE(RESPONSE_FIXED + 1, at);
      out.writeUInt16LE(b.securityMode, at + 2);
      out.writeUInt16LE(b.dialectRevision, at + 4);
      const legacy = b.dialectRevision !== Smb2Dialect.SMB3_1_1;
      out.writeUInt16LE(contextsAt !== 0 ? b.negotiateContexts.length : legacy ? (b.reserved ?? 0) : 0, at + 6);
      out.set(guidBytes(b.serverGuid), at + 8);
      out.writeUInt32LE(b.capabilities >>> 0, at + 24);
      out.writeUInt32LE(b.maxTransactSize >>> 0, at + 28);
      out.writeUInt32LE(b.maxReadSize >>> 0, at + 32);
      out.writeUInt32LE(b.maxWriteSize >>> 0, at + 36);
      out.writeBigUInt64LE(b.systemTime, at + 40);
      out.writeBigUInt64LE(b.serverStartTime, at + 48);
      out.writeUInt16LE(SMB2_HEADER_SIZE + RESPONSE_FIXED, at + 56);
      out.writeUInt16LE(b.securityBuffer.length, at + 58);
      out.writeUInt32LE(contextsAt !== 0 ? contextsAt : legacy ? (b.reserved2 ?? 0) >>> 0 : 0, at + 60);
      out.set(b.securityBuffer, at + RESPONSE_FIXED);
      if (contextsAt !== 0) writeNegotiateContexts(b.negotiateContexts, out, contextsAt);
    }, buf, offset);
  },

  decode(buf, offset = 0, end = buf.length, decoded?: Smb2Header) {
    const { header, body: r, end: msgEnd } = openMessage(buf, offset, end, { command: Smb2Command.NEGOTIATE, response: true }, decoded);
    expectStructureSize(r, RESPONSE_FIXED + 1);
    const securityMode = r.u16le('SecurityMode');
    const dialectRevision = r.u16le('DialectRevision');
    const ctxCount = r.u16le('NegotiateContextCount');
    const serverGuid = guidToString(r.bytes(16, 'ServerGuid'));
    const capabilities = r.u32le('Capabilities');
    const maxTransactSize = r.u32le('MaxTransactSize');
    const maxReadSize = r.u32le('MaxReadSize');
    const maxWriteSize = r.u32le('MaxWriteSize');
    const systemTime = r.u64le('SystemTime');
    const serverStartTime = r.u64le('ServerStartTime');
    const secOffset = r.u16le('SecurityBufferOffset');
    const secLength = r.u16le('SecurityBufferLength');
    const ctxOffset = r.u32le('NegotiateContextOffset');
    const fixedEnd = r.offset;
    const securityBuffer = readOffsetBuffer(r, secOffset, secLength, fixedEnd, 'SecurityBufferOffset');
    const negotiateContexts =
      dialectRevision === Smb2Dialect.SMB3_1_1
        ? decodeNegotiateContexts(buf, offset, ctxOffset, ctxCount, msgEnd, fixedEnd)
        : [];
    const body: NegotiateResponse = {
        securityMode,
        dialectRevision,
        serverGuid,
        capabilities,
        maxTransactSize,
        maxReadSize,
        maxWriteSize,
        systemTime,
        serverStartTime,
        securityBuffer,
        negotiateContexts,
    };
    if (dialectRevision !== Smb2Dialect.SMB3_1_1) {
      body.reserved = ctxCount;
      body.reserved2 = ctxOffset;
    }
    return { header, body };
  },

  encodingLength(m) {
    checkResponse(m.body);
    return SMB2_HEADER_SIZE + responseLayout(m.body).bodyLength;
  },
};

/** What {@link defaultNegotiateContexts} needs from the caller. */
export interface DefaultContextOptions {
  /** PREAUTH_INTEGRITY salt: 32 random bytes, fresh per run (never a fixed value). */
  salt: Uint8Array;
  /** NETNAME context value (the name or address being probed); no NETNAME context when absent. */
  netName?: string | undefined;
}

/**
 * Every context a probe offers with 0x0311, so the server's answers can be recorded: PREAUTH
 * (SHA-512), ENCRYPTION (all four ciphers, GCM first as Windows orders them), COMPRESSION (every
 * algorithm, chained), NETNAME (when given), TRANSPORT (no flags: plain TCP), RDMA_TRANSFORM
 * (encryption, signing), SIGNING (GMAC, CMAC, HMAC) and Samba's POSIX extensions.
 */
export function defaultNegotiateContexts(o: DefaultContextOptions): NegotiateContext[] {
  const list: NegotiateContext[] = [
    { kind: 'preauth-integrity', hashAlgorithms: [HashAlgorithm.SHA_512], salt: Uint8Array.from(o.salt) },
    { kind: 'encryption', ciphers: [Cipher.AES_128_GCM, Cipher.AES_128_CCM, Cipher.AES_256_GCM, Cipher.AES_256_CCM] },
    {
      kind: 'compression',
      flags: CompressionCapabilitiesFlags.CHAINED,
      compressionAlgorithms: [
        CompressionAlgorithm.LZNT1,
        CompressionAlgorithm.LZ77,
        CompressionAlgorithm.LZ77_HUFFMAN,
        CompressionAlgorithm.PATTERN_V1,
        CompressionAlgorithm.LZ4,
      ],
    },
  ];
  if (o.netName !== undefined && o.netName !== '') list.push({ kind: 'netname', netName: o.netName });
  list.push(
    { kind: 'transport', flags: 0 },
    { kind: 'rdma-transform', transformIds: [RdmaTransformId.ENCRYPTION, RdmaTransformId.SIGNING] },
    { kind: 'signing', signingAlgorithms: [SigningAlgorithm.AES_GMAC, SigningAlgorithm.AES_CMAC, SigningAlgorithm.HMAC_SHA256] },
    { kind: 'posix', data: Uint8Array.from(Buffer.from(POSIX_EXTENSIONS_GUID_HEX, 'hex')) },
  );
  return list;
}

/** Options of {@link buildNegotiateRequest}. */
export interface NegotiateRequestOptions {
  dialects: readonly number[];
  securityMode: number;
  capabilities: number;
  /** ClientGuid: random per run, as 16 bytes or a GUID string. */
  clientGuid: string | Uint8Array;
  /** Contexts sent when 0x0311 is offered; default {@link defaultNegotiateContexts} (needs `salt`). */
  contexts?: NegotiateContext[];
  /** PREAUTH salt for the default contexts (32 random bytes from the caller). */
  salt?: Uint8Array;
  /** NETNAME for the default contexts. */
  netName?: string;
  /** ClientStartTime when 0x0311 is not offered (default 0). */
  clientStartTime?: bigint;
  /** Header fields (MessageId, CreditRequest …); Command is always NEGOTIATE. */
  header?: Omit<HeaderInit, 'command'>;
}

/** The NEGOTIATE request message a probe sends (header + body), as a value. */
export function makeNegotiateRequest(o: NegotiateRequestOptions): NegotiateRequestMessage {
  const dialects = [...o.dialects];
  let negotiateContexts: NegotiateContext[] = [];
  if (offers311(dialects)) {
    if (o.contexts) negotiateContexts = o.contexts;
    else {
      if (!o.salt) throw new TypeError('offering 0x0311 with the default contexts needs a salt');
      negotiateContexts = defaultNegotiateContexts({ salt: o.salt, netName: o.netName });
    }
  } else if (o.contexts && o.contexts.length > 0) {
    throw new TypeError('negotiate contexts need dialect 0x0311');
  }
  const clientGuid = guidToString(guidBytes(o.clientGuid));
  const body: NegotiateRequest = { securityMode: o.securityMode, capabilities: o.capabilities, clientGuid, dialects, negotiateContexts };
  if (!offers311(dialects)) body.clientStartTime = o.clientStartTime ?? 0n;
  return { header: makeHeader({ ...o.header, command: Smb2Command.NEGOTIATE }), body };
}

/** The NEGOTIATE request bytes (SMB2 message only; the caller adds the 4-byte NBSS/direct-TCP header). */
export function buildNegotiateRequest(o: NegotiateRequestOptions): Uint8Array {
  return negotiateRequest.encode(makeNegotiateRequest(o));
}
