/**
 * SMB_COM_SESSION_SETUP_ANDX (0x73): requests in the extended-security form (WordCount 12,
 * MS-SMB §2.2.4.6.1), the NT LM 0.12 form (13, MS-CIFS §2.2.4.53.1) and the LANMAN form (10,
 * MS-CIFS §2.2.4.53.1 older dialects); responses with a security blob (4, MS-SMB §2.2.4.6.2) or
 * without (3, MS-CIFS §2.2.4.53.2). Unicode strings are aligned on an even offset from the SMB
 * header start. Servers that omit trailing strings or their final NUL are tolerated.
 */

import type { Codec } from '../codec.js';
import { placeEncoded } from '../codec.js';
import { ByteReader } from '../reader.js';
import { bitNames, SMB1_HEADER_SIZE, Smb1Capabilities, Smb1Command, Smb1Flags2, Smb1SessionAction } from './constants.js';
import { NO_ANDX, readAndX, type Smb1AndX } from './andx.js';
import { decodeSmb1Frame, encodeSmb1Frame, smb1Header, type Smb1Header } from './header.js';
import { CLIENT_FLAGS, CLIENT_FLAGS2 } from './negotiate.js';
import { readSmbString, Writer } from './wire.js';

interface Common {
  header: Smb1Header;
  /** AndXCommand / AndXReserved / AndXOffset. */
  andx: Smb1AndX;
  /** SMB_Data bytes after the strings this decoder knows. */
  extra: Uint8Array;
}

interface RequestCommon extends Common {
  /** MaxBufferSize (smb.max_buf). */
  maxBufferSize: number;
  /** MaxMpxCount (smb.max_mpx_count). */
  maxMpxCount: number;
  /** VcNumber (smb.vc). */
  vcNumber: number;
  /** SessionKey (smb.session_key). */
  sessionKey: number;
  /** NativeOS (smb.native_os). */
  nativeOs?: string;
  /** NativeLanMan (smb.native_lanman). */
  nativeLanMan?: string;
}

/** WordCount 12: extended security (SPNEGO blob). */
export interface Smb1SessionSetupRequestExtended extends RequestCommon {
  form: 'extended';
  wordCount: 12;
  /** Reserved (4 bytes). */
  reserved: number;
  /** Capabilities (smb.client_cap / smb.server_cap bits). */
  capabilities: number;
  capabilityNames: string[];
  /** SecurityBlob (smb.security_blob); its length is SecurityBlobLength. */
  securityBlob: Uint8Array;
  /** PrimaryDomain (smb.primary_domain): not in MS-SMB, but Samba clients append it. */
  primaryDomain?: string;
}

/** WordCount 13: NT LM 0.12 without extended security (LM/NTLM responses). */
export interface Smb1SessionSetupRequestNt extends RequestCommon {
  form: 'nt';
  wordCount: 13;
  reserved: number;
  capabilities: number;
  capabilityNames: string[];
  /** OEMPassword (smb.ansi_password). */
  oemPassword: Uint8Array;
  /** UnicodePassword (smb.unicode_password). */
  unicodePassword: Uint8Array;
  /** AccountName (smb.account). */
  accountName?: string;
  /** PrimaryDomain (smb.primary_domain). */
  primaryDomain?: string;
}

/** WordCount 10: LANMAN dialects. */
export interface Smb1SessionSetupRequestLanman extends RequestCommon {
  form: 'lanman';
  wordCount: 10;
  reserved: number;
  /** Password (smb.password). */
  password: Uint8Array;
  accountName?: string;
  primaryDomain?: string;
}

/** Any other WordCount: raw. */
export interface Smb1SessionSetupOther {
  form: 'other';
  header: Smb1Header;
  wordCount: number;
  andx?: Smb1AndX;
  words: Uint8Array;
  bytes: Uint8Array;
}

/** An SMB_COM_SESSION_SETUP_ANDX request, by WordCount: extended security (12), NT LM (13), LANMAN (10), or other. */
export type Smb1SessionSetupRequest =
  | Smb1SessionSetupRequestExtended
  | Smb1SessionSetupRequestNt
  | Smb1SessionSetupRequestLanman
  | Smb1SessionSetupOther;

