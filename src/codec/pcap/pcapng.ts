import { DecodeError } from '../../errors.js';

/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks `type u32, total length u32, body,
 * total length u32`, padded to 32 bits. A Section Header Block starts every section and fixes
 * the byte order of the section (byte-order magic 0x1A2B3C4D); Interface Description Blocks
 * number the interfaces of the section from 0; packet blocks refer to them.
 */

export const PcapngBlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  /** Obsolete Packet Block (pcapng 1.0). */
  PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  DECRYPTION_SECRETS: 0x0000000a,
} as const;

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Smallest block: type, total length, trailing total length. */
export const PCAPNG_MIN_BLOCK = 12;
/** Largest block accepted (Wireshark uses the same 16 MiB bound). */
export const PCAPNG_MAX_BLOCK = 16 * 1024 * 1024;

/** Option codes used here (IDB options; 0 ends the list). */
export const PcapngOption = {
  END_OF_OPT: 0,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

export interface PcapngSection {
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
}

export interface PcapngInterface {
  linkType: number;
  /** 0 = no limit. */
  snaplen: number;
  /** if_tsresol raw byte: MSB clear = 10^-n seconds, MSB set = 2^-n seconds; default 6. */
  tsresol: number;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  tsoffset: number;
  name?: string;
  /** Precomputed for the timestamp hot path. */
  readonly unitsPerSecond: number;
  readonly unitsPerSecondBig: bigint;
  /** Nanoseconds per unit when the resolution is 10^-n with n <= 9, else 0 (BigInt path). */
  readonly nsPerUnit: number;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Block header at `offset` (needs 12 bytes for an SHB, 8 otherwise): type and total length, checked.
 * For an SHB the byte order comes from its byte-order magic, and is returned. `at` = file offset.
 */
export function readBlockHeader(
  buf: Uint8Array,
  offset: number,
  littleEndian: boolean,
  at: number,
): { type: number; totalLength: number; littleEndian: boolean } {
  const v = dv(buf);
  const type = v.getUint32(offset, littleEndian);
  let le = littleEndian;
  if (type === PcapngBlockType.SECTION_HEADER) {
    const bom = v.getUint32(offset + 8, true);
    if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
    else if (bom === 0x4d3c2b1a) le = false;
    else throw new DecodeError('BAD_VALUE', 'pcapng', 'Byte-Order Magic', at + 8, 'not 0x1A2B3C4D in either byte order');
  }
  const totalLength = v.getUint32(offset + 4, le);
  checkBlockLength(type, totalLength, at);
  return { type, totalLength, littleEndian: le };
}

export function checkBlockLength(type: number, totalLength: number, at: number): void {
  const min = type === PcapngBlockType.SECTION_HEADER ? 28 : PCAPNG_MIN_BLOCK;
  if (totalLength < min || totalLength % 4 !== 0) {
    throw new DecodeError('BAD_LENGTH', 'pcapng', 'Block Total Length', at + 4, `${totalLength} (type 0x${type.toString(16)})`);
  }
  if (totalLength > PCAPNG_MAX_BLOCK) {
    throw new DecodeError('LIMIT', 'pcapng', 'Block Total Length', at + 4, `${totalLength} exceeds ${PCAPNG_MAX_BLOCK}`);
  }
}

/** Check the trailing copy of the block length; the whole block must be at `offset`. */
export function checkTrailingLength(buf: Uint8Array, offset: number, totalLength: number, le: boolean, at: number): void {
  const trailing = dv(buf).getUint32(offset + totalLength - 4, le);
  if (trailing !== totalLength) {
    throw new DecodeError('BAD_LENGTH', 'pcapng', 'Block Total Length', at + totalLength - 4, `trailing ${trailing} != leading ${totalLength}`);
  }
}

/** Section Header Block (whole block at `offset`, length already checked). */
export function decodeSectionHeader(buf: Uint8Array, offset: number, le: boolean, at: number): PcapngSection {
  const v = dv(buf);
  const versionMajor = v.getUint16(offset + 12, le);
  const versionMinor = v.getUint16(offset + 14, le);
  if (versionMajor !== 1) {
    throw new DecodeError('UNSUPPORTED', 'pcapng', 'Major Version', at + 12, `version ${versionMajor}.${versionMinor}`);
  }
  return { littleEndian: le, versionMajor, versionMinor };
}

/** Walk the options in [start, end): calls `fn(code, value, valueOffset)`; stops at opt_endofopt or a malformed option. */
export function walkOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  fn: (code: number, value: Uint8Array, at: number) => void,
): void {
  const v = dv(buf);
  let p = start;
  // every option takes at least 4 bytes, so this loop is bounded by the block length
  while (end - p >= 4) {
    const code = v.getUint16(p, le);
    const len = v.getUint16(p + 2, le);
    if (code === PcapngOption.END_OF_OPT) return;
    const padded = (len + 3) & ~3;
    // options are advisory: a malformed tail is ignored rather than failing the capture
    if (end - p - 4 < padded) return;
    fn(code, buf.subarray(p + 4, p + 4 + len), p + 4);
    p += 4 + padded;
  }
}

/** Interface description with its timestamp resolution precomputed. */
export function makeInterface(linkType: number, snaplen: number, tsresol = 6, tsoffset = 0, name?: string): PcapngInterface {
  const pow2 = (tsresol & 0x80) !== 0;
  const exp = tsresol & 0x7f;
  const unitsPerSecondBig = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
  const iface: PcapngInterface = {
    linkType,
    snaplen,
    tsresol,
    tsoffset,
    unitsPerSecond: Number(unitsPerSecondBig),
    unitsPerSecondBig,
    nsPerUnit: !pow2 && exp <= 9 ? 10 ** (9 - exp) : 0,
  };
  if (name !== undefined) iface.name = name;
  return iface;
}

/** Interface Description Block body (whole block at `offset`). */
export function decodeInterfaceDescription(buf: Uint8Array, offset: number, totalLength: number, le: boolean, at: number): PcapngInterface {
  if (totalLength < 20) throw new DecodeError('BAD_LENGTH', 'pcapng', 'Block Total Length', at + 4, 'IDB shorter than 20 bytes');
  const v = dv(buf);
  const linkType = v.getUint16(offset + 8, le);
  const snaplen = v.getUint32(offset + 12, le);
  let tsresol = 6;
  let tsoffset = 0;
  let name: string | undefined;
  walkOptions(buf, offset + 16, offset + totalLength - 4, le, (code, value, vat) => {
    if (code === PcapngOption.IF_TSRESOL && value.length >= 1) {
      tsresol = value[0]!;
      // beyond 2^-64 / 10^-19 a unit no longer fits the 64-bit timestamp meaningfully
      if ((tsresol & 0x80 ? tsresol & 0x7f : tsresol) > (tsresol & 0x80 ? 64 : 19)) {
        throw new DecodeError('BAD_VALUE', 'pcapng', 'if_tsresol', at + (vat - offset), `resolution byte 0x${tsresol.toString(16)}`);
      }
    } else if (code === PcapngOption.IF_TSOFFSET && value.length >= 8) {
      tsoffset = Number(dv(value).getBigInt64(0, le));
    } else if (code === PcapngOption.IF_NAME) {
      name = Buffer.from(value.buffer, value.byteOffset, value.length).toString('utf8').replace(/\0+$/, '');
    }
  });
  return makeInterface(linkType, snaplen, tsresol, tsoffset, name);
}

/** 64-bit timestamp in interface units → seconds and nanoseconds since the epoch (plus if_tsoffset). */
export function timestampOf(iface: PcapngInterface, high: number, low: number): { tsSec: number; tsNsec: number } {
  const units = high * 4294967296 + low;
  if (iface.nsPerUnit !== 0 && units <= Number.MAX_SAFE_INTEGER) {
    const ups = iface.unitsPerSecond;
    const sec = Math.floor(units / ups);
    return { tsSec: sec + iface.tsoffset, tsNsec: (units - sec * ups) * iface.nsPerUnit };
  }
  const u = (BigInt(high) << 32n) | BigInt(low);
  const ups = iface.unitsPerSecondBig;
  const sec = u / ups;
  const frac = u % ups;
  return { tsSec: Number(sec) + iface.tsoffset, tsNsec: Number((frac * 1000000000n) / ups) };
}

// ---- encoding (tests, benchmark captures) ----

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A block of `type` around `body` (padded to 32 bits), in the given byte order. */
export function encodeBlock(type: number, body: Uint8Array, le = true): Uint8Array {
  const total = 12 + pad4(body.length);
  const out = new Uint8Array(total);
  const v = dv(out);
  v.setUint32(0, type, le);
  v.setUint32(4, total, le);
  out.set(body, 8);
  v.setUint32(total - 4, total, le);
  return out;
}

export interface PcapngOptionInput {
  code: number;
  value: Uint8Array;
}

function encodeOptions(opts: PcapngOptionInput[], le: boolean): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const size = opts.reduce((s, o) => s + 4 + pad4(o.value.length), 4);
  const out = new Uint8Array(size);
  const v = dv(out);
  let p = 0;
  for (const o of opts) {
    v.setUint16(p, o.code, le);
    v.setUint16(p + 2, o.value.length, le);
    out.set(o.value, p + 4);
    p += 4 + pad4(o.value.length);
  }
  return out; // the trailing 4 zero bytes are opt_endofopt
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

export function encodeSectionHeaderBlock(le = true, options: PcapngOptionInput[] = []): Uint8Array {
  const body = new Uint8Array(16);
  const v = dv(body);
  v.setUint32(0, PCAPNG_BYTE_ORDER_MAGIC, le);
  v.setUint16(4, 1, le);
  v.setUint16(6, 0, le);
  v.setBigInt64(8, -1n, le); // section length not specified
  return encodeBlock(PcapngBlockType.SECTION_HEADER, concat([body, encodeOptions(options, le)]), le);
}

export function encodeInterfaceDescriptionBlock(
  iface: { linkType: number; snaplen?: number; tsresol?: number; tsoffset?: number },
  le = true,
): Uint8Array {
  const body = new Uint8Array(8);
  const v = dv(body);
  v.setUint16(0, iface.linkType, le);
  v.setUint32(4, iface.snaplen ?? 0, le);
  const opts: PcapngOptionInput[] = [];
  if (iface.tsresol !== undefined) opts.push({ code: PcapngOption.IF_TSRESOL, value: Uint8Array.of(iface.tsresol) });
  if (iface.tsoffset !== undefined) {
    const o = new Uint8Array(8);
    dv(o).setBigInt64(0, BigInt(iface.tsoffset), le);
    opts.push({ code: PcapngOption.IF_TSOFFSET, value: o });
  }
  return encodeBlock(PcapngBlockType.INTERFACE_DESCRIPTION, concat([body, encodeOptions(opts, le)]), le);
}

/** Enhanced Packet Block; `timestamp` is in the interface's units. */
export function encodeEnhancedPacketBlock(
  p: { interfaceId: number; timestamp: bigint; data: Uint8Array; originalLength?: number },
  le = true,
): Uint8Array {
  const head = new Uint8Array(20);
  const v = dv(head);
  v.setUint32(0, p.interfaceId, le);
  v.setUint32(4, Number(p.timestamp >> 32n), le);
  v.setUint32(8, Number(p.timestamp & 0xffffffffn), le);
  v.setUint32(12, p.data.length, le);
  v.setUint32(16, p.originalLength ?? p.data.length, le);
  return encodeBlock(PcapngBlockType.ENHANCED_PACKET, concat([head, p.data, new Uint8Array(pad4(p.data.length) - p.data.length)]), le);
}

export function encodeSimplePacketBlock(p: { data: Uint8Array; originalLength?: number }, le = true): Uint8Array {
  const head = new Uint8Array(4);
  dv(head).setUint32(0, p.originalLength ?? p.data.length, le);
  return encodeBlock(PcapngBlockType.SIMPLE_PACKET, concat([head, p.data]), le);
}

/** Obsolete Packet Block (type 2). */
export function encodeObsoletePacketBlock(
  p: { interfaceId: number; timestamp: bigint; data: Uint8Array; originalLength?: number },
  le = true,
): Uint8Array {
  const head = new Uint8Array(20);
  const v = dv(head);
  v.setUint16(0, p.interfaceId, le);
  v.setUint16(2, 0, le);
  v.setUint32(4, Number(p.timestamp >> 32n), le);
  v.setUint32(8, Number(p.timestamp & 0xffffffffn), le);
  v.setUint32(12, p.data.length, le);
  v.setUint32(16, p.originalLength ?? p.data.length, le);
  return encodeBlock(PcapngBlockType.PACKET, concat([head, p.data]), le);
}
