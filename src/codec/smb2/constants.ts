/**
 * SMB2/3 numbers (MS-SMB2 §2.2) as `as const` tables, and the helpers that name them. Unknown
 * values never disappear: enum names fall back to hex, flag lists keep the unnamed bits as hex.
 */
import { bitNames, hexOf, nameOrHex, type NameTable } from '../names.js';

/** ProtocolId of an SMB2 header, `\xFESMB`, read big-endian. */
export const SMB2_PROTOCOL_ID = 0xfe534d42;
/** ProtocolId of an SMB2 TRANSFORM_HEADER (encrypted message), `\xFDSMB`. */
export const SMB2_TRANSFORM_PROTOCOL_ID = 0xfd534d42;
/** ProtocolId of an SMB2 COMPRESSION_TRANSFORM_HEADER, `\xFCSMB`. */
export const SMB2_COMPRESSION_PROTOCOL_ID = 0xfc534d42;
/** ProtocolId of an SMB1 header, `\xFFSMB` (not decoded here). */
export { SMB1_PROTOCOL_ID } from '../smb1/constants.js';

/** Size of the SMB2 packet header (MS-SMB2 §2.2.1). */
export const SMB2_HEADER_SIZE = 64;

/** MS-SMB2 §2.2.1 Command. */
export const Smb2Command = {
  NEGOTIATE: 0x0000,
  SESSION_SETUP: 0x0001,
  LOGOFF: 0x0002,
  TREE_CONNECT: 0x0003,
  TREE_DISCONNECT: 0x0004,
  CREATE: 0x0005,
  CLOSE: 0x0006,
  FLUSH: 0x0007,
  READ: 0x0008,
  WRITE: 0x0009,
  LOCK: 0x000a,
  IOCTL: 0x000b,
  CANCEL: 0x000c,
  ECHO: 0x000d,
  QUERY_DIRECTORY: 0x000e,
  CHANGE_NOTIFY: 0x000f,
  QUERY_INFO: 0x0010,
  SET_INFO: 0x0011,
  OPLOCK_BREAK: 0x0012,
  SERVER_TO_CLIENT_NOTIFICATION: 0x0013,
} as const;

/** MS-SMB2 §2.2.1.2 Flags. PRIORITY_MASK is a 3-bit field, not a flag. */
export const Smb2Flags = {
  SERVER_TO_REDIR: 0x00000001,
  ASYNC_COMMAND: 0x00000002,
  RELATED_OPERATIONS: 0x00000004,
  SIGNED: 0x00000008,
  PRIORITY_MASK: 0x00000070,
  DFS_OPERATIONS: 0x10000000,
  REPLAY_OPERATION: 0x20000000,
} as const;

/** DialectRevision values (MS-SMB2 §2.2.3, §2.2.4). 0x0222/0x0224/0x0310 are pre-release dialects. */
export const Smb2Dialect = {
  SMB2_0_2: 0x0202,
  SMB2_1: 0x0210,
  SMB2_2_2: 0x0222,
  SMB2_2_4: 0x0224,
  SMB3_0: 0x0300,
  SMB3_0_2: 0x0302,
  SMB3_1_0: 0x0310,
  SMB3_1_1: 0x0311,
  /** The answer to a multi-protocol SMB1 negotiate that offered "SMB 2.???": SMB2 preferred. */
  SMB2_WILDCARD: 0x02ff,
} as const;

const DIALECT_NAMES: Record<number, string> = {
  0x0202: '2.0.2',
  0x0210: '2.1',
  0x0222: '2.2.2',
  0x0224: '2.2.4',
  0x0300: '3.0',
  0x0302: '3.0.2',
  0x0310: '3.1.0',
  0x0311: '3.1.1',
  0x02ff: '2.???',
};

/** "2.0.2", "3.1.1", "2.???" …; unknown dialects as `0x` + 4 hex digits. */
export function dialectName(d: number): string {
  return DIALECT_NAMES[d] ?? hex16(d);
}

/** SecurityMode (negotiate request/response are 16-bit, session setup request is 8-bit). */
export const Smb2SecurityMode = {
  SIGNING_ENABLED: 0x0001,
  SIGNING_REQUIRED: 0x0002,
} as const;

/** Capabilities (MS-SMB2 §2.2.3, §2.2.4). NOTIFICATIONS is client-only (3.1.1). */
export const Smb2Capabilities = {
  DFS: 0x00000001,
  LEASING: 0x00000002,
  LARGE_MTU: 0x00000004,
  MULTI_CHANNEL: 0x00000008,
  PERSISTENT_HANDLES: 0x00000010,
  DIRECTORY_LEASING: 0x00000020,
  ENCRYPTION: 0x00000040,
  NOTIFICATIONS: 0x00000080,
} as const;