interface ResponseCommon extends Common {
  /** Action (smb.setup.action): 0x01 logged in as guest. */
  action: number;
  actionNames: string[];
  nativeOs?: string;
  nativeLanMan?: string;
  /** PrimaryDomain (smb.primary_domain); some servers omit it. */
  primaryDomain?: string;
}

/** WordCount 4: extended security response. */
export interface Smb1SessionSetupResponseExtended extends ResponseCommon {
  form: 'extended';
  wordCount: 4;
  securityBlob: Uint8Array;
}

/** WordCount 3: response without a blob. */
export interface Smb1SessionSetupResponseNt extends ResponseCommon {
  form: 'nt';
  wordCount: 3;
}

/** WordCount 0 (error answers) or anything else: raw. */
export type Smb1SessionSetupResponse = Smb1SessionSetupResponseExtended | Smb1SessionSetupResponseNt | Smb1SessionSetupOther;

const isUnicode = (h: Smb1Header): boolean => (h.flags2 & Smb1Flags2.UNICODE) !== 0;

/** Read strings in order until the data runs out; returns them (shorter when the server omitted some). */
function readStrings(r: ByteReader, unicode: boolean, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = readSmbString(r, unicode);
    if (s === undefined) break;
    out.push(s);
  }
  return out;
}

/** Write strings in order, stopping at the first absent one (absent ones are trailing). */
function writeStrings(w: Writer, unicode: boolean, list: (string | undefined)[]): void {
  for (const s of list) {
    if (s === undefined) return;
    w.string(s, unicode);
  }
}

function setIf<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

type StringField = 'accountName' | 'primaryDomain' | 'nativeOs' | 'nativeLanMan';

/**
 * The tail of the Bytes block: the strings in `fields` order (those the sender left out stay
 * absent), then whatever follows as `extra`.
 */
function readTail<T extends { extra: Uint8Array } & Partial<Record<StringField, string>>>(v: T, d: ByteReader, unicode: boolean, fields: readonly StringField[]): T {
  readStrings(d, unicode, fields.length).forEach((s, i) => {
    (v as Partial<Record<StringField, string>>)[fields[i]!] = s;
  });
  v.extra = d.bytes(d.remaining, 'Bytes');
  return v;
}

// ---------------------------------------------------------------- request

/** SESSION_SETUP_ANDX request; `decoded`: these bytes' header, already decoded (see decodeSmb1Frame). */
export function decodeSmb1SessionSetupRequest(buf: Uint8Array, offset = 0, end = buf.length, decoded?: Smb1Header): Smb1SessionSetupRequest {
  const { header, block } = decodeSmb1Frame(buf, offset, end, decoded);
  const p = new ByteReader(buf, 'smb1', offset + block.offset + 1, offset + block.bytesOffset - 2, offset);
  const d = new ByteReader(buf, 'smb1', offset + block.bytesOffset, offset + block.end, offset);
  const unicode = isUnicode(header);
  const wc = block.wordCount;
  if (wc !== 12 && wc !== 13 && wc !== 10) {
    const v: Smb1SessionSetupOther = { form: 'other', header, wordCount: wc, words: block.words, bytes: block.bytes };
    setIf(v, 'andx', readAndX(block.words));
    return v;
  }
  const andx: Smb1AndX = { command: p.u8('AndXCommand'), reserved: p.u8('AndXReserved'), offset: p.u16le('AndXOffset') };
  const maxBufferSize = p.u16le('MaxBufferSize');
  const maxMpxCount = p.u16le('MaxMpxCount');
  const vcNumber = p.u16le('VcNumber');
  const sessionKey = p.u32le('SessionKey');
  const common = { header, andx, maxBufferSize, maxMpxCount, vcNumber, sessionKey, extra: new Uint8Array(0) };
  if (wc === 12) {
    const blobLen = p.u16le('SecurityBlobLength');
    const reserved = p.u32le('Reserved');
    const capabilities = p.u32le('Capabilities');
    const v: Smb1SessionSetupRequestExtended = {
      form: 'extended', wordCount: 12, ...common, reserved, capabilities, capabilityNames: bitNames(Smb1Capabilities, capabilities),
      securityBlob: d.bytes(blobLen, 'SecurityBlob'),
    };
    return readTail(v, d, unicode, ['nativeOs', 'nativeLanMan', 'primaryDomain']);
  }
  if (wc === 13) {
    const oemLen = p.u16le('OEMPasswordLen');
    const uniLen = p.u16le('UnicodePasswordLen');
    const reserved = p.u32le('Reserved');
    const capabilities = p.u32le('Capabilities');
    const v: Smb1SessionSetupRequestNt = {
      form: 'nt', wordCount: 13, ...common, reserved, capabilities, capabilityNames: bitNames(Smb1Capabilities, capabilities),
      oemPassword: d.bytes(oemLen, 'OEMPassword'),
      unicodePassword: d.bytes(uniLen, 'UnicodePassword'),
    };
    return readTail(v, d, unicode, ['accountName', 'primaryDomain', 'nativeOs', 'nativeLanMan']);
  }
  const pwLen = p.u16le('PasswordLen');
  const reserved = p.u32le('Reserved');
  const v: Smb1SessionSetupRequestLanman = {
    form: 'lanman', wordCount: 10, ...common, reserved, password: d.bytes(pwLen, 'Password'),
  };
  return readTail(v, d, unicode, ['accountName', 'primaryDomain', 'nativeOs', 'nativeLanMan']);
}

