/**
 * Test-only: just enough of classic pcap, Ethernet/SLL/raw IPv4, UDP and TCP to pull payloads out
 * of the project's fixture captures. Not the project's pcap reader (src/codec/pcap is), and it trusts
 * its input: fixtures are our own captures.
 */

export interface UdpDatagram {
  /** 1-based frame number, as tshark counts. */
  frame: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface TcpSegment {
  frame: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  syn: boolean;
  payload: Uint8Array;
}

interface IpPacket {
  frame: number;
  src: string;
  dst: string;
  proto: number;
  body: Uint8Array;
}

const ip4 = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function* ipPackets(file: Uint8Array): Generator<IpPacket> {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 24) return;
  const magic = dv.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else return; // not classic pcap (pcapng fixtures are not read here)
  const linktype = dv.getUint32(20, le) & 0x0fffffff;
  let off = 24;
  let frame = 0;
  while (off + 16 <= file.length) {
    const caplen = dv.getUint32(off + 8, le);
    const data = file.subarray(off + 16, Math.min(file.length, off + 16 + caplen));
    off += 16 + caplen;
    frame++;
    let l3: number;
    let ethertype: number;
    const u16 = (o: number): number => ((data[o] ?? 0) << 8) | (data[o + 1] ?? 0);
    switch (linktype) {
      case 1: // Ethernet, with optional 802.1Q tags
        l3 = 14;
        ethertype = u16(12);
        while (ethertype === 0x8100 || ethertype === 0x88a8) {
          ethertype = u16(l3 + 2);
          l3 += 4;
        }
        break;
      case 113: // Linux cooked v1
        l3 = 16;
        ethertype = u16(14);
        break;
      case 276: // Linux cooked v2
        l3 = 20;
        ethertype = u16(0);
        break;
      case 0:
      case 108: // BSD loopback: 4-byte family
        l3 = 4;
        ethertype = 0x0800;
        break;
      case 101:
      case 228: // raw IPv4
        l3 = 0;
        ethertype = 0x0800;
        break;
      default:
        return;
    }
    if (ethertype !== 0x0800 || data.length < l3 + 20 || (data[l3]! >> 4) !== 4) continue;
    const ihl = (data[l3]! & 0x0f) * 4;
    const total = u16(l3 + 2);
    const fragOff = u16(l3 + 6) & 0x1fff;
    const more = (data[l3 + 6]! & 0x20) !== 0;
    if (fragOff !== 0 || more) continue; // fixtures have no IP fragments
    const end = Math.min(data.length, l3 + total);
    yield { frame, src: ip4(data, l3 + 12), dst: ip4(data, l3 + 16), proto: data[l3 + 9]!, body: data.subarray(l3 + ihl, end) };
  }
}

/** Every UDP datagram of a classic pcap (IPv4 only). */
export function udpDatagrams(file: Uint8Array): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  for (const p of ipPackets(file)) {
    if (p.proto !== 17 || p.body.length < 8) continue;
    const b = p.body;
    const len = (b[4]! << 8) | b[5]!;
    out.push({
      frame: p.frame,
      src: p.src,
      dst: p.dst,
      srcPort: (b[0]! << 8) | b[1]!,
      dstPort: (b[2]! << 8) | b[3]!,
      payload: b.subarray(8, Math.min(b.length, Math.max(8, len))),
    });
  }
  return out;
}

/** Every TCP segment of a classic pcap (IPv4 only). */
export function tcpSegments(file: Uint8Array): TcpSegment[] {
  const out: TcpSegment[] = [];
  for (const p of ipPackets(file)) {
    if (p.proto !== 6 || p.body.length < 20) continue;
    const b = p.body;
    const doff = (b[12]! >> 4) * 4;
    out.push({
      frame: p.frame,
      src: p.src,
      dst: p.dst,
      srcPort: (b[0]! << 8) | b[1]!,
      dstPort: (b[2]! << 8) | b[3]!,
      seq: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
      syn: (b[13]! & 0x02) !== 0,
      payload: b.subarray(Math.min(doff, b.length)),
    });
  }
  return out;
}

export interface TcpStream {
  /** "src:port>dst:port" of this direction. */
  key: string;
  /** The well-known port of the pair (the lower one). */
  serverPort: number;
  /** True when this direction flows from the server port. */
  fromServer: boolean;
  bytes: Uint8Array;
  /** True when a sequence hole was found (bytes then stop at the hole). */
  gaps: boolean;
}

/**
 * One byte stream per TCP direction (per connection: a new SYN starts a new stream), in sequence
 * order, retransmissions dropped; stops at the first hole.
 */
export function tcpStreams(file: Uint8Array): TcpStream[] {
  const conns = new Map<string, { key: string; isn?: number; segs: TcpSegment[] }[]>();
  for (const s of tcpSegments(file)) {
    const key = `${s.src}:${s.srcPort}>${s.dst}:${s.dstPort}`;
    let list = conns.get(key);
    if (!list) conns.set(key, (list = []));
    if (s.syn || list.length === 0) list.push({ key, ...(s.syn ? { isn: s.seq } : {}), segs: [] });
    if (s.payload.length > 0) list[list.length - 1]!.segs.push(s);
  }
  const out: TcpStream[] = [];
  for (const list of conns.values()) {
    for (const c of list) {
      const first = c.segs[0];
      if (!first) continue;
      const base = c.isn !== undefined ? (c.isn + 1) >>> 0 : Math.min(...c.segs.map((s) => s.seq));
      const rel = (s: TcpSegment): number => (s.seq - base) >>> 0;
      const segs = [...c.segs].sort((a, b) => rel(a) - rel(b));
      const parts: Uint8Array[] = [];
      let next = 0;
      let gaps = false;
      for (const s of segs) {
        const r = rel(s);
        if (r > next) {
          gaps = true;
          break;
        }
        const skip = next - r;
        if (skip >= s.payload.length) continue;
        parts.push(s.payload.subarray(skip));
        next += s.payload.length - skip;
      }
      const serverPort = Math.min(first.srcPort, first.dstPort);
      out.push({ key: c.key, serverPort, fromServer: first.srcPort === serverPort, bytes: Buffer.concat(parts), gaps });
    }
  }
  return out;
}
