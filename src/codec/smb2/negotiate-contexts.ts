/**
 * SMB 3.1.1 negotiate contexts (MS-SMB2 §2.2.3.1, §2.2.4.1). Each context is ContextType (2),
 * DataLength (2), Reserved (4) and DataLength bytes of data; every context starts 8-byte aligned,
 * counted from the start of the SMB2 header, and the padding goes between contexts only.
 */

import { ByteReader } from '../reader.js';
import { DecodeError } from '../../errors.js';
import { NegotiateContextType } from './constants.js';

/** SMB2_PREAUTH_INTEGRITY_CAPABILITIES (MS-SMB2 §2.2.3.1.1). */
export interface PreauthIntegrityContext {
  kind: 'preauth-integrity';
  /** HashAlgorithms (see HashAlgorithm). */
  hashAlgorithms: number[];
  /** Salt (clients send 32 random bytes). */
  salt: Uint8Array;
}

/** SMB2_ENCRYPTION_CAPABILITIES (MS-SMB2 §2.2.3.1.2). */
export interface EncryptionContext {
  kind: 'encryption';
  /** Ciphers (see Cipher): the client's preference list, or the one the server chose. */
  ciphers: number[];
}

/** SMB2_COMPRESSION_CAPABILITIES (MS-SMB2 §2.2.3.1.3). */
export interface CompressionContext {
  kind: 'compression';
  /** Flags (see CompressionCapabilitiesFlags). */
  flags: number;
  /** CompressionAlgorithms (see CompressionAlgorithm). */
  compressionAlgorithms: number[];
}

/** SMB2_NETNAME_NEGOTIATE_CONTEXT_ID (MS-SMB2 §2.2.3.1.4): the server name the client asked for. */
export interface NetnameContext {
  kind: 'netname';
  /** NetName: the server name the client connects to, UTF-16LE on the wire, no terminator. */
  netName: string;
}

/** SMB2_TRANSPORT_CAPABILITIES (MS-SMB2 §2.2.3.1.5). */
export interface TransportContext {
  kind: 'transport';
  /** Flags (see TransportCapabilitiesFlags). */
  flags: number;
}

/** SMB2_RDMA_TRANSFORM_CAPABILITIES (MS-SMB2 §2.2.3.1.6). */
export interface RdmaTransformContext {
  kind: 'rdma-transform';
  /** RDMATransformIds (see RdmaTransformId). */
  transformIds: number[];
}

/** SMB2_SIGNING_CAPABILITIES (MS-SMB2 §2.2.3.1.7). */
export interface SigningContext {
  kind: 'signing';
  /** SigningAlgorithms (see SigningAlgorithm). */
  signingAlgorithms: number[];
}

/** SMB2_POSIX_EXTENSIONS_AVAILABLE (Samba's POSIX extensions context). */
export interface PosixContext {
  kind: 'posix';
  /** Samba's 16-byte GUID (POSIX_EXTENSIONS_GUID_HEX); older peers sent 8 zero bytes. Kept raw. */
  data: Uint8Array;
}

/** A context type this library does not decode: its type and data bytes. */
export interface UnknownContext {
  kind: 'unknown';
  contextType: number;
  data: Uint8Array;
}

/** One negotiate context of an SMB 3.1.1 NEGOTIATE, tagged by `kind`. */
export type NegotiateContext =
  | PreauthIntegrityContext
  | EncryptionContext
  | CompressionContext
  | NetnameContext
  | TransportContext
  | RdmaTransformContext
  | SigningContext
  | PosixContext
  | UnknownContext;

/** Size of a context header (ContextType, DataLength, Reserved). */
export const NEGOTIATE_CONTEXT_HEADER_SIZE = 8;

