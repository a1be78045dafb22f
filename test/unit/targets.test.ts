import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import {
  ExclusionSet,
  TargetError,
  bigIntToIpv6,
  dryRun,
  expandTargets,
  isUnicastDestination,
  ipv4ToNumber,
  ipv6ToBigInt,
  numberToIpv4,
  parseShard,
  parseTargetSpec,
  parseTargetSpecs,
  prepareTargets,
  shardOf,
  specSize,
  targetStream,
  type Resolver,
  type Target,
} from '../../src/scan/targets.js';

async function collect(it: AsyncIterable<Target>): Promise<string[]> {
  const out: string[] = [];
  for await (const t of it) out.push(t.address);
  return out;
}

const expand = (specs: string[], opts: Parameters<typeof expandTargets>[1] = {}) => collect(expandTargets(parseTargetSpecs(specs), opts));

const fakeResolver: Resolver = async (name) => {
  if (name === 'host.example') return [{ address: '192.0.2.50', family: 4 }, { address: '2001:db8::50', family: 6 }];
  if (name === 'v6.example') return [{ address: '2001:db8::7', family: 6 }];
  const e = new Error(`getaddrinfo ENOTFOUND ${name}`) as NodeJS.ErrnoException;
  e.code = 'ENOTFOUND';
  throw e;
};

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof TargetError) return e.code;
    throw e;
  }
  return undefined;
}

describe('targets: syntax', () => {
  it('single IPv4 and IPv6 addresses', async () => {
    assert.deepEqual(await expand(['192.0.2.1']), ['192.0.2.1']);
    assert.deepEqual(await expand(['2001:DB8::1']), ['2001:db8::1']);
    assert.deepEqual(await expand(['::ffff:192.0.2.1']), ['::ffff:c000:201']);
    assert.deepEqual(await expand(['fe80::1%eth0']), ['fe80::1%eth0']);
  });

  it('IPv4 CIDR, including /31 /32 and a non-aligned base', async () => {
    assert.deepEqual(await expand(['192.0.2.5/30']), ['192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7']);
    assert.deepEqual(await expand(['192.0.2.9/32']), ['192.0.2.9']);
    assert.equal((await expand(['10.0.0.0/22'])).length, 1024);
    assert.equal(specSize(parseTargetSpec('0.0.0.0/0')), 2 ** 32);
  });

  it('IPv6 CIDR, bounded', async () => {
    assert.deepEqual(await expand(['2001:db8::/126']), ['2001:db8::', '2001:db8::1', '2001:db8::2', '2001:db8::3']);
    assert.equal(specSize(parseTargetSpec('2001:db8::/104')), 2 ** 24);
    assert.equal(errorCode(() => parseTargetSpec('2001:db8::/64')), 'TOO_LARGE');
  });

  it('dash ranges, lists, * and open ends in any octet', async () => {
    assert.deepEqual(await expand(['10.0.0.1-3']), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.deepEqual(await expand(['10.0.1-2.1-2']), ['10.0.1.1', '10.0.1.2', '10.0.2.1', '10.0.2.2']);
    assert.deepEqual(await expand(['10.0.0.9,1,3-4,3']), ['10.0.0.1', '10.0.0.3', '10.0.0.4', '10.0.0.9']);
    assert.equal((await expand(['10.0.0.*'])).length, 256);
    assert.deepEqual(await expand(['10.0.0.254-']), ['10.0.0.254', '10.0.0.255']);
    assert.deepEqual(await expand(['10.0.0.-1']), ['10.0.0.0', '10.0.0.1']);
    assert.equal(specSize(parseTargetSpec('10.0.1-3.1-254')), 3 * 254);
  });

  it('bad targets are TargetError BAD_TARGET naming the target', () => {
    for (const bad of ['10.0.0.300', '10.0.0', '10.0.0.5-1', '1.2.3.4/33', '1.2.3.4-5/24', '2001:db8::g', 'fe80::1%', 'a..b', '-x', '', 'host_/x', '2001:db8::1%eth0/120']) {
      try {
        parseTargetSpec(bad);
        assert.fail(`accepted ${JSON.stringify(bad)}`);
      } catch (e) {
        assert.ok(e instanceof TargetError, `${bad}: ${e}`);
        assert.equal(e.code, 'BAD_TARGET', bad);
        assert.equal(e.target, bad);
      }
    }
  });

  it('address conversions round-trip', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => ipv4ToNumber(numberToIpv4(n)) === n));
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => ipv6ToBigInt(bigIntToIpv6(v)) === v));
  });
});

