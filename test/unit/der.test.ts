import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DER_MAX_DEPTH,
  DerReader,
  TagClass,
  bitStringToFlags,
  decodeBitString,
  decodeInteger,
  decodeOid,
  derBitStringFlags,
  derContext,
  derEnumerated,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derTlv,
  oidContent,
  parseDerTree,
} from '../../src/codec/der.js';
import { isDecodeError, type DecodeErrorCode } from '../../src/errors.js';
import { assertDecoderTotal } from '../helpers/codec.js';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function throwsCode(fn: () => unknown, code: DecodeErrorCode, what?: string): void {
  assert.throws(fn, (e) => isDecodeError(e, code), what);
}

describe('der: OBJECT IDENTIFIER', () => {
  it('encodes the SPNEGO and mechanism OIDs as on the wire', () => {
    assert.equal(Buffer.from(derOid('1.3.6.1.5.5.2')).toString('hex'), '06062b0601050502');
    assert.equal(Buffer.from(oidContent('1.3.6.1.4.1.311.2.2.10')).toString('hex'), '2b06010401823702020a');
    assert.equal(Buffer.from(oidContent('1.2.840.113554.1.2.2')).toString('hex'), '2a864886f712010202');
    assert.equal(Buffer.from(oidContent('1.2.840.48018.1.2.2')).toString('hex'), '2a864882f712010202');
  });

  it('first-subidentifier rule both ways', () => {
    for (const oid of ['0.0', '0.39', '1.0', '1.39', '2.0', '2.39', '2.40', '2.999.3', '1.3.6.1.4.1.311.2.2.30']) {
      assert.equal(decodeOid(oidContent(oid)), oid);
    }
    assert.equal(decodeOid(h('8837')), '2.999');
  });

  it('round-trips random OIDs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 20 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          assert.equal(decodeOid(oidContent(oid)), oid);
        },
      ),
    );
  });

  it('rejects malformed OIDs by code', () => {
    throwsCode(() => decodeOid(new Uint8Array(0)), 'BAD_LENGTH', 'empty');
    throwsCode(() => decodeOid(h('2b8001')), 'BAD_VALUE', 'non-minimal arc');
    throwsCode(() => decodeOid(h('2b86')), 'BAD_VALUE', 'cut short');
    throwsCode(() => decodeOid(new Uint8Array(40).fill(1)), 'LIMIT', 'too many arcs');
    throwsCode(() => decodeOid(h('2bffffffffffffffff7f')), 'LIMIT', 'arc too large');
    assert.throws(() => oidContent('1.40'), RangeError);
    assert.throws(() => oidContent('x'), RangeError);
  });
});

describe('der: tags and lengths', () => {
  it('reads short and long form lengths (non-minimal tolerated)', () => {
    const content = new Uint8Array(300).fill(7);
    const long = derOctetString(content);
    assert.equal(Buffer.from(long.subarray(0, 4)).toString('hex'), '0482012c');
    const el = new DerReader(long).read();
    assert.equal(el.contentEnd - el.contentStart, 300);
    const nonMinimal = h('04 83 000002 aabb');
    const r = new DerReader(nonMinimal);
    const e2 = r.read();
    assert.equal(Buffer.from(r.content(e2)).toString('hex'), 'aabb');
    assert.ok(r.done);
  });

  it('length-of-length is bounded, indefinite and 0xFF are refused', () => {
    throwsCode(() => new DerReader(h('04 85 0000000001 00')).read(), 'LIMIT');
    new DerReader(h('04 84 00000001 00')).read();
    throwsCode(() => new DerReader(h('30 80 0000')).read(), 'UNSUPPORTED');
    throwsCode(() => new DerReader(h('04 ff')).read(), 'BAD_LENGTH');
  });

  it('truncation is TRUNCATED, overrunning the parent is BAD_LENGTH', () => {
    throwsCode(() => new DerReader(h('04 05 0102')).read(), 'TRUNCATED');
    throwsCode(() => new DerReader(h('04 82 01')).read(), 'TRUNCATED');
    throwsCode(() => new DerReader(h('30')).read(), 'TRUNCATED');
    const r = new DerReader(h('30 03 04 05 00 0000000000'));
    const seq = r.read();
    throwsCode(() => r.enter(seq).read(), 'BAD_LENGTH');
  });

  it('high-tag-number form, bounded to 4 octets', () => {
    for (const tag of [31, 127, 128, 200, 16383, 2 ** 21, 2 ** 28 - 1]) {
      const b = derTlv(TagClass.CONTEXT, false, tag, h('00'));
      const el = new DerReader(b).read();
      assert.equal(el.tag, tag);
      assert.equal(el.cls, TagClass.CONTEXT);
    }
    throwsCode(() => new DerReader(h('9f 8181818101 01 00')).read(), 'LIMIT');
    throwsCode(() => new DerReader(h('9f 81')).read(), 'TRUNCATED');
  });

  it('nesting deeper than the limit is LIMIT', () => {
    let b = derOctetString(h('00'));
    for (let i = 0; i < DER_MAX_DEPTH; i++) b = derSequence([b]);
    // DER_MAX_DEPTH constructed levels around a primitive: accepted
    assert.equal(parseDerTree(b).length, 1);
    throwsCode(() => parseDerTree(derSequence([b])), 'LIMIT');
    throwsCode(() => parseDerTree(b, 0, b.length, 4), 'LIMIT');
  });
});

