/**
 * TCP transport for the SMB probes: connect timeout, idle timeout (no byte for N ms while a
 * reply is awaited), a total deadline shared by every connection to one host, a byte cap per
 * response (a length header announcing more is a protocol error before anything is read),
 * cancellation by AbortSignal, a small bound on concurrent connections per host, and one
 * adaptive bound on connects in flight over every host (ConnectLimiter: a busy server's listen
 * backlog must not overflow, since several addresses may reach one server). Reads are
 * framed with NbssFramer ('direct' on 445, 'nbss' on 139). Every failure is a TcpError whose
 * `status` comes from the fixed vocabulary; sockets are always destroyed (no fd leak) and no
 * 'error' event is ever left unhandled.
 */
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import createDebug from 'debug';
import { NbssFramer, type NbssFrame, type NbssTransport, NBSS_HEADER_LENGTH, NBSS_MAX_LENGTH } from '../codec/nbss.js';
import { NbssType } from '../codec/netbios-tables.js';
import { DecodeError } from '../errors.js';
import type { ProbeStatus } from '../scan/result.js';

const log = createDebug('smbprobe:tcp');

/** Defaults (documented in docs/cli.md by the CLI owner). */
export const TCP_DEFAULTS = {
  connectTimeoutMs: 3000,
  idleTimeoutMs: 5000,
  hostTimeoutMs: 30000,
  maxResponseBytes: 64 * 1024,
  /** One SMB port's probe needs up to 6 at once: all-dialect + SMB1 + one per lower dialect. */
  maxConnections: 6,
} as const;

/** Finer reason behind a TcpError's status. */
export type TcpErrorReason =
  | 'connect-timeout'
  | 'idle-timeout'
  | 'host-deadline'
  | 'refused'
  | 'reset'
  /** The peer closed the connection (FIN) while a reply was awaited. */
  | 'eof'
  | 'unreachable'
  | 'aborted'
  /** A length header announced more than maxResponseBytes, or too much was buffered. */
  | 'too-large'
  /** A malformed NBSS / direct-TCP header. */
  | 'bad-frame'
  /** More SESSION KEEP ALIVEs than any server sends while one reply is awaited. */
  | 'keepalive-flood'
  | 'socket-error';

export type TcpStatus = Exclude<ProbeStatus, 'ok'>;

export class TcpError extends Error {
  override readonly name = 'TcpError';
  constructor(
    readonly status: TcpStatus,
    readonly reason: TcpErrorReason,
    message: string,
    /** `connect` before the socket was established, `io` after. */
    readonly phase: 'connect' | 'io',
    /** Bytes received on this connection before the failure. */
    readonly bytesReceived = 0,
    /** Bytes sent on this connection before the failure. */
    readonly bytesSent = 0,
    /** The DecodeError behind a protocol-error. */
    readonly decodeError?: DecodeError,
  ) {
    super(message);
  }
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

function mapErrno(err: NodeJS.ErrnoException, phase: 'connect' | 'io', rx: number, tx: number): TcpError {
  const code = err.code ?? '';
  const msg = `${code || 'error'}: ${err.message}`;
  if (code === 'ECONNREFUSED') return new TcpError('refused', 'refused', msg, phase, rx, tx);
  if (code === 'ETIMEDOUT') return new TcpError('timeout', phase === 'connect' ? 'connect-timeout' : 'idle-timeout', msg, phase, rx, tx);
  if (UNREACHABLE.has(code)) return new TcpError('unreachable', 'unreachable', msg, phase, rx, tx);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return new TcpError('reset', 'reset', msg, phase, rx, tx);
  return new TcpError('error', 'socket-error', msg, phase, rx, tx);
}

const DEADLINE_BRAND: unique symbol = Symbol.for('smbprobe:host-deadline') as never;

/**
 * Abort reason of a host deadline, to tell it from a caller's abort: a signal aborted with it
 * (here, or by the scan's own per-host deadline) ends connections with `timeout` (host-deadline).
 */
export class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
  /** A brand rather than instanceof: a module loaded twice (tsx: static + dynamic import) must still agree. */
  readonly [DEADLINE_BRAND] = true;
}

