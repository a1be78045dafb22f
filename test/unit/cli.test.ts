/** The smbprobe command, spawned (node --import tsx src/cli/main.ts), against loopback responders. */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostResult } from '../../src/scan/result.js';
import { NbnsResponder } from '../support/nbns-responder.js';
import { SmbResponder } from '../support/smb-responder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const FIXTURE = join(ROOT, 'fixtures/nt1__nmap.pcap');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Asynchronous on purpose: the responders live in this process and must keep answering. */
function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DEBUG: '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

const oneLine = (s: string) => s.trimEnd().split('\n').length === 1;

describe('cli: usage', function () {
  this.timeout(60_000);

  it('--help shows commands, examples and exit codes; exit 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const s of ['scan', 'nbstat', 'smb', 'pcap', 'Examples:', 'Exit codes']) assert.ok(r.stdout.includes(s), s);
    const s = await cli(['scan', '--help']);
    assert.equal(s.code, 0);
    for (const o of ['--ports', '--nbstat-port', '--timeout', '--retries', '--rate', '--concurrency', '--host-timeout', '--no-ntlm', '--format', '--output', '--fail-on', '--shard', '--no-progress', '--verbose', '--dry-run', '--exclude', '--exclude-file', '-iL']) {
      assert.ok(s.stdout.includes(o), o);
    }
  });

  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('bad options: one stderr line, exit 2', async () => {
    const cases = [
      ['scan', '192.0.2.1', '--rate', '-5'],
      ['scan', '192.0.2.1', '--format', 'xml'],
      ['scan', '192.0.2.1', '--shard', '3/2'],
      ['scan', '192.0.2.1', '--ports', '0'],
      ['scan', '192.0.2.1', '--ports', '445,445'],
      ['scan', '192.0.2.1', '--fail-on', 'no-such-finding'],
      ['scan', '192.0.2.1', '--concurrency', '0'],
      ['scan', '192.0.2.1', '--timeout', 'soon'],
      ['scan', '192.0.2.1', '--bogus'],
      ['scan', '127.0.0.1', '--dry-run', '-o', ''],
      ['scan', '127.0.0.1', '--dry-run', '-o', '/nonexistent-smbprobe-dir/out.txt'],
      ['scan'],
      ['frobnicate'],
      [],
    ];
    const runs = await Promise.all(cases.map((args) => cli(args)));
    cases.forEach((args, i) => {
      const r = runs[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
      if (args.length > 0) assert.ok(oneLine(r.stderr) && r.stderr.startsWith('smbprobe: '), `${args.join(' ')}: ${JSON.stringify(r.stderr)}`);
    });
  });

  it('--dry-run prints the expanded targets, -iL - reads stdin, --exclude and --shard apply', async () => {
    const r = await cli(['scan', '10.0.1-2.1-2', '--exclude', '10.0.2.2', '--dry-run']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.trim().split('\n'), ['10.0.1.1', '10.0.1.2', '10.0.2.1']);
    const s = await cli(['nbstat', '-iL', '-', '--dry-run'], '# list\n192.0.2.7 192.0.2.8\n');
    assert.deepEqual(s.stdout.trim().split('\n'), ['192.0.2.7', '192.0.2.8']);
    const parts = await Promise.all([1, 2, 3].map((k) => cli(['scan', '10.9.0.0/26', '--shard', `${k}/3`, '--dry-run'])));
    const seen = parts.flatMap((p) => p.stdout.trim().split('\n').filter(Boolean));
    assert.equal(seen.length, 64);
    assert.equal(new Set(seen).size, 64);
  });
});

