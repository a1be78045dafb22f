/**
 * UDP request/response transport for many targets at once (NBNS node status and friends).
 *
 * - One socket per address family (udp4 at once, udp6 lazily for the first IPv6 target) carries
 *   every query; its receive buffer is enlarged so that a sweep's answers are not dropped by the
 *   kernel (nbtscan loses answers that way).
 * - Each attempt of a query is sent with a fresh random transaction ID, never one that is still
 *   outstanding. An answer is accepted only if its ID belongs to an outstanding query, it comes
 *   from that query's destination address AND port, and its header says "response"; anything else
 *   is ignored, counted in `stats` and logged (`DEBUG=smbprobe:udp`). A fresh ID per attempt makes
 *   every RTT sample unambiguous (Karn's problem does not arise), and an answer to any attempt of
 *   the query is accepted.
 * - Per-attempt timeout from a TCP-like estimator (RFC 6298: SRTT, RTTVAR, RTO = SRTT + 4·RTTVAR),
 *   bounded by [minTimeoutMs, maxTimeoutMs], doubled on each retransmission (still bounded).
 * - A global token bucket caps packets per second over all queries (retransmissions included); a
 *   bound on outstanding queries queues the rest. AbortSignal per query and per transport.
 *
 * ICMP port unreachable: Linux reports it only to a *connected* UDP socket (Node then emits an
 * `error` event with ECONNREFUSED). The shared socket cannot tell which target it was for, so in
 * `shared` mode ICMP is ignored and a closed port ends as `timeout`. `connected` mode opens one
 * connected socket per outstanding query instead (bounded by maxOutstanding): it reports
 * `unreachable` at once, at the price of one file descriptor per query in flight.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import createDebug from 'debug';

const log = createDebug('smbprobe:udp');

export interface UdpTransportOptions {
  /** Initial per-attempt timeout, before any RTT sample, ms. Default 1000. */
  timeoutMs?: number;
  /** Lower bound of the adaptive timeout, ms. Default min(200, timeoutMs). */
  minTimeoutMs?: number;
  /** Upper bound of the adaptive timeout (retransmission backoff included), ms. Default timeoutMs. */
  maxTimeoutMs?: number;
  /** Retransmissions after the first attempt. Default 2. */
  retries?: number;
  /** Global cap, packets per second (Infinity: none). Default 1000. */
  rate?: number;
  /** Queries in flight at once; the others wait in order. Default 1024 (at most 32768). */
  maxOutstanding?: number;
  /** `shared` (default): one socket for all; `connected`: one connected socket per query, detects ICMP port unreachable. */
  mode?: 'shared' | 'connected';
  /** SO_RCVBUF asked for the shared sockets (the kernel may grant less). Default 4 MiB. */
  recvBufferSize?: number;
  /** Transaction ID of a datagram if it is a response, else null. Default: NBNS/DNS header (ID in bytes 0–1, R bit 0x80 of byte 2). */
  responseId?: (msg: Buffer) => number | null;
  /** Aborts every query of this transport. */
  signal?: AbortSignal;
}

export interface UdpRequest {
  address: string;
  port: number;
  /** The datagram for one attempt, with the given transaction ID. */
  build: (transactionId: number) => Uint8Array;
  signal?: AbortSignal;
}

export type UdpOutcome =
  | {
      status: 'ok';
      data: Buffer;
      from: { address: string; port: number };
      transactionId: number;
      /** From the send of the attempt that was answered. */
      rttMs: number;
      attempts: number;
    }
  | { status: 'timeout' | 'unreachable' | 'aborted' | 'error'; attempts: number; message: string };

export interface UdpStats {
  /** Datagrams sent, first attempts and retransmissions. */
  sent: number;
  retransmits: number;
  received: number;
  matched: number;
  /** Not a response (too short or R bit clear). */
  ignoredNotResponse: number;
  /** Response whose ID belongs to no outstanding query (late, duplicate or forged). */
  ignoredUnknownId: number;
  /** Right ID, but from another address or port than the query went to. */
  ignoredWrongSource: number;
  /** ICMP errors seen on connected sockets. */
  unreachable: number;
  timeouts: number;
}

/** NBNS/DNS header: 16-bit ID, response bit in the top bit of the flags. */
export function nbnsResponseId(msg: Buffer): number | null {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0) return null;
  return msg.readUInt16BE(0);
}

/** Canonical text of an IP address (IPv6 compressed, lower case), for comparing sources. */
export function canonicalAddress(address: string): string {
  const v = isIP(address);
  if (v === 4) return address;
  if (v === 6) {
    const zone = address.indexOf('%');
    const bare = zone >= 0 ? address.slice(0, zone) : address;
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  }
  throw new TypeError(`not an IP address: ${address}`);
}

