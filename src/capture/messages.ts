import { NBSS_MAX_LENGTH, NbssFramer, nbssHeaderLength, type NbssTransport } from '../codec/nbss.js';
import { readCaptureBuffer, type CaptureRecord } from '../codec/pcap/capture-reader.js';
import { decodeFrame, type DecodedFrame } from '../codec/net/frame.js';
import { ipv4ToString } from '../codec/net/ip.js';
import { LinkType } from '../codec/net/link.js';
import { TCP_FLAG } from '../codec/net/transport.js';
import { DecodeError } from '../errors.js';
import { readCaptureChunks, type CaptureSource, type ReadCaptureOptions } from '../pcap/file.js';
import { TcpReassembler, type Endpoint, type GapReason, type ReassemblyEvent, type StreamRef, type TcpReassemblyOptions, type TcpSegment } from './tcp-reassembly.js';
import { ChurnMap, empty } from './reuse.js';

const EMPTY = new Uint8Array(0);

/**
 * Capture records → application messages: NBNS datagrams (UDP 137) as they are, NetBIOS session
 * service (TCP 139) and direct TCP (445) reassembled and framed into NBSS messages. Bad frames,
 * bad streams and holes become `error`/`gap` events: one bad flow never stops the capture.
 */

export type { Endpoint };

/** A UDP 137 datagram as captured (decode it with `nbnsPacket`). */
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

/** One NBSS message reassembled from a TCP 139/445 stream, with the frames that carried it. */
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

/** A hole or resynchronisation in a TCP stream: the partial message before it was dropped. */
export interface CaptureGap extends StreamSide {
  kind: 'gap';
  frame: number;
  tsSec: number;
  tsNsec: number;
  /**
   * TCP stream offset of the hole and its length. For `incomplete`, `resync` and `unsynced` no
   * byte is missing (length 0) and `offset` is where the discarded bytes start.
   */
  offset: number;
  length: number;
  /**
   * Reassembly reason (a hole); `incomplete`: the stream closed inside a message; `resync`: after a
   * hole, a framing error or a start in mid-stream, `discarded` bytes were passed over before the
   * next plausible message header (at `offset + discarded`); `unsynced`: the stream closed while
   * still searching for one.
   */
  reason: GapReason | 'incomplete' | 'resync' | 'unsynced';
  /**
   * Bytes received but thrown away: for a hole, those of the partial message before it (or of the
   * search still under way); for the other reasons, those described there.
   */
  discarded: number;
}

/** A frame, stream or capture that could not be decoded; the capture goes on unless `scope` is `capture`. */
export interface CaptureError extends Partial<StreamSide> {
  kind: 'error';
  /**
   * `frame`: a frame's IP/UDP/TCP headers; `stream`: NBSS framing of a flow (the decoder then
   * searches for the next plausible message header, see CaptureGap `resync`); `capture`: the
   * file itself (nothing after it).
   */
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

/** What the capture layer yields: NBNS datagrams, NBSS messages, gaps and errors. */
export type AppMessage = NbnsDatagram | NbssCaptureMessage | CaptureGap | CaptureError;

/** Ports, message size cap and reassembly bounds of a {@link CaptureDecoder}. */
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

/** Counters of a {@link CaptureDecoder} run. */
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
  /** Searches for a message header (after a hole, a framing error or a mid-stream start) that found one. */
  resyncs: number;
  /** Stream bytes passed over by those searches (and by searches cut short by a hole or the end). */
  resyncSkipped: number;
}

interface At {
  frame: number;
  tsSec: number;
  tsNsec: number;
}

/** Stream bytes from one segment. */
interface Chunk extends At {
  data: Uint8Array;
  /** TCP stream offset of data[0]. */
  offset: number;
  /** `data` is already a private copy (else a view of the capture: copy before keeping it). */
  owned: boolean;
}

interface ChunkMark extends At {
  /** Framer offsets [start, end). */
  start: number;
  end: number;
  /** The bytes pushed (kept to search them again after a framing error). */
  data: Uint8Array;
  /** `data` is a private copy (else a view of the capture, copied by detach). */
  owned: boolean;
}

/**
 * Bytes needed to judge a candidate header: 4 of NBSS, the 4-byte SMB protocol id, 2 of SMB2
 * StructureSize. The search carries at most SCAN_WINDOW - 1 bytes from one chunk to the next.
 */