describe('cli: live against loopback responders', function () {
  this.timeout(60_000);
  let nt1: SmbResponder;
  let hardened: SmbResponder;
  let nbns: NbnsResponder;
  const dir = mkdtempSync(join(tmpdir(), 'smbprobe-cli-'));

  before(async () => {
    nt1 = await SmbResponder.start({ smb1: 'enabled' });
    hardened = await SmbResponder.start({ smb1: 'no-dialect', signingRequired: true });
    nbns = await NbnsResponder.start({});
  });
  after(async () => {
    await nt1.close();
    await hardened.close();
    await nbns.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const portsOf = (r: SmbResponder) => `${r.directPort}/direct,${r.nbssPort}/nbss`;
  const common = () => ['--nbstat-port', String(nbns.port), '--timeout', '1500', '--retries', '0', '--no-progress'];

  it('a bad target exits 2 and sends nothing, even next to good ones', async () => {
    const before = { c: nt1.log.connections, n: nbns.total };
    const r = await cli(['scan', '127.0.0.1', '127.0.0.300', '--ports', portsOf(nt1), ...common()]);
    assert.equal(r.code, 2);
    assert.ok(oneLine(r.stderr) && r.stderr.includes('127.0.0.300'), r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(nt1.log.connections, before.c);
    assert.equal(nbns.total, before.n);
  });

  it('scan --fail-on smb1-enabled: exit 1 on the SMB1 host, ndjson line with the verdict', async () => {
    const r = await cli(['scan', '127.0.0.1', '--ports', portsOf(nt1), ...common(), '--format', 'ndjson', '--fail-on', 'smb1-enabled']);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const h = JSON.parse(lines[0]!) as HostResult;
    assert.equal(h.smb!.smb1, 'enabled');
    assert.deepEqual(h.smb!.dialects, ['NT LM 0.12', '2.0.2', '2.1', '3.0', '3.0.2', '3.1.1']);
    assert.equal(h.smb!.signing.required, false);
    assert.equal(h.nbstat!.status, 'ok');
    assert.ok(h.findings.some((f) => f.id === 'smb1-enabled'));
    // port 139 was called by the <20> name from NBSTAT
    assert.ok(nt1.log.sessionRequests.some((s) => s.called.trim() === 'SMBP-NT1'), JSON.stringify(nt1.log.sessionRequests));
  });

  it('the hardened host: exit 0 with the same --fail-on; -o writes a JSON array atomically', async () => {
    const out = join(dir, 'hardened.json');
    const r = await cli(['smb', '127.0.0.1', '--ports', portsOf(hardened), ...common(), '--format', 'json', '-o', out, '--fail-on', 'smb1-enabled']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const hs = JSON.parse(readFileSync(out, 'utf8')) as HostResult[];
    assert.equal(hs.length, 1);
    assert.equal(hs[0]!.smb!.smb1, 'disabled');
    assert.equal(hs[0]!.smb!.signing.required, true);
    assert.ok(!hs[0]!.findings.some((f) => f.id === 'smb1-enabled' || f.id === 'signing-not-required'));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('table and csv formats; closed ports reported', async () => {
    const t = await cli(['scan', '127.0.0.1', '--ports', portsOf(nt1), ...common(), '-v']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^HOST\s+NAME/);
    assert.match(t.stdout, /SMBP-NT1\s+<20> UNIQUE/);
    assert.match(t.stdout, /dialects: NT LM 0\.12, 2\.0\.2/);
    const c = await cli(['smb', '127.0.0.1', '--ports', '1/direct', '--timeout', '500', '--format', 'csv']);
    assert.equal(c.code, 0, c.stderr);
    const rows = c.stdout.trim().split('\r\n');
    assert.equal(rows.length, 2);
    assert.ok(rows[1]!.includes('1/direct:closed'), rows[1]);
  });
});

describe('cli: pcap', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'smbprobe-pcap-'));

  it('passive results for the bundled capture by default: the same table as a scan', async function () {
    if (!existsSync(FIXTURE)) return this.skip();
    const r = await cli(['pcap']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^HOST\s+NAME/);
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[1]!, /^192\.0\.2\.11\s+SMBP-NT1\s+SMBPLAB/);
    assert.match(lines[1]!, /enabled\s+smb1-enabled/);
  });

  it('--format json/ndjson/csv are HostResults; --fail-on exits 1', async function () {
    if (!existsSync(FIXTURE)) return this.skip();
    const n = await cli(['pcap', FIXTURE, '--format', 'ndjson']);
    assert.equal(n.code, 0, n.stderr);
    const hosts = n.stdout.trim().split('\n').map((l) => JSON.parse(l) as HostResult);
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0]!.smb?.smb1, 'enabled');
    assert.equal(hosts[0]!.smb?.smb1Evidence[0]?.frame, 30);
    assert.equal(hosts[0]!.nbstat?.computerName, 'SMBP-NT1');
    const j = await cli(['pcap', FIXTURE, '--format', 'json']);
    assert.deepEqual(JSON.parse(j.stdout), hosts);
    const c = await cli(['pcap', FIXTURE, '--format', 'csv']);
    assert.equal(c.stdout.trim().split('\r\n').length, 2);
    const f = await cli(['pcap', FIXTURE, '--fail-on', 'smb1-enabled']);
    assert.equal(f.code, 1);
    const g = await cli(['pcap', FIXTURE, '--fail-on', 'ms17-010-vulnerable']);
    assert.equal(g.code, 0);
  });

  it('--events: one NDJSON record per exchange; --messages: one line per message; - reads stdin', async function () {
    if (!existsSync(FIXTURE)) return this.skip();
    const e = await cli(['pcap', FIXTURE, '--events']);
    assert.equal(e.code, 0, e.stderr);
    const evs = e.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; frames: { request: number | null; response: number | null } });
    const neg = evs.find((x) => x.type === 'smb1-negotiate');
    assert.deepEqual(neg?.frames, { request: 26, response: 30 });
    assert.ok(evs.some((x) => x.type === 'nbstat') && evs.some((x) => x.type === 'smb2-negotiate'));
    const m = await cli(['pcap', FIXTURE, '--messages']);
    assert.match(m.stdout, /SMB1 NEGOTIATE response STATUS_SUCCESS: dialect 0 "NT LM 0\.12"/);
    const s = await new Promise<Run>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', MAIN, 'pcap', '-', '--format', 'ndjson'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DEBUG: '' }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
      });
      child.stdin!.end(readFileSync(FIXTURE));
    });
    assert.equal(s.code, 0, s.stderr);
    const fromFile = await cli(['pcap', FIXTURE, '--format', 'ndjson']);
    const strip = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as HostResult).map((h) => ({ ...h, passive: { ...h.passive!, capture: '' } }));
    assert.deepEqual(strip(s.stdout), strip(fromFile.stdout));
  });

  it('a truncated capture: what decoded, then one stderr line naming the offset; exit 3', async function () {
    if (!existsSync(FIXTURE)) return this.skip();
    const cut = join(dir, 'cut.pcap');
    const full = readFileSync(FIXTURE);
    writeFileSync(cut, full.subarray(0, 3000));
    const r = await cli(['pcap', cut]);
    assert.equal(r.code, 3);
    // the NBSTAT answer came before the cut: the host is reported
    assert.match(r.stdout, /192\.0\.2\.11\s+SMBP-NT1/);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.match(r.stderr, /offset \d+/);
    const g = join(dir, 'garbage.pcap');
    writeFileSync(g, Buffer.from('this is not a capture file at all'));
    const x = await cli(['pcap', g]);
    assert.equal(x.code, 3);
    assert.match(x.stderr, /offset 0/);
  });

  it('a missing file is a usage error', async () => {
    const r = await cli(['pcap', join(dir, 'nope.pcap')]);
    assert.equal(r.code, 2);
    assert.ok(oneLine(r.stderr));
  });
});
