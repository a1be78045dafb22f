import { NbssFramer, type NbssTransport } from '../codec/nbss.js';
import { readCaptureBuffer, type CaptureRecord } from '../codec/pcap/capture-reader.js';
import { decodeFrame, type DecodedFrame } from '../codec/net/frame.js';
import { DecodeError } from '../errors.js';
import { readCapture, type CaptureSource, type ReadCaptureOptions } from '../pcap/file.js';
import { TcpReassembler, type Endpoint, type GapReason, type ReassemblyEvent, type TcpReassemblyOptions } from './tcp-reassembly.js';

/**
 * Capture records → application messages: NBNS datagrams (UDP 137) as they are, NetBIOS session
 * service (TCP 139) and direct TCP (445) reassembled and framed into NBSS messages. Bad frames,
 * bad streams and holes become `error`/`gap` events: one bad flow never stops the capture.
 */

export type { Endpoint };

export interface NbnsDatagram {
  kind: 'nbns';
  frame: number;
  tsSec: number;
  tsNsec: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** The UDP payload (a view into the record). */
  data: Uint8Array;
  /** The capture cut the datagram (snaplen). */
  truncated: boolean;
}

interface StreamSide {
  transport: NbssTransport;
  client: Endpoint;
  server: Endpoint;
  /** Direction server → client. */
  fromServer: boolean;
  /** Connection number from the reassembler (1-based). */
  connection: number;
}

export interface NbssCaptureMessage extends StreamSide {
  kind: 'nbss';
  /** Frame that completed the message. */
  frame: number;
  /** Frame that carried the message's first byte. */
  firstFrame: number;
  /** Time of `frame`. */
  tsSec: number;
  tsNsec: number;
  /** NBSS TYPE (0x00 session message on 'direct' always). */
  type: number;
  flags: number;
  /** The message after the 4-byte header (SMB on type 0x00). */
  payload: Uint8Array;
  /** TCP stream offset of the 4-byte header. */
  streamOffset: number;
}

export interface CaptureGap extends StreamSide {
  kind: 'gap';
  frame: number;
  tsSec: number;
  tsNsec: number;
  /** TCP stream offset of the hole and its length (0 for `incomplete`). */
  offset: number;
  length: number;
  /** Reassembly reason, or `incomplete` when the stream closed inside a message. */
  reason: GapReason | 'incomplete';
  /** Bytes of a partial message thrown away (framing restarts after the gap). */
  discarded: number;
}

export interface CaptureError extends Partial<StreamSide> {
  kind: 'error';
  /** `frame`: a frame's IP/UDP/TCP headers; `stream`: NBSS framing of a flow (ignored until its next gap); `capture`: the file itself (nothing after it). */
  scope: 'frame' | 'stream' | 'capture';
  frame: number;
  tsSec: number;
  tsNsec: number;
  code: DecodeError['code'];
  protocol: DecodeError['protocol'];
  field: string;
  /** Offset in the frame (`frame`), in the TCP stream (`stream`) or in the file (`capture`). */
  offset: number;
  message: string;
}

export type AppMessage = NbnsDatagram | NbssCaptureMessage | CaptureGap | CaptureError;

export interface CaptureDecoderOptions {
  /** NBSS message size cap (default: the framing's maximum, 128 KiB on 139 and 16 MiB on 445). */
  maxMessage?: number;
  /** Emit `error` events for frames whose IP/UDP/TCP headers are malformed (default false; always counted). */
  frameErrors?: boolean;
  nbnsPorts?: number[];
  /** Ports framed with the RFC 1002 17-bit length (default [139]). */
  nbssPorts?: number[];
  /** Ports framed with the direct-TCP 24-bit length (default [445]). */
  directPorts?: number[];
  reassembly?: TcpReassemblyOptions;
}

export interface CaptureDecoderStats {
  records: number;
  /** Records that decoded to UDP/TCP. */
  transport: number;
  nbns: number;
  nbss: number;
  gaps: number;
  streamErrors: number;
  frameErrors: number;
  /** IP fragments seen on NetBIOS/SMB ports (not reassembled, dropped). */
  fragments: number;
}

interface ChunkMark {
  /** Framer offsets [start, end). */
  start: number;
  end: number;
  frame: number;
  tsSec: number;
  tsNsec: number;
}

interface FlowState {
  side: StreamSide;
  framer: NbssFramer | undefined;
  /** TCP stream offset of the framer's offset 0. */
  base: number;
  /** Bytes pushed into the framer. */
  pushed: number;
  marks: ChunkMark[];
  /** Framing failed: ignore data until the next gap. */
  broken: boolean;
}

export class CaptureDecoder {
  private readonly tcp: TcpReassembler;
  private readonly flows = new Map<string, FlowState>();
  private readonly nbnsPorts: Set<number>;
  private readonly nbssPorts: Set<number>;
  private readonly directPorts: Set<number>;
  private readonly maxMessage: number | undefined;
  private readonly frameErrors: boolean;
  private readonly events: ReassemblyEvent[] = [];
  readonly stats: CaptureDecoderStats = { records: 0, transport: 0, nbns: 0, nbss: 0, gaps: 0, streamErrors: 0, frameErrors: 0, fragments: 0 };
  /** Last record seen (for events at flush time). */
  private last = { frame: 0, tsSec: 0, tsNsec: 0 };

