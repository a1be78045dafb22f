import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { CaptureReader, detectCaptureFormat, readCaptureBuffer, type CaptureRecord } from '../../src/codec/pcap/capture-reader.js';
import {
  PCAP_MAX_RECORD,
  decodePcapRecordHeader,
  encodePcapHeader,
  encodePcapRecord,
  pcapHeader,
  type PcapHeader,
} from '../../src/codec/pcap/pcap.js';
import { isDecodeError } from '../../src/errors.js';
import { readCapture, readCaptureBatches } from '../../src/pcap/file.js';
import { roundTrip, valueOrDecodeError } from '../helpers/codec.js';

const FIX = new URL('../../fixtures/', import.meta.url).pathname;
const fixtures = existsSync(FIX) ? readdirSync(FIX).filter((f) => f.endsWith('.pcap')).map((f) => FIX + f) : [];
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

function records(buf: Uint8Array): CaptureRecord[] {
  return [...readCaptureBuffer(buf)];
}

function norm(r: CaptureRecord): unknown {
  return { ...r, data: Buffer.from(r.data).toString('hex'), fileOffset: undefined };
}

/** A pcap rewritten in the other byte order: the file header and every record header swapped. */
function byteSwapPcap(buf: Uint8Array): Uint8Array {
  const out = Uint8Array.from(buf);
  const v = new DataView(out.buffer);
  const swap32 = (o: number) => v.setUint32(o, v.getUint32(o, true), false);
  const swap16 = (o: number) => v.setUint16(o, v.getUint16(o, true), false);
  const le = v.getUint32(0, true) === 0xa1b2c3d4 || v.getUint32(0, true) === 0xa1b23c4d;
  assert.ok(le, 'test expects a little-endian pcap');
  const rd = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  swap32(0);
  swap16(4);
  swap16(6);
  swap32(8);
  swap32(12);
  swap32(16);
  swap32(20);
  for (let o = 24; o < buf.length; ) {
    const incl = rd.getUint32(o + 8, true);
    for (let k = 0; k < 16; k += 4) swap32(o + k);
    o += 16 + incl;
  }
  return out;
}

/** A synthetic capture of `n` records of varied sizes. */
function synthetic(n: number, h: Partial<PcapHeader> = {}): Uint8Array {
  const parts = [encodePcapHeader({ linkType: 1, ...h })];
  for (let i = 0; i < n; i++) {
    const data = Uint8Array.from({ length: (i * 37) % 200 }, (_, k) => (i + k) & 0xff);
    parts.push(encodePcapRecord({ tsSec: 1700000000 + i, tsNsec: i * 1000, data, originalLength: data.length + (i % 3) }, { littleEndian: h.littleEndian ?? true, nanosecond: h.nanosecond ?? false }));
  }
  return Buffer.concat(parts);
}