const SCAN_WINDOW = 10;

/** Search state: no message boundary known since `from`. */
interface Hunt {
  /** Stream offset where the search began (-1: at the next byte that arrives). */
  from: number;
  /** Bytes passed over; `from + skipped` is the stream offset of carry[0]. */
  skipped: number;
  /** Undecided bytes at the end of the last chunk (fewer than SCAN_WINDOW). */
  carry: Uint8Array;
  carryLen: number;
  /** Where each carried byte came from. */
  carryAt: At[];
}

const newHunt = (from = -1): Hunt => ({ from, skipped: 0, carry: new Uint8Array(SCAN_WINDOW), carryLen: 0, carryAt: [] });

/** Smallest NBSS LENGTH for each SMB protocol id (the fixed header of each). */
const SMB1_MIN = 32; // MS-CIFS 2.2.3.1 SMB_Header
const SMB2_MIN = 64; // MS-SMB2 2.2.1 SMB2 Packet Header
const TRANSFORM_MIN = 52; // MS-SMB2 2.2.41 SMB2 TRANSFORM_HEADER
const COMPRESSION_MIN = 8; // MS-SMB2 2.2.42 SMB2 COMPRESSION_TRANSFORM_HEADER (chained: 8 bytes)

/**
 * Does a plausible message header start at b[i]? 1 yes, 0 no, -1 cannot tell before more bytes
 * (only when fewer than SCAN_WINDOW bytes follow i). A session message needs a valid length and
 * an SMB protocol id after it (`\xFFSMB`, `\xFESMB` with StructureSize 64, `\xFDSMB`, `\xFCSMB`);
 * on 139 the control types (RFC 1002 §4.3) count too, with their fixed lengths.
 */
function headerAt(b: Uint8Array, i: number, end: number, direct: boolean, max: number): 1 | 0 | -1 {
  const n = end - i;
  const b0 = b[i]!;
  if (b0 === 0x00) {
    if (n < 2) return -1;
    const b1 = b[i + 1]!;
    if (!direct && b1 > 1) return 0; // FLAGS: only the E bit
    if (n < 8) return -1;
    if (b[i + 5] !== 0x53 || b[i + 6] !== 0x4d || b[i + 7] !== 0x42) return 0; // 'SMB'
    const length = b1 * 0x10000 + b[i + 2]! * 0x100 + b[i + 3]!;
    if (length > max) return 0;
    switch (b[i + 4]) {
      case 0xff:
        return length >= SMB1_MIN ? 1 : 0;
      case 0xfe:
        if (length < SMB2_MIN) return 0;
        if (n < 10) return -1;
        return b[i + 8] === 64 && b[i + 9] === 0 ? 1 : 0;
      case 0xfd:
        return length >= TRANSFORM_MIN ? 1 : 0;
      case 0xfc:
        return length >= COMPRESSION_MIN ? 1 : 0;
      default:
        return 0;
    }
  }
  if (direct || b0 < 0x81 || b0 > 0x85) return 0;
  if (n < 4) return -1;
  const b1 = b[i + 1]!;
  const length = b1 * 0x10000 + b[i + 2]! * 0x100 + b[i + 3]!;
  switch (b0) {
    case 0x81: // SESSION REQUEST: two first-level encoded names, each at least 34 bytes, the first label 32 long
      if (b1 > 1 || length < 68 || length > max) return 0;
      if (n < 5) return -1;
      return b[i + 4] === 0x20 ? 1 : 0;
    case 0x83: // NEGATIVE SESSION RESPONSE: one ERROR_CODE byte
      if (length !== 1 || max < 1) return 0;
      if (n < 5) return -1;
      return b[i + 4]! >= 0x80 && (b[i + 4]! <= 0x83 || b[i + 4] === 0x8f) ? 1 : 0;
    case 0x84: // RETARGET: IP and port
      return length === 6 && max >= 6 ? 1 : 0;
    default: // 0x82 POSITIVE RESPONSE, 0x85 KEEP ALIVE: empty
      return length === 0 ? 1 : 0;
  }
}

interface FlowState {
  side: StreamSide;
  framer: NbssFramer | undefined;
  /** TCP stream offset of the framer's offset 0. */
  base: number;
  /** Bytes pushed into the framer. */
  pushed: number;
  marks: ChunkMark[];
  /** Searching for the next message header (no framer meanwhile). */
  hunt: Hunt | undefined;
}

