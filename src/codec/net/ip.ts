import { DecodeError } from '../../errors.js';

/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers: enough to find the transport header and its
 * payload. Fragments are flagged, not reassembled. Addresses come out as printable strings
 * (IPv6 in the RFC 5952 canonical form).
 */

export const IpProtocol = {
  HOPOPT: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  ESP: 50,
  AH: 51,
  IPV6_ICMP: 58,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
  MOBILITY: 135,
} as const;

/** Extension headers walked before giving up (LIMIT): a chain of empty headers costs nothing to send. */
export const MAX_IPV6_EXTENSION_HEADERS = 16;

export interface IpPacket {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** Transport protocol number (after IPv6 extension headers). */
  protocol: number;
  /** True for any fragment (MF set or non-zero offset). */
  fragment: boolean;
  /** Fragment offset in bytes; a non-zero offset means no transport header here. */
  fragmentOffset: number;
  /** Offset of the transport header (or fragment data) in the buffer given. */
  payloadOffset: number;
  /** End of the transport data: the IP length trims link-layer padding. */
  payloadEnd: number;
  /** The packet was cut by the snaplen: fewer bytes present than the IP length claims. */
  truncated: boolean;
  /** Bytes of transport data the IP length claims (>= payloadEnd - payloadOffset). */
  payloadLength: number;
}

export function ipv4ToString(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952: lower case, no leading zeros, the longest (first on a tie) run of >= 2 zero groups as `::`; IPv4-mapped as ::ffff:a.b.c.d. */
export function ipv6ToString(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4ToString(b, o + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = g.map((x) => x.toString(16));
  if (bestLen < 2) return hexes.join(':');
  return `${hexes.slice(0, bestStart).join(':')}::${hexes.slice(bestStart + bestLen).join(':')}`;
}

/** Parse a printable IPv4 or IPv6 address (for encoders and tests); throws RangeError on junk. */
export function parseIp(s: string): Uint8Array {
  if (s.includes(':')) return parseIpv6(s);
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new RangeError(`bad IPv4 address ${s}`);
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(s: string): Uint8Array {
  let tail4: number[] = [];
  let str = s;
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    tail4 = [...parseIp(m[2]!)];
    str = `${m[1]}0:0`;
  }
  const halves = str.split('::');
  if (halves.length > 2) throw new RangeError(`bad IPv6 address ${s}`);
  const toGroups = (h: string): number[] => (h === '' ? [] : h.split(':').map((x) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(x)) throw new RangeError(`bad IPv6 address ${s}`);
    return parseInt(x, 16);
  }));
  const head = toGroups(halves[0]!);
  const tail = halves.length === 2 ? toGroups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || head.length + fill + tail.length !== 8) throw new RangeError(`bad IPv6 address ${s}`);
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((x, i) => {
    out[2 * i] = x >> 8;
    out[2 * i + 1] = x & 0xff;
  });
  if (tail4.length === 4) out.set(tail4, 12);
  return out;
}

/** IPv4 header at `offset`, packet ending at `end`. Offsets in errors are indexes in `b`. */
export function decodeIpv4(b: Uint8Array, offset: number, end: number): IpPacket {
  const avail = end - offset;
  if (avail < 20) throw new DecodeError('TRUNCATED', 'ip', 'ip.hdr_len', offset, `${avail} bytes for a 20-byte header`);
  const vihl = b[offset]!;
  if (vihl >> 4 !== 4) throw new DecodeError('BAD_VALUE', 'ip', 'ip.version', offset, `version ${vihl >> 4}`);
  const hlen = (vihl & 0x0f) * 4;
  if (hlen < 20) throw new DecodeError('BAD_LENGTH', 'ip', 'ip.hdr_len', offset, `${hlen} < 20`);
  if (hlen > avail) throw new DecodeError('TRUNCATED', 'ip', 'ip.hdr_len', offset, `${hlen}-byte header, ${avail} bytes present`);
  let total = (b[offset + 2]! << 8) | b[offset + 3]!;
  // 0 = the capturing host offloaded segmentation (TSO): the length was never filled in
  if (total === 0) total = avail;
  if (total < hlen) throw new DecodeError('BAD_LENGTH', 'ip', 'ip.len', offset + 2, `total length ${total} < header ${hlen}`);
  const fragField = (b[offset + 6]! << 8) | b[offset + 7]!;
  const mf = (fragField & 0x2000) !== 0;
  const fragmentOffset = (fragField & 0x1fff) * 8;
  const truncated = total > avail;
  return {
    ipVersion: 4,
    src: ipv4ToString(b, offset + 12),
    dst: ipv4ToString(b, offset + 16),
    protocol: b[offset + 9]!,
    fragment: mf || fragmentOffset !== 0,
    fragmentOffset,
    payloadOffset: offset + hlen,
    payloadEnd: offset + Math.min(total, avail),
    truncated,
    payloadLength: total - hlen,
  };
}

