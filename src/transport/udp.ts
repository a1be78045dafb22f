/**
 * UDP request/response transport for many targets at once (NBNS node status and friends).
 *
 * - A few shared sockets per address family carry the queries, spread round robin: each has its
 *   own receive buffer (enlarged, so a sweep's answers are not dropped by the kernel as nbtscan's
 *   are) and its own 64 Ki transaction IDs, and libuv reads at most 32 datagrams per socket per
 *   loop turn, so several sockets drain a burst of answers sooner. Sockets are opened lazily.
 * - Each attempt of a query is sent with a fresh random transaction ID, never one that is still
 *   outstanding on that socket. An answer is accepted only if its ID belongs to an outstanding
 *   query on the socket it arrived on, it comes from that query's destination address AND port,
 *   and its header says "response"; anything else is ignored, counted in `stats` and logged
 *   (`DEBUG=smbprobe:udp`). A fresh ID per attempt makes every RTT sample unambiguous (Karn's
 *   problem does not arise), and an answer to ANY attempt of the query is accepted until the
 *   query ends, so a host slower than the current timeout is still found.
 * - Per-attempt timeout from a TCP-like estimator (RFC 6298: SRTT, RTTVAR, RTO = SRTT + 4·RTTVAR),
 *   bounded by [minTimeoutMs, maxTimeoutMs], doubled on each retransmission (still bounded).
 *   Deadlines are not timers: attempts wait in one FIFO per attempt number (their deadlines are
 *   in send order, as all share the current RTO), and one timer serves the earliest head. A
 *   deadline is computed with the RTO of the moment, so the first samples of a sweep shorten
 *   the wait of attempts already sent.
 * - Retransmission budget: smaller on a path that has shown no loss (`allowedAttempts`), and with
 *   `lossProbes` only one silent target in 8 retransmitted once the path has shown no loss for
 *   long (`sampling`); a sign of loss brings every retransmission back.
 * - Pacing: at most `maxOutstanding` queries in flight (self-clocking: an answer or a timeout
 *   lets the next query go), optionally also a global token bucket (`rate`, packets per second,
 *   retransmissions included). AbortSignal per query and per transport.
 *
 * ICMP port unreachable: Linux reports it only to a *connected* UDP socket (Node then emits an
 * `error` event with ECONNREFUSED). A shared socket cannot tell which target it was for, so there
 * a closed port ends as `timeout`. `connected` mode opens one connected socket per query in
 * flight: it reports `unreachable` at once, at the price of a socket (file descriptor) per query.
 * `auto` is the hybrid: a query that starts while at most `connectedLimit` queries are in flight
 * gets its own connected socket, the others share; so one host or a small sweep sees ICMP, and a
 * big sweep does not pay a socket per target.
 */
import dgram from 'node:dgram';
import { randomFillSync } from 'node:crypto';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import createDebug from 'debug';

const log = createDebug('smbprobe:udp');
/** One line per transport when it closes: what a sweep sent and got (DEBUG=smbprobe:udp:stats). */
const statsLog = createDebug('smbprobe:udp:stats');

export type UdpSocketMode = 'shared' | 'connected' | 'auto';

