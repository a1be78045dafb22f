/**
 * JSON-safe views of decoded SMB2 values: 64-bit ids as strings, bytes as hex, FILETIMEs as ISO
 * strings (null for 0), GUIDs as strings, and every enum/flag value next to its names
 * (vocabulary of MS-SMB2 and Wireshark's smb2.* fields).
 */

import { filetimeToIso, hex } from '../reader.js';
import { ntStatusName } from '../ntstatus.js';
import {
  Cipher,
  CompressionAlgorithm,
  CompressionCapabilitiesFlags,
  ErrorId,
  HashAlgorithm,
  NegotiateContextType,
  POSIX_EXTENSIONS_GUID_HEX,
  RdmaTransformId,
  SessionFlags,
  SessionSetupRequestFlags,
  SigningAlgorithm,
  Smb2Flags,
  Smb2SecurityMode,
  TransportCapabilitiesFlags,
  capabilityNames,
  commandName,
  dialectName,
  enumName,
  flagNames,
  headerFlagNames,
  securityModeNames,
} from './constants.js';
import { guidAsciiText, guidFromString } from './guid.js';
import { isResponse, type Smb2CompressionTransformHeader, type Smb2Header, type Smb2TransformHeader } from './header.js';
import { contextDataLength, contextType, type NegotiateContext } from './negotiate-contexts.js';
import type { NegotiateRequest, NegotiateResponse } from './negotiate.js';
import type { SessionSetupRequest, SessionSetupResponse } from './session-setup.js';
import type { ErrorResponse } from './error.js';
import type { Smb2Message } from './message.js';

const u64hex = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

/** JSON-safe view of an SMB2 header: numbers plus their names, 64-bit ids as decimal strings. */
export interface Smb2HeaderJson {
  command: number;
  commandName: string;
  /** Status (NT status) — meaningful in responses. */
  status: number;
  statusName: string;
  /** ChannelSequence (requests only: the low 16 bits of the Status field). */
  channelSequence?: number;
  creditCharge: number;
  /** CreditRequest (requests) or CreditResponse (responses). */
  credits: number;
  flags: number;
  flagNames: string[];
  response: boolean;
  async: boolean;
  signed: boolean;
  nextCommand: number;
  /** MessageId in decimal. */
  messageId: string;
  reserved?: number;
  treeId?: number;
  /** AsyncId as 0x + 16 hex digits. */
  asyncId?: string;
  /** SessionId as 0x + 16 hex digits. */
  sessionId: string;
  signature: string;
}

/** The JSON-safe view of an SMB2 header. */
export function smb2HeaderToJson(h: Smb2Header): Smb2HeaderJson {
  const response = isResponse(h);
  const j: Smb2HeaderJson = {
    command: h.command,
    commandName: commandName(h.command),
    status: h.status >>> 0,
    statusName: ntStatusName(h.status),
    creditCharge: h.creditCharge,
    credits: h.credits,
    flags: h.flags >>> 0,
    flagNames: headerFlagNames(h.flags),
    response,
    async: (h.flags & Smb2Flags.ASYNC_COMMAND) !== 0,
    signed: (h.flags & Smb2Flags.SIGNED) !== 0,
    nextCommand: h.nextCommand,
    messageId: h.messageId.toString(),
    sessionId: u64hex(h.sessionId),
    signature: hex(h.signature),
  };
  if (!response) j.channelSequence = h.status & 0xffff;
  if (h.asyncId !== undefined) j.asyncId = u64hex(h.asyncId);
  if (h.reserved !== undefined) j.reserved = h.reserved;
  if (h.treeId !== undefined) j.treeId = h.treeId;
  return j;
}

/** JSON-safe view of one negotiate context, with the names of the values it lists. */
export interface NegotiateContextJson {
  kind: NegotiateContext['kind'];
  contextType: number;
  contextTypeName: string;
  dataLength: number;
  hashAlgorithms?: number[];
  hashAlgorithmNames?: string[];
  salt?: string;
  ciphers?: number[];
  cipherNames?: string[];
  compressionAlgorithms?: number[];
  compressionAlgorithmNames?: string[];
  /** Flags of the COMPRESSION or TRANSPORT context. */
  flags?: number;
  flagNames?: string[];
  netName?: string;
  transformIds?: number[];
  transformIdNames?: string[];
  signingAlgorithms?: number[];
  signingAlgorithmNames?: string[];
  /** Raw data (POSIX and unknown contexts). */
  data?: string;
  /** POSIX context: the data is Samba's POSIX extensions GUID. */
  posixGuidMatches?: boolean;
}

