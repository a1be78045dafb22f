import { DecodeError } from '../errors.js';
import type { Codec } from './codec.js';
import { placeEncoded } from './codec.js';
import {
  DerReader,
  TagClass,
  UniversalTag,
  bitStringToFlags,
  decodeBitString,
  decodeGeneralString,
  decodeInteger,
  decodeOid,
  derApplication,
  derBitStringFlags,
  derContext,
  derEnumerated,
  derGeneralString,
  derOctetString,
  derOid,
  derSequence,
  type DerElement,
} from './der.js';
import { decodeNtlmMessage, isNtlmssp, type NtlmMessage } from './ntlmssp.js';
import { knownBitNames } from './names.js';
import { hex } from './reader.js';

/**
 * SPNEGO (RFC 4178, with MS-SPNG's NegTokenInit2) inside the GSS-API framing of RFC 2743 §3.1:
 *
 *   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech OID, innerContextToken ANY }
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *   NegTokenInit  ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] }
 *   NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], negHints [3], mechListMIC [4] }
 *   NegTokenResp  ::= SEQUENCE { negState [0], supportedMech [1], responseToken [2], mechListMIC [3] }
 *
 * Tag/length errors carry protocol 'der', structure errors (wrong tag, missing mechTypes) 'spnego'.
 * Offsets count from the start of the security blob. Binary fields are hex strings.
 */

export const SPNEGO_OID = '1.3.6.1.5.5.2';

/** Mechanism OIDs by name. */
export const MechOid = {
  NTLMSSP: '1.3.6.1.4.1.311.2.2.10',
  KRB5: '1.2.840.113554.1.2.2',
  'MS-KRB5': '1.2.840.48018.1.2.2',
  'KRB5-U2U': '1.2.840.113554.1.2.2.3',
  NEGOEX: '1.3.6.1.4.1.311.2.2.30',
  SPNEGO: SPNEGO_OID,
} as const;
/** Name of a mechanism in {@link MechOid}. */
export type MechName = keyof typeof MechOid;

const MECH_BY_OID = new Map<string, MechName>(Object.entries(MechOid).map(([k, v]) => [v, k as MechName]));

/** An OID with its name when known; unknown OIDs keep only the dotted string. */
export interface MechType {
  oid: string;
  name?: MechName;
}

/** A mechanism OID with its name when known. */
export function mechType(oid: string): MechType {
  const name = MECH_BY_OID.get(oid);
  return name ? { oid, name } : { oid };
}

/** ContextFlags named bits (RFC 4178 §4.2.1), bit i at 1<<i. */
export const ContextFlag = {
  delegFlag: 1 << 0,
  mutualFlag: 1 << 1,
  replayFlag: 1 << 2,
  sequenceFlag: 1 << 3,
  anonFlag: 1 << 4,
  confFlag: 1 << 5,
  integFlag: 1 << 6,
} as const;
/** Name of a ContextFlags bit (RFC 4178 §4.2.1). */
export type ContextFlagName = keyof typeof ContextFlag;

/** The reqFlags BIT STRING of a NegTokenInit, as bits and names. */
export interface ContextFlags {
  /** Bit i of the BIT STRING at 1<<i (bits past 31 dropped). */
  value: number;
  names: ContextFlagName[];
}

function contextFlags(value: number): ContextFlags {
  return { value, names: knownBitNames(ContextFlag, value) };
}

/** negState values of a NegTokenResp (RFC 4178 §4.2.2). */
export const NegState = {
  'accept-completed': 0,
  'accept-incomplete': 1,
  reject: 2,
  'request-mic': 3,
} as const;
/** Name of a negState value. */
export type NegStateName = keyof typeof NegState;
const NEG_STATE_NAMES = Object.keys(NegState) as NegStateName[];

/** MS-SPNG NegHints. */
export interface NegHints {
  /** hintName GeneralString, e.g. "not_defined_in_RFC4178@please_ignore". */
  hintName?: string;
  /** hintAddress, hex. */
  hintAddress?: string;
}

