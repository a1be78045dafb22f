import { IpProtocol, decodeIpv4, decodeIpv6, encodeIpv4Header, encodeIpv6Header, parseIp, type IpPacket } from './ip.js';
import { decodeLink, encodeLinkHeader, LinkType } from './link.js';
import { decodeTcp, decodeUdp, encodeTcp, encodeUdp, type TcpFlags, type TcpInput } from './transport.js';

/** A captured frame decoded down to its UDP or TCP payload. */
export interface DecodedFrame {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  protocol: 'udp' | 'tcp';
  /** 0 for a non-first IP fragment (no transport header in it). */
  srcPort: number;
  dstPort: number;
  /** Transport payload present in the capture (a view into the frame). */
  payload: Uint8Array;
  /** Part of a fragmented IP datagram (not reassembled). */
  fragment: boolean;
  /** The snaplen cut the packet: `payload` is shorter than `payloadLength`. */
  truncated: boolean;
  /** Payload bytes the IP/UDP lengths claim. */
  payloadLength: number;
  /** 802.1Q/802.1ad VLAN IDs, outermost first. */
  vlan: number[];
  tcp?: {
    seq: number;
    ack: number;
    flags: TcpFlags;
    /** Every flag bit (incl. ECE, CWR). */
    flagBits: number;
    window: number;
    headerLength: number;
  };
}

/**
 * Decode a frame of `linkType` down to UDP/TCP. Returns null when the frame is not IP, or IP but
 * neither UDP nor TCP; throws DecodeError (offset = index in `data`) for malformed IP/UDP/TCP.
 */
export function decodeFrame(linkType: number, data: Uint8Array): DecodedFrame | null {
  const li = decodeLink(linkType, data);
  if (li === null) return null;
  let version: number = li.ipVersion;
  if (version === 0) {
    if (data.length <= li.offset) return null;
    version = data[li.offset]! >> 4;
  }
  let ip: IpPacket;
  if (version === 4) ip = decodeIpv4(data, li.offset, data.length);
  else if (version === 6) ip = decodeIpv6(data, li.offset, data.length);
  else return null;
  if (ip.protocol !== IpProtocol.UDP && ip.protocol !== IpProtocol.TCP) return null;
  const protocol = ip.protocol === IpProtocol.UDP ? 'udp' : 'tcp';
  const o = ip.payloadOffset;
  const present = ip.payloadEnd;
  const claimedEnd = o + ip.payloadLength;
  let srcPort = 0;
  let dstPort = 0;
  let start = o;
  let end = present;
  let truncated = ip.truncated;
  let payloadLength = ip.payloadLength;
  let tcp: DecodedFrame['tcp'];
  if (ip.fragmentOffset !== 0) {
    // a later fragment: no transport header, the bytes are fragment data
  } else if (protocol === 'udp') {
    const { udp, payloadEnd } = decodeUdp(data, o, claimedEnd, present, !ip.fragment);
    srcPort = udp.srcPort;
    dstPort = udp.dstPort;
    start = o + 8;
    end = payloadEnd;
    payloadLength = ip.fragment || udp.length === 0 ? claimedEnd - o - 8 : udp.length - 8;
    truncated = end - start < payloadLength;
  } else {
    const t = decodeTcp(data, o, claimedEnd, present);
    srcPort = t.srcPort;
    dstPort = t.dstPort;
    start = o + t.headerLength;
    payloadLength = claimedEnd - start;
    tcp = { seq: t.seq, ack: t.ack, flags: t.flags, flagBits: t.flagBits, window: t.window, headerLength: t.headerLength };
  }
  const frame: DecodedFrame = {
    ipVersion: ip.ipVersion,
    src: ip.src,
    dst: ip.dst,
    protocol,
    srcPort,
    dstPort,
    payload: data.subarray(start, end),
    fragment: ip.fragment,
    truncated,
    payloadLength,
    vlan: li.vlan,
  };
  if (tcp) frame.tcp = tcp;
  return frame;
}

export interface FrameInput {
  /** Default Ethernet. */
  linkType?: number;
  src: string;
  dst: string;
  protocol: 'udp' | 'tcp';
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
  tcp?: TcpInput;
  /** Bytes appended after the IP packet (Ethernet padding). */
  trailer?: Uint8Array;
}

/** Build a frame (link header, IPv4/IPv6, UDP/TCP with checksums): for tests and benchmark captures. */
export function encodeFrame(f: FrameInput): Uint8Array {
  const src = parseIp(f.src);
  const dst = parseIp(f.dst);
  if (src.length !== dst.length) throw new RangeError('source and destination of different IP versions');
  const v6 = src.length === 16;
  const payload = f.payload ?? new Uint8Array(0);
  const l4 =
    f.protocol === 'udp'
      ? encodeUdp(src, dst, f.srcPort, f.dstPort, payload)
      : encodeTcp(src, dst, f.srcPort, f.dstPort, f.tcp ?? { seq: 0 }, payload);
  const proto = f.protocol === 'udp' ? IpProtocol.UDP : IpProtocol.TCP;
  const ip = v6 ? encodeIpv6Header(src, dst, proto, l4.length) : encodeIpv4Header(src, dst, proto, l4.length);
  const link = encodeLinkHeader(f.linkType ?? LinkType.ETHERNET, v6 ? 6 : 4);
  const trailer = f.trailer ?? new Uint8Array(0);
  const out = new Uint8Array(link.length + ip.length + l4.length + trailer.length);
  out.set(link, 0);
  out.set(ip, link.length);
  out.set(l4, link.length + ip.length);
  out.set(trailer, link.length + ip.length + l4.length);
  return out;
}
