import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  NbssFramer,
  type NbssFrame,
  type NbssMessage,
  type NbssTransport,
  nbssMessage,
  nbssMessageFromFrame,
} from '../../src/codec/nbss.js';
import { nbssErrorName } from '../../src/codec/netbios-tables.js';
import { isDecodeError } from '../../src/errors.js';
import { assertDecoderTotal, roundTrip } from '../helpers/codec.js';
import { brokenDirections, directionKey, nbssMessages, oracleCaptures } from '../support/fixture-messages.js';

const nbss = nbssMessage('nbss');
const direct = nbssMessage('direct');

const request: NbssMessage = {
  type: 0x81,
  calledName: { name: 'SERVER', suffix: 0x20, scope: '' },
  callingName: { name: 'CLIENT7', suffix: 0x00, scope: '' },
};

function sampleStream(transport: NbssTransport): { bytes: Uint8Array; messages: NbssMessage[] } {
  const payload = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
  const messages: NbssMessage[] =
    transport === 'nbss'
      ? [
          request,
          { type: 0x82 },
          { type: 0x00, payload: payload(70, 1) },
          { type: 0x85 },
          { type: 0x83, errorCode: 0x82 },
          { type: 0x84, retargetIpAddress: '192.0.2.7', port: 139 },
          { type: 0x00, payload: new Uint8Array(0) },
          { type: 0x00, payload: payload(5, 9) },
        ]
      : [
          { type: 0x00, payload: payload(3, 2) },
          { type: 0x00, payload: new Uint8Array(0) },
          { type: 0x00, payload: payload(40, 3) },
        ];
  const codec = nbssMessage(transport);
  const parts = messages.map((m) => codec.encode(m));
  return { bytes: Buffer.concat(parts), messages };
}

function drain(f: NbssFramer): NbssFrame[] {
  const out: NbssFrame[] = [];
  for (let m = f.next(); m; m = f.next()) out.push(m);
  return out;
}

const normalize = (m: NbssMessage): unknown => (m.type === 0x00 ? { ...m, payload: Buffer.from(m.payload).toString('hex') } : m);