/** NegTokenInit (RFC 4178 §4.2.1), with the negHints Windows and Samba add (MS-SPNG §2.2.1). */
export interface NegTokenInit {
  mechTypes: MechType[];
  reqFlags?: ContextFlags;
  /** mechToken, hex. */
  mechToken?: string;
  /** NegTokenInit2's negHints (servers' negotiate response). */
  negHints?: NegHints;
  /** mechListMIC, hex. */
  mechListMIC?: string;
}

/** NegTokenResp (RFC 4178 §4.2.2). */
export interface NegTokenResp {
  /** By name; an unknown ENUMERATED value stays a number. */
  negState?: NegStateName | number;
  supportedMech?: MechType;
  /** responseToken, hex. */
  responseToken?: string;
  /** mechListMIC, hex. */
  mechListMIC?: string;
}

// ---------------------------------------------------------------------------------------------
// decoding

function structErr(code: DecodeError['code'], field: string, r: DerReader, at: number, detail?: string): DecodeError {
  return new DecodeError(code, 'spnego', field, at - r.base, detail);
}

function readOid(r: DerReader, field: string): string {
  const el = r.expect(TagClass.UNIVERSAL, UniversalTag.OBJECT_IDENTIFIER, field, false, 'spnego');
  return decodeOid(r.content(el), field, el.offset);
}

function readOctets(r: DerReader, field: string): Uint8Array {
  const el = r.expect(TagClass.UNIVERSAL, UniversalTag.OCTET_STRING, field, false, 'spnego');
  return r.content(el);
}

/** Content of an explicit `[n]` holding exactly one element, read by `inner`. */
function explicit<T>(r: DerReader, el: DerElement, field: string, inner: (r: DerReader) => T): T {
  if (!el.constructed) throw structErr('BAD_VALUE', field, r, el.start, 'context tag not constructed');
  const c = r.enter(el, field);
  const v = inner(c);
  if (!c.done) throw structErr('BAD_LENGTH', field, r, c.pos, 'trailing bytes inside the tag');
  return v;
}

/**
 * Walk a SEQUENCE of context-tagged fields in increasing tag order, calling `on(tag, el, r)`;
 * unknown higher tags are skipped (extensibility), repeated or out-of-order tags are BAD_VALUE.
 */
function contextFields(r: DerReader, seqField: string, on: (tag: number, el: DerElement, r: DerReader) => void): void {
  const seq = r.expect(TagClass.UNIVERSAL, UniversalTag.SEQUENCE, seqField, true, 'spnego');
  const s = r.enter(seq, seqField);
  let last = -1;
  while (!s.done) {
    const el = s.read(seqField);
    if (el.cls !== TagClass.CONTEXT) throw structErr('BAD_VALUE', seqField, s, el.start, 'expected a context tag');
    if (el.tag <= last) throw structErr('BAD_VALUE', seqField, s, el.start, `tag [${el.tag}] out of order`);
    last = el.tag;
    on(el.tag, el, s);
  }
}

