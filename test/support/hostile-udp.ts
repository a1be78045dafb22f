/**
 * Hostile NBNS responders for tests (loopback only): one UDP socket per 127.x address, all on one
 * port, each address with its own misbehaviour. Every answer is built from the request's real
 * transaction ID (except where the point is a wrong one), so only the misbehaviour is tested.
 *
 *   wrong-txid      the right answer with another transaction ID
 *   other-address   the right answer (right ID) sent from another loopback address
 *   truncated       the right answer cut after the RR header (RDATA missing)
 *   short           12 bytes: a bare response header claiming one answer
 *   names-255       NUM_NAMES 255 in an RDATA of 10 bytes
 *   pointer-loop    the answer's RR_NAME is a compression pointer to itself
 *   control-names   a valid answer whose names carry control characters and ANSI escapes
 *   flood           the right answer preceded by 200 datagrams of garbage
 *   silent          nothing
 */
import dgram from 'node:dgram';
import { nbnsPacket, nodeStatusResponse } from '../../src/codec/nbns.js';

export type HostileUdpMode =
  | 'wrong-txid'
  | 'other-address'
  | 'truncated'
  | 'short'
  | 'names-255'
  | 'pointer-loop'
  | 'control-names'
  | 'flood'
  | 'silent';

/** Names (15 bytes at most, latin1) a hostile host puts in its table: terminal escapes, CR/LF, BEL, C1 CSI. */
export const HOSTILE_NAMES = [
  { name: 'EVIL\x1b[2J\x1b[H', suffix: 0x00, flags: 0x0400 },
  { name: 'EVIL\x1b[2J\x1b[H', suffix: 0x20, flags: 0x0400 },
  { name: 'WG\r\nFAKE\x07\x9b1m', suffix: 0x00, flags: 0x8400 },
  { name: '\x1b]0;pwned\x07', suffix: 0x03, flags: 0x0400 },
] as const;

/** The valid NBSTAT answer for `txid` carrying HOSTILE_NAMES (or `names`). */
export function hostileNamesAnswer(txid: number, names: ReadonlyArray<{ name: string; suffix: number; flags: number }> = HOSTILE_NAMES): Buffer {
  return Buffer.from(nbnsPacket.encode(nodeStatusResponse({ transactionId: txid, names: names.map((n) => ({ ...n })), unitId: '02:00:00:00:00:66' })));
}

/** A node status answer with one name, for cutting up. */
function plainAnswer(txid: number): Buffer {
  return Buffer.from(nbnsPacket.encode(nodeStatusResponse({ transactionId: txid, names: [{ name: 'HOSTILE', suffix: 0x20, flags: 0x0400 }] })));
}

/** Header: ID, flags 0x8400 (response, AA), QD 0, AN 1, NS 0, AR 0. */
function header(txid: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(txid, 0);
  h.writeUInt16BE(0x8400, 2);
  h.writeUInt16BE(1, 6);
  return h;
}

/** RR tail after the name: TYPE NBSTAT, CLASS IN, TTL 0, RDLENGTH. */
function rrTail(rdLength: number): Buffer {
  const t = Buffer.alloc(10);
  t.writeUInt16BE(0x21, 0);
  t.writeUInt16BE(1, 2);
  t.writeUInt16BE(rdLength, 8);
  return t;
}

/** The datagrams a mode sends for a request with `txid` (other-address datagrams go through `viaOther`). */
export function hostileDatagrams(mode: HostileUdpMode, txid: number): { direct: Buffer[]; viaOther: Buffer[] } {
  const wildcard = plainAnswer(txid).subarray(12, 12 + 34); // RR_NAME: the encoded '*' name
  switch (mode) {
    case 'wrong-txid':
      return { direct: [plainAnswer((txid ^ 0x5a5a) & 0xffff || 1)], viaOther: [] };
    case 'other-address':
      return { direct: [], viaOther: [plainAnswer(txid)] };
    case 'truncated':
      return { direct: [plainAnswer(txid).subarray(0, 12 + 34 + 10 + 5)], viaOther: [] };
    case 'short':
      return { direct: [header(txid)], viaOther: [] };
    case 'names-255': {
      const rdata = Buffer.concat([Buffer.of(255), Buffer.alloc(9, 0x41)]);
      return { direct: [Buffer.concat([header(txid), wildcard, rrTail(rdata.length), rdata])], viaOther: [] };
    }
    case 'pointer-loop': {
      const rdata = Buffer.concat([Buffer.of(1), Buffer.from('LOOP           \x20', 'latin1'), Buffer.of(0x04, 0x00), Buffer.alloc(6)]);
      return { direct: [Buffer.concat([header(txid), Buffer.of(0xc0, 0x0c), rrTail(rdata.length), rdata])], viaOther: [] };
    }
    case 'control-names':
      return { direct: [hostileNamesAnswer(txid)], viaOther: [] };
    case 'flood': {
      const junk: Buffer[] = [];
      for (let i = 0; i < 200; i++) {
        const b = Buffer.alloc(12 + (i % 50));
        for (let j = 0; j < b.length; j++) b[j] = (i * 31 + j * 7) & 0xff;
        b.writeUInt16BE(txid ^ (i + 1), 0); // never the real ID: the real answer must still win
        b[2] = b[2]! | 0x80; // "response", so the transport must look at it
        junk.push(b);
      }
      return { direct: [...junk, plainAnswer(txid)], viaOther: [] };
    }
    case 'silent':
      return { direct: [], viaOther: [] };
  }
}

function bind(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/**
 * One hostile NBNS responder per address, every one on the same port (the port a scan's
 * `nbstatPort` points at). `port` 0 picks a free one.
 */
export class HostileNbns {
  /** Requests received per address. */
  readonly requests = new Map<string, number>();

  private constructor(
    readonly port: number,
    private readonly sockets: dgram.Socket[],
  ) {}

  static async start(modes: Record<string, HostileUdpMode>, opts: { port?: number; otherAddress?: string } = {}): Promise<HostileNbns> {
    const entries = Object.entries(modes);
    const sockets: dgram.Socket[] = [];
    try {
      let port = opts.port ?? 0;
      const bound: Array<[string, HostileUdpMode, dgram.Socket]> = [];
      for (const [address, mode] of entries) {
        const s = await bind(address, port);
        port = s.address().port;
        sockets.push(s);
        bound.push([address, mode, s]);
      }
      const other = await bind(opts.otherAddress ?? '127.66.0.1', port);
      sockets.push(other);
      const r = new HostileNbns(port, sockets);
      for (const [address, mode, s] of bound) {
        s.on('message', (msg, rinfo) => {
          r.requests.set(address, (r.requests.get(address) ?? 0) + 1);
          if (msg.length < 12 || (msg[2]! & 0x80) !== 0) return;
          const { direct, viaOther } = hostileDatagrams(mode, msg.readUInt16BE(0));
          for (const d of direct) s.send(d, rinfo.port, rinfo.address);
          for (const d of viaOther) other.send(d, rinfo.port, rinfo.address);
        });
      }
      return r;
    } catch (e) {
      for (const s of sockets) s.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
}