const PORT_NBNS = 1;
const PORT_NBSS = 2;
const PORT_DIRECT = 4;

/** Capture records in, application messages out: UDP 137 datagrams as they are, TCP 139/445 reassembled and framed. */
export class CaptureDecoder {
  private readonly tcp: TcpReassembler;
  /** By the reassembler's stream object: one per direction of a connection, stable while it lives. */
  private readonly flows = new ChurnMap<StreamRef, FlowState>();
  /** Per port: PORT_NBNS, PORT_NBSS, PORT_DIRECT bits (a byte read per frame, not Set lookups). */
  private readonly ports = new Uint8Array(65536);
  private readonly maxMessage: number | undefined;
  private readonly frameErrors: boolean;
  private readonly events: ReassemblyEvent[] = [];
  /** Carry + the first bytes of the next chunk, to judge headers across the chunk boundary. */
  private readonly scratch = new Uint8Array(2 * SCAN_WINDOW);
  readonly stats: CaptureDecoderStats = {
    records: 0, transport: 0, nbns: 0, nbss: 0, gaps: 0, streamErrors: 0, frameErrors: 0, fragments: 0, resyncs: 0, resyncSkipped: 0,
  };
  /** Last record seen (for events at flush time). */
  private lastFrame = 0;
  private lastTsSec = 0;
  private lastTsNsec = 0;
  /** Address strings by IPv4 address: one string per host instead of two per frame. */
  private readonly v4 = new Map<number, string>();
  private lastV4a = -1;
  private lastV4aStr = '';
  private lastV4b = -1;
  private lastV4bStr = '';
  /** One segment object, refilled per frame (the reassembler keeps none of it). */
  private readonly seg: TcpSegment = {
    src: '', srcPort: 0, dst: '', dstPort: 0, seq: 0, syn: false, fin: false, rst: false, payload: new Uint8Array(0), missing: 0, frame: 0, tsSec: 0, tsNsec: 0,
  };

  constructor(opts: CaptureDecoderOptions = {}) {
    this.tcp = new TcpReassembler(opts.reassembly);
    const mark = (list: number[], bit: number): void => {
      for (const p of list) if (Number.isInteger(p) && p >= 0 && p <= 0xffff) this.ports[p]! |= bit;
    };
    mark(opts.nbnsPorts ?? [137], PORT_NBNS);
    mark(opts.nbssPorts ?? [139], PORT_NBSS);
    mark(opts.directPorts ?? [445], PORT_DIRECT);
    this.maxMessage = opts.maxMessage;
    this.frameErrors = opts.frameErrors ?? false;
  }

  /** Decode one record; messages are appended to `out` (returned). */
  push(rec: CaptureRecord, out: AppMessage[] = []): AppMessage[] {
    this.stats.records++;
    this.lastFrame = rec.frame;
    this.lastTsSec = rec.tsSec;
    this.lastTsNsec = rec.tsNsec;
    if (rec.linkType === LinkType.ETHERNET && this.fastIpv4(rec, out)) return out;
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
      if (((this.ports[f.srcPort]! | this.ports[f.dstPort]!) & PORT_NBNS) === 0) return out;
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
    this.segment(rec, f.src, f.srcPort, f.dst, f.dstPort, f.tcp.seq, f.tcp.flagBits, f.payload, f.payloadLength - f.payload.length, out);
    return out;
  }

  private segment(rec: CaptureRecord, src: string, srcPort: number, dst: string, dstPort: number, seq: number, flagBits: number, payload: Uint8Array, missing: number, out: AppMessage[]): void {
    const s = this.seg;
    s.src = src;
    s.srcPort = srcPort;
    s.dst = dst;
    s.dstPort = dstPort;
    s.seq = seq;
    s.syn = (flagBits & TCP_FLAG.SYN) !== 0;
    s.fin = (flagBits & TCP_FLAG.FIN) !== 0;
    s.rst = (flagBits & TCP_FLAG.RST) !== 0;
    s.payload = payload;
    s.missing = missing;
    s.frame = rec.frame;
    s.tsSec = rec.tsSec;
    s.tsNsec = rec.tsNsec;
    const events = this.events;
    empty(events);
    this.tcp.push(s, events);
    s.payload = EMPTY;
    for (const ev of events) this.onStreamEvent(ev, out);
  }

