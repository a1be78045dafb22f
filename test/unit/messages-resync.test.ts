/**
 * Resynchronisation of NBSS framing after holes, framing errors and mid-stream starts. The streams
 * are the TCP streams of the project's fixture captures, cut into segments and re-captured with
 * segments left out (a left-out segment becomes a filler UDP frame, so frame numbers stay put).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { captureMessagesBuffer, type AppMessage, type CaptureDecoderOptions } from '../../src/capture/messages.js';
import { TcpReassembler, type ReassemblyEvent } from '../../src/capture/tcp-reassembly.js';
import { NbssFramer, type NbssTransport } from '../../src/codec/nbss.js';
import { decodeFrame, encodeFrame } from '../../src/codec/net/frame.js';
import { readCaptureBuffer } from '../../src/codec/pcap/capture-reader.js';
import { encodePcapHeader, encodePcapRecord } from '../../src/codec/pcap/pcap.js';

const FIX = new URL('../../fixtures/', import.meta.url).pathname;

interface Original {
  offset: number;
  /** Header + payload. */
  total: number;
  type: number;
}

interface Stream {
  name: string;
  port: number;
  transport: NbssTransport;
  bytes: Uint8Array;
  /** The messages of the whole stream, framed by NbssFramer alone. */
  messages: Original[];
}

/** The client → server and server → client streams of a fixture's first connection. */
function fixtureStreams(file: string, port: number): Stream[] {
  const path = FIX + file;
  if (!existsSync(path)) return [];
  const tcp = new TcpReassembler();
  const parts = new Map<string, Uint8Array[]>();
  const events: ReassemblyEvent[] = [];
  for (const rec of readCaptureBuffer(readFileSync(path))) {
    const f = decodeFrame(rec.linkType, rec.data);
    if (!f?.tcp || (f.srcPort !== port && f.dstPort !== port)) continue;
    events.length = 0;
    tcp.push({ src: f.src, srcPort: f.srcPort, dst: f.dst, dstPort: f.dstPort, seq: f.tcp.seq, syn: f.tcp.flags.syn, fin: f.tcp.flags.fin, rst: f.tcp.flags.rst, payload: f.payload, frame: rec.frame, tsSec: rec.tsSec, tsNsec: rec.tsNsec }, events);
    for (const ev of events) {
      if (ev.kind !== 'data' || ev.stream.connection !== 1) continue;
      const dir = ev.stream.src.port === port ? 'server' : 'client';
      const list = parts.get(dir) ?? [];
      list.push(ev.data.slice());
      parts.set(dir, list);
    }
  }
  const transport: NbssTransport = port === 139 ? 'nbss' : 'direct';
  return ['client', 'server'].flatMap((dir) => {
    const list = parts.get(dir);
    if (!list) return [];
    const bytes = Buffer.concat(list);
    const framer = new NbssFramer(transport);
    framer.push(bytes);
    const messages: Original[] = [];
    for (let m = framer.next(); m; m = framer.next()) messages.push({ offset: m.offset, total: 4 + m.length, type: m.type });
    assert.equal(framer.buffered, 0, `${file} ${dir}: whole messages`);
    return [{ name: `${file} ${dir}`, port, transport, bytes, messages }];
  });
}

const streams: Stream[] = [
  ...fixtureStreams('nt1__smbclient-L.pcap', 445),
  ...fixtureStreams('smb3__smbclient-L.pcap', 445),
  ...fixtureStreams('smb3__impacket-smb311.pcap', 445),
  ...fixtureStreams('nt1__smbclient-L-p139.pcap', 139),
];

const ISN = 0xfffff000; // sequence numbers wrap inside the stream
const filler = encodeFrame({ src: '192.0.2.99', dst: '192.0.2.98', protocol: 'udp', srcPort: 9, dstPort: 9, payload: new Uint8Array(1) });

/**
 * A capture of `bytes` sent client → server on `port`: frame 1 is the SYN, frame i + 2 carries
 * segment i = bytes[cuts[i], cuts[i + 1]) unless i is in `drop` (then a filler frame). With
 * `noSyn` frame 1 is a filler too (the stream starts in mid-stream at its first segment).
 */
