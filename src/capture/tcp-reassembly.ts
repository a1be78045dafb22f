/**
 * TCP stream reassembly for captures: pure and stateful (no I/O, no timers; time is the capture's).
 *
 * Per connection and direction: bytes are delivered in sequence order (32-bit wraparound), from
 * the ISN of the SYN or, without a handshake, from the first segment that carries data.
 * Duplicates and retransmissions are dropped, overlapping retransmits trimmed (first copy wins).
 * Out-of-order segments wait in a bounded buffer; when the bound is passed the hole is declared a
 * gap and delivery resumes after it, so the consumer can reset its framer rather than misparse.
 * FIN (once every byte before it arrived) and RST close a direction. The number of connections
 * kept is bounded (least recently used evicted first) and idle connections can be evicted by
 * capture time.
 */

export interface Endpoint {
  ip: string;
  port: number;
}

/** One direction of one connection. */
export interface StreamRef {
  /** Connection number (1-based, order of first appearance; a reused 4-tuple gets a new one). */
  connection: number;
  /** `src:port>dst:port`, unique per direction of a live connection. */
  key: string;
  src: Endpoint;
  dst: Endpoint;
}

export interface TcpSegment {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  payload: Uint8Array;
  /** Payload bytes the headers claim but the capture cut (snaplen): become a gap. */
  missing?: number;
  frame: number;
  tsSec: number;
  tsNsec: number;
}

export type GapReason =
  /** The out-of-order buffer bound was reached while a hole was still open. */
  | 'buffer-limit'
  /** The capture cut the segment (snaplen). */
  | 'truncated'
  /** End of capture, eviction or RST with data still waiting behind a hole. */
  | 'flush';

export type CloseReason = 'fin' | 'rst' | 'evicted' | 'idle' | 'end' | 'reused';

interface At {
  frame: number;
  tsSec: number;
  tsNsec: number;
}

export type ReassemblyEvent =
  /** First event of a direction; `midstream` = no SYN was seen (the stream may start inside a message). */
  | ({ kind: 'start'; stream: StreamRef; midstream: boolean } & At)
  /** Contiguous bytes at stream `offset` (a view: copy it to keep it), with the segment that carried them. */
  | ({ kind: 'data'; stream: StreamRef; offset: number; data: Uint8Array } & At)
  /** `length` bytes at stream `offset` will never arrive; data resumes at offset + length. */
  | ({ kind: 'gap'; stream: StreamRef; offset: number; length: number; reason: GapReason } & At)
  | ({ kind: 'close'; stream: StreamRef; reason: CloseReason } & At);

export interface TcpReassemblyOptions {
  /** Out-of-order bytes buffered per direction (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Out-of-order segments buffered per direction (default 512). */
  maxBufferedSegments?: number;
  /** Connections kept (default 10 000); the least recently active is evicted beyond it. */
  maxConnections?: number;
  /** Evict connections idle for this many capture seconds (default 600; 0 = never). */
  idleTimeoutSec?: number;
}

export interface TcpReassemblyStats {
  segments: number;
  duplicates: number;
  afterClose: number;
  gaps: number;
  evicted: number;
}

interface Pending extends At {
  seq: number;
  data: Uint8Array;
  missing: number;
  fin: boolean;
}

interface Direction {
  stream: StreamRef;
  started: boolean;
  closed: boolean;
  /** Next expected sequence number (u32). */
  nextSeq: number;
  /** ISN + 1 of the SYN, to tell a retransmitted SYN from a new connection. */
  synNext: number | undefined;
  /** Stream offset of nextSeq. */
  offset: number;
  /** Out-of-order segments, sorted by sequence number. */
  ooo: Pending[];
  oooBytes: number;
}

interface Connection {
  id: number;
  /** The directions seen, in the order they were (two fields: no Map per connection). */
  first: Direction | undefined;
  second: Direction | undefined;
  lastTsSec: number;
  /** Frame and time of the last segment (lastTsSec is its second). */
  lastFrame: number;
  lastTsNsec: number;
  /** Key in the connection map, the endpoints it was made from and both direction keys. */
  key: string;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  forward: string;
  backward: string;
  /** Still in the connection map. */
  live: boolean;
  /** Neighbours in the order of last activity (older, newer). */
  older: Connection | undefined;
  newer: Connection | undefined;
}

const NO_DATA = new Uint8Array(0);