function decodeNegTokenInitBody(r: DerReader): NegTokenInit {
  let mechTypes: MechType[] | undefined;
  const out: Partial<NegTokenInit> = {};
  const seqAt = r.pos;
  contextFields(r, 'NegTokenInit', (tag, el, s) => {
    switch (tag) {
      case 0:
        mechTypes = explicit(s, el, 'mechTypes', (c) => {
          const seq = c.expect(TagClass.UNIVERSAL, UniversalTag.SEQUENCE, 'mechTypes', true, 'spnego');
          const m = c.enter(seq, 'mechTypes');
          const list: MechType[] = [];
          while (!m.done) list.push(mechType(readOid(m, 'MechType')));
          return list;
        });
        break;
      case 1:
        out.reqFlags = explicit(s, el, 'reqFlags', (c) => {
          const bs = c.expect(TagClass.UNIVERSAL, UniversalTag.BIT_STRING, 'reqFlags', false, 'spnego');
          return contextFlags(bitStringToFlags(decodeBitString(c.content(bs), 'reqFlags', bs.offset)));
        });
        break;
      case 2:
        out.mechToken = hex(explicit(s, el, 'mechToken', (c) => readOctets(c, 'mechToken')));
        break;
      case 3: {
        // RFC 4178 puts mechListMIC (OCTET STRING) here, NegTokenInit2 puts negHints (SEQUENCE)
        const first = el.constructed ? s.enter(el, 'negHints').peek('negHints') : undefined;
        if (first && first.cls === TagClass.UNIVERSAL && first.tag === UniversalTag.SEQUENCE) {
          out.negHints = explicit(s, el, 'negHints', decodeNegHints);
        } else {
          out.mechListMIC = hex(explicit(s, el, 'mechListMIC', (c) => readOctets(c, 'mechListMIC')));
        }
        break;
      }
      case 4:
        out.mechListMIC = hex(explicit(s, el, 'mechListMIC', (c) => readOctets(c, 'mechListMIC')));
        break;
      default:
        break;
    }
  });
  if (!mechTypes) throw structErr('BAD_VALUE', 'mechTypes', r, seqAt, 'NegTokenInit without mechTypes');
  const init: NegTokenInit = { mechTypes };
  if (out.reqFlags) init.reqFlags = out.reqFlags;
  if (out.mechToken !== undefined) init.mechToken = out.mechToken;
  if (out.negHints) init.negHints = out.negHints;
  if (out.mechListMIC !== undefined) init.mechListMIC = out.mechListMIC;
  return init;
}

function decodeNegHints(r: DerReader): NegHints {
  const hints: NegHints = {};
  contextFields(r, 'negHints', (tag, el, s) => {
    if (tag === 0) {
      hints.hintName = explicit(s, el, 'hintName', (c) => {
        const g = c.read('hintName');
        // GeneralString per MS-SPNG; accept any primitive string type
        if (g.constructed || g.cls !== TagClass.UNIVERSAL) throw structErr('BAD_VALUE', 'hintName', c, g.start, 'not a string');
        return decodeGeneralString(c.content(g));
      });
    } else if (tag === 1) {
      hints.hintAddress = hex(explicit(s, el, 'hintAddress', (c) => readOctets(c, 'hintAddress')));
    }
  });
  return hints;
}

function decodeNegTokenRespBody(r: DerReader): NegTokenResp {
  const resp: NegTokenResp = {};
  contextFields(r, 'NegTokenResp', (tag, el, s) => {
    switch (tag) {
      case 0:
        resp.negState = explicit(s, el, 'negState', (c) => {
          const e = c.expect(TagClass.UNIVERSAL, UniversalTag.ENUMERATED, 'negState', false, 'spnego');
          const v = decodeInteger(c.content(e), 'negState', e.offset);
          return NEG_STATE_NAMES[v] ?? v;
        });
        break;
      case 1:
        resp.supportedMech = mechType(explicit(s, el, 'supportedMech', (c) => readOid(c, 'supportedMech')));
        break;
      case 2:
        resp.responseToken = hex(explicit(s, el, 'responseToken', (c) => readOctets(c, 'responseToken')));
        break;
      case 3:
        resp.mechListMIC = hex(explicit(s, el, 'mechListMIC', (c) => readOctets(c, 'mechListMIC')));
        break;
      default:
        break;
    }
  });
  return resp;
}

type Framing =
  | { kind: 'init'; gssapi: boolean; el: DerElement; r: DerReader }
  | { kind: 'resp'; gssapi: boolean; el: DerElement; r: DerReader }
  | { kind: 'gss-other'; oid: string; r: DerReader; inner: DerReader };

