/**
 * SMB_COM_NEGOTIATE (0x72): the request's dialect list (MS-CIFS §2.2.4.52.1) and the response in
 * its three shapes, told apart by WordCount (MS-CIFS §2.2.4.52.2, MS-SMB §2.2.4.5.2):
 * 17 = NT LM 0.12 (with or without extended security), 13 = LANMAN 2.x / LM1.2X002, 1 = core
 * or "none of your dialects" (DialectIndex 0xFFFF). Anything else is kept raw.
 */

import type { Codec } from '../codec.js';
import { placeEncoded } from '../codec.js';
import { fixedLayout, Parser } from '../fixed.js';
import { ByteReader, filetimeToIso } from '../reader.js';
import { DecodeError } from '../../errors.js';
import { guidFromString, guidToString } from '../smb2/guid.js';
import {
  bitNames,
  NO_DIALECT,
  SMB1_HEADER_SIZE,
  Smb1Capabilities,
  Smb1Command,
  Smb1Dialect,
  Smb1Flags,
  Smb1Flags2,
  Smb1SecurityMode,
} from './constants.js';
import { decodeSmb1Frame, encodeSmb1Frame, smb1Header, type Smb1Header } from './header.js';
import { readSmbString, Writer } from './wire.js';

// ---------------------------------------------------------------- request

/** NEGOTIATE request: WordCount 0, then each dialect as BufferFormat 0x02 + OEM string + NUL. */
export interface Smb1NegotiateRequest {
  header: Smb1Header;
  /** Dialect names in the order offered (smb.dialect.name). */
  dialects: string[];
}

/** BufferFormat of a dialect string (MS-CIFS §2.2.4.52.1). */
const DIALECT_BUFFER_FORMAT = 0x02;

/** NEGOTIATE request; `header`: these bytes' header, already decoded (see decodeSmb1Frame). */
export function decodeSmb1NegotiateRequest(buf: Uint8Array, offset = 0, end = buf.length, decoded?: Smb1Header): Smb1NegotiateRequest {
  const { header, block } = decodeSmb1Frame(buf, offset, end, decoded);
  if (block.wordCount !== 0) throw new DecodeError('BAD_VALUE', 'smb1', 'WordCount', block.offset, `NEGOTIATE request has WordCount ${block.wordCount}`);
  const r = new ByteReader(buf, 'smb1', offset + block.bytesOffset, offset + block.end, offset);
  const dialects: string[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const fmt = r.u8('BufferFormat');
    if (fmt !== DIALECT_BUFFER_FORMAT) throw new DecodeError('BAD_VALUE', 'smb1', 'BufferFormat', at, `dialect BufferFormat 0x${fmt.toString(16)}`);
    dialects.push(r.cstring('DialectName', 'latin1'));
  }
  return { header, dialects };
}

function encodeRequest(v: Smb1NegotiateRequest): Uint8Array {
  return encodeSmb1Frame(v.header, new Uint8Array(0), (w) => {
    for (const d of v.dialects) w.u8(DIALECT_BUFFER_FORMAT).string(d, false);
  });
}

/** Codec of SMB_COM_NEGOTIATE requests (MS-CIFS §2.2.4.52.1). */
export const smb1NegotiateRequest: Codec<Smb1NegotiateRequest> = {
  encode: (v, buf, offset) => placeEncoded(encodeRequest(v), buf, offset),
  decode: (buf, offset, end) => decodeSmb1NegotiateRequest(buf, offset, end),
  encodingLength: (v) => {
    let n = SMB1_HEADER_SIZE + 1 + 2;
    for (const d of v.dialects) n += 2 + Buffer.byteLength(d, 'latin1');
    return n;
  },
};

/** Dialects of a multi-protocol negotiate (MS-SMB2 §3.2.4.2.2.1). */
export const MULTI_PROTOCOL_DIALECTS: readonly string[] = [Smb1Dialect.NT_LM_0_12, Smb1Dialect.SMB_2_002, Smb1Dialect.SMB_2_WILDCARD];
/** Flags a modern client sends: case-insensitive, canonicalized paths. */
export const CLIENT_FLAGS = Smb1Flags.CASE_INSENSITIVE | Smb1Flags.CANONICALIZED_PATHS;
/** Flags2 a modern client sends: Unicode, NT status, extended security, long names. */
export const CLIENT_FLAGS2 = Smb1Flags2.UNICODE | Smb1Flags2.NT_STATUS | Smb1Flags2.EXTENDED_SECURITY | Smb1Flags2.LONG_NAMES;

