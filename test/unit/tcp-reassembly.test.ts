import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { TcpReassembler, seqDiff, type ReassemblyEvent, type TcpReassemblyOptions, type TcpSegment } from '../../src/capture/tcp-reassembly.js';
import { decodeFrame } from '../../src/codec/net/frame.js';
import { readCaptureBuffer } from '../../src/codec/pcap/capture-reader.js';

const FIX = new URL('../../fixtures/', import.meta.url).pathname;
const fixtures = existsSync(FIX) ? readdirSync(FIX).filter((f) => f.endsWith('.pcap')).map((f) => FIX + f) : [];

let frameNo = 0;
function seg(seq: number, payload: Uint8Array | number[] = [], flags: Partial<Pick<TcpSegment, 'syn' | 'fin' | 'rst' | 'missing'>> = {}, reverse = false): TcpSegment {
  frameNo++;
  return {
    src: reverse ? '10.0.0.2' : '10.0.0.1',
    srcPort: reverse ? 445 : 50000,
    dst: reverse ? '10.0.0.1' : '10.0.0.2',
    dstPort: reverse ? 50000 : 445,
    seq: seq >>> 0,
    syn: flags.syn ?? false,
    fin: flags.fin ?? false,
    rst: flags.rst ?? false,
    missing: flags.missing ?? 0,
    payload: Uint8Array.from(payload),
    frame: frameNo,
    tsSec: frameNo,
    tsNsec: 0,
  };
}

function run(segs: TcpSegment[], opts?: TcpReassemblyOptions, flush = true): ReassemblyEvent[] {
  const r = new TcpReassembler(opts);
  const out: ReassemblyEvent[] = [];
  for (const s of segs) r.push(s, out);
  if (flush) r.flush(out);
  return out;
}

/** Bytes delivered for a direction, checking offsets are contiguous (gaps counted). */
function streamOf(events: ReassemblyEvent[], key = '10.0.0.1:50000>10.0.0.2:445'): { bytes: Buffer; gaps: number[] } {
  const parts: Uint8Array[] = [];
  const gaps: number[] = [];
  let offset = 0;
  for (const e of events) {
    if (e.stream.key !== key) continue;
    if (e.kind === 'data') {
      assert.equal(e.offset, offset, 'data offsets are contiguous');
      parts.push(e.data);
      offset += e.data.length;
    } else if (e.kind === 'gap') {
      assert.equal(e.offset, offset);
      gaps.push(e.length);
      offset += e.length;
    }
  }
  return { bytes: Buffer.concat(parts), gaps };
}

/** Cut `stream` at `cuts` into segments starting at isn + 1. */
function segmentsOf(stream: Uint8Array, cuts: number[], isn: number): TcpSegment[] {
  const points = [...new Set([0, ...cuts.map((c) => c % (stream.length + 1)), stream.length])].sort((a, b) => a - b);
  const out: TcpSegment[] = [];
  for (let i = 0; i + 1 < points.length; i++) out.push(seg(isn + 1 + points[i]!, stream.subarray(points[i]!, points[i + 1]!)));
  return out;
}