function capture(bytes: Uint8Array, cuts: number[], drop: ReadonlySet<number>, port: number, opts: { noSyn?: boolean; truncate?: Map<number, number> } = {}): Uint8Array {
  const frame = (seq: number, payload: Uint8Array, syn = false) =>
    encodeFrame({ src: '192.0.2.1', dst: '192.0.2.11', protocol: 'tcp', srcPort: 40000, dstPort: port, payload, tcp: { seq: seq >>> 0, ack: 1, flags: { syn } } });
  const frames: Uint8Array[] = [opts.noSyn ? filler : frame(ISN, new Uint8Array(0), true)];
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (drop.has(i)) {
      frames.push(filler);
      continue;
    }
    const f = frame(ISN + 1 + cuts[i]!, bytes.subarray(cuts[i], cuts[i + 1]));
    const cut = opts.truncate?.get(i);
    frames.push(cut === undefined ? f : f.subarray(0, f.length - cut));
  }
  return Buffer.concat([encodePcapHeader({ linkType: 1 }), ...frames.map((data, i) => encodePcapRecord({ tsSec: 1000 + i, data, originalLength: data.length }))]);
}

/** Record lengths are the captured ones; the IP header still claims the whole segment. */
function nbssOf(msgs: AppMessage[]) {
  return msgs.flatMap((m) => (m.kind === 'nbss' ? [m] : []));
}

/** Segment index holding stream byte `o`. */
const segOf = (cuts: number[], o: number) => {
  let i = 0;
  while (cuts[i + 1]! <= o) i++;
  return i;
};

/**
 * What must come out: the original messages that no dropped segment touches, each with the frame
 * of its first and last byte. `holes` are the dropped byte ranges.
 */
function expected(s: Stream, cuts: number[], drop: ReadonlySet<number>) {
  const holes = [...drop].map((i) => [cuts[i]!, cuts[i + 1]!] as const);
  return s.messages
    .filter((m) => !holes.some(([a, b]) => m.offset < b && a < m.offset + m.total))
    .map((m) => ({ offset: m.offset, firstFrame: segOf(cuts, m.offset) + 2, frame: segOf(cuts, m.offset + m.total - 1) + 2 }));
}

function check(s: Stream, cuts: number[], drop: ReadonlySet<number>, opts: CaptureDecoderOptions = {}): AppMessage[] {
  const msgs = [...captureMessagesBuffer(capture(s.bytes, cuts, drop, s.port), opts)];
  const got = nbssOf(msgs);
  const holes = [...drop].map((i) => [cuts[i]!, cuts[i + 1]!] as const);
  for (const m of got) {
    // byte-identical to an original message, and clear of every hole
    const orig = s.messages.find((o) => o.offset === m.streamOffset);
    assert.ok(orig, `${s.name}: message at ${m.streamOffset} is no original message`);
    assert.equal(4 + m.payload.length, orig.total, s.name);
    assert.equal(m.type, orig.type);
    assert.deepEqual(Buffer.from(m.payload), Buffer.from(s.bytes.subarray(orig.offset + 4, orig.offset + orig.total)));
    assert.ok(!holes.some(([a, b]) => m.streamOffset < b && a < m.streamOffset + 4 + m.payload.length), `${s.name}: message at ${m.streamOffset} spans a hole`);
  }
  assert.deepEqual(got.map((m) => ({ offset: m.streamOffset, firstFrame: m.firstFrame, frame: m.frame })), expected(s, cuts, drop), s.name);
  assert.deepEqual(msgs.filter((m) => m.kind === 'error'), [], s.name);
  return msgs;
}

/** Cut points every `size` bytes, plus the given ones. */
function cutsOf(len: number, size: number, extra: number[] = []): number[] {
  const set = new Set<number>([0, len, ...extra.filter((x) => x > 0 && x < len)]);
  for (let o = size; o < len; o += size) set.add(o);
  return [...set].sort((a, b) => a - b);
}

const gaps = (msgs: AppMessage[]) => msgs.flatMap((m) => (m.kind === 'gap' ? [`${m.reason}:${m.offset}:${m.length}:${m.discarded}`] : []));