/** Per-connection values a probe chooses (random per run: no fixed, signature-able values). */
export interface NegotiateRequestOptions {
  pidLow?: number;
  pidHigh?: number;
  mid?: number;
  tid?: number;
  /** Override the offered dialects. */
  dialects?: readonly string[];
  /** Override Flags / Flags2. */
  flags?: number;
  flags2?: number;
}

function negotiateWith(defaults: readonly string[], o: NegotiateRequestOptions): Smb1NegotiateRequest {
  return {
    header: smb1Header({
      command: Smb1Command.NEGOTIATE,
      flags: o.flags ?? CLIENT_FLAGS,
      flags2: o.flags2 ?? CLIENT_FLAGS2,
      pidLow: o.pidLow ?? 0,
      pidHigh: o.pidHigh ?? 0,
      mid: o.mid ?? 0,
      tid: o.tid ?? 0,
    }),
    dialects: [...(o.dialects ?? defaults)],
  };
}

/** SMB1 NEGOTIATE offering `NT LM 0.12`, `SMB 2.002`, `SMB 2.???`: an SMB2 server answers in SMB2. */
export function multiProtocolNegotiate(o: NegotiateRequestOptions = {}): Smb1NegotiateRequest {
  return negotiateWith(MULTI_PROTOCOL_DIALECTS, o);
}

/** SMB1-only NEGOTIATE offering `NT LM 0.12`: tells "SMB1 on" from "SMB1 off" (DialectIndex 0xFFFF). */
export function smb1OnlyNegotiate(o: NegotiateRequestOptions = {}): Smb1NegotiateRequest {
  return negotiateWith([Smb1Dialect.NT_LM_0_12], o);
}

// ---------------------------------------------------------------- response

interface ResponseBase {
  header: Smb1Header;
  /** WordCount (smb.wct). */
  wordCount: number;
  /** DialectIndex (smb.dialect.index); 0xFFFF = none of the offered dialects. */
  dialectIndex: number;
  /** The offered dialect DialectIndex names, when the decoder was given the offered list. */
  dialect?: string;
  /** Bytes of SMB_Data after the fields this decoder knows. */
  extra: Uint8Array;
}

/** WordCount 17: NT LM 0.12 (MS-CIFS §2.2.4.52.2; extended security form MS-SMB §2.2.4.5.2.1). */
export interface Smb1NegotiateResponseNt extends ResponseBase {
  form: 'nt';
  /** SecurityMode (smb.sm), bits in {@link Smb1SecurityMode}. */
  securityMode: number;
  securityModeNames: string[];
  /** MaxMpxCount (smb.max_mpx_count). */
  maxMpxCount: number;
  /** MaxNumberVcs (smb.max_vcs). */
  maxNumberVcs: number;
  /** MaxBufferSize (smb.max_bufsize). */
  maxBufferSize: number;
  /** MaxRawSize (smb.max_raw). */
  maxRawSize: number;
  /** SessionKey (smb.session_key). */
  sessionKey: number;
  /** Capabilities (smb.server_cap), bits in {@link Smb1Capabilities}. */
  capabilities: number;
  capabilityNames: string[];
  /** SystemTime (smb.system.time) as ISO-8601 UTC; null for 0 or out of range. */
  systemTime: string | null;
  /** SystemTime, the raw FILETIME as a decimal string. */
  systemTimeRaw: string;
  /** ServerTimeZone (smb.server_timezone): minutes to add to local time to get UTC. */
  serverTimeZone: number;
  /** ChallengeLength (smb.challenge_length). */
  challengeLength: number;
  /** CAP_EXTENDED_SECURITY is set: the data block is ServerGUID + SecurityBlob. */
  extendedSecurity: boolean;
  /** ServerGUID (smb.server_guid), Microsoft mixed-endian form (extended security only). */
  serverGuid?: string;
  /** SecurityBlob (smb.security_blob): the SPNEGO token (extended security only). */
  securityBlob?: Uint8Array;
  /** Challenge (smb.challenge), ChallengeLength bytes (without extended security). */
  challenge?: Uint8Array;
  /** DomainName (smb.primary_domain), absent when the server sent none. */
  domainName?: string;
  /** ServerName (smb.server), absent when the server sent none (older Samba). */
  serverName?: string;
}

