import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaptureReader, detectCaptureFormat, readCaptureBuffer, type CaptureRecord } from '../../src/codec/pcap/capture-reader.js';
import {
  PCAPNG_MAX_BLOCK,
  PcapngBlockType,
  encodeBlock,
  encodeEnhancedPacketBlock,
  encodeInterfaceDescriptionBlock,
  encodeObsoletePacketBlock,
  encodeSectionHeaderBlock,
  encodeSimplePacketBlock,
  makeInterface,
  timestampOf,
} from '../../src/codec/pcap/pcapng.js';
import { isDecodeError } from '../../src/errors.js';
import { valueOrDecodeError } from '../helpers/codec.js';

const cat = (...p: Uint8Array[]) => Buffer.concat(p);
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const all = (b: Uint8Array): CaptureRecord[] => [...readCaptureBuffer(b)];

function sample(le: boolean): Uint8Array {
  return cat(
    encodeSectionHeaderBlock(le),
    encodeInterfaceDescriptionBlock({ linkType: 1, snaplen: 65535 }, le),
    encodeInterfaceDescriptionBlock({ linkType: 113, snaplen: 0, tsresol: 9 }, le),
    encodeEnhancedPacketBlock({ interfaceId: 0, timestamp: 1700000000123456n, data: bytes(61), originalLength: 70 }, le),
    encodeBlock(PcapngBlockType.NAME_RESOLUTION, new Uint8Array(8), le),
    encodeEnhancedPacketBlock({ interfaceId: 1, timestamp: 1700000001987654321n, data: bytes(3, 9) }, le),
    encodeBlock(PcapngBlockType.INTERFACE_STATISTICS, new Uint8Array(20), le),
    encodeBlock(0x40000bad, bytes(5), le),
  );
}