export interface UdpTransportOptions {
  /** Initial per-attempt timeout, before any RTT sample, ms. Default 1000. */
  timeoutMs?: number;
  /** Lower bound of the adaptive timeout, ms. Default min(200, timeoutMs). */
  minTimeoutMs?: number;
  /** Upper bound of the adaptive timeout (retransmission backoff included), ms. Default timeoutMs. */
  maxTimeoutMs?: number;
  /** Retransmissions after the first attempt. Default 2. */
  retries?: number;
  /** Loss-probe mode on a path without loss (see `UdpTransport.sampling`). Default false. */
  lossProbes?: boolean;
  /** Global cap, packets per second (Infinity: none, the window alone paces). Default Infinity. */
  rate?: number;
  /**
   * After the last attempt has timed out, answers (to any attempt) are still taken for this long,
   * ms; such a query no longer counts against maxOutstanding. A host slower than the adaptive
   * timeout is found without every silent target paying for it. Default min(250, timeoutMs).
   */
  lateMs?: number;
  /** Queries in flight at once; the others wait in order. Default 1024 (at most 32768). */
  maxOutstanding?: number;
  /** `shared` (default), `connected` (one connected socket per query, sees ICMP) or `auto` (connected while few are in flight). */
  mode?: UdpSocketMode;
  /** `auto`: a query gets a connected socket if at most this many are in flight when it starts. Default 64. */
  connectedLimit?: number;
  /** Shared sockets per address family. Default 4 (more when the IDs of maxOutstanding × attempts need them; at most 64). */
  sockets?: number;
  /** SO_RCVBUF asked for each shared socket (the kernel may grant less). Default 4 MiB. */
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
  /** Answers that matched an earlier attempt than the last one sent (late, not lost). */
  lateMatched: number;
  /** Not a response (too short or R bit clear). */
  ignoredNotResponse: number;
  /** Response whose ID belongs to no outstanding query (late, duplicate or forged). */
  ignoredUnknownId: number;
  /** Right ID, but from another address or port than the query went to. */
  ignoredWrongSource: number;
  /** ICMP errors seen on connected sockets. */
  unreachable: number;
  timeouts: number;
  /** Queries that went out on a connected socket of their own. */
  connected: number;
  /**
   * Loss-probe mode (see `UdpTransport.sampling`): first-attempt timeouts that were not
   * retransmitted but only listened for the grace period.
   */
  retransmitsSkipped: number;
  /** Of those, queries retransmitted after all because loss evidence came while they listened. */
  resumed: number;
}

/** A query started with `UdpTransport.start`, for `cancel`. */
export interface UdpQueryHandle {
  readonly req: UdpRequest;
}

/** NBNS/DNS header: 16-bit ID, response bit in the top bit of the flags. */
export function nbnsResponseId(msg: Buffer): number | null {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0) return null;
  return (msg[0]! << 8) | msg[1]!;
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

/** First in, first out, O(1) at both ends (Array#shift is O(n) on a long queue). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  drainAll(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}

/** A shared socket and the queries whose transaction IDs live on it. */
interface Channel {
  socket: dgram.Socket;
  family: 4 | 6;
  byId: (Pending | undefined)[];
  inUse: number;
  /** One send callback per socket, not one closure per datagram. */
  onSent: (err: Error | null) => void;
}

interface Pending {
  req: UdpRequest;
  key: string;
  family: 4 | 6;
  /** Transaction ID and send time of each attempt so far. */
  ids: number[];
  sentAt: number[];
  attempts: number;
  state: 'waiting' | 'active' | 'done';
  /** In the send queue (rate cap): no deadline runs until it is sent. */
  sending: boolean;
  /** Every attempt has timed out; still listening for a late answer until `graceUntil`, out of the window. */
  draining: boolean;
  graceUntil: number;
  /** Draining without the retransmission it would have had (loss-probe mode): resumed on loss evidence. */
  skipped: boolean;
  chan: Channel | undefined;
  /** Its own connected socket (`connected`, or `auto` while few are in flight). */
  socket: dgram.Socket | undefined;
  /** Datagrams waiting for the connected socket's connect() to finish. */
  early: Uint8Array[] | undefined;
  done: (o: UdpOutcome, ctx: unknown) => void;
  ctx: unknown;
  unlisten: () => void;
}

const DEFAULT_RECV_BUFFER = 4 * 1024 * 1024;
/** Answers to first attempts seen before a path without loss earns the smaller retransmission budget. */
const LOSSLESS_EVIDENCE = 32;
/** Answers to first attempts, and not one loss sign, before silent targets are retransmitted only as samples. */
const SAMPLING_EVIDENCE = 256;
/** In loss-probe mode, one first-attempt timeout in this many is retransmitted (the loss probe). */
const PROBE_EVERY = 8;
/** IDs per shared socket we are willing to hold at once (of 65,536), so that a free one is found quickly. */
const IDS_PER_SOCKET = 16384;
// the targets are IP addresses already: skip dns.lookup and its extra tick per datagram
const ipLookup = (family: 4 | 6) => (address: string, _o: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, address, family);

