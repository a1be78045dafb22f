/**
 * Hostile peers on loopback (issue 8): one scan() over a good host and many hostile ones, each
 * address misbehaving in its own way over UDP 137 (test/support/hostile-udp.ts) and TCP 445/139
 * (test/support/hostile-tcp.ts). Every host must end within its deadline with a typed status, the
 * good host's result must be complete, and the SMBv1 verdict must be `unknown` — never `disabled` —
 * whenever the SMB1 probe itself failed. Then terminal safety through the real CLI.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostResult, ProbeStatus } from '../../src/scan/result.js';
import { scan } from '../../src/scan/scan.js';
import type { Target } from '../../src/scan/targets.js';
import { HostileNbns, HOSTILE_NAMES, type HostileUdpMode } from '../support/hostile-udp.js';
import { HostileSmbServer, type HostileTcpMode } from '../support/hostile-tcp.js';
import { NbnsResponder } from '../support/nbns-responder.js';
import { SmbResponder, DEFAULT_AV_PAIRS } from '../support/smb-responder.js';
import type { AvPair } from '../../src/codec/ntlmssp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

const HOST_TIMEOUT_MS = 5000;
/** Generous: the deadline plus scheduling slack on a loaded CI machine. */
const DEADLINE_BOUND_MS = HOST_TIMEOUT_MS + 2500;
const STATUSES: ReadonlySet<ProbeStatus> = new Set(['ok', 'timeout', 'refused', 'reset', 'unreachable', 'protocol-error', 'aborted', 'error']);

const GOOD = '127.0.0.1';
const NOTHING = '127.0.0.20';
/** Address → (UDP misbehaviour, TCP misbehaviour). */
const CASES: ReadonlyArray<{ address: string; udp: HostileUdpMode; tcp: HostileTcpMode; inner?: Parameters<typeof HostileSmbServer.start>[0]['inner'] }> = [
  { address: '127.0.0.2', udp: 'wrong-txid', tcp: 'accept-silent' },
  { address: '127.0.0.3', udp: 'other-address', tcp: 'trickle' },
  { address: '127.0.0.4', udp: 'truncated', tcp: 'reset-mid-message' },
  { address: '127.0.0.5', udp: 'names-255', tcp: 'announce-16mib' },
  { address: '127.0.0.6', udp: 'pointer-loop', tcp: 'endless' },
  { address: '127.0.0.7', udp: 'control-names', tcp: 'garbage-contexts' },
  { address: '127.0.0.8', udp: 'short', tcp: 'absurd-offsets' },
  { address: '127.0.0.9', udp: 'flood', tcp: 'close-after-positive' },
  { address: '127.0.0.10', udp: 'silent', tcp: 'smb1-to-smb2', inner: { smb1: 'enabled' } },
];

const target = (a: string): Target => ({ host: a, address: a, family: 4 });

