/** Passive host results (src/passive): project fixtures, pairing, verdicts, MS17-010 predicates. */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppMessage } from '../../src/capture/messages.js';
import { nodeStatusOf } from '../../src/codec/nbns.js';
import { nbstatResult } from '../../src/probe/nbstat.js';
import { analyzeCapture, analyzeMessages } from '../../src/passive/analyze.js';
import { MessageDecoder, type DecodedMessage } from '../../src/passive/decode.js';
import { Ms17Detector, type Ms17Detection } from '../../src/passive/ms17.js';
import { Pairer, type Exchange } from '../../src/passive/exchanges.js';
import type { HostResult } from '../../src/scan/result.js';
import { FIXTURES_DIR, appMessages } from '../support/fixture-messages.js';

const fx = (name: string): string => join(FIXTURES_DIR, name);
const hostsOf = (name: string): HostResult[] => analyzeMessages(appMessages(fx(name)), { capture: name }).hosts;
const only = (name: string): HostResult => {
  const hs = hostsOf(name);
  assert.equal(hs.length, 1, hs.map((h) => h.host).join(','));
  return hs[0]!;
};
function need(this: Mocha.Context, ...names: string[]): void {
  if (names.some((n) => !existsSync(fx(n)))) this.skip();
}

describe('passive: host-only analysis (lazy bodies, lean pairing) equals the full decode', function () {
  it('gives the same hosts as an analysis with events (every body decoded) for every fixture', function () {
    this.timeout(120000);
    const names = readdirSync(FIXTURES_DIR).filter((f) => /\.pcap(ng)?$/.test(f));
    assert.ok(names.length > 0, `no captures in ${FIXTURES_DIR}: ${readdirSync(FIXTURES_DIR).slice(0, 3).join(",")}`);
    for (const name of names) {
      const lean = analyzeMessages(appMessages(fx(name)), { capture: name });
      const full = analyzeMessages(appMessages(fx(name)), { capture: name, events: true });
      assert.deepEqual(JSON.parse(JSON.stringify(lean.hosts)), JSON.parse(JSON.stringify(full.hosts)), name);
      assert.deepEqual(lean.stats, full.stats, name);
    }
  });
});

describe('passive: SMB1 NEGOTIATEs waiting for their answer', function () {
  it('a NEGOTIATE answered in SMB2 stops waiting: thousands of them do not push out one still waiting', function () {
    need.call(this, 'nt1__smb1-negotiate.pcap');
    const apps = appMessages(fx('nt1__smb1-negotiate.pcap'));
    const neg = (a: AppMessage): boolean => a.kind === 'nbss' && a.type === 0 && a.payload[0] === 0xff && a.payload[4] === 0x72;
    const smb2Neg = (a: AppMessage): boolean => a.kind === 'nbss' && a.type === 0 && a.payload[0] === 0xfe && a.payload[12] === 0 && a.payload[13] === 0;
    // connection 1: SMB1 offer answered in SMB1; connection 3: SMB1 offer answered in SMB2
    const ask1 = apps.find((a) => neg(a) && a.kind === 'nbss' && a.connection === 1 && !a.fromServer)!;
    const answer1 = apps.find((a) => neg(a) && a.kind === 'nbss' && a.connection === 1 && a.fromServer)!;
    const ask3 = apps.find((a) => neg(a) && a.kind === 'nbss' && a.connection === 3 && !a.fromServer)!;
    const answer3 = apps.find((a) => smb2Neg(a) && a.kind === 'nbss' && a.connection === 3 && a.fromServer)!;
    assert.ok(ask1 && answer1 && ask3 && answer3);
    const dec = new MessageDecoder();
    dec.decode(ask1);
    // more multi-protocol offers answered in SMB2 than the 4,096 offers kept waiting
    for (let c = 10; c < 5010; c++) {
      dec.decode({ ...ask3, connection: c } as AppMessage);
      dec.decode({ ...answer3, connection: c } as AppMessage);
    }
    const [m] = dec.decode(answer1);
    assert.ok(m?.kind === 'smb1' && m.body.command === 'negotiate-response');
    assert.equal((m.body.message as { dialect?: string }).dialect, 'NT LM 0.12');
  });
});

