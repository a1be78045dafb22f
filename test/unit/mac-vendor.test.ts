import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAllZeroMac, isLocallyAdministered, macHex, macVendor } from '../../src/probe/mac-vendor.js';

describe('mac-vendor', () => {
  it('names IEEE registrants by OUI', () => {
    assert.match(macVendor('00:15:5d:01:02:03')!, /^Microsoft/);
    assert.match(macVendor('00:1c:c4:aa:bb:cc')!, /^Hewlett Packard/);
  });
  it('accepts the usual spellings', () => {
    for (const m of ['00-15-5D-01-02-03', '0015.5d01.0203', '00155d010203']) assert.match(macVendor(m)!, /^Microsoft/);
    assert.equal(macHex('00:15:5d:01:02'), null);
    assert.equal(macVendor('not a mac'), null);
  });
  it('all-zero is no MAC (never Xerox), locally administered has no vendor', () => {
    assert.equal(isAllZeroMac('00:00:00:00:00:00'), true);
    assert.equal(macVendor('00:00:00:00:00:00'), null);
    assert.equal(isLocallyAdministered('02:00:c0:00:02:0b'), true);
    assert.equal(macVendor('02:00:c0:00:02:0b'), null);
    assert.equal(isLocallyAdministered('00:15:5d:01:02:03'), false);
  });
  it('prefers the longest assignment (MA-S over MA-L of the IEEE RA)', () => {
    const table = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('oui-data'), 'utf8')) as Record<string, string>;
    const key = Object.keys(table).find((k) => k.length === 9 && (parseInt(k.slice(0, 2), 16) & 2) === 0)!;
    assert.ok(key, 'the table has MA-S entries');
    const mac = `${key}000`.match(/../g)!.join(':');
    assert.equal(macVendor(mac), table[key]!.split('\n')[0]!.trim());
  });
});
