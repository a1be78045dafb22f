/** Orchestration (src/scan/scan.ts) with fake probes injected: no sockets. */
import { strict as assert } from 'node:assert';
import type { SmbProbeOptions } from '../../src/probe/smb.js';
import type { HostResult, NbstatResult, SmbPortResult, SmbResult } from '../../src/scan/result.js';
import { DEFAULT_CONCURRENCY, DEFAULT_NBSTAT_CONCURRENCY, fileServerName, mergeSmbResults, scan, type ScanDeps } from '../../src/scan/scan.js';
import type { Target } from '../../src/scan/targets.js';
import { sampleHost } from './findings.test.js';
import { NbstatScanner } from '../../src/probe/nbstat.js';
import { NbnsResponder } from '../support/nbns-responder.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const targets = (n: number): Target[] => Array.from({ length: n }, (_, i) => ({ host: `192.0.2.${i + 1}`, address: `192.0.2.${i + 1}`, family: 4 as const }));

function smbFor(ports: SmbProbeOptions['ports']): SmbResult {
  const base = sampleHost().smb!;
  const sel: Record<string, SmbPortResult> = {};
  for (const p of ports ?? []) sel[String(p.port)] = { ...base.ports[String(p.port)]!, port: p.port, transport: p.transport };
  return { ...base, ports: sel, smb1Evidence: base.smb1Evidence.filter((e) => sel[String(e.port)]) };
}

interface Calls {
  smb: Array<{ address: string; opts: SmbProbeOptions; at: number }>;
  nbstat: Array<{ address: string; at: number }>;
  maxInFlight: number;
}

