import { DecodeError } from '../../errors.js';
import type { Codec } from '../codec.js';
import { placeEncoded } from '../codec.js';

/**
 * Classic libpcap capture files (draft-ietf-opsawg-pcap): a 24-byte file header, then records of a
 * 16-byte header and `incl_len` bytes of packet data. The byte order of the whole file is the one
 * the magic number was written in; the magic also says micro- or nanosecond timestamps.
 */

/** Magic numbers as read in the file's own byte order. */
export const PcapMagic = {
  MICROSECOND: 0xa1b2c3d4,
  NANOSECOND: 0xa1b23c4d,
} as const;

export const PCAP_HEADER_SIZE = 24;
export const PCAP_RECORD_HEADER_SIZE = 16;
/** Largest `incl_len` accepted (Wireshark's own maximum packet size, 256 KiB). */
export const PCAP_MAX_RECORD = 262144;
/** `incl_len` may exceed the header's snaplen by this much (writers round snaplen) before it is BAD_LENGTH. */
export const PCAP_SNAPLEN_SLACK = 256;

export interface PcapHeader {
  /** Byte order of every multi-byte field in the file. */
  littleEndian: boolean;
  /** Timestamps carry nanoseconds (magic 0xa1b23c4d) rather than microseconds. */
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  /** GMT to local correction (always 0 in practice). */
  thiszone: number;
  sigfigs: number;
  snaplen: number;
  /** LINKTYPE_ value: the low 16 bits of the `network` field. */
  linkType: number;
  /** The upper 16 bits of the `network` field (FCS information on some writers); 0 normally. */
  linkTypeInfo: number;
}

/** What the first four bytes of a pcap file say, or undefined when they are no pcap magic. */
export function pcapMagicInfo(b: Uint8Array, offset = 0): { littleEndian: boolean; nanosecond: boolean } | undefined {
  if (b.length - offset < 4) return undefined;
  const be = ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
  const le = ((b[offset + 3]! << 24) | (b[offset + 2]! << 16) | (b[offset + 1]! << 8) | b[offset]!) >>> 0;
  if (be === PcapMagic.MICROSECOND) return { littleEndian: false, nanosecond: false };
  if (be === PcapMagic.NANOSECOND) return { littleEndian: false, nanosecond: true };
  if (le === PcapMagic.MICROSECOND) return { littleEndian: true, nanosecond: false };
  if (le === PcapMagic.NANOSECOND) return { littleEndian: true, nanosecond: true };
  return undefined;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The 24-byte file header; `at` is the file offset reported in errors. */
export const pcapHeader: Codec<PcapHeader> = {
  encodingLength: () => PCAP_HEADER_SIZE,
  encode(h, buf, offset) {
    const out = new Uint8Array(PCAP_HEADER_SIZE);
    const v = view(out);
    const le = h.littleEndian;
    v.setUint32(0, h.nanosecond ? PcapMagic.NANOSECOND : PcapMagic.MICROSECOND, le);
    v.setUint16(4, h.versionMajor, le);
    v.setUint16(6, h.versionMinor, le);
    v.setInt32(8, h.thiszone, le);
    v.setUint32(12, h.sigfigs, le);
    v.setUint32(16, h.snaplen, le);
    v.setUint32(20, ((h.linkTypeInfo << 16) | (h.linkType & 0xffff)) >>> 0, le);
    return placeEncoded(out, buf, offset);
  },
  decode(buf, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || end - offset < PCAP_HEADER_SIZE) {
      throw new DecodeError('TRUNCATED', 'pcap', 'file header', offset, `needs ${PCAP_HEADER_SIZE} bytes`);
    }
    const magic = pcapMagicInfo(buf, offset);
    if (!magic) throw new DecodeError('BAD_VALUE', 'pcap', 'magic_number', offset, 'not a pcap magic number');
    const v = view(buf);
    const le = magic.littleEndian;
    const network = v.getUint32(offset + 20, le);
    return {
      littleEndian: le,
      nanosecond: magic.nanosecond,
      versionMajor: v.getUint16(offset + 4, le),
      versionMinor: v.getUint16(offset + 6, le),
      thiszone: v.getInt32(offset + 8, le),
      sigfigs: v.getUint32(offset + 12, le),
      snaplen: v.getUint32(offset + 16, le),
      linkType: network & 0xffff,
      linkTypeInfo: network >>> 16,
    };
  },
};