describe('der: primitives', () => {
  it('INTEGER/ENUMERATED round trip, minimal two’s complement', () => {
    assert.equal(Buffer.from(derEnumerated(1)).toString('hex'), '0a0101');
    assert.equal(Buffer.from(derInteger(128)).toString('hex'), '02020080');
    assert.equal(Buffer.from(derInteger(-1)).toString('hex'), '0201ff');
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 46), max: 2 ** 46 }), (n) => {
        const b = derInteger(n);
        const r = new DerReader(b);
        assert.equal(decodeInteger(r.content(r.read())), n);
      }),
    );
    throwsCode(() => decodeInteger(new Uint8Array(0)), 'BAD_LENGTH');
    throwsCode(() => decodeInteger(new Uint8Array(7)), 'LIMIT');
  });

  it('BIT STRING named bits (ContextFlags) round trip', () => {
    // mutualFlag | integFlag: bits 1 and 6 → 0x42, one unused bit
    assert.equal(Buffer.from(derBitStringFlags(0b1000010)).toString('hex'), '03020142');
    assert.equal(Buffer.from(derBitStringFlags(0)).toString('hex'), '030100');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const r = new DerReader(derBitStringFlags(v));
        assert.equal(bitStringToFlags(decodeBitString(r.content(r.read()))), v >>> 0);
      }),
    );
    throwsCode(() => decodeBitString(h('08 00')), 'BAD_VALUE');
    throwsCode(() => decodeBitString(new Uint8Array(0)), 'BAD_LENGTH');
  });

  it('parseDerTree shows the structure', () => {
    const b = derSequence([derContext(0, derOid('1.3.6.1.5.5.2')), derOctetString(h('abcd'))]);
    assert.deepEqual(parseDerTree(b), [
      {
        cls: 0,
        constructed: true,
        tag: 16,
        offset: 0,
        length: 14,
        children: [
          { cls: 2, constructed: true, tag: 0, offset: 2, length: 8, children: [{ cls: 0, constructed: false, tag: 6, offset: 4, length: 6, value: '2b0601050502' }] },
          { cls: 0, constructed: false, tag: 4, offset: 12, length: 2, value: 'abcd' },
        ],
      },
    ]);
  });

  it('error offsets are relative to the reader base', () => {
    const buf = Buffer.concat([h('ffffff'), h('30 03 04 05 00')]);
    const r = new DerReader(buf, 3);
    const seq = r.read();
    assert.throws(() => r.enter(seq).read(), (e) => isDecodeError(e, 'BAD_LENGTH') && e.offset === 2 && e.protocol === 'der');
  });

  it('any input gives a tree or a DecodeError', () => {
    const seed = derSequence([derContext(0, derSequence([derOid('1.3.6.1.4.1.311.2.2.10')])), derContext(2, derOctetString(h('4e544c4d')))]);
    assertDecoderTotal((b) => parseDerTree(b), [seed]);
  });
});
