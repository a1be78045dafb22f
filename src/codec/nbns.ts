/**
 * NetBIOS Name Service packets (RFC 1002 §4.2), UDP 137: header, questions, resource records with
 * name compression on decode (encode writes uncompressed names), NB / NBSTAT / A / NS / NULL RDATA.
 *
 * NBSTAT (node status) answers are decoded tolerantly, as Wireshark does: NUM_NAMES is bounded by
 * RDLENGTH and by the bytes present; entries that are present are returned and what is missing
 * (names, UNIT_ID, statistics) is reported in `warnings` rather than failing the packet.
 */
import { DecodeError } from '../errors.js';
import type { Codec } from './codec.js';
import { placeEncoded } from './codec.js';
import { type NetbiosName, encodeDomainName, encodeNetbiosName, netbiosNameAt, netbiosNameBytes, readDomainName, readNetbiosName } from './netbios-name.js';
import { ByteReader, hex } from './reader.js';
import { NbnsClass, NbnsOpcode, NbnsRrType } from './netbios-tables.js';

// ---------------------------------------------------------------------------------------------
// Types

/** The 12-byte header (RFC 1002 §4.2.1.1) without the counts, which follow the arrays. */
export interface NbnsHeader {
  /** NAME_TRN_ID (nbns.id). */
  transactionId: number;
  /** R: response (nbns.flags.response). */
  response: boolean;
  /** OPCODE (nbns.flags.opcode): names in NbnsOpcode. */
  opcode: number;
  /** NM_FLAGS AA (nbns.flags.authoritative). */
  authoritative: boolean;
  /** NM_FLAGS TC (nbns.flags.truncated). */
  truncated: boolean;
  /** NM_FLAGS RD (nbns.flags.recdesired). */
  recursionDesired: boolean;
  /** NM_FLAGS RA (nbns.flags.recavail). */
  recursionAvailable: boolean;
  /** NM_FLAGS B (nbns.flags.broadcast). */
  broadcast: boolean;
  /** RCODE (nbns.flags.rcode): names in NbnsRcode. */
  rcode: number;
}

/** One question entry (RFC 1002 §4.2.1.2). */
export interface NbnsQuestion {
  /** QUESTION_NAME (nbns.name). */
  name: NetbiosName;
  /** QUESTION_TYPE (nbns.type): NB 0x20 or NBSTAT 0x21. */
  type: number;
  /** QUESTION_CLASS (nbns.class): IN = 1. */
  class: number;
}

/** One NB_FLAGS + NB_ADDRESS entry of NB RDATA (RFC 1002 §4.2.2). */
export interface NbAddressEntry {
  /** NB_FLAGS as on the wire (nbns.nb_flags); written back by encode. `group` and `ont` are views of it. */
  flags: number;
  /** G, 0x8000 (nbns.nb_flags.group). */
  group: boolean;
  /** ONT, (flags >> 13) & 3: B, P, M, H (nbns.nb_flags.ont). */
  ont: number;
  /** NB_ADDRESS, dotted quad (nbns.addr). */
  address: string;
}

/** One 18-byte NODE_NAME entry of NBSTAT RDATA (RFC 1002 §4.2.18). */
export interface NodeNameEntry {
  /** The 15 name bytes (nbns.netbios_name), trailing spaces trimmed. */
  name: string;
  /** The 16th byte. */
  suffix: number;
  /** NAME_FLAGS as on the wire (nbns.name_flags); written back by encode. The booleans below are views. */
  flags: number;
  /** G 0x8000 (nbns.name_flags.group). */
  group: boolean;
  /** ONT 0x6000 >> 13 (nbns.name_flags.ont). */
  ont: number;
  /** DRG 0x1000, being deregistered (nbns.name_flags.drg). */
  drg: boolean;
  /** CNF 0x0800, in conflict (nbns.name_flags.cnf). */
  cnf: boolean;
  /** ACT 0x0400, active (nbns.name_flags.act). */
  act: boolean;
  /** PRM 0x0200, permanent node name (nbns.name_flags.prm). */
  prm: boolean;
}

/**
 * The STATISTICS block after UNIT_ID (RFC 1002 §4.2.18), field by field. Wireshark knows a single
 * command-blocks field, so from NUMBER_FREE_COMMAND_BLOCKS on its fields sit one slot late.
 */