/** A pcap file header with the usual defaults (version 2.4, little-endian, microseconds, snaplen 262144). */
export function encodePcapHeader(opts: Partial<PcapHeader> & { linkType: number }): Uint8Array {
  return pcapHeader.encode({
    littleEndian: true,
    nanosecond: false,
    versionMajor: 2,
    versionMinor: 4,
    thiszone: 0,
    sigfigs: 0,
    snaplen: PCAP_MAX_RECORD,
    linkTypeInfo: 0,
    ...opts,
  });
}

export interface PcapRecordHeader {
  tsSec: number;
  /** Fraction of the second in nanoseconds (microsecond files are scaled). */
  tsNsec: number;
  /** `incl_len`: bytes of packet data that follow. */
  capturedLength: number;
  /** `orig_len`: length of the packet on the wire. */
  originalLength: number;
}

/**
 * A record header at `offset` (16 bytes must be there). `incl_len` is bounded by 256 KiB (LIMIT)
 * and by the snaplen plus a small slack (BAD_LENGTH): garbage read as a length must not make the
 * reader wait for (or allocate) megabytes. `at` is the file offset used in errors.
 */
export function decodePcapRecordHeader(
  buf: Uint8Array,
  offset: number,
  h: Pick<PcapHeader, 'littleEndian' | 'nanosecond' | 'snaplen'>,
  at = offset,
): PcapRecordHeader {
  if (offset < 0 || buf.length - offset < PCAP_RECORD_HEADER_SIZE) {
    throw new DecodeError('TRUNCATED', 'pcap', 'record header', at);
  }
  const v = view(buf);
  const le = h.littleEndian;
  const tsSec = v.getUint32(offset, le);
  const frac = v.getUint32(offset + 4, le);
  const capturedLength = v.getUint32(offset + 8, le);
  const originalLength = v.getUint32(offset + 12, le);
  checkInclLen(capturedLength, h.snaplen, at);
  if (frac >= (h.nanosecond ? 1e9 : 1e6)) {
    throw new DecodeError('BAD_VALUE', 'pcap', h.nanosecond ? 'ts_nsec' : 'ts_usec', at + 4, `fraction ${frac} not below one second`);
  }
  return { tsSec, tsNsec: h.nanosecond ? frac : frac * 1000, capturedLength, originalLength };
}

/** Shared `incl_len` bound check (used by the hot path of the capture reader too). */
export function checkInclLen(inclLen: number, snaplen: number, at: number): void {
  if (inclLen > PCAP_MAX_RECORD) {
    throw new DecodeError('LIMIT', 'pcap', 'incl_len', at + 8, `${inclLen} bytes exceeds ${PCAP_MAX_RECORD}`);
  }
  if (snaplen > 0 && inclLen > snaplen + PCAP_SNAPLEN_SLACK) {
    throw new DecodeError('BAD_LENGTH', 'pcap', 'incl_len', at + 8, `${inclLen} bytes exceeds snaplen ${snaplen}`);
  }
}

export interface PcapRecordInput {
  tsSec: number;
  /** Nanoseconds within the second; written as microseconds (truncated) in a microsecond file. */
  tsNsec?: number;
  data: Uint8Array;
  /** Defaults to `data.length`. */
  originalLength?: number;
}

/** One record (16-byte header + data) in the byte order and precision of `h`. */
export function encodePcapRecord(
  rec: PcapRecordInput,
  h: Pick<PcapHeader, 'littleEndian' | 'nanosecond'> = { littleEndian: true, nanosecond: false },
  buf?: Uint8Array,
  offset?: number,
): Uint8Array {
  const out = new Uint8Array(PCAP_RECORD_HEADER_SIZE + rec.data.length);
  const v = view(out);
  const le = h.littleEndian;
  const ns = rec.tsNsec ?? 0;
  v.setUint32(0, rec.tsSec >>> 0, le);
  v.setUint32(4, h.nanosecond ? ns : Math.floor(ns / 1000), le);
  v.setUint32(8, rec.data.length, le);
  v.setUint32(12, rec.originalLength ?? rec.data.length, le);
  out.set(rec.data, PCAP_RECORD_HEADER_SIZE);
  return placeEncoded(out, buf, offset);
}
