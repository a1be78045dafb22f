import { DecodeError } from '../errors.js';
import type { Codec } from './codec.js';
import { placeEncoded } from './codec.js';
import { ByteReader, filetimeToIso, hex } from './reader.js';
import { knownBitNames } from './names.js';

/**
 * NTLMSSP messages (MS-NLMP §2.2): NEGOTIATE (type 1), CHALLENGE (type 2), AUTHENTICATE (type 3),
 * AV pairs (§2.2.2.1), VERSION (§2.2.2.10) and the NTLMv2 response (§2.2.2.8).
 *
 * Layout rules that matter with real peers: the optional fixed fields (CHALLENGE Reserved/TargetInfoFields/
 * Version, AUTHENTICATE Version/MIC) exist only when the lowest payload offset leaves room for them, so
 * that offset is checked before reading them (old NT4/XP-era messages are shorter). Every
 * (Len, MaxLen, BufferOffset) triple is checked against the message: BAD_OFFSET when the offset lies
 * outside it, BAD_LENGTH when offset+Len runs past it. Offsets in errors count from the "NTLMSSP\0"
 * signature. Strings are UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set, else OEM (decoded as
 * Latin-1: the OEM code page is not on the wire). Results are JSON-safe: hex for bytes, ISO for times.
 */

export const NTLMSSP_SIGNATURE = Uint8Array.of(0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00); // "NTLMSSP\0"

/** MessageType values (MS-NLMP §2.2.1). */
export const NtlmMessageType = {
  NEGOTIATE: 1,
  CHALLENGE: 2,
  AUTHENTICATE: 3,
} as const;

/** NegotiateFlags (MS-NLMP §2.2.2.5), all 32 bits; reserved bits carry the spec's r1..r10 names. */
export const NegotiateFlags = {
  NTLMSSP_NEGOTIATE_UNICODE: 0x00000001, // A
  NTLM_NEGOTIATE_OEM: 0x00000002, // B
  NTLMSSP_REQUEST_TARGET: 0x00000004, // C
  NTLMSSP_RESERVED_R10: 0x00000008,
  NTLMSSP_NEGOTIATE_SIGN: 0x00000010, // D
  NTLMSSP_NEGOTIATE_SEAL: 0x00000020, // E
  NTLMSSP_NEGOTIATE_DATAGRAM: 0x00000040, // F
  NTLMSSP_NEGOTIATE_LM_KEY: 0x00000080, // G
  NTLMSSP_RESERVED_R9: 0x00000100,
  NTLMSSP_NEGOTIATE_NTLM: 0x00000200, // H
  NTLMSSP_RESERVED_R8: 0x00000400,
  NTLMSSP_NEGOTIATE_ANONYMOUS: 0x00000800, // J
  NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED: 0x00001000, // K
  NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED: 0x00002000, // L
  NTLMSSP_RESERVED_R7: 0x00004000,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN: 0x00008000, // M
  NTLMSSP_TARGET_TYPE_DOMAIN: 0x00010000, // N
  NTLMSSP_TARGET_TYPE_SERVER: 0x00020000, // O
  NTLMSSP_RESERVED_R6: 0x00040000, // formerly TARGET_TYPE_SHARE
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY: 0x00080000, // P
  NTLMSSP_NEGOTIATE_IDENTIFY: 0x00100000, // Q
  NTLMSSP_RESERVED_R5: 0x00200000,
  NTLMSSP_REQUEST_NON_NT_SESSION_KEY: 0x00400000, // R
  NTLMSSP_NEGOTIATE_TARGET_INFO: 0x00800000, // S
  NTLMSSP_RESERVED_R4: 0x01000000,
  NTLMSSP_NEGOTIATE_VERSION: 0x02000000, // T
  NTLMSSP_RESERVED_R3: 0x04000000,
  NTLMSSP_RESERVED_R2: 0x08000000,
  NTLMSSP_RESERVED_R1: 0x10000000,
  NTLMSSP_NEGOTIATE_128: 0x20000000, // U
  NTLMSSP_NEGOTIATE_KEY_EXCH: 0x40000000, // V
  NTLMSSP_NEGOTIATE_56: 0x80000000, // W
} as const;
/** Name of one NTLMSSP_NEGOTIATE_* flag. */
export type NegotiateFlagName = keyof typeof NegotiateFlags;

const F = NegotiateFlags;

/**
 * What our client NEGOTIATE asks for, like a current Windows client minus LM_KEY: UNICODE and OEM
 * (let the server pick), REQUEST_TARGET (TargetName + TargetInfo with the host facts), SIGN, NTLM,
 * ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, VERSION (so the server returns its Version), 128, KEY_EXCH, 56.
 * = 0xE2088217.
 */