/** The reason is a host deadline (ours or the scan's). */
export function isDeadlineReason(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { [DEADLINE_BRAND]?: unknown })[DEADLINE_BRAND] === true;
}

/** SESSION KEEP ALIVEs skipped while one reply is awaited before the peer counts as hostile. */
export const MAX_KEEPALIVES_PER_REPLY = 64;

function abortError(signal: AbortSignal, phase: 'connect' | 'io', rx = 0, tx = 0): TcpError {
  if (isDeadlineReason(signal.reason)) return new TcpError('timeout', 'host-deadline', 'host deadline reached', phase, rx, tx);
  return new TcpError('aborted', 'aborted', 'aborted', phase, rx, tx);
}

/** A connect whose SYN/ACK took this long lost its SYN (Linux retransmits it after 1 s): a full backlog or loss. */
export const SLOW_CONNECT_MS = 900;

/** How a connect in flight ended, for the window. */
export type ConnectOutcome = 'answered' | 'congestion' | 'neutral';

/** A slot of the ConnectLimiter, held from the connect until the first answer (or failure). */
export interface ConnectSlot {
  /** Idempotent: only the first call counts. */
  done(outcome: ConnectOutcome): void;
}

/**
 * AIMD bound on connects in flight, shared by every TcpHost of a process: a connect holds a slot
 * until its connection's first answer arrives, which is when the server has taken it out of its
 * listen backlog. Each answer grows the window (by 1 below `ssthresh`, else by 1/window); a
 * congestion signal halves it, once per round: only connects started after the last decrease
 * can decrease it again. Congestion is what a busy server does to a port known to be alive: a
 * lost SYN (slow connect), a connect timeout or reset, no answer by half the idle timeout
 * (queueing). A port never seen open that times out is filtered, not congested, and says nothing;
 * a connection still unanswered at half the idle timeout gives its slot back (see TcpHost.connect).
 */
export class ConnectLimiter {
  readonly min: number;
  readonly max: number;
  private win: number;
  private ssthresh: number;
  private inFlight = 0;
  private lastDecrease = -Infinity;
  private readonly queue: Array<() => void> = [];
  /** Slots granted, congestion signals, the largest window and the most connects in flight. */
  readonly stats = { slots: 0, congestion: 0, maxWindow: 0, maxInFlight: 0 };

  constructor(o: { initial?: number; min?: number; max?: number; ssthresh?: number } = {}) {
    // a floor high enough that hosts which misbehave cannot starve the rest of a scan
    this.min = o.min ?? 8;
    this.max = o.max ?? 512;
    this.win = o.initial ?? 16;
    this.ssthresh = o.ssthresh ?? 32;
    if (!(this.min >= 1 && this.max >= this.min && this.win >= this.min && this.win <= this.max)) throw new TypeError('bad ConnectLimiter bounds');
    this.stats.maxWindow = this.win;
  }

  get window(): number {
    return this.win;
  }

  get connectsInFlight(): number {
    return this.inFlight;
  }

  /** The window shrank within the last `ms`: our own load may explain a timeout. */
  congestedWithin(ms: number): boolean {
    return performance.now() - this.lastDecrease <= ms;
  }

  /** Wait for a slot (FIFO); rejects with the signal's TcpError when it aborts first. */
  acquire(signal: AbortSignal): Promise<ConnectSlot> {
    if (signal.aborted) return Promise.reject(abortError(signal, 'connect'));
    if (this.queue.length === 0 && this.inFlight < Math.floor(this.win)) return Promise.resolve(this.grant());
    return new Promise<ConnectSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.queue.indexOf(wake);
        if (i >= 0) this.queue.splice(i, 1);
        reject(abortError(signal, 'connect'));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.grant());
      };
      this.queue.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private grant(): ConnectSlot {
    this.inFlight++;
    this.stats.slots++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    const startedAt = performance.now();
    let ended = false;
    return {
      done: (outcome) => {
        if (ended) return;
        ended = true;
        this.inFlight--;
        if (outcome === 'answered') {
          this.win = Math.min(this.max, this.win + (this.win < this.ssthresh ? 1 : 1 / this.win));
          this.stats.maxWindow = Math.max(this.stats.maxWindow, this.win);
        } else if (outcome === 'congestion') {
          this.stats.congestion++;
          if (startedAt > this.lastDecrease) {
            this.ssthresh = Math.max(this.min, this.win / 2);
            this.win = this.ssthresh;
            this.lastDecrease = performance.now();
            log('connect window down to %d (%d in flight)', Math.floor(this.win), this.inFlight);
          }
        }
        this.pump();
      },
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < Math.floor(this.win)) this.queue.shift()!();
  }
}