export class UdpTransport {
  readonly stats: UdpStats = {
    sent: 0,
    retransmits: 0,
    received: 0,
    matched: 0,
    lateMatched: 0,
    ignoredNotResponse: 0,
    ignoredUnknownId: 0,
    ignoredWrongSource: 0,
    unreachable: 0,
    timeouts: 0,
    connected: 0,
    retransmitsSkipped: 0,
    resumed: 0,
  };
  readonly rtt: RttEstimator;
  /** Most retransmissions a query may get (the `retries` option). */
  readonly retries: number;
  /**
   * Highest attempt number that an answer has matched so far, and how many answers matched a
   * first attempt. Once LOSSLESS_EVIDENCE answers came to first attempts and none ever needed a
   * retransmission, a query gets at most one attempt more than the highest answered one (never
   * more than 1 + retries): a silent target of a big sweep then costs two datagrams, not three.
   * The first answer to a retransmission (loss on the path) opens the budget again; a small
   * sweep or a single host always has the full budget.
   */
  private answeredAttempt = 1;
  private firstAttemptAnswers = 0;
  /** An answer too late for any query (unknown ID): a sign of loss or delay; sampling stops for good. */
  private lossSign = false;
  private readonly lossProbes: boolean;
  private probeCount = 0;
  readonly maxOutstanding: number;
  readonly mode: UdpSocketMode;
  readonly connectedLimit: number;
  readonly socketsPerFamily: number;
  private readonly bucket: TokenBucket | null;
  private readonly responseId: (msg: Buffer) => number | null;
  private readonly recvBufferSize: number;
  private readonly channels: { 4: Channel[]; 6: Channel[] } = { 4: [], 6: [] };
  private roundRobin = 0;
  private readonly live = new Set<Pending>();
  /** Queries in the window: live ones that are not draining. */
  private inWindow = 0;
  readonly lateMs: number;
  private readonly grace = new Fifo<Pending>();
  private readonly waiting = new Fifo<Pending>();
  private waitingCount = 0;
  private readonly sendQueue = new Fifo<Pending>();
  private sendTimer: NodeJS.Timeout | undefined;
  private readonly burst: number;
  private turnSends = 0;
  private turnTimer: NodeJS.Immediate | undefined;
  /** Attempts waiting for their deadline, one FIFO per attempt number (index = attempt − 1). */
  private readonly due: Fifo<Pending>[];
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private rtoAtArm = Infinity;
  private idPool = new Uint16Array(4096);
  /** How many shared sockets have each ID outstanding. */
  private readonly idUse = new Uint8Array(0x10000);
  private idNext = this.idPool.length;
  private closed = false;
  private readonly offAbort: () => void;