export const DEFAULT_NEGOTIATE_FLAGS =
  (F.NTLMSSP_NEGOTIATE_UNICODE |
    F.NTLM_NEGOTIATE_OEM |
    F.NTLMSSP_REQUEST_TARGET |
    F.NTLMSSP_NEGOTIATE_SIGN |
    F.NTLMSSP_NEGOTIATE_NTLM |
    F.NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
    F.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
    F.NTLMSSP_NEGOTIATE_VERSION |
    F.NTLMSSP_NEGOTIATE_128 |
    F.NTLMSSP_NEGOTIATE_KEY_EXCH |
    F.NTLMSSP_NEGOTIATE_56) >>>
  0;

/** Names of the set bits, lowest bit first. */
export function negotiateFlagNames(flags: number): NegotiateFlagName[] {
  return knownBitNames(NegotiateFlags, flags);
}

const has = (flags: number, bit: number): boolean => ((flags >>> 0) & bit) >>> 0 === bit;

/** AV_PAIR AvId values (MS-NLMP §2.2.2.1). */
export const AvId = {
  MsvAvEOL: 0,
  MsvAvNbComputerName: 1,
  MsvAvNbDomainName: 2,
  MsvAvDnsComputerName: 3,
  MsvAvDnsDomainName: 4,
  MsvAvDnsTreeName: 5,
  MsvAvFlags: 6,
  MsvAvTimestamp: 7,
  MsvAvSingleHost: 8,
  MsvAvTargetName: 9,
  MsvAvChannelBindings: 10,
} as const;

/** MsvAvFlags bits. */
export const AvFlags = {
  ACCOUNT_AUTHENTICATION_CONSTRAINED: 0x1,
  MIC_PROVIDED: 0x2,
  UNTRUSTED_SPN_SOURCE: 0x4,
} as const;

/** AV_PAIR ids whose value is a UTF-16LE string (MS-NLMP §2.2.2.1). */
export type AvStringName =
  | 'MsvAvNbComputerName'
  | 'MsvAvNbDomainName'
  | 'MsvAvDnsComputerName'
  | 'MsvAvDnsDomainName'
  | 'MsvAvDnsTreeName'
  | 'MsvAvTargetName';

/** MsvAvSingleHost's Single_Host_Data (§2.2.2.2). */
export interface SingleHostData {
  size: number;
  z4: number;
  /** CustomData, 8 bytes hex. */
  customData: string;
  /** MachineID, 32 bytes hex. */
  machineId: string;
}

/** One AV pair; `name` discriminates (null for an AvId this decoder does not know). */
export type AvPair =
  | { id: number; name: AvStringName; value: string }
  | { id: 6; name: 'MsvAvFlags'; value: number }
  /** `value` is ISO-8601 (null for FILETIME 0); `raw` keeps the 8 bytes for re-encoding. */
  | { id: 7; name: 'MsvAvTimestamp'; value: string | null; raw: string }
  /** `value` is null unless the 48-byte structure is there; `raw` is the whole AvValue. */
  | { id: 8; name: 'MsvAvSingleHost'; value: SingleHostData | null; raw: string }
  | { id: 10; name: 'MsvAvChannelBindings'; value: string }
  | { id: number; name: null; value: string };

/** The host facts a CHALLENGE's TargetInfo carries (first occurrence of each AvId). */
export interface TargetInfoFacts {
  nbComputerName?: string;
  nbDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  targetName?: string;
  flags?: number;
  timestamp?: string | null;
}

/** VERSION (§2.2.2.10). */
export interface NtlmVersion {
  productMajorVersion: number;
  productMinorVersion: number;
  productBuild: number;
  /** NTLMRevisionCurrent: 0x0F (NTLMSSP_REVISION_W2K3) on every current peer. */
  ntlmRevision: number;
  /** "major.minor.build", e.g. "10.0.17763". */
  osVersion: string;
}

/** NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1). */
export interface NtlmNegotiate {
  messageType: 1;
  negotiateFlags: number;
  flagNames: NegotiateFlagName[];
  /** DomainNameFields payload (OEM), '' when empty. */
  domainName: string;
  /** WorkstationFields payload (OEM), '' when empty. */
  workstation: string;
  version?: NtlmVersion;
}

/** CHALLENGE_MESSAGE (MS-NLMP §2.2.1.2): what the server says about itself — target name, target info AV pairs, version. */
export interface NtlmChallenge {
  messageType: 2;
  targetName: string;
  negotiateFlags: number;
  flagNames: NegotiateFlagName[];
  /** ServerChallenge, 8 bytes hex. */
  serverChallenge: string;
  /** Reserved, 8 bytes hex; absent in the short (32-byte header) form. */
  reserved?: string;
  /** TargetInfo AV pairs without the closing MsvAvEOL; absent when TargetInfoFields is missing or empty. */
  targetInfo?: AvPair[];
  version?: NtlmVersion;
  /** Tolerated irregularities: 'AV_EOL_MISSING'. */
  warnings: string[];
}