const names = (table: Readonly<Record<string, number>>, list: number[]): string[] => list.map((v) => enumName(table, v));

/** The JSON-safe view of a negotiate context. */
export function negotiateContextToJson(c: NegotiateContext): NegotiateContextJson {
  const type = contextType(c);
  const j: NegotiateContextJson = {
    kind: c.kind,
    contextType: type,
    contextTypeName: enumName(NegotiateContextType, type),
    dataLength: contextDataLength(c),
  };
  switch (c.kind) {
    case 'preauth-integrity':
      j.hashAlgorithms = [...c.hashAlgorithms];
      j.hashAlgorithmNames = names(HashAlgorithm, c.hashAlgorithms);
      j.salt = hex(c.salt);
      break;
    case 'encryption':
      j.ciphers = [...c.ciphers];
      j.cipherNames = names(Cipher, c.ciphers);
      break;
    case 'compression':
      j.compressionAlgorithms = [...c.compressionAlgorithms];
      j.compressionAlgorithmNames = names(CompressionAlgorithm, c.compressionAlgorithms);
      j.flags = c.flags;
      j.flagNames = flagNames(CompressionCapabilitiesFlags, c.flags);
      break;
    case 'netname':
      j.netName = c.netName;
      break;
    case 'transport':
      j.flags = c.flags;
      j.flagNames = flagNames(TransportCapabilitiesFlags, c.flags);
      break;
    case 'rdma-transform':
      j.transformIds = [...c.transformIds];
      j.transformIdNames = names(RdmaTransformId, c.transformIds);
      break;
    case 'signing':
      j.signingAlgorithms = [...c.signingAlgorithms];
      j.signingAlgorithmNames = names(SigningAlgorithm, c.signingAlgorithms);
      break;
    case 'posix':
      j.data = hex(c.data);
      j.posixGuidMatches = j.data === POSIX_EXTENSIONS_GUID_HEX;
      break;
    case 'unknown':
      j.data = hex(c.data);
      break;
  }
  return j;
}

interface SecurityModeJson {
  securityMode: number;
  securityModeNames: string[];
  signingEnabled: boolean;
  signingRequired: boolean;
}

function securityModeJson(m: number): SecurityModeJson {
  return {
    securityMode: m,
    securityModeNames: securityModeNames(m),
    signingEnabled: (m & Smb2SecurityMode.SIGNING_ENABLED) !== 0,
    signingRequired: (m & Smb2SecurityMode.SIGNING_REQUIRED) !== 0,
  };
}

/** JSON-safe view of an SMB2 NEGOTIATE request body. */
export interface NegotiateRequestJson extends SecurityModeJson {
  dialects: number[];
  dialectNames: string[];
  capabilities: number;
  capabilityNames: string[];
  clientGuid: string;
  /** ClientStartTime as ISO (null when 0); absent when 0x0311 is offered. */
  clientStartTime?: string | null;
  negotiateContexts: NegotiateContextJson[];
}

/** The JSON-safe view of an SMB2 NEGOTIATE request body. */
export function negotiateRequestToJson(b: NegotiateRequest): NegotiateRequestJson {
  const j: NegotiateRequestJson = {
    ...securityModeJson(b.securityMode),
    dialects: [...b.dialects],
    dialectNames: b.dialects.map(dialectName),
    capabilities: b.capabilities >>> 0,
    capabilityNames: capabilityNames(b.capabilities),
    clientGuid: b.clientGuid,
    negotiateContexts: b.negotiateContexts.map(negotiateContextToJson),
  };
  if (b.clientStartTime !== undefined) j.clientStartTime = filetimeToIso(b.clientStartTime);
  return j;
}