describe('TCP reassembly', () => {
  it('signed sequence distance wraps around 2^32', () => {
    assert.equal(seqDiff(5, 0xfffffffb), 10);
    assert.equal(seqDiff(0xfffffffb, 5), -10);
  });

  it('property: any permutation and duplication (incl. overlapping partial retransmits) gives the original stream', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.tuple(fc.nat(), fc.nat(200)), { maxLength: 10 }),
        fc.nat(),
        fc.boolean(),
        (stream, cuts, isn, dups, seed, withFin) => {
          const data = segmentsOf(stream, cuts, isn);
          // retransmits: exact copies and arbitrary overlapping ranges of the stream
          for (const [start, len] of dups) {
            const a = start % stream.length;
            data.push(seg(isn + 1 + a, stream.subarray(a, Math.min(stream.length, a + len))));
          }
          if (data.length > 0) data.push({ ...data[seed % data.length]! });
          if (withFin) data.push(seg(isn + 1 + stream.length, [], { fin: true }));
          const shuffled = fc.sample(fc.shuffledSubarray(data, { minLength: data.length, maxLength: data.length }), { seed, numRuns: 1 })[0]!;
          const events = run([seg(isn, [], { syn: true }), ...shuffled]);
          const { bytes, gaps } = streamOf(events);
          assert.deepEqual(gaps, []);
          assert.equal(Buffer.compare(bytes, Buffer.from(stream)), 0);
          const closes = events.filter((e) => e.kind === 'close');
          assert.equal(closes.length, 1);
          assert.equal(closes[0]!.kind === 'close' && closes[0]!.reason, withFin ? 'fin' : 'end');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports each delivered byte with the frame that carried it, trimming overlaps (first copy wins)', () => {
    const events = run([seg(99, [], { syn: true }), seg(100, [1, 2, 3, 4]), seg(102, [9, 9, 5, 6]), seg(100, [8, 8, 8, 8, 8, 8, 7])]);
    const data = events.filter((e) => e.kind === 'data');
    assert.deepEqual(
      data.map((e) => e.kind === 'data' && [e.offset, [...e.data], e.frame - data[0]!.frame]),
      [
        [0, [1, 2, 3, 4], 0],
        [4, [5, 6], 1],
        [6, [7], 2],
      ],
    );
  });

  it('declares a gap when the out-of-order buffer bound is reached, and resumes after it', () => {
    const segs = [seg(0, [], { syn: true }), seg(1, [1, 1])];
    // bytes 3..4 are lost; 6 more segments arrive
    for (let i = 0; i < 6; i++) segs.push(seg(5 + i * 2, [i, i]));
    const events = run(segs, { maxBufferedSegments: 4 }, false);
    const { bytes, gaps } = streamOf(events);
    assert.deepEqual(gaps, [2]);
    assert.deepEqual([...bytes], [1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const gap = events.find((e) => e.kind === 'gap');
    assert.equal(gap?.kind === 'gap' && gap.reason, 'buffer-limit');
    // byte bound too
    const ev2 = run([seg(0, [], { syn: true }), seg(10, new Uint8Array(600)), seg(700, new Uint8Array(600))], { maxBufferedBytes: 1000 }, false);
    assert.deepEqual(streamOf(ev2).gaps, [9]);
  });

  it('flushes buffered data behind a hole as a gap at end of capture', () => {
    const events = run([seg(0, [], { syn: true }), seg(1, [1]), seg(5, [5, 6])]);
    const { bytes, gaps } = streamOf(events);
    assert.deepEqual([[...bytes], gaps], [[1, 5, 6], [3]]);
    assert.equal(events.find((e) => e.kind === 'gap')?.kind === 'gap' && (events.find((e) => e.kind === 'gap') as { reason: string }).reason, 'flush');
  });

  it('turns bytes cut by the snaplen into a gap', () => {
    const events = run([seg(0, [], { syn: true }), seg(1, [1, 2], { missing: 3 }), seg(6, [6])]);
    const { bytes, gaps } = streamOf(events);
    assert.deepEqual([[...bytes], gaps], [[1, 2, 6], [3]]);
  });

  it('starts mid-stream from the first data segment when there is no handshake', () => {
    const events = run([seg(1000, []), seg(5000, [1, 2]), seg(5002, [3]), seg(4990, [0])]);
    const start = events.find((e) => e.kind === 'start');
    assert.equal(start?.kind === 'start' && start.midstream, true);
    assert.deepEqual([...streamOf(events).bytes], [1, 2, 3]);
  });

  it('closes on FIN once all bytes before it arrived, and drops what comes after', () => {
    const events = run([seg(0, [], { syn: true }), seg(3, [3], { fin: true }), seg(1, [1, 2]), seg(4, [9])], undefined, false);
    assert.deepEqual([...streamOf(events).bytes], [1, 2, 3]);
    assert.deepEqual(events.filter((e) => e.kind === 'close').map((e) => e.kind === 'close' && e.reason), ['fin']);
  });

  it('closes both directions on RST, delivering what waited behind a hole', () => {
    const events = run([seg(0, [], { syn: true }), seg(100, [], { syn: true }, true), seg(1, [1]), seg(101, [7], {}, true), seg(4, [4]), seg(5, [], { rst: true }, true)], undefined, false);
    const closes = events.filter((e) => e.kind === 'close');
    assert.deepEqual(closes.map((e) => e.kind === 'close' && e.reason), ['rst', 'rst']);
    assert.deepEqual([...streamOf(events).bytes], [1, 4]);
  });

  it('treats a SYN with a new ISN on a known 4-tuple as a new connection', () => {
    const events = run([seg(0, [], { syn: true }), seg(1, [1]), seg(5000, [], { syn: true }), seg(5001, [2])], undefined, false);
    assert.deepEqual(events.map((e) => e.kind + (e.kind === 'close' ? `:${e.reason}` : '') + `#${e.stream.connection}`), ['start#1', 'data#1', 'close:reused#1', 'start#2', 'data#2']);
  });

  it('bounds the connections kept (LRU) and evicts idle ones by capture time', () => {
    const r = new TcpReassembler({ maxConnections: 2 });
    const out: ReassemblyEvent[] = [];
    const conn = (port: number, t: number): TcpSegment => ({ ...seg(0, [1]), srcPort: port, tsSec: t });
    r.push(conn(1, 1), out);
    r.push(conn(2, 2), out);
    r.push(conn(1, 3), out);
    r.push(conn(3, 4), out); // evicts port 2, the least recently used
    assert.equal(r.connectionCount, 2);
    const evicted = out.filter((e) => e.kind === 'close');
    assert.deepEqual(evicted.map((e) => e.kind === 'close' && [e.reason, e.stream.src.port]), [['evicted', 2]]);
    const r2 = new TcpReassembler({ idleTimeoutSec: 10 });
    const out2: ReassemblyEvent[] = [];
    r2.push(conn(1, 100), out2);
    r2.push(conn(2, 111), out2);
    assert.deepEqual(out2.filter((e) => e.kind === 'close').map((e) => e.kind === 'close' && e.reason), ['idle']);
    assert.equal(r2.connectionCount, 1);
  });

  describe('real streams (project fixtures)', function () {
    if (fixtures.length === 0) {
      it.skip('no fixtures/*.pcap yet');
      return;
    }
    /** The TCP segments of the fixtures, by capture order. */
    const realSegments = (): TcpSegment[][] => {
      const perFile: TcpSegment[][] = [];
      for (const f of fixtures) {
        const segs: TcpSegment[] = [];
        for (const rec of readCaptureBuffer(readFileSync(f))) {
          const d = decodeFrame(rec.linkType, rec.data);
          if (!d?.tcp) continue;
          segs.push({ src: d.src, srcPort: d.srcPort, dst: d.dst, dstPort: d.dstPort, seq: d.tcp.seq, syn: d.tcp.flags.syn, fin: d.tcp.flags.fin, rst: d.tcp.flags.rst, payload: d.payload, frame: rec.frame, tsSec: rec.tsSec, tsNsec: rec.tsNsec });
        }
        if (segs.some((s) => s.payload.length > 0)) perFile.push(segs);
      }
      return perFile;
    };
    const collect = (events: ReassemblyEvent[]) => {
      const m = new Map<string, Buffer[]>();
      for (const e of events) if (e.kind === 'data') m.set(`${e.stream.connection}/${e.stream.key}`, [...(m.get(`${e.stream.connection}/${e.stream.key}`) ?? []), Buffer.from(e.data)]);
      return new Map([...m].map(([k, v]) => [k, Buffer.concat(v).toString('hex')]));
    };

    it('re-segmented, reordered and duplicated real streams give the same bytes', () => {
      for (const segs of realSegments().slice(0, 6)) {
        const want = collect(run(segs));
        assert.ok(want.size > 0);
        fc.assert(
          fc.property(fc.nat(), fc.integer({ min: 1, max: 50 }), (seed, size) => {
            // split every data segment into pieces of `size`, keep SYNs first, shuffle the rest, duplicate some
            const syns = segs.filter((s) => s.syn);
            const rest: TcpSegment[] = [];
            for (const s of segs.filter((x) => !x.syn && !x.rst)) {
              if (s.payload.length === 0) {
                rest.push(s);
                continue;
              }
              for (let o = 0; o < s.payload.length; o += size) {
                const piece = { ...s, seq: (s.seq + o) >>> 0, payload: s.payload.subarray(o, o + size), fin: s.fin && o + size >= s.payload.length };
                rest.push(piece);
                if ((seed + o) % 7 === 0) rest.push(piece);
              }
            }
            const shuffled = fc.sample(fc.shuffledSubarray(rest, { minLength: rest.length, maxLength: rest.length }), { seed, numRuns: 1 })[0]!;
            // the whole reshuffled stream must fit the out-of-order bound for the property to hold
            assert.deepEqual(collect(run([...syns, ...shuffled], { maxBufferedSegments: 1e6, maxBufferedBytes: 1e9 })), want);
          }),
          { numRuns: 20 },
        );
      }
    });
  });
});