/** NEGOTIATE_CONTEXT ContextType (MS-SMB2 §2.2.3.1), plus Samba's POSIX extensions context. */
export const NegotiateContextType = {
  PREAUTH_INTEGRITY_CAPABILITIES: 0x0001,
  ENCRYPTION_CAPABILITIES: 0x0002,
  COMPRESSION_CAPABILITIES: 0x0003,
  NETNAME_NEGOTIATE_CONTEXT_ID: 0x0005,
  TRANSPORT_CAPABILITIES: 0x0006,
  RDMA_TRANSFORM_CAPABILITIES: 0x0007,
  SIGNING_CAPABILITIES: 0x0008,
  POSIX_EXTENSIONS_AVAILABLE: 0x0100,
} as const;

/** PREAUTH_INTEGRITY HashAlgorithms. */
export const HashAlgorithm = {
  SHA_512: 0x0001,
} as const;

/** ENCRYPTION_CAPABILITIES Ciphers. */
export const Cipher = {
  AES_128_CCM: 0x0001,
  AES_128_GCM: 0x0002,
  AES_256_CCM: 0x0003,
  AES_256_GCM: 0x0004,
} as const;

/** COMPRESSION_CAPABILITIES CompressionAlgorithms. */
export const CompressionAlgorithm = {
  NONE: 0x0000,
  LZNT1: 0x0001,
  LZ77: 0x0002,
  LZ77_HUFFMAN: 0x0003,
  PATTERN_V1: 0x0004,
  LZ4: 0x0005,
} as const;

/** COMPRESSION_CAPABILITIES Flags. */
export const CompressionCapabilitiesFlags = {
  CHAINED: 0x00000001,
} as const;

/** TRANSPORT_CAPABILITIES Flags. */
export const TransportCapabilitiesFlags = {
  ACCEPT_TRANSPORT_LEVEL_SECURITY: 0x00000001,
} as const;

/** RDMA_TRANSFORM_CAPABILITIES RDMATransformIds. */
export const RdmaTransformId = {
  NONE: 0x0000,
  ENCRYPTION: 0x0001,
  SIGNING: 0x0002,
} as const;

/** SIGNING_CAPABILITIES SigningAlgorithms. */
export const SigningAlgorithm = {
  HMAC_SHA256: 0x0000,
  AES_CMAC: 0x0001,
  AES_GMAC: 0x0002,
} as const;

/**
 * The 16 bytes Samba sends (and expects) as the data of its POSIX extensions context, in wire
 * order (SMB2_CREATE_TAG_POSIX).
 */
export const POSIX_EXTENSIONS_GUID_HEX = '93ad25509cb411e7b42383de968bcd7c';

/** SESSION_SETUP request Flags (8-bit). */
export const SessionSetupRequestFlags = {
  BINDING: 0x01,
} as const;

/** SESSION_SETUP response SessionFlags. */
export const SessionFlags = {
  IS_GUEST: 0x0001,
  IS_NULL: 0x0002,
  ENCRYPT_DATA: 0x0004,
} as const;

/** ERROR context ErrorId (MS-SMB2 §2.2.2.1). */
export const ErrorId = {
  SMB2_ERROR_ID_DEFAULT: 0x00000000,
  SMB2_ERROR_ID_SHARE_REDIRECT: 0x72645253,
} as const;

/** TRANSFORM_HEADER Flags (3.1.1) / EncryptionAlgorithm (3.0, 3.0.2). */
export const TransformFlags = {
  ENCRYPTED: 0x0001,
} as const;

/** COMPRESSION_TRANSFORM_HEADER Flags. */
export const CompressionTransformFlags = {
  NONE: 0x0000,
  CHAINED: 0x0001,
} as const;

type Table = NameTable;

/** Name of `value` in `table`, else `0x` + hex (4 digits, 8 when wider). */
export function enumName(table: Table, value: number): string {
  return nameOrHex(table, value, value > 0xffff ? 8 : 4);
}

/**
 * Names of the bits set in `value` (single-bit entries of `table` only); bits without a name are
 * kept as one `0x…` entry so nothing is silently dropped.
 */
export function flagNames(table: Table, value: number): string[] {
  return bitNames(table, value, 'combined');
}

/** Name of an SMB2 command (`NEGOTIATE` ...), or hex when unknown. */
export function commandName(c: number): string {
  return enumName(Smb2Command, c);
}

/** Header flag names; PRIORITY_MASK is reported as `PRIORITY_n` when non-zero. */
export function headerFlagNames(flags: number): string[] {
  const priority = (flags & Smb2Flags.PRIORITY_MASK) >>> 4;
  const names = flagNames(Smb2Flags, (flags & ~Smb2Flags.PRIORITY_MASK) >>> 0);
  if (priority !== 0) names.push(`PRIORITY_${priority}`);
  return names;
}

/** Names of the Capabilities bits set (MS-SMB2 §2.2.3, §2.2.4). */
export function capabilityNames(c: number): string[] {
  return flagNames(Smb2Capabilities, c);
}

/** Names of the SecurityMode bits set (SIGNING_ENABLED, SIGNING_REQUIRED). */
export function securityModeNames(m: number): string[] {
  return flagNames(Smb2SecurityMode, m);
}

export function hex16(v: number): string {
  return hexOf(v, 4);
}

export function hex32(v: number): string {
  return hexOf(v, 8);
}