  constructor(opts: CaptureDecoderOptions = {}) {
    this.tcp = new TcpReassembler(opts.reassembly);
    this.nbnsPorts = new Set(opts.nbnsPorts ?? [137]);
    this.nbssPorts = new Set(opts.nbssPorts ?? [139]);
    this.directPorts = new Set(opts.directPorts ?? [445]);
    this.maxMessage = opts.maxMessage;
    this.frameErrors = opts.frameErrors ?? false;
  }

  /** Decode one record; messages are appended to `out` (returned). */
  push(rec: CaptureRecord, out: AppMessage[] = []): AppMessage[] {
    this.stats.records++;
    this.last = { frame: rec.frame, tsSec: rec.tsSec, tsNsec: rec.tsNsec };
    let f: DecodedFrame | null;
    try {
      f = decodeFrame(rec.linkType, rec.data);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.stats.frameErrors++;
      if (this.frameErrors) out.push(errorEvent('frame', e, rec));
      return out;
    }
    if (f === null) return out;
    this.stats.transport++;
    if (f.protocol === 'udp') {
      if (!this.nbnsPorts.has(f.srcPort) && !this.nbnsPorts.has(f.dstPort)) return out;
      if (f.fragment) {
        this.stats.fragments++;
        return out;
      }
      this.stats.nbns++;
      out.push({
        kind: 'nbns',
        frame: rec.frame,
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
        src: f.src,
        srcPort: f.srcPort,
        dst: f.dst,
        dstPort: f.dstPort,
        data: f.payload,
        truncated: f.truncated,
      });
      return out;
    }
    if (!this.isServerPort(f.srcPort) && !this.isServerPort(f.dstPort)) return out;
    if (f.fragment || !f.tcp) {
      this.stats.fragments++;
      return out;
    }
    const events = this.events;
    events.length = 0;
    this.tcp.push(
      {
        src: f.src,
        srcPort: f.srcPort,
        dst: f.dst,
        dstPort: f.dstPort,
        seq: f.tcp.seq,
        syn: f.tcp.flags.syn,
        fin: f.tcp.flags.fin,
        rst: f.tcp.flags.rst,
        payload: f.payload,
        missing: f.payloadLength - f.payload.length,
        frame: rec.frame,
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
      },
      events,
    );
    for (const ev of events) this.onStreamEvent(ev, out);
    return out;
  }

  /** End of capture: flush reassembly (holes become gaps), report streams closed inside a message. */
  flush(out: AppMessage[] = []): AppMessage[] {
    const events = this.events;
    events.length = 0;
    this.tcp.flush(events);
    for (const ev of events) this.onStreamEvent(ev, out);
    for (const [key, st] of this.flows) this.closeFlow(key, st, this.last, out);
    return out;
  }

  /** Reassembly counters (segments, duplicates, gaps, evictions). */
  get reassemblyStats(): TcpReassembler['stats'] {
    return this.tcp.stats;
  }

  private isServerPort(p: number): boolean {
    return this.nbssPorts.has(p) || this.directPorts.has(p);
  }

  private sideOf(src: Endpoint, dst: Endpoint, connection: number): StreamSide {
    const rank = (e: Endpoint): [number, number, string] => [this.isServerPort(e.port) ? 0 : 1, e.port, e.ip];
    const rs = rank(src);
    const rd = rank(dst);
    // the server is the endpoint with a server port; ties by lower port, then address
    const srcIsServer = rs[0] !== rd[0] ? rs[0] < rd[0] : rs[1] !== rd[1] ? rs[1] < rd[1] : rs[2] < rd[2];
    const server = srcIsServer ? src : dst;
    const client = srcIsServer ? dst : src;
    const transport: NbssTransport = this.nbssPorts.has(server.port) ? 'nbss' : 'direct';
    return { transport, client, server, fromServer: srcIsServer, connection };
  }

  private onStreamEvent(ev: ReassemblyEvent, out: AppMessage[]): void {
    const key = `${ev.stream.connection}/${ev.stream.key}`;
    let st = this.flows.get(key);
    if (!st) {
      if (ev.kind === 'close') return;
      st = { side: this.sideOf(ev.stream.src, ev.stream.dst, ev.stream.connection), framer: undefined, base: 0, pushed: 0, marks: [], broken: false };
      this.flows.set(key, st);
    }
    switch (ev.kind) {
      case 'start':
        return;
      case 'data':
        this.onData(st, ev, out);
        return;
      case 'gap': {
        const discarded = st.framer?.buffered ?? 0;
        this.stats.gaps++;
        out.push({ kind: 'gap', ...st.side, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec, offset: ev.offset, length: ev.length, reason: ev.reason, discarded });
        // framing restarts with the first byte after the hole
        st.framer = undefined;
        st.marks = [];
        st.broken = false;
        return;
      }
      case 'close':
        this.closeFlow(key, st, ev, out);
        return;
    }
  }

