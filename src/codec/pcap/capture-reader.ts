import { DecodeError } from '../../errors.js';
import {
  PCAP_HEADER_SIZE,
  PCAP_RECORD_HEADER_SIZE,
  checkInclLen,
  pcapHeader,
  pcapMagicInfo,
  type PcapHeader,
} from './pcap.js';
import {
  PcapngBlockType,
  checkTrailingLength,
  decodeInterfaceDescription,
  decodeSectionHeader,
  readBlockHeader,
  timestampOf,
  type PcapngInterface,
} from './pcapng.js';

/**
 * A streaming pull reader for pcap and pcapng: push chunks as they come, pull records. Pure (no
 * I/O). Records are views into the pushed chunks (never copied unless a record straddles two
 * chunks, then exactly that record is assembled), so memory stays at one partial record plus the
 * chunks not yet consumed.
 */

/** One captured packet, whatever the file format. */
export interface CaptureRecord {
  /** 1-based packet number, as tshark's frame.number. */
  frame: number;
  /** pcapng interface index within its section; 0 for pcap. */
  interfaceId: number;
  /** LINKTYPE_ value of the interface. */
  linkType: number;
  tsSec: number;
  /** Nanoseconds within the second. */
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
  /** The captured bytes (a view; do not modify). */
  data: Uint8Array;
  /** File offset of the record header (pcap) or block (pcapng). */
  fileOffset: number;
}

/** The container format, detected from the first bytes. */
export type CaptureFormat = 'pcap' | 'pcapng';

const PCAPNG_SHB_MAGIC = 0x0a0d0d0a;

/** Format from the first four bytes, undefined if neither pcap nor pcapng. */
export function detectCaptureFormat(b: Uint8Array): CaptureFormat | undefined {
  if (b.length < 4) return undefined;
  if (pcapMagicInfo(b)) return 'pcap';
  if (b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a) return 'pcapng';
  return undefined;
}

type State = 'start' | 'pcap' | 'pcapng' | 'failed';

const EMPTY = new Uint8Array(0);

const u32 = (b: Uint8Array, o: number, le: boolean): number =>
  le ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0 : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Incremental pcap/pcapng reader: push chunks of any size, pull whole records; holds at most one partial record. */
export class CaptureReader {
  private chunks: Uint8Array[] = [];
  /** Read position in chunks[0]. */
  private cpos = 0;
  /** Bytes available across the queued chunks. */
  private avail = 0;
  /** File offset of the next unconsumed byte. */
  private consumed = 0;
  private state: State = 'start';
  private failure: DecodeError | undefined;
  private frames = 0;
  private fmt: CaptureFormat | undefined;
  // pcap
  private ph: PcapHeader | undefined;
  private le = true;
  private nano = false;
  private snaplen = 0;
  private linkType = 0;
  // pcapng
  private ifaces: PcapngInterface[] = [];
  private sections = 0;
  // set by need()
  private b: Uint8Array = EMPTY;
  private o = 0;

  /** Add bytes (the chunk is kept by reference until consumed: do not reuse its memory). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.avail += chunk.length;
  }

  /**
   * Next record, or undefined when more bytes are needed. Throws DecodeError (offset = file offset)
   * on garbage. With `into`, a pcap record is written into that object and returned (no object per
   * record, for callers done with each record before the next).
   */
  next(into?: CaptureRecord): CaptureRecord | undefined {
    if (this.failure) throw this.failure;
    try {
      return this.step(into);
    } catch (e) {
      this.state = 'failed';
      // anything but a DecodeError is a bug in this reader: let it surface, never disguise it
      if (!(e instanceof DecodeError)) throw e;
      this.failure = e;
      throw this.failure;
    }
  }