function encodeRequest(v: Smb1SessionSetupRequest): Uint8Array {
  if (v.form === 'other') return encodeSmb1Frame(v.header, v.words, (w) => w.bytes(v.bytes));
  const unicode = isUnicode(v.header);
  const p = new Writer(SMB1_HEADER_SIZE + 1);
  p.u8(v.andx.command).u8(v.andx.reserved).u16(v.andx.offset);
  p.u16(v.maxBufferSize).u16(v.maxMpxCount).u16(v.vcNumber).u32(v.sessionKey);
  if (v.form === 'extended') {
    p.u16(v.securityBlob.length).u32(v.reserved).u32(v.capabilities);
    return encodeSmb1Frame(v.header, p.finish(), (w) => {
      w.bytes(v.securityBlob);
      writeStrings(w, unicode, [v.nativeOs, v.nativeLanMan, v.primaryDomain]);
      w.bytes(v.extra);
    });
  }
  if (v.form === 'nt') {
    p.u16(v.oemPassword.length).u16(v.unicodePassword.length).u32(v.reserved).u32(v.capabilities);
    return encodeSmb1Frame(v.header, p.finish(), (w) => {
      w.bytes(v.oemPassword).bytes(v.unicodePassword);
      writeStrings(w, unicode, [v.accountName, v.primaryDomain, v.nativeOs, v.nativeLanMan]);
      w.bytes(v.extra);
    });
  }
  p.u16(v.password.length).u32(v.reserved);
  return encodeSmb1Frame(v.header, p.finish(), (w) => {
    w.bytes(v.password);
    writeStrings(w, unicode, [v.accountName, v.primaryDomain, v.nativeOs, v.nativeLanMan]);
    w.bytes(v.extra);
  });
}

/** Codec of SMB_COM_SESSION_SETUP_ANDX requests (MS-CIFS §2.2.4.53.1, MS-SMB §2.2.4.6.1). */
export const smb1SessionSetupRequest: Codec<Smb1SessionSetupRequest> = {
  encode: (v, buf, offset) => placeEncoded(encodeRequest(v), buf, offset),
  decode: (buf, offset, end) => decodeSmb1SessionSetupRequest(buf, offset, end),
  encodingLength: (v) => encodeRequest(v).length,
};

/** Options for {@link sessionSetupRequest}. */
export interface SessionSetupRequestInit {
  securityBlob: Uint8Array;
  header?: Partial<Smb1Header>;
  maxBufferSize?: number;
  maxMpxCount?: number;
  vcNumber?: number;
  sessionKey?: number;
  /** Client capabilities; default Unicode, large files, NT SMBs, NT status, level II oplocks, extended security. */
  capabilities?: number;
  nativeOs?: string;
  nativeLanMan?: string;
}