/** JSON-safe view of an SMB2 NEGOTIATE response body. */
export interface NegotiateResponseJson extends SecurityModeJson {
  dialect: number;
  dialectName: string;
  /** ServerGuid in Microsoft's mixed-endian GUID form (Wireshark's smb2.server_guid). */
  serverGuid: string;
  /** The 16 ServerGuid bytes in wire order. */
  serverGuidHex: string;
  /** ServerGuid bytes as text when they are printable ASCII + NULs (Samba: the NetBIOS name). */
  serverGuidText: string | null;
  capabilities: number;
  capabilityNames: string[];
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  /** SystemTime, ISO with 100 ns precision; null when 0. */
  systemTime: string | null;
  /** ServerStartTime, ISO; null when 0 (Samba). */
  serverStartTime: string | null;
  securityBufferLength: number;
  securityBuffer: string;
  negotiateContexts: NegotiateContextJson[];
}

/** The JSON-safe view of an SMB2 NEGOTIATE response body. */
export function negotiateResponseToJson(b: NegotiateResponse): NegotiateResponseJson {
  const guid = guidFromString(b.serverGuid);
  return {
    ...securityModeJson(b.securityMode),
    dialect: b.dialectRevision,
    dialectName: dialectName(b.dialectRevision),
    serverGuid: b.serverGuid,
    serverGuidHex: hex(guid),
    serverGuidText: guidAsciiText(guid),
    capabilities: b.capabilities >>> 0,
    capabilityNames: capabilityNames(b.capabilities),
    maxTransactSize: b.maxTransactSize,
    maxReadSize: b.maxReadSize,
    maxWriteSize: b.maxWriteSize,
    systemTime: filetimeToIso(b.systemTime),
    serverStartTime: filetimeToIso(b.serverStartTime),
    securityBufferLength: b.securityBuffer.length,
    securityBuffer: hex(b.securityBuffer),
    negotiateContexts: b.negotiateContexts.map(negotiateContextToJson),
  };
}

/** JSON-safe view of an SMB2 SESSION_SETUP request body. */
export interface SessionSetupRequestJson extends SecurityModeJson {
  flags: number;
  flagNames: string[];
  capabilities: number;
  capabilityNames: string[];
  channel: number;
  previousSessionId: string;
  securityBufferLength: number;
  securityBuffer: string;
}

/** The JSON-safe view of an SMB2 SESSION_SETUP request body. */
export function sessionSetupRequestToJson(b: SessionSetupRequest): SessionSetupRequestJson {
  return {
    ...securityModeJson(b.securityMode),
    flags: b.flags,
    flagNames: flagNames(SessionSetupRequestFlags, b.flags),
    capabilities: b.capabilities >>> 0,
    capabilityNames: capabilityNames(b.capabilities),
    channel: b.channel,
    previousSessionId: u64hex(b.previousSessionId),
    securityBufferLength: b.securityBuffer.length,
    securityBuffer: hex(b.securityBuffer),
  };
}

/** JSON-safe view of an SMB2 SESSION_SETUP response body. */
export interface SessionSetupResponseJson {
  sessionFlags: number;
  sessionFlagNames: string[];
  isGuest: boolean;
  isNull: boolean;
  encryptData: boolean;
  securityBufferLength: number;
  securityBuffer: string;
}

/** The JSON-safe view of an SMB2 SESSION_SETUP response body. */
export function sessionSetupResponseToJson(b: SessionSetupResponse): SessionSetupResponseJson {
  return {
    sessionFlags: b.sessionFlags,
    sessionFlagNames: flagNames(SessionFlags, b.sessionFlags),
    isGuest: (b.sessionFlags & SessionFlags.IS_GUEST) !== 0,
    isNull: (b.sessionFlags & SessionFlags.IS_NULL) !== 0,
    encryptData: (b.sessionFlags & SessionFlags.ENCRYPT_DATA) !== 0,
    securityBufferLength: b.securityBuffer.length,
    securityBuffer: hex(b.securityBuffer),
  };
}

/** JSON-safe view of an SMB2 ERROR response body. */
export interface ErrorResponseJson {
  errorData: string;
  errorContexts: { errorId: number; errorIdName: string; errorData: string }[];
}