describe('passive: host results from the project fixtures', function () {
  it('nt1 (nmap): SMB1 enabled with the frame of the answer as evidence', function () {
    need.call(this, 'nt1__nmap.pcap');
    const h = only('nt1__nmap.pcap');
    assert.equal(h.host, '192.0.2.11');
    assert.equal(h.smb?.smb1, 'enabled');
    const ev = h.smb!.ports['445']!.smb1Evidence!;
    assert.equal(ev.received, 'smb1-negotiate-response');
    assert.equal(ev.dialect, 'NT LM 0.12');
    assert.equal(ev.frame, 30);
    assert.equal(ev.requestFrame, 26);
    assert.deepEqual(h.smb!.dialects, ['NT LM 0.12', '2.0.2', '2.1', '3.0', '3.0.2', '3.1.1']);
    assert.equal(h.smb!.signing.required, false);
    assert.ok(h.findings.some((f) => f.id === 'smb1-enabled' && f.evidence.some((e) => e.includes('frame 30'))));
    assert.deepEqual(h.passive?.roles, ['nbns', 'smb-server']);
  });

  it('name tables equal the decoded NBSTAT answers', function () {
    need.call(this, 'nt1__nmap.pcap', 'smb3__nbtscan.pcap', 'nt1__nbtscan.pcap');
    for (const name of ['nt1__nmap.pcap', 'smb3__nbtscan.pcap', 'nt1__nbtscan.pcap']) {
      const dec = new MessageDecoder();
      const tables = new Map<string, ReturnType<typeof nbstatResult>>();
      for (const app of appMessages(fx(name))) {
        for (const m of dec.decode(app)) {
          if (m.kind !== 'nbns' || !m.packet.response) continue;
          const st = nodeStatusOf(m.packet);
          if (st && !tables.has(m.meta.src.ip)) tables.set(m.meta.src.ip, nbstatResult(st, m.packet.warnings));
        }
      }
      assert.ok(tables.size > 0, name);
      for (const h of hostsOf(name)) {
        const want = tables.get(h.address);
        if (!want) continue;
        assert.deepEqual(h.nbstat?.names, want.names, name);
        assert.equal(h.nbstat?.mac, want.mac);
        assert.equal(h.nbstat?.computerName, want.computerName);
        assert.ok(typeof h.nbstat?.rttMs === 'number');
      }
    }
  });

  it('nt1 (smbclient -L over NT1): NTLM facts and NativeOS/LanMan from the SMB1 session setup', function () {
    need.call(this, 'nt1__smbclient-L-NT1.pcap');
    const h = only('nt1__smbclient-L-NT1.pcap');
    assert.equal(h.smb?.smb1, 'enabled');
    assert.equal(h.ntlm?.via, 'smb1');
    assert.equal(h.ntlm?.netbiosComputer, 'SMBP-NT1');
    assert.match(h.smb?.nativeLanMan ?? '', /^Samba/);
    assert.equal(h.smb?.ports['139']?.nbss?.calledName, '192.0.2.11');
    assert.ok(h.findings.some((f) => f.id === 'smb-over-netbios'));
  });

  it('smb3: SMB1 disabled via the DialectIndex 0xFFFF answer; signing required', function () {
    need.call(this, 'smb3__smb1-negotiate.pcap', 'smb3__nmap.pcap');
    const a = only('smb3__smb1-negotiate.pcap');
    assert.equal(a.smb?.smb1, 'disabled');
    const ev = a.smb!.smb1Evidence[0]!;
    assert.equal(ev.dialectIndex, 0xffff);
    assert.equal(typeof ev.frame, 'number');
    const b = only('smb3__nmap.pcap');
    assert.equal(b.smb?.smb1, 'disabled');
    assert.deepEqual(b.smb?.signing, { enabled: true, required: true });
    assert.ok(!b.findings.some((f) => f.id === 'signing-not-required' || f.id === 'smb1-enabled'));
  });

  it('an SMB2 0x02FF answer to a multi-protocol negotiate does not say "disabled"', function () {
    need.call(this, 'smb3__smb1-negotiate.pcap');
    // keep only the connection where the wildcard answer was given
    const file = fx('smb3__smb1-negotiate.pcap');
    const { events } = analyzeMessages(appMessages(file), { events: true });
    const wild = events.find((e) => e.type === 'smb1-negotiate' && e.response?.['dialect'] === '2.???');
    assert.ok(wild, 'fixture has a 0x02FF answer');
    const conn = wild.connection;
    const apps = appMessages(file).filter((m): m is AppMessage => m.kind !== 'nbss' || m.connection === conn);
    const h = analyzeMessages(apps).hosts[0]!;
    assert.equal(h.smb?.smb1, 'unknown');
    assert.equal(h.passive?.smb2WildcardAnswers, 1);
  });

  it('smb3 (impacket): NTLM facts over SMB2', function () {
    need.call(this, 'smb3__impacket-default.pcap');
    const h = only('smb3__impacket-default.pcap');
    assert.equal(h.ntlm?.via, 'smb2');
    assert.ok(h.ntlm?.netbiosComputer);
    assert.ok(h.findings.some((f) => f.id === 'ntlm-info-disclosure'));
  });

  it('every fixture: JSON-safe results, and analyzeCapture (streamed) equals analyzeMessages', async function () {
    this.timeout(30_000);
    for (const name of ['nt1__nmap.pcap', 'smb3__impacket-smb311.pcap', 'nt1__nbss-session.pcap']) {
      if (!existsSync(fx(name))) continue;
      const r = await analyzeCapture(fx(name), { capture: name, chunkSize: 100 });
      assert.deepEqual(JSON.parse(JSON.stringify(r.hosts)), hostsOf(name));
      assert.equal(r.stopped, null);
    }
  });
});

// ---------------------------------------------------------------------------------------------

