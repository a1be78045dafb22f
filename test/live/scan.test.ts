/**
 * Issue 4 §6, live: the smbprobe CLI against real Samba hosts in network namespaces
 * (fixtures/lab.sh), checked against nmap, nbtscan and nmblookup run in the same test.
 *
 *   nt1  192.0.2.11  SMBv1 on, signing auto, nmbd browse master
 *   smb3 192.0.2.12  SMBv1 off, signing mandatory, nmbd
 *   nonb 192.0.2.13  `disable netbios = yes`: 445 only, no nmbd
 *
 * "Closed" for UDP 137 means what nmap calls closed: an ICMP port unreachable came back. smbprobe
 * reports it as `nbstat.status = "unreachable"` (src/scan/result.ts); a silent port would be
 * `timeout` (nmap's open|filtered). For TCP 139, closed is a refused connection (RST):
 * `smb.ports["139"].status = "closed"`.
 *
 * Run: `npm run test:live` as root (test/live/run.sh wraps it). SMBP_LIVE_SAVE_SAMPLES=1 rewrites
 * test/live/samples/scan-table.txt with this run's table output.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { HostResult } from '../../src/scan/result.js';
import { captureInClient, clientTxPackets, runInClient, runSmbprobe, useLab, type RunResult } from '../support/lab.js';
import {
  nameKeys, nbtscanArgs, nmapArgs, nmblookupArgs, parseNbtscan, parseNmapXml, parseNmblookup, printableName,
  type NbtscanHost, type NmapHost, type NmblookupResult,
} from '../support/peers.js';

const ALL_SMB2 = ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'];
const NT1_DIALECTS = ['NT LM 0.12', ...ALL_SMB2];
const CLI_TIMEOUT = 180_000;

/** Fail with the command's output when it did not exit as expected. */
function expectExit(r: RunResult, code: number, what: string): void {
  if (r.code !== code) {
    assert.fail(`${what}: exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}, expected ${code}\n`
      + `--- stdout\n${r.stdout.slice(0, 4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  }
}

function findingIds(h: HostResult): string[] {
  return h.findings.map((f) => f.id).sort();
}

/** The facts every format must agree on (no times). */
function facts(h: HostResult) {
  return {
    host: h.host,
    address: h.address,
    nbstatStatus: h.nbstat?.status ?? null,
    names: nameKeys(h.nbstat?.names ?? []),
    mac: h.nbstat?.mac ?? null,
    smb1: h.smb?.smb1 ?? null,
    dialects: h.smb?.dialects ?? null,
    signing: h.smb?.signing ?? null,
    ports: Object.fromEntries(Object.entries(h.smb?.ports ?? {}).map(([k, p]) => [k, p.status])),
    findings: findingIds(h),
    netbiosComputer: h.ntlm?.netbiosComputer ?? null,
  };
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(f); f = ''; rows.push(row); row = [];
    } else f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

describe('live: smbprobe against real Samba hosts (issue 4 §6)', function () {
  this.timeout(300_000);
  const lab = useLab();
  const addr = (name: string) => lab().host(name).address;
  let scanJson: RunResult;
  let results: HostResult[] = [];
  const result = (name: string): HostResult => {
    const h = results.find((r) => r.address === addr(name));
    assert.ok(h, `no result for ${name} (${addr(name)}) in ${JSON.stringify(results.map((r) => r.address))}`);
    return h;
  };

  before(async function () {
    this.timeout(CLI_TIMEOUT);
    const targets = ['nt1', 'smb3', 'nonb'].map(addr);
    scanJson = await runSmbprobe(lab(), ['scan', '--format', 'json', '--no-progress', ...targets], { timeoutMs: CLI_TIMEOUT });
    expectExit(scanJson, 0, `smbprobe scan --format json ${targets.join(' ')}`);
    const parsed: unknown = JSON.parse(scanJson.stdout);
    assert.ok(Array.isArray(parsed), 'json output is an array');
    results = parsed as HostResult[];
    process.stderr.write(`      (scan of 3 hosts: ${scanJson.durationMs} ms)\n`);
  });

  it('json: one result per host, in a JSON array', () => {
    assert.deepEqual(results.map((r) => r.address).sort(), ['nt1', 'smb3', 'nonb'].map(addr).sort());
  });

  describe('fingerprint (issue 6): every lab host is Samba with the right major version', () => {
    for (const name of ['nt1', 'smb3', 'nonb']) {
      it(`${name}: Samba 4.x`, () => {
        const os = result(name).os;
        assert.ok(os, 'os fingerprint present');
        assert.equal(os.family, 'Samba', JSON.stringify(os));
        // the lab runs Debian's Samba 4; with SMBv1 on the full version shows (NativeLanMan)
        assert.match(os.version ?? '', /^4(\.|$)/, JSON.stringify(os));
        if (name === 'nt1') assert.match(os.version ?? '', /^4\.\d+\.\d+$/);
        assert.deepEqual(os.conflicts, []);
      });
    }
  });

  describe('SMBv1 host (nt1: server min protocol = NT1, signing auto)', () => {
    it('smb.smb1 is enabled, with the SMB1 negotiate response as evidence', () => {
      const s = result('nt1').smb!;
      assert.equal(s.smb1, 'enabled');
      const ev = s.smb1Evidence.find((e) => e.received === 'smb1-negotiate-response' && e.dialect === 'NT LM 0.12');
      assert.ok(ev, `no accepting SMB1 negotiate in the evidence: ${JSON.stringify(s.smb1Evidence)}`);
      assert.deepEqual(ev.sent, ['NT LM 0.12']);
      assert.equal(ev.dialectIndex, 0);
      assert.equal(ev.wordCount, 17);
    });
    it('dialects are exactly NT LM 0.12, 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1', () => {
      assert.deepEqual(result('nt1').smb!.dialects, NT1_DIALECTS);
      assert.equal(result('nt1').smb!.highestDialect, '3.1.1');
    });
    it('on 445 and on 139 (NBSS session to its <20> name)', () => {
      const s = result('nt1').smb!;
      for (const port of ['445', '139']) {
        const p = s.ports[port];
        assert.ok(p, `no smb.ports["${port}"]`);
        assert.equal(p.status, 'open', `port ${port}: ${JSON.stringify(p.errors)}`);
        assert.equal(p.smb1, 'enabled', `port ${port}`);
        assert.deepEqual(p.dialects, NT1_DIALECTS, `port ${port}`);
      }
      assert.equal(s.ports['139']!.transport, 'nbss');
      assert.equal(s.ports['139']!.nbss?.calledName, lab().host('nt1').netbios_name);
    });
    it('signing enabled, not required', () => {
      assert.deepEqual(result('nt1').smb!.signing, { enabled: true, required: false });
    });
    it('findings include smb1-enabled (high) and signing-not-required (medium)', () => {
      const h = result('nt1');
      assert.ok(findingIds(h).includes('smb1-enabled'), `findings: ${findingIds(h).join(', ')}`);
      assert.ok(findingIds(h).includes('signing-not-required'), `findings: ${findingIds(h).join(', ')}`);
      assert.equal(h.findings.find((f) => f.id === 'smb1-enabled')!.severity, 'high');
      assert.equal(h.findings.find((f) => f.id === 'signing-not-required')!.severity, 'medium');
      for (const f of h.findings) assert.ok(f.evidence.length > 0, `finding ${f.id} has no evidence`);
      // names readable on 137, SMB on 139
      assert.ok(findingIds(h).includes('netbios-exposed'), `findings: ${findingIds(h).join(', ')}`);
      assert.ok(findingIds(h).includes('smb-over-netbios'), `findings: ${findingIds(h).join(', ')}`);
    });
    it('host facts over NTLM (SMB2), without SMBv1', () => {
      const n = result('nt1').ntlm;
      assert.ok(n, `no ntlm: ${JSON.stringify(result('nt1').errors)}`);
      assert.equal(n.via, 'smb2');
      assert.equal(n.netbiosComputer, lab().host('nt1').netbios_name);
      assert.equal(n.osVersion, '6.1.0'); // what Samba 4.17 puts in the CHALLENGE's Version
    });
    it('nbstat: computer name, workgroup, browse-master roles, all-zero MAC', () => {
      const nb = result('nt1').nbstat!;
      assert.equal(nb.status, 'ok');
      assert.equal(nb.computerName, 'SMBP-NT1');
      assert.equal(nb.workgroup, lab().workgroup);
      assert.equal(nb.mac, '00:00:00:00:00:00');
      assert.equal(nb.macAllZero, true);
      assert.ok(nb.roles.includes('file-server'), `roles: ${nb.roles.join(', ')}`);
      assert.ok(nb.roles.includes('master-browser'), `roles: ${nb.roles.join(', ')}`);
      assert.ok(nb.names.some((n) => n.name === '\x01\x02__MSBROWSE__\x02' && n.suffix === 0x01 && n.group),
        `no __MSBROWSE__<01> group name: ${JSON.stringify(nb.names.map((n) => n.name))}`);
    });
  });

  describe('SMBv1-off host with mandatory signing (smb3)', () => {
    it('smb.smb1 is disabled, with evidence', () => {
      const s = result('smb3').smb!;
      assert.equal(s.smb1, 'disabled', JSON.stringify(s.smb1Evidence));
      assert.ok(s.smb1Evidence.length > 0);
      for (const e of s.smb1Evidence) {
        assert.deepEqual(e.sent, ['NT LM 0.12']);
        assert.ok(e.reason.length > 0);
      }
    });
    it('signing.required is true', () => {
      assert.deepEqual(result('smb3').smb!.signing, { enabled: true, required: true });
    });
    it('no smb1-enabled, no signing-not-required finding', () => {
      const ids = findingIds(result('smb3'));
      assert.ok(!ids.includes('smb1-enabled'), ids.join(', '));
      assert.ok(!ids.includes('signing-not-required'), ids.join(', '));
    });
    it('dialects 2.0.2 to 3.1.1 on 445 and 139', () => {
      const s = result('smb3').smb!;
      assert.deepEqual(s.dialects, ALL_SMB2);
      for (const port of ['445', '139']) {
        assert.equal(s.ports[port]?.status, 'open', `port ${port}`);
        assert.deepEqual(s.ports[port]?.dialects, ALL_SMB2, `port ${port}`);
        assert.equal(s.ports[port]?.smb1, 'disabled', `port ${port}`);
      }
    });
  });

  describe('NetBIOS-disabled host (nonb)', () => {
    it('137/udp closed: nbstat.status "unreachable" (ICMP port unreachable), no names', () => {
      const nb = result('nonb').nbstat;
      assert.ok(nb);
      assert.equal(nb.status, 'unreachable', JSON.stringify(nb));
      assert.deepEqual(nb.names, []);
    });
    it('139/tcp closed', () => {
      assert.equal(result('nonb').smb!.ports['139']?.status, 'closed', JSON.stringify(result('nonb').smb!.ports['139']));
    });
    it('445 results complete: dialects, SMBv1 verdict, signing, server facts, NTLM facts', () => {
      const h = result('nonb');
      const s = h.smb!;
      assert.equal(s.ports['445']?.status, 'open');
      assert.deepEqual(s.dialects, ALL_SMB2);
      assert.deepEqual(s.ports['445']?.dialects, ALL_SMB2);
      assert.equal(s.smb1, 'disabled');
      assert.deepEqual(s.signing, { enabled: true, required: false });
      assert.equal(s.highestDialect, '3.1.1');
      assert.ok(s.serverGuid, 'serverGuid');
      assert.ok(s.systemTime, 'systemTime');
      assert.ok(s.capabilities.length > 0, 'capabilities');
      assert.ok(s.negotiateContexts.length > 0, 'negotiate contexts of 3.1.1');
      assert.equal(h.ntlm?.netbiosComputer, lab().host('nonb').netbios_name);
      const ids = findingIds(h);
      assert.ok(ids.includes('signing-not-required'), ids.join(', '));
      for (const no of ['smb1-enabled', 'netbios-exposed', 'smb-over-netbios']) assert.ok(!ids.includes(no), ids.join(', '));
    });
  });

  describe('agreement with nmap (nbstat, smb-protocols, smb2-security-mode), nbtscan -v and nmblookup -A', () => {
    const nmap = new Map<string, NmapHost>();
    const nbtscan = new Map<string, NbtscanHost | undefined>();
    const nmblookup = new Map<string, NmblookupResult>();

    before(async function () {
      this.timeout(CLI_TIMEOUT);
      for (const name of ['nt1', 'smb3', 'nonb']) {
        const a = addr(name);
        const nm = await runInClient(lab(), 'nmap', nmapArgs(a), { timeoutMs: 120_000 });
        expectExit(nm, 0, `nmap ${nmapArgs(a).join(' ')}`);
        const hosts = parseNmapXml(nm.stdout);
        assert.equal(hosts.length, 1, `nmap hosts for ${a}`);
        nmap.set(name, hosts[0]!);
        // nbtscan prints raw name bytes: read them as latin1, like smbprobe's names
        const nb = await runInClient(lab(), 'nbtscan', nbtscanArgs(a), { timeoutMs: 60_000, encoding: 'latin1' });
        expectExit(nb, 0, `nbtscan ${nbtscanArgs(a).join(' ')}`);
        nbtscan.set(name, parseNbtscan(nb.stdout).find((h) => h.address === a));
        const ml = await runInClient(lab(), 'nmblookup', nmblookupArgs(a, lab().client.smb_conf), { timeoutMs: 60_000, encoding: 'latin1' });
        nmblookup.set(name, parseNmblookup(ml.stdout));
      }
    });

    for (const name of ['nt1', 'smb3', 'nonb']) {
      it(`${name}: dialect list equals nmap smb-protocols`, () => {
        assert.deepEqual(result(name).smb!.dialects, nmap.get(name)!.dialects);
      });
      it(`${name}: signing equals nmap smb2-security-mode`, () => {
        const peer = nmap.get(name)!.signing;
        assert.ok(peer && Object.keys(peer).length > 0, `nmap: ${nmap.get(name)!.scripts['smb2-security-mode']}`);
        for (const [dialect, sig] of Object.entries(peer)) {
          const d = result(name).smb!.ports['445']!.details.find((x) => x.dialect === dialect);
          assert.ok(d, `no ${dialect} details`);
          assert.deepEqual(d.signing, sig, `dialect ${dialect}`);
          assert.deepEqual(result(name).smb!.signing, sig);
        }
      });
      it(`${name}: port states equal nmap's (137/udp, 139/tcp, 445/tcp)`, () => {
        const ports = nmap.get(name)!.ports;
        const st = (p: number) => ports.find((x) => x.port === p)?.state;
        const why = (p: number) => `nmap ${p}: ${st(p)} (${ports.find((x) => x.port === p)?.reason})`;
        const h = result(name);
        assert.equal(h.smb!.ports['445']!.status, st(445), why(445));
        assert.equal(h.smb!.ports['139']!.status, st(139), why(139));
        // UDP: open ⇔ an answer, closed ⇔ ICMP port unreachable
        const udp = ({ ok: 'open', unreachable: 'closed' } as Record<string, string>)[h.nbstat!.status] ?? h.nbstat!.status;
        assert.equal(udp, st(137), `${why(137)}; smbprobe nbstat.status ${h.nbstat!.status}`);
      });
      it(`${name}: name table equals nmap nbstat's, nbtscan's and nmblookup's`, () => {
        const ours = result(name).nbstat!.names;
        const nm = nmap.get(name)!.nbstat;
        const nbt = nbtscan.get(name);
        const ml = nmblookup.get(name)!;
        if (name === 'nonb') {
          assert.equal(nm, null);
          assert.equal(nbt, undefined);
          assert.equal(ml.reply, false);
          assert.deepEqual(ours, []);
          return;
        }
        assert.ok(nm && nbt && ml.reply, `peers saw no table: nmap ${!!nm}, nbtscan ${!!nbt}, nmblookup ${ml.reply}`);
        assert.deepEqual(nameKeys(ours), nameKeys(nm.names), 'nmap nbstat');
        assert.deepEqual(nameKeys(ours), nameKeys(nbt.names), 'nbtscan -v');
        // nmblookup prints non-printable bytes as dots, and the node type and state flags
        assert.deepEqual(nameKeys(ours, printableName), nameKeys(ml.names), 'nmblookup -A');
        const flags = (n: { name: string; suffix: number; nodeType?: string; active?: boolean; permanent?: boolean; conflict?: boolean; deregistering?: boolean }) =>
          `${printableName(n.name)}<${n.suffix}> ${n.nodeType} ${n.active} ${n.permanent} ${n.conflict} ${n.deregistering}`;
        assert.deepEqual(ours.map(flags).sort(), ml.names.map(flags).sort(), 'nmblookup flags');
        assert.equal(result(name).nbstat!.mac, nbt.mac, 'MAC vs nbtscan');
        assert.equal(result(name).nbstat!.mac, ml.mac, 'MAC vs nmblookup');
        assert.equal(result(name).nbstat!.mac, nm.mac, 'MAC vs nmap');
        assert.equal(result(name).nbstat!.computerName, nm.netbiosName, 'NetBIOS name vs nmap');
      });
    }
  });

  describe('exit codes', () => {
    it('--fail-on smb1-enabled exits 1 on nt1', async () => {
      const r = await runSmbprobe(lab(), ['scan', '--fail-on', 'smb1-enabled', '--format', 'json', '--no-progress', addr('nt1')], { timeoutMs: CLI_TIMEOUT });
      expectExit(r, 1, 'scan --fail-on smb1-enabled nt1');
      const out = JSON.parse(r.stdout) as HostResult[];
      assert.equal(out[0]?.smb?.smb1, 'enabled', 'the result is still written');
    });
    it('--fail-on smb1-enabled exits 0 on smb3', async () => {
      const r = await runSmbprobe(lab(), ['scan', '--fail-on', 'smb1-enabled', '--format', 'json', '--no-progress', addr('smb3')], { timeoutMs: CLI_TIMEOUT });
      expectExit(r, 0, 'scan --fail-on smb1-enabled smb3');
    });
    it('(control: the same capture sees the packets of a good target)', async () => {
      const before = await clientTxPackets(lab());
      const { value: r, packets } = await captureInClient(lab(),
        () => runSmbprobe(lab(), ['nbstat', '--format', 'json', '--no-progress', addr('smb3')], { timeoutMs: 60_000 }));
      const after = await clientTxPackets(lab());
      expectExit(r, 0, 'nbstat smb3');
      assert.ok(packets.some((l) => l.includes(`${addr('smb3')}.137`)), `no NBSTAT packet captured:\n${packets.join('\n')}`);
      assert.ok(after['eth0']! > before['eth0']!, 'tx_packets did not move');
    });
    for (const bad of [['192.0.2.11/33'], ['192.0.2.1-300'], [`192.0.2.11`, '192.0.2.12', '10.0.0.0/33']]) {
      it(`a bad target exits 2 and sends nothing: scan ${bad.join(' ')}`, async () => {
        const before = await clientTxPackets(lab());
        const { value: r, packets } = await captureInClient(lab(),
          () => runSmbprobe(lab(), ['scan', '--no-progress', ...bad], { timeoutMs: 60_000 }));
        const after = await clientTxPackets(lab());
        expectExit(r, 2, `scan ${bad.join(' ')}`);
        assert.ok(r.stderr.trim().length > 0, 'says why on stderr');
        // nothing the client sent, but an ARP reply to a host's question (the kernel's, not ours)
        const arpReplies = packets.filter((l) => / Out .*ARP, Reply/.test(l));
        const ours = packets.filter((l) => !arpReplies.includes(l) && !/ In /.test(l));
        assert.deepEqual(ours, [], 'tcpdump in the client namespace saw packets sent');
        const sent = Object.keys(before).reduce((n, i) => n + after[i]! - before[i]!, 0);
        assert.ok(sent <= arpReplies.length, `tx_packets of the client interfaces grew by ${sent}:\n${packets.join('\n')}`);
      });
    }
  });

  describe('output formats: json, ndjson, csv, table agree for the three hosts', () => {
    const targets = () => ['nt1', 'smb3', 'nonb'].map(addr);
    const runFormat = async (fmt: string) => {
      const r = await runSmbprobe(lab(), ['scan', '--format', fmt, '--no-progress', ...targets()], { timeoutMs: CLI_TIMEOUT });
      expectExit(r, 0, `scan --format ${fmt}`);
      return r.stdout;
    };

    it('ndjson: one JSON object per line, the same facts as json', async () => {
      const lines = (await runFormat('ndjson')).split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 3);
      const got = lines.map((l) => JSON.parse(l) as HostResult);
      for (const h of got) {
        const j = results.find((x) => x.address === h.address);
        assert.ok(j, `ndjson host ${h.address} not in json`);
        assert.deepEqual(facts(h), facts(j));
      }
    });

    it('csv: a header and one row per host, consistent with json', async () => {
      const rows = parseCsv(await runFormat('csv'));
      const [header, ...data] = rows;
      assert.ok(header && header.length > 1, 'header');
      assert.equal(data.length, 3, `rows: ${JSON.stringify(rows)}`);
      for (const r of data) assert.equal(r.length, header.length, `row width: ${JSON.stringify(r)}`);
      const col = (re: RegExp) => {
        const i = header.findIndex((c) => re.test(c));
        assert.ok(i >= 0, `no column ${re} in ${header.join(',')}`);
        return i;
      };
      const iHost = header.indexOf('address') >= 0 ? header.indexOf('address') : col(/^host$/i);
      const iSmb1 = col(/^(smb\.?)?smb1$|^smbv1$/i);
      const iDialects = col(/dialects/i);
      const iReq = col(/sign.*req/i);
      for (const r of data) {
        const j = results.find((x) => x.address === r[iHost] || x.host === r[iHost]);
        assert.ok(j, `csv host ${r[iHost]} not in json`);
        assert.equal(r[iSmb1], j.smb!.smb1);
        for (const d of j.smb!.dialects) assert.ok(r[iDialects]!.includes(d), `csv dialects ${r[iDialects]} lack ${d}`);
        assert.match(r[iReq]!, j.smb!.signing.required ? /^(true|yes|1)$/i : /^(false|no|0)$/i);
      }
    });

    it('table -v: adds the name table and the dialect list', async () => {
      const r = await runSmbprobe(lab(), ['scan', '--format', 'table', '-v', '--no-progress', addr('nt1')], { timeoutMs: CLI_TIMEOUT, encoding: 'latin1' });
      expectExit(r, 0, 'scan -v nt1');
      const nt1 = result('nt1');
      for (const n of nt1.nbstat!.names) {
        const shown = [n.name, printableName(n.name), n.name.replace(/[^\x20-\x7e]/g, '')];
        assert.ok(shown.some((x) => r.stdout.includes(x)), `name ${JSON.stringify(n.name)} not in:\n${r.stdout}`);
      }
      for (const d of nt1.smb!.dialects) assert.ok(r.stdout.includes(d), `dialect ${d} not in:\n${r.stdout}`);
    });

    it('table: a line per host with name, domain, OS, signing and SMBv1 (saved for the README)', async () => {
      const out = await runFormat('table');
      if (process.env['SMBP_LIVE_SAVE_SAMPLES'] === '1') {
        writeFileSync(new URL('./samples/scan-table.txt', import.meta.url), out);
      }
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      // fixed-width columns under a header: cut each line at the header words' positions
      const header = lines.find((l) => /\bSMBv1\b/i.test(l) && /\bSIGNING\b/i.test(l));
      assert.ok(header, `no header with SIGNING and SMBv1:\n${out}`);
      const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0].toUpperCase(), at: m.index }));
      const cell = (line: string, name: string) => {
        const i = starts.findIndex((c) => c.name === name);
        assert.ok(i >= 0, `no column ${name} in ${header}`);
        const next = starts[i + 1];
        return line.slice(starts[i]!.at, next ? next.at : undefined).trim();
      };
      for (const j of results) {
        const line = lines.find((l) => l.split(/\s+/).includes(j.address));
        assert.ok(line, `no table line for ${j.address}:\n${out}`);
        assert.equal(cell(line, 'SMBV1'), j.smb!.smb1, line);
        const sig = j.smb!.signing;
        assert.match(cell(line, 'SIGNING'), sig.required ? /^required$/ : sig.enabled ? /^(enabled|not required|optional)$/ : /^(disabled|off|none)$/, line);
        const name = j.nbstat?.computerName ?? j.ntlm?.netbiosComputer;
        if (name) assert.equal(cell(line, 'NAME'), name, line);
        // the OS column is the fingerprint's label (Samba 4.17, Windows Server 2019 (10.0.17763), ...)
        if (j.os?.family) assert.ok(cell(line, 'OS').startsWith(j.os.family), line);
        assert.ok([j.ntlm?.netbiosDomain, j.nbstat?.workgroup].includes(cell(line, 'DOMAIN')), line);
      }
    });
  });
});