/** The limiter every TcpHost uses unless given its own (or null for none). */
export const sharedConnectLimiter = new ConnectLimiter();

export interface TcpHostOptions {
  /** Connect timeout per connection (default 3000 ms). */
  connectTimeoutMs?: number;
  /** No byte for this long while a reply is awaited → timeout (default 5000 ms). */
  idleTimeoutMs?: number;
  /** Total deadline for every connection to the host, from construction (default 30000 ms; 0 = none). */
  hostTimeoutMs?: number;
  /** Largest message accepted (default 64 KiB). */
  maxResponseBytes?: number;
  /** Concurrent connections to the host (default 6). */
  maxConnections?: number;
  /** Bound on connects in flight over hosts (default sharedConnectLimiter; null: none). */
  limiter?: ConnectLimiter | null;
  signal?: AbortSignal;
}

function checkMs(name: string, v: number | undefined, allowZero: boolean): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new TypeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of ms, got ${String(v)}`);
  }
}

/**
 * One host's connections: the shared deadline, the cancellation signal and the connection bound.
 * `close()` destroys whatever is still open and clears the deadline timer; call it when done.
 */
export class TcpHost {
  readonly address: string;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxConnections: number;
  /** Aborted on the host deadline, the caller's abort or close(). */
  readonly signal: AbortSignal;
  /** Connections opened (attempted) so far and the most open at once. */
  readonly stats = { connections: 0, maxOpen: 0 };
  readonly limiter: ConnectLimiter | null;
  /** Ports a connection was established to, and ports that sent an answer. */
  private readonly established = new Set<number>();
  private readonly answered = new Set<number>();

  private readonly controller = new AbortController();
  private readonly deadline: NodeJS.Timeout | undefined;
  private readonly open = new Set<TcpConnection>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly onParentAbort: (() => void) | undefined;
  private readonly parent: AbortSignal | undefined;

  constructor(address: string, opts: TcpHostOptions = {}) {
    checkMs('connectTimeoutMs', opts.connectTimeoutMs, false);
    checkMs('idleTimeoutMs', opts.idleTimeoutMs, false);
    checkMs('hostTimeoutMs', opts.hostTimeoutMs, true);
    const cap = opts.maxResponseBytes ?? TCP_DEFAULTS.maxResponseBytes;
    if (!Number.isSafeInteger(cap) || cap < 64 || cap > NBSS_MAX_LENGTH.direct) throw new TypeError(`maxResponseBytes out of range: ${cap}`);
    const maxConn = opts.maxConnections ?? TCP_DEFAULTS.maxConnections;
    if (!Number.isSafeInteger(maxConn) || maxConn < 1) throw new TypeError(`maxConnections must be a positive integer, got ${maxConn}`);
    this.address = address;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? TCP_DEFAULTS.connectTimeoutMs;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? TCP_DEFAULTS.idleTimeoutMs;
    this.maxResponseBytes = cap;
    this.maxConnections = maxConn;
    this.limiter = opts.limiter === undefined ? sharedConnectLimiter : opts.limiter;
    this.signal = this.controller.signal;
    // every connection, connect and wait listens on it (each removes its own): not a leak
    setMaxListeners(64 + 8 * maxConn, this.signal);
    const total = opts.hostTimeoutMs ?? TCP_DEFAULTS.hostTimeoutMs;
    if (total > 0) {
      this.deadline = setTimeout(() => this.controller.abort(new DeadlineReached('host deadline')), total);
      this.deadline.unref?.();
    }
    this.parent = opts.signal;
    if (opts.signal) {
      if (opts.signal.aborted) this.controller.abort(opts.signal.reason);
      else {
        this.onParentAbort = () => this.controller.abort(opts.signal!.reason);
        opts.signal.addEventListener('abort', this.onParentAbort, { once: true });
      }
    }
  }

  /** Connections currently open. */
  get openConnections(): number {
    return this.open.size;
  }

  /** A connection to `port` was established before: a later timeout there is not a filter. */
  hasConnected(port: number): boolean {
    return this.established.has(port);
  }

  /** A connection to `port` got an answer before: silence there now is the server's load. */
  hasAnswered(port: number): boolean {
    return this.answered.has(port);
  }

  /** @internal TcpConnection: its first frame arrived. */
  noteAnswer(port: number): void {
    this.answered.add(port);
  }

  /**
   * Open a connection once a slot is free. Throws TcpError (refused, timeout connect-timeout,
   * unreachable, aborted, timeout host-deadline ...).
   */
  async connect(port: number, transport: NbssTransport): Promise<TcpConnection> {
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new TypeError(`bad port ${port}`);
    await this.acquire();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.release();
    };
    let slot: ConnectSlot | undefined;
    try {
      if (this.signal.aborted) throw abortError(this.signal, 'connect');
      if (this.limiter) slot = await this.limiter.acquire(this.signal);
      this.stats.connections++;
      const known = this.established.has(port);
      const t0 = performance.now();
      let socket: net.Socket;
      try {
        socket = await this.dial(port);
      } catch (e) {
        // a timeout or reset where a connection was made before is the server's load (or loss)
        const busy = known && e instanceof TcpError && (e.status === 'timeout' || e.status === 'reset') && e.reason !== 'host-deadline';
        slot?.done(busy ? 'congestion' : 'neutral');
        throw e;
      }
      this.established.add(port);
      const lostSyn = performance.now() - t0 >= SLOW_CONNECT_MS;
      const conn = new TcpConnection(socket, transport, this, port, () => {
        this.open.delete(conn);
        release();
      });
      if (slot) {
        const s = slot;
        if (lostSyn) {
          s.done('congestion');
        } else {
          // no answer by half the idle timeout: on a port that answered before, connects queue at
          // the server (back off before they time out); elsewhere it may be a host that accepts
          // and never answers, which must not hold a slot that long
          const late = setTimeout(() => s.done(this.answered.has(port) ? 'congestion' : 'neutral'), this.idleTimeoutMs / 2);
          late.unref?.();
          conn.onFirstOutcome = (o) => {
            clearTimeout(late);
            s.done(o === 'answered' ? 'answered' : o === 'idle-timeout' && this.answered.has(port) ? 'congestion' : 'neutral');
          };
        }
      }
      this.open.add(conn);
      this.stats.maxOpen = Math.max(this.stats.maxOpen, this.open.size);
      return conn;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Destroy every open connection, stop the deadline, fail waiters. Idempotent. */
  close(): void {
    if (this.deadline) clearTimeout(this.deadline);
    if (this.parent && this.onParentAbort) this.parent.removeEventListener('abort', this.onParentAbort);
    if (!this.signal.aborted) this.controller.abort(new Error('host closed'));
    for (const c of [...this.open]) c.close();
    for (const w of this.waiting.splice(0)) w();
  }

  private acquire(): Promise<void> {
    if (this.signal.aborted) return Promise.reject(abortError(this.signal, 'connect'));
    if (this.active < this.maxConnections) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(this.signal, 'connect'));
      };
      const wake = (): void => {
        this.signal.removeEventListener('abort', onAbort);
        if (this.signal.aborted) {
          reject(abortError(this.signal, 'connect'));
          return;
        }
        this.active++;
        resolve();
      };
      this.waiting.push(wake);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next();
  }

  private dial(port: number): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.address, port, noDelay: true });
      let done = false;
      const finish = (err: TcpError | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        socket.removeListener('connect', onConnect);
        socket.removeListener('error', onError);
        if (err) {
          // keep a listener: a late 'error' after destroy must not become an uncaught exception
          socket.on('error', () => {});
          socket.destroy();
          reject(err);
        } else resolve(socket);
      };
      const onConnect = (): void => finish(null);
      const onError = (e: NodeJS.ErrnoException): void => finish(mapErrno(e, 'connect', 0, 0));
      const onAbort = (): void => finish(abortError(this.signal, 'connect'));
      const timer = setTimeout(
        () => finish(new TcpError('timeout', 'connect-timeout', `no connection to ${this.address}:${port} after ${this.connectTimeoutMs} ms`, 'connect')),
        this.connectTimeoutMs,
      );
      socket.once('connect', onConnect);
      socket.once('error', onError);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * One TCP connection with NBSS/direct framing. `receive()` returns the next frame (SESSION
 * KEEP ALIVE frames are skipped); nothing is read unless a receive is pending, and the idle timer
 * runs only then.
 */
export class TcpConnection {
  readonly transport: NbssTransport;
  readonly port: number;
  bytesReceived = 0;
  bytesSent = 0;
  private readonly framer: NbssFramer;
  private failure: TcpError | null = null;
  private ended = false;
  private closed = false;
  private pending: { resolve: (f: NbssFrame) => void; reject: (e: TcpError) => void } | null = null;
  /** Keep-alives skipped since the last frame returned (a flood of them would defeat the idle timer). */
  private keepAlives = 0;
  private idle: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;
  /** Called once: the first frame arrived ('answered'), or the connection ended before one. */
  onFirstOutcome: ((o: 'answered' | 'idle-timeout' | 'other') => void) | null = null;

  constructor(
    private readonly socket: net.Socket,
    transport: NbssTransport,
    private readonly host: TcpHost,
    port: number,
    private readonly onClose: () => void,
  ) {
    this.transport = transport;
    this.port = port;
    this.framer = new NbssFramer(transport, { maxMessage: host.maxResponseBytes });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.settle();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(mapErrno(e, 'io', this.bytesReceived, this.bytesSent)));
    socket.on('close', () => {
      if (!this.failure && !this.ended) this.ended = true;
      this.settle();
      this.finalize();
    });
    this.onAbort = () => this.fail(abortError(host.signal, 'io', this.bytesReceived, this.bytesSent));
    host.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Write raw bytes (an NBSS message already framed). Write errors surface on the next receive. */
  sendRaw(bytes: Uint8Array): void {
    if (this.closed || this.failure) return;
    this.bytesSent += bytes.length;
    this.socket.write(bytes);
  }

  /** Frame `payload` as a SESSION MESSAGE (type 0x00 + length) and send it. */
  send(payload: Uint8Array): void {
    const max = NBSS_MAX_LENGTH[this.transport];
    if (payload.length > max) throw new RangeError(`message of ${payload.length} bytes above the ${this.transport} limit`);
    const out = new Uint8Array(NBSS_HEADER_LENGTH + payload.length);
    out[0] = 0;
    out[1] = this.transport === 'direct' ? (payload.length >>> 16) & 0xff : (payload.length >>> 16) & 1;
    out[2] = (payload.length >>> 8) & 0xff;
    out[3] = payload.length & 0xff;
    out.set(payload, NBSS_HEADER_LENGTH);
    this.sendRaw(out);
  }

  /** The next frame; throws TcpError (timeout idle-timeout/host-deadline, reset, reset eof, protocol-error, aborted). */
  receive(): Promise<NbssFrame> {
    if (this.pending) return Promise.reject(new TypeError('receive() already pending'));
    const ready = this.take();
    if (ready instanceof TcpError) return Promise.reject(ready);
    if (ready) return Promise.resolve(ready);
    return new Promise<NbssFrame>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.armIdle();
      this.socket.resume();
    });
  }

  /** Destroy the socket. Idempotent; a pending receive fails with `aborted`. */
  close(): void {
    if (this.closed) return;
    this.fail(new TcpError('aborted', 'aborted', 'connection closed locally', 'io', this.bytesReceived, this.bytesSent));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A frame, a terminal error, or undefined when more bytes are needed. */
  private take(): NbssFrame | TcpError | undefined {
    for (;;) {
      let f: NbssFrame | undefined;
      try {
        f = this.framer.next();
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        const reason: TcpErrorReason = e.code === 'LIMIT' ? 'too-large' : 'bad-frame';
        return this.markFailed(new TcpError('protocol-error', reason, e.message, 'io', this.bytesReceived, this.bytesSent, e));
      }
      if (f) {
        if (this.transport === 'nbss' && f.type === NbssType.SESSION_KEEP_ALIVE) {
          if (++this.keepAlives > MAX_KEEPALIVES_PER_REPLY) {
            return this.markFailed(
              new TcpError('protocol-error', 'keepalive-flood', `more than ${MAX_KEEPALIVES_PER_REPLY} SESSION KEEP ALIVE messages without an answer`, 'io', this.bytesReceived, this.bytesSent),
            );
          }
          continue;
        }
        this.keepAlives = 0;
        this.firstOutcome('answered');
        return f;
      }
      if (this.failure) return this.failure;
      if (this.ended) {
        return new TcpError('reset', 'eof', `connection closed by peer after ${this.bytesReceived} bytes`, 'io', this.bytesReceived, this.bytesSent);
      }
      return undefined;
    }
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    this.framer.push(chunk);
    // the header check happens in take(); this bounds what a peer can make us hold meanwhile
    if (this.framer.buffered > 2 * this.host.maxResponseBytes + 2 * NBSS_HEADER_LENGTH) {
      this.fail(new TcpError('protocol-error', 'too-large', `more than ${this.host.maxResponseBytes} bytes buffered`, 'io', this.bytesReceived, this.bytesSent));
      this.finalize();
      return;
    }
    if (this.pending) {
      this.armIdle();
      this.settle();
    } else {
      // nobody is reading: stop the flow (backpressure) instead of buffering without bound
      this.socket.pause();
    }
  }

  private settle(): void {
    if (!this.pending) return;
    const r = this.take();
    if (r === undefined || !this.pending) return;
    const p = this.pending;
    this.pending = null;
    this.disarmIdle();
    if (r instanceof TcpError) p.reject(r);
    else p.resolve(r);
  }

  private armIdle(): void {
    this.disarmIdle();
    this.idle = setTimeout(() => {
      this.fail(new TcpError('timeout', 'idle-timeout', `no byte for ${this.host.idleTimeoutMs} ms`, 'io', this.bytesReceived, this.bytesSent));
    }, this.host.idleTimeoutMs);
  }

  private disarmIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  /** Record the first failure and destroy the socket; does not touch a pending receive. */
  private markFailed(err: TcpError): TcpError {
    if (!this.failure) {
      this.failure = err;
      log('%s:%d %s (%s)', this.host.address, this.port, err.status, err.reason);
    }
    this.disarmIdle();
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    return this.failure;
  }

  private fail(err: TcpError): void {
    this.markFailed(err);
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      // a frame already complete wins over the failure that followed it
      const r = this.take();
      if (r && !(r instanceof TcpError)) p.resolve(r);
      else p.reject(this.failure!);
    }
    this.finalize();
  }

  private firstSeen = false;
  private firstOutcome(o: 'answered' | 'idle-timeout' | 'other'): void {
    if (this.firstSeen) return;
    this.firstSeen = true;
    if (o === 'answered') this.host.noteAnswer(this.port);
    const f = this.onFirstOutcome;
    this.onFirstOutcome = null;
    f?.(o);
  }

  private finalizedOnce = false;
  private finalize(): void {
    if (this.finalizedOnce) return;
    if (!this.closed && !this.socket.destroyed) return;
    this.firstOutcome(this.failure?.reason === 'idle-timeout' && this.bytesReceived === 0 ? 'idle-timeout' : 'other');
    this.finalizedOnce = true;
    this.closed = true;
    this.disarmIdle();
    this.host.signal.removeEventListener('abort', this.onAbort);
    this.onClose();
  }
}