/** NTLMv2_RESPONSE (§2.2.2.8) with its NTLMv2_CLIENT_CHALLENGE (§2.2.2.7). */
export interface Ntlmv2Response {
  /** NTProofStr, 16 bytes hex. */
  ntProofStr: string;
  respType: number;
  hiRespType: number;
  /** TimeStamp as ISO-8601. */
  timestamp: string | null;
  /** ChallengeFromClient, 8 bytes hex. */
  challengeFromClient: string;
  avPairs: AvPair[];
}

/** AUTHENTICATE_MESSAGE (MS-NLMP §2.2.1.3). */
export interface NtlmAuthenticate {
  messageType: 3;
  negotiateFlags: number;
  flagNames: NegotiateFlagName[];
  /** LmChallengeResponse, hex. */
  lmChallengeResponse: string;
  /** NtChallengeResponse, hex. */
  ntChallengeResponse: string;
  domainName: string;
  userName: string;
  workstation: string;
  /** EncryptedRandomSessionKey, hex ('' when empty). */
  encryptedRandomSessionKey: string;
  version?: NtlmVersion;
  /** MIC, 16 bytes hex, when the layout leaves room for it (lowest payload offset >= 88). */
  mic?: string;
  /** Derived: the NT response parsed as NTLMv2 when longer than 24 bytes. */
  ntlmv2Response?: Ntlmv2Response;
  /** Derived: anonymous (ANONYMOUS flag, or an empty NT response and an empty or 1-byte LM response). */
  anonymous: boolean;
  /** Tolerated irregularities: 'AV_EOL_MISSING', 'NTLMV2_RESPONSE_MALFORMED'. */
  warnings: string[];
}

/** Any of the three NTLMSSP messages, told apart by `messageType`. */
export type NtlmMessage = NtlmNegotiate | NtlmChallenge | NtlmAuthenticate;

// ---------------------------------------------------------------------------------------------
// helpers

/** True when `buf` (from `offset`) starts with "NTLMSSP\0". */
export function isNtlmssp(buf: Uint8Array, offset = 0): boolean {
  if (offset < 0 || buf.length - offset < 8) return false;
  for (let i = 0; i < 8; i++) if (buf[offset + i] !== NTLMSSP_SIGNATURE[i]) return false;
  return true;
}

interface Fields {
  len: number;
  maxLen: number;
  offset: number;
  /** Offset of the Fields structure itself (for errors). */
  at: number;
}

function readFields(r: ByteReader, field: string): Fields {
  const at = r.offset;
  const len = r.u16le(`${field}.Len`);
  const maxLen = r.u16le(`${field}.MaxLen`);
  const offset = r.u32le(`${field}.BufferOffset`);
  return { len, maxLen, offset, at };
}

/** Payload bytes of a Fields triple, checked against the message window. */
function payload(msg: ByteReader, f: Fields, field: string): ByteReader {
  if (f.len === 0) return new ByteReader(msg.buf, msg.protocol, msg.base, msg.base, msg.base);
  const size = msg.end - msg.base;
  if (f.offset > size) throw new DecodeError('BAD_OFFSET', 'ntlmssp', field, f.at, `offset ${f.offset} outside ${size}-byte message`);
  if (f.offset + f.len > size) throw new DecodeError('BAD_LENGTH', 'ntlmssp', field, f.at, `${f.len} bytes at ${f.offset} run past the message`);
  return msg.window(f.offset, f.len, field);
}

/**
 * Some peers (e.g. Apple's SMB server) NUL-terminate names inside the counted string; drop trailing
 * U+0000 characters after decoding (whole code units: bytes are never filtered).
 */
function trimNul(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 0) e--;
  return e === s.length ? s : s.slice(0, e);
}

function readString(msg: ByteReader, f: Fields, field: string, unicode: boolean): string {
  const r = payload(msg, f, field);
  if (unicode) {
    if (f.len % 2 !== 0) throw new DecodeError('BAD_LENGTH', 'ntlmssp', field, f.at, `odd UTF-16 length ${f.len}`);
    return trimNul(r.utf16le(f.len, field));
  }
  return trimNul(Buffer.from(r.bytes(f.len, field)).toString('latin1'));
}

/** Lowest BufferOffset among non-empty payload fields; the message size when all are empty. */
function lowestOffset(size: number, fields: Fields[]): number {
  let low = size;
  for (const f of fields) if (f.len > 0 && f.offset < low) low = f.offset;
  return low;
}