  private ipv4(d: Uint8Array, at: number): string {
    const k = ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
    // consecutive frames mostly carry the same two addresses: no lookup in the larger table for them
    if (k === this.lastV4a) return this.lastV4aStr;
    if (k === this.lastV4b) return this.lastV4bStr;
    let s = this.v4.get(k);
    if (s === undefined) {
      if (this.v4.size >= 65536) this.v4.clear();
      s = ipv4ToString(d, at);
      this.v4.set(k, s);
    }
    this.lastV4b = this.lastV4a;
    this.lastV4bStr = this.lastV4aStr;
    this.lastV4a = k;
    this.lastV4aStr = s;
    return s;
  }

  /**
   * The common frame, Ethernet + IPv4 (20-byte header, whole, not a fragment) + TCP or UDP, read in
   * place: ports are checked before any address string or object is made. Returns false for
   * anything else (decodeFrame then takes it, with the same result for what this accepts).
   */
  private fastIpv4(rec: CaptureRecord, out: AppMessage[]): boolean {
    const d = rec.data;
    const len = d.length;
    if (len < 54 || d[12] !== 0x08 || d[13] !== 0x00 || d[14] !== 0x45) return false;
    let total = (d[16]! << 8) | d[17]!;
    if (total === 0) total = len - 14;
    if (total < 20 || total > len - 14) return false;
    if (((d[20]! << 8) | d[21]!) & 0x3fff) return false; // MF or a fragment offset
    const proto = d[23]!;
    const o = 34;
    const end = 14 + total;
    const srcPort = (d[o]! << 8) | d[o + 1]!;
    const dstPort = (d[o + 2]! << 8) | d[o + 3]!;
    if (proto === 6) {
      if (end - o < 20) return false;
      const hl = (d[o + 12]! >> 4) * 4;
      if (hl < 20 || hl > end - o) return false;
      this.stats.transport++;
      if (!this.isServerPort(srcPort) && !this.isServerPort(dstPort)) return true;
      const seq = ((d[o + 4]! << 24) | (d[o + 5]! << 16) | (d[o + 6]! << 8) | d[o + 7]!) >>> 0;
      const flagBits = ((d[o + 12]! & 0x0f) << 8) | d[o + 13]!;
      // most segments are bare ACKs: no view for an empty payload
      this.segment(rec, this.ipv4(d, 26), srcPort, this.ipv4(d, 30), dstPort, seq, flagBits, o + hl === end ? EMPTY : d.subarray(o + hl, end), 0, out);
      return true;
    }
    if (proto === 17) {
      if (end - o < 8) return false;
      const ulen = (d[o + 4]! << 8) | d[o + 5]!;
      if (ulen !== 0 && (ulen < 8 || ulen > end - o)) return false;
      this.stats.transport++;
      if (((this.ports[srcPort]! | this.ports[dstPort]!) & PORT_NBNS) === 0) return true;
      const stop = ulen === 0 ? end : o + ulen;
      const payloadLength = ulen === 0 ? end - o - 8 : ulen - 8;
      this.stats.nbns++;
      out.push({
        kind: 'nbns',
        frame: rec.frame,
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
        src: this.ipv4(d, 26),
        srcPort,
        dst: this.ipv4(d, 30),
        dstPort,
        data: d.subarray(o + 8, stop),
        truncated: stop - (o + 8) < payloadLength,
      });
      return true;
    }
    return false;
  }

  /** End of capture: flush reassembly (holes become gaps), report streams closed inside a message. */
  flush(out: AppMessage[] = []): AppMessage[] {
    const events = this.events;
    events.length = 0;
    this.tcp.flush(events);
    for (const ev of events) this.onStreamEvent(ev, out);
    const last: At = { frame: this.lastFrame, tsSec: this.lastTsSec, tsNsec: this.lastTsNsec };
    for (const [key, st] of this.flows) this.closeFlow(key, st, last, out);
    return out;
  }

  /** Reassembly counters (segments, duplicates, gaps, evictions). */
  get reassemblyStats(): TcpReassembler['stats'] {
    return this.tcp.stats;
  }

  private isServerPort(p: number): boolean {
    return (this.ports[p]! & (PORT_NBSS | PORT_DIRECT)) !== 0;
  }

