import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_POINTER_HOPS,
  type NetbiosName,
  encodeNetbiosName,
  firstLevelDecode,
  firstLevelEncode,
  formatNetbiosName,
  netbiosName,
  netbiosNameBytes,
  netbiosNameString,
} from '../../src/codec/netbios-name.js';
import { MSBROWSE_NAME, lookupNetbiosService, netbiosService } from '../../src/codec/netbios-tables.js';
import { isDecodeError } from '../../src/errors.js';
import { assertDecoderTotal, roundTrip } from '../helpers/codec.js';

const ascii = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('netbios names: first-level encoding', () => {
  it('encodes RFC 1001 §14.1 example FRED padded with spaces', () => {
    assert.equal(ascii(firstLevelEncode({ name: 'FRED', suffix: 0x20 })), 'EGFCEFEE' + 'CA'.repeat(12));
  });

  it('pads the wildcard with NULs, other names with spaces', () => {
    assert.equal(ascii(firstLevelEncode({ name: '*', suffix: 0 })), 'CK' + 'A'.repeat(30));
    assert.deepEqual([...netbiosNameBytes('*')], [0x2a, ...new Array(14).fill(0)]);
    assert.deepEqual([...netbiosNameBytes('AB')], [0x41, 0x42, ...new Array(13).fill(0x20)]);
    assert.deepEqual(firstLevelDecode(firstLevelEncode({ name: '*', suffix: 0 })), { name: '*', suffix: 0 });
  });

  it('keeps every byte but trailing spaces (MSBROWSE, inner spaces, trailing NULs)', () => {
    for (const name of [MSBROWSE_NAME, 'A B', 'X\0\0', '*A', '']) {
      assert.deepEqual(firstLevelDecode(firstLevelEncode({ name, suffix: 0x01 })), { name, suffix: 0x01 });
    }
    assert.equal(netbiosNameString(Uint8Array.from([0x41, 0x20, 0x20])), 'A');
  });

  it('a half-byte character outside A..P is BAD_VALUE at its offset', () => {
    const enc = firstLevelEncode({ name: 'HOST', suffix: 0x20 });
    enc[7] = 0x51;
    assert.throws(
      () => firstLevelDecode(enc),
      (e) => isDecodeError(e, 'BAD_VALUE') && e.offset === 7,
    );
    enc[7] = 0x61; // lower-case 'a' is not allowed either
    assert.throws(() => firstLevelDecode(enc), (e) => isDecodeError(e, 'BAD_VALUE'));
  });

  it('formats names like nbtstat, escaping control bytes', () => {
    assert.equal(formatNetbiosName({ name: 'SMBP-NT1', suffix: 0x20 }), 'SMBP-NT1<20>');
    assert.equal(formatNetbiosName({ name: MSBROWSE_NAME, suffix: 0x01 }), '\\x01\\x02__MSBROWSE__\\x02<01>');
    assert.equal(formatNetbiosName({ name: 'H', suffix: 0x1d, scope: 'lab' }), 'H<1D>.lab');
  });

  it('refuses names it cannot encode', () => {
    assert.throws(() => netbiosNameBytes('A'.repeat(16)), RangeError);
    assert.throws(() => netbiosNameBytes('\u0100'), RangeError);
    assert.throws(() => encodeNetbiosName({ name: 'A', suffix: 0, scope: 'a..b' }), RangeError);
    assert.throws(() => encodeNetbiosName({ name: 'A', suffix: 0, scope: 'x'.repeat(64) }), RangeError);
  });
});

