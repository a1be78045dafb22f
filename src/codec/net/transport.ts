import { DecodeError } from '../../errors.js';
import { internetChecksum, pseudoHeaderSum } from './ip.js';

/** UDP (RFC 768) and TCP (RFC 9293) headers: ports, sequence space, flags, payload bounds. */

export interface TcpFlags {
  fin: boolean;
  syn: boolean;
  rst: boolean;
  psh: boolean;
  ack: boolean;
  urg: boolean;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** tcp.hdr_len: header length in bytes (data offset × 4). */
  headerLength: number;
  flags: TcpFlags;
  /** All flag bits (tcp.flags, 12 bits incl. ECE/CWR/AE). */
  flagBits: number;
  window: number;
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** udp.length as sent (0 for IPv6 jumbograms). */
  length: number;
}

export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/**
 * UDP header at `o`; the datagram ends at `end` (IP length) of which bytes up to `present` are in
 * the capture. `whole` = false for a first IP fragment (the UDP length covers the whole datagram).
 * Returns the header and the payload end. Offsets in errors are indexes in `b`.
 */
export function decodeUdp(b: Uint8Array, o: number, end: number, present: number, whole: boolean): { udp: UdpHeader; payloadEnd: number } {
  if (present - o < 8) throw new DecodeError('TRUNCATED', 'udp', 'udp.length', o, `${present - o} bytes for an 8-byte header`);
  const length = (b[o + 4]! << 8) | b[o + 5]!;
  const udp = { srcPort: (b[o]! << 8) | b[o + 1]!, dstPort: (b[o + 2]! << 8) | b[o + 3]!, length };
  let payloadEnd = end;
  if (whole && length !== 0) {
    if (length < 8) throw new DecodeError('BAD_LENGTH', 'udp', 'udp.length', o + 4, `${length} < 8`);
    if (length > end - o) throw new DecodeError('BAD_LENGTH', 'udp', 'udp.length', o + 4, `${length} exceeds the IP payload ${end - o}`);
    payloadEnd = o + length; // trims anything after the datagram inside the IP packet
  }
  return { udp, payloadEnd: Math.min(payloadEnd, present) };
}

/** TCP header at `o`; `end` = end of the segment per the IP length, `present` = end of captured bytes. */
export function decodeTcp(b: Uint8Array, o: number, end: number, present: number): TcpHeader {
  if (present - o < 20) throw new DecodeError('TRUNCATED', 'tcp', 'tcp.hdr_len', o, `${present - o} bytes for a 20-byte header`);
  const headerLength = (b[o + 12]! >> 4) * 4;
  if (headerLength < 20) throw new DecodeError('BAD_LENGTH', 'tcp', 'tcp.hdr_len', o + 12, `${headerLength} < 20`);
  if (headerLength > end - o) throw new DecodeError('BAD_LENGTH', 'tcp', 'tcp.hdr_len', o + 12, `${headerLength} exceeds the IP payload ${end - o}`);
  if (headerLength > present - o) throw new DecodeError('TRUNCATED', 'tcp', 'tcp.hdr_len', o + 12, `options cut by the snaplen`);
  const fb = ((b[o + 12]! & 0x0f) << 8) | b[o + 13]!;
  return {
    srcPort: (b[o]! << 8) | b[o + 1]!,
    dstPort: (b[o + 2]! << 8) | b[o + 3]!,
    seq: ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0,
    ack: ((b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!) >>> 0,
    headerLength,
    flags: {
      fin: (fb & TCP_FLAG.FIN) !== 0,
      syn: (fb & TCP_FLAG.SYN) !== 0,
      rst: (fb & TCP_FLAG.RST) !== 0,
      psh: (fb & TCP_FLAG.PSH) !== 0,
      ack: (fb & TCP_FLAG.ACK) !== 0,
      urg: (fb & TCP_FLAG.URG) !== 0,
    },
    flagBits: fb,
    window: (b[o + 14]! << 8) | b[o + 15]!,
  };
}

/** UDP header + payload with the checksum over the pseudo-header. */
export function encodeUdp(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  out[0] = srcPort >> 8;
  out[1] = srcPort & 0xff;
  out[2] = dstPort >> 8;
  out[3] = dstPort & 0xff;
  out[4] = out.length >> 8;
  out[5] = out.length & 0xff;
  out.set(payload, 8);
  let c = internetChecksum(out, 0, out.length, pseudoHeaderSum(src, dst, 17, out.length));
  if (c === 0) c = 0xffff;
  out[6] = c >> 8;
  out[7] = c & 0xff;
  return out;
}

export interface TcpInput {
  seq: number;
  ack?: number;
  flags?: Partial<TcpFlags>;
  window?: number;
}

/** TCP header (no options) + payload with the checksum over the pseudo-header. */
export function encodeTcp(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, t: TcpInput, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint32(4, t.seq >>> 0);
  v.setUint32(8, (t.ack ?? 0) >>> 0);
  const f = t.flags ?? {};
  const ackFlag = f.ack ?? t.ack !== undefined;
  out[12] = 5 << 4;
  out[13] =
    (f.fin ? TCP_FLAG.FIN : 0) |
    (f.syn ? TCP_FLAG.SYN : 0) |
    (f.rst ? TCP_FLAG.RST : 0) |
    (f.psh ? TCP_FLAG.PSH : 0) |
    (ackFlag ? TCP_FLAG.ACK : 0) |
    (f.urg ? TCP_FLAG.URG : 0);
  v.setUint16(14, t.window ?? 65535);
  out.set(payload, 20);
  v.setUint16(16, internetChecksum(out, 0, out.length, pseudoHeaderSum(src, dst, 6, out.length)));
  return out;
}