  private sideOf(src: Endpoint, dst: Endpoint, connection: number): StreamSide {
    const rank = (e: Endpoint): [number, number, string] => [this.isServerPort(e.port) ? 0 : 1, e.port, e.ip];
    const rs = rank(src);
    const rd = rank(dst);
    // the server is the endpoint with a server port; ties by lower port, then address
    const srcIsServer = rs[0] !== rd[0] ? rs[0] < rd[0] : rs[1] !== rd[1] ? rs[1] < rd[1] : rs[2] < rd[2];
    const server = srcIsServer ? src : dst;
    const client = srcIsServer ? dst : src;
    const transport: NbssTransport = (this.ports[server.port]! & PORT_NBSS) !== 0 ? 'nbss' : 'direct';
    return { transport, client, server, fromServer: srcIsServer, connection };
  }

  private onStreamEvent(ev: ReassemblyEvent, out: AppMessage[]): void {
    const key = ev.stream;
    let st = this.flows.get(key);
    if (!st) {
      if (ev.kind === 'close') return;
      st = { side: this.sideOf(ev.stream.src, ev.stream.dst, ev.stream.connection), framer: undefined, base: 0, pushed: 0, marks: [], hunt: undefined };
      this.flows.set(key, st);
    }
    switch (ev.kind) {
      case 'start':
        // without the handshake the first byte may lie inside a message
        if (ev.midstream) st.hunt = newHunt();
        return;
      case 'data':
        this.onData(st, ev, out);
        return;
      case 'gap': {
        const h = st.hunt;
        const discarded = h ? h.skipped + h.carryLen : (st.framer?.buffered ?? 0);
        if (h) this.stats.resyncSkipped += discarded;
        this.stats.gaps++;
        out.push({ kind: 'gap', ...st.side, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec, offset: ev.offset, length: ev.length, reason: ev.reason, discarded });
        // whatever straddles the hole is lost: search for the next header after it
        st.framer = undefined;
        st.marks = [];
        st.hunt = newHunt(ev.offset + ev.length);
        return;
      }
      case 'close':
        this.closeFlow(key, st, ev, out);
        return;
    }
  }

  private closeFlow(key: StreamRef, st: FlowState, at: At, out: AppMessage[]): void {
    this.flows.delete(key);
    const h = st.hunt;
    if (h) {
      const left = h.skipped + h.carryLen;
      if (left > 0) {
        this.stats.resyncSkipped += left;
        this.stats.gaps++;
        out.push({ kind: 'gap', ...st.side, frame: at.frame, tsSec: at.tsSec, tsNsec: at.tsNsec, offset: h.from, length: 0, reason: 'unsynced', discarded: left });
      }
      return;
    }
    const left = st.framer?.buffered ?? 0;
    if (left > 0) {
      this.stats.gaps++;
      out.push({ kind: 'gap', ...st.side, frame: at.frame, tsSec: at.tsSec, tsNsec: at.tsNsec, offset: st.base + st.pushed, length: 0, reason: 'incomplete', discarded: left });
    }
  }

  private onData(st: FlowState, ev: Extract<ReassemblyEvent, { kind: 'data' }>, out: AppMessage[]): void {
    // a framing error queues the bytes the framer held, to be searched again: each pass starts
    // past the failed header, so this ends
    let used = 0;
    if (!st.hunt && (st.framer === undefined || st.framer.buffered === 0)) {
      // nothing held: whole messages at the start of the segment go out as views of it, without
      // the framer (the same messages, frames and offsets it would give)
      used = this.wholeMessages(st, ev, out);
      if (used === ev.data.length) return;
      st.framer = undefined;
    }
    const first: Chunk = { data: used > 0 ? ev.data.subarray(used) : ev.data, offset: ev.offset + used, frame: ev.frame, tsSec: ev.tsSec, tsNsec: ev.tsNsec, owned: false };
    let queue: Chunk[];
    if (!st.hunt) {
      // the usual case, in sync: frame the chunk; a queue only after a framing error
      if (!st.framer) this.startFramer(st, first.offset);
      this.pushChunk(st, first);
      const replay = this.drain(st, out);
      if (!replay) {
        this.detach(st);
        return;
      }
      queue = replay;
    } else {
      queue = [first];
    }
    for (let q = 0; q < queue.length; q++) {
      const c = queue[q]!;
      if (st.hunt) {
        const found = this.search(st, st.hunt, c, out);
        if (found === undefined) continue;
        st.hunt = undefined;
        this.startFramer(st, found[0]!.offset);
        for (const f of found) this.pushChunk(st, f);
      } else {
        if (!st.framer) this.startFramer(st, c.offset);
        this.pushChunk(st, c);
      }
      const replay = this.drain(st, out);
      if (replay) queue.push(...replay);
      else this.detach(st);
    }
  }