describe('targets: only unicast destinations', () => {
  it('skips this-network, multicast, reserved and broadcast addresses that a range covers', async () => {
    const got = await collect(expandTargets(parseTargetSpecs(['0.0.0.254-255', '0.0.1.0/31', '1.0.0.0/31', '223.255.255.255', '224.0.0.1', '239.1.2.3', '240.0.0.1', '255.255.255.255', '::', 'ff02::1', '2001:db8::1'])));
    assert.deepEqual(got, ['1.0.0.0', '1.0.0.1', '223.255.255.255', '2001:db8::1']);
  });
  it('classifies by address', () => {
    for (const a of ['0.0.0.0', '0.255.255.255', '224.0.0.0', '255.255.255.255', '::', 'ff05::2']) assert.equal(isUnicastDestination(a), false, a);
    for (const a of ['1.0.0.0', '127.0.0.1', '192.0.2.1', '223.0.0.1', '::1', '2001:db8::1', 'fe80::1']) assert.equal(isUnicastDestination(a), true, a);
  });
});

describe('targets: host names', () => {
  it('uses the first address (as nmap does) and reports the others', async () => {
    const multi: string[] = [];
    const out: Target[] = [];
    for await (const t of expandTargets(parseTargetSpecs(['host.example', 'v6.example']), { resolver: fakeResolver, onMultipleAddresses: (h) => multi.push(h) })) out.push(t);
    assert.deepEqual(out, [
      { host: 'host.example', address: '192.0.2.50', family: 4 },
      { host: 'v6.example', address: '2001:db8::7', family: 6 },
    ]);
    assert.deepEqual(multi, ['host.example']);
  });

  it('an unresolvable name is reported and skipped; the rest goes on', async () => {
    const bad: string[] = [];
    const got = await collect(expandTargets(parseTargetSpecs(['nope.invalid', '192.0.2.1']), { resolver: fakeResolver, onUnresolved: (u) => bad.push(`${u.host}:${u.message}`) }));
    assert.deepEqual(got, ['192.0.2.1']);
    assert.deepEqual(bad, ['nope.invalid:ENOTFOUND']);
  });

  it('host/prefix expands the block around the resolved address', async () => {
    assert.equal((await collect(expandTargets(parseTargetSpecs(['host.example/30']), { resolver: fakeResolver }))).length, 4);
  });
});