/** Read the outer framing: [APPLICATION 0] (GSS-API) or a bare NegotiationToken [0]/[1]. */
function frame(buf: Uint8Array, offset: number, end: number): Framing {
  const top = new DerReader(buf, offset, end);
  const outer = top.read('InitialContextToken');
  if (outer.cls === TagClass.APPLICATION && outer.tag === 0 && outer.constructed) {
    const app = top.enter(outer, 'InitialContextToken');
    const oid = readOid(app, 'thisMech');
    if (oid !== SPNEGO_OID) return { kind: 'gss-other', oid, r: top, inner: app };
    const tok = app.read('NegotiationToken');
    if (!app.done) throw structErr('BAD_LENGTH', 'innerContextToken', app, app.pos, 'trailing bytes after NegotiationToken');
    if (tok.cls === TagClass.CONTEXT && tok.tag === 0 && tok.constructed) return { kind: 'init', gssapi: true, el: tok, r: app };
    if (tok.cls === TagClass.CONTEXT && tok.tag === 1 && tok.constructed) return { kind: 'resp', gssapi: true, el: tok, r: app };
    throw structErr('BAD_VALUE', 'NegotiationToken', app, tok.start, 'neither negTokenInit [0] nor negTokenResp [1]');
  }
  if (outer.cls === TagClass.CONTEXT && outer.tag === 0 && outer.constructed) return { kind: 'init', gssapi: false, el: outer, r: top };
  if (outer.cls === TagClass.CONTEXT && outer.tag === 1 && outer.constructed) return { kind: 'resp', gssapi: false, el: outer, r: top };
  throw structErr('BAD_VALUE', 'InitialContextToken', top, outer.start, 'not a GSS-API or SPNEGO token');
}

function decodeInit(buf: Uint8Array, offset = 0, end = buf.length): NegTokenInit {
  const f = frame(buf, offset, end);
  if (f.kind !== 'init') throw new DecodeError('BAD_VALUE', 'spnego', 'NegotiationToken', 0, 'not a negTokenInit');
  return decodeNegTokenInitBody(f.r.enter(f.el, 'negTokenInit'));
}

function decodeResp(buf: Uint8Array, offset = 0, end = buf.length): NegTokenResp {
  const f = frame(buf, offset, end);
  if (f.kind !== 'resp') throw new DecodeError('BAD_VALUE', 'spnego', 'NegotiationToken', 0, 'not a negTokenResp');
  return decodeNegTokenRespBody(f.r.enter(f.el, 'negTokenResp'));
}

// ---------------------------------------------------------------------------------------------
// encoding

function hexBytes(h: string, field: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw new TypeError(`${field}: not a hex string`);
  return Buffer.from(h, 'hex');
}

function encodeNegTokenInitSeq(v: NegTokenInit): Uint8Array {
  const parts: Uint8Array[] = [derContext(0, derSequence(v.mechTypes.map((m) => derOid(m.oid))))];
  if (v.reqFlags) parts.push(derContext(1, derBitStringFlags(v.reqFlags.value)));
  if (v.mechToken !== undefined) parts.push(derContext(2, derOctetString(hexBytes(v.mechToken, 'mechToken'))));
  if (v.negHints) {
    const h: Uint8Array[] = [];
    if (v.negHints.hintName !== undefined) h.push(derContext(0, derGeneralString(v.negHints.hintName)));
    if (v.negHints.hintAddress !== undefined) h.push(derContext(1, derOctetString(hexBytes(v.negHints.hintAddress, 'hintAddress'))));
    parts.push(derContext(3, derSequence(h)));
  }
  // NegTokenInit2 moves mechListMIC to [4] when negHints takes [3]
  if (v.mechListMIC !== undefined) parts.push(derContext(v.negHints ? 4 : 3, derOctetString(hexBytes(v.mechListMIC, 'mechListMIC'))));
  return derSequence(parts);
}

function encodeInitBytes(v: NegTokenInit): Uint8Array {
  return derApplication(0, [derOid(SPNEGO_OID), derContext(0, encodeNegTokenInitSeq(v))]);
}