describe('nbss framer', () => {
  for (const transport of ['nbss', 'direct'] as const) {
    it(`${transport}: every split point of a stream gives the same messages`, () => {
      const { bytes, messages } = sampleStream(transport);
      const expected = messages.map(normalize);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const f = new NbssFramer(transport);
        f.push(bytes.subarray(0, cut));
        const got = drain(f);
        f.push(bytes.subarray(cut));
        got.push(...drain(f));
        assert.equal(f.buffered, 0);
        assert.deepEqual(got.map((fr) => normalize(nbssMessageFromFrame(fr, transport))), expected, `cut at ${cut}`);
      }
    });

    it(`${transport}: byte-at-a-time feeding, offsets are stream offsets`, () => {
      const { bytes, messages } = sampleStream(transport);
      const f = new NbssFramer(transport);
      const got: NbssFrame[] = [];
      for (let i = 0; i < bytes.length; i++) {
        f.push(bytes.subarray(i, i + 1));
        got.push(...drain(f));
      }
      assert.equal(got.length, messages.length);
      let off = 0;
      for (const fr of got) {
        assert.equal(fr.offset, off);
        off += 4 + fr.length;
      }
      assert.equal(off, bytes.length);
    });

    it(`${transport}: random chunkings`, () => {
      const { bytes, messages } = sampleStream(transport);
      const expected = messages.map(normalize);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }), (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const f = new NbssFramer(transport);
          const got: NbssFrame[] = [];
          for (let i = 0; i + 1 < points.length; i++) {
            f.push(bytes.subarray(points[i]!, points[i + 1]!));
            got.push(...drain(f));
          }
          assert.deepEqual(got.map((fr) => normalize(nbssMessageFromFrame(fr, transport))), expected);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('several messages in one chunk come back as views of that chunk (no copy)', () => {
    const { bytes } = sampleStream('nbss');
    const f = new NbssFramer('nbss');
    f.push(bytes);
    const frames = drain(f);
    assert.equal(frames.length, 8);
    for (const fr of frames) {
      assert.equal(fr.payload.buffer, bytes.buffer);
      assert.equal(fr.payload.byteOffset, bytes.byteOffset + fr.offset + 4);
    }
  });

  it('a message spanning chunks is copied once, complete', () => {
    const msg = nbss.encode({ type: 0x00, payload: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    const f = new NbssFramer('nbss');
    f.push(msg.subarray(0, 3));
    assert.equal(f.next(), undefined);
    f.push(msg.subarray(3, 7));
    assert.equal(f.next(), undefined);
    assert.equal(f.buffered, 7);
    f.push(msg.subarray(7));
    const fr = f.next()!;
    assert.deepEqual([...fr.payload], [1, 2, 3, 4, 5, 6]);
    assert.notEqual(fr.payload.buffer, msg.buffer);
    assert.equal(f.next(), undefined);
    assert.equal(f.buffered, 0);
  });

  it('17-bit lengths on 139 (E flag), 24-bit on 445', () => {
    const big = new Uint8Array(0x10005);
    const f = new NbssFramer('nbss');
    f.push(Uint8Array.from([0x00, 0x01, 0x00, 0x05]));
    f.push(big.subarray(0, 5));
    assert.equal(f.next(), undefined);
    f.push(big.subarray(5, 0x10005));
    const fr = f.next()!;
    assert.equal(fr.length, 0x10005);
    assert.equal(fr.flags, 1);

    const d = new NbssFramer('direct');
    d.push(Uint8Array.from([0x00, 0x02, 0x00, 0x00]));
    assert.equal(d.next(), undefined); // needs 0x20000 bytes
    const enc = direct.encode({ type: 0x00, payload: new Uint8Array(0x20000) });
    assert.deepEqual([...enc.subarray(0, 4)], [0x00, 0x02, 0x00, 0x00]);
  });

  it('oversize length is LIMIT, before the payload arrives', () => {
    const f = new NbssFramer('direct', { maxMessage: 0x10000 });
    f.push(Uint8Array.from([0x00, 0x01, 0x00, 0x01]));
    assert.throws(() => f.next(), (e) => isDecodeError(e, 'LIMIT'));
    const g = new NbssFramer('nbss', { maxMessage: 100 });
    g.push(Uint8Array.from([0x00, 0x00, 0x00, 101]));
    assert.throws(() => g.next(), (e) => isDecodeError(e, 'LIMIT'));
  });

  it('bad headers are BAD_VALUE', () => {
    const cases: [NbssTransport, number[]][] = [
      ['nbss', [0x42, 0, 0, 0]], // unknown type
      ['nbss', [0x00, 0x02, 0, 0]], // reserved flag bit
      ['direct', [0x81, 0, 0, 0]], // direct TCP carries only type 0
      ['direct', [0xff, 0x53, 0x4d, 0x42]], // a bare SMB header, no framing
    ];
    for (const [t, h] of cases) {
      const f = new NbssFramer(t);
      f.push(Uint8Array.from(h));
      assert.throws(() => f.next(), (e) => isDecodeError(e, 'BAD_VALUE'), `${t} ${h}`);
    }
  });

  it('many chunks do not grow without bound', () => {
    const f = new NbssFramer('direct');
    let n = 0;
    for (let i = 0; i < 5000; i++) {
      f.push(Uint8Array.from([0, 0, 0, 1]));
      f.push(Uint8Array.from([i & 0xff]));
      for (let fr = f.next(); fr; fr = f.next()) n++;
    }
    assert.equal(n, 5000);
    assert.equal(f.buffered, 0);
  });
});

describe('nbss messages', () => {
  it('round trips every type', () => {
    const { messages } = sampleStream('nbss');
    for (const m of messages) roundTrip(nbss, m, normalize as (v: NbssMessage) => unknown);
    for (const m of sampleStream('direct').messages) roundTrip(direct, m, normalize as (v: NbssMessage) => unknown);
  });

  it('session request: 72 bytes, both names first-level encoded, no compression', () => {
    const b = nbss.encode(request);
    assert.equal(b.length, 4 + 34 + 34);
    assert.deepEqual([...b.subarray(0, 4)], [0x81, 0x00, 0x00, 0x44]);
    assert.equal(Buffer.from(b.subarray(4, 38)).toString('latin1'), ' FDEFFCFGEFFCCACACACACACACACACACA\0');
    assert.equal(Buffer.from(b.subarray(38)).toString('latin1'), ' EDEMEJEFEOFEDHCACACACACACACACAAA\0');
    // a pointer in place of the calling name is refused
    const bad = Uint8Array.from([0x81, 0, 0, 36, ...b.subarray(4, 38), 0xc0, 0x04]);
    assert.throws(() => nbss.decode(bad), (e) => isDecodeError(e, 'BAD_VALUE'));
  });

  it('wrong fixed lengths are BAD_LENGTH; truncated body is TRUNCATED', () => {
    assert.throws(() => nbss.decode(Uint8Array.from([0x82, 0, 0, 1, 0])), (e) => isDecodeError(e, 'BAD_LENGTH'));
    assert.throws(() => nbss.decode(Uint8Array.from([0x83, 0, 0, 2, 0x80, 0])), (e) => isDecodeError(e, 'BAD_LENGTH'));
    assert.throws(() => nbss.decode(Uint8Array.from([0x84, 0, 0, 4, 1, 2, 3, 4])), (e) => isDecodeError(e, 'BAD_LENGTH'));
    assert.throws(() => nbss.decode(Uint8Array.from([0x00, 0, 0, 9, 1, 2])), (e) => isDecodeError(e, 'TRUNCATED'));
    assert.throws(() => direct.decode(Uint8Array.from([0x85, 0, 0, 0])), (e) => isDecodeError(e, 'BAD_VALUE'));
  });

  it('names the negative response error codes', () => {
    assert.equal(nbssErrorName(0x80), 'NOT_LISTENING_ON_CALLED_NAME');
    assert.equal(nbssErrorName(0x82), 'CALLED_NAME_NOT_PRESENT');
    assert.equal(nbssErrorName(0x8f), 'UNSPECIFIED_ERROR');
    assert.equal(nbssErrorName(0x85), 'UNSPECIFIED_ERROR_0x85');
    assert.equal(nbssErrorName(0x12), 'ERROR_0x12');
  });

  it('decoders are total', () => {
    const seeds = sampleStream('nbss').messages.map((m) => nbss.encode(m));
    assertDecoderTotal((b) => nbss.decode(b), seeds);
    assertDecoderTotal((b) => direct.decode(b), sampleStream('direct').messages.map((m) => direct.encode(m)));
    assertDecoderTotal((b) => {
      const f = new NbssFramer('nbss');
      f.push(b);
      for (let fr = f.next(); fr; fr = f.next()) nbssMessageFromFrame(fr, 'nbss');
    }, [sampleStream('nbss').bytes]);
  });
});

type Json = Record<string, unknown>;
const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const tsharkName = (n: { name: string; suffix: number }): string => `${n.name}<${n.suffix.toString(16).padStart(2, '0')}>`;

/** tshark's NBSS PDUs per TCP direction ("src:port>dst:port"), in frame order. */
function tsharkNbss(jsonPath: string): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  for (const pkt of JSON.parse(readFileSync(jsonPath, 'utf8')) as Json[]) {
    const l = (pkt['_source'] as Json)['layers'] as Json;
    const ip = l['ip'] as Json | undefined;
    const tcp = l['tcp'] as Json | undefined;
    if (!ip || !tcp || l['nbss'] === undefined) continue;
    const key = `${String(ip['ip.src'])}:${String(tcp['tcp.srcport'])}>${String(ip['ip.dst'])}:${String(tcp['tcp.dstport'])}`;
    for (const pdu of asList(l['nbss']) as Json[]) {
      if (pdu['nbss.type'] === undefined) continue; // continuation data
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      list.push(pdu);
    }
  }
  return out;
}

describe('nbss golden captures (fixtures/*.pcap + .tshark.json)', () => {
  it('frames every TCP 139/445 stream into the messages tshark shows, field by field', function () {
    let compared = 0;
    for (const { name: file, pcap, tsharkJson } of oracleCaptures()) {
      const expected = tsharkNbss(tsharkJson);
      const ours = new Map<string, { m: NbssMessage; length: number }[]>();
      for (const c of nbssMessages(pcap)) {
        const key = directionKey(c);
        let list = ours.get(key);
        if (!list) ours.set(key, (list = []));
        list.push({ m: nbssMessageFromFrame({ type: c.type, flags: c.flags, length: c.payload.length, payload: c.payload, offset: c.streamOffset }, c.transport), length: c.payload.length });
      }
      for (const key of brokenDirections(pcap)) ours.delete(key); // cannot compare a stream with holes
      for (const [key, list] of ours) {
        const t = expected.get(key) ?? [];
        assert.equal(list.length, t.length, `${file} ${key}: message count`);
        list.forEach(({ m, length }, i) => {
          const tp = t[i]!;
          const where = `${file} ${key} #${i}`;
          assert.equal(m.type, Number(tp['nbss.type']), `${where} type`);
          assert.equal(length, Number(tp['nbss.length']), `${where} length`);
          if (m.type === 0x81) {
            assert.equal(tsharkName(m.calledName), tp['nbss.called_name'], `${where} called name`);
            assert.equal(tsharkName(m.callingName), tp['nbss.calling_name'], `${where} calling name`);
          } else if (m.type === 0x83) {
            assert.equal(m.errorCode, Number(tp['nbss.error_code']), `${where} error code`);
          } else if (m.type === 0x84) {
            assert.equal(m.retargetIpAddress, tp['nbss.retarget_ip_address']);
            assert.equal(m.port, Number(tp['nbss.retarget_port']));
          }
          compared++;
        });
      }
    }
    if (compared === 0) this.skip();
  });
});