describe('pcapng', () => {
  it('reads both byte orders, several interfaces and link types, skipping NRB/ISB/unknown blocks', () => {
    for (const le of [true, false]) {
      const buf = sample(le);
      assert.equal(detectCaptureFormat(buf), 'pcapng');
      const recs = all(buf);
      assert.equal(recs.length, 2);
      assert.deepEqual(
        recs.map(({ data, fileOffset, ...r }) => ({ ...r, data: Buffer.from(data).toString('hex'), at: fileOffset > 0 })),
        [
          { frame: 1, interfaceId: 0, linkType: 1, tsSec: 1700000000, tsNsec: 123456000, capturedLength: 61, originalLength: 70, data: Buffer.from(bytes(61)).toString('hex'), at: true },
          { frame: 2, interfaceId: 1, linkType: 113, tsSec: 1700000001, tsNsec: 987654321, capturedLength: 3, originalLength: 3, data: Buffer.from(bytes(3, 9)).toString('hex'), at: true },
        ],
      );
    }
  });

  it('starts a new interface table at each section, whatever its byte order', () => {
    const buf = cat(
      sample(true),
      encodeSectionHeaderBlock(false),
      encodeInterfaceDescriptionBlock({ linkType: 101 }, false),
      encodeEnhancedPacketBlock({ interfaceId: 0, timestamp: 5000000n, data: bytes(20) }, false),
    );
    const recs = all(buf);
    assert.deepEqual(recs.map((r) => [r.frame, r.interfaceId, r.linkType, r.tsSec]), [
      [1, 0, 1, 1700000000],
      [2, 1, 113, 1700000001],
      [3, 0, 101, 5],
    ]);
    // interface 1 of the first section does not exist in the second
    const bad = cat(sample(true), encodeSectionHeaderBlock(true), encodeInterfaceDescriptionBlock({ linkType: 1 }), encodeEnhancedPacketBlock({ interfaceId: 1, timestamp: 0n, data: bytes(1) }));
    assert.throws(() => all(bad), (e) => isDecodeError(e, 'BAD_VALUE') && e.field === 'Interface ID');
  });

  it('applies if_tsresol (power of 10 and power of 2) and if_tsoffset', () => {
    assert.deepEqual(timestampOf(makeInterface(1, 0), 0, 1500000), { tsSec: 1, tsNsec: 500000000 });
    assert.deepEqual(timestampOf(makeInterface(1, 0, 3), 0, 2500), { tsSec: 2, tsNsec: 500000000 });
    assert.deepEqual(timestampOf(makeInterface(1, 0, 0x80 | 10), 0, 3 * 1024 + 256), { tsSec: 3, tsNsec: 250000000 });
    assert.deepEqual(timestampOf(makeInterface(1, 0, 0x80 | 30), 1, 0), { tsSec: 4, tsNsec: 0 });
    assert.deepEqual(timestampOf(makeInterface(1, 0, 12), 0, 1000001), { tsSec: 0, tsNsec: 1000 });
    const ns = 1795633428406965123n;
    assert.deepEqual(timestampOf(makeInterface(1, 0, 9), Number(ns >> 32n), Number(ns & 0xffffffffn)), { tsSec: 1795633428, tsNsec: 406965123 });
    const buf = cat(
      encodeSectionHeaderBlock(),
      encodeInterfaceDescriptionBlock({ linkType: 1, tsresol: 0x80 | 20, tsoffset: 1000 }),
      encodeEnhancedPacketBlock({ interfaceId: 0, timestamp: (7n << 20n) + (1n << 19n), data: bytes(4) }),
    );
    const [r] = all(buf);
    assert.equal(r!.tsSec, 1007);
    assert.equal(r!.tsNsec, 500000000);
  });

  it('reads Simple Packet Blocks with interface 0 and its snaplen, and Obsolete Packet Blocks', () => {
    const buf = cat(
      encodeSectionHeaderBlock(),
      encodeInterfaceDescriptionBlock({ linkType: 228, snaplen: 10 }),
      encodeSimplePacketBlock({ data: bytes(12), originalLength: 40 }),
      encodeSimplePacketBlock({ data: bytes(5) }),
      encodeObsoletePacketBlock({ interfaceId: 0, timestamp: 2000000n, data: bytes(9) }),
    );
    const recs = all(buf);
    assert.deepEqual(recs.map((r) => [r.linkType, r.capturedLength, r.originalLength, r.data.length, r.tsSec]), [
      [228, 10, 40, 10, 0],
      [228, 5, 5, 5, 0],
      [228, 9, 9, 9, 2],
    ]);
    assert.throws(() => all(cat(encodeSectionHeaderBlock(), encodeSimplePacketBlock({ data: bytes(4) }))), (e) => isDecodeError(e, 'BAD_VALUE'));
  });

  it('checks block lengths: multiple of 4, trailing copy, 16 MiB bound, file starts with an SHB', () => {
    const good = sample(true);
    const shbLen = encodeSectionHeaderBlock().length;
    const mutate = (at: number, v: number) => {
      const b = Uint8Array.from(good);
      new DataView(b.buffer).setUint32(at, v, true);
      return b;
    };
    assert.throws(() => all(mutate(shbLen + 4, 22)), (e) => isDecodeError(e, 'BAD_LENGTH') && e.offset === shbLen + 4);
    assert.throws(() => all(mutate(shbLen + 4, 24)), (e) => isDecodeError(e, 'BAD_LENGTH'));
    assert.throws(() => all(mutate(shbLen + 4, PCAPNG_MAX_BLOCK + 4)), (e) => isDecodeError(e, 'LIMIT'));
    assert.throws(() => all(mutate(8, 0x11223344)), (e) => isDecodeError(e, 'BAD_VALUE') && e.field === 'Byte-Order Magic');
    assert.throws(() => all(good.subarray(shbLen)), (e) => isDecodeError(e, 'BAD_VALUE'));
    // a captured length running past its block
    const epb = encodeEnhancedPacketBlock({ interfaceId: 0, timestamp: 0n, data: bytes(4) });
    new DataView(epb.buffer).setUint32(20, 200, true);
    assert.throws(() => all(cat(encodeSectionHeaderBlock(), encodeInterfaceDescriptionBlock({ linkType: 1 }), epb)), (e) => isDecodeError(e, 'BAD_LENGTH'));
  });

  it('gives the same records at every chunk boundary, and reports truncation with the block offset', () => {
    const buf = sample(false);
    const want = all(buf);
    for (let cut = 0; cut <= buf.length; cut++) {
      const r = new CaptureReader();
      const got: CaptureRecord[] = [];
      r.push(buf.subarray(0, cut));
      for (let x = r.next(); x; x = r.next()) got.push(x);
      r.push(buf.subarray(cut));
      for (let x = r.next(); x; x = r.next()) got.push(x);
      r.end();
      assert.deepEqual(got, want.map((w) => ({ ...w, data: got[w.frame - 1]?.data ?? w.data })));
      assert.deepEqual(got.map((g) => Buffer.from(g.data)), want.map((w) => Buffer.from(w.data)));
    }
    const r = new CaptureReader();
    r.push(buf.subarray(0, want[1]!.fileOffset + 10));
    assert.ok(r.next());
    assert.equal(r.next(), undefined);
    assert.throws(() => r.end(), (e) => isDecodeError(e, 'TRUNCATED') && e.offset === want[1]!.fileOffset);
  });

  it('returns records or DecodeError on mutated files', () => {
    const seed = sample(true);
    const run = (b: Uint8Array) => {
      for (const _ of readCaptureBuffer(b)) void _;
    };
    fc.assert(
      fc.property(fc.nat(seed.length - 1), fc.nat(255), fc.nat(seed.length), (at, val, cut) => {
        const b = Uint8Array.from(seed);
        b[at] = val;
        valueOrDecodeError(run, b.subarray(0, cut));
      }),
      { numRuns: 2000 },
    );
  });
});