function encodeRespBytes(v: NegTokenResp): Uint8Array {
  const parts: Uint8Array[] = [];
  if (v.negState !== undefined) {
    const n = typeof v.negState === 'number' ? v.negState : NegState[v.negState];
    parts.push(derContext(0, derEnumerated(n)));
  }
  if (v.supportedMech) parts.push(derContext(1, derOid(v.supportedMech.oid)));
  if (v.responseToken !== undefined) parts.push(derContext(2, derOctetString(hexBytes(v.responseToken, 'responseToken'))));
  if (v.mechListMIC !== undefined) parts.push(derContext(3, derOctetString(hexBytes(v.mechListMIC, 'mechListMIC'))));
  return derContext(1, derSequence(parts));
}

/**
 * NegTokenInit (or NegTokenInit2 when `negHints` is set). Encodes the GSS-API InitialContextToken
 * (0x60, SPNEGO OID, [0] NegTokenInit); decodes that form or a bare `[0]` NegotiationToken.
 */
export const negTokenInit: Codec<NegTokenInit> = {
  encode(value, buf, offset) {
    return placeEncoded(encodeInitBytes(value), buf, offset);
  },
  decode: decodeInit,
  encodingLength(value) {
    return encodeInitBytes(value).length;
  },
};

/** NegTokenResp as sent after the first leg: a bare `[1]` NegotiationToken (GSS-API-wrapped accepted on decode). */
export const negTokenResp: Codec<NegTokenResp> = {
  encode(value, buf, offset) {
    return placeEncoded(encodeRespBytes(value), buf, offset);
  },
  decode: decodeResp,
  encodingLength(value) {
    return encodeRespBytes(value).length;
  },
};

/** The client's first SPNEGO token: InitialContextToken, mechTypes [NTLMSSP], mechToken = an NTLMSSP NEGOTIATE. */
export function spnegoNtlmInit(ntlmNegotiate: Uint8Array): Uint8Array {
  return encodeInitBytes({ mechTypes: [mechType(MechOid.NTLMSSP)], mechToken: hex(ntlmNegotiate) });
}

/** The client's second SPNEGO token: NegTokenResp carrying an NTLMSSP AUTHENTICATE (optionally a mechListMIC). */
export function spnegoNtlmResp(ntlmAuthenticate: Uint8Array, mechListMIC?: Uint8Array): Uint8Array {
  const v: NegTokenResp = { responseToken: hex(ntlmAuthenticate) };
  if (mechListMIC) v.mechListMIC = hex(mechListMIC);
  return encodeRespBytes(v);
}

// ---------------------------------------------------------------------------------------------
// security blobs as SMB carries them

/** Where decoding the inner NTLMSSP token failed (the SPNEGO part is still reported). */
export interface InnerError {
  code: DecodeError['code'];
  protocol: DecodeError['protocol'];
  field: string;
  offset: number;
}

/** What an SMB security buffer holds, tagged by `kind`: SPNEGO init or response, bare NTLMSSP, or something else; the NTLMSSP message inside is decoded when present. */
export type SecurityBlob =
  | { kind: 'spnego-init'; gssapi: boolean; token: NegTokenInit; ntlmssp?: NtlmMessage; ntlmsspError?: InnerError }
  | { kind: 'spnego-resp'; gssapi: boolean; token: NegTokenResp; ntlmssp?: NtlmMessage; ntlmsspError?: InnerError }
  | { kind: 'ntlmssp'; ntlmssp: NtlmMessage }
  /** A GSS-API Kerberos token (RFC 4121 §4.1): TOK_ID 0x0100 AP-REQ, 0x0200 AP-REP, 0x0300 KRB-ERROR. */
  | { kind: 'kerberos'; mech: MechType; tokId?: number }
  /** Empty, or neither SPNEGO, NTLMSSP nor Kerberos; `mech` when it was some other GSS-API mechanism. */
  | { kind: 'unknown'; length: number; mech?: MechType };