  constructor(opts: UdpTransportOptions = {}) {
    const timeoutMs = opts.timeoutMs ?? 1000;
    const minMs = opts.minTimeoutMs ?? Math.min(200, timeoutMs);
    const maxMs = opts.maxTimeoutMs ?? Math.max(timeoutMs, minMs);
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0: ${timeoutMs}`);
    this.rtt = new RttEstimator(timeoutMs, minMs, maxMs);
    this.retries = opts.retries ?? 2;
    this.lossProbes = opts.lossProbes ?? false;
    if (!Number.isInteger(this.retries) || this.retries < 0) throw new RangeError(`retries must be an integer >= 0: ${this.retries}`);
    this.maxOutstanding = opts.maxOutstanding ?? 1024;
    if (!Number.isInteger(this.maxOutstanding) || this.maxOutstanding < 1 || this.maxOutstanding > 32768) {
      throw new RangeError(`maxOutstanding must be an integer in 1..32768: ${this.maxOutstanding}`);
    }
    const rate = opts.rate ?? Infinity;
    if (!(rate > 0)) throw new RangeError(`rate must be > 0 (Infinity for no cap): ${rate}`);
    // a burst of 20 ms worth of packets keeps timers coarse without bunching much
    this.bucket = rate === Infinity ? null : new TokenBucket(rate, Math.max(1, Math.ceil(rate / 50)));
    this.mode = opts.mode ?? 'shared';
    this.connectedLimit = opts.connectedLimit ?? 64;
    this.lateMs = opts.lateMs ?? Math.min(250, timeoutMs);
    if (!(this.lateMs >= 0)) throw new RangeError(`lateMs must be >= 0: ${this.lateMs}`);
    // every query in flight may hold 1 + retries IDs on its socket
    const needed = Math.ceil((this.maxOutstanding * (this.retries + 1)) / IDS_PER_SOCKET);
    this.socketsPerFamily = Math.min(64, Math.max(opts.sockets ?? 4, needed));
    this.burst = 32 * this.socketsPerFamily;
    this.responseId = opts.responseId ?? nbnsResponseId;
    this.recvBufferSize = opts.recvBufferSize ?? DEFAULT_RECV_BUFFER;
    this.due = Array.from({ length: this.retries + 1 }, () => new Fifo<Pending>());
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
    return this.live.size;
  }
  /** Queries waiting for an outstanding slot. */
  get queued(): number {
    return this.waitingCount;
  }

  /** One query: resolves with the first matching answer, or why none came. Never rejects for network trouble. */
  request(req: UdpRequest): Promise<UdpOutcome> {
    checkRequest(req); // thrown here, not turned into a rejection by the executor
    return new Promise<UdpOutcome>((resolve) => {
      this.start(req, resolve, undefined);
    });
  }

  /**
   * One query, callback style (a sweep makes tens of thousands: no promise per query).
   * `done(outcome, ctx)` is called exactly once, synchronously when the transport is closed or
   * the signal already aborted. Throws TypeError/RangeError for a bad address or port.
   */
  start<C>(req: UdpRequest, done: (o: UdpOutcome, ctx: C) => void, ctx: C): UdpQueryHandle {
    const family = checkRequest(req);
    const p: Pending = {
      req,
      key: family === 4 ? req.address : canonicalAddress(req.address),
      family,
      ids: [],
      sentAt: [],
      attempts: 0,
      state: 'waiting',
      sending: false,
      draining: false,
      graceUntil: 0,
      skipped: false,
      chan: undefined,
      socket: undefined,
      early: undefined,
      done: done as (o: UdpOutcome, ctx: unknown) => void,
      ctx,
      unlisten: noop,
    };
    if (this.closed || req.signal?.aborted) {
      p.state = 'done';
      done({ status: 'aborted', attempts: 0, message: this.closed ? 'transport closed' : 'aborted before sending' }, ctx);
      return p;
    }
    const signal = req.signal;
    if (signal) {
      const onAbort = (): void => this.finish(p, { status: 'aborted', attempts: p.attempts, message: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
      p.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    this.waiting.push(p);
    this.waitingCount++;
    this.pump();
    return p;
  }

  /** Ends a query started with `start` now, as `aborted` (a host deadline); nothing if it already ended. */
  cancel(handle: UdpQueryHandle, message = 'aborted'): void {
    const p = handle as Pending;
    if (p.state !== 'done') this.finish(p, { status: 'aborted', attempts: p.attempts, message });
  }

  /** Ends every query (`aborted`) and closes the sockets. */
  async close(): Promise<void> {
    if (!this.closed && statsLog.enabled) statsLog('%o', this.stats);
    this.closed = true;
    this.offAbort();
    for (const p of [...this.waiting.drainAll(), ...this.live]) {
      this.finish(p, { status: 'aborted', attempts: p.attempts, message: 'transport closed' });
    }
    this.waitingCount = 0;
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.turnTimer) clearImmediate(this.turnTimer);
    this.turnTimer = undefined;
    const socks = [...this.channels[4], ...this.channels[6]].map((c) => c.socket);
    this.channels[4] = [];
    this.channels[6] = [];
    await Promise.all(
      socks.map(
        (s) =>
          new Promise<void>((res) => {
            try {
              s.close(() => res());
            } catch {
              res(); // already closed
            }
          }),
      ),
    );
  }

  // ----------------------------------------------------------------------------------------

  private pump(): void {
    while (this.inWindow < this.maxOutstanding && this.waitingCount > 0) {
      const p = this.waiting.shift()!;
      if (p.state !== 'waiting') continue;
      this.waitingCount--;
      p.state = 'active';
      this.live.add(p);
      this.inWindow++;
      this.transmit(p);
    }
  }

  private transmit(p: Pending): void {
    if (!this.bucket && this.sendQueue.length === 0 && this.turnSends < this.burst) {
      this.turnSends++;
      this.newTurn();
      this.send(p);
      return;
    }
    p.sending = true;
    this.sendQueue.push(p);
    this.drain();
  }

  /**
   * At most `burst` datagrams per event-loop turn; the rest wait for the next turn. libuv reads
   * at most 32 datagrams per socket per turn, so sending much more than that between reads only
   * fills the receive buffers (and inflates the RTTs we measure).
   */
  private newTurn(): void {
    if (this.turnTimer) return;
    this.turnTimer = setImmediate(() => {
      this.turnTimer = undefined;
      this.turnSends = 0;
      this.drain();
    });
  }

  private drain(): void {
    if (this.sendTimer) return;
    for (let p = this.sendQueue.peek(); p !== undefined; p = this.sendQueue.peek()) {
      if (p.state === 'done') {
        this.sendQueue.shift();
        continue;
      }
      if (this.turnSends >= this.burst) {
        this.newTurn();
        return;
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
      this.turnSends++;
      this.newTurn();
      this.send(p);
    }
  }

  private randomId(): number {
    if (this.idNext >= this.idPool.length) {
      randomFillSync(this.idPool);
      this.idNext = 0;
    }
    return this.idPool[this.idNext++]!;
  }

  /**
   * A random ID (pool of crypto random bytes, refilled in bulk) that no outstanding query holds:
   * on any socket while there are free ones, at least on this socket (where answers are matched)
   * once the sweep is big enough to crowd the 64 Ki IDs.
   */
  private newId(chan: Channel): number {
    for (let i = 0; i < 32; i++) {
      const id = this.randomId();
      if (this.idUse[id] === 0) return id;
    }
    for (let i = 0; i < 64; i++) {
      const id = this.randomId();
      if (chan.byId[id] === undefined) return id;
    }
    const start = this.idPool[0]!;
    for (let i = 0; i < 0x10000; i++) {
      const id = (start + i) & 0xffff;
      if (chan.byId[id] === undefined) return id;
    }
    throw new Error('no free transaction ID');
  }

  /** The shared socket for a new query: opened lazily up to socketsPerFamily, then round robin past full ones. */
  private channelFor(family: 4 | 6): Channel | undefined {
    const list = this.channels[family];
    if (list.length < this.socketsPerFamily) {
      const c = this.openChannel(family);
      list.push(c);
      return c;
    }
    for (let i = 0; i < list.length; i++) {
      const c = list[this.roundRobin++ % list.length]!;
      if (c.inUse + this.retries + 1 <= IDS_PER_SOCKET * 2) return c;
    }
    return undefined;
  }

  private send(p: Pending): void {
    p.sending = false;
    if (p.attempts === 0) {
      if (this.mode === 'connected' || (this.mode === 'auto' && this.live.size <= this.connectedLimit)) {
        this.openConnected(p);
      } else {
        p.chan = this.channelFor(p.family);
        if (!p.chan) {
          this.finish(p, { status: 'error', attempts: 0, message: 'no free transaction ID' });
          return;
        }
      }
    }
    let id: number;
    let data: Uint8Array;
    try {
      id = p.chan ? this.newId(p.chan) : this.connectedId(p);
      data = p.req.build(id);
    } catch (e) {
      this.finish(p, { status: 'error', attempts: p.attempts, message: `building the request failed: ${(e as Error).message}` });
      return;
    }
    const now = performance.now();
    p.attempts++;
    if (p.attempts > 1) this.stats.retransmits++;
    p.ids.push(id);
    p.sentAt.push(now);
    this.stats.sent++;
    const deadline = now + this.rtt.timeoutFor(p.attempts);
    this.due[p.attempts - 1]!.push(p);
    if (deadline < this.timerDue) this.armTimer();
    if (log.enabled) log('send %d bytes to %s:%d id 0x%s attempt %d timeout %dms', data.length, p.req.address, p.req.port, id.toString(16).padStart(4, '0'), p.attempts, Math.round(deadline - now));
    if (p.chan) {
      p.chan.byId[id] = p;
      p.chan.inUse++;
      this.idUse[id]!++;
      try {
        p.chan.socket.send(data, p.req.port, p.req.address, p.chan.onSent);
      } catch (e) {
        this.sendFailed(p, e as Error);
      }
    } else if (p.early) {
      p.early.push(data);
    } else {
      this.sendConnected(p, data);
    }
  }

  /** A random ID not used by this query before (a connected socket needs no table: only its peer can answer). */
  private connectedId(p: Pending): number {
    for (;;) {
      const id = this.randomId();
      if (!p.ids.includes(id)) return id;
    }
  }

  private sendConnected(p: Pending, data: Uint8Array): void {
    try {
      p.socket!.send(data, (err) => {
        if (err) this.sendFailed(p, err);
      });
    } catch (e) {
      this.sendFailed(p, e as Error);
    }
  }

  private sendFailed(p: Pending, err: Error): void {
    if (p.state === 'done') return;
    const code = (err as NodeJS.ErrnoException).code;
    log('send to %s:%d failed: %s', p.req.address, p.req.port, err.message);
    const status = code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable' : 'error';
    this.finish(p, { status, attempts: p.attempts, message: `send failed: ${code ?? err.message}` });
  }

  /** A shared socket failed to send one datagram: find its query by destination (rare path). */
  private onSendError(chan: Channel, err: Error): void {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    for (const p of chan.byId) {
      if (p && p.state === 'active' && p.req.address === e.address && p.req.port === e.port) {
        this.sendFailed(p, err);
        return;
      }
    }
    log('send failed on a shared socket, query already gone: %s', err.message);
  }

  /** One timer for every deadline: the earliest head of the per-attempt FIFOs. */
  private armTimer(): void {
    let earliest = Infinity;
    for (let i = 0; i < this.due.length; i++) {
      const q = this.due[i]!;
      let p = q.peek();
      while (p !== undefined && !(p.state === 'active' && p.attempts === i + 1 && !p.sending)) {
        q.shift();
        p = q.peek();
      }
      if (p) earliest = Math.min(earliest, p.sentAt[i]! + this.rtt.timeoutFor(i + 1));
    }
    let g = this.grace.peek();
    while (g !== undefined && !graceLive(g)) {
      this.grace.shift();
      g = this.grace.peek();
    }
    if (g) earliest = Math.min(earliest, g.graceUntil);
    this.rtoAtArm = this.rtt.rto;
    if (this.timer && this.timerDue <= earliest) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
    if (earliest === Infinity || this.closed) return;
    this.timerDue = earliest;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, earliest - performance.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    // within half a millisecond counts as due: timers fire on whole milliseconds
    const now = performance.now() + 0.5;
    for (let i = 0; i < this.due.length; i++) {
      const q = this.due[i]!;
      const timeout = this.rtt.timeoutFor(i + 1);
      for (let p = q.peek(); p !== undefined; p = q.peek()) {
        if (p.state === 'active' && p.attempts === i + 1 && !p.sending) {
          if (p.sentAt[i]! + timeout > now) break;
          q.shift();
          this.expire(p);
        } else {
          q.shift();
        }
      }
    }
    for (let p = this.grace.peek(); p !== undefined; p = this.grace.peek()) {
      if (!graceLive(p)) {
        this.grace.shift();
        continue;
      }
      if (p.graceUntil > now) break;
      this.grace.shift();
      this.timeout(p);
    }
    this.drain();
    this.armTimer();
  }

  /** Attempts a query may have now: see `answeredAttempt`. */
  get allowedAttempts(): number {
    if (this.firstAttemptAnswers < LOSSLESS_EVIDENCE || this.lossSign) return 1 + this.retries;
    return Math.min(1 + this.retries, this.answeredAttempt + 1);
  }

  /**
   * Loss-probe mode: SAMPLING_EVIDENCE answers came to first attempts, none ever needed a
   * retransmission and no answer ever came too late for its query. Then only one silent target
   * in PROBE_EVERY is retransmitted (the loss probe); the others listen for the grace period
   * (lateMs) without it, out of the window. The first sign of loss (an answer to a
   * retransmission, or one too late for any query) ends the mode for good and retransmits at
   * once every query still listening without its retransmission.
   */
  get sampling(): boolean {
    return this.lossProbes && this.firstAttemptAnswers >= SAMPLING_EVIDENCE && this.answeredAttempt === 1 && !this.lossSign && this.lateMs > 0;
  }

  private expire(p: Pending): void {
    if (p.attempts < this.allowedAttempts) {
      if (!(p.attempts === 1 && this.sampling && ++this.probeCount % PROBE_EVERY !== 0)) {
        p.sending = true;
        this.sendQueue.push(p);
        return;
      }
      p.skipped = true;
      this.stats.retransmitsSkipped++;
    }
    if (this.lateMs > 0) {
      // out of the window: it sends nothing more, it only listens a while longer
      p.draining = true;
      p.graceUntil = performance.now() + this.lateMs;
      this.inWindow--;
      this.grace.push(p);
      this.pump();
      return;
    }
    this.timeout(p);
  }

  /** A sign of loss: loss-probe mode ends, and queries that skipped their retransmission get it now. */
  private lossEvidence(): void {
    const wasSampling = this.sampling;
    this.lossSign = true;
    if (!wasSampling && this.stats.retransmitsSkipped === this.stats.resumed) return;
    // a resumed query leaves `grace` here and joins it again only when it drains anew
    for (const p of this.grace.drainAll()) {
      if (!graceLive(p)) continue;
      if (p.skipped) {
        log('loss evidence: %s:%d gets its retransmission after all', p.req.address, p.req.port);
        p.skipped = false;
        p.draining = false;
        this.inWindow++;
        this.stats.resumed++;
        p.sending = true;
        this.sendQueue.push(p);
      } else {
        this.grace.push(p);
      }
    }
    this.drain();
  }

  private timeout(p: Pending): void {
    this.stats.timeouts++;
    this.finish(p, { status: 'timeout', attempts: p.attempts, message: `no answer after ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}` });
  }

  private onMessage(chan: Channel, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.received++;
    const id = this.responseId(msg);
    if (id === null) {
      this.stats.ignoredNotResponse++;
      log('ignored %d bytes from %s:%d: not a response', msg.length, rinfo.address, rinfo.port);
      return;
    }
    const p = chan.byId[id];
    if (!p || p.state !== 'active') {
      this.stats.ignoredUnknownId++;
      log('ignored response id 0x%s from %s:%d: no such query outstanding', id.toString(16).padStart(4, '0'), rinfo.address, rinfo.port);
      // an answer after its query ended: a retransmission might have been needed
      if (!this.lossSign) this.lossEvidence();
      return;
    }
    this.accept(p, id, msg, rinfo);
  }

  private accept(p: Pending, id: number, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let from = rinfo.address;
    if (rinfo.family !== 'IPv4') {
      try {
        from = canonicalAddress(rinfo.address);
      } catch {
        // keep it as given
      }
    }
    const attempt = p.ids.indexOf(id);
    if (attempt < 0 || from !== p.key || rinfo.port !== p.req.port) {
      if (attempt < 0) this.stats.ignoredUnknownId++;
      else this.stats.ignoredWrongSource++;
      log('ignored response id 0x%s from %s:%d: query went to %s:%d', id.toString(16).padStart(4, '0'), rinfo.address, rinfo.port, p.req.address, p.req.port);
      return;
    }
    const rttMs = performance.now() - p.sentAt[attempt]!;
    this.rtt.sample(rttMs);
    this.stats.matched++;
    if (attempt < p.attempts - 1 || p.draining) this.stats.lateMatched++;
    if (attempt === 0) this.firstAttemptAnswers++;
    else if (attempt + 1 > this.answeredAttempt) {
      const wasSampling = this.sampling;
      this.answeredAttempt = attempt + 1;
      if (wasSampling) this.lossEvidence();
    }
    // the first samples of a sweep shorten deadlines computed with the initial timeout
    if (this.rtt.rto < this.rtoAtArm * 0.8) this.armTimer();
    this.finish(p, { status: 'ok', data: msg, from: { address: rinfo.address, port: rinfo.port }, transactionId: id, rttMs, attempts: p.attempts });
  }

  private finish(p: Pending, outcome: UdpOutcome): void {
    if (p.state === 'done') return;
    const wasActive = p.state === 'active';
    if (!wasActive) this.waitingCount--;
    p.state = 'done';
    const chan = p.chan;
    if (chan) {
      for (const id of p.ids) {
        if (chan.byId[id] === p) {
          chan.byId[id] = undefined;
          chan.inUse--;
          this.idUse[id]!--;
        }
      }
    }
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
    if (outcome.status !== 'ok' && log.enabled) log('%s:%d %s: %s', p.req.address, p.req.port, outcome.status, outcome.message);
    p.done(outcome, p.ctx);
    if (wasActive) {
      this.live.delete(p);
      if (!p.draining) this.inWindow--;
      if (!this.closed) this.pump();
    }
  }

  private openChannel(family: 4 | 6): Channel {
    const s = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6', lookup: ipLookup(family) as never });
    const chan: Channel = {
      socket: s,
      family,
      byId: new Array<Pending | undefined>(0x10000).fill(undefined),
      inUse: 0,
      onSent: (err) => {
        if (err) this.onSendError(chan, err);
      },
    };
    s.on('message', (m, r) => this.onMessage(chan, m, r));
    s.on('error', (e) => this.onSocketError(chan, e));
    // sends before the bind completes are queued by dgram itself
    s.bind(0, () => {
      try {
        s.setRecvBufferSize(this.recvBufferSize);
      } catch (e) {
        log('setRecvBufferSize(%d) failed: %s', this.recvBufferSize, (e as Error).message);
      }
      log('udp%d socket bound to port %d, receive buffer %d bytes', family, s.address().port, s.getRecvBufferSize());
    });
    return chan;
  }

  /** A shared socket failed: every query on it ends with `error`. */
  private onSocketError(chan: Channel, e: Error): void {
    log('udp%d socket error: %s', chan.family, e.message);
    for (const p of chan.byId) {
      if (p && p.state === 'active') this.finish(p, { status: 'error', attempts: p.attempts, message: `socket error: ${e.message}` });
    }
  }

  private openConnected(p: Pending): void {
    this.stats.connected++;
    const s = dgram.createSocket({ type: p.family === 4 ? 'udp4' : 'udp6', lookup: ipLookup(p.family) as never });
    p.socket = s;
    p.early = [];
    s.on('message', (m, r) => {
      this.stats.received++;
      const id = this.responseId(m);
      if (id === null) {
        this.stats.ignoredNotResponse++;
        return;
      }
      if (p.state === 'active') this.accept(p, id, m, r);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') {
        this.stats.unreachable++;
        this.finish(p, { status: 'unreachable', attempts: p.attempts, message: 'ICMP port unreachable' });
      } else {
        this.finish(p, { status: 'error', attempts: p.attempts, message: `socket error: ${e.message}` });
      }
    });
    s.connect(p.req.port, p.req.address, () => {
      const early = p.early ?? [];
      p.early = undefined;
      if (p.state === 'done') return;
      for (const d of early) this.sendConnected(p, d);
    });
  }
}

function noop(): void {}

/** An entry of `grace` still listening (it leaves `grace` lazily once its query ended). */
function graceLive(p: Pending): boolean {
  return p.state === 'active' && p.draining;
}

/** The address family of a request; throws for a programmer error (not an IP address, bad port). */
function checkRequest(req: UdpRequest): 4 | 6 {
  const family = isIP(req.address);
  if (family === 0) throw new TypeError(`not an IP address: ${req.address}`);
  if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new RangeError(`bad port: ${req.port}`);
  return family as 4 | 6;
}