  /**
   * Declare the end of input. Throws DecodeError TRUNCATED (offset = where the partial record or
   * header starts) if bytes of an incomplete record remain, or if no file header was read at all.
   */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.state === 'start' || this.avail > 0) {
      const field = this.state === 'start' ? 'file header' : this.state === 'pcap' ? 'record' : 'block';
      this.state = 'failed';
      this.failure = new DecodeError('TRUNCATED', this.fmt ?? 'pcap', field, this.consumed, `capture ends inside a ${field} (${this.avail} bytes left)`);
      throw this.failure;
    }
  }

  /** Records returned so far. */
  get recordCount(): number {
    return this.frames;
  }

  /** File offset of the first byte not yet consumed: where a truncated or corrupt capture stopped. */
  get offset(): number {
    return this.consumed;
  }

  /** Detected format (after the first bytes). */
  get format(): CaptureFormat | undefined {
    return this.fmt;
  }

  /** pcap file header, once read. */
  get pcapHeader(): PcapHeader | undefined {
    return this.ph;
  }

  /** Interfaces of the current pcapng section. */
  get interfaces(): readonly PcapngInterface[] {
    return this.ifaces;
  }

  /** Bytes pushed but not yet consumed. */
  get buffered(): number {
    return this.avail;
  }

  /**
   * Drop the references to the bytes pushed but not yet consumed and return how many there are:
   * they are the last ones pushed, and the caller pushes them again (moved, in a buffer it reuses).
   * The file offset and the state are kept.
   */
  unbuffer(): number {
    const n = this.avail;
    this.chunks = [];
    this.cpos = 0;
    this.avail = 0;
    this.b = EMPTY;
    return n;
  }

  /** Make `n` contiguous bytes available at this.b[this.o]; false if fewer than `n` are buffered. */
  private need(n: number): boolean {
    if (this.avail < n) return false;
    const first = this.chunks[0]!;
    if (first.length - this.cpos >= n) {
      this.b = first;
      this.o = this.cpos;
      return true;
    }
    // the unit straddles chunks: assemble exactly n bytes and put them back at the front
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this.cpos, n - filled);
      out.set(c.subarray(this.cpos, this.cpos + take), filled);
      filled += take;
      this.cpos += take;
      if (this.cpos === c.length) {
        this.chunks.shift();
      } else {
        // keep the unread tail of a partly copied chunk as its own (view) chunk
        this.chunks[0] = c.subarray(this.cpos);
      }
      this.cpos = 0;
    }
    this.chunks.unshift(out);
    this.cpos = 0;
    this.b = out;
    this.o = 0;
    return true;
  }

  private consume(n: number): void {
    this.consumed += n;
    this.avail -= n;
    this.cpos += n;
    while (this.chunks.length > 0 && this.cpos >= this.chunks[0]!.length) {
      this.cpos -= this.chunks[0]!.length;
      this.chunks.shift();
    }
  }

  private step(into: CaptureRecord | undefined): CaptureRecord | undefined {
    for (;;) {
      switch (this.state) {
        case 'start': {
          if (!this.need(4)) return undefined;
          const f = detectCaptureFormat(this.b.subarray(this.o, this.o + 4));
          if (f === undefined) {
            throw new DecodeError('BAD_VALUE', 'pcap', 'magic_number', this.consumed, 'neither a pcap nor a pcapng file');
          }
          this.fmt = f;
          if (f === 'pcapng') {
            this.state = 'pcapng';
            continue;
          }
          if (!this.need(PCAP_HEADER_SIZE)) return undefined;
          const h = pcapHeader.decode(this.b, this.o);
          this.ph = h;
          this.le = h.littleEndian;
          this.nano = h.nanosecond;
          this.snaplen = h.snaplen;
          this.linkType = h.linkType;
          this.consume(PCAP_HEADER_SIZE);
          this.state = 'pcap';
          continue;
        }
        case 'pcap':
          return this.pcapRecord(into);
        case 'pcapng': {
          const r = this.pcapngBlock();
          if (r !== null) return r;
          continue;
        }
        case 'failed':
          throw this.failure!;
      }
    }
  }

  private pcapRecord(into: CaptureRecord | undefined): CaptureRecord | undefined {
    if (!this.need(PCAP_RECORD_HEADER_SIZE)) return undefined;
    // hot path: byte reads in place, no DataView or header object per record
    let b = this.b;
    let o = this.o;
    const le = this.le;
    const at = this.consumed;
    const tsSec = u32(b, o, le);
    const frac = u32(b, o + 4, le);
    const incl = u32(b, o + 8, le);
    const orig = u32(b, o + 12, le);
    checkInclLen(incl, this.snaplen, at);
    if (frac >= (this.nano ? 1e9 : 1e6)) {
      throw new DecodeError('BAD_VALUE', 'pcap', this.nano ? 'ts_nsec' : 'ts_usec', at + 4, `fraction ${frac} not below one second`);
    }
    const total = PCAP_RECORD_HEADER_SIZE + incl;
    if (!this.need(total)) return undefined;
    b = this.b;
    o = this.o;
    const data = b.subarray(o + PCAP_RECORD_HEADER_SIZE, o + total);
    this.consume(total);
    if (into !== undefined) {
      into.frame = ++this.frames;
      into.interfaceId = 0;
      into.linkType = this.linkType;
      into.tsSec = tsSec;
      into.tsNsec = this.nano ? frac : frac * 1000;
      into.capturedLength = incl;
      into.originalLength = orig;
      into.data = data;
      into.fileOffset = at;
      return into;
    }
    return {
      frame: ++this.frames,
      interfaceId: 0,
      linkType: this.linkType,
      tsSec,
      tsNsec: this.nano ? frac : frac * 1000,
      capturedLength: incl,
      originalLength: orig,
      data,
      fileOffset: at,
    };
  }

  /** A packet record, undefined = need more, null = consumed a non-packet block. */
  private pcapngBlock(): CaptureRecord | undefined | null {
    if (!this.need(8)) return undefined;
    const at = this.consumed;
    const v0 = new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
    const rawType = v0.getUint32(this.o, true);
    if (rawType === PCAPNG_SHB_MAGIC && !this.need(12)) return undefined;
    if (rawType !== PCAPNG_SHB_MAGIC && this.sections === 0) {
      throw new DecodeError('BAD_VALUE', 'pcapng', 'Block Type', at, 'file does not start with a Section Header Block');
    }
    const hdr = readBlockHeader(this.b, this.o, this.le, at);
    if (!this.need(hdr.totalLength)) return undefined;
    const b = this.b;
    const o = this.o;
    const len = hdr.totalLength;
    const le = hdr.littleEndian;
    checkTrailingLength(b, o, len, le, at);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let rec: CaptureRecord | null = null;
    switch (hdr.type) {
      case PcapngBlockType.SECTION_HEADER:
        decodeSectionHeader(b, o, le, at);
        this.le = le;
        this.ifaces = [];
        this.sections++;
        break;
      case PcapngBlockType.INTERFACE_DESCRIPTION:
        this.ifaces.push(decodeInterfaceDescription(b, o, len, le, at));
        break;
      case PcapngBlockType.ENHANCED_PACKET:
      case PcapngBlockType.PACKET: {
        const obsolete = hdr.type === PcapngBlockType.PACKET;
        if (len < 32) throw new DecodeError('BAD_LENGTH', 'pcapng', 'Block Total Length', at + 4, 'packet block shorter than 32 bytes');
        const ifId = obsolete ? v.getUint16(o + 8, le) : v.getUint32(o + 8, le);
        const iface = this.ifaces[ifId];
        if (!iface) throw new DecodeError('BAD_VALUE', 'pcapng', 'Interface ID', at + 8, `interface ${ifId} not described in this section`);
        const cap = v.getUint32(o + 20, le);
        const orig = v.getUint32(o + 24, le);
        if (cap > len - 32) {
          throw new DecodeError('BAD_LENGTH', 'pcapng', 'Captured Packet Length', at + 20, `${cap} bytes do not fit a ${len}-byte block`);
        }
        const ts = timestampOf(iface, v.getUint32(o + 12, le), v.getUint32(o + 16, le));
        rec = {
          frame: ++this.frames,
          interfaceId: ifId,
          linkType: iface.linkType,
          tsSec: ts.tsSec,
          tsNsec: ts.tsNsec,
          capturedLength: cap,
          originalLength: orig,
          data: b.subarray(o + 28, o + 28 + cap),
          fileOffset: at,
        };
        break;
      }
      case PcapngBlockType.SIMPLE_PACKET: {
        if (len < 16) throw new DecodeError('BAD_LENGTH', 'pcapng', 'Block Total Length', at + 4, 'SPB shorter than 16 bytes');
        const iface = this.ifaces[0];
        if (!iface) throw new DecodeError('BAD_VALUE', 'pcapng', 'Interface ID', at, 'Simple Packet Block without interface 0');
        const orig = v.getUint32(o + 8, le);
        // the captured length is implied: the original length cut by the snaplen and by the block
        let cap = Math.min(orig, len - 16);
        if (iface.snaplen > 0) cap = Math.min(cap, iface.snaplen);
        rec = {
          frame: ++this.frames,
          interfaceId: 0,
          linkType: iface.linkType,
          tsSec: 0,
          tsNsec: 0,
          capturedLength: cap,
          originalLength: orig,
          data: b.subarray(o + 12, o + 12 + cap),
          fileOffset: at,
        };
        break;
      }
      default:
        // NRB, ISB, DSB, custom and unknown blocks: skipped by their length
        break;
    }
    this.consume(len);
    return rec;
  }
}

/**
 * Fast synchronous walk of a whole capture in memory. Throws DecodeError on garbage or on a
 * truncated last record (after yielding every complete record before it).
 */
export function* readCaptureBuffer(buf: Uint8Array): Generator<CaptureRecord, void, undefined> {
  const r = new CaptureReader();
  r.push(buf);
  for (let rec = r.next(); rec !== undefined; rec = r.next()) yield rec;
  r.end();
}