describe('pcap', () => {
  describe('file header', () => {
    for (const littleEndian of [true, false]) {
      for (const nanosecond of [true, false]) {
        it(`round-trips ${littleEndian ? 'LE' : 'BE'} ${nanosecond ? 'ns' : 'µs'}`, () => {
          const h: PcapHeader = { littleEndian, nanosecond, versionMajor: 2, versionMinor: 4, thiszone: -3600, sigfigs: 0, snaplen: 65535, linkType: 113, linkTypeInfo: 0 };
          const bytes = roundTrip(pcapHeader, h);
          assert.equal(detectCaptureFormat(bytes), 'pcap');
        });
      }
    }
    it('writes the magic in the chosen byte order', () => {
      assert.equal(Buffer.from(encodePcapHeader({ linkType: 1 }).subarray(0, 4)).toString('hex'), 'd4c3b2a1');
      assert.equal(Buffer.from(encodePcapHeader({ linkType: 1, littleEndian: false, nanosecond: true }).subarray(0, 4)).toString('hex'), 'a1b23c4d');
    });
    it('rejects a wrong magic and a short header', () => {
      assert.throws(() => pcapHeader.decode(new Uint8Array(24)), (e) => isDecodeError(e, 'BAD_VALUE'));
      assert.throws(() => pcapHeader.decode(encodePcapHeader({ linkType: 1 }).subarray(0, 23)), (e) => isDecodeError(e, 'TRUNCATED'));
    });
  });

  describe('record header', () => {
    const h = { littleEndian: true, nanosecond: false, snaplen: 65535 };
    it('bounds incl_len by 256 KiB (LIMIT) and by snaplen + slack (BAD_LENGTH)', () => {
      const rec = encodePcapRecord({ tsSec: 1, data: new Uint8Array(0) });
      const v = new DataView(rec.buffer);
      v.setUint32(8, PCAP_MAX_RECORD + 1, true);
      assert.throws(() => decodePcapRecordHeader(rec, 0, { ...h, snaplen: 0 }), (e) => isDecodeError(e, 'LIMIT') && e.offset === 8);
      v.setUint32(8, 70000, true);
      assert.throws(() => decodePcapRecordHeader(rec, 0, h), (e) => isDecodeError(e, 'BAD_LENGTH'));
      assert.equal(decodePcapRecordHeader(rec, 0, { ...h, snaplen: 0 }).capturedLength, 70000);
    });
    it('rejects a sub-second field of a second or more', () => {
      const rec = encodePcapRecord({ tsSec: 1, data: new Uint8Array(0) });
      new DataView(rec.buffer).setUint32(4, 1000000, true);
      assert.throws(() => decodePcapRecordHeader(rec, 0, h), (e) => isDecodeError(e, 'BAD_VALUE'));
      assert.equal(decodePcapRecordHeader(rec, 0, { ...h, nanosecond: true }).tsNsec, 1000000);
    });
    it('scales microseconds to nanoseconds and keeps orig_len', () => {
      const rec = encodePcapRecord({ tsSec: 7, tsNsec: 123456789, data: new Uint8Array(3), originalLength: 60 });
      assert.deepEqual(decodePcapRecordHeader(rec, 0, h), { tsSec: 7, tsNsec: 123456000, capturedLength: 3, originalLength: 60 });
    });
  });

  describe('CaptureReader', () => {
    it('reads every byte order and precision of a synthetic capture alike', () => {
      const want = records(synthetic(50)).map(norm);
      for (const littleEndian of [true, false]) {
        for (const nanosecond of [true, false]) {
          assert.deepEqual(records(synthetic(50, { littleEndian, nanosecond })).map(norm), want);
        }
      }
      assert.equal(want.length, 50);
    });

    it('gives the same records whatever the chunking (split at every byte)', () => {
      const buf = synthetic(12);
      const want = records(buf).map(norm);
      for (let cut = 0; cut <= buf.length; cut++) {
        const r = new CaptureReader();
        const got: CaptureRecord[] = [];
        r.push(buf.subarray(0, cut));
        for (let x = r.next(); x; x = r.next()) got.push(x);
        r.push(buf.subarray(cut));
        for (let x = r.next(); x; x = r.next()) got.push(x);
        r.end();
        assert.deepEqual(got.map(norm), want, `cut at ${cut}`);
      }
    });

    it('gives the same records fed one byte at a time, with file offsets', () => {
      const buf = synthetic(5);
      const r = new CaptureReader();
      const got: CaptureRecord[] = [];
      for (let i = 0; i < buf.length; i++) {
        r.push(buf.subarray(i, i + 1));
        for (let x = r.next(); x; x = r.next()) got.push(x);
      }
      r.end();
      const want = records(buf);
      assert.deepEqual(got.map(norm), want.map(norm));
      assert.deepEqual(got.map((x) => x.fileOffset), want.map((x) => x.fileOffset));
      assert.equal(want[0]!.fileOffset, 24);
      assert.deepEqual(want.map((x) => x.frame), [1, 2, 3, 4, 5]);
    });

    it('reports a truncated capture: records so far, then TRUNCATED at the partial record', () => {
      const buf = synthetic(4);
      const full = records(buf);
      const last = full[3]!;
      for (const cut of [last.fileOffset + 3, last.fileOffset + 16, buf.length - 1]) {
        const r = new CaptureReader();
        r.push(buf.subarray(0, cut));
        const got: CaptureRecord[] = [];
        for (let x = r.next(); x; x = r.next()) got.push(x);
        assert.equal(got.length, 3);
        assert.throws(() => r.end(), (e) => isDecodeError(e, 'TRUNCATED') && e.offset === last.fileOffset);
        assert.equal(r.offset, last.fileOffset);
      }
      assert.throws(() => new CaptureReader().end(), (e) => isDecodeError(e, 'TRUNCATED') && e.offset === 0);
    });

    it('stops on garbage with the file offset of the bad record', () => {
      const buf = Uint8Array.from(synthetic(4));
      const third = records(buf)[2]!;
      new DataView(buf.buffer).setUint32(third.fileOffset + 8, 0xfffffff0, true);
      const r = new CaptureReader();
      r.push(buf);
      assert.ok(r.next());
      assert.ok(r.next());
      assert.throws(() => r.next(), (e) => isDecodeError(e, 'LIMIT') && e.offset === third.fileOffset + 8);
      assert.equal(r.recordCount, 2);
      assert.equal(r.offset, third.fileOffset);
      assert.throws(() => r.next(), (e) => isDecodeError(e, 'LIMIT'), 'stays failed');
      assert.throws(() => records(Buffer.from('this is not a capture file')), (e) => isDecodeError(e, 'BAD_VALUE') && e.offset === 0);
    });

    it('returns records or DecodeError on random and mutated input', () => {
      const seed = synthetic(3);
      const run = (b: Uint8Array) => {
        for (const _ of readCaptureBuffer(b)) void _;
      };
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => valueOrDecodeError(run, b)), { numRuns: 500 });
      fc.assert(
        fc.property(fc.nat(seed.length - 1), fc.nat(255), fc.nat(seed.length), (at, val, cut) => {
          const b = Uint8Array.from(seed);
          b[at] = val;
          valueOrDecodeError(run, b.subarray(0, cut));
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('readCapture (I/O)', () => {
    it('reads files, streams and async iterables in small chunks', async () => {
      const buf = synthetic(30);
      const want = records(buf).map(norm);
      const collect = async (it: AsyncIterable<CaptureRecord>) => {
        const out: unknown[] = [];
        for await (const r of it) out.push(norm(r));
        return out;
      };
      assert.deepEqual(await collect(readCapture(Readable.from([buf.subarray(0, 100), buf.subarray(100)]))), want);
      async function* bytes() {
        for (let i = 0; i < buf.length; i += 7) yield buf.subarray(i, i + 7);
      }
      assert.deepEqual(await collect(readCapture(bytes())), want);
      if (fixtures[0]) {
        const f = fixtures[0];
        assert.deepEqual(await collect(readCapture(f, { chunkSize: 64 })), records(readFileSync(f)).map(norm));
      }
    });

    it('next(into) fills one record object with what next() returns', () => {
      // pcap only: a pcapng record is always an object of its own
      for (const f of fixtures.filter((x) => x.endsWith('.pcap')).slice(0, 3)) {
        const buf = readFileSync(f);
        const want = records(buf).map(norm);
        const r = new CaptureReader();
        r.push(buf);
        const into = {} as CaptureRecord;
        const got: unknown[] = [];
        for (let rec = r.next(into); rec !== undefined; rec = r.next(into)) {
          assert.equal(rec, into);
          got.push(norm(rec));
        }
        r.end();
        assert.deepEqual(got, want, f);
        assert.ok(got.length > 0, f);
      }
    });

    it('reuseBuffer: one read buffer for a file, records the same while their batch is current', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'smbp-reuse-'));
      try {
        const files = [...fixtures.slice(0, 3)];
        const syn = join(dir, 'syn.pcap');
        writeFileSync(syn, synthetic(40));
        files.push(syn);
        for (const f of files) {
          const want = records(readFileSync(f)).map(norm);
          // 64 bytes: records straddle reads and some are larger than the buffer (it grows)
          for (const chunkSize of [64, 1000, 1 << 20]) {
            const got: unknown[] = [];
            for await (const batch of readCaptureBatches(f, { chunkSize, reuseBuffer: true })) for (const r of batch) got.push(norm(r));
            assert.deepEqual(got, want, `${f} ${chunkSize}`);
          }
        }
        // a cut file: the complete records, then TRUNCATED at the start of the cut one
        const buf = synthetic(3);
        const cut = join(dir, 'cut.pcap');
        writeFileSync(cut, buf.subarray(0, buf.length - 2));
        let n = 0;
        await assert.rejects(async () => {
          for await (const batch of readCaptureBatches(cut, { chunkSize: 64, reuseBuffer: true })) n += batch.length;
        }, (e) => isDecodeError(e, 'TRUNCATED'));
        assert.equal(n, 2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('throws TRUNCATED after the complete records of a cut stream', async () => {
      const buf = synthetic(3);
      let n = 0;
      await assert.rejects(async () => {
        for await (const _ of readCapture(Readable.from([buf.subarray(0, buf.length - 2)]))) n++;
      }, (e) => isDecodeError(e, 'TRUNCATED'));
      assert.equal(n, 2);
    });
  });

  describe('project fixtures (real Samba captures)', function () {
    if (fixtures.length === 0) {
      it.skip('no fixtures/*.pcap yet');
      return;
    }
    it('reads the big-endian, nanosecond and pcapng forms of each fixture identically', () => {
      for (const f of fixtures) {
        const buf = readFileSync(f);
        const want = records(buf).map(norm);
        assert.ok(want.length > 0, f);
        assert.deepEqual(records(byteSwapPcap(buf)).map(norm), want, `${f} byte-swapped`);
        const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        if (v.getUint32(0, true) === 0xa1b2c3d4) {
          // the same file as a nanosecond pcap, written by our encoder from our records
          const ns = [encodePcapHeader({ linkType: v.getUint32(20, true), snaplen: v.getUint32(16, true), nanosecond: true })];
          for (const r of records(buf)) ns.push(encodePcapRecord({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data, originalLength: r.originalLength }, { littleEndian: true, nanosecond: true }));
          assert.deepEqual(records(Buffer.concat(ns)).map(norm), want, `${f} as nanosecond pcap`);
        }
      }
    });

    it('reads editcap re-writes (pcapng, nanosecond pcap) of each fixture identically', function () {
      if (spawnSync('editcap', ['--version']).status !== 0) this.skip();
      const tmp = mkdtempSync(join(tmpdir(), 'smbprobe-pcap-'));
      try {
        for (const f of fixtures.slice(0, 8)) {
          const want = records(readFileSync(f)).map(norm);
          for (const fmt of ['pcapng', 'nsecpcap']) {
            const out = join(tmp, `x.${fmt}`);
            assert.equal(spawnSync('editcap', ['-F', fmt, f, out]).status, 0);
            assert.deepEqual(records(readFileSync(out)).map(norm), want, `${f} as ${fmt}`);
          }
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('agrees with tshark on frame numbers, times and lengths (fixtures and fixtures/variants)', function () {
      if (!haveTshark) this.skip();
      // tshark takes a second or two per file: a sample of the fixtures, and every committed variant
      const dir = `${FIX}variants/`;
      const variants = existsSync(dir) ? readdirSync(dir).filter((x) => /\.(pcapng|pcap)$/.test(x)).map((x) => dir + x) : [];
      for (const f of [...fixtures.slice(0, 2), ...variants]) {
        const r = spawnSync('tshark', ['-r', f, '-n', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'], { encoding: 'utf8' });
        const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
        const got = records(readFileSync(f));
        assert.equal(got.length, rows.length, f);
        got.forEach((rec, i) => {
          const [num, epoch, cap, len] = rows[i]!;
          assert.equal(rec.frame, Number(num));
          assert.equal(`${rec.tsSec}.${String(rec.tsNsec).padStart(9, '0')}`, epoch);
          assert.equal(rec.capturedLength, Number(cap));
          assert.equal(rec.originalLength, Number(len));
        });
      }
    });
  });
});