function innerNtlm(tokenHex: string | undefined): { ntlmssp?: NtlmMessage; ntlmsspError?: InnerError } {
  if (tokenHex === undefined) return {};
  const b = Buffer.from(tokenHex, 'hex');
  if (!isNtlmssp(b)) return {};
  try {
    return { ntlmssp: decodeNtlmMessage(b) };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { ntlmsspError: { code: e.code, protocol: e.protocol, field: e.field, offset: e.offset } };
  }
}

/**
 * Classify and decode a security buffer: SPNEGO (GSS-API wrapped or bare), a raw NTLMSSP message
 * (some peers skip SPNEGO), a GSS-API Kerberos token, or unknown. An NTLMSSP token inside SPNEGO is
 * decoded too; if that fails, `ntlmsspError` says where and the SPNEGO part is still returned.
 */
export function decodeSecurityBlob(buf: Uint8Array, offset = 0, end = buf.length): SecurityBlob {
  if (offset < 0 || end > buf.length || offset > end) throw new DecodeError('BAD_OFFSET', 'spnego', 'SecurityBuffer', 0);
  if (end === offset) return { kind: 'unknown', length: 0 };
  if (isNtlmssp(buf.subarray(offset, end))) return { kind: 'ntlmssp', ntlmssp: decodeNtlmMessage(buf, offset, end) };
  const b0 = buf[offset]!;
  if (b0 !== 0x60 && b0 !== 0xa0 && b0 !== 0xa1) return { kind: 'unknown', length: end - offset };
  const f = frame(buf, offset, end);
  switch (f.kind) {
    case 'init': {
      const token = decodeNegTokenInitBody(f.r.enter(f.el, 'negTokenInit'));
      return { kind: 'spnego-init', gssapi: f.gssapi, token, ...innerNtlm(token.mechToken) };
    }
    case 'resp': {
      const token = decodeNegTokenRespBody(f.r.enter(f.el, 'negTokenResp'));
      return { kind: 'spnego-resp', gssapi: f.gssapi, token, ...innerNtlm(token.responseToken) };
    }
    case 'gss-other': {
      const mech = mechType(f.oid);
      if (f.oid === MechOid.KRB5 || f.oid === MechOid['MS-KRB5'] || f.oid === MechOid['KRB5-U2U']) {
        const rest = f.inner.end - f.inner.pos;
        const out: SecurityBlob = { kind: 'kerberos', mech };
        if (rest >= 2) out.tokId = (buf[f.inner.pos]! << 8) | buf[f.inner.pos + 1]!;
        return out;
      }
      return { kind: 'unknown', length: end - offset, mech };
    }
  }
}

/**
 * The NTLMSSP message inside a security blob — the blob itself when raw, else SPNEGO's mechToken or
 * responseToken when it starts with "NTLMSSP\0" — as a view into `blob`; undefined when there is none
 * or the blob is not well-formed.
 */
export function findNtlmssp(blob: Uint8Array, offset = 0, end = blob.length): Uint8Array | undefined {
  if (offset < 0 || end > blob.length || offset > end) return undefined;
  const b = blob.subarray(offset, end);
  if (isNtlmssp(b)) return b;
  try {
    const f = frame(blob, offset, end);
    if (f.kind === 'gss-other') return undefined;
    const wanted = 2; // mechToken [2] in NegTokenInit, responseToken [2] in NegTokenResp
    const body = f.r.enter(f.el, 'NegotiationToken');
    const seq = body.expect(TagClass.UNIVERSAL, UniversalTag.SEQUENCE, 'NegotiationToken', true, 'spnego');
    const s = body.enter(seq);
    while (!s.done) {
      const el = s.read();
      if (el.cls === TagClass.CONTEXT && el.tag === wanted && el.constructed) {
        const c = s.enter(el);
        const os = c.expect(TagClass.UNIVERSAL, UniversalTag.OCTET_STRING, 'token', false, 'spnego');
        const tok = c.content(os);
        return isNtlmssp(tok) ? tok : undefined;
      }
    }
    return undefined;
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}