  /**
   * Emit the complete NBSS messages at the start of `ev.data` (a flow holding nothing) and return
   * the bytes they took. Stops at the first partial message or at a header the framer would
   * refuse: the framer takes the rest (and reports the error as it does).
   */
  private wholeMessages(st: FlowState, ev: Extract<ReassemblyEvent, { kind: 'data' }>, out: AppMessage[]): number {
    const d = ev.data;
    const len = d.length;
    const direct = st.side.transport === 'direct';
    const max = this.framingCap(st.side.transport);
    let pos = 0;
    while (len - pos >= 4) {
      const b0 = d[pos]!;
      const b1 = d[pos + 1]!;
      // a header the framer would refuse is left to it (it reports the error)
      const length = nbssHeaderLength(b0, b1, d[pos + 2]!, d[pos + 3]!, st.side.transport, max);
      if (length < 0 || len - pos - 4 < length) break;
      this.stats.nbss++;
      out.push(nbssMessageAt(st.side, ev, ev.frame, b0, direct ? 0 : b1, d.subarray(pos + 4, pos + 4 + length), ev.offset + pos));
      pos += 4 + length;
    }
    return pos;
  }

  private startFramer(st: FlowState, offset: number): void {
    st.framer = new NbssFramer(st.side.transport, this.maxMessage === undefined ? undefined : { maxMessage: this.maxMessage });
    st.base = offset;
    st.pushed = 0;
    st.marks = [];
  }

  private pushChunk(st: FlowState, c: Chunk): void {
    if (c.data.length === 0) return;
    // a view for now: detach() copies what is still held once the complete messages are out
    const data = c.data;
    st.marks.push({ start: st.pushed, end: st.pushed + data.length, frame: c.frame, tsSec: c.tsSec, tsNsec: c.tsNsec, data, owned: c.owned });
    st.pushed += data.length;
    st.framer!.push(data);
  }

  /** Copy what the flow still holds after framing: a view would pin the whole capture chunk. */
  private detach(st: FlowState): void {
    st.framer?.detach();
    for (const mk of st.marks) {
      if (mk.owned) continue;
      const copy = new Uint8Array(mk.data.length);
      copy.set(mk.data);
      mk.data = copy;
      mk.owned = true;
    }
  }

  /**
   * Look for a message header in `c` (after the bytes carried from the previous chunk). Returns
   * the chunks to frame from the header on, or undefined when none is found yet.
   */
  private search(st: FlowState, h: Hunt, c: Chunk, out: AppMessage[]): Chunk[] | undefined {
    const direct = st.side.transport === 'direct';
    const max = this.framingCap(st.side.transport);
    const data = c.data;
    const len = data.length;
    if (h.from < 0) h.from = c.offset;
    const at: At = { frame: c.frame, tsSec: c.tsSec, tsNsec: c.tsNsec };
    const k = h.carryLen;
    if (k > 0) {
      // headers starting in the carry, judged with the first bytes of this chunk
      const n = Math.min(len, SCAN_WINDOW - 1);
      const s = this.scratch;
      s.set(h.carry.subarray(0, k), 0);
      s.set(data.subarray(0, n), k);
      for (let i = 0; i < k; i++) {
        const r = headerAt(s, i, k + n, direct, max);
        if (r === 0) continue;
        if (r === 1) {
          const found = carriedChunks(h, i);
          this.resynced(st, h, h.skipped + i, at, out);
          found.push(c);
          return found;
        }
        // undecided: this whole chunk is in the scratch (n === len), carry it all
        h.skipped += i;
        h.carry.set(s.subarray(i, k + n), 0);
        h.carryAt = h.carryAt.slice(i);
        for (let j = 0; j < n; j++) h.carryAt.push(at);
        h.carryLen = k + n - i;
        return undefined;
      }
      h.skipped += k;
      h.carryLen = 0;
      h.carryAt = [];
    }
    for (let j = 0; j < len; j++) {
      const b0 = data[j]!;
      if (b0 !== 0 && (direct || b0 < 0x81 || b0 > 0x85)) continue;
      const r = headerAt(data, j, len, direct, max);
      if (r === 0) continue;
      if (r === 1) {
        this.resynced(st, h, h.skipped + j, at, out);
        return [{ ...c, data: data.subarray(j), offset: c.offset + j }];
      }
      h.skipped += j;
      h.carry.set(data.subarray(j), 0);
      h.carryLen = len - j;
      h.carryAt = [];
      for (let i = j; i < len; i++) h.carryAt.push(at);
      return undefined;
    }
    h.skipped += len;
    return undefined;
  }