export interface NodeStatistics {
  jumpers: number;
  testResult: number;
  versionNumber: number;
  periodOfStatistics: number;
  numberOfCrcs: number;
  numberAlignmentErrors: number;
  numberOfCollisions: number;
  numberSendAborts: number;
  numberGoodSends: number;
  numberGoodReceives: number;
  numberRetransmits: number;
  numberNoResourceConditions: number;
  numberFreeCommandBlocks: number;
  totalNumberCommandBlocks: number;
  maxTotalNumberCommandBlocks: number;
  numberPendingSessions: number;
  maxNumberPendingSessions: number;
  maxTotalSessionsPossible: number;
  sessionDataPacketSize: number;
}

/** NB RDATA (RFC 1002 §4.2.2): the addresses registered for a name. */
export interface NbRdata {
  kind: 'NB';
  entries: NbAddressEntry[];
}
/** RDATA of a WAIT FOR ACKNOWLEDGEMENT response (opcode 7): the 16-bit header flags of the request. */
export interface WackRdata {
  kind: 'WACK';
  requestFlags: number;
}
/** NBSTAT RDATA (RFC 1002 §4.2.18): the node status answer — name table, UNIT_ID (MAC) and statistics; `null` where the answer stopped short. */
export interface NbstatRdata {
  kind: 'NBSTAT';
  /** NODE_NAME entries actually present (at most NUM_NAMES). */
  names: NodeNameEntry[];
  /** UNIT_ID (nbns.unit_id), `aa:bb:cc:dd:ee:ff`; `null` when cut short. All zeros on Samba. */
  unitId: string | null;
  /** The statistics after UNIT_ID; `null` when cut short (see the packet's warnings). */
  statistics: NodeStatistics | null;
  /** Bytes inside RDLENGTH after the 46-byte statistics (none from Windows or Samba). */
  extra: Uint8Array;
}
/** A RDATA: one IPv4 address (the IP address of a NS record). */
export interface ARdata {
  kind: 'A';
  /** NSD_IP_ADDR. */
  address: string;
}
/** NS RDATA: the domain name of a name server (RFC 1002 §4.2.6, redirect). */
export interface NsRdata {
  kind: 'NS';
  /** NSD_NAME, a domain name. */
  nsdName: string;
}
/** NULL RDATA: an empty record (negative answers, RFC 1002 §4.2.14). */
export interface NullRdata {
  kind: 'NULL';
  data: Uint8Array;
}
/** RDATA of an unknown type, or of a known type whose length does not fit it. */
export interface RawRdata {
  kind: 'raw';
  data: Uint8Array;
}
/** RDATA by record type, tagged by `kind`; unknown types keep their bytes as RawRdata. */
export type NbnsRdata = NbRdata | WackRdata | NbstatRdata | ARdata | NsRdata | NullRdata | RawRdata;

/** One resource record (RFC 1002 §4.2.1.3): answer, authority or additional. */
export interface NbnsResourceRecord {
  /** RR_NAME (nbns.name). */
  name: NetbiosName;
  /** RR_TYPE (nbns.type). */
  type: number;
  /** RR_CLASS (nbns.class). */
  class: number;
  /** TTL in seconds (nbns.ttl). */
  ttl: number;
  /** RDATA; RDLENGTH (nbns.data_length) follows from it on encode. */
  rdata: NbnsRdata;
}