describe('capture messages: resynchronisation', function () {
  if (streams.length === 0) {
    it.skip('no fixtures/*.pcap yet');
    return;
  }
  const direct = streams.filter((s) => s.transport === 'direct' && s.messages.length >= 4);
  const p139 = streams.filter((s) => s.transport === 'nbss' && s.messages.length >= 4);

  it('finds the next message after a hole inside a message, at its frame and stream offset', () => {
    for (const s of [...direct, ...p139]) {
      const [, m1, m2] = s.messages as [Original, Original, Original];
      // one segment per message, the second message cut in three, its middle third lost
      const a = m1.offset + 1;
      const b = m1.offset + Math.floor(m1.total / 2);
      const cuts = cutsOf(s.bytes.length, 1 << 20, [...s.messages.map((m) => m.offset), a, b]);
      const lost = cuts.indexOf(a);
      const msgs = check(s, cuts, new Set([lost]), { reassembly: { maxBufferedSegments: 1 } });
      // the hole, then the tail of the message is passed over up to the next header
      assert.deepEqual(gaps(msgs), [`buffer-limit:${a}:${b - a}:1`, `resync:${b}:0:${m2.offset - b}`], s.name);
      const next = nbssOf(msgs).find((m) => m.streamOffset > m1.offset)!;
      assert.equal(next.streamOffset, m2.offset);
      assert.equal(next.firstFrame, cuts.indexOf(m2.offset) + 2);
    }
  });

  it('finds a header split over tiny segments right after the hole (carried across chunks)', () => {
    for (const s of [...direct, ...p139]) {
      const [, m1, m2] = s.messages as [Original, Original, Original];
      const b = m1.offset + m1.total - 3; // the hole ends 3 bytes before the next header
      // 1-byte segments from there to well into the next message
      const ones = Array.from({ length: 20 }, (_, i) => b + i);
      const cuts = cutsOf(s.bytes.length, 1 << 20, [...s.messages.map((m) => m.offset), m1.offset + 1, ...ones]);
      const msgs = check(s, cuts, new Set([cuts.indexOf(m1.offset + 1)]));
      assert.ok(gaps(msgs).includes(`resync:${b}:0:3`), `${s.name}: ${gaps(msgs).join(' ')}`);
      const next = nbssOf(msgs).find((m) => m.streamOffset > m1.offset)!;
      assert.equal(next.streamOffset, m2.offset);
      assert.equal(next.firstFrame, cuts.indexOf(m2.offset) + 2);
    }
  });

  it('loses nothing when the hole ends on a message boundary', () => {
    for (const s of direct) {
      const m2 = s.messages[2]!;
      const cuts = cutsOf(s.bytes.length, 1 << 20, [s.messages[1]!.offset, m2.offset]);
      const msgs = check(s, cuts, new Set([cuts.indexOf(s.messages[1]!.offset)]));
      assert.ok(!gaps(msgs).some((g) => g.startsWith('resync')), s.name);
    }
  });

  it('a segment cut by the snaplen loses the message it carries, never emits it whole', () => {
    for (const s of direct) {
      const m = s.messages[2]!;
      const cuts = cutsOf(s.bytes.length, 1 << 20, s.messages.map((x) => x.offset));
      const seg = cuts.indexOf(m.offset);
      const msgs = [...captureMessagesBuffer(capture(s.bytes, cuts, new Set(), s.port, { truncate: new Map([[seg, 10]]) }))];
      const got = nbssOf(msgs).map((x) => x.streamOffset);
      assert.deepEqual(got, s.messages.filter((x) => x !== m).map((x) => x.offset), s.name);
      assert.ok(gaps(msgs).some((g) => g.startsWith(`truncated:${m.offset + m.total - 10}:10:`)), gaps(msgs).join(' '));
    }
  });

  it('after a framing error, skips the garbage and frames what follows', () => {
    for (const s of [...direct, ...p139]) {
      const m2 = s.messages[2]!;
      // garbage between two messages; the framer rejects it (bad type, or reserved flag bits on 139)
      const garbage = Uint8Array.of(0x47, 0x02, 0x00, 0x00, 0x00, 0x10, 0x53, 0x4d, 0x42);
      const bytes = Buffer.concat([s.bytes.subarray(0, m2.offset), garbage, s.bytes.subarray(m2.offset)]);
      const msgs = [...captureMessagesBuffer(capture(bytes, [0, bytes.length], new Set(), s.port))];
      const errs = msgs.filter((m) => m.kind === 'error');
      assert.equal(errs.length, 1, s.name);
      assert.ok(errs[0]!.kind === 'error' && errs[0]!.scope === 'stream' && errs[0]!.code === 'BAD_VALUE');
      assert.deepEqual(gaps(msgs), [`resync:${m2.offset}:0:${garbage.length}`], s.name);
      assert.deepEqual(nbssOf(msgs).map((m) => m.streamOffset), s.messages.map((m) => (m.offset < m2.offset ? m.offset : m.offset + garbage.length)), s.name);
    }
  });

  it('starts in mid-stream (no handshake) at the first whole message', () => {
    for (const s of direct) {
      const m1 = s.messages[1]!;
      const start = m1.offset + 5;
      const bytes = s.bytes.subarray(start);
      const msgs = [...captureMessagesBuffer(capture(bytes, [0, 7, bytes.length], new Set(), s.port, { noSyn: true }))];
      assert.deepEqual(nbssOf(msgs).map((m) => m.streamOffset + start), s.messages.slice(2).map((m) => m.offset), s.name);
      assert.deepEqual(gaps(msgs), [`resync:0:0:${m1.total - 5}`], s.name);
    }
  });

  it('on 139 resynchronises on a control message (keep-alive) as well', () => {
    const s = p139[0];
    if (!s) return;
    const m2 = s.messages[2]!;
    const keepalive = Uint8Array.of(0x85, 0, 0, 0);
    const bytes = Buffer.concat([s.bytes.subarray(0, m2.offset), keepalive, s.bytes.subarray(m2.offset)]);
    // the hole is inside the message before the keep-alive
    const m1 = s.messages[1]!;
    const cuts = [0, m1.offset, m1.offset + 2, m1.offset + 10, bytes.length];
    const msgs = [...captureMessagesBuffer(capture(bytes, cuts, new Set([1]), s.port))];
    const got = nbssOf(msgs);
    assert.deepEqual(got.map((m) => [m.streamOffset, m.type]), [
      [0, s.messages[0]!.type],
      [m2.offset, 0x85],
      ...s.messages.slice(2).map((m) => [m.offset + 4, m.type]),
    ]);
  });

  it('a flow that never finds a header stays silent and reports what it passed over', () => {
    const s = direct[0]!;
    // after the hole: bytes with zeros and SMB-like fragments but no valid header
    const junk = new Uint8Array(5000);
    for (let i = 0; i < junk.length; i++) junk[i] = i % 7 === 0 ? 0 : i % 11 === 0 ? 0xfe : 0x53 + (i % 3);
    const bytes = Buffer.concat([s.bytes.subarray(0, 100), junk]);
    const cuts = [0, 50, 100, ...Array.from({ length: 50 }, (_, i) => 101 + i * 97), bytes.length];
    const msgs = [...captureMessagesBuffer(capture(bytes, cuts, new Set([1]), s.port))];
    assert.deepEqual(nbssOf(msgs), []);
    const g = gaps(msgs);
    assert.deepEqual(g.slice(1), [`unsynced:100:0:${junk.length}`]);
  });

  it('property: random holes never produce a message that is not an original one, nor lose one clear of holes', () => {
    const all = [...direct, ...p139];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.integer({ min: 0, max: 1 << 20 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        (si, size, extra, dropAt, prompt) => {
          const s = all[si]!;
          const cuts = cutsOf(s.bytes.length, size, extra.map((x) => x % s.bytes.length));
          const nseg = cuts.length - 1;
          const drop = new Set(dropAt.map((d) => d % nseg));
          check(s, cuts, drop, prompt ? { reassembly: { maxBufferedSegments: 1 } } : {});
        },
      ),
      { numRuns: 300 },
    );
  });
});