  private closeFlow(key: string, st: FlowState, at: { frame: number; tsSec: number; tsNsec: number }, out: AppMessage[]): void {
    this.flows.delete(key);
    const left = st.framer?.buffered ?? 0;
    if (left > 0 && !st.broken) {
      this.stats.gaps++;
      out.push({ kind: 'gap', ...st.side, frame: at.frame, tsSec: at.tsSec, tsNsec: at.tsNsec, offset: st.base + st.pushed, length: 0, reason: 'incomplete', discarded: left });
    }
  }

  private onData(st: FlowState, ev: Extract<ReassemblyEvent, { kind: 'data' }>, out: AppMessage[]): void {
    if (st.broken) return;
    if (!st.framer) {
      st.framer = new NbssFramer(st.side.transport, this.maxMessage === undefined ? undefined : { maxMessage: this.maxMessage });
      st.base = ev.offset;
      st.pushed = 0;
      st.marks = [];
    }
    // copied: the framer keeps what it holds, and a view would pin the whole capture chunk
    const data = ev.data.slice();
    st.marks.push({ start: st.pushed, end: st.pushed + data.length, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec });
    st.pushed += data.length;
    st.framer.push(data);
    for (;;) {
      let m;
      try {
        m = st.framer.next();
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        this.stats.streamErrors++;
        const err = errorEvent('stream', e, ev, st.side);
        err.offset = st.base + e.offset;
        out.push(err);
        st.broken = true;
        st.framer = undefined;
        st.marks = [];
        return;
      }
      if (m === undefined) return;
      const end = m.offset + 4 + m.length;
      let first = ev.frame;
      for (const mk of st.marks) {
        if (mk.end > m.offset) {
          first = mk.frame;
          break;
        }
      }
      // the message ends in the chunk containing its last byte: the one just pushed, normally
      let last: ChunkMark = st.marks[st.marks.length - 1]!;
      for (const mk of st.marks) {
        if (mk.end >= end) {
          last = mk;
          break;
        }
      }
      while (st.marks.length > 0 && st.marks[0]!.end <= end) st.marks.shift();
      this.stats.nbss++;
      out.push({
        kind: 'nbss',
        transport: st.side.transport,
        client: st.side.client,
        server: st.side.server,
        fromServer: st.side.fromServer,
        connection: st.side.connection,
        frame: last.frame,
        firstFrame: first,
        tsSec: last.tsSec,
        tsNsec: last.tsNsec,
        type: m.type,
        flags: m.flags,
        payload: m.payload,
        streamOffset: st.base + m.offset,
      });
    }
  }
}

function errorEvent(
  scope: CaptureError['scope'],
  e: DecodeError,
  at: { frame: number; tsSec: number; tsNsec: number },
  side?: StreamSide,
): CaptureError {
  return {
    kind: 'error',
    scope,
    ...side,
    frame: at.frame,
    tsSec: at.tsSec,
    tsNsec: at.tsNsec,
    code: e.code,
    protocol: e.protocol,
    field: e.field,
    offset: e.offset,
    message: e.message,
  };
}

function captureError(e: DecodeError, frames: number, last: { tsSec: number; tsNsec: number }): CaptureError {
  return errorEvent('capture', e, { frame: frames, ...last });
}

/**
 * Application messages of a capture file, stream or chunk iterable (see readCapture). A corrupt
 * or truncated capture ends with an `error` event of scope `capture` (offset = file offset, frame
 * = the last good frame) after the messages of every record before it; I/O errors are thrown.
 */
export async function* captureMessages(
  source: CaptureSource,
  opts: CaptureDecoderOptions & ReadCaptureOptions = {},
): AsyncGenerator<AppMessage, void, undefined> {
  const dec = new CaptureDecoder(opts);
  const out: AppMessage[] = [];
  let last = { frame: 0, tsSec: 0, tsNsec: 0 };
  let failure: DecodeError | undefined;
  try {
    for await (const rec of readCapture(source, opts)) {
      last = rec;
      out.length = 0;
      dec.push(rec, out);
      yield* out;
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    failure = e;
  }
  out.length = 0;
  yield* dec.flush(out);
  if (failure) yield captureError(failure, last.frame, last);
}

/** Synchronous variant over a whole capture in memory (tests, benchmarks). */
export function* captureMessagesBuffer(buf: Uint8Array, opts: CaptureDecoderOptions = {}): Generator<AppMessage, void, undefined> {
  const dec = new CaptureDecoder(opts);
  const out: AppMessage[] = [];
  let last = { frame: 0, tsSec: 0, tsNsec: 0 };
  let failure: DecodeError | undefined;
  try {
    for (const rec of readCaptureBuffer(buf)) {
      last = rec;
      out.length = 0;
      dec.push(rec, out);
      yield* out;
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    failure = e;
  }
  out.length = 0;
  yield* dec.flush(out);
  if (failure) yield captureError(failure, last.frame, last);
}
