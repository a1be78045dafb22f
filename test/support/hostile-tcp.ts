/**
 * Hostile SMB servers for tests (loopback only), built by composition over SmbResponder: each
 * listens on a given 127.x address with the direct (445-style) and NBSS (139-style) ports, and
 * either misbehaves on its own or relays to an inner SmbResponder and spoils its answers.
 *
 *   accept-silent         accept, read, never answer, never close
 *   trickle               relay the real answers one byte per `trickleMs` (default 1000)
 *   reset-mid-message     relay the first half of the first SMB answer, then RST
 *   announce-16mib        answer with a header announcing the largest length (16 MiB - 1 direct,
 *                         128 KiB - 1 on NBSS), then nothing
 *   endless               answer with a stream that never ends: NBSS SESSION KEEP ALIVEs on 139
 *                         (skipped by the transport, so only the deadline ends it), zero bytes on
 *                         445 (empty messages), written as fast as the peer reads
 *   garbage-contexts      real answers, but the 3.1.1 negotiate context list is random bytes
 *   absurd-offsets        real answers, but every SMB2 NEGOTIATE response points its security
 *                         buffer and context list far outside the message
 *   close-after-positive  139: the NBSS positive session response, then FIN; 445: FIN at once
 *   smb1-to-smb2          an SMB1 NEGOTIATE answer (DialectIndex 0xFFFF) to every SMB2 NEGOTIATE
 *   pass                  a faithful relay (control)
 */
import net from 'node:net';
import { NbssFramer, NBSS_MAX_LENGTH, type NbssFrame, type NbssTransport } from '../../src/codec/nbss.js';
import { SmbResponder, type SmbResponderOptions } from './smb-responder.js';

export type HostileTcpMode =
  | 'accept-silent'
  | 'trickle'
  | 'reset-mid-message'
  | 'announce-16mib'
  | 'endless'
  | 'garbage-contexts'
  | 'absurd-offsets'
  | 'close-after-positive'
  | 'smb1-to-smb2'
  | 'pass';

export interface HostileSmbOptions {
  /** Listen address (default 127.0.0.1). */
  address?: string;
  /** Ports to listen on (0: ephemeral). Use the good server's ports to scan both with one --ports. */
  directPort?: number;
  nbssPort?: number;
  mode: HostileTcpMode;
  /** The relayed server (default: SMB1 off by DialectIndex 0xFFFF, 2.0.2 … 3.1.1). */
  inner?: SmbResponderOptions;
  trickleMs?: number;
}

const SMB2_MAGIC = [0xfe, 0x53, 0x4d, 0x42];

function rawFrame(f: NbssFrame, transport: NbssTransport): Buffer {
  const h = Buffer.alloc(4 + f.payload.length);
  h[0] = f.type;
  if (transport === 'direct') h[1] = (f.length >>> 16) & 0xff;
  else h[1] = f.flags;
  h[2] = (f.length >>> 8) & 0xff;
  h[3] = f.length & 0xff;
  h.set(f.payload, 4);
  return h;
}

/** An SMB2 NEGOTIATE response (not an error): magic, command 0, server-to-redir flag, StructureSize 65. */
function isSmb2NegotiateResponse(p: Uint8Array): boolean {
  if (p.length < 64 + 64) return false;
  if (!SMB2_MAGIC.every((b, i) => p[i] === b)) return false;
  const command = p[12]! | (p[13]! << 8);
  const flags = p[16]!;
  const structureSize = p[64]! | (p[65]! << 8);
  return command === 0 && (flags & 1) === 1 && structureSize === 65;
}