/** Signed distance a - b in 32-bit sequence space. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

const atOf = (s: TcpSegment): At => ({ frame: s.frame, tsSec: s.tsSec, tsNsec: s.tsNsec });
const lastAt = (c: Connection): At => ({ frame: c.lastFrame, tsSec: c.lastTsSec, tsNsec: c.lastTsNsec });

function endpointKey(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export class TcpReassembler {
  private readonly maxBytes: number;
  private readonly maxSegs: number;
  private readonly maxConns: number;
  private readonly idle: number;
  /** Lookup by key; the order of last activity is the list oldest → newest (a Map re-ordered on every switch of connection churned its table). */
  private readonly conns = new Map<string, Connection>();
  private oldest: Connection | undefined;
  private newest: Connection | undefined;
  private nextId = 1;
  /** Connection of the last segment (the most recently used one while it is still in the map). */
  private lastConn: Connection | undefined;
  /** The map's head when it was last found not idle at capture second `idleNow` (undefined: look again). */
  private idleHead: Connection | undefined;
  private idleNow = 0;
  private readonly scratch: Pending = { seq: 0, data: NO_DATA, missing: 0, fin: false, frame: 0, tsSec: 0, tsNsec: 0 };
  readonly stats: TcpReassemblyStats = { segments: 0, duplicates: 0, afterClose: 0, gaps: 0, evicted: 0 };

  constructor(opts: TcpReassemblyOptions = {}) {
    this.maxBytes = opts.maxBufferedBytes ?? 1024 * 1024;
    this.maxSegs = opts.maxBufferedSegments ?? 512;
    this.maxConns = opts.maxConnections ?? 10000;
    this.idle = opts.idleTimeoutSec ?? 600;
  }

  /** Connections currently tracked (closed ones included until evicted). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Feed one segment; events are appended to `out` (returned). */
  push(s: TcpSegment, out: ReassemblyEvent[] = []): ReassemblyEvent[] {
    this.stats.segments++;
    const hasData = s.payload.length > 0 || (s.missing ?? 0) > 0;
    // consecutive segments mostly belong to the connection of the one before: then no keys are
    // built and the LRU order stays as it is (that connection is already the most recent)
    const lc = this.lastConn;
    let conn: Connection | undefined;
    let dkey: string;
    if (lc !== undefined && lc.live && lc.srcPort === s.srcPort && lc.dstPort === s.dstPort && lc.src === s.src && lc.dst === s.dst) {
      conn = lc;
      dkey = lc.forward;
    } else if (lc !== undefined && lc.live && lc.srcPort === s.dstPort && lc.dstPort === s.srcPort && lc.src === s.dst && lc.dst === s.src) {
      conn = lc;
      dkey = lc.backward;
    } else {
      const a = endpointKey(s.src, s.srcPort);
      const b = endpointKey(s.dst, s.dstPort);
      const ckey = a < b ? `${a}|${b}` : `${b}|${a}`;
      dkey = `${a}>${b}`;
      conn = this.conns.get(ckey);
      if (conn) {
        // move to the most recently used end
        if (conn === this.idleHead) this.idleHead = undefined;
        this.toNewest(conn);
      } else {
        // a bare ACK or RST of an unknown connection creates nothing
        if (!s.syn && !s.fin && !hasData) return out;
        conn = {
          id: this.nextId++, first: undefined, second: undefined, lastTsSec: s.tsSec, lastFrame: s.frame, lastTsNsec: s.tsNsec, key: ckey, src: s.src, srcPort: s.srcPort, dst: s.dst, dstPort: s.dstPort,
          forward: dkey, backward: `${b}>${a}`, live: true, older: undefined, newer: undefined,
        };
        this.conns.set(ckey, conn);
        this.append(conn);
        this.evictOverflow(out);
      }
      this.lastConn = conn;
    }
    conn.lastTsSec = s.tsSec;
    conn.lastFrame = s.frame;
    conn.lastTsNsec = s.tsNsec;
    let d = conn.first !== undefined && conn.first.stream.key === dkey ? conn.first : conn.second !== undefined && conn.second.stream.key === dkey ? conn.second : undefined;
    if (d && s.syn && d.synNext !== undefined && seqDiff((s.seq + 1) >>> 0, d.synNext) !== 0) {
      // a SYN with a new ISN on a known 4-tuple: the old connection is over
      this.closeConnection(conn, 'reused', atOf(s), out);
      conn.id = this.nextId++;
      conn.first = undefined;
      conn.second = undefined;
      d = undefined;
    }
    if (!d) {
      d = {
        stream: { connection: conn.id, key: dkey, src: { ip: s.src, port: s.srcPort }, dst: { ip: s.dst, port: s.dstPort } },
        started: false,
        closed: false,
        nextSeq: 0,
        synNext: undefined,
        offset: 0,
        ooo: [],
        oooBytes: 0,
      };
      if (conn.first === undefined) conn.first = d;
      else conn.second = d;
    }
    if (d.closed) {
      if (hasData || s.fin) this.stats.afterClose++;
    } else {
      if (!d.started) {
        if (s.syn) {
          d.nextSeq = (s.seq + 1) >>> 0;
          d.synNext = d.nextSeq;
        } else if (hasData || s.fin) {
          d.nextSeq = s.seq >>> 0;
        }
        if (s.syn || hasData || s.fin) {
          d.started = true;
          out.push({ kind: 'start', stream: d.stream, midstream: !s.syn, frame: s.frame, tsSec: s.tsSec, tsNsec: s.tsNsec });
        }
      }
      if (d.started && !s.rst && (hasData || s.fin)) {
        const seq = s.syn ? (s.seq + 1) >>> 0 : s.seq >>> 0;
        // one reused object: accept copies what it buffers, deliver keeps nothing of it
        const p = this.scratch;
        p.seq = seq;
        p.data = s.payload;
        p.missing = s.missing ?? 0;
        p.fin = s.fin;
        p.frame = s.frame;
        p.tsSec = s.tsSec;
        p.tsNsec = s.tsNsec;
        this.accept(d, p, out);
        p.data = NO_DATA;
      }
    }
    if (s.rst) {
      // the connection is aborted: both directions give what they hold and close
      const at = atOf(s);
      if (conn.first !== undefined && !conn.first.closed) this.closeDirection(conn.first, 'rst', at, out);
      if (conn.second !== undefined && !conn.second.closed) this.closeDirection(conn.second, 'rst', at, out);
    }
    this.evictIdle(s.tsSec, out);
    return out;
  }

  /** End of capture: deliver what waits behind holes (as gaps), close every open direction. */
  flush(out: ReassemblyEvent[] = []): ReassemblyEvent[] {
    for (let c = this.oldest; c !== undefined; c = c.newer) {
      this.closeConnection(c, 'end', lastAt(c), out);
      c.live = false;
    }
    this.conns.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.lastConn = undefined;
    this.idleHead = undefined;
    return out;
  }

  private accept(d: Direction, p: Pending, out: ReassemblyEvent[]): void {
    const rel = seqDiff(p.seq, d.nextSeq);
    if (rel > 0) {
      if (p.data.length === 0 && p.missing === 0 && !p.fin) return;
      // buffered segments are copied so that they do not pin whole capture chunks in memory
      const copy: Pending = { seq: p.seq, data: p.data.slice(), missing: p.missing, fin: p.fin, frame: p.frame, tsSec: p.tsSec, tsNsec: p.tsNsec };
      let lo = 0;
      let hi = d.ooo.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (seqDiff(d.ooo[mid]!.seq, p.seq) <= 0) lo = mid + 1;
        else hi = mid;
      }
      d.ooo.splice(lo, 0, copy);
      d.oooBytes += copy.data.length;
      while (d.ooo.length > 0 && (d.oooBytes > this.maxBytes || d.ooo.length > this.maxSegs)) {
        this.skipHole(d, 'buffer-limit', out);
        if (d.closed) return;
      }
      return;
    }
    this.deliver(d, p, out);
    this.drain(d, out);
  }

  /** Deliver a segment that starts at or before nextSeq (trimming what was already delivered). */
  private deliver(d: Direction, p: Pending, out: ReassemblyEvent[]): void {
    const skip = -seqDiff(p.seq, d.nextSeq);
    const len = p.data.length;
    const span = len + p.missing;
    if (skip >= span && !(p.fin && skip === span)) {
      if (span > 0) this.stats.duplicates++;
      return;
    }
    if (skip < len) {
      const data = skip === 0 ? p.data : p.data.subarray(skip);
      out.push({ kind: 'data', stream: d.stream, offset: d.offset, data, frame: p.frame, tsSec: p.tsSec, tsNsec: p.tsNsec });
      d.offset += data.length;
      d.nextSeq = (d.nextSeq + data.length) >>> 0;
    }
    if (p.missing > 0 && skip < span) {
      const lost = span - Math.max(skip, len);
      this.stats.gaps++;
      out.push({ kind: 'gap', stream: d.stream, offset: d.offset, length: lost, reason: 'truncated', frame: p.frame, tsSec: p.tsSec, tsNsec: p.tsNsec });
      d.offset += lost;
      d.nextSeq = (d.nextSeq + lost) >>> 0;
    }
    if (p.fin) {
      // bytes buffered beyond the FIN cannot belong to this stream
      d.ooo = [];
      d.oooBytes = 0;
      d.closed = true;
      out.push({ kind: 'close', stream: d.stream, reason: 'fin', frame: p.frame, tsSec: p.tsSec, tsNsec: p.tsNsec });
    }
  }

  private drain(d: Direction, out: ReassemblyEvent[]): void {
    while (!d.closed && d.ooo.length > 0 && seqDiff(d.ooo[0]!.seq, d.nextSeq) <= 0) {
      const p = d.ooo.shift()!;
      d.oooBytes -= p.data.length;
      this.deliver(d, p, out);
    }
  }

  /** Declare the hole before the first buffered segment lost, then deliver from there. */
  private skipHole(d: Direction, reason: GapReason, out: ReassemblyEvent[]): void {
    const first = d.ooo[0]!;
    const length = seqDiff(first.seq, d.nextSeq);
    if (length > 0) {
      this.stats.gaps++;
      out.push({ kind: 'gap', stream: d.stream, offset: d.offset, length, reason, frame: first.frame, tsSec: first.tsSec, tsNsec: first.tsNsec });
      d.offset += length;
      d.nextSeq = first.seq;
    }
    this.drain(d, out);
  }

  private closeDirection(d: Direction, reason: CloseReason, at: At, out: ReassemblyEvent[]): void {
    while (!d.closed && d.ooo.length > 0) this.skipHole(d, 'flush', out);
    if (d.closed) return;
    d.closed = true;
    if (d.started) out.push({ kind: 'close', stream: d.stream, reason, ...at });
  }

  private closeConnection(conn: Connection, reason: CloseReason, at: At, out: ReassemblyEvent[]): void {
    if (conn.first !== undefined) this.closeDirection(conn.first, reason, at, out);
    if (conn.second !== undefined) this.closeDirection(conn.second, reason, at, out);
  }

  private append(c: Connection): void {
    c.older = this.newest;
    c.newer = undefined;
    if (this.newest) this.newest.newer = c;
    else this.oldest = c;
    this.newest = c;
  }

  private unlink(c: Connection): void {
    if (c.older) c.older.newer = c.newer;
    else this.oldest = c.newer;
    if (c.newer) c.newer.older = c.older;
    else this.newest = c.older;
    c.older = undefined;
    c.newer = undefined;
  }

  private toNewest(c: Connection): void {
    if (this.newest === c) return;
    this.unlink(c);
    this.append(c);
  }

  /** Drop the least recently active connection from the map and the order. */
  private dropOldest(): Connection {
    const conn = this.oldest!;
    this.unlink(conn);
    this.conns.delete(conn.key);
    conn.live = false;
    if (conn === this.idleHead) this.idleHead = undefined;
    return conn;
  }

  private evictOverflow(out: ReassemblyEvent[]): void {
    while (this.conns.size > this.maxConns) {
      const conn = this.dropOldest();
      this.stats.evicted++;
      this.closeConnection(conn, 'evicted', lastAt(conn), out);
    }
  }

  private evictIdle(now: number, out: ReassemblyEvent[]): void {
    if (this.idle <= 0) return;
    // the same head at the same second is still not idle: skip the look (once per segment otherwise)
    if (this.idleHead !== undefined && now === this.idleNow) return;
    // the list is in order of last activity: only its head can be idle
    for (;;) {
      const conn = this.oldest;
      if (conn === undefined) {
        this.idleHead = undefined;
        return;
      }
      if (now - conn.lastTsSec <= this.idle) {
        this.idleHead = conn;
        this.idleNow = now;
        return;
      }
      this.dropOldest();
      this.stats.evicted++;
      this.closeConnection(conn, 'idle', lastAt(conn), out);
    }
  }
}