/** An extended-security SESSION_SETUP_ANDX request value (WordCount 12), no chained command. */
export function sessionSetupRequest(o: SessionSetupRequestInit): Smb1SessionSetupRequestExtended {
  const capabilities = (o.capabilities ??
    (Smb1Capabilities.UNICODE | Smb1Capabilities.LARGE_FILES | Smb1Capabilities.NT_SMBS | Smb1Capabilities.STATUS32 |
      Smb1Capabilities.LEVEL_II_OPLOCKS | Smb1Capabilities.EXTENDED_SECURITY)) >>> 0;
  const v: Smb1SessionSetupRequestExtended = {
    form: 'extended',
    wordCount: 12,
    header: smb1Header({ flags: CLIENT_FLAGS, flags2: CLIENT_FLAGS2, ...o.header, command: Smb1Command.SESSION_SETUP_ANDX }),
    andx: { ...NO_ANDX },
    maxBufferSize: o.maxBufferSize ?? 0xffff,
    maxMpxCount: o.maxMpxCount ?? 2,
    vcNumber: o.vcNumber ?? 1,
    sessionKey: o.sessionKey ?? 0,
    reserved: 0,
    capabilities,
    capabilityNames: bitNames(Smb1Capabilities, capabilities),
    securityBlob: o.securityBlob,
    extra: new Uint8Array(0),
  };
  // both strings or none: empty strings are what Windows sends when it has nothing to say
  v.nativeOs = o.nativeOs ?? '';
  v.nativeLanMan = o.nativeLanMan ?? '';
  return v;
}

// ---------------------------------------------------------------- response

/** SESSION_SETUP_ANDX response; `decoded`: these bytes' header, already decoded (see decodeSmb1Frame). */
export function decodeSmb1SessionSetupResponse(buf: Uint8Array, offset = 0, end = buf.length, decoded?: Smb1Header): Smb1SessionSetupResponse {
  const { header, block } = decodeSmb1Frame(buf, offset, end, decoded);
  const p = new ByteReader(buf, 'smb1', offset + block.offset + 1, offset + block.bytesOffset - 2, offset);
  const d = new ByteReader(buf, 'smb1', offset + block.bytesOffset, offset + block.end, offset);
  const wc = block.wordCount;
  if (wc !== 3 && wc !== 4) {
    const v: Smb1SessionSetupOther = { form: 'other', header, wordCount: wc, words: block.words, bytes: block.bytes };
    setIf(v, 'andx', readAndX(block.words));
    return v;
  }
  const andx: Smb1AndX = { command: p.u8('AndXCommand'), reserved: p.u8('AndXReserved'), offset: p.u16le('AndXOffset') };
  const action = p.u16le('Action');
  const common = { header, andx, action, actionNames: bitNames(Smb1SessionAction, action), extra: new Uint8Array(0) };
  let v: Smb1SessionSetupResponseExtended | Smb1SessionSetupResponseNt;
  if (wc === 4) {
    const blobLen = p.u16le('SecurityBlobLength');
    v = { form: 'extended', wordCount: 4, ...common, securityBlob: d.bytes(blobLen, 'SecurityBlob') };
  } else {
    v = { form: 'nt', wordCount: 3, ...common };
  }
  return readTail(v, d, isUnicode(header), ['nativeOs', 'nativeLanMan', 'primaryDomain']);
}

function encodeResponse(v: Smb1SessionSetupResponse): Uint8Array {
  if (v.form === 'other') return encodeSmb1Frame(v.header, v.words, (w) => w.bytes(v.bytes));
  const p = new Writer(SMB1_HEADER_SIZE + 1);
  p.u8(v.andx.command).u8(v.andx.reserved).u16(v.andx.offset).u16(v.action);
  if (v.form === 'extended') p.u16(v.securityBlob.length);
  return encodeSmb1Frame(v.header, p.finish(), (w) => {
    if (v.form === 'extended') w.bytes(v.securityBlob);
    writeStrings(w, isUnicode(v.header), [v.nativeOs, v.nativeLanMan, v.primaryDomain]);
    w.bytes(v.extra);
  });
}

/** Codec of SMB_COM_SESSION_SETUP_ANDX responses (MS-CIFS §2.2.4.53.2, MS-SMB §2.2.4.6.2). */
export const smb1SessionSetupResponse: Codec<Smb1SessionSetupResponse> = {
  encode: (v, buf, offset) => placeEncoded(encodeResponse(v), buf, offset),
  decode: (buf, offset, end) => decodeSmb1SessionSetupResponse(buf, offset, end),
  encodingLength: (v) => encodeResponse(v).length,
};