function readVersion(r: ByteReader): NtlmVersion {
  const productMajorVersion = r.u8('ProductMajorVersion');
  const productMinorVersion = r.u8('ProductMinorVersion');
  const productBuild = r.u16le('ProductBuild');
  r.skip(3, 'Reserved');
  const ntlmRevision = r.u8('NTLMRevisionCurrent');
  return {
    productMajorVersion,
    productMinorVersion,
    productBuild,
    ntlmRevision,
    osVersion: `${productMajorVersion}.${productMinorVersion}.${productBuild}`,
  };
}

function start(buf: Uint8Array, offset: number, end: number, type: number): ByteReader {
  const r = new ByteReader(buf, 'ntlmssp', offset, end);
  const sig = r.bytes(8, 'Signature');
  if (!isNtlmssp(sig)) throw r.error('BAD_VALUE', 'Signature', 'not "NTLMSSP\\0"', 0);
  const mt = r.u32le('MessageType');
  if (type !== 0 && mt !== type) throw r.error('BAD_VALUE', 'MessageType', `expected ${type}, got ${mt}`, 8);
  return r;
}

/** Decode an AV_PAIR list. Ends at MsvAvEOL; a list that runs out of bytes first is kept with a warning. */
export function decodeAvPairs(
  buf: Uint8Array,
  offset = 0,
  end = buf.length,
  base = offset,
): { pairs: AvPair[]; warnings: string[] } {
  const r = new ByteReader(buf, 'ntlmssp', offset, end, base);
  const pairs: AvPair[] = [];
  const warnings: string[] = [];
  for (;;) {
    if (r.remaining === 0) {
      warnings.push('AV_EOL_MISSING');
      break;
    }
    const at = r.offset;
    const id = r.u16le('AvId');
    const len = r.u16le('AvLen');
    if (len > r.remaining) throw r.error('BAD_LENGTH', 'AvLen', `${len} bytes, ${r.remaining} left`, at + 2);
    if (id === AvId.MsvAvEOL) {
      if (len !== 0) throw r.error('BAD_LENGTH', 'MsvAvEOL', `AvLen ${len}`, at + 2);
      break;
    }
    const v = r.sub(len, 'AvValue');
    pairs.push(decodeAvValue(id, len, v, at));
  }
  return { pairs, warnings };
}

const STRING_AV: Record<number, AvStringName> = {
  1: 'MsvAvNbComputerName',
  2: 'MsvAvNbDomainName',
  3: 'MsvAvDnsComputerName',
  4: 'MsvAvDnsDomainName',
  5: 'MsvAvDnsTreeName',
  9: 'MsvAvTargetName',
};

function decodeAvValue(id: number, len: number, v: ByteReader, at: number): AvPair {
  const strName = STRING_AV[id];
  if (strName) {
    if (len % 2 !== 0) throw v.error('BAD_LENGTH', strName, `odd UTF-16 length ${len}`, at + 2);
    return { id, name: strName, value: trimNul(v.utf16le(len, strName)) };
  }
  switch (id) {
    case AvId.MsvAvFlags:
      if (len !== 4) throw v.error('BAD_LENGTH', 'MsvAvFlags', `AvLen ${len}`, at + 2);
      return { id, name: 'MsvAvFlags', value: v.u32le('MsvAvFlags') };
    case AvId.MsvAvTimestamp: {
      if (len !== 8) throw v.error('BAD_LENGTH', 'MsvAvTimestamp', `AvLen ${len}`, at + 2);
      const raw = hex(v.buf.subarray(v.pos, v.pos + 8));
      return { id, name: 'MsvAvTimestamp', value: filetimeToIso(v.u64le('MsvAvTimestamp')), raw };
    }
    case AvId.MsvAvSingleHost: {
      const raw = hex(v.buf.subarray(v.pos, v.end));
      let value: SingleHostData | null = null;
      if (len >= 48) {
        const size = v.u32le('Size');
        const z4 = v.u32le('Z4');
        const customData = hex(v.bytes(8, 'CustomData'));
        const machineId = hex(v.bytes(32, 'MachineID'));
        value = { size, z4, customData, machineId };
      }
      return { id, name: 'MsvAvSingleHost', value, raw };
    }
    case AvId.MsvAvChannelBindings:
      return { id, name: 'MsvAvChannelBindings', value: hex(v.bytes(len, 'MsvAvChannelBindings')) };
    default:
      return { id, name: null, value: hex(v.bytes(len, 'AvValue')) };
  }
}