let frame = 0;
function smb1(o: {
  reply?: boolean; command: number; mid: number; pid?: number; status?: number; conn?: number;
  trans?: Partial<{ subcommand: number; setup: number[]; layout: string; dataCount: number; totalDataCount: number; function: number; timeout: number }>;
}): DecodedMessage {
  frame++;
  const reply = o.reply ?? false;
  const client = { ip: '10.0.0.1', port: 50000 };
  const server = { ip: '10.0.0.2', port: 445 };
  return {
    kind: 'smb1',
    meta: { frame, firstFrame: frame, tsSec: 1, tsNsec: 0, src: reply ? server : client, dst: reply ? client : server, fromServer: reply, transport: 'direct', connection: o.conn ?? 1 },
    header: { command: o.command, mid: o.mid, pidLow: o.pid ?? 7, status: o.status ?? 0, isReply: reply, statusName: '', flagNames: [], flags2Names: [] },
    body: { command: 'trans', message: { setup: [], layout: 'raw', dataCount: 0, totalDataCount: 0, ...o.trans } },
  } as unknown as DecodedMessage;
}

describe('passive: MS17-010 predicates', () => {
  const run = (ms: DecodedMessage[]): Ms17Detection[] => {
    const d = new Ms17Detector();
    const out: Ms17Detection[] = [];
    for (const m of ms) d.push(m, out);
    return out;
  };

  it('DoublePulsar: a probe, and an implant only when the answer MID is request MID + 16', () => {
    const probe = smb1({ command: 0x32, mid: 65, trans: { subcommand: 0x000e, setup: [0x000e] } });
    const normal = smb1({ command: 0x32, mid: 65, reply: true, status: 0xc0000002 });
    assert.deepEqual(run([probe, normal]).map((d) => d.id), ['doublepulsar-probe']);
    const probe2 = smb1({ command: 0x32, mid: 66, trans: { subcommand: 0x000e, setup: [0x000e] } });
    const implant = smb1({ command: 0x32, mid: 82, reply: true, status: 0xc0000002 });
    const ds = run([probe2, implant]);
    assert.deepEqual(ds.map((d) => d.id), ['doublepulsar-probe', 'doublepulsar-implant']);
    assert.deepEqual(ds[1]!.frames, [(probe2 as { meta: { frame: number } }).meta.frame, (implant as { meta: { frame: number } }).meta.frame]);
    // another connection's answer does not count
    const p3 = smb1({ command: 0x32, mid: 65, trans: { subcommand: 0x000e, setup: [0x000e] } });
    const other = smb1({ command: 0x32, mid: 81, reply: true, conn: 2 });
    assert.deepEqual(run([p3, other]).map((d) => d.id), ['doublepulsar-probe']);
  });

  it('PeekNamedPipe on FID 0: STATUS_INSUFF_SERVER_RESOURCES is the unpatched signature', () => {
    const peek = (fid: number) => smb1({ command: 0x25, mid: 9, trans: { subcommand: 0x0023, setup: [0x0023, fid] } });
    assert.deepEqual(run([peek(0), smb1({ command: 0x25, mid: 9, reply: true, status: 0xc0000205 })]).map((d) => d.id), ['ms17-010-vulnerable']);
    assert.deepEqual(run([peek(0), smb1({ command: 0x25, mid: 9, reply: true, status: 0xc0000008 })]).map((d) => d.id), ['ms17-010-check']);
    assert.deepEqual(run([peek(5), smb1({ command: 0x25, mid: 9, reply: true, status: 0xc0000205 })]), []);
  });

  it('EternalBlue: an incomplete NT_TRANSACT continued by TRANSACTION2_SECONDARY with the same MID', () => {
    const nt = smb1({ command: 0xa0, mid: 64, trans: { layout: 'nt-request', dataCount: 976, totalDataCount: 66512, function: 0 } });
    const secs = [1, 2, 3].map(() => smb1({ command: 0x33, mid: 64 }));
    const ds = run([nt, ...secs]);
    assert.deepEqual(ds.map((d) => d.id), ['eternalblue-exploit-attempt']);
    assert.equal(ds[0]!.secondaries, 3);
    // a complete NT_TRANSACT, or a secondary with another MID, is not it
    assert.deepEqual(run([smb1({ command: 0xa0, mid: 64, trans: { layout: 'nt-request', dataCount: 10, totalDataCount: 10 } }), smb1({ command: 0x33, mid: 64 })]), []);
    assert.deepEqual(run([smb1({ command: 0xa0, mid: 64, trans: { layout: 'nt-request', dataCount: 1, totalDataCount: 9 } }), smb1({ command: 0x33, mid: 65 })]), []);
  });
});

describe('passive: pairing', () => {
  it('bounded: the oldest open request is reported unanswered when the table is full', () => {
    const p = new Pairer({ maxPending: 2 });
    const out: Exchange[] = [];
    for (let mid = 1; mid <= 3; mid++) p.push(smb1({ command: 0x25, mid }), out);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.response, null);
    assert.equal(out[0]!.request?.fields['mid'], 1);
    assert.equal(p.flush().length, 2);
  });
});