/** WordCount 13: LANMAN 2.x / LM1.2X002 response (MS-CIFS §2.2.4.52.2 older dialects, [XOPEN-SMB]). */
export interface Smb1NegotiateResponseLanman extends ResponseBase {
  form: 'lanman';
  /** SecurityMode (smb.sm), u16 here. */
  securityMode: number;
  securityModeNames: string[];
  /** MaxBufferSize (smb.max_buf). */
  maxBufferSize: number;
  maxMpxCount: number;
  maxNumberVcs: number;
  /** RawMode (smb.rm): 0x01 read raw, 0x02 write raw. */
  rawMode: number;
  sessionKey: number;
  /** ServerTime, SMB_TIME (smb.server_date_time.smb_time). */
  serverTime: number;
  /** ServerDate, SMB_DATE (smb.server_date_time.smb_date). */
  serverDate: number;
  /** ServerDate + ServerTime as `YYYY-MM-DDTHH:MM:SS` in the server's local time; null if invalid. */
  serverDateTime: string | null;
  /** ServerTimeZone (smb.server_timezone), minutes. */
  serverTimeZone: number;
  /** EncryptionKeyLength (smb.challenge_length). */
  encryptionKeyLength: number;
  /** Reserved word. */
  reserved: number;
  /** EncryptionKey (smb.challenge). */
  encryptionKey: Uint8Array;
  /** PrimaryDomain (smb.primary_domain), OEM, when a NUL-terminated string follows the key. */
  primaryDomain?: string;
}

/** WordCount 1: core-protocol answer, or DialectIndex 0xFFFF ("none of the offered dialects"). */
export interface Smb1NegotiateResponseCore extends ResponseBase {
  form: 'core';
}

/** Any other WordCount (0 in error answers): raw words and bytes. */
export interface Smb1NegotiateResponseOther {
  form: 'other';
  header: Smb1Header;
  wordCount: number;
  /** First word when there is one. */
  dialectIndex?: number;
  dialect?: string;
  words: Uint8Array;
  bytes: Uint8Array;
}

/** An SMB_COM_NEGOTIATE response, by the shape the selected dialect gives it (`form`): NT LM 0.12, LANMAN, core, or other. */
export type Smb1NegotiateResponse =
  | Smb1NegotiateResponseNt
  | Smb1NegotiateResponseLanman
  | Smb1NegotiateResponseCore
  | Smb1NegotiateResponseOther;

interface NtWords {
  dialectIndex: number;
  securityMode: number;
  maxMpxCount: number;
  maxNumberVcs: number;
  maxBufferSize: number;
  maxRawSize: number;
  sessionKey: number;
  capabilities: number;
  systemTime: bigint;
  serverTimeZone: number;
  challengeLength: number;
}

const NT_WORDS_SIZE = 34;

/** The 17 parameter words of an NT LM 0.12 answer, read by hand (a parser object and a view per answer showed in capture profiles). */
function ntWords(buf: Uint8Array, offset: number, at: number): NtWords {
  if (offset < 0 || buf.length - offset < NT_WORDS_SIZE) {
    throw new DecodeError('TRUNCATED', 'smb1', 'SMB_Parameters', at, `needs ${NT_WORDS_SIZE} bytes, ${Math.max(0, buf.length - offset)} present`);
  }
  const r = new ByteReader(buf, 'smb1', offset, offset + NT_WORDS_SIZE);
  return {
    dialectIndex: r.u16le('DialectIndex'),
    securityMode: r.u8('SecurityMode'),
    maxMpxCount: r.u16le('MaxMpxCount'),
    maxNumberVcs: r.u16le('MaxNumberVcs'),
    maxBufferSize: r.u32le('MaxBufferSize'),
    maxRawSize: r.u32le('MaxRawSize'),
    sessionKey: r.u32le('SessionKey'),
    capabilities: r.u32le('Capabilities'),
    systemTime: r.u64le('SystemTime'),
    serverTimeZone: r.i16le('ServerTimeZone'),
    challengeLength: r.u8('ChallengeLength'),
  };
}

interface LanmanWords {
  dialectIndex: number;
  securityMode: number;
  maxBufferSize: number;
  maxMpxCount: number;
  maxNumberVcs: number;
  rawMode: number;
  sessionKey: number;
  serverTime: number;
  serverDate: number;
  serverTimeZone: number;
  encryptionKeyLength: number;
  reserved: number;
}

