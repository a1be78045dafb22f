/**
 * Link layers of capture files, down to the network-layer header: LINKTYPE_ values from
 * https://www.tcpdump.org/linktypes.html. Only the way to IPv4/IPv6 matters here; anything else
 * (ARP, LLC, NetBEUI, truncated link headers) is "not IP" and yields null, never an error.
 */

export const LinkType = {
  /** BSD loopback: 4-byte address family in the writer's host byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as written by most BSDs (value 12) and OpenBSD (14). */
  RAW_BSD: 12,
  RAW_OPENBSD: 14,
  RAW: 101,
  /** OpenBSD loopback: address family in network byte order. */
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  /** Pre-standard QinQ tag type still seen on some switches. */
  QINQ_OLD: 0x9100,
} as const;

/** VLAN tags followed before giving up: real stacks carry one or two. */
export const MAX_VLAN_TAGS = 8;

export interface LinkInfo {
  /** Offset of the network-layer header in the frame. */
  offset: number;
  /** Network layer: 4 or 6, or 0 when the link type leaves it to the version nibble (raw IP). */
  ipVersion: 0 | 4 | 6;
  /** 802.1Q/802.1ad VLAN IDs, outermost first (Ethernet only). */
  vlan: number[];
}

// BSD address families for IPv6 differ per OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);

function fromEtherType(t: number, offset: number, vlan: number[] = []): LinkInfo | null {
  if (t === EtherType.IPV4) return { offset, ipVersion: 4, vlan };
  if (t === EtherType.IPV6) return { offset, ipVersion: 6, vlan };
  return null;
}

function fromFamily(af: number, offset: number): LinkInfo | null {
  if (af === AF_INET) return { offset, ipVersion: 4, vlan: [] };
  if (AF_INET6.has(af)) return { offset, ipVersion: 6, vlan: [] };
  return null;
}

/** Where the IP header starts in a frame of `linkType`, or null when the frame is not IP. */
export function decodeLink(linkType: number, d: Uint8Array): LinkInfo | null {
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (d.length < 14) return null;
      let t = (d[12]! << 8) | d[13]!;
      let p = 14;
      const vlan: number[] = [];
      while (t === EtherType.VLAN || t === EtherType.QINQ || t === EtherType.QINQ_OLD) {
        if (vlan.length >= MAX_VLAN_TAGS || d.length - p < 4) return null;
        vlan.push(((d[p]! << 8) | d[p + 1]!) & 0x0fff);
        t = (d[p + 2]! << 8) | d[p + 3]!;
        p += 4;
      }
      // values below 0x0600 are 802.3 lengths (LLC follows: NetBEUI, STP...), not IP
      return fromEtherType(t, p, vlan);
    }
    case LinkType.LINUX_SLL:
      if (d.length < 16) return null;
      return fromEtherType((d[14]! << 8) | d[15]!, 16);
    case LinkType.LINUX_SLL2:
      if (d.length < 20) return null;
      return fromEtherType((d[0]! << 8) | d[1]!, 20);
    case LinkType.RAW:
    case LinkType.RAW_BSD:
    case LinkType.RAW_OPENBSD:
      return { offset: 0, ipVersion: 0, vlan: [] };
    case LinkType.IPV4:
      return { offset: 0, ipVersion: 4, vlan: [] };
    case LinkType.IPV6:
      return { offset: 0, ipVersion: 6, vlan: [] };
    case LinkType.NULL: {
      if (d.length < 4) return null;
      // host byte order of the writer: a family is small, so the non-zero half tells the order
      let af = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
      if (af > 0xffff) af = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
      return fromFamily(af, 4);
    }
    case LinkType.LOOP: {
      if (d.length < 4) return null;
      return fromFamily(((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0, 4);
    }
    default:
      return null;
  }
}

/** Link header for an IP packet of the given version (encoders: tests and benchmark captures). */
export function encodeLinkHeader(linkType: number, ipVersion: 4 | 6): Uint8Array {
  const et = ipVersion === 4 ? EtherType.IPV4 : EtherType.IPV6;
  switch (linkType) {
    case LinkType.ETHERNET:
      // locally administered MACs: 02:00:00:00:00:02 <- 02:00:00:00:00:01
      return Uint8Array.of(2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, et >> 8, et & 0xff);
    case LinkType.LINUX_SLL:
      // packet type 0 (to us), ARPHRD_ETHER, 6-byte address
      return Uint8Array.of(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, et >> 8, et & 0xff);
    case LinkType.LINUX_SLL2:
      return Uint8Array.of(et >> 8, et & 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0);
    case LinkType.RAW:
    case LinkType.RAW_BSD:
    case LinkType.RAW_OPENBSD:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return new Uint8Array(0);
    case LinkType.NULL:
      return ipVersion === 4 ? Uint8Array.of(2, 0, 0, 0) : Uint8Array.of(30, 0, 0, 0);
    case LinkType.LOOP:
      return ipVersion === 4 ? Uint8Array.of(0, 0, 0, 2) : Uint8Array.of(0, 0, 0, 24);
    default:
      throw new RangeError(`no encoder for link type ${linkType}`);
  }
}