describe('hostile peers: one scan, a good host among hostile ones', function () {
  this.timeout(60_000);
  let good: SmbResponder;
  let nbns: NbnsResponder;
  let udp: HostileNbns;
  let tcp: HostileSmbServer[] = [];
  const results = new Map<string, HostResult>();
  let elapsed = 0;

  before(async () => {
    good = await SmbResponder.start({ smb1: 'enabled' });
    nbns = await NbnsResponder.start({});
    udp = await HostileNbns.start(Object.fromEntries(CASES.map((c) => [c.address, c.udp])), { port: nbns.port });
    tcp = await Promise.all(
      CASES.map((c) => HostileSmbServer.start({ address: c.address, directPort: good.directPort, nbssPort: good.nbssPort, mode: c.tcp, ...(c.inner ? { inner: c.inner } : {}) })),
    );
    const t0 = Date.now();
    for await (const r of scan([GOOD, ...CASES.map((c) => c.address), NOTHING].map(target), {
      mode: 'scan',
      ports: [
        { port: good.directPort, transport: 'direct' },
        { port: good.nbssPort, transport: 'nbss' },
      ],
      nbstatPort: nbns.port,
      timeoutMs: 1500,
      retries: 1,
      hostTimeoutMs: HOST_TIMEOUT_MS,
      nbstatWaitMs: 500,
      concurrency: 16,
    })) {
      results.set(r.address, r);
    }
    elapsed = Date.now() - t0;
  });
  after(async () => {
    await Promise.all([good?.close(), nbns?.close(), udp?.close(), ...tcp.map((t) => t.close())]);
  });

  const host = (a: string): HostResult => {
    const r = results.get(a);
    assert.ok(r, `no result for ${a}`);
    return r;
  };
  const portsOf = (r: HostResult) => Object.values(r.smb!.ports);
  const smbStatuses = (r: HostResult) => r.errors.filter((e) => e.step !== 'nbstat' && e.step !== 'host').map((e) => e.status);

  it('every host has a result, each within the per-host deadline, and the scan ended', () => {
    assert.equal(results.size, CASES.length + 2);
    for (const r of results.values()) {
      assert.ok(r.durationMs <= DEADLINE_BOUND_MS, `${r.address}: ${r.durationMs} ms`);
      for (const e of r.errors) assert.ok(STATUSES.has(e.status), `${r.address}: ${JSON.stringify(e)}`);
      assert.ok(r.nbstat && (STATUSES.has(r.nbstat.status as ProbeStatus) || r.nbstat.status === 'skipped'));
      for (const p of portsOf(r)) assert.ok(['open', 'closed', 'filtered', 'error'].includes(p.status));
    }
    assert.ok(elapsed <= DEADLINE_BOUND_MS, `scan took ${elapsed} ms`);
  });

  it('the good host next to them is complete: names, SMB1 enabled, every dialect, NTLM facts, no error', () => {
    const r = host(GOOD);
    assert.equal(r.nbstat!.status, 'ok');
    assert.equal(r.nbstat!.computerName, 'SMBP-NT1');
    assert.equal(r.smb!.smb1, 'enabled');
    assert.deepEqual(r.smb!.dialects, ['NT LM 0.12', '2.0.2', '2.1', '3.0', '3.0.2', '3.1.1']);
    assert.equal(r.ntlm?.netbiosComputer, 'RESPONDER');
    assert.deepEqual(r.errors, []);
    for (const p of portsOf(r)) assert.equal(p.status, 'open');
  });

  describe('UDP 137', () => {
    it('a wrong transaction ID is ignored: timeout', () => assert.equal(host('127.0.0.2').nbstat!.status, 'timeout'));
    it('the right answer from another address is ignored: timeout', () => assert.equal(host('127.0.0.3').nbstat!.status, 'timeout'));
    it('a 12-byte header claiming an answer: protocol-error TRUNCATED', () => {
      const n = host('127.0.0.8').nbstat!;
      assert.equal(n.status, 'protocol-error');
      assert.equal(n.error?.code, 'TRUNCATED');
    });
    it('a compression pointer to itself: protocol-error BAD_OFFSET, no hang', () => {
      const n = host('127.0.0.6').nbstat!;
      assert.equal(n.status, 'protocol-error');
      assert.equal(n.error?.code, 'BAD_OFFSET');
    });
    // the codec bounds NBSTAT counts by the bytes present (nothing invented, nothing allocated for
    // 255 names); an answer that yields no name at all is a protocol error, with the warnings kept
    it('255 names claimed in 10 bytes: protocol-error, no name invented, a warning says why', () => {
      const n = host('127.0.0.5').nbstat!;
      assert.equal(n.status, 'protocol-error');
      assert.equal(n.names.length, 0);
      assert.ok(n.warnings.some((w) => w.includes('255')), JSON.stringify(n.warnings));
    });
    it('an answer cut inside RDATA: protocol-error, no name invented, warnings', () => {
      const n = host('127.0.0.4').nbstat!;
      assert.equal(n.status, 'protocol-error');
      assert.equal(n.names.length, 0);
      assert.ok(n.warnings.length > 0);
    });
    it('200 garbage datagrams before the answer: the real answer still wins', () => {
      const n = host('127.0.0.9').nbstat!;
      assert.equal(n.status, 'ok');
      assert.deepEqual(n.names.map((x) => x.name), ['HOSTILE']);
    });
    it('names with control characters and ANSI escapes are kept exactly in the result', () => {
      const n = host('127.0.0.7').nbstat!;
      assert.equal(n.status, 'ok');
      assert.deepEqual(n.names.map((x) => x.name), HOSTILE_NAMES.map((x) => x.name));
    });
    it('nothing listening: unreachable', () => assert.equal(host(NOTHING).nbstat!.status, 'unreachable'));
  });

  describe('TCP 445/139', () => {
    it('accepts and never answers: timeout; SMBv1 unknown', () => {
      const r = host('127.0.0.2');
      assert.equal(r.smb!.smb1, 'unknown');
      assert.ok(smbStatuses(r).length > 0 && smbStatuses(r).every((s) => s === 'timeout'), JSON.stringify(r.errors));
    });
    it('trickles one byte per second (defeats the idle timer): the host deadline ends it with timeout; SMBv1 unknown', () => {
      const r = host('127.0.0.3');
      assert.equal(r.smb!.smb1, 'unknown');
      assert.ok(smbStatuses(r).length > 0 && smbStatuses(r).every((s) => s === 'timeout'), JSON.stringify(r.errors));
      assert.ok(r.errors.some((e) => e.message.includes('host-deadline')), JSON.stringify(r.errors));
    });
    it('resets mid-message: reset; SMBv1 unknown (a partial answer is not a refusal)', () => {
      const r = host('127.0.0.4');
      assert.equal(r.smb!.smb1, 'unknown');
      assert.ok(smbStatuses(r).includes('reset') && smbStatuses(r).every((s) => s === 'reset'), JSON.stringify(r.errors));
      for (const e of r.smb!.smb1Evidence) assert.notEqual(e.received, 'smb1-negotiate-response');
    });
    it('announces a 16 MiB message: protocol-error LIMIT before reading it; SMBv1 unknown', () => {
      const r = host('127.0.0.5');
      assert.equal(r.smb!.smb1, 'unknown');
      const errs = r.errors.filter((e) => e.step !== 'nbstat');
      assert.ok(errs.length > 0 && errs.every((e) => e.status === 'protocol-error' && e.code === 'LIMIT'), JSON.stringify(errs));
    });
    it('streams without end (keep-alive flood on 139, empty messages on 445): protocol-error; SMBv1 unknown', () => {
      const r = host('127.0.0.6');
      assert.equal(r.smb!.smb1, 'unknown');
      const errs = r.errors.filter((e) => e.step !== 'nbstat');
      assert.ok(errs.length > 0 && errs.every((e) => e.status === 'protocol-error'), JSON.stringify(errs));
      assert.ok(errs.some((e) => e.message.includes('keepalive-flood')), JSON.stringify(errs));
      for (const p of portsOf(r)) assert.equal(p.status, 'error');
    });
    it('garbage 3.1.1 negotiate contexts: protocol-error with the field; the valid SMB1 refusal still counts', () => {
      const r = host('127.0.0.7');
      const e = r.errors.find((x) => x.step === 'smb2-negotiate');
      assert.ok(e, JSON.stringify(r.errors));
      assert.equal(e.status, 'protocol-error');
      assert.ok(e.code && e.field, JSON.stringify(e));
      // the SMB1 probe itself succeeded (DialectIndex 0xFFFF): disabled rests on that evidence
      assert.equal(r.smb!.smb1, 'disabled');
      for (const ev of r.smb!.smb1Evidence) assert.equal(ev.received, 'smb1-negotiate-response');
      // only the 3.1.1 answer carries contexts: each lower dialect, offered alone, is still listed
      assert.deepEqual(r.smb!.dialects, ['2.0.2', '2.1', '3.0', '3.0.2']);
    });
    it('absurd offsets in the SMB2 NEGOTIATE response: protocol-error BAD_OFFSET', () => {
      const r = host('127.0.0.8');
      const errs = r.errors.filter((x) => x.step === 'smb2-negotiate');
      assert.ok(errs.length > 0 && errs.every((x) => x.status === 'protocol-error' && x.code === 'BAD_OFFSET'), JSON.stringify(errs));
      assert.deepEqual(r.smb!.dialects, []);
    });
    it('closes right after the NBSS positive response (and 445 closes at once): reset; SMBv1 unknown, not disabled', () => {
      const r = host('127.0.0.9');
      assert.equal(r.smb!.smb1, 'unknown');
      for (const p of portsOf(r)) {
        assert.equal(p.smb1, 'unknown');
        assert.equal(p.status, 'error');
        assert.ok(p.errors.some((e) => e.status === 'reset'), JSON.stringify(p.errors));
      }
      const nbss = r.smb!.ports[String(good.nbssPort)]!;
      assert.equal(nbss.nbss?.attempts[0]?.answer, 'POSITIVE_SESSION_RESPONSE');
    });
    it('answers SMB1 to an SMB2 NEGOTIATE: no SMB2 dialect; the SMB1 probe decides (enabled)', () => {
      const r = host('127.0.0.10');
      assert.deepEqual(r.smb!.dialects, ['NT LM 0.12']);
      assert.equal(r.smb!.smb1, 'enabled');
    });
    it('nothing listening: ports closed (refused); SMBv1 unknown', () => {
      const r = host(NOTHING);
      assert.equal(r.smb!.smb1, 'unknown');
      for (const p of portsOf(r)) assert.equal(p.status, 'closed');
    });
    it('SMBv1 is never disabled on a port whose SMB1 probe got no SMB answer', () => {
      for (const r of results.values()) {
        for (const p of portsOf(r)) {
          if (p.smb1 !== 'disabled') continue;
          const ev = p.smb1Evidence!;
          const answered = ev.received === 'smb1-negotiate-response' || ev.received === 'smb2-response';
          const refusedByClose = (ev.received === 'closed' || ev.received === 'reset') && p.dialects.length > 0;
          assert.ok(answered || refusedByClose, `${r.address}:${p.port} disabled on ${JSON.stringify(ev)}`);
        }
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Terminal safety, end to end through the CLI

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a child; asynchronous so the responders in this process keep answering. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DEBUG: '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
    });
    child.stdin!.end();
  });
}

/** C0 (but LF), DEL, C1: nothing that moves the cursor, rings, recolours or overwrites. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f\x80-\x9f]/;

describe('hostile peers: terminal safety through the CLI', function () {
  this.timeout(60_000);
  const ADDRESS = '127.0.0.30';
  const evil = (s: string) => `${s}\x1b[31m\r\x07`;
  const avPairs: AvPair[] = DEFAULT_AV_PAIRS.map((p) => (typeof p.value === 'string' ? ({ ...p, value: evil(p.value) } as AvPair) : p));
  let udp: HostileNbns;
  let srv: HostileSmbServer;

  before(async () => {
    udp = await HostileNbns.start({ [ADDRESS]: 'control-names' });
    srv = await HostileSmbServer.start({
      address: ADDRESS,
      mode: 'pass',
      inner: { smb1: 'enabled', ntlm: { avPairs, targetName: evil('TARGET') }, nativeOs: evil('Windows'), nativeLanMan: evil('LanMan'), primaryDomain: evil('DOM') },
    });
  });
  after(async () => {
    await Promise.all([udp?.close(), srv?.close()]);
  });

  const args = () => ['scan', ADDRESS, '--ports', `${srv.directPort}/direct,${srv.nbssPort}/nbss`, '--nbstat-port', String(udp.port), '--timeout', '1500', '--retries', '0', '--no-progress'];

  it('table (-v): every wire string is escaped; no raw control character reaches the terminal', async () => {
    const r = await cli([...args(), '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW_CONTROL.test(r.stdout), JSON.stringify(r.stdout));
    assert.ok(!RAW_CONTROL.test(r.stderr), JSON.stringify(r.stderr));
    // the escapes are visible, not dropped
    assert.ok(r.stdout.includes('EVIL\\x1b[2J\\x1b[H'), r.stdout);
    assert.ok(r.stdout.includes('WG\\x0d\\x0aFAKE\\x07\\x9b1m'), r.stdout);
    assert.ok(r.stdout.includes('\\x1b[31m'), r.stdout);
    // one summary line plus indented details: a CR/LF in a name forged no line
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^HOST\s+NAME/);
    assert.ok(lines[1]!.startsWith(ADDRESS));
    for (const l of lines.slice(2)) assert.ok(l.startsWith('    '), JSON.stringify(l));
  });

  it('json keeps the wire data exact: names and NTLM strings round-trip byte for byte', async () => {
    const r = await cli([...args(), '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const [h] = JSON.parse(r.stdout) as HostResult[];
    assert.ok(h);
    assert.deepEqual(h.nbstat!.names.map((n) => n.name), HOSTILE_NAMES.map((n) => n.name));
    assert.equal(h.nbstat!.computerName, HOSTILE_NAMES[0].name);
    assert.equal(h.ntlm!.netbiosComputer, evil('RESPONDER'));
    assert.equal(h.ntlm!.dnsDomain, evil('smbplab.test'));
    assert.equal(h.smb!.nativeOs, evil('Windows'));
  });

  it('ndjson and csv keep one record per line even with CR/LF in names', async () => {
    const n = await cli([...args(), '--format', 'ndjson']);
    assert.equal(n.code, 0, n.stderr);
    const lines = n.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    assert.deepEqual((JSON.parse(lines[0]!) as HostResult).nbstat!.names.map((x) => x.name), HOSTILE_NAMES.map((x) => x.name));
    const c = await cli([...args(), '--format', 'csv']);
    assert.equal(c.code, 0, c.stderr);
    // RFC 4180: the CR/LF inside a quoted field is data; header + one record
    const records = c.stdout.split(/\r\n(?=(?:[^"]*"[^"]*")*[^"]*$)/).filter((x) => x !== '');
    assert.equal(records.length, 2, JSON.stringify(c.stdout));
  });
});