/**
 * RFC 6298 retransmission timer: SRTT/RTTVAR smoothing, RTO = SRTT + max(G, 4·RTTVAR), clamped to
 * [min, max]. Pure (no clock): samples in, timeout out.
 */
export class RttEstimator {
  srtt: number | null = null;
  rttvar: number | null = null;
  samples = 0;
  private rtoValue: number;
  constructor(
    readonly initialMs: number,
    readonly minMs: number,
    readonly maxMs: number,
    /** Clock granularity G of RFC 6298, ms. */
    readonly granularityMs = 1,
  ) {
    if (!(minMs > 0) || !(maxMs >= minMs)) throw new RangeError(`bad RTT bounds [${minMs}, ${maxMs}]`);
    this.rtoValue = this.clamp(initialMs);
  }
  private clamp(v: number): number {
    return Math.min(this.maxMs, Math.max(this.minMs, v));
  }
  /** Current timeout for a first attempt, ms. */
  get rto(): number {
    return this.rtoValue;
  }
  /** Timeout for attempt `n` (1-based): RTO doubled per retransmission, clamped. */
  timeoutFor(attempt: number): number {
    return this.clamp(this.rtoValue * 2 ** Math.min(attempt - 1, 16));
  }
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srtt === null || this.rttvar === null) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.samples++;
    this.rtoValue = this.clamp(this.srtt + Math.max(this.granularityMs, 4 * this.rttvar));
  }
}

