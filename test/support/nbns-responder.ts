/**
 * Loopback NBSTAT responder for tests and benchmarks: one UDP socket per 127.x.y.z address (so
 * each answer leaves from the address that was asked, as a real host's would), all on one port.
 * Answers node status requests with a configurable name table — by default the real Samba table
 * of fixtures/nt1__nmblookup.pcap — and can misbehave on purpose: drop the first requests, delay,
 * send decoys (wrong transaction ID, wrong source address or port, not a response) before or
 * instead of the answer.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { captureMessagesBuffer } from '../../src/capture/messages.js';
import { nbnsPacket, nodeStatusOf, nodeStatusResponse, type NodeStatistics } from '../../src/codec/nbns.js';

export interface ResponderName {
  name: string;
  suffix: number;
  flags: number;
}

export interface ResponderTable {
  names: ResponderName[];
  unitId: string | null;
  statistics: NodeStatistics | null;
}

export type Decoy = 'wrong-txid' | 'wrong-address' | 'wrong-port' | 'not-response';

export interface NbnsResponderOptions {
  /** Addresses to bind, one socket each. Default ['127.0.0.1']. */
  addresses?: string[];
  /** Port for every address; 0 (default) picks one free port for all. */
  port?: number;
  /** Default: the Samba table of fixtures/nt1__nmblookup.pcap. */
  table?: ResponderTable;
  /** Per-address table override. */
  tableFor?: (address: string) => ResponderTable;
  /** Ignore the first N requests reaching each address. */
  dropFirst?: number;
  /** Wait this long before answering, ms. */
  delayMs?: number;
  /** Sent before the answer. */
  decoys?: Decoy[];
  /** Send the real answer (default true; false: decoys only). */
  answer?: boolean;
  /** Source of `wrong-address` decoys (bound on the same port). Default 127.77.255.254. */
  decoyAddress?: string;
}

const FIXTURE = new URL('../../fixtures/nt1__nmblookup.pcap', import.meta.url);

let sambaTableCache: ResponderTable | undefined;

/** The node status answer Samba 4.17's nmbd gave in fixtures/nt1__nmblookup.pcap, decoded. */
export function sambaTable(): ResponderTable {
  if (sambaTableCache) return sambaTableCache;
  for (const m of captureMessagesBuffer(readFileSync(FIXTURE))) {
    if (m.kind !== 'nbns' || m.srcPort !== 137) continue;
    const p = nbnsPacket.decode(m.data);
    const rd = p.response ? nodeStatusOf(p) : undefined;
    if (!rd) continue;
    sambaTableCache = {
      names: rd.names.map((n) => ({ name: n.name, suffix: n.suffix, flags: n.flags })),
      unitId: rd.unitId,
      statistics: rd.statistics,
    };
    return sambaTableCache;
  }
  throw new Error(`no node status answer in ${FIXTURE.pathname}`);
}

/** The answer datagram for a transaction ID and table. */
export function nodeStatusAnswer(transactionId: number, table: ResponderTable): Buffer {
  const p = nodeStatusResponse({ transactionId, names: table.names, unitId: table.unitId, statistics: table.statistics });
  return Buffer.from(nbnsPacket.encode(p));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function bindSocket(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      // bursts of hundreds of requests must not overflow the default buffer
      s.setRecvBufferSize(1 << 20);
      resolve(s);
    });
  });
}

export class NbnsResponder {
  /** Requests received, per address. */
  readonly requests = new Map<string, number>();
  /** Requests received but not answered yet (delay), and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Arrival times (performance.now()) of every request, for rate checks. */
  readonly arrivals: number[] = [];
  /** Transaction IDs of the requests, in arrival order. */
  readonly transactionIds: number[] = [];
  private closed = false;

  private constructor(
    readonly port: number,
    readonly addresses: string[],
    private readonly sockets: Map<string, dgram.Socket>,
    private readonly extra: Map<Decoy, dgram.Socket>,
    private readonly opts: NbnsResponderOptions,
  ) {}

  static async start(opts: NbnsResponderOptions = {}): Promise<NbnsResponder> {
    const addresses = opts.addresses ?? ['127.0.0.1'];
    if (addresses.length === 0) throw new Error('no address');
    const sockets = new Map<string, dgram.Socket>();
    const extra = new Map<Decoy, dgram.Socket>();
    try {
      const first = await bindSocket(addresses[0]!, opts.port ?? 0);
      sockets.set(addresses[0]!, first);
      const port = first.address().port;
      for (const a of addresses.slice(1)) sockets.set(a, await bindSocket(a, port));
      const decoys = opts.decoys ?? [];
      if (decoys.includes('wrong-address')) extra.set('wrong-address', await bindSocket(opts.decoyAddress ?? '127.77.255.254', port));
      if (decoys.includes('wrong-port')) extra.set('wrong-port', await bindSocket(addresses[0]!, 0));
      const r = new NbnsResponder(port, addresses, sockets, extra, opts);
      for (const [a, s] of sockets) s.on('message', (m, rinfo) => void r.onRequest(a, s, m, rinfo));
      return r;
    } catch (e) {
      for (const s of [...sockets.values(), ...extra.values()]) s.close();
      throw e;
    }
  }

  /** Requests received over all addresses. */
  get total(): number {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }

  private async onRequest(address: string, sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    this.arrivals.push(performance.now());
    const seen = (this.requests.get(address) ?? 0) + 1;
    this.requests.set(address, seen);
    let txid: number;
    try {
      const p = nbnsPacket.decode(msg);
      if (p.response || p.questions[0]?.type !== 0x21) return;
      txid = p.transactionId;
      this.transactionIds.push(txid);
    } catch {
      return;
    }
    if (seen <= (this.opts.dropFirst ?? 0)) return;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.opts.delayMs) await sleep(this.opts.delayMs);
      if (this.closed) return;
      const table = this.opts.tableFor ? this.opts.tableFor(address) : (this.opts.table ?? sambaTable());
      const answer = nodeStatusAnswer(txid, table);
      const send = (s: dgram.Socket, data: Buffer): void => {
        if (!this.closed) s.send(data, rinfo.port, rinfo.address);
      };
      for (const d of this.opts.decoys ?? []) {
        switch (d) {
          case 'wrong-txid': {
            const b = Buffer.from(answer);
            b.writeUInt16BE((txid + 1) & 0xffff, 0);
            send(sock, b);
            break;
          }
          case 'not-response': {
            const b = Buffer.from(answer);
            b[2] = b[2]! & 0x7f;
            send(sock, b);
            break;
          }
          case 'wrong-address':
          case 'wrong-port':
            send(this.extra.get(d)!, answer);
            break;
        }
      }
      if (this.opts.answer ?? true) send(sock, answer);
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sockets.values(), ...this.extra.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