function fakeDeps(o: { nbstatDelay?: number; smbDelay?: number; nbstatFails?: Set<string>; smbThrows?: Set<string> } = {}): { deps: ScanDeps; calls: Calls; closed: () => boolean } {
  const calls: Calls = { smb: [], nbstat: [], maxInFlight: 0 };
  let inFlight = 0;
  let closed = false;
  const t0 = Date.now();
  const deps: ScanDeps = {
    createNbstatScanner: () => ({
      async query(address, signal) {
        calls.nbstat.push({ address, at: Date.now() - t0 });
        await sleep(o.nbstatDelay ?? 5);
        if (signal?.aborted) return { ...sampleHost().nbstat!, status: 'aborted', names: [] };
        if (o.nbstatFails?.has(address)) return { ...sampleHost().nbstat!, status: 'timeout', names: [], computerName: null };
        return sampleHost().nbstat!;
      },
      async close() {
        closed = true;
      },
    }),
    async probeSmb(address, opts = {}) {
      inFlight++;
      calls.maxInFlight = Math.max(calls.maxInFlight, inFlight);
      calls.smb.push({ address, opts, at: Date.now() - t0 });
      try {
        await sleep(o.smbDelay ?? 5);
        if (o.smbThrows?.has(address)) throw new Error('boom');
        return { smb: smbFor(opts.ports), ntlm: opts.ntlm === false ? null : sampleHost().ntlm, errors: [] };
      } finally {
        inFlight--;
      }
    },
  };
  return { deps, calls, closed: () => closed };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('scan orchestration', () => {
  it('one result per host, findings computed, the shared NBSTAT scanner closed', async () => {
    const { deps, closed } = fakeDeps();
    const rs = await all(scan(targets(5), { mode: 'scan', deps }));
    assert.deepEqual(rs.map((r) => r.address).sort(), targets(5).map((t) => t.address).sort());
    for (const r of rs) {
      assert.ok(r.findings.some((f) => f.id === 'smb1-enabled'));
      assert.equal(r.smb!.dialects.length, 6);
      assert.deepEqual(Object.keys(r.smb!.ports).sort(), ['139', '445']);
    }
    assert.ok(closed());
  });

  it('SMB on 445 is never held back by NetBIOS; 139 gets the <20> name', async () => {
    const { deps, calls } = fakeDeps({ nbstatDelay: 300 });
    const [r] = await all(scan(targets(1), { mode: 'scan', deps }));
    const direct = calls.smb.find((c) => c.opts.ports?.[0]?.transport === 'direct')!;
    const nbss = calls.smb.find((c) => c.opts.ports?.[0]?.transport === 'nbss')!;
    assert.ok(direct.at < 100, `445 started at ${direct.at} ms`);
    assert.ok(nbss.at >= 250, `139 waited for the name: ${nbss.at} ms`);
    assert.equal(nbss.opts.netbiosName, 'SMBP-NT1');
    assert.equal(direct.opts.netbiosName, null);
    assert.equal(r!.nbstat!.status, 'ok');
  });

  it('the wait for the name is bounded: 139 goes on without it', async () => {
    const { deps, calls } = fakeDeps({ nbstatDelay: 2000 });
    const t = Date.now();
    await all(scan(targets(1), { mode: 'scan', deps, nbstatWaitMs: 100 }));
    const nbss = calls.smb.find((c) => c.opts.ports?.[0]?.transport === 'nbss')!;
    assert.ok(nbss.at < 500, `139 started at ${nbss.at} ms`);
    assert.equal(nbss.opts.netbiosName, null);
    assert.ok(Date.now() - t >= 1900, 'the host still waits for its NBSTAT result');
  });

  it('modes: nbstat sends no SMB; smb sends no NBSTAT and one SMB call; --no-ntlm passes through', async () => {
    let f = fakeDeps();
    const n = await all(scan(targets(2), { mode: 'nbstat', deps: f.deps }));
    assert.equal(f.calls.smb.length, 0);
    assert.equal(n[0]!.smb, null);
    f = fakeDeps();
    const s = await all(scan(targets(2), { mode: 'smb', deps: f.deps, ntlm: false }));
    assert.equal(f.calls.nbstat.length, 0);
    assert.equal(f.calls.smb.length, 2);
    assert.ok(f.calls.smb.every((c) => c.opts.ntlm === false && c.opts.ports?.length === 2));
    assert.equal(s[0]!.nbstat, null);
    assert.equal(s[0]!.ntlm, null);
  });

  it('concurrency is bounded and results stream in completion order', async () => {
    const { deps, calls } = fakeDeps({ smbDelay: 20 });
    const rs = await all(scan(targets(40), { mode: 'smb', deps, concurrency: 4 }));
    assert.equal(rs.length, 40);
    assert.ok(calls.maxInFlight <= 4 && calls.maxInFlight >= 2, `max in flight ${calls.maxInFlight}`);
  });

  it('a failing host is reported with its error and the scan goes on', async () => {
    const { deps } = fakeDeps({ smbThrows: new Set(['192.0.2.2']) });
    const rs = await all(scan(targets(3), { mode: 'smb', deps }));
    assert.equal(rs.length, 3);
    const bad = rs.find((r) => r.address === '192.0.2.2')!;
    assert.equal(bad.smb, null);
    assert.equal(bad.errors[0]!.step, 'smb');
  });

  it('abort: no new host starts; finished hosts were emitted', async () => {
    const { deps, calls } = fakeDeps({ smbDelay: 30 });
    const ac = new AbortController();
    const got: string[] = [];
    for await (const r of scan(targets(100), { mode: 'smb', deps, concurrency: 2, signal: ac.signal })) {
      got.push(r.address);
      if (got.length === 3) ac.abort();
    }
    assert.ok(got.length >= 3 && got.length < 10, `${got.length} emitted`);
    assert.ok(calls.smb.length < 10, `${calls.smb.length} started`);
  });

  it('host deadline: a hung probe ends with a host timeout error', async () => {
    const deps: ScanDeps = {
      createNbstatScanner: () => ({ query: async () => sampleHost().nbstat!, close: async () => {} }),
      probeSmb: (_a, opts) =>
        new Promise((resolve) => opts?.signal?.addEventListener('abort', () => resolve({ smb: smbFor([]), ntlm: null, errors: [{ step: 'connect', status: 'aborted', message: 'aborted' }] }))),
    };
    const [r] = await all(scan(targets(1), { mode: 'smb', deps, hostTimeoutMs: 100 }));
    assert.ok(r!.errors.some((e) => e.step === 'host' && e.status === 'timeout'));
  });

  it('mergeSmbResults: union of dialects in order; weakest signing; enabled wins', () => {
    const a = smbFor([{ port: 445, transport: 'direct' }]);
    const b = smbFor([{ port: 139, transport: 'nbss' }]);
    a.ports['445']!.smb1 = 'disabled';
    a.dialects = ['2.1', '3.1.1'];
    b.dialects = ['NT LM 0.12', '2.0.2'];
    a.signing = { enabled: true, required: true };
    b.signing = { enabled: true, required: false };
    const m = mergeSmbResults([a, b])!;
    assert.deepEqual(m.dialects, ['NT LM 0.12', '2.0.2', '2.1', '3.1.1']);
    assert.equal(m.highestDialect, '3.1.1');
    assert.equal(m.smb1, 'enabled');
    assert.deepEqual(m.signing, { enabled: true, required: false });
    b.ports['139']!.smb1 = 'unknown';
    assert.equal(mergeSmbResults([a, b])!.smb1, 'unknown');
    b.ports['139']!.smb1 = 'disabled';
    assert.equal(mergeSmbResults([a, b])!.smb1, 'disabled');
    assert.equal(mergeSmbResults([]), null);
  });

  it('fileServerName prefers the <20> name', () => {
    const n: NbstatResult = sampleHost().nbstat!;
    assert.equal(fileServerName(n), 'SMBP-NT1');
    assert.equal(fileServerName({ ...n, names: n.names.filter((x) => x.suffix !== 0x20) }), 'SMBP-NT1');
    assert.equal(fileServerName({ ...n, status: 'timeout' }), null);
  });
});

describe('scan: nbstat sweeps', () => {
  it('nbstat mode hands thousands of hosts to the scanner at once; smb keeps its own default', async () => {
    let inFlight = 0;
    let max = 0;
    const deps: ScanDeps = {
      createNbstatScanner: () => ({
        async query() {
          inFlight++;
          max = Math.max(max, inFlight);
          await sleep(30);
          inFlight--;
          return sampleHost().nbstat!;
        },
        async close() {},
      }),
      probeSmb: async () => {
        throw new Error('no SMB in nbstat mode');
      },
    };
    const rs = await all(scan(targets(3000), { mode: 'nbstat', deps }));
    assert.equal(rs.length, 3000);
    assert.ok(DEFAULT_NBSTAT_CONCURRENCY > DEFAULT_CONCURRENCY);
    assert.ok(max > DEFAULT_CONCURRENCY * 4, `hosts in flight ${max}`);
  });

  it('nbstat mode: the callback path gives what the per-host promise path gave, host deadline included', async () => {
    const answering = ['127.77.230.1', '127.77.230.2', '127.77.230.3'];
    const resp = await NbnsResponder.start({ addresses: answering });
    const slow = await NbnsResponder.start({ addresses: ['127.77.231.1'], port: resp.port, delayMs: 2500 });
    const quiet = await NbnsResponder.start({ addresses: ['127.77.232.1'], port: resp.port, answer: false });
    const list = [...answering, '127.77.231.1', '127.77.232.1', 'not-an-address'].map((a) => ({ host: a, address: a, family: 4 as const }));
    const real = (promisesOnly: boolean): ScanDeps => ({
      createNbstatScanner: (o) => {
        const sc = new NbstatScanner(o);
        return promisesOnly ? { query: (a, sig) => sc.query(a, sig), close: () => sc.close() } : sc;
      },
      probeSmb: async () => {
        throw new Error('no SMB in nbstat mode');
      },
    });
    // what varies from run to run: times. A silent query lasts at least 50 + 100 + 200 + 300 ms
    // (four attempts: too few answers for a smaller budget) and the 250 ms grace: past the deadline
    const norm = (rs: HostResult[]) =>
      rs
        .map((r) => ({ ...r, startedAt: '', durationMs: 0, nbstat: r.nbstat && { ...r.nbstat, rttMs: r.nbstat.rttMs === null ? null : 0 } }))
        .sort((a, b) => a.address.localeCompare(b.address));
    try {
      for (const hostTimeoutMs of [undefined, 600]) {
        const o = { mode: 'nbstat' as const, nbstatPort: resp.port, timeoutMs: 300, retries: 3, ...(hostTimeoutMs ? { hostTimeoutMs } : {}) };
        const direct = norm(await all(scan(list, { ...o, deps: real(false) })));
        const promised = norm(await all(scan(list, { ...o, deps: real(true) })));
        assert.deepEqual(direct, promised);
        const slowHost = direct.find((r) => r.address === '127.77.231.1')!;
        if (hostTimeoutMs) {
          assert.equal(slowHost.nbstat?.status, 'aborted');
          assert.deepEqual(slowHost.errors, [{ step: 'host', status: 'timeout', message: 'host deadline of 600 ms reached' }]);
        } else {
          assert.equal(slowHost.nbstat?.status, 'timeout');
        }
        assert.deepEqual(direct.map((r) => r.nbstat?.status ?? r.errors[0]?.status), ['ok', 'ok', 'ok', ...(hostTimeoutMs ? ['aborted', 'aborted'] : ['timeout', 'timeout']), 'error']);
      }
    } finally {
      await Promise.all([resp.close(), slow.close(), quiet.close()]);
    }
  });

  it('no MaxListenersExceededWarning on a big sweep with a signal, in any mode', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const ac = new AbortController();
      await all(scan(targets(2000), { mode: 'nbstat', deps: fakeDeps({ nbstatDelay: 20 }).deps, signal: ac.signal }));
      await all(scan(targets(300), { mode: 'nbstat', deps: fakeDeps({ nbstatDelay: 20 }).deps, signal: ac.signal, hostTimeoutMs: 10_000 }));
      await all(scan(targets(300), { mode: 'scan', deps: fakeDeps({ nbstatDelay: 5 }).deps, signal: ac.signal, concurrency: 200 }));
      await new Promise((res) => setImmediate(res));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
  });
});
