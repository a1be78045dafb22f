import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ChurnMap, empty } from '../../src/capture/reuse.js';

describe('ChurnMap', () => {
  it('behaves as a Map through table swaps (random operations, compared with a Map)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('set' as const), key: fc.integer({ min: 0, max: 7 }), v: fc.integer() }),
      fc.record({ k: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ k: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 500, maxLength: 3000 }), (ops) => {
        const m = new ChurnMap<number, number>();
        const ref = new Map<number, number>();
        for (const o of ops) {
          if (o.k === 'set') {
            m.set(o.key, o.v);
            ref.set(o.key, o.v);
          } else if (o.k === 'delete') {
            assert.equal(m.delete(o.key), ref.delete(o.key));
          } else {
            m.clear();
            ref.clear();
          }
          assert.equal(m.size, ref.size);
        }
        // insertion order and values survive the swaps
        assert.deepEqual([...m], [...ref]);
        assert.deepEqual([...m.keys()], [...ref.keys()]);
        assert.deepEqual([...m.values()], [...ref.values()]);
        for (let k = 0; k < 8; k++) {
          assert.equal(m.get(k), ref.get(k));
          assert.equal(m.has(k), ref.has(k));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('keeps working after many open/close cycles that empty it', () => {
    const m = new ChurnMap<number, string>();
    for (let i = 0; i < 5000; i++) {
      m.set(i, `r${i}`);
      m.set(i + 0.5, 'x');
      assert.equal(m.get(i), `r${i}`);
      assert.ok(m.delete(i));
      assert.ok(m.delete(i + 0.5));
      assert.equal(m.delete(i), false);
      assert.equal(m.size, 0);
    }
    m.set(1, 'a');
    assert.deepEqual([...m.entries()], [[1, 'a']]);
  });
});

describe('empty', () => {
  it('empties an array in place and leaves it usable', () => {
    const a = [1, 2, 3];
    const same = a;
    empty(a);
    assert.equal(a.length, 0);
    assert.equal(a, same);
    a.push(4);
    assert.deepEqual(a, [4]);
    empty(a);
    empty(a);
    assert.deepEqual(a, []);
  });
});
