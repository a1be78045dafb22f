import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { encodeNodeStatusRequest } from '../../src/codec/nbns.js';
import { RttEstimator, TokenBucket, UdpTransport, canonicalAddress, nbnsResponseId, type UdpTransportOptions } from '../../src/transport/udp.js';
import { NbnsResponder, type NbnsResponderOptions } from '../support/nbns-responder.js';

const build = (id: number): Uint8Array => encodeNodeStatusRequest(id);

/** A responder and a transport, closed after `fn`. */
async function withPair<T>(ropts: NbnsResponderOptions, topts: UdpTransportOptions, fn: (r: NbnsResponder, t: UdpTransport) => Promise<T>): Promise<T> {
  const r = await NbnsResponder.start(ropts);
  const t = new UdpTransport(topts);
  try {
    return await fn(r, t);
  } finally {
    await t.close();
    await r.close();
  }
}

/** A free UDP port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

describe('udp: RttEstimator', () => {
  it('starts at the initial timeout, clamped to its bounds', () => {
    assert.equal(new RttEstimator(1000, 200, 3000).rto, 1000);
    assert.equal(new RttEstimator(5000, 200, 3000).rto, 3000);
    assert.equal(new RttEstimator(50, 200, 3000).rto, 200);
  });
  it('follows RFC 6298: first sample SRTT=R, RTTVAR=R/2, RTO=SRTT+4·RTTVAR', () => {
    const e = new RttEstimator(1000, 1, 10000);
    e.sample(100);
    assert.equal(e.srtt, 100);
    assert.equal(e.rttvar, 50);
    assert.equal(e.rto, 300);
    e.sample(100);
    assert.equal(e.srtt, 100);
    assert.equal(e.rttvar, 37.5);
    assert.equal(e.rto, 250);
  });
  it('fast answers bring the timeout down to its minimum, slow ones up to its maximum, never beyond', () => {
    const e = new RttEstimator(1000, 200, 3000);
    for (let i = 0; i < 50; i++) e.sample(0.3);
    assert.equal(e.rto, 200);
    for (let i = 0; i < 50; i++) e.sample(60_000);
    assert.equal(e.rto, 3000);
  });
  it('doubles per retransmission within the bounds', () => {
    const e = new RttEstimator(1000, 200, 3000);
    for (let i = 0; i < 50; i++) e.sample(0.1);
    assert.deepEqual([1, 2, 3, 4, 5, 40].map((n) => e.timeoutFor(n)), [200, 400, 800, 1600, 3000, 3000]);
  });
  it('rejects bad bounds', () => {
    assert.throws(() => new RttEstimator(1, 0, 10), RangeError);
    assert.throws(() => new RttEstimator(1, 10, 5), RangeError);
  });
});

describe('udp: TokenBucket', () => {
  it('gives a burst, then `rate` tokens per second', () => {
    let now = 0;
    const b = new TokenBucket(100, 5, () => now);
    let n = 0;
    while (b.take()) n++;
    assert.equal(n, 5);
    assert.equal(b.waitMs(), 10);
    now += 1000;
    n = 0;
    while (b.take()) n++;
    assert.equal(n, 5, 'never more than the burst is stored');
    now += 35;
    n = 0;
    while (b.take()) n++;
    assert.equal(n, 3);
  });
});

describe('udp: helpers', () => {
  it('reads the ID of NBNS responses only', () => {
    const req = Buffer.from(encodeNodeStatusRequest(0x1234));
    assert.equal(nbnsResponseId(req), null);
    req[2] = req[2]! | 0x80;
    assert.equal(nbnsResponseId(req), 0x1234);
    assert.equal(nbnsResponseId(Buffer.alloc(5, 0xff)), null);
  });
  it('canonicalises addresses', () => {
    assert.equal(canonicalAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('FE80:0:0::1'), 'fe80::1');
    assert.throws(() => canonicalAddress('host.example'), TypeError);
  });
});

describe('udp: UdpTransport on loopback', () => {
  it('answers from the right address, port and ID are accepted at once', async () => {
    await withPair({}, { timeoutMs: 10_000 }, async (r, t) => {
      const o = await t.request({ address: '127.0.0.1', port: r.port, build });
      assert.equal(o.status, 'ok');
      if (o.status !== 'ok') return;
      assert.equal(o.attempts, 1);
      assert.equal(o.from.address, '127.0.0.1');
      assert.equal(o.from.port, r.port);
      assert.equal(o.transactionId, r.transactionIds[0]);
      assert.ok(o.rttMs >= 0 && o.rttMs < 10_000);
      assert.equal(t.stats.matched, 1);
    });
  });

  it('ignores a wrong ID, a non-response, a wrong source address and a wrong source port', async () => {
    await withPair(
      { decoys: ['wrong-txid', 'not-response', 'wrong-address', 'wrong-port'], answer: false },
      { timeoutMs: 100, minTimeoutMs: 50, retries: 1 },
      async (r, t) => {
        const o = await t.request({ address: '127.0.0.1', port: r.port, build });
        assert.equal(o.status, 'timeout');
        assert.equal(o.attempts, 2);
        assert.equal(r.total, 2);
        assert.equal(t.stats.matched, 0);
        assert.equal(t.stats.ignoredUnknownId, 2);
        assert.equal(t.stats.ignoredNotResponse, 2);
        assert.equal(t.stats.ignoredWrongSource, 4);
        assert.equal(t.stats.timeouts, 1);
      },
    );
  });

  it('still takes the real answer after the decoys', async () => {
    await withPair({ decoys: ['wrong-address', 'wrong-port', 'wrong-txid'] }, { timeoutMs: 10_000 }, async (r, t) => {
      const o = await t.request({ address: '127.0.0.1', port: r.port, build });
      assert.equal(o.status, 'ok');
      if (o.status === 'ok') assert.equal(o.from.port, r.port);
      assert.equal(t.stats.ignoredWrongSource, 2);
      assert.equal(t.stats.ignoredUnknownId, 1);
    });
  });

  it('retransmits after drops, with a fresh ID per attempt', async () => {
    await withPair({ dropFirst: 2 }, { timeoutMs: 100, minTimeoutMs: 20, retries: 2 }, async (r, t) => {
      const o = await t.request({ address: '127.0.0.1', port: r.port, build });
      assert.equal(o.status, 'ok');
      assert.equal(o.attempts, 3);
      assert.equal(t.stats.retransmits, 2);
      assert.equal(r.total, 3);
      assert.equal(new Set(r.transactionIds).size, 3);
      if (o.status === 'ok') assert.equal(o.transactionId, r.transactionIds[2]);
    });
  });

  it('gives up after 1 + retries attempts', async () => {
    await withPair({ dropFirst: 10 }, { timeoutMs: 60, minTimeoutMs: 20, retries: 3 }, async (r, t) => {
      const o = await t.request({ address: '127.0.0.1', port: r.port, build });
      assert.equal(o.status, 'timeout');
      assert.equal(o.attempts, 4);
      assert.equal(r.total, 4);
    });
  });

  it('adapts its timeout to measured RTTs, within its bounds', async () => {
    await withPair({}, { timeoutMs: 5000, minTimeoutMs: 150, retries: 0 }, async (r, t) => {
      assert.equal(t.rtt.rto, 5000);
      for (let i = 0; i < 20; i++) assert.equal((await t.request({ address: '127.0.0.1', port: r.port, build })).status, 'ok');
      assert.equal(t.rtt.samples, 20);
      assert.equal(t.rtt.rto, 150, 'loopback RTTs take it to the lower bound');
    });
    await withPair({ delayMs: 400 }, { timeoutMs: 1000, minTimeoutMs: 50, retries: 0 }, async (r, t) => {
      for (let i = 0; i < 3; i++) assert.equal((await t.request({ address: '127.0.0.1', port: r.port, build })).status, 'ok');
      assert.ok(t.rtt.rto > 400 && t.rtt.rto <= 1000, `rto ${t.rtt.rto}`);
    });
  });

  it('honours the global packet rate', async () => {
    const addresses = Array.from({ length: 30 }, (_, i) => `127.77.${200}.${i + 1}`);
    await withPair({ addresses }, { timeoutMs: 10_000, rate: 50 }, async (r, t) => {
      const started = performance.now();
      const all = Promise.all(addresses.map((address) => t.request({ address, port: r.port, build })));
      await new Promise((res) => setTimeout(res, 300));
      // 50/s with a burst of 1: at most ~16 packets in 300 ms; sends are only ever later than planned
      const early = r.arrivals.filter((a) => a - started <= 300).length;
      assert.ok(early <= 18, `${early} packets in the first 300 ms`);
      assert.ok(early >= 1);
      const res = await all;
      assert.ok(res.every((o) => o.status === 'ok'));
      assert.equal(r.total, 30);
    });
  });

  it('keeps at most maxOutstanding queries in flight; IDs are never shared by outstanding queries', async () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `127.77.201.${i + 1}`);
    await withPair({ addresses, delayMs: 30 }, { timeoutMs: 10_000, rate: Infinity, maxOutstanding: 5 }, async (r, t) => {
      const p = Promise.all(addresses.map((address) => t.request({ address, port: r.port, build })));
      assert.equal(t.outstanding, 5);
      assert.equal(t.queued, 35);
      const res = await p;
      assert.ok(res.every((o) => o.status === 'ok'));
      assert.ok(r.maxInFlight <= 5 && r.maxInFlight >= 1, `max in flight ${r.maxInFlight}`);
      assert.equal(t.outstanding, 0);
    });
    await withPair({ answer: false }, { timeoutMs: 10_000, rate: Infinity }, async (r, t) => {
      const all = Promise.all(Array.from({ length: 300 }, () => t.request({ address: '127.0.0.1', port: r.port, build })));
      while (r.total < 300) await new Promise((res) => setTimeout(res, 10));
      assert.equal(t.outstanding, 300);
      assert.equal(new Set(r.transactionIds).size, 300, '300 queries in flight, 300 distinct IDs');
      await t.close();
      assert.ok((await all).every((o) => o.status === 'aborted'));
    });
  });

  it('aborts a query by its signal, and every query on close', async () => {
    await withPair({ answer: false }, { timeoutMs: 10_000 }, async (r, t) => {
      const ac = new AbortController();
      const q = t.request({ address: '127.0.0.1', port: r.port, build, signal: ac.signal });
      const other = t.request({ address: '127.0.0.1', port: r.port, build });
      setTimeout(() => ac.abort(), 20);
      const o = await q;
      assert.equal(o.status, 'aborted');
      assert.equal(t.outstanding, 1);
      await t.close();
      assert.equal((await other).status, 'aborted');
      assert.equal((await t.request({ address: '127.0.0.1', port: r.port, build })).status, 'aborted');
    });
    const ac = new AbortController();
    ac.abort();
    const t = new UdpTransport({});
    assert.equal((await t.request({ address: '127.0.0.1', port: 9, build, signal: ac.signal })).status, 'aborted');
    assert.equal(t.stats.sent, 0);
    await t.close();
  });

  it('aborts every query through the transport signal', async () => {
    const ac = new AbortController();
    await withPair({ answer: false }, { timeoutMs: 10_000, signal: ac.signal }, async (r, t) => {
      const q = Promise.all([1, 2, 3].map(() => t.request({ address: '127.0.0.1', port: r.port, build })));
      setTimeout(() => ac.abort(), 20);
      assert.deepEqual((await q).map((o) => o.status), ['aborted', 'aborted', 'aborted']);
    });
  });

  it('serves 200 loopback targets over one socket, each answer matched to its own address', async () => {
    const addresses = Array.from({ length: 200 }, (_, i) => `127.77.${Math.floor(i / 100)}.${(i % 100) + 1}`);
    await withPair(
      { addresses, tableFor: (a) => ({ names: [{ name: `H${a.split('.').slice(2).join('-')}`, suffix: 0, flags: 0x0400 }], unitId: null, statistics: null }) },
      { timeoutMs: 2000, rate: Infinity },
      async (r, t) => {
        const res = await Promise.all(addresses.map((address) => t.request({ address, port: r.port, build })));
        res.forEach((o, i) => {
          assert.equal(o.status, 'ok');
          if (o.status === 'ok') {
            assert.equal(o.from.address, addresses[i]);
            assert.ok(o.data.includes(Buffer.from(`H${addresses[i]!.split('.').slice(2).join('-')}`, 'latin1')));
          }
        });
        assert.ok(addresses.every((a) => r.requests.get(a) === 1));
        assert.equal(t.stats.sent, 200);
      },
    );
  });

  it('connected mode reports ICMP port unreachable; shared mode times out', async () => {
    const port = await closedPort();
    const c = new UdpTransport({ mode: 'connected', timeoutMs: 5000 });
    const o = await c.request({ address: '127.0.0.1', port, build });
    assert.equal(o.status, 'unreachable');
    assert.equal(c.stats.unreachable, 1);
    await c.close();
    const s = new UdpTransport({ timeoutMs: 50, minTimeoutMs: 20, retries: 0 });
    assert.equal((await s.request({ address: '127.0.0.1', port, build })).status, 'timeout');
    await s.close();
  });

  it('connected mode answers too', async () => {
    await withPair({ dropFirst: 1 }, { mode: 'connected', timeoutMs: 100, minTimeoutMs: 20 }, async (r, t) => {
      const o = await t.request({ address: '127.0.0.1', port: r.port, build });
      assert.equal(o.status, 'ok');
      assert.equal(o.attempts, 2);
    });
  });

  it('throws for programmer errors only', () => {
    const t = new UdpTransport();
    assert.throws(() => t.request({ address: 'not-an-ip', port: 137, build }), TypeError);
    assert.throws(() => t.request({ address: '127.0.0.1', port: 0, build }), RangeError);
    assert.throws(() => new UdpTransport({ rate: 0 }), RangeError);
    assert.throws(() => new UdpTransport({ retries: -1 }), RangeError);
    assert.throws(() => new UdpTransport({ maxOutstanding: 40000 }), RangeError);
    void t.close();
  });
});

describe('udp: sweeps (window, late answers, retransmission budget, hybrid sockets)', () => {
  it('an answer after the last attempt timed out still counts for lateMs, outside the window', async () => {
    await withPair({ delayMs: 150 }, { timeoutMs: 40, minTimeoutMs: 20, retries: 0, lateMs: 400, maxOutstanding: 1 }, async (r, t) => {
      const o = await t.request({ address: '127.0.0.1', port: r.port, build });
      assert.equal(o.status, 'ok');
      assert.equal(o.attempts, 1);
      assert.equal(t.stats.lateMatched, 1);
      assert.equal(t.stats.timeouts, 0);
    });
    await withPair({ delayMs: 150 }, { timeoutMs: 40, minTimeoutMs: 20, retries: 0, lateMs: 0 }, async (r, t) => {
      assert.equal((await t.request({ address: '127.0.0.1', port: r.port, build })).status, 'timeout');
    });
    // a query that only listens no longer holds a place: the next one goes out at once
    await withPair({ answer: false }, { timeoutMs: 30, minTimeoutMs: 20, retries: 0, lateMs: 5000, maxOutstanding: 1 }, async (r, t) => {
      const a = t.request({ address: '127.0.0.1', port: r.port, build });
      const b = t.request({ address: '127.0.0.1', port: r.port, build });
      while (r.total < 2) await new Promise((res) => setTimeout(res, 10));
      assert.equal(t.outstanding, 2);
      await t.close();
      assert.deepEqual([(await a).status, (await b).status], ['aborted', 'aborted']);
    });
  });

  it('after 32 answers to first attempts and no loss, a silent target gets one retransmission; loss restores the budget', async () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `127.77.220.${i + 1}`);
    const resp = await NbnsResponder.start({ addresses });
    const dead = await NbnsResponder.start({ addresses: ['127.77.221.1'], port: resp.port, answer: false });
    const t = new UdpTransport({ timeoutMs: 200, minTimeoutMs: 20, retries: 3, lateMs: 0, rate: Infinity });
    try {
      const small = await t.request({ address: '127.77.221.1', port: resp.port, build });
      assert.equal(small.attempts, 4, 'no evidence yet: the full budget');
      assert.ok((await Promise.all(addresses.map((address) => t.request({ address, port: resp.port, build })))).every((o) => o.status === 'ok' && o.attempts === 1));
      assert.equal(t.allowedAttempts, 2);
      const silent = await t.request({ address: '127.77.221.1', port: resp.port, build });
      assert.equal(silent.status, 'timeout');
      assert.equal(silent.attempts, 2);
    } finally {
      await t.close();
      await resp.close();
      await dead.close();
    }
    await withPair({ addresses, dropFirst: 1 }, { timeoutMs: 200, minTimeoutMs: 20, retries: 3, rate: Infinity }, async (r, t2) => {
      const res = await Promise.all(addresses.map((address) => t2.request({ address, port: r.port, build })));
      assert.ok(res.every((o) => o.status === 'ok' && o.attempts === 2));
      assert.equal(t2.allowedAttempts, 4, 'answers to retransmissions: the full budget');
    });
  });

  it('loss-probe mode: after 256 clean answers only one silent target in 8 is retransmitted; the first loss sign retransmits the others', async () => {
    const addresses = Array.from({ length: 300 }, (_, i) => `127.77.${224 + Math.floor(i / 200)}.${(i % 200) + 1}`);
    const silentAddrs = Array.from({ length: 40 }, (_, i) => `127.77.226.${i + 1}`);
    const lossyAddrs = Array.from({ length: 16 }, (_, i) => `127.77.227.${i + 1}`);
    const resp = await NbnsResponder.start({ addresses });
    const silent = await NbnsResponder.start({ addresses: silentAddrs, port: resp.port, answer: false });
    const lossy = await NbnsResponder.start({ addresses: lossyAddrs, port: resp.port, dropFirst: 1 });
    // timeouts generous enough that the clean phase stays clean on a loaded machine
    const t = new UdpTransport({ timeoutMs: 1000, minTimeoutMs: 400, retries: 2, lateMs: 1200, rate: Infinity, lossProbes: true });
    try {
      assert.equal(t.sampling, false);
      assert.ok((await Promise.all(addresses.map((address) => t.request({ address, port: resp.port, build })))).every((o) => o.status === 'ok' && o.attempts === 1));
      assert.equal(t.sampling, true);
      assert.equal(t.allowedAttempts, 2);
      const quiet = await Promise.all(silentAddrs.map((address) => t.request({ address, port: resp.port, build })));
      assert.ok(quiet.every((o) => o.status === 'timeout'));
      assert.equal(quiet.filter((o) => o.attempts === 2).length, 5, 'one loss probe in 8');
      assert.equal(quiet.filter((o) => o.attempts === 1).length, 35);
      assert.equal(t.stats.retransmitsSkipped, 35);
      assert.equal(silent.total, 45);
      // answers lost on the way: the probes among them are answered, which resumes the rest
      const res = await Promise.all(lossyAddrs.map((address) => t.request({ address, port: resp.port, build })));
      assert.ok(res.every((o) => o.status === 'ok' && o.attempts === 2), JSON.stringify(res.map((o) => [o.status, o.attempts])));
      assert.equal(t.sampling, false);
      assert.ok(t.stats.resumed >= 1);
      assert.equal(t.allowedAttempts, 3, 'a loss sign restores the full budget');
    } finally {
      await t.close();
      await Promise.all([resp.close(), silent.close(), lossy.close()]);
    }
  });

  it('auto: a connected socket while few queries are in flight (ICMP seen), shared sockets beyond', async () => {
    const port = await closedPort();
    const t = new UdpTransport({ mode: 'auto', connectedLimit: 2, timeoutMs: 100, minTimeoutMs: 20, retries: 0, lateMs: 0 });
    try {
      const res = await Promise.all([1, 2, 3, 4, 5].map(() => t.request({ address: '127.0.0.1', port, build })));
      assert.equal(t.stats.connected, 2, 'queries that started with at most 2 in flight, themselves included');
      assert.deepEqual(res.map((o) => o.status).sort(), ['timeout', 'timeout', 'timeout', 'unreachable', 'unreachable']);
    } finally {
      await t.close();
    }
  });

  it('IDs stay unique over every shared socket while they are not crowded', async () => {
    await withPair({ answer: false }, { timeoutMs: 10_000, rate: Infinity, sockets: 8, maxOutstanding: 4096 }, async (r, t) => {
      const all = Promise.all(Array.from({ length: 2000 }, () => t.request({ address: '127.0.0.1', port: r.port, build })));
      while (r.total < 2000) await new Promise((res) => setTimeout(res, 10));
      assert.equal(new Set(r.transactionIds).size, 2000);
      await t.close();
      await all;
    });
  });
});