/** IPv6 header and extension headers at `offset`. Offsets in errors are indexes in `b`. */
export function decodeIpv6(b: Uint8Array, offset: number, end: number): IpPacket {
  const avail = end - offset;
  if (avail < 40) throw new DecodeError('TRUNCATED', 'ip', 'ipv6', offset, `${avail} bytes for a 40-byte header`);
  if (b[offset]! >> 4 !== 6) throw new DecodeError('BAD_VALUE', 'ip', 'ipv6.version', offset, `version ${b[offset]! >> 4}`);
  let plen = (b[offset + 4]! << 8) | b[offset + 5]!;
  // 0 = jumbogram (RFC 2675) or TSO: take what is there
  if (plen === 0) plen = avail - 40;
  const truncated = plen > avail - 40;
  const pend = offset + 40 + Math.min(plen, avail - 40);
  let next = b[offset + 6]!;
  let p = offset + 40;
  let fragment = false;
  let fragmentOffset = 0;
  for (let n = 0; ; n++) {
    if (
      next !== IpProtocol.HOPOPT &&
      next !== IpProtocol.IPV6_ROUTE &&
      next !== IpProtocol.IPV6_OPTS &&
      next !== IpProtocol.IPV6_FRAG &&
      next !== IpProtocol.AH &&
      next !== IpProtocol.MOBILITY
    ) {
      break;
    }
    if (n >= MAX_IPV6_EXTENSION_HEADERS) throw new DecodeError('LIMIT', 'ip', 'ipv6.nxt', p, `more than ${MAX_IPV6_EXTENSION_HEADERS} extension headers`);
    if (pend - p < 8) throw new DecodeError('TRUNCATED', 'ip', 'ipv6.ext', p);
    const hdrNext = b[p]!;
    let len: number;
    if (next === IpProtocol.IPV6_FRAG) {
      len = 8;
      const f = (b[p + 2]! << 8) | b[p + 3]!;
      fragmentOffset = f & 0xfff8;
      fragment = true; // an atomic fragment (offset 0, M 0) is still a fragment header
    } else if (next === IpProtocol.AH) {
      len = (b[p + 1]! + 2) * 4;
    } else {
      len = (b[p + 1]! + 1) * 8;
    }
    if (pend - p < len) throw new DecodeError('TRUNCATED', 'ip', 'ipv6.ext.len', p + 1, `${len}-byte extension header`);
    p += len;
    next = hdrNext;
    if (fragmentOffset !== 0) break; // the rest is fragment data, not headers
  }
  return {
    ipVersion: 6,
    src: ipv6ToString(b, offset + 8),
    dst: ipv6ToString(b, offset + 24),
    protocol: next,
    fragment,
    fragmentOffset,
    payloadOffset: p,
    payloadEnd: pend,
    truncated,
    payloadLength: plen - (p - offset - 40),
  };
}

/** Internet checksum (RFC 1071) over `b[start, end)` plus an initial sum. */
export function internetChecksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** IPv4 header (20 bytes, no options) around a transport payload of `payloadLength` bytes. */
export function encodeIpv4Header(src: Uint8Array, dst: Uint8Array, protocol: number, payloadLength: number, ttl = 64, id = 0): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  const total = 20 + payloadLength;
  h[2] = total >> 8;
  h[3] = total & 0xff;
  h[4] = id >> 8;
  h[5] = id & 0xff;
  h[6] = 0x40; // DF
  h[8] = ttl;
  h[9] = protocol;
  h.set(src, 12);
  h.set(dst, 16);
  const c = internetChecksum(h, 0, 20);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return h;
}

export function encodeIpv6Header(src: Uint8Array, dst: Uint8Array, nextHeader: number, payloadLength: number, hopLimit = 64): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[4] = payloadLength >> 8;
  h[5] = payloadLength & 0xff;
  h[6] = nextHeader;
  h[7] = hopLimit;
  h.set(src, 8);
  h.set(dst, 24);
  return h;
}

/** The pseudo-header sum for TCP/UDP checksums. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = 0;
  for (const a of [src, dst]) for (let i = 0; i < a.length; i += 2) sum += (a[i]! << 8) | a[i + 1]!;
  sum += protocol;
  sum += length >>> 16;
  sum += length & 0xffff;
  return sum;
}