describe('targets: files, exclusions, shards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smbprobe-targets-'));

  it('refuses a target of more than 2^24 addresses (a mistyped prefix), but not such an exclusion', async () => {
    // parsing only, nothing is sent: no address outside loopback is spelled (127.0.0.0/7 is the /7 around it; *.*.*.* the octet range)
    for (const t of ['0.0.0.0/0', '127.0.0.0/7', '*.*.*.*', 'fileserver.example/7']) {
      await assert.rejects(prepareTargets({ targets: [t] }), (e: unknown) => e instanceof TargetError && e.code === 'TOO_LARGE' && e.message.includes(t), t);
    }
    const p = await prepareTargets({ targets: ['127.0.0.0/8', '127.0.0.0/8'], exclude: ['0.0.0.0/0'] });
    assert.equal(p.size, 2 * 2 ** 24);
  });

  it('-iL: several targets per line, comments, blank lines; errors name file:line', async () => {
    const f = join(dir, 'list.txt');
    writeFileSync(f, '# lab\n192.0.2.1 192.0.2.2\n\n192.0.2.8/31  # pair\r\n');
    const p = await prepareTargets({ inputList: f });
    assert.deepEqual(await collect(targetStream(p)), ['192.0.2.1', '192.0.2.2', '192.0.2.8', '192.0.2.9']);
    const g = join(dir, 'bad.txt');
    writeFileSync(g, '192.0.2.1\n192.0.2.999\n');
    await assert.rejects(prepareTargets({ inputList: g }), (e: unknown) => e instanceof TargetError && e.code === 'BAD_TARGET' && e.source === `${g}:2`);
    await assert.rejects(prepareTargets({ inputList: join(dir, 'missing') }), (e: unknown) => e instanceof TargetError && e.code === 'BAD_FILE');
  });

  it('-iL - reads stdin', async () => {
    const p = await prepareTargets({ inputList: '-', stdin: Readable.from([Buffer.from('192.0.2.3\n192.0.2.4')]) });
    assert.deepEqual(await collect(targetStream(p)), ['192.0.2.3', '192.0.2.4']);
  });

  it('no targets at all is NO_TARGETS', async () => {
    await assert.rejects(prepareTargets({ targets: [] }), (e: unknown) => e instanceof TargetError && e.code === 'NO_TARGETS');
  });

  it('--exclude (comma list) and --exclude-file, checked by range arithmetic', async () => {
    const f = join(dir, 'ex.txt');
    writeFileSync(f, '10.0.0.0/25\n10.0.0.200-255\n');
    const p = await prepareTargets({ targets: ['10.0.0.0/24'], exclude: ['10.0.0.150,10.0.0.151'], excludeFile: f });
    const got = await collect(targetStream(p));
    assert.equal(got.length, 256 - 128 - 56 - 2);
    assert.ok(!got.includes('10.0.0.150') && !got.includes('10.0.0.0') && !got.includes('10.0.0.200') && got.includes('10.0.0.149'));
  });

  it('a huge exclusion (/8) and a wide octet pattern stay cheap', async () => {
    const ex = await ExclusionSet.from(parseTargetSpecs(['10.0.0.0/8', '1-254.*.*.7', '2001:db8::/104']));
    assert.ok(ex.has('10.200.3.4'));
    assert.ok(ex.has('99.1.2.7') && !ex.has('99.1.2.8'));
    assert.ok(ex.has('2001:db8::ff:1') && !ex.has('2001:db8::1:0:0'));
  });

  it('excluded host names: by name and by every resolved address', async () => {
    const ex = await ExclusionSet.from(parseTargetSpecs(['host.example']), fakeResolver);
    assert.ok(ex.has('192.0.2.50') && ex.has('2001:db8::50') && ex.has('198.51.100.1', 'HOST.example'));
  });

  it('--shard K/N: the N shards partition the targets exactly once', async () => {
    const specs = parseTargetSpecs(['10.1.0.0/22', '2001:db8::/118']);
    const all = await collect(expandTargets(specs));
    for (const n of [1, 2, 3, 7]) {
      const seen = new Map<string, number>();
      for (let k = 1; k <= n; k++) {
        const part = await collect(expandTargets(specs, { shard: { index: k, count: n } }));
        if (n > 1) assert.ok(part.length > all.length / n / 2, `shard ${k}/${n} is far too small: ${part.length}`);
        for (const a of part) seen.set(a, (seen.get(a) ?? 0) + 1);
      }
      assert.equal(seen.size, all.length);
      assert.ok([...seen.values()].every((c) => c === 1));
    }
    assert.equal(shardOf('192.0.2.1', 5), shardOf('192.0.2.1', 5));
  });

  it('bad shards are BAD_SHARD', () => {
    for (const s of ['3/2', '0/2', '1/0', 'a/b', '1', '-1/2']) assert.equal(errorCode(() => parseShard(s)), 'BAD_SHARD', s);
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  });

  it('dryRun expands without probing', async () => {
    assert.deepEqual(await collect(dryRun({ targets: ['192.0.2.1-2'] })), ['192.0.2.1', '192.0.2.2']);
  });
});

describe('targets: streaming', () => {
  it('a /8 is walked lazily: the first million addresses without heap growth', async function () {
    this.timeout(60_000);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    let n = 0;
    let last = '';
    const it = expandTargets(parseTargetSpecs(['10.0.0.0/8']));
    for await (const t of it) {
      last = t.address;
      if (++n === 1_000_000) break;
    }
    gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(last, numberToIpv4(ipv4ToNumber('10.0.0.0') + 999_999));
    // a million addresses held would be ~40 MB; lazily walked it is garbage
    assert.ok(grown < 16 * 1024 * 1024, `heap grew by ${grown} bytes`);
    assert.equal(specSize(parseTargetSpec('10.0.0.0/8')), 2 ** 24);
  });
});