/** Token bucket: `rate` tokens per second, at most `burst` stored. Clock injected for tests. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be > 0: ${rate}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1: ${burst}`);
    this.tokens = burst;
    this.last = now();
  }
  private refill(): void {
    if (this.rate === Infinity) {
      this.tokens = this.burst;
      return;
    }
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
  }
  /** Take one token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
  /** Milliseconds until a token will be there. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.rate;
  }
}

interface Pending {
  req: UdpRequest;
  key: string;
  family: 4 | 6;
  ids: Map<number, number>; // transaction ID -> send time
  attempts: number;
  state: 'waiting' | 'active' | 'done';
  timer: NodeJS.Timeout | undefined;
  socket: dgram.Socket | undefined; // connected mode
  resolve: (o: UdpOutcome) => void;
  unlisten: () => void;
}

const DEFAULT_RECV_BUFFER = 4 * 1024 * 1024;

export class UdpTransport {
  readonly stats: UdpStats = {
    sent: 0,
    retransmits: 0,
    received: 0,
    matched: 0,
    ignoredNotResponse: 0,
    ignoredUnknownId: 0,
    ignoredWrongSource: 0,
    unreachable: 0,
    timeouts: 0,
  };
  readonly rtt: RttEstimator;
  readonly retries: number;
  readonly maxOutstanding: number;
  readonly mode: 'shared' | 'connected';
  private readonly bucket: TokenBucket | null;
  private readonly responseId: (msg: Buffer) => number | null;
  private readonly recvBufferSize: number;
  private readonly byId = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  private readonly sendQueue: Pending[] = [];
  private sendTimer: NodeJS.Timeout | undefined;
  private active = 0;
  private closed = false;
  private readonly sockets = new Map<4 | 6, Promise<dgram.Socket>>();
  private readonly offAbort: () => void;

  constructor(opts: UdpTransportOptions = {}) {
    const timeoutMs = opts.timeoutMs ?? 1000;
    const minMs = opts.minTimeoutMs ?? Math.min(200, timeoutMs);
    const maxMs = opts.maxTimeoutMs ?? Math.max(timeoutMs, minMs);
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0: ${timeoutMs}`);
    this.rtt = new RttEstimator(timeoutMs, minMs, maxMs);
    this.retries = opts.retries ?? 2;
    if (!Number.isInteger(this.retries) || this.retries < 0) throw new RangeError(`retries must be an integer >= 0: ${this.retries}`);
    this.maxOutstanding = opts.maxOutstanding ?? 1024;
    if (!Number.isInteger(this.maxOutstanding) || this.maxOutstanding < 1 || this.maxOutstanding > 32768) {
      throw new RangeError(`maxOutstanding must be an integer in 1..32768: ${this.maxOutstanding}`);
    }
    const rate = opts.rate ?? 1000;
    if (!(rate > 0)) throw new RangeError(`rate must be > 0 (Infinity for no cap): ${rate}`);
    // a burst of 20 ms worth of packets keeps timers coarse without bunching much
    this.bucket = rate === Infinity ? null : new TokenBucket(rate, Math.max(1, Math.ceil(rate / 50)));
    this.mode = opts.mode ?? 'shared';
    this.responseId = opts.responseId ?? nbnsResponseId;
    this.recvBufferSize = opts.recvBufferSize ?? DEFAULT_RECV_BUFFER;
    const signal = opts.signal;
    if (signal) {
      const onAbort = (): void => void this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.offAbort = () => signal.removeEventListener('abort', onAbort);
      if (signal.aborted) this.closed = true;
    } else {
      this.offAbort = () => {};
    }
  }

  /** Queries started and not finished. */
  get outstanding(): number {
    return this.active;
  }
  /** Queries waiting for an outstanding slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** One query: resolves with the first matching answer, or why none came. Never rejects for network trouble. */
  request(req: UdpRequest): Promise<UdpOutcome> {
    const family = isIP(req.address);
    if (family === 0) throw new TypeError(`not an IP address: ${req.address}`);
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new RangeError(`bad port: ${req.port}`);
    if (this.closed) return Promise.resolve({ status: 'aborted', attempts: 0, message: 'transport closed' });
    if (req.signal?.aborted) return Promise.resolve({ status: 'aborted', attempts: 0, message: 'aborted before sending' });
    return new Promise<UdpOutcome>((resolve) => {
      const p: Pending = {
        req,
        key: canonicalAddress(req.address),
        family: family as 4 | 6,
        ids: new Map(),
        attempts: 0,
        state: 'waiting',
        timer: undefined,
        socket: undefined,
        resolve,
        unlisten: () => {},
      };
      const signal = req.signal;
      if (signal) {
        const onAbort = (): void => this.finish(p, { status: 'aborted', attempts: p.attempts, message: 'aborted' });
        signal.addEventListener('abort', onAbort, { once: true });
        p.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiting.push(p);
      this.pump();
    });
  }

  /** Ends every query (`aborted`) and closes the sockets. */
  async close(): Promise<void> {
    this.closed = true;
    this.offAbort();
    for (const p of [...this.waiting, ...this.byId.values(), ...this.sendQueue]) {
      this.finish(p, { status: 'aborted', attempts: p.attempts, message: 'transport closed' });
    }
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    const socks = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(
      socks.map((sp) =>
        sp.then(
          (s) => new Promise<void>((res) => s.close(() => res())),
          () => undefined,
        ),
      ),
    );
  }

  // ----------------------------------------------------------------------------------------

  private pump(): void {
    while (this.active < this.maxOutstanding && this.waiting.length > 0) {
      const p = this.waiting.shift()!;
      if (p.state !== 'waiting') continue;
      p.state = 'active';
      this.active++;
      this.transmit(p);
    }
  }

  private transmit(p: Pending): void {
    this.sendQueue.push(p);
    this.drain();
  }

  private drain(): void {
    if (this.sendTimer) return;
    while (this.sendQueue.length > 0) {
      const p = this.sendQueue[0]!;
      if (p.state === 'done') {
        this.sendQueue.shift();
        continue;
      }
      if (this.bucket && !this.bucket.take()) {
        this.sendTimer = setTimeout(
          () => {
            this.sendTimer = undefined;
            this.drain();
          },
          Math.max(1, Math.ceil(this.bucket.waitMs())),
        );
        return;
      }
      this.sendQueue.shift();
      this.send(p);
    }
  }

  private newId(): number {
    // maxOutstanding ≤ 32768 queries, each holding at most retries+1 IDs while in flight; in the
    // worst case the table fills, and then we still find a free one by scanning
    for (let i = 0; i < 64; i++) {
      const id = randomInt(0x10000);
      if (!this.byId.has(id)) return id;
    }
    const start = randomInt(0x10000);
    for (let i = 0; i < 0x10000; i++) {
      const id = (start + i) & 0xffff;
      if (!this.byId.has(id)) return id;
    }
    throw new Error('no free transaction ID');
  }

  private send(p: Pending): void {
    const id = this.newId();
    let data: Uint8Array;
    try {
      data = p.req.build(id);
    } catch (e) {
      this.finish(p, { status: 'error', attempts: p.attempts, message: `building the request failed: ${(e as Error).message}` });
      return;
    }
    p.attempts++;
    if (p.attempts > 1) this.stats.retransmits++;
    this.byId.set(id, p);
    p.ids.set(id, performance.now());
    const timeout = this.rtt.timeoutFor(p.attempts);
    p.timer = setTimeout(() => this.onTimer(p), timeout);
    const sent = (err: Error | null | undefined): void => {
      if (!err || p.state === 'done') return;
      const code = (err as NodeJS.ErrnoException).code;
      log('send to %s:%d failed: %s', p.req.address, p.req.port, err.message);
      const status = code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable' : 'error';
      this.finish(p, { status, attempts: p.attempts, message: `send failed: ${code ?? err.message}` });
    };
    const sock = this.mode === 'connected' ? this.connectedSocket(p) : this.sharedSocket(p.family);
    sock.then(
      (s) => {
        if (p.state === 'done') return;
        this.stats.sent++;
        log('send %d bytes to %s:%d id 0x%s attempt %d timeout %dms', data.length, p.req.address, p.req.port, id.toString(16).padStart(4, '0'), p.attempts, Math.round(timeout));
        try {
          if (this.mode === 'connected') s.send(data, sent);
          else s.send(data, p.req.port, p.req.address, sent);
        } catch (e) {
          sent(e as Error);
        }
      },
      (e: Error) => this.finish(p, { status: 'error', attempts: p.attempts, message: `socket: ${e.message}` }),
    );
  }

  private onTimer(p: Pending): void {
    p.timer = undefined;
    if (p.state === 'done') return;
    if (p.attempts <= this.retries) {
      this.transmit(p);
      return;
    }
    this.stats.timeouts++;
    this.finish(p, { status: 'timeout', attempts: p.attempts, message: `no answer after ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}` });
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++;
    const id = this.responseId(msg);
    if (id === null) {
      this.stats.ignoredNotResponse++;
      log('ignored %d bytes from %s:%d: not a response', msg.length, rinfo.address, rinfo.port);
      return;
    }
    const p = this.byId.get(id);
    if (!p || p.state === 'done') {
      this.stats.ignoredUnknownId++;
      log('ignored response id 0x%s from %s:%d: no such query outstanding', id.toString(16).padStart(4, '0'), rinfo.address, rinfo.port);
      return;
    }
    let from: string;
    try {
      from = canonicalAddress(rinfo.address);
    } catch {
      from = rinfo.address;
    }
    if (from !== p.key || rinfo.port !== p.req.port) {
      this.stats.ignoredWrongSource++;
      log('ignored response id 0x%s from %s:%d: query went to %s:%d', id.toString(16).padStart(4, '0'), rinfo.address, rinfo.port, p.req.address, p.req.port);
      return;
    }
    const sentAt = p.ids.get(id)!;
    const rttMs = performance.now() - sentAt;
    this.rtt.sample(rttMs);
    this.stats.matched++;
    this.finish(p, { status: 'ok', data: msg, from: { address: rinfo.address, port: rinfo.port }, transactionId: id, rttMs, attempts: p.attempts });
  }

  private finish(p: Pending, outcome: UdpOutcome): void {
    if (p.state === 'done') return;
    const wasActive = p.state === 'active';
    p.state = 'done';
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    for (const id of p.ids.keys()) if (this.byId.get(id) === p) this.byId.delete(id);
    p.unlisten();
    if (p.socket) {
      const s = p.socket;
      p.socket = undefined;
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    if (!wasActive) {
      const i = this.waiting.indexOf(p);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    if (outcome.status !== 'ok') log('%s:%d %s: %s', p.req.address, p.req.port, outcome.status, outcome.message);
    p.resolve(outcome);
    if (wasActive) {
      this.active--;
      if (!this.closed) this.pump();
    }
  }

  private sharedSocket(family: 4 | 6): Promise<dgram.Socket> {
    let sp = this.sockets.get(family);
    if (!sp) {
      sp = new Promise<dgram.Socket>((resolve, reject) => {
        const s = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
        s.on('message', (m, r) => this.onMessage(m, r));
        const onBindError = (e: Error): void => reject(e);
        s.once('error', onBindError);
        s.bind(0, () => {
          s.off('error', onBindError);
          s.on('error', (e) => this.onSocketError(family, e));
          try {
            s.setRecvBufferSize(this.recvBufferSize);
          } catch (e) {
            log('setRecvBufferSize(%d) failed: %s', this.recvBufferSize, (e as Error).message);
          }
          log('udp%d socket bound to port %d, receive buffer %d bytes', family, s.address().port, s.getRecvBufferSize());
          resolve(s);
        });
      });
      this.sockets.set(family, sp);
    }
    return sp;
  }

  /** The shared socket failed after binding: every query on it ends with `error`. */
  private onSocketError(family: 4 | 6, e: Error): void {
    log('udp%d socket error: %s', family, e.message);
    for (const p of [...this.byId.values()]) {
      if (p.family === family && this.mode === 'shared') this.finish(p, { status: 'error', attempts: p.attempts, message: `socket error: ${e.message}` });
    }
  }

  private connectedSocket(p: Pending): Promise<dgram.Socket> {
    if (p.socket) return Promise.resolve(p.socket);
    return new Promise<dgram.Socket>((resolve, reject) => {
      const s = dgram.createSocket({ type: p.family === 4 ? 'udp4' : 'udp6' });
      p.socket = s;
      s.on('message', (m, r) => this.onMessage(m, r));
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') {
          this.stats.unreachable++;
          this.finish(p, { status: 'unreachable', attempts: p.attempts, message: 'ICMP port unreachable' });
        } else {
          this.finish(p, { status: 'error', attempts: p.attempts, message: `socket error: ${e.message}` });
        }
        reject(e);
      });
      s.connect(p.req.port, p.req.address, () => resolve(s));
    });
  }
}