/** ContextType of a context value. */
export function contextType(c: NegotiateContext): number {
  switch (c.kind) {
    case 'preauth-integrity':
      return NegotiateContextType.PREAUTH_INTEGRITY_CAPABILITIES;
    case 'encryption':
      return NegotiateContextType.ENCRYPTION_CAPABILITIES;
    case 'compression':
      return NegotiateContextType.COMPRESSION_CAPABILITIES;
    case 'netname':
      return NegotiateContextType.NETNAME_NEGOTIATE_CONTEXT_ID;
    case 'transport':
      return NegotiateContextType.TRANSPORT_CAPABILITIES;
    case 'rdma-transform':
      return NegotiateContextType.RDMA_TRANSFORM_CAPABILITIES;
    case 'signing':
      return NegotiateContextType.SIGNING_CAPABILITIES;
    case 'posix':
      return NegotiateContextType.POSIX_EXTENSIONS_AVAILABLE;
    case 'unknown':
      return c.contextType;
  }
}

/** DataLength of a context value. */
export function contextDataLength(c: NegotiateContext): number {
  switch (c.kind) {
    case 'preauth-integrity':
      return 4 + 2 * c.hashAlgorithms.length + c.salt.length;
    case 'encryption':
      return 2 + 2 * c.ciphers.length;
    case 'compression':
      return 8 + 2 * c.compressionAlgorithms.length;
    case 'netname':
      return 2 * c.netName.length;
    case 'transport':
      return 4;
    case 'rdma-transform':
      return 8 + 2 * c.transformIds.length;
    case 'signing':
      return 2 + 2 * c.signingAlgorithms.length;
    case 'posix':
    case 'unknown':
      return c.data.length;
  }
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** Bytes the list takes when it starts 8-byte aligned: padding between contexts, none after the last. */
export function negotiateContextsLength(list: readonly NegotiateContext[]): number {
  let n = 0;
  list.forEach((c, i) => {
    if (i > 0) n += pad8(n);
    n += NEGOTIATE_CONTEXT_HEADER_SIZE + contextDataLength(c);
  });
  return n;
}

/** Write the list at `at` of `out` (which must be 8-byte aligned relative to the SMB2 header). */
export function writeNegotiateContexts(list: readonly NegotiateContext[], out: Buffer, at: number): number {
  const start = at;
  list.forEach((c, i) => {
    if (i > 0) at += pad8(at - start); // padding bytes are already zero (Buffer.alloc)
    const len = contextDataLength(c);
    if (len > 0xffff) throw new RangeError(`negotiate context data of ${len} bytes does not fit DataLength`);
    out.writeUInt16LE(contextType(c), at);
    out.writeUInt16LE(len, at + 2);
    out.writeUInt32LE(0, at + 4);
    let p = at + NEGOTIATE_CONTEXT_HEADER_SIZE;
    const u16 = (v: number): void => {
      out.writeUInt16LE(v, p);
      p += 2;
    };
    const u32 = (v: number): void => {
      out.writeUInt32LE(v >>> 0, p);
      p += 4;
    };
    switch (c.kind) {
      case 'preauth-integrity':
        u16(c.hashAlgorithms.length);
        u16(c.salt.length);
        c.hashAlgorithms.forEach(u16);
        out.set(c.salt, p);
        p += c.salt.length;
        break;
      case 'encryption':
        u16(c.ciphers.length);
        c.ciphers.forEach(u16);
        break;
      case 'compression':
        u16(c.compressionAlgorithms.length);
        u16(0); // Padding
        u32(c.flags);
        c.compressionAlgorithms.forEach(u16);
        break;
      case 'netname':
        p += out.write(c.netName, p, 'utf16le');
        break;
      case 'transport':
        u32(c.flags);
        break;
      case 'rdma-transform':
        u16(c.transformIds.length);
        u16(0); // Reserved1
        u32(0); // Reserved2
        c.transformIds.forEach(u16);
        break;
      case 'signing':
        u16(c.signingAlgorithms.length);
        c.signingAlgorithms.forEach(u16);
        break;
      case 'posix':
      case 'unknown':
        out.set(c.data, p);
        p += c.data.length;
        break;
    }
    at = p;
  });
  return at - start;
}

/** A context list on its own (starting aligned), e.g. for tests. */
export function encodeNegotiateContexts(list: readonly NegotiateContext[]): Uint8Array {
  const out = Buffer.alloc(negotiateContextsLength(list));
  writeNegotiateContexts(list, out, 0);
  return out;
}

/** Read `n` u16 values, `n` bounded by the bytes the reader holds. */
function u16list(r: ByteReader, n: number, field: string): number[] {
  if (n * 2 > r.remaining) throw r.error('BAD_LENGTH', field, `${n} entries do not fit in ${r.remaining} bytes`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.u16le(field));
  return out;
}

function decodeContextData(type: number, r: ByteReader): NegotiateContext {
  switch (type) {
    case NegotiateContextType.PREAUTH_INTEGRITY_CAPABILITIES: {
      const count = r.u16le('HashAlgorithmCount');
      const saltLength = r.u16le('SaltLength');
      const hashAlgorithms = u16list(r, count, 'HashAlgorithms');
      if (saltLength > r.remaining) throw r.error('BAD_LENGTH', 'SaltLength');
      return { kind: 'preauth-integrity', hashAlgorithms, salt: new Uint8Array(r.bytes(saltLength, 'Salt')) };
    }
    case NegotiateContextType.ENCRYPTION_CAPABILITIES: {
      const count = r.u16le('CipherCount');
      return { kind: 'encryption', ciphers: u16list(r, count, 'Ciphers') };
    }
    case NegotiateContextType.COMPRESSION_CAPABILITIES: {
      const count = r.u16le('CompressionAlgorithmCount');
      r.skip(2, 'Padding');
      const flags = r.u32le('Flags');
      return { kind: 'compression', flags, compressionAlgorithms: u16list(r, count, 'CompressionAlgorithms') };
    }
    case NegotiateContextType.NETNAME_NEGOTIATE_CONTEXT_ID:
      return { kind: 'netname', netName: r.utf16le(r.remaining, 'NetName') };
    case NegotiateContextType.TRANSPORT_CAPABILITIES:
      return { kind: 'transport', flags: r.u32le('Flags') };
    case NegotiateContextType.RDMA_TRANSFORM_CAPABILITIES: {
      const count = r.u16le('TransformCount');
      r.skip(6, 'Reserved');
      return { kind: 'rdma-transform', transformIds: u16list(r, count, 'RDMATransformIds') };
    }
    case NegotiateContextType.SIGNING_CAPABILITIES: {
      const count = r.u16le('SigningAlgorithmCount');
      return { kind: 'signing', signingAlgorithms: u16list(r, count, 'SigningAlgorithms') };
    }
    case NegotiateContextType.POSIX_EXTENSIONS_AVAILABLE:
      return { kind: 'posix', data: new Uint8Array(r.bytes(r.remaining, 'Data')) };
    default:
      return { kind: 'unknown', contextType: type, data: new Uint8Array(r.bytes(r.remaining, 'Data')) };
  }
}

/**
 * Decode `count` contexts starting at `offset` (counted from `base`, the start of the SMB2
 * header) and ending no later than `end` (absolute). Errors are reported relative to `base`.
 */
export function decodeNegotiateContexts(
  buf: Uint8Array,
  base: number,
  offset: number,
  count: number,
  end: number,
  minOffset = 0,
): NegotiateContext[] {
  if (count === 0) return [];
  if (offset % 8 !== 0 || offset < minOffset || base + offset > end) {
    throw new DecodeError('BAD_OFFSET', 'smb2', 'NegotiateContextOffset', offset, `offset ${offset} is outside the message, inside the fixed part or not 8-byte aligned`);
  }
  // each context takes at least its 8-byte header: the count cannot claim more than the bytes allow
  if (count * NEGOTIATE_CONTEXT_HEADER_SIZE > end - (base + offset)) {
    throw new DecodeError('BAD_LENGTH', 'smb2', 'NegotiateContextCount', offset, `${count} contexts cannot fit in ${end - base - offset} bytes`);
  }
  const r = new ByteReader(buf, 'smb2', base + offset, end, base);
  const out: NegotiateContext[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      const pad = pad8(r.offset);
      r.skip(pad, 'Padding');
    }
    const type = r.u16le('ContextType');
    const dataLength = r.u16le('DataLength');
    r.skip(4, 'Reserved');
    if (dataLength > r.remaining) throw r.error('BAD_LENGTH', 'DataLength', `DataLength ${dataLength} runs past the message`, r.offset - 6);
    out.push(decodeContextData(type, r.sub(dataLength, 'Data')));
  }
  return out;
}
