import assert from 'node:assert/strict';
import net from 'node:net';
import { probeSmb, probeSmbWithStats, calledNameCandidates, type SmbProbeOptions } from '../../src/probe/smb.js';
import { SmbResponder, type SmbResponderOptions } from '../support/smb-responder.js';

const ALL = ['NT LM 0.12', '2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'];

function sockets(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof net.Socket && !(h as net.Socket).destroyed).length;
}

let responder: SmbResponder | null = null;
async function start(o: SmbResponderOptions = {}): Promise<SmbResponder> {
  responder = await SmbResponder.start(o);
  return responder;
}
function direct(r: SmbResponder, extra: SmbProbeOptions = {}): SmbProbeOptions {
  return { ports: [{ port: r.directPort, transport: 'direct' }], idleTimeoutMs: 300, ...extra };
}
function nbss(r: SmbResponder, extra: SmbProbeOptions = {}): SmbProbeOptions {
  return { ports: [{ port: r.nbssPort, transport: 'nbss' }], idleTimeoutMs: 300, ...extra };
}

describe('probeSmb against the loopback responder', () => {
  let baseline = 0;
  before(() => {
    baseline = sockets();
  });
  afterEach(async () => {
    if (responder) await responder.close();
    responder = null;
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sockets(), baseline, 'a socket was left open');
  });

  describe('SMBv1 verdict', () => {
    it('enabled: valid NT LM 0.12 answer (WordCount 17, DialectIndex 0), with its evidence', async () => {
      const r = await start();
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'enabled');
      const ev = smb.smb1Evidence[0]!;
      assert.deepEqual(ev.sent, ['NT LM 0.12']);
      assert.equal(ev.received, 'smb1-negotiate-response');
      assert.equal(ev.status, 'STATUS_SUCCESS');
      assert.equal(ev.dialectIndex, 0);
      assert.equal(ev.wordCount, 17);
      assert.ok(ev.bytes! > 32);
      assert.deepEqual(smb.dialects, ALL);
    });

    it('disabled: DialectIndex 0xFFFF', async () => {
      const r = await start({ smb1: 'no-dialect' });
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'disabled');
      assert.equal(smb.smb1Evidence[0]!.dialectIndex, 0xffff);
      assert.equal(smb.smb1Evidence[0]!.wordCount, 1);
      assert.ok(!smb.dialects.includes('NT LM 0.12'));
    });

    it('disabled: the SMB1 NEGOTIATE is answered in SMB2', async () => {
      const r = await start({ smb1: 'smb2-answer' });
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'disabled');
      assert.equal(smb.smb1Evidence[0]!.received, 'smb2-response');
    });

    for (const mode of ['reset', 'close'] as const) {
      it(`disabled: ${mode} right after the request, when the port answers SMB2`, async () => {
        const r = await start({ smb1: mode });
        const { smb } = await probeSmb('127.0.0.1', direct(r));
        assert.equal(smb.smb1, 'disabled');
        assert.equal(smb.smb1Evidence[0]!.received, mode === 'reset' ? 'reset' : 'closed');
        assert.equal(smb.smb1Evidence[0]!.bytes, 0);
      });
    }

    it('unknown: reset after the SMB1 request on a port that answers nothing else either', async () => {
      const r = await start({ smb1: 'reset', smb2: 'reset' });
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'unknown');
      assert.equal(smb.smb1Evidence[0]!.received, 'reset');
    });

    it('unknown: no answer (timeout), never disabled', async () => {
      const r = await start({ smb1: 'silent' });
      const { smb, errors } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'unknown');
      assert.equal(smb.smb1Evidence[0]!.received, 'timeout');
      assert.ok(errors.some((e) => e.step === 'smb1-negotiate' && e.status === 'timeout'));
      assert.deepEqual(smb.dialects, ALL.slice(1));
    });

    it('a busy server closing connections unanswered costs one more connection each, never an answer', async () => {
      // the all-dialect NEGOTIATE and the SMB1 probe are the first two connections
      const r = await start({ dropFirst: 2 });
      const { result, connections } = await probeSmbWithStats('127.0.0.1', direct(r));
      assert.equal(result.smb.smb1, 'enabled', JSON.stringify(result.smb.smb1Evidence));
      assert.deepEqual(result.smb.dialects, ALL);
      assert.notEqual(result.ntlm, null);
      assert.equal(connections, 8);
    });

    it('a NEGOTIATE left unanswered on a port that answers is asked again on a new connection', async () => {
      // connection 2 is the SMB1 probe's
      const r = await start({ silentConnections: [2] });
      const { result, connections } = await probeSmbWithStats('127.0.0.1', direct(r));
      assert.equal(result.smb.smb1, 'enabled', JSON.stringify(result.smb.smb1Evidence));
      assert.deepEqual(result.smb.dialects, ALL);
      assert.equal(connections, 7);
    });

    it('unknown: an SMB1 answer with an error status', async () => {
      const r = await start({ smb1: 'error-status' });
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'unknown');
      assert.equal(smb.smb1Evidence[0]!.status, 'STATUS_ACCESS_DENIED');
    });

    it('unknown: nothing listens (closed port), with the port reported closed', async () => {
      const r = await start();
      const port = r.directPort;
      await r.close();
      responder = null;
      const { smb } = await probeSmb('127.0.0.1', { ports: [{ port, transport: 'direct' }] });
      assert.equal(smb.ports[String(port)]!.status, 'closed');
      assert.equal(smb.smb1, 'unknown');
      assert.deepEqual(smb.dialects, []);
    });
  });

  describe('SMB2 dialects and signing', () => {
    for (const strategy of ['descending', 'each'] as const) {
      it(`lists exactly the accepted range 2.1 .. 3.0.2 (${strategy})`, async () => {
        const r = await start({ dialects: [0x0210, 0x0300, 0x0302], smb1: 'no-dialect' });
        const { result, connections } = await probeSmbWithStats('127.0.0.1', direct(r, { dialectStrategy: strategy }));
        assert.deepEqual(result.smb.dialects, ['2.1', '3.0', '3.0.2']);
        assert.equal(result.smb.highestDialect, '3.0.2');
        // all + smb1 + (3.0, 2.1, 2.0.2 refused) in both strategies
        assert.equal(connections, 5);
        assert.deepEqual(result.smb.negotiateContexts, []);
      });
    }

    it('needs only two SMB2 connections when only 3.1.1 is accepted (descending)', async () => {
      const r = await start({ dialects: [0x0311], smb1: 'no-dialect' });
      const { result, connections } = await probeSmbWithStats('127.0.0.1', direct(r, { dialectStrategy: 'descending' }));
      assert.deepEqual(result.smb.dialects, ['3.1.1']);
      assert.equal(connections, 3);
    });

    it('records 3.1.1 context answers, server facts and SPNEGO mechanisms', async () => {
      const r = await start();
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.deepEqual(smb.negotiateContexts.map((c) => c.type), ['PREAUTH_INTEGRITY', 'ENCRYPTION', 'SIGNING']);
      assert.deepEqual(smb.negotiateContexts[1]!.values, ['AES_128_GCM']);
      assert.equal(smb.serverGuidText, 'responder');
      assert.equal(smb.bootTime, null);
      assert.ok(smb.systemTime?.startsWith('20'));
      assert.deepEqual(smb.spnegoMechanisms, ['NTLMSSP']);
      assert.equal(smb.spnegoHint, 'not_defined_in_RFC4178@please_ignore');
      assert.equal(smb.maxReadSize, 8388608);
      assert.deepEqual(smb.capabilities, ['DFS', 'LEASING', 'LARGE_MTU', 'MULTI_CHANNEL']);
    });

    it('reads signing from SecurityMode for every dialect, 3.1.1 included (not assumed required)', async () => {
      const r = await start();
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.deepEqual(smb.signing, { enabled: true, required: false });
      const port = smb.ports[String(r.directPort)]!;
      for (const d of port.details) assert.equal(d.signing.required, false, d.dialect);
    });

    it('reports signing required', async () => {
      const r = await start({ signingRequired: true, smb1: 'no-dialect' });
      const { smb } = await probeSmb('127.0.0.1', direct(r));
      assert.deepEqual(smb.signing, { enabled: true, required: true });
      assert.ok(smb.ports[String(r.directPort)]!.details.every((d) => d.securityMode === 3));
    });

    it('offers random ClientGuid per run', async () => {
      const r = await start();
      await probeSmb('127.0.0.1', direct(r));
      await probeSmb('127.0.0.1', direct(r));
      assert.equal(new Set(r.log.clientGuids).size, 2);
    });
  });

  describe('NTLM host facts', () => {
    it('reads the CHALLENGE over SMB2 on the negotiate connection', async () => {
      const r = await start({
        ntlm: {
          targetName: 'CORP',
          avPairs: [
            { id: 2, name: 'MsvAvNbDomainName', value: 'CORP' },
            { id: 1, name: 'MsvAvNbComputerName', value: 'DC01' },
            { id: 4, name: 'MsvAvDnsDomainName', value: 'corp.example' },
            { id: 3, name: 'MsvAvDnsComputerName', value: 'dc01.corp.example' },
            { id: 5, name: 'MsvAvDnsTreeName', value: 'corp.example' },
          ],
          version: { productMajorVersion: 10, productMinorVersion: 0, productBuild: 17763, ntlmRevision: 15 },
        },
        smb1: 'no-dialect',
      });
      const { ntlm, result, connections } = await probeSmbWithStats('127.0.0.1', direct(r)).then((x) => ({ ...x, ntlm: x.result.ntlm }));
      assert.ok(ntlm);
      assert.equal(ntlm.via, 'smb2');
      assert.equal(ntlm.netbiosComputer, 'DC01');
      assert.equal(ntlm.netbiosDomain, 'CORP');
      assert.equal(ntlm.dnsComputer, 'dc01.corp.example');
      assert.equal(ntlm.dnsDomain, 'corp.example');
      assert.equal(ntlm.dnsTree, 'corp.example');
      assert.equal(ntlm.osVersion, '10.0.17763');
      assert.equal(ntlm.ntlmRevision, 15);
      assert.equal(ntlm.targetName, 'CORP');
      assert.equal(ntlm.port, r.directPort);
      assert.equal(r.log.smb2SessionSetups, 1);
      assert.equal(connections, 6); // no connection of its own
      assert.equal(result.smb.smb1, 'disabled');
    });

    it('uses the SMB1 session setup when the server has no SMB2, with NativeOS / NativeLanMan', async () => {
      const r = await start({ dialects: [], noCommonDialect: 'close', nativeOs: 'Windows 5.1', nativeLanMan: 'Windows 2000 LAN Manager' });
      const { smb, ntlm } = await probeSmb('127.0.0.1', direct(r));
      assert.deepEqual(smb.dialects, ['NT LM 0.12']);
      assert.equal(smb.smb1, 'enabled');
      assert.equal(smb.nativeOs, 'Windows 5.1');
      assert.equal(smb.nativeLanMan, 'Windows 2000 LAN Manager');
      assert.equal(smb.primaryDomain, 'SMBPLAB');
      assert.equal(ntlm?.via, 'smb1');
      assert.equal(ntlm?.netbiosComputer, 'RESPONDER');
      assert.deepEqual(smb.signing, { enabled: true, required: false });
    });

    it('skips the session setups with ntlm: false', async () => {
      const r = await start();
      const { ntlm } = await probeSmb('127.0.0.1', direct(r, { ntlm: false }));
      assert.equal(ntlm, null);
      assert.equal(r.log.smb2SessionSetups + r.log.smb1SessionSetups, 0);
    });
  });

  describe('port 139 (NBSS)', () => {
    it('falls back from the <20> name to *SMBSERVER, reporting the negative answer by name', async () => {
      const r = await start({ nbss: { accept: ['*SMBSERVER'] } });
      const { smb } = await probeSmb('127.0.0.1', nbss(r, { netbiosName: 'WRONG' }));
      const p = smb.ports[String(r.nbssPort)]!;
      assert.equal(p.status, 'open');
      assert.equal(p.nbss?.calledName, '*SMBSERVER');
      assert.deepEqual(p.nbss?.attempts.map((a) => [a.calledName, a.answer]), [
        ['WRONG', 'CALLED_NAME_NOT_PRESENT'],
        ['*SMBSERVER', 'POSITIVE_SESSION_RESPONSE'],
      ]);
      assert.deepEqual(p.dialects, ALL);
      // every later connection used the name that worked
      assert.deepEqual([...new Set(r.log.sessionRequests.slice(1).map((s) => s.called))], ['*SMBSERVER']);
    });

    it('then tries the first DNS label; all refused → error status, smb1 unknown', async () => {
      const r = await start({ nbss: { accept: ['NOPE'], negativeCode: 0x80 } });
      const { smb } = await probeSmb('127.0.0.1', nbss(r, { netbiosName: 'HOST', dnsName: 'fs1.corp.example' }));
      const p = smb.ports[String(r.nbssPort)]!;
      assert.equal(p.status, 'error');
      assert.deepEqual(p.nbss?.attempts.map((a) => a.calledName), ['HOST', '*SMBSERVER', 'FS1']);
      assert.ok(p.nbss?.attempts.every((a) => a.answer === 'NOT_LISTENING_ON_CALLED_NAME'));
      assert.equal(smb.smb1, 'unknown');
    });

    it('uses a random calling name per run', async () => {
      const r = await start();
      await probeSmb('127.0.0.1', nbss(r));
      await probeSmb('127.0.0.1', nbss(r));
      const names = new Set(r.log.sessionRequests.map((s) => s.calling));
      assert.equal(names.size, 2);
    });

    it('reports a retarget without following it', async () => {
      const r = await start({ nbss: { retarget: { address: '192.0.2.99', port: 139 } } });
      const { smb } = await probeSmb('127.0.0.1', nbss(r));
      const p = smb.ports[String(r.nbssPort)]!;
      assert.equal(p.status, 'error');
      assert.match(p.nbss!.attempts[0]!.answer, /^RETARGET_SESSION_RESPONSE 192\.0\.2\.99:139/);
    });

    it('a server closing after the positive answer gives unknown, not disabled', async () => {
      const r = await start({ nbss: { closeAfterPositive: true } });
      const { smb } = await probeSmb('127.0.0.1', nbss(r));
      assert.equal(smb.smb1, 'unknown');
    });

    it('candidate called names', () => {
      assert.deepEqual(calledNameCandidates('srv', 'srv.corp.example'), ['SRV', '*SMBSERVER']);
      assert.deepEqual(calledNameCandidates(null, '10.0.0.1'), ['*SMBSERVER']);
      assert.deepEqual(calledNameCandidates('A', 'averyveryverylonghostname.x'), ['A', '*SMBSERVER', 'AVERYVERYVERYLO']);
    });
  });

  describe('limits', () => {
    it('treats an answer announcing more than the byte cap as a protocol error', async () => {
      const r = await start({ announceLength: 0x20000 });
      const { smb, errors } = await probeSmb('127.0.0.1', direct(r));
      assert.equal(smb.smb1, 'unknown');
      assert.ok(errors.some((e) => e.status === 'protocol-error' && e.code === 'LIMIT'));
      assert.deepEqual(smb.dialects, []);
    });

    it('stops at the host deadline and on abort, returning a result', async () => {
      const r = await start({ smb1: 'silent', smb2: 'silent' });
      const t0 = Date.now();
      const a = await probeSmb('127.0.0.1', direct(r, { idleTimeoutMs: 10000, hostTimeoutMs: 200 }));
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(a.smb.smb1, 'unknown');
      assert.ok(a.errors.some((e) => e.status === 'timeout'));
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const b = await probeSmb('127.0.0.1', direct(r, { idleTimeoutMs: 10000, signal: ac.signal }));
      assert.ok(b.errors.some((e) => e.status === 'aborted'));
    });

    it('never has more than maxConnections open', async () => {
      const r = await start();
      const { maxOpen } = await probeSmbWithStats('127.0.0.1', {
        ports: [{ port: r.directPort, transport: 'direct' }, { port: r.nbssPort, transport: 'nbss' }],
        maxConnections: 2,
        dialectStrategy: 'each',
      });
      assert.ok(maxOpen <= 2);
    });

    it('combines ports: enabled on one port wins, dialect union in protocol order', async () => {
      const r = await start();
      const { smb } = await probeSmb('127.0.0.1', {
        ports: [{ port: r.directPort, transport: 'direct' }, { port: r.nbssPort, transport: 'nbss' }],
      });
      assert.equal(smb.smb1, 'enabled');
      assert.deepEqual(smb.dialects, ALL);
      assert.deepEqual(Object.keys(smb.ports).sort(), [String(r.directPort), String(r.nbssPort)].sort());
      assert.equal(smb.smb1Evidence.length, 2);
    });

    it('throws only for bad options', async () => {
      await assert.rejects(probeSmb('127.0.0.1', { ports: [{ port: 0, transport: 'direct' }] }), TypeError);
      await assert.rejects(probeSmb('127.0.0.1', { idleTimeoutMs: -5 }), TypeError);
    });
  });
});