describe('netbios names: wire form, scope and compression', () => {
  it('round trips with and without scope', () => {
    const cases: NetbiosName[] = [
      { name: '*', suffix: 0, scope: '' },
      { name: 'SMBP-NT1', suffix: 0x20, scope: '' },
      { name: MSBROWSE_NAME, suffix: 0x01, scope: 'lab.example.org' },
      { name: 'A', suffix: 0xff, scope: 'x'.repeat(63) },
    ];
    for (const n of cases) roundTrip(netbiosName, n);
    assert.equal(encodeNetbiosName(cases[1]!).length, 34);
    assert.equal(encodeNetbiosName(cases[2]!).length, 34 + 4 + 8 + 4);
  });

  it('random names round trip', () => {
    const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 15 });
    const label = fc.string({ unit: fc.constantFrom(...'abcxyz019-'), minLength: 1, maxLength: 63 });
    fc.assert(
      fc.property(latin1, fc.integer({ min: 0, max: 255 }), fc.array(label, { maxLength: 3 }), (name, suffix, labels) => {
        const n = { name, suffix, scope: labels.join('.') };
        const back = netbiosName.decode(netbiosName.encode(n));
        // decoding trims trailing spaces and folds "*" + 14 NULs into "*"; everything else is exact
        const expected = name === '*' || name === `*${'\0'.repeat(14)}` ? '*' : name.replace(/ +$/, '');
        assert.deepEqual(back, { name: expected, suffix, scope: n.scope });
      }),
      { numRuns: 500 },
    );
  });

  it('follows a pointer backwards and resumes after it', () => {
    const first = encodeNetbiosName({ name: 'HOST', suffix: 0x20, scope: 'lab' });
    const buf = Uint8Array.from([...first, 0xc0, 0x00, 0xee]);
    assert.deepEqual(netbiosName.decode(buf, first.length), { name: 'HOST', suffix: 0x20, scope: 'lab' });
    // label then pointer: the scope comes through the pointer
    const scope = Uint8Array.from([3, 0x6c, 0x61, 0x62, 0]); // "lab" at 0
    const enc = firstLevelEncode({ name: 'B', suffix: 0 });
    const b2 = Uint8Array.from([...scope, 32, ...enc, 0xc0, 0x00]);
    assert.deepEqual(netbiosName.decode(b2, scope.length), { name: 'B', suffix: 0, scope: 'lab' });
  });

  it('pointers forward, to itself or into the same run are BAD_OFFSET', () => {
    const enc = encodeNetbiosName({ name: 'HOST', suffix: 0x20, scope: '' });
    assert.throws(() => netbiosName.decode(Uint8Array.from([0xc0, 0x02, ...enc]), 0), (e) => isDecodeError(e, 'BAD_OFFSET'));
    assert.throws(() => netbiosName.decode(Uint8Array.from([0xc0, 0x00]), 0), (e) => isDecodeError(e, 'BAD_OFFSET'));
    // a loop: 0 -> label run ending in a pointer back to 0
    const loop = Uint8Array.from([...enc.subarray(0, 33), 0xc0, 0x00]);
    assert.throws(() => netbiosName.decode(loop, 0), (e) => isDecodeError(e, 'BAD_OFFSET'));
  });

  it('more than the hop limit of backward pointers is LIMIT', () => {
    const enc = encodeNetbiosName({ name: 'HOST', suffix: 0x20, scope: '' });
    const bytes = [...enc];
    let prev = 0;
    for (let i = 0; i <= MAX_POINTER_HOPS; i++) {
      const at = bytes.length;
      bytes.push(0xc0 | (prev >> 8), prev & 0xff);
      prev = at;
    }
    const b = Uint8Array.from(bytes);
    assert.throws(() => netbiosName.decode(b, prev), (e) => isDecodeError(e, 'LIMIT'));
    assert.deepEqual(netbiosName.decode(b, prev - 2).name, 'HOST'); // exactly the limit is fine
  });

  it('names over 255 bytes are LIMIT; reserved label types, bad first label and NBSS pointers are BAD_VALUE', () => {
    const enc = encodeNetbiosName({ name: 'HOST', suffix: 0x20, scope: '' });
    const long = [...enc.subarray(0, 33)];
    for (let i = 0; i < 4; i++) long.push(63, ...new Array(63).fill(0x61));
    long.push(0);
    assert.throws(() => netbiosName.decode(Uint8Array.from(long)), (e) => isDecodeError(e, 'LIMIT'));
    assert.throws(() => netbiosName.decode(Uint8Array.from([0x40, 0])), (e) => isDecodeError(e, 'BAD_VALUE'));
    assert.throws(() => netbiosName.decode(Uint8Array.from([3, 0x41, 0x41, 0x41, 0])), (e) => isDecodeError(e, 'BAD_VALUE'));
    assert.throws(() => netbiosName.decode(Uint8Array.from([0])), (e) => isDecodeError(e, 'BAD_VALUE'));
    assert.throws(() => netbiosName.decode(enc.subarray(0, 20)), (e) => isDecodeError(e, 'TRUNCATED'));
  });

  it('decoding is total', () => {
    const seeds = [
      encodeNetbiosName({ name: 'HOST', suffix: 0x20, scope: 'a.b' }),
      Uint8Array.from([...encodeNetbiosName({ name: '*', suffix: 0, scope: '' }), 0xc0, 0x00]),
    ];
    assertDecoderTotal((b) => netbiosName.decode(b), seeds);
    assertDecoderTotal((b) => netbiosName.decode(b, Math.min(b.length, 34)), seeds, 500);
  });
});

describe('netbios service names', () => {
  it('follows the suffix, unique/group and the name', () => {
    assert.equal(netbiosService('HOST', 0x00, false), 'Workstation Service');
    assert.equal(netbiosService('WORKGROUP', 0x00, true), 'Domain Name');
    assert.equal(netbiosService(MSBROWSE_NAME, 0x01, true), 'Master Browser');
    assert.equal(netbiosService('HOST', 0x03, false), 'Messenger Service');
    assert.equal(netbiosService('HOST', 0x20, false), 'File Server Service');
    assert.equal(netbiosService('DOM', 0x1b, false), 'Domain Master Browser');
    assert.equal(netbiosService('DOM', 0x1c, true), 'Domain Controllers');
    assert.equal(netbiosService('INet~Services', 0x1c, true), 'IIS');
    assert.equal(netbiosService('IS~HOST', 0x00, false), 'IIS');
    assert.equal(netbiosService('DOM', 0x1d, false), 'Master Browser');
    assert.equal(netbiosService('DOM', 0x1e, true), 'Browser Service Elections');
    assert.equal(netbiosService('HOST', 0xbe, false), 'Network Monitor Agent');
    assert.equal(netbiosService('IRISNAMESERVER', 0x33, true), 'Lotus Notes (IRIS name server)');
    assert.equal(lookupNetbiosService('HOST', 0x77, false), undefined);
    assert.equal(netbiosService('HOST', 0x77, false), 'Unknown Service');
  });
});