/** A whole NBNS packet: header, the four sections, and warnings about what a tolerant decode skipped. */
export interface NbnsPacket extends NbnsHeader {
  questions: NbnsQuestion[];
  answers: NbnsResourceRecord[];
  authorities: NbnsResourceRecord[];
  additionals: NbnsResourceRecord[];
  /** What decode tolerated (short NBSTAT data, odd RDATA, trailing bytes); ignored by encode. */
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Fixed layouts

/** The fixed header: NAME_TRN_ID, flags and four counts, big-endian u16 each (RFC 1002 §4.2.1.1). */
const HEADER_SIZE = 12;

// NODE_NAME entries and STATISTICS are read by hand (decodeNbstat): a sweep decodes tens of
// thousands of tables, and a parser object plus two buffer views per entry were a tenth of its CPU

/** Statistics field order and widths after UNIT_ID (for encode). */
const STAT_FIELDS: readonly [keyof NodeStatistics, 1 | 2 | 4][] = [
  ['jumpers', 1],
  ['testResult', 1],
  ['versionNumber', 2],
  ['periodOfStatistics', 2],
  ['numberOfCrcs', 2],
  ['numberAlignmentErrors', 2],
  ['numberOfCollisions', 2],
  ['numberSendAborts', 2],
  ['numberGoodSends', 4],
  ['numberGoodReceives', 4],
  ['numberRetransmits', 2],
  ['numberNoResourceConditions', 2],
  ['numberFreeCommandBlocks', 2],
  ['totalNumberCommandBlocks', 2],
  ['maxTotalNumberCommandBlocks', 2],
  ['numberPendingSessions', 2],
  ['maxNumberPendingSessions', 2],
  ['maxTotalSessionsPossible', 2],
  ['sessionDataPacketSize', 2],
];
/** Bytes of the statistics block, UNIT_ID included. */
export const NBSTAT_STATISTICS_LENGTH = 46;
const UNIT_ID_LENGTH = 6;
const NODE_NAME_LENGTH = 18;

// ---------------------------------------------------------------------------------------------
// Flag helpers

const F_RESPONSE = 0x8000;
const F_AA = 0x0400;
const F_TC = 0x0200;
const F_RD = 0x0100;
const F_RA = 0x0080;
const F_B = 0x0010;

function headerFlags(h: NbnsHeader): number {
  if (!Number.isInteger(h.opcode) || h.opcode < 0 || h.opcode > 15) throw new RangeError(`OPCODE ${h.opcode}`);
  if (!Number.isInteger(h.rcode) || h.rcode < 0 || h.rcode > 15) throw new RangeError(`RCODE ${h.rcode}`);
  return (
    (h.response ? F_RESPONSE : 0) |
    (h.opcode << 11) |
    (h.authoritative ? F_AA : 0) |
    (h.truncated ? F_TC : 0) |
    (h.recursionDesired ? F_RD : 0) |
    (h.recursionAvailable ? F_RA : 0) |
    (h.broadcast ? F_B : 0) |
    h.rcode
  );
}

/** NB_FLAGS / NAME_FLAGS from the G bit and ONT (other bits zero). */
export function nbFlags(group: boolean, ont: number): number {
  return (group ? 0x8000 : 0) | ((ont & 3) << 13);
}

/** A NodeNameEntry with its flag views filled from `flags`. */
export function nodeNameEntry(name: string, suffix: number, flags: number): NodeNameEntry {
  return {
    name,
    suffix,
    flags,
    group: (flags & 0x8000) !== 0,
    ont: (flags >> 13) & 3,
    drg: (flags & 0x1000) !== 0,
    cnf: (flags & 0x0800) !== 0,
    act: (flags & 0x0400) !== 0,
    prm: (flags & 0x0200) !== 0,
  };
}

/** An NbAddressEntry with its flag views filled from `flags`. */
export function nbAddressEntry(flags: number, address: string): NbAddressEntry {
  return { flags, group: (flags & 0x8000) !== 0, ont: (flags >> 13) & 3, address };
}

const macString = (b: Uint8Array): string => hex(b, ':');
const ipString = (b: Uint8Array): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;

function parseBytes(s: string, sep: string, radix: number, n: number, what: string): number[] {
  const parts = s.split(sep);
  const out = parts.map((p) => (radix === 16 ? (/^[0-9a-fA-F]{1,2}$/.test(p) ? parseInt(p, 16) : NaN) : /^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (out.length !== n || out.some((v) => !(v >= 0 && v <= 255))) throw new TypeError(`not ${what}: ${s}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decode

/** RFC 1002 §4.2.18 STATISTICS after UNIT_ID (40 bytes at `at`, bounds checked by the caller), in STAT_FIELDS order. */
function readStatistics(b: Uint8Array, at: number): NodeStatistics {
  const u16 = (o: number): number => (b[at + o]! << 8) | b[at + o + 1]!;
  const u32 = (o: number): number => b[at + o]! * 0x1000000 + ((b[at + o + 1]! << 16) | (b[at + o + 2]! << 8) | b[at + o + 3]!);
  return {
    jumpers: b[at]!,
    testResult: b[at + 1]!,
    versionNumber: u16(2),
    periodOfStatistics: u16(4),
    numberOfCrcs: u16(6),
    numberAlignmentErrors: u16(8),
    numberOfCollisions: u16(10),
    numberSendAborts: u16(12),
    numberGoodSends: u32(14),
    numberGoodReceives: u32(18),
    numberRetransmits: u16(22),
    numberNoResourceConditions: u16(24),
    numberFreeCommandBlocks: u16(26),
    totalNumberCommandBlocks: u16(28),
    maxTotalNumberCommandBlocks: u16(30),
    numberPendingSessions: u16(32),
    maxNumberPendingSessions: u16(34),
    maxTotalSessionsPossible: u16(36),
    sessionDataPacketSize: u16(38),
  };
}

function decodeNbstat(r: ByteReader, rdlength: number, warnings: string[]): NbstatRdata {
  const out: NbstatRdata = { kind: 'NBSTAT', names: [], unitId: null, statistics: null, extra: new Uint8Array(0) };
  const start = r.pos;
  const end = r.end;
  if (r.remaining === 0) {
    warnings.push(`NBSTAT RDATA is empty (RDLENGTH ${rdlength}): no NUM_NAMES`);
    return out;
  }
  const numNames = r.u8('NUM_NAMES');
  const fit = Math.floor((end - r.pos) / NODE_NAME_LENGTH);
  const present = Math.min(numNames, fit);
  const b = r.buf;
  for (let i = 0; i < present; i++) {
    // RFC 1002 §4.2.18 NODE_NAME: 15-byte name, suffix byte, NAME_FLAGS (all within `end`: see `fit`)
    const at = r.pos;
    out.names.push(nodeNameEntry(netbiosNameAt(b, at), b[at + 15]!, (b[at + 16]! << 8) | b[at + 17]!));
    r.pos += NODE_NAME_LENGTH;
  }
  if (present < numNames) {
    // the bytes after the entries present cannot be told apart from statistics: stop here
    warnings.push(`NBSTAT NUM_NAMES is ${numNames} but only ${present} NODE_NAME entries fit in ${end - start} bytes of RDATA`);
    return out;
  }
  const left = end - r.pos;
  if (left < UNIT_ID_LENGTH) {
    warnings.push(`NBSTAT statistics missing: ${left} bytes after the names, UNIT_ID needs 6`);
    return out;
  }
  if (left < NBSTAT_STATISTICS_LENGTH) {
    out.unitId = macString(r.bytes(UNIT_ID_LENGTH, 'UNIT_ID'));
    warnings.push(`NBSTAT statistics cut short: ${left} of ${NBSTAT_STATISTICS_LENGTH} bytes`);
    r.pos = end;
    return out;
  }
  out.unitId = macString(b.subarray(r.pos, r.pos + UNIT_ID_LENGTH));
  out.statistics = readStatistics(b, r.pos + UNIT_ID_LENGTH);
  r.pos += NBSTAT_STATISTICS_LENGTH;
  out.extra = r.bytes(end - r.pos, 'STATISTICS');
  return out;
}

function decodeRdata(r: ByteReader, type: number, opcode: number, rdlength: number, warnings: string[]): NbnsRdata {
  const len = r.remaining;
  const raw = (why?: string): RawRdata => {
    if (why) warnings.push(why);
    return { kind: 'raw', data: r.bytes(len, 'RDATA') };
  };
  switch (type) {
    case NbnsRrType.NB: {
      if (opcode === NbnsOpcode.WACK && len === 2) return { kind: 'WACK', requestFlags: r.u16be('RDATA') };
      if (len % 6 !== 0) return raw(`NB RDATA of ${len} bytes is not a multiple of 6: kept raw`);
      const entries: NbAddressEntry[] = [];
      while (r.remaining > 0) {
        const flags = r.u16be('NB_FLAGS');
        entries.push(nbAddressEntry(flags, ipString(r.bytes(4, 'NB_ADDRESS'))));
      }
      return { kind: 'NB', entries };
    }
    case NbnsRrType.NBSTAT:
      return decodeNbstat(r, rdlength, warnings);
    case NbnsRrType.A:
      if (len !== 4) return raw(`A RDATA of ${len} bytes: kept raw`);
      return { kind: 'A', address: ipString(r.bytes(4, 'NSD_IP_ADDR')) };
    case NbnsRrType.NS: {
      const before = r.pos;
      try {
        const nsdName = readDomainName(r, { field: 'NSD_NAME' });
        if (r.remaining === 0) return { kind: 'NS', nsdName };
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
      r.pos = before;
      return raw('NS RDATA is not one domain name: kept raw');
    }
    case NbnsRrType.NULL:
      return { kind: 'NULL', data: r.bytes(len, 'RDATA') };
    default:
      return raw();
  }
}

function decodeRecord(r: ByteReader, opcode: number, warnings: string[]): NbnsResourceRecord {
  const name = readNetbiosName(r, { field: 'RR_NAME' });
  const type = r.u16be('RR_TYPE');
  const klass = r.u16be('RR_CLASS');
  const ttl = r.u32be('TTL');
  const rdlength = r.u16be('RDLENGTH');
  let rd: ByteReader;
  if (rdlength > r.remaining) {
    // a short node status answer still carries its names and MAC (Wireshark shows them too)
    if (type !== NbnsRrType.NBSTAT) throw r.error('TRUNCATED', 'RDLENGTH', `RDLENGTH ${rdlength} runs past the packet (${r.remaining} bytes left)`, r.offset - 2);
    warnings.push(`NBSTAT RDLENGTH ${rdlength} runs past the packet: ${r.remaining} bytes present`);
    rd = r.sub(r.remaining, 'RDATA');
  } else {
    rd = r.sub(rdlength, 'RDATA');
  }
  return { name, type, class: klass, ttl, rdata: decodeRdata(rd, type, opcode, rdlength, warnings) };
}

function decodePacket(buf: Uint8Array, offset: number, end: number): NbnsPacket {
  const r = new ByteReader(buf, 'nbns', offset, end);
  if (end - offset < HEADER_SIZE) throw r.error('TRUNCATED', 'header');
  // read by hand: a parser object and a view per packet were a measurable share of capture decoding
  const h = { id: r.u16be('id'), flags: r.u16be('flags'), qdcount: r.u16be('qdcount'), ancount: r.u16be('ancount'), nscount: r.u16be('nscount'), arcount: r.u16be('arcount') };
  const opcode = (h.flags >> 11) & 0x0f;
  const p: NbnsPacket = {
    transactionId: h.id,
    response: (h.flags & F_RESPONSE) !== 0,
    opcode,
    authoritative: (h.flags & F_AA) !== 0,
    truncated: (h.flags & F_TC) !== 0,
    recursionDesired: (h.flags & F_RD) !== 0,
    recursionAvailable: (h.flags & F_RA) !== 0,
    broadcast: (h.flags & F_B) !== 0,
    rcode: h.flags & 0x0f,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    warnings: [],
  };
  if ((h.flags & 0x0060) !== 0) p.warnings.push(`reserved NM_FLAGS bits set (flags 0x${h.flags.toString(16).padStart(4, '0')})`);
  // every count is bounded by the bytes present: each entry consumes at least 6 bytes or throws
  for (let i = 0; i < h.qdcount; i++) {
    const name = readNetbiosName(r, { field: 'QUESTION_NAME' });
    p.questions.push({ name, type: r.u16be('QUESTION_TYPE'), class: r.u16be('QUESTION_CLASS') });
  }
  for (let i = 0; i < h.ancount; i++) p.answers.push(decodeRecord(r, opcode, p.warnings));
  for (let i = 0; i < h.nscount; i++) p.authorities.push(decodeRecord(r, opcode, p.warnings));
  for (let i = 0; i < h.arcount; i++) p.additionals.push(decodeRecord(r, opcode, p.warnings));
  if (r.remaining > 0) p.warnings.push(`${r.remaining} bytes after the last record`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Encode

function rdataLength(d: NbnsRdata): number {
  switch (d.kind) {
    case 'NB':
      return 6 * d.entries.length;
    case 'WACK':
      return 2;
    case 'NBSTAT':
      if (d.unitId === null && d.statistics !== null) throw new TypeError('NBSTAT statistics without UNIT_ID');
      return 1 + NODE_NAME_LENGTH * d.names.length + (d.unitId === null ? 0 : d.statistics === null ? UNIT_ID_LENGTH : NBSTAT_STATISTICS_LENGTH + d.extra.length);
    case 'A':
      return 4;
    case 'NS':
      return encodeDomainName(d.nsdName).length;
    case 'NULL':
    case 'raw':
      return d.data.length;
  }
}

function recordLength(rr: NbnsResourceRecord): number {
  return encodeNetbiosName(rr.name).length + 10 + rdataLength(rr.rdata);
}

function packetLength(p: NbnsPacket): number {
  let n = 12;
  for (const q of p.questions) n += encodeNetbiosName(q.name).length + 4;
  for (const list of [p.answers, p.authorities, p.additionals]) for (const rr of list) n += recordLength(rr);
  return n;
}

class Writer {
  pos = 0;
  readonly view: DataView;
  constructor(readonly out: Uint8Array) {
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  u8(v: number): void {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  bytes(b: Uint8Array | number[]): void {
    this.out.set(b, this.pos);
    this.pos += b.length;
  }
}

const checkInt = (v: number, max: number, what: string): number => {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} ${v} out of range`);
  return v;
};

function writeRdata(w: Writer, d: NbnsRdata): void {
  switch (d.kind) {
    case 'NB':
      for (const e of d.entries) {
        w.u16(checkInt(e.flags, 0xffff, 'NB_FLAGS'));
        w.bytes(parseBytes(e.address, '.', 10, 4, 'an IPv4 address'));
      }
      return;
    case 'WACK':
      w.u16(checkInt(d.requestFlags, 0xffff, 'WACK RDATA'));
      return;
    case 'NBSTAT': {
      w.u8(checkInt(d.names.length, 255, 'NUM_NAMES'));
      for (const n of d.names) {
        w.bytes(netbiosNameBytes(n.name));
        w.u8(checkInt(n.suffix, 0xff, 'suffix'));
        w.u16(checkInt(n.flags, 0xffff, 'NAME_FLAGS'));
      }
      if (d.unitId === null) return;
      w.bytes(parseBytes(d.unitId, ':', 16, 6, 'a MAC address'));
      if (d.statistics === null) return;
      for (const [k, width] of STAT_FIELDS) {
        const v = checkInt(d.statistics[k], width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff, k);
        if (width === 1) w.u8(v);
        else if (width === 2) w.u16(v);
        else w.u32(v);
      }
      w.bytes(d.extra);
      return;
    }
    case 'A':
      w.bytes(parseBytes(d.address, '.', 10, 4, 'an IPv4 address'));
      return;
    case 'NS':
      w.bytes(encodeDomainName(d.nsdName));
      return;
    case 'NULL':
    case 'raw':
      w.bytes(d.data);
      return;
  }
}

function encodePacket(p: NbnsPacket): Uint8Array {
  const out = new Uint8Array(packetLength(p));
  const w = new Writer(out);
  w.u16(checkInt(p.transactionId, 0xffff, 'NAME_TRN_ID'));
  w.u16(headerFlags(p));
  for (const list of [p.questions, p.answers, p.authorities, p.additionals]) w.u16(checkInt(list.length, 0xffff, 'count'));
  for (const q of p.questions) {
    w.bytes(encodeNetbiosName(q.name));
    w.u16(checkInt(q.type, 0xffff, 'QUESTION_TYPE'));
    w.u16(checkInt(q.class, 0xffff, 'QUESTION_CLASS'));
  }
  for (const list of [p.answers, p.authorities, p.additionals]) {
    for (const rr of list) {
      w.bytes(encodeNetbiosName(rr.name));
      w.u16(checkInt(rr.type, 0xffff, 'RR_TYPE'));
      w.u16(checkInt(rr.class, 0xffff, 'RR_CLASS'));
      w.u32(checkInt(rr.ttl, 0xffffffff, 'TTL'));
      w.u16(checkInt(rdataLength(rr.rdata), 0xffff, 'RDLENGTH'));
      writeRdata(w, rr.rdata);
    }
  }
  return out;
}

/** Full NBNS packet codec: decode follows compression pointers; encode writes uncompressed names. */
export const nbnsPacket: Codec<NbnsPacket> = {
  encodingLength: packetLength,
  encode(p, buf, offset = 0) {
    return placeEncoded(encodePacket(p), buf, offset);
  },
  decode(buf, offset = 0, end = buf.length) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(end) || offset < 0 || end > buf.length || offset > end) {
      throw new DecodeError('BAD_OFFSET', 'nbns', 'packet', 0);
    }
    return decodePacket(buf, offset, end);
  },
};

// ---------------------------------------------------------------------------------------------
// Node status helpers

/** The wildcard name a node status request asks for: `*` padded with NULs, suffix 0x00. */
export const WILDCARD_NAME: NetbiosName = Object.freeze({ name: '*', suffix: 0x00, scope: '' });

/** Header fields of a plain request (every flag clear). */
const REQUEST_HEADER: Omit<NbnsHeader, 'transactionId' | 'opcode'> = {
  response: false,
  authoritative: false,
  truncated: false,
  recursionDesired: false,
  recursionAvailable: false,
  broadcast: false,
  rcode: 0,
};

/**
 * NODE STATUS REQUEST (RFC 1002 §4.2.17): QDCOUNT 1, flags 0 (unicast; `broadcast` sets B as
 * nbtscan does), the wildcard name unless another is given, type NBSTAT, class IN. 50 bytes.
 */
export function nodeStatusRequest(transactionId: number, opts: { broadcast?: boolean; name?: NetbiosName } = {}): NbnsPacket {
  return {
    transactionId,
    opcode: NbnsOpcode.QUERY,
    ...REQUEST_HEADER,
    broadcast: opts.broadcast ?? false,
    questions: [{ name: opts.name ?? WILDCARD_NAME, type: NbnsRrType.NBSTAT, class: NbnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    warnings: [],
  };
}

/** The bytes of {@link nodeStatusRequest}: a 50-byte NODE STATUS REQUEST ready to send to UDP 137. */
export function encodeNodeStatusRequest(transactionId: number, opts: { broadcast?: boolean; name?: NetbiosName } = {}): Uint8Array {
  return encodePacket(nodeStatusRequest(transactionId, opts));
}

/**
 * NAME QUERY REQUEST (RFC 1002 §4.2.12): type NB, class IN; `broadcast` sets B and RD as
 * nmblookup does for a broadcast query, `recursionDesired` alone for a query to a WINS server.
 */
export function nameQueryRequest(transactionId: number, name: NetbiosName, opts: { broadcast?: boolean; recursionDesired?: boolean } = {}): NbnsPacket {
  return {
    transactionId,
    opcode: NbnsOpcode.QUERY,
    ...REQUEST_HEADER,
    broadcast: opts.broadcast ?? false,
    recursionDesired: opts.recursionDesired ?? opts.broadcast ?? false,
    questions: [{ name, type: NbnsRrType.NB, class: NbnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    warnings: [],
  };
}

/** Fields of a node status response, for test responders. */
export interface NodeStatusResponseInit {
  transactionId: number;
  /** RR_NAME: the name asked for (default the wildcard). */
  name?: NetbiosName;
  names: { name: string; suffix: number; flags: number }[];
  /** Default all zeros, as Samba sends. */
  unitId?: string | null;
  /** Default all zeros; `null` to stop after UNIT_ID. */
  statistics?: NodeStatistics | null;
  /** Default 0x8400 flags (response, AA) as Windows and Samba send; TTL 0. */
  authoritative?: boolean;
}

/** All-zero statistics, as Samba (and most Windows versions) send. */
export function zeroStatistics(): NodeStatistics {
  const s = {} as Record<keyof NodeStatistics, number>;
  for (const [k] of STAT_FIELDS) s[k] = 0;
  return s;
}

/** NODE STATUS RESPONSE (RFC 1002 §4.2.18) as a packet to encode. */
export function nodeStatusResponse(init: NodeStatusResponseInit): NbnsPacket {
  const unitId = init.unitId === undefined ? '00:00:00:00:00:00' : init.unitId;
  return {
    transactionId: init.transactionId,
    opcode: NbnsOpcode.QUERY,
    ...REQUEST_HEADER,
    response: true,
    authoritative: init.authoritative ?? true,
    questions: [],
    answers: [
      {
        name: init.name ?? WILDCARD_NAME,
        type: NbnsRrType.NBSTAT,
        class: NbnsClass.IN,
        ttl: 0,
        rdata: {
          kind: 'NBSTAT',
          names: init.names.map((n) => nodeNameEntry(n.name, n.suffix, n.flags)),
          unitId,
          statistics: unitId === null ? null : init.statistics === undefined ? zeroStatistics() : init.statistics,
          extra: new Uint8Array(0),
        },
      },
    ],
    authorities: [],
    additionals: [],
    warnings: [],
  };
}

/** The first NBSTAT answer of a packet, if any. */
export function nodeStatusOf(p: NbnsPacket): NbstatRdata | undefined {
  for (const rr of p.answers) if (rr.rdata.kind === 'NBSTAT') return rr.rdata;
  return undefined;
}