/** Deterministic junk (xorshift), so a failure can be replayed. */
function junk(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export class HostileSmbServer {
  directPort = 0;
  nbssPort = 0;
  /** Connections accepted, per transport. */
  readonly accepted = { direct: 0, nbss: 0 };
  readonly inner: SmbResponder;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(readonly opts: HostileSmbOptions, inner: SmbResponder) {
    this.inner = inner;
  }

  static async start(opts: HostileSmbOptions): Promise<HostileSmbServer> {
    const innerOpts: SmbResponderOptions = { smb1: 'no-dialect', ...opts.inner };
    if (opts.mode === 'smb1-to-smb2') innerOpts.smb2 = 'smb1-answer';
    const s = new HostileSmbServer(opts, await SmbResponder.start(innerOpts));
    const address = opts.address ?? '127.0.0.1';
    s.directPort = await s.listen(address, opts.directPort ?? 0, 'direct');
    s.nbssPort = await s.listen(address, opts.nbssPort ?? 0, 'nbss');
    return s;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
    await this.inner.close();
  }

  private listen(address: string, port: number, transport: NbssTransport): Promise<number> {
    const server = net.createServer((c) => this.serve(c, transport));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  private track(s: net.Socket): net.Socket {
    this.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
    return s;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Client connections open now, and the most open at once (bounds tests). */
  get open(): number {
    return this.clientsOpen;
  }
  maxOpen = 0;
  private clientsOpen = 0;

  private serve(client: net.Socket, transport: NbssTransport): void {
    this.accepted[transport]++;
    this.track(client);
    this.clientsOpen++;
    this.maxOpen = Math.max(this.maxOpen, this.clientsOpen);
    client.on('close', () => this.clientsOpen--);
    const mode = this.opts.mode;
    if (mode === 'accept-silent') {
      client.on('data', () => {});
      return;
    }
    if (mode === 'close-after-positive' && transport === 'direct') {
      client.end();
      return;
    }
    // everything else relays to the inner server and rewrites what comes back
    let stopped = false;
    const upstream = this.track(net.connect({ host: '127.0.0.1', port: transport === 'direct' ? this.inner.directPort : this.inner.nbssPort }));
    client.on('data', (d: Buffer) => upstream.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      // the relayed server hung up: so do we, unless a misbehaviour has taken over the connection
      if (!stopped && mode !== 'trickle') client.end();
    });
    const framer = new NbssFramer(transport);
    let smbAnswers = 0;
    const out: Buffer[] = [];
    const emit = (b: Buffer): void => {
      if (stopped || client.destroyed) return;
      if (mode === 'trickle') {
        out.push(b);
        return;
      }
      client.write(b);
    };
    if (mode === 'trickle') {
      const ms = this.opts.trickleMs ?? 1000;
      const tick = (): void => {
        if (this.closed || client.destroyed) return;
        const head = out[0];
        if (head) {
          client.write(head.subarray(0, 1));
          if (head.length === 1) out.shift();
          else out[0] = head.subarray(1);
        }
        this.later(ms, tick);
      };
      this.later(ms, tick);
    }
    upstream.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      for (;;) {
        let f: NbssFrame | undefined;
        try {
          f = framer.next();
        } catch {
          client.destroy();
          return;
        }
        if (!f || stopped) return;
        if (f.type !== 0) {
          emit(rawFrame(f, transport));
          if (mode === 'close-after-positive' && f.type === 0x82) {
            stopped = true;
            upstream.destroy();
            client.end();
            return;
          }
          continue;
        }
        smbAnswers++;
        const raw = rawFrame(f, transport);
        switch (mode) {
          case 'reset-mid-message':
            client.write(raw.subarray(0, Math.max(5, raw.length >> 1)));
            stopped = true;
            upstream.destroy();
            // let the half message leave before the RST
            this.later(50, () => client.resetAndDestroy());
            return;
          case 'announce-16mib': {
            const n = NBSS_MAX_LENGTH[transport];
            emit(Buffer.of(0, transport === 'direct' ? (n >>> 16) & 0xff : 1, (n >>> 8) & 0xff, n & 0xff));
            stopped = true;
            upstream.destroy();
            return;
          }
          case 'endless':
            stopped = true;
            upstream.destroy();
            this.flood(client, transport);
            return;
          case 'garbage-contexts':
            if (isSmb2NegotiateResponse(f.payload)) {
              const p = Buffer.from(f.payload);
              const count = p.readUInt16LE(64 + 6);
              const at = p.readUInt32LE(64 + 60);
              if (count > 0 && at > 64 && at < p.length) junk(p.length - at, smbAnswers * 7919 + at).copy(p, at);
              emit(rawFrame({ ...f, payload: p }, transport));
            } else emit(raw);
            continue;
          case 'absurd-offsets':
            if (isSmb2NegotiateResponse(f.payload)) {
              const p = Buffer.from(f.payload);
              p.writeUInt16LE(0xfff0, 64 + 56); // SecurityBufferOffset
              p.writeUInt16LE(0xffff, 64 + 58); // SecurityBufferLength
              p.writeUInt32LE(0xfffffff8, 64 + 60); // NegotiateContextOffset
              if (p.readUInt16LE(64 + 4) === 0x0311) p.writeUInt16LE(0xffff, 64 + 6); // NegotiateContextCount
              emit(rawFrame({ ...f, payload: p }, transport));
            } else emit(raw);
            continue;
          default:
            emit(raw);
        }
      }
    });
  }

  /** Write without end, as fast as the peer reads, until it goes away. */
  private flood(client: net.Socket, transport: NbssTransport): void {
    const unit = transport === 'nbss' ? Buffer.from([0x85, 0, 0, 0]) : Buffer.alloc(4);
    const block = Buffer.concat(Array.from({ length: 4096 }, () => unit));
    const pump = (): void => {
      while (!this.closed && !client.destroyed && client.writable) {
        if (!client.write(block)) {
          client.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }
}