/** Host facts from AV pairs (first occurrence of each). */
export function targetInfoFacts(pairs: readonly AvPair[]): TargetInfoFacts {
  const out: TargetInfoFacts = {};
  const set = <K extends keyof TargetInfoFacts>(k: K, v: TargetInfoFacts[K]) => {
    if (!(k in out)) out[k] = v;
  };
  for (const p of pairs) {
    switch (p.name) {
      case 'MsvAvNbComputerName': set('nbComputerName', p.value); break;
      case 'MsvAvNbDomainName': set('nbDomainName', p.value); break;
      case 'MsvAvDnsComputerName': set('dnsComputerName', p.value); break;
      case 'MsvAvDnsDomainName': set('dnsDomainName', p.value); break;
      case 'MsvAvDnsTreeName': set('dnsTreeName', p.value); break;
      case 'MsvAvTargetName': set('targetName', p.value); break;
      case 'MsvAvFlags': set('flags', p.value); break;
      case 'MsvAvTimestamp': set('timestamp', p.value); break;
      default: break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// NEGOTIATE

const NEGOTIATE_HEADER = 32;

function decodeNegotiate(buf: Uint8Array, offset = 0, end = buf.length): NtlmNegotiate {
  const r = start(buf, offset, end, NtlmMessageType.NEGOTIATE);
  const negotiateFlags = r.u32le('NegotiateFlags');
  const size = r.end - r.base;
  // DomainNameFields/WorkstationFields are absent from the oldest 16-byte form
  let domain: Fields | undefined;
  let ws: Fields | undefined;
  if (size >= NEGOTIATE_HEADER) {
    domain = readFields(r, 'DomainNameFields');
    ws = readFields(r, 'WorkstationFields');
  }
  const fields = [domain, ws].filter((f): f is Fields => f !== undefined);
  const low = lowestOffset(size, fields);
  const msg: NtlmNegotiate = {
    messageType: 1,
    negotiateFlags,
    flagNames: negotiateFlagNames(negotiateFlags),
    domainName: domain ? readString(r, domain, 'DomainName', false) : '',
    workstation: ws ? readString(r, ws, 'Workstation', false) : '',
  };
  if (has(negotiateFlags, F.NTLMSSP_NEGOTIATE_VERSION) && size >= NEGOTIATE_HEADER + 8 && low >= NEGOTIATE_HEADER + 8) {
    r.seek(NEGOTIATE_HEADER, 'Version');
    msg.version = readVersion(r);
  }
  return msg;
}

// ---------------------------------------------------------------------------------------------
// encoding helpers

class Writer {
  readonly out: Buffer;
  pos = 0;
  constructor(n: number) {
    this.out = Buffer.alloc(n);
  }
  u8(v: number) { this.out.writeUInt8(v, this.pos); this.pos += 1; }
  u16(v: number) { this.out.writeUInt16LE(v, this.pos); this.pos += 2; }
  u32(v: number) { this.out.writeUInt32LE(v >>> 0, this.pos); this.pos += 4; }
  bytes(b: Uint8Array) { this.out.set(b, this.pos); this.pos += b.length; }
}

function hexBytes(h: string | undefined, field: string, size?: number): Uint8Array {
  const s = h ?? '';
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw new TypeError(`${field}: not a hex string`);
  const b = Buffer.from(s, 'hex');
  if (size !== undefined && b.length !== size) throw new RangeError(`${field}: ${b.length} bytes, expected ${size}`);
  return b;
}

function strBytes(s: string, unicode: boolean): Uint8Array {
  return Buffer.from(s, unicode ? 'utf16le' : 'latin1');
}

function u16Len(b: Uint8Array, field: string): number {
  if (b.length > 0xffff) throw new RangeError(`${field}: ${b.length} bytes do not fit a 16-bit length`);
  return b.length;
}

function versionBytes(v: NtlmVersion | undefined): Uint8Array {
  const w = new Writer(8);
  if (v) {
    w.u8(v.productMajorVersion);
    w.u8(v.productMinorVersion);
    w.u16(v.productBuild);
    w.pos += 3;
    w.u8(v.ntlmRevision);
  }
  return w.out;
}

/** Lay out header + payload, filling (Len, MaxLen, BufferOffset) triples at the given header offsets. */
function layout(header: Uint8Array, items: [fieldsAt: number, data: Uint8Array, field: string][]): Uint8Array {
  let total = header.length;
  for (const [, d, field] of items) total += u16Len(d, field);
  const out = Buffer.alloc(total);
  out.set(header, 0);
  let p = header.length;
  for (const [at, d] of items) {
    out.writeUInt16LE(d.length, at);
    out.writeUInt16LE(d.length, at + 2);
    out.writeUInt32LE(p, at + 4);
    out.set(d, p);
    p += d.length;
  }
  return out;
}

function isoToFiletime(iso: string | null): bigint {
  if (iso === null) return 0n;
  const m = /^(.*)\.(\d{1,9})Z$/.exec(iso);
  const whole = Date.parse(m ? `${m[1]}Z` : iso);
  if (Number.isNaN(whole)) throw new RangeError(`not an ISO time: ${iso}`);
  const frac = m ? BigInt(m[2]!.padEnd(7, '0').slice(0, 7)) : 0n;
  return (BigInt(whole) + 11644473600000n) * 10000n + frac;
}

/** Encode AV pairs followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const p of pairs) {
    let v: Uint8Array;
    switch (p.name) {
      case 'MsvAvFlags': {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(p.value >>> 0, 0);
        v = b;
        break;
      }
      case 'MsvAvTimestamp': {
        v = p.raw ? hexBytes(p.raw, 'MsvAvTimestamp', 8) : (() => {
          const b = Buffer.alloc(8);
          b.writeBigUInt64LE(isoToFiletime(p.value), 0);
          return b;
        })();
        break;
      }
      case 'MsvAvSingleHost':
        v = hexBytes(p.raw, 'MsvAvSingleHost');
        break;
      case 'MsvAvChannelBindings':
      case null:
        v = hexBytes(p.value, 'AvValue');
        break;
      default:
        v = strBytes(p.value, true);
    }
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.id, 0);
    h.writeUInt16LE(u16Len(v, 'AvLen'), 2);
    parts.push(h, v);
  }
  parts.push(new Uint8Array(4)); // MsvAvEOL
  return Buffer.concat(parts);
}

function encodeNegotiateBytes(m: NtlmNegotiate): Uint8Array {
  const withVersion = has(m.negotiateFlags, F.NTLMSSP_NEGOTIATE_VERSION);
  const w = new Writer(NEGOTIATE_HEADER + (withVersion ? 8 : 0));
  w.bytes(NTLMSSP_SIGNATURE);
  w.u32(1);
  w.u32(m.negotiateFlags);
  w.pos = NEGOTIATE_HEADER;
  if (withVersion) w.bytes(versionBytes(m.version));
  return layout(w.out, [
    [16, strBytes(m.domainName, false), 'DomainName'],
    [24, strBytes(m.workstation, false), 'Workstation'],
  ]);
}

/** Codec of NEGOTIATE_MESSAGE. */
export const ntlmNegotiate: Codec<NtlmNegotiate> = {
  encode(value, buf, offset) {
    return placeEncoded(encodeNegotiateBytes(value), buf, offset);
  },
  decode: decodeNegotiate,
  encodingLength(value) {
    return encodeNegotiateBytes(value).length;
  },
};

/** Options of {@link ntlmNegotiateMessage}. */
export interface NegotiateOptions {
  flags?: number;
  domainName?: string;
  workstation?: string;
  /** Version sent when NTLMSSP_NEGOTIATE_VERSION is set; default 0.0.0 revision 15 (MS-NLMP lets a client send zeros). */
  version?: Omit<NtlmVersion, 'osVersion'>;
}

/** A client NEGOTIATE_MESSAGE; sets the OEM_*_SUPPLIED flags when domain/workstation are given. */
export function ntlmNegotiateMessage(opts: NegotiateOptions = {}): Uint8Array {
  let flags = (opts.flags ?? DEFAULT_NEGOTIATE_FLAGS) >>> 0;
  const domainName = opts.domainName ?? '';
  const workstation = opts.workstation ?? '';
  if (domainName) flags = (flags | F.NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED) >>> 0;
  if (workstation) flags = (flags | F.NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED) >>> 0;
  const v = opts.version ?? { productMajorVersion: 0, productMinorVersion: 0, productBuild: 0, ntlmRevision: 15 };
  return encodeNegotiateBytes({
    messageType: 1,
    negotiateFlags: flags,
    flagNames: [],
    domainName,
    workstation,
    version: { ...v, osVersion: '' },
  });
}

// ---------------------------------------------------------------------------------------------
// CHALLENGE

function decodeChallenge(buf: Uint8Array, offset = 0, end = buf.length): NtlmChallenge {
  const r = start(buf, offset, end, NtlmMessageType.CHALLENGE);
  const size = r.end - r.base;
  const tn = readFields(r, 'TargetNameFields');
  const negotiateFlags = r.u32le('NegotiateFlags');
  const serverChallenge = hex(r.bytes(8, 'ServerChallenge'));
  const unicode = has(negotiateFlags, F.NTLMSSP_NEGOTIATE_UNICODE);
  const msg: NtlmChallenge = {
    messageType: 2,
    targetName: '',
    negotiateFlags,
    flagNames: negotiateFlagNames(negotiateFlags),
    serverChallenge,
    warnings: [],
  };
  // optional fixed fields exist only when the payload starts after them
  let low = lowestOffset(size, [tn]);
  let ti: Fields | undefined;
  if (size >= 40 && low >= 40) {
    msg.reserved = hex(r.bytes(8, 'Reserved'));
    if (size >= 48 && low >= 48) {
      ti = readFields(r, 'TargetInfoFields');
      low = lowestOffset(size, [tn, ti]);
    }
  }
  msg.targetName = readString(r, tn, 'TargetName', unicode);
  if (ti && ti.len > 0) {
    const w = payload(r, ti, 'TargetInfo');
    const { pairs, warnings } = decodeAvPairs(buf, w.pos, w.end, r.base);
    msg.targetInfo = pairs;
    msg.warnings.push(...warnings);
  }
  if (ti && has(negotiateFlags, F.NTLMSSP_NEGOTIATE_VERSION) && size >= 56 && low >= 56) {
    r.seek(48, 'Version');
    msg.version = readVersion(r);
  }
  return msg;
}

function encodeChallengeBytes(m: NtlmChallenge): Uint8Array {
  const unicode = has(m.negotiateFlags, F.NTLMSSP_NEGOTIATE_UNICODE);
  const w = new Writer(56);
  w.bytes(NTLMSSP_SIGNATURE);
  w.u32(2);
  w.pos = 20;
  w.u32(m.negotiateFlags);
  w.bytes(hexBytes(m.serverChallenge, 'ServerChallenge', 8));
  w.bytes(m.reserved ? hexBytes(m.reserved, 'Reserved', 8) : new Uint8Array(8));
  w.pos = 48;
  w.bytes(versionBytes(m.version));
  return layout(w.out, [
    [12, strBytes(m.targetName, unicode), 'TargetName'],
    [40, m.targetInfo ? encodeAvPairs(m.targetInfo) : new Uint8Array(0), 'TargetInfo'],
  ]);
}

/**
 * CHALLENGE_MESSAGE. Encoding always writes the full 56-byte header (Reserved, TargetInfoFields and
 * the Version slot, zeros when `version` is undefined); set NTLMSSP_NEGOTIATE_VERSION in the flags
 * for a decoder to read the Version back. TargetInfo gets its MsvAvEOL appended.
 */
export const ntlmChallenge: Codec<NtlmChallenge> = {
  encode(value, buf, offset) {
    return placeEncoded(encodeChallengeBytes(value), buf, offset);
  },
  decode: decodeChallenge,
  encodingLength(value) {
    return encodeChallengeBytes(value).length;
  },
};

// ---------------------------------------------------------------------------------------------
// AUTHENTICATE

function decodeNtlmv2Response(nt: ByteReader): Ntlmv2Response {
  const ntProofStr = hex(nt.bytes(16, 'NTProofStr'));
  const respType = nt.u8('RespType');
  const hiRespType = nt.u8('HiRespType');
  nt.skip(2, 'Reserved1');
  nt.skip(4, 'Reserved2');
  const timestamp = filetimeToIso(nt.u64le('TimeStamp'));
  const challengeFromClient = hex(nt.bytes(8, 'ChallengeFromClient'));
  nt.skip(4, 'Reserved3');
  const { pairs } = decodeAvPairs(nt.buf, nt.pos, nt.end, nt.base);
  return { ntProofStr, respType, hiRespType, timestamp, challengeFromClient, avPairs: pairs };
}

function decodeAuthenticate(buf: Uint8Array, offset = 0, end = buf.length): NtlmAuthenticate {
  const r = start(buf, offset, end, NtlmMessageType.AUTHENTICATE);
  const size = r.end - r.base;
  const lm = readFields(r, 'LmChallengeResponseFields');
  const nt = readFields(r, 'NtChallengeResponseFields');
  const dom = readFields(r, 'DomainNameFields');
  const user = readFields(r, 'UserNameFields');
  const ws = readFields(r, 'WorkstationFields');
  const key = readFields(r, 'EncryptedRandomSessionKeyFields');
  const negotiateFlags = r.u32le('NegotiateFlags');
  const unicode = has(negotiateFlags, F.NTLMSSP_NEGOTIATE_UNICODE);
  const low = lowestOffset(size, [lm, nt, dom, user, ws, key]);
  const ntBytes = payload(r, nt, 'NtChallengeResponse');
  const lmHex = hex(payload(r, lm, 'LmChallengeResponse').bytes(lm.len, 'LmChallengeResponse'));
  const ntView = ntBytes.buf.subarray(ntBytes.pos, ntBytes.end);
  const msg: NtlmAuthenticate = {
    messageType: 3,
    negotiateFlags,
    flagNames: negotiateFlagNames(negotiateFlags),
    lmChallengeResponse: lmHex,
    ntChallengeResponse: hex(ntView),
    domainName: readString(r, dom, 'DomainName', unicode),
    userName: readString(r, user, 'UserName', unicode),
    workstation: readString(r, ws, 'Workstation', unicode),
    encryptedRandomSessionKey: hex(payload(r, key, 'EncryptedRandomSessionKey').bytes(key.len, 'EncryptedRandomSessionKey')),
    anonymous: false,
    warnings: [],
  };
  if (has(negotiateFlags, F.NTLMSSP_NEGOTIATE_VERSION) && size >= 72 && low >= 72) {
    r.seek(64, 'Version');
    msg.version = readVersion(r);
  }
  if (size >= 88 && low >= 88) {
    r.seek(72, 'MIC');
    msg.mic = hex(r.bytes(16, 'MIC'));
  }
  if (nt.len > 24) {
    // NTLMv2 (NTLMv1 responses are exactly 24 bytes); the response is opaque to the protocol,
    // so a malformed one is reported, not fatal
    try {
      msg.ntlmv2Response = decodeNtlmv2Response(ntBytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      msg.warnings.push('NTLMV2_RESPONSE_MALFORMED');
    }
  }
  // MS-NLMP §3.2.5.1.2: an anonymous client sends an empty NtChallengeResponse and an empty or
  // Z(1) LmChallengeResponse (smbclient -N still sends a user name)
  msg.anonymous = has(negotiateFlags, F.NTLMSSP_NEGOTIATE_ANONYMOUS) || (nt.len === 0 && lm.len <= 1);
  return msg;
}

function encodeAuthenticateBytes(m: NtlmAuthenticate): Uint8Array {
  const unicode = has(m.negotiateFlags, F.NTLMSSP_NEGOTIATE_UNICODE);
  const headerLen = m.mic !== undefined ? 88 : m.version !== undefined ? 72 : 64;
  const w = new Writer(headerLen);
  w.bytes(NTLMSSP_SIGNATURE);
  w.u32(3);
  w.pos = 60;
  w.u32(m.negotiateFlags);
  if (headerLen >= 72) w.bytes(versionBytes(m.version));
  if (m.mic !== undefined) w.bytes(hexBytes(m.mic, 'MIC', 16));
  return layout(w.out, [
    [12, hexBytes(m.lmChallengeResponse, 'LmChallengeResponse'), 'LmChallengeResponse'],
    [20, hexBytes(m.ntChallengeResponse, 'NtChallengeResponse'), 'NtChallengeResponse'],
    [28, strBytes(m.domainName, unicode), 'DomainName'],
    [36, strBytes(m.userName, unicode), 'UserName'],
    [44, strBytes(m.workstation, unicode), 'Workstation'],
    [52, hexBytes(m.encryptedRandomSessionKey, 'EncryptedRandomSessionKey'), 'EncryptedRandomSessionKey'],
  ]);
}

/**
 * AUTHENTICATE_MESSAGE. Encoding writes a 64-byte header, 72 with `version`, 88 with `mic`;
 * `ntlmv2Response`, `anonymous`, `flagNames` and `warnings` are derived on decode and ignored on encode.
 */
export const ntlmAuthenticate: Codec<NtlmAuthenticate> = {
  encode(value, buf, offset) {
    return placeEncoded(encodeAuthenticateBytes(value), buf, offset);
  },
  decode: decodeAuthenticate,
  encodingLength(value) {
    return encodeAuthenticateBytes(value).length;
  },
};

// ---------------------------------------------------------------------------------------------

/** Decode any NTLMSSP message by its MessageType; UNSUPPORTED for types other than 1-3. */
export function decodeNtlmMessage(buf: Uint8Array, offset = 0, end = buf.length): NtlmMessage {
  const r = start(buf, offset, end, 0);
  r.seek(8, 'MessageType');
  const type = r.u32le('MessageType');
  switch (type) {
    case NtlmMessageType.NEGOTIATE:
      return decodeNegotiate(buf, offset, end);
    case NtlmMessageType.CHALLENGE:
      return decodeChallenge(buf, offset, end);
    case NtlmMessageType.AUTHENTICATE:
      return decodeAuthenticate(buf, offset, end);
    default:
      throw r.error('UNSUPPORTED', 'MessageType', `message type ${type}`, 8);
  }
}

/** Encode any NTLMSSP message by its messageType. */
export function encodeNtlmMessage(m: NtlmMessage): Uint8Array {
  switch (m.messageType) {
    case 1:
      return encodeNegotiateBytes(m);
    case 2:
      return encodeChallengeBytes(m);
    case 3:
      return encodeAuthenticateBytes(m);
  }
}
