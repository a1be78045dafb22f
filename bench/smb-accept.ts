/**
 * How many connections per second the bench's smbd really serves: `tsx bench/smb-accept.ts
 * [total] [c1,c2,...] [bare]` starts the same smbd as the SMB section in its own namespace and, for each
 * client concurrency, opens `total` connections (spread over the bench's 127.42.1.x addresses),
 * each carrying one SMB2 NEGOTIATE up to its answer. A connect that takes ≥ 900 ms lost its SYN
 * (Linux retransmits after 1 s): the listen backlog was full. With `bare` as third argument the
 * connections carry nothing (connect, close). Each line also gives smbd's CPU per connection
 * (its reaped children included), which does not depend on the machine's load as wall time does.
 *
 * `client` mode is what runs inside the namespace.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { buildNegotiateRequest } from '../src/codec/smb2/negotiate.js';
import { Smb2SecurityMode } from '../src/codec/smb2/constants.js';

async function client(total: number, concurrency: number, nHosts: number, bare: boolean): Promise<void> {
  const req = buildNegotiateRequest({ dialects: [0x0202, 0x0210, 0x0300, 0x0302], securityMode: Smb2SecurityMode.SIGNING_ENABLED, capabilities: 0, clientGuid: randomBytes(16), header: { messageId: 0n, credits: 1 } });
  const frame = Buffer.alloc(4 + req.length);
  frame.writeUInt32BE(req.length, 0);
  frame.set(req, 4);
  let next = 0;
  let ok = 0;
  let failed = 0;
  let slowConnects = 0;
  let worstMs = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const host = `127.42.${1 + ((i % nHosts) >> 7)}.${1 + ((i % nHosts) & 127)}`;
      const s = net.connect({ host, port: 445 });
      const timer = setTimeout(() => s.destroy(new Error('timeout')), 10_000);
      s.once('connect', () => {
        const c = performance.now() - t0;
        if (c >= 900) slowConnects++;
        if (bare) {
          ok++;
          s.destroy();
        } else s.write(frame);
      });
      s.once('data', () => {
        ok++;
        worstMs = Math.max(worstMs, performance.now() - t0);
        s.destroy();
      });
      s.once('error', () => failed++);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(next++);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ concurrency, total, ok, failed, slowConnects, wallS: +s.toFixed(3), perS: Math.round(ok / s), worstMs: Math.round(worstMs) }) + '\n');
}

if (process.argv[2] === 'client') {
  await client(Number(process.argv[3]), Number(process.argv[4]), 256, process.argv[5] === 'bare');
} else {
  const { createNamespace, inNs, loadAvg, log, tempDir, cleanupAll, ROOT } = await import('./lib.js');
  const { smbConf, startSmbd, stopDaemon } = await import('./smb.js');
  const { execFileSync } = await import('node:child_process');
  const total = Number(process.argv[2] ?? 400);
  const levels = (process.argv[3] ?? '1,4,16,64,128').split(',').map(Number);
  const mode = process.argv[4] ?? 'negotiate';
  const { readFileSync } = await import('node:fs');
  // the smbd's CPU, its reaped children included (clock ticks → s)
  const cpu = (pid: number): number => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  };
  try {
    createNamespace();
    const smbd = await startSmbd(smbConf(tempDir()));
    log(`load ${loadAvg()}`);
    for (const c of levels) {
      await new Promise((r) => setTimeout(r, 1500));
      const c0 = cpu(smbd.pid!);
      const argv = inNs(['node', '--import', 'tsx', new URL(import.meta.url).pathname, 'client', String(total), String(c), mode]);
      const out = JSON.parse(execFileSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8' })) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 1500));
      out.mode = mode;
      out.smbdCpuMsPerConnection = Math.round(((cpu(smbd.pid!) - c0) * 1000) / total);
      process.stdout.write(JSON.stringify(out) + '\n');
    }
    log(`load ${loadAvg()}`);
    await stopDaemon(smbd);
  } finally {
    cleanupAll();
  }
}