  private resynced(st: FlowState, h: Hunt, skipped: number, at: At, out: AppMessage[]): void {
    this.stats.resyncs++;
    if (skipped === 0) return;
    this.stats.resyncSkipped += skipped;
    this.stats.gaps++;
    out.push({ kind: 'gap', ...st.side, frame: at.frame, tsSec: at.tsSec, tsNsec: at.tsNsec, offset: h.from, length: 0, reason: 'resync', discarded: skipped });
  }

  private framingCap(transport: NbssTransport): number {
    const cap = NBSS_MAX_LENGTH[transport];
    return this.maxMessage === undefined ? cap : Math.min(this.maxMessage, cap);
  }

  /**
   * Emit every complete message the framer holds. On a framing error: report it, drop the framer
   * and return the bytes it held (from the bad header on) to be searched for the next header.
   */
  private drain(st: FlowState, out: AppMessage[]): Chunk[] | undefined {
    const framer = st.framer!;
    for (;;) {
      let m;
      try {
        m = framer.next();
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        this.stats.streamErrors++;
        const lastMark = st.marks[st.marks.length - 1]!;
        const err = errorEvent('stream', e, lastMark, st.side);
        err.offset = st.base + e.offset;
        out.push(err);
        // the framer holds the stream's last `buffered` bytes, the bad header first
        const bad = st.pushed - framer.buffered;
        const replay: Chunk[] = [];
        for (const mk of st.marks) {
          if (mk.end <= bad) continue;
          const from = Math.max(0, bad - mk.start);
          replay.push({ data: mk.data.subarray(from), offset: st.base + mk.start + from, frame: mk.frame, tsSec: mk.tsSec, tsNsec: mk.tsNsec, owned: mk.owned });
        }
        st.hunt = newHunt(st.base + bad);
        st.framer = undefined;
        st.marks = [];
        return replay;
      }
      if (m === undefined) return undefined;
      const end = m.offset + 4 + m.length;
      let first = st.marks[0]!.frame;
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
      out.push(nbssMessageAt(st.side, last, first, m.type, m.flags, m.payload, st.base + m.offset));
    }
  }
}

/** An NBSS message completed at `at` (the frame, and its time, that carried its last byte). */
function nbssMessageAt(
  side: StreamSide,
  at: { frame: number; tsSec: number; tsNsec: number },
  firstFrame: number,
  type: number,
  flags: number,
  payload: Uint8Array,
  streamOffset: number,
): NbssCaptureMessage {
  return {
    kind: 'nbss',
    transport: side.transport,
    client: side.client,
    server: side.server,
    fromServer: side.fromServer,
    connection: side.connection,
    frame: at.frame,
    firstFrame,
    tsSec: at.tsSec,
    tsNsec: at.tsNsec,
    type,
    flags,
    payload,
    streamOffset,
  };
}

/** The carried bytes from index i, as owned chunks grouped by the segment they came from. */
function carriedChunks(h: Hunt, i: number): Chunk[] {
  const out: Chunk[] = [];
  let j = i;
  while (j < h.carryLen) {
    const at = h.carryAt[j]!;
    let e = j + 1;
    while (e < h.carryLen && h.carryAt[e] === at) e++;
    out.push({ data: h.carry.slice(j, e), offset: h.from + h.skipped + j, frame: at.frame, tsSec: at.tsSec, tsNsec: at.tsNsec, owned: true });
    j = e;
  }
  return out;
}

function errorEvent(
  scope: CaptureError['scope'],
  e: DecodeError,
  at: At,
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
    for await (const reader of readCaptureChunks(source, opts)) {
      for (let rec = reader.next(); rec !== undefined; rec = reader.next()) {
        last = rec;
        out.length = 0;
        dec.push(rec, out);
        yield* out;
      }
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
