import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ByteReader, copyBytes } from '../../src/codec/reader.js';
import { DecodeError } from '../../src/errors.js';

// the reader does its own byte arithmetic: DataView, the reference, must agree everywhere
describe('ByteReader integer reads', () => {
  it('agree with DataView at every offset of random windows', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), (bytes, pick) => {
        // a window inside a larger buffer: byteOffset and base must both be honoured
        const outer = new Uint8Array(bytes.length + 5);
        outer.set(bytes, 3);
        const buf = outer.subarray(3, 3 + bytes.length);
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const at = pick % (bytes.length - 7);
        const r = (): ByteReader => {
          const x = new ByteReader(buf, 'smb2');
          x.skip(at, 'pad');
          return x;
        };
        assert.equal(r().u16le('f'), dv.getUint16(at, true));
        assert.equal(r().u16be('f'), dv.getUint16(at, false));
        assert.equal(r().u32le('f'), dv.getUint32(at, true));
        assert.equal(r().u32be('f'), dv.getUint32(at, false));
        assert.equal(r().i16le('f'), dv.getInt16(at, true));
        assert.equal(r().u64le('f'), dv.getBigUint64(at, true));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the extremes and advances by the field size', () => {
    const r = new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x80]), 'smb2');
    assert.equal(r.u64le('a'), 0xffffffffffffffffn);
    assert.equal(r.pos, 8);
    assert.equal(r.i16le('b'), -32768);
    assert.throws(() => r.u8('c'), (e: unknown) => e instanceof DecodeError && e.code === 'TRUNCATED' && e.field === 'c');
  });

  it('refuses a read that runs past the window, with the offset from base', () => {
    const r = new ByteReader(new Uint8Array(16), 'smb1', 4, 9, 2);
    r.skip(3, 'x');
    assert.throws(() => r.u32le('Field'), (e: unknown) => e instanceof DecodeError && e.code === 'TRUNCATED' && e.field === 'Field' && e.offset === 5);
    assert.equal(r.u16be('ok'), 0);
  });
});

describe('copyBytes', () => {
  it('copies: equal bytes, unaffected when the input is reused, small and large', () => {
    for (const n of [0, 1, 63, 64, 65, 300, 4095, 4096, 20000]) {
      const src = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      const c = copyBytes(src.subarray(0));
      assert.deepEqual([...c], [...src], `length ${n}`);
      src.fill(0xee);
      assert.ok(c.every((b, i) => b === ((i * 7 + n) & 0xff)), `length ${n} after the input changed`);
      assert.equal(c.length, n);
      assert.ok(!(c instanceof Buffer));
    }
  });

  it('two copies never share bytes', () => {
    const a = copyBytes(Uint8Array.of(1, 2, 3));
    const b = copyBytes(Uint8Array.of(4, 5, 6));
    a[0] = 9;
    assert.deepEqual([...b], [4, 5, 6]);
    assert.deepEqual([...a], [9, 2, 3]);
  });
});