/** The JSON-safe view of an SMB2 ERROR response body. */
export function errorResponseToJson(b: ErrorResponse): ErrorResponseJson {
  return {
    errorData: hex(b.errorData),
    errorContexts: b.errorContexts.map((c) => ({ errorId: c.errorId, errorIdName: enumName(ErrorId, c.errorId), errorData: hex(c.errorData) })),
  };
}

/** JSON-safe view of a TRANSFORM_HEADER. */
export interface TransformHeaderJson {
  signature: string;
  nonce: string;
  originalMessageSize: number;
  flags: number;
  sessionId: string;
  encryptedLength: number;
}

/** The JSON-safe view of a TRANSFORM_HEADER. */
export function transformHeaderToJson(t: Smb2TransformHeader): TransformHeaderJson {
  return {
    signature: hex(t.signature),
    nonce: hex(t.nonce),
    originalMessageSize: t.originalMessageSize,
    flags: t.flags,
    sessionId: u64hex(t.sessionId),
    encryptedLength: t.encryptedData.length,
  };
}

/** JSON-safe view of a COMPRESSION_TRANSFORM_HEADER. */
export interface CompressionTransformHeaderJson {
  originalCompressedSegmentSize: number;
  compressionAlgorithm: number;
  compressionAlgorithmName: string;
  flags: number;
  chained: boolean;
  offsetOrLength: number;
  payloadLength: number;
}

/** The JSON-safe view of a COMPRESSION_TRANSFORM_HEADER. */
export function compressionTransformHeaderToJson(c: Smb2CompressionTransformHeader): CompressionTransformHeaderJson {
  return {
    originalCompressedSegmentSize: c.originalCompressedSegmentSize,
    compressionAlgorithm: c.compressionAlgorithm,
    compressionAlgorithmName: enumName(CompressionAlgorithm, c.compressionAlgorithm),
    flags: c.flags,
    chained: (c.flags & 1) !== 0,
    offsetOrLength: c.offsetOrLength,
    payloadLength: c.payload.length,
  };
}

/** JSON-safe view of a decoded {@link Smb2Message}, tagged by the same `kind`. */
export type Smb2MessageJson =
  | { kind: 'negotiate-request'; header: Smb2HeaderJson; body: NegotiateRequestJson }
  | { kind: 'negotiate-response'; header: Smb2HeaderJson; body: NegotiateResponseJson }
  | { kind: 'session-setup-request'; header: Smb2HeaderJson; body: SessionSetupRequestJson }
  | { kind: 'session-setup-response'; header: Smb2HeaderJson; body: SessionSetupResponseJson }
  | { kind: 'error-response'; header: Smb2HeaderJson; body: ErrorResponseJson }
  | { kind: 'other'; header: Smb2HeaderJson; body: { length: number } }
  | { kind: 'encrypted'; transform: TransformHeaderJson }
  | { kind: 'compressed'; compression: CompressionTransformHeaderJson };

/** Any decoded message as plain JSON (JSON.stringify-safe). */
export function smb2MessageToJson(m: Smb2Message): Smb2MessageJson {
  switch (m.kind) {
    case 'negotiate-request':
      return { kind: m.kind, header: smb2HeaderToJson(m.header), body: negotiateRequestToJson(m.body) };
    case 'negotiate-response':
      return { kind: m.kind, header: smb2HeaderToJson(m.header), body: negotiateResponseToJson(m.body) };
    case 'session-setup-request':
      return { kind: m.kind, header: smb2HeaderToJson(m.header), body: sessionSetupRequestToJson(m.body) };
    case 'session-setup-response':
      return { kind: m.kind, header: smb2HeaderToJson(m.header), body: sessionSetupResponseToJson(m.body) };
    case 'error-response':
      return { kind: m.kind, header: smb2HeaderToJson(m.header), body: errorResponseToJson(m.body) };
    case 'other':
      return { kind: m.kind, header: smb2HeaderToJson(m.header), body: { length: m.body.length } };
    case 'encrypted':
      return { kind: m.kind, transform: transformHeaderToJson(m.transform) };
    case 'compressed':
      return { kind: m.kind, compression: compressionTransformHeaderToJson(m.compression) };
  }
}
