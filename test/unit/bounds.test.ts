/**
 * Bounds (issue 8), measured on loopback responders that count what reaches them: the host
 * concurrency and the UDP rate cap hold over 10,000 targets; a scan of 1,000 hosts (good, hostile
 * and closed ones) leaves no file descriptor behind; the heap stays flat over a long target stream.
 *
 * Many targets, few sockets: the targets repeat one loopback address (scan() takes Target
 * objects, it does not deduplicate), so one responder socket sees every request.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scan } from '../../src/scan/scan.js';
import type { Target } from '../../src/scan/targets.js';
import { HostileSmbServer } from '../support/hostile-tcp.js';
import { NbnsResponder } from '../support/nbns-responder.js';
import { SmbResponder } from '../support/smb-responder.js';
import { TCP_DEFAULTS } from '../../src/transport/tcp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function* repeat(addresses: readonly string[], n: number): Generator<Target> {
  for (let i = 0; i < n; i++) {
    const address = addresses[i % addresses.length]!;
    yield { host: `t${i}`, address, family: 4 };
  }
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('bounds: concurrency, rate, descriptors, memory', function () {
  this.timeout(120_000);

  it('NBSTAT over 10,000 targets: at most --concurrency queries in flight, the rate cap holds, every answer matched', async () => {
    const CONCURRENCY = 64;
    const RATE = 5000;
    // the responder holds each request 20 ms: in flight at the responder = queries in flight.
    // No retransmissions: the adaptive timeout (floor 50 ms) may retransmit a held request, and
    // the responder would count that query twice; a late answer still counts (lateMs)
    const nbns = await NbnsResponder.start({ delayMs: 20 });
    try {
      let n = 0;
      let ok = 0;
      for await (const r of scan(repeat(['127.0.0.1'], 10_000), { mode: 'nbstat', nbstatPort: nbns.port, timeoutMs: 3000, retries: 0, rate: RATE, concurrency: CONCURRENCY })) {
        n++;
        if (r.nbstat?.status === 'ok') ok++;
      }
      assert.equal(n, 10_000);
      assert.equal(ok, 10_000);
      assert.ok(nbns.maxInFlight <= CONCURRENCY, `max in flight ${nbns.maxInFlight}`);
      assert.ok(nbns.maxInFlight >= 8, `the scan did run in parallel (${nbns.maxInFlight})`);
      // packets in any 1-second window: the cap, plus a token-bucket burst allowance
      const t = nbns.arrivals;
      let worst = 0;
      for (let i = 0, j = 0; i < t.length; i++) {
        while (t[i]! - t[j]! > 1000) j++;
        worst = Math.max(worst, i - j + 1);
      }
      // (arrival times are taken in this process, whose pauses bunch deliveries: a margin)
      assert.ok(worst <= RATE * 1.5, `${worst} packets in one second, cap ${RATE}`);
      const average = ((t.length - 1) * 1000) / (t[t.length - 1]! - t[0]!);
      assert.ok(average <= RATE * 1.1, `average ${average.toFixed(0)} packets/s, cap ${RATE}`);
    } finally {
      await nbns.close();
    }
  });

  it('SMB over 1,000 targets: connections open at once stay within maxConnections per host in flight (--concurrency hosts)', async () => {
    const CONCURRENCY = 32;
    const inner = { dialects: [0x0311], smb1: 'no-dialect' as const, delayMs: 25 };
    const srv = await HostileSmbServer.start({ address: '127.0.0.1', mode: 'pass', inner });
    try {
      let n = 0;
      for await (const r of scan(repeat(['127.0.0.1'], 1000), { mode: 'smb', ports: [{ port: srv.directPort, transport: 'direct' }], ntlm: false, timeoutMs: 5000, concurrency: CONCURRENCY })) {
        n++;
        assert.deepEqual(r.smb?.dialects, ['3.1.1'], JSON.stringify(r.errors));
      }
      assert.equal(n, 1000);
      // per host: the all-dialect NEGOTIATE and the SMB1 probe side by side, then one connection per
      // lower dialect (counted at the server, which sees a close a moment after the client made it: a little slack)
      assert.ok(srv.maxOpen <= TCP_DEFAULTS.maxConnections * CONCURRENCY + 8, `max open ${srv.maxOpen}`);
      assert.ok(srv.maxOpen >= 8, `the scan did run in parallel (${srv.maxOpen})`);
    } finally {
      await srv.close();
    }
  });

  it('no file descriptor leak: 1,000 hosts (good, resetting, closed) leave the fd count where it was', async () => {
    const good = await SmbResponder.start({ smb1: 'enabled' });
    const nbns = await NbnsResponder.start({});
    const bad = await HostileSmbServer.start({ address: '127.0.0.2', directPort: good.directPort, nbssPort: good.nbssPort, mode: 'reset-mid-message' });
    try {
      const before = openFds();
      let n = 0;
      for await (const r of scan(repeat(['127.0.0.1', '127.0.0.2', '127.0.0.3'], 1000), {
        mode: 'scan',
        ports: [
          { port: good.directPort, transport: 'direct' },
          { port: good.nbssPort, transport: 'nbss' },
        ],
        nbstatPort: nbns.port,
        // the bad hosts reset or refuse at once; a long idle timeout only spares the good host a
        // spurious timeout (smb1 unknown) on a heavily loaded machine
        timeoutMs: 5000,
        retries: 0,
        nbstatWaitMs: 200,
        hostTimeoutMs: 20_000,
        concurrency: 64,
      })) {
        n++;
        if (r.address === '127.0.0.1') assert.equal(r.smb?.smb1, 'enabled');
      }
      assert.equal(n, 1000);
      // the responders' ends close on FIN/RST a moment later: allow them to
      let after = openFds();
      for (let i = 0; i < 100 && after > before; i++) {
        await new Promise((r) => setTimeout(r, 30));
        after = openFds();
      }
      assert.ok(after <= before, `fds before ${before}, after ${after}`);
    } finally {
      await Promise.all([good.close(), nbns.close(), bad.close()]);
    }
  });

  it('memory stays flat over a long target stream (heap after 2,000 hosts vs after 20,000)', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/support/hostile-heap.ts'), '2000', '20000'], { cwd: ROOT, encoding: 'utf8', timeout: 110_000, env: { ...process.env, DEBUG: '' } }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const m = JSON.parse(out) as { hosts: number; ok: number; atFirst: number; atTotal: number };
    assert.equal(m.hosts, 20_000);
    assert.equal(m.ok, 20_000);
    const growth = m.atTotal - m.atFirst;
    // ten times the hosts; the responder's own per-request log in that process is ~1 MB of it
    assert.ok(growth < 8 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MiB (${m.atFirst} → ${m.atTotal})`);
  });
});