const LANMAN_WORDS = fixedLayout<LanmanWords>(
  'smb1',
  'SMB_Parameters',
  26,
  new Parser()
    .endianness('little')
    .uint16('dialectIndex')
    .uint16('securityMode')
    .uint16('maxBufferSize')
    .uint16('maxMpxCount')
    .uint16('maxNumberVcs')
    .uint16('rawMode')
    .uint32('sessionKey')
    .uint16('serverTime')
    .uint16('serverDate')
    .int16('serverTimeZone')
    .uint16('encryptionKeyLength')
    .uint16('reserved'),
);

/** SMB_DATE + SMB_TIME (MS-CIFS §2.2.1.4.1-2) as local `YYYY-MM-DDTHH:MM:SS`; null when invalid. */
export function smbDateTimeToString(date: number, time: number): string | null {
  const day = date & 0x1f;
  const month = (date >> 5) & 0x0f;
  const year = 1980 + (date >> 9);
  const sec = (time & 0x1f) * 2;
  const min = (time >> 5) & 0x3f;
  const hour = time >> 11;
  if (day === 0 || month === 0 || month > 12 || hour > 23 || min > 59 || sec > 59) return null;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${year}-${p(month)}-${p(day)}T${p(hour)}:${p(min)}:${p(sec)}`;
}

/** The offered dialect at `index`, undefined for 0xFFFF or out of range. */
export function resolveDialect(index: number, offered: readonly string[]): string | undefined {
  return index === NO_DIALECT ? undefined : offered[index];
}

/** True when the NT LM strings are Unicode: Wireshark and Samba follow CAP_UNICODE here, not only Flags2. */
function ntStringsUnicode(header: Smb1Header, capabilities: number): boolean {
  return (header.flags2 & Smb1Flags2.UNICODE) !== 0 || (capabilities & Smb1Capabilities.UNICODE) !== 0;
}

/**
 * Decode a NEGOTIATE response; with `offered` (the request's dialects) `dialect` names the pick.
 */
export function decodeSmb1NegotiateResponse(
  buf: Uint8Array,
  offset = 0,
  end = buf.length,
  offered?: readonly string[],
  decoded?: Smb1Header,
): Smb1NegotiateResponse {
  const { header, block } = decodeSmb1Frame(buf, offset, end, decoded);
  const wordsAt = offset + block.offset + 1;
  const data = new ByteReader(buf, 'smb1', offset + block.bytesOffset, offset + block.end, offset);
  const named = <T extends { dialectIndex?: number; dialect?: string }>(v: T): T => {
    if (offered && v.dialectIndex !== undefined) {
      const d = resolveDialect(v.dialectIndex, offered);
      if (d !== undefined) v.dialect = d;
    }
    return v;
  };

  if (block.wordCount === 17) {
    const w = ntWords(buf, wordsAt, block.offset + 1);
    const extendedSecurity = (w.capabilities & Smb1Capabilities.EXTENDED_SECURITY) !== 0;
    const v: Smb1NegotiateResponseNt = {
      form: 'nt',
      header,
      wordCount: 17,
      dialectIndex: w.dialectIndex,
      securityMode: w.securityMode,
      securityModeNames: bitNames(Smb1SecurityMode, w.securityMode),
      maxMpxCount: w.maxMpxCount,
      maxNumberVcs: w.maxNumberVcs,
      maxBufferSize: w.maxBufferSize,
      maxRawSize: w.maxRawSize,
      sessionKey: w.sessionKey,
      capabilities: w.capabilities >>> 0,
      capabilityNames: bitNames(Smb1Capabilities, w.capabilities),
      systemTime: filetimeToIso(w.systemTime),
      systemTimeRaw: w.systemTime.toString(),
      serverTimeZone: w.serverTimeZone,
      challengeLength: w.challengeLength,
      extendedSecurity,
      extra: new Uint8Array(0),
    };
    if (extendedSecurity) {
      v.serverGuid = guidToString(data.bytes(16, 'ServerGUID'));
      v.securityBlob = data.bytes(data.remaining, 'SecurityBlob');
    } else {
      v.challenge = data.bytes(w.challengeLength, 'Challenge');
      // DomainName and ServerName follow the challenge with no alignment pad, even when odd
      const unicode = ntStringsUnicode(header, w.capabilities);
      const domainName = readSmbString(data, unicode, false);
      if (domainName !== undefined) v.domainName = domainName;
      const serverName = readSmbString(data, unicode, false);
      if (serverName !== undefined) v.serverName = serverName;
    }
    v.extra = data.bytes(data.remaining, 'Bytes');
    return named(v);
  }

  if (block.wordCount === 13) {
    const w = LANMAN_WORDS.decode(buf, wordsAt, block.offset + 1);
    const v: Smb1NegotiateResponseLanman = {
      form: 'lanman',
      header,
      wordCount: 13,
      dialectIndex: w.dialectIndex,
      securityMode: w.securityMode,
      securityModeNames: bitNames(Smb1SecurityMode, w.securityMode),
      maxBufferSize: w.maxBufferSize,
      maxMpxCount: w.maxMpxCount,
      maxNumberVcs: w.maxNumberVcs,
      rawMode: w.rawMode,
      sessionKey: w.sessionKey,
      serverTime: w.serverTime,
      serverDate: w.serverDate,
      serverDateTime: smbDateTimeToString(w.serverDate, w.serverTime),
      serverTimeZone: w.serverTimeZone,
      encryptionKeyLength: w.encryptionKeyLength,
      reserved: w.reserved,
      encryptionKey: data.bytes(w.encryptionKeyLength, 'EncryptionKey'),
      extra: new Uint8Array(0),
    };
    // only a NUL-terminated OEM string counts as PrimaryDomain; other bytes stay in `extra`
    const nul = data.buf.subarray(data.pos, data.end).indexOf(0);
    if (nul >= 0) v.primaryDomain = data.cstring('PrimaryDomain', 'latin1');
    v.extra = data.bytes(data.remaining, 'Bytes');
    return named(v);
  }

  if (block.wordCount === 1) {
    const dialectIndex = block.words[0]! | (block.words[1]! << 8);
    return named<Smb1NegotiateResponseCore>({ form: 'core', header, wordCount: 1, dialectIndex, extra: block.bytes });
  }

  const other: Smb1NegotiateResponseOther = { form: 'other', header, wordCount: block.wordCount, words: block.words, bytes: block.bytes };
  if (block.wordCount >= 1) other.dialectIndex = block.words[0]! | (block.words[1]! << 8);
  return named(other);
}

function encodeResponse(v: Smb1NegotiateResponse): Uint8Array {
  switch (v.form) {
    case 'nt': {
      const p = new Writer(SMB1_HEADER_SIZE + 1);
      p.u16(v.dialectIndex).u8(v.securityMode).u16(v.maxMpxCount).u16(v.maxNumberVcs).u32(v.maxBufferSize)
        .u32(v.maxRawSize).u32(v.sessionKey).u32(v.capabilities).u64(BigInt(v.systemTimeRaw))
        .i16(v.serverTimeZone).u8(v.challengeLength);
      return encodeSmb1Frame(v.header, p.finish(), (w) => {
        if ((v.capabilities & Smb1Capabilities.EXTENDED_SECURITY) !== 0) {
          w.bytes(guidFromString(v.serverGuid ?? '00000000-0000-0000-0000-000000000000'));
          w.bytes(v.securityBlob ?? new Uint8Array(0));
        } else {
          w.bytes(v.challenge ?? new Uint8Array(0));
          const unicode = ntStringsUnicode(v.header, v.capabilities);
          if (v.domainName !== undefined) {
            w.string(v.domainName, unicode, false);
            if (v.serverName !== undefined) w.string(v.serverName, unicode, false);
          }
        }
        w.bytes(v.extra);
      });
    }
    case 'lanman': {
      const p = new Writer(SMB1_HEADER_SIZE + 1);
      p.u16(v.dialectIndex).u16(v.securityMode).u16(v.maxBufferSize).u16(v.maxMpxCount).u16(v.maxNumberVcs)
        .u16(v.rawMode).u32(v.sessionKey).u16(v.serverTime).u16(v.serverDate).i16(v.serverTimeZone)
        .u16(v.encryptionKeyLength).u16(v.reserved);
      return encodeSmb1Frame(v.header, p.finish(), (w) => {
        w.bytes(v.encryptionKey);
        if (v.primaryDomain !== undefined) w.string(v.primaryDomain, false);
        w.bytes(v.extra);
      });
    }
    case 'core': {
      const p = new Writer().u16(v.dialectIndex);
      return encodeSmb1Frame(v.header, p.finish(), (w) => w.bytes(v.extra));
    }
    case 'other':
      return encodeSmb1Frame(v.header, v.words, (w) => w.bytes(v.bytes));
  }
}

/** Codec of SMB_COM_NEGOTIATE responses (MS-CIFS §2.2.4.52.2, MS-SMB §2.2.4.5.2). Decoding needs the offered dialects to name the selected one: use {@link decodeSmb1NegotiateResponse} for that. */
export const smb1NegotiateResponse: Codec<Smb1NegotiateResponse> = {
  encode: (v, buf, offset) => placeEncoded(encodeResponse(v), buf, offset),
  decode: (buf, offset, end) => decodeSmb1NegotiateResponse(buf, offset, end),
  encodingLength: (v) => encodeResponse(v).length,
};

/** Options for {@link ntNegotiateResponse}: everything a test responder may want to vary. */
export interface NtNegotiateResponseInit {
  header?: Partial<Smb1Header>;
  dialectIndex: number;
  securityMode?: number;
  maxMpxCount?: number;
  maxNumberVcs?: number;
  maxBufferSize?: number;
  maxRawSize?: number;
  sessionKey?: number;
  capabilities?: number;
  /** FILETIME as bigint. */
  systemTime?: bigint;
  serverTimeZone?: number;
  serverGuid?: string;
  securityBlob?: Uint8Array;
  challenge?: Uint8Array;
  domainName?: string;
  serverName?: string;
}

/**
 * A WordCount-17 response value with Samba-like defaults; extended security when `capabilities`
 * has CAP_EXTENDED_SECURITY (the default), else challenge + names.
 */
export function ntNegotiateResponse(o: NtNegotiateResponseInit): Smb1NegotiateResponseNt {
  const capabilities = (o.capabilities ?? 0x8000f3fd) >>> 0;
  const ext = (capabilities & Smb1Capabilities.EXTENDED_SECURITY) !== 0;
  const securityMode = o.securityMode ?? 0x03;
  const systemTime = o.systemTime ?? 0n;
  const header = smb1Header({
    flags: Smb1Flags.REPLY | CLIENT_FLAGS,
    flags2: CLIENT_FLAGS2,
    ...o.header,
    command: Smb1Command.NEGOTIATE,
  });
  const v: Smb1NegotiateResponseNt = {
    form: 'nt',
    header,
    wordCount: 17,
    dialectIndex: o.dialectIndex,
    securityMode,
    securityModeNames: bitNames(Smb1SecurityMode, securityMode),
    maxMpxCount: o.maxMpxCount ?? 50,
    maxNumberVcs: o.maxNumberVcs ?? 1,
    maxBufferSize: o.maxBufferSize ?? 65535,
    maxRawSize: o.maxRawSize ?? 65536,
    sessionKey: o.sessionKey ?? 0,
    capabilities,
    capabilityNames: bitNames(Smb1Capabilities, capabilities),
    systemTime: filetimeToIso(systemTime),
    systemTimeRaw: systemTime.toString(),
    serverTimeZone: o.serverTimeZone ?? 0,
    challengeLength: ext ? 0 : (o.challenge?.length ?? 8),
    extendedSecurity: ext,
    extra: new Uint8Array(0),
  };
  if (ext) {
    v.serverGuid = o.serverGuid ?? '00000000-0000-0000-0000-000000000000';
    v.securityBlob = o.securityBlob ?? new Uint8Array(0);
  } else {
    v.challenge = o.challenge ?? new Uint8Array(8);
    if (o.domainName !== undefined) v.domainName = o.domainName;
    if (o.domainName !== undefined && o.serverName !== undefined) v.serverName = o.serverName;
  }
  return v;
}

/** A WordCount-1 "none of the offered dialects" answer (DialectIndex 0xFFFF), as Samba sends with SMB1 off. */
export function noDialectNegotiateResponse(header: Partial<Smb1Header> = {}): Smb1NegotiateResponseCore {
  return {
    form: 'core',
    header: smb1Header({ flags: Smb1Flags.REPLY | CLIENT_FLAGS, flags2: CLIENT_FLAGS2, ...header, command: Smb1Command.NEGOTIATE }),
    wordCount: 1,
    dialectIndex: NO_DIALECT,
    extra: new Uint8Array(0),
  };
}
