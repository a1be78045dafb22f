import { strict as assert } from 'node:assert';
import { FINDING_IDS, FINDING_RULES, computeFindings, hasFinding } from '../../src/scan/findings.js';
import type { HostResult, SmbPortResult, SmbResult } from '../../src/scan/result.js';

const DIALECTS = ['NT LM 0.12', '2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'];

function port(port: number, transport: 'direct' | 'nbss', over: Partial<SmbPortResult> = {}): SmbPortResult {
  return {
    port,
    transport,
    status: 'open',
    smb1: 'enabled',
    smb1Evidence: { port, sent: ['NT LM 0.12'], received: 'smb1-negotiate-response', status: 'STATUS_SUCCESS', dialectIndex: 0, dialect: 'NT LM 0.12', wordCount: 17, bytes: 115, reason: 'valid SMB1 NEGOTIATE response selecting NT LM 0.12' },
    dialects: DIALECTS,
    details: DIALECTS.map((d) => ({ dialect: d, securityMode: d === 'NT LM 0.12' ? 0x07 : 0x01, signing: { enabled: true, required: false }, capabilities: [] })),
    errors: [],
    ...(transport === 'nbss' ? { nbss: { calledName: 'SMBP-NT1', attempts: [{ calledName: 'SMBP-NT1', answer: 'positive' }] } } : {}),
    ...over,
  };
}

/** A Samba host with SMB1 on, signing auto, NetBIOS on: every standard finding applies. */
export function sampleHost(over: Partial<HostResult> = {}): HostResult {
  const p445 = port(445, 'direct');
  const p139 = port(139, 'nbss');
  const smb: SmbResult = {
    ports: { '445': p445, '139': p139 },
    dialects: DIALECTS,
    smb1: 'enabled',
    smb1Evidence: [p445.smb1Evidence!, p139.smb1Evidence!],
    signing: { enabled: true, required: false },
    capabilities: ['DFS', 'LEASING', 'LARGE_MTU'],
    highestDialect: '3.1.1',
    serverGuid: '2d626d73-746e-0031-0000-000000000000',
    serverGuidText: 'smbp-nt1',
    systemTime: '2026-11-25T19:16:25.000Z',
    bootTime: null,
    maxTransactSize: 8388608,
    maxReadSize: 8388608,
    maxWriteSize: 8388608,
    spnegoMechanisms: ['NTLMSSP'],
    spnegoHint: 'not_defined_in_RFC4178@please_ignore',
    negotiateContexts: [],
    nativeOs: null,
    nativeLanMan: null,
    primaryDomain: null,
  };
  return {
    host: '192.0.2.11',
    address: '192.0.2.11',
    nbstat: {
      status: 'ok',
      names: [
        { name: 'SMBP-NT1', suffix: 0x00, group: false, nodeType: 'B', active: true, permanent: false, conflict: false, deregistering: false, flags: 0x0400, service: 'Workstation Service' },
        { name: 'SMBP-NT1', suffix: 0x20, group: false, nodeType: 'B', active: true, permanent: false, conflict: false, deregistering: false, flags: 0x0400, service: 'File Server Service' },
        { name: '\x01\x02__MSBROWSE__\x02', suffix: 0x01, group: true, nodeType: 'B', active: true, permanent: false, conflict: false, deregistering: false, flags: 0x8400, service: 'Master Browser' },
        { name: 'SMBPLAB', suffix: 0x00, group: true, nodeType: 'B', active: true, permanent: false, conflict: false, deregistering: false, flags: 0x8400, service: 'Domain Name' },
      ],
      mac: '00:00:00:00:00:00',
      macVendor: null,
      macAllZero: true,
      computerName: 'SMBP-NT1',
      workgroup: 'SMBPLAB',
      users: [],
      roles: ['file-server', 'master-browser'],
      statistics: null,
      warnings: [],
      rttMs: 1,
    },
    smb,
    ntlm: {
      netbiosComputer: 'SMBP-NT1',
      netbiosDomain: 'SMBPLAB',
      dnsComputer: 'smbp-nt1',
      dnsDomain: '',
      dnsTree: null,
      osVersion: '6.1.0',
      ntlmRevision: 15,
      targetName: 'SMBP-NT1',
      timestamp: null,
      negotiateFlags: [],
      via: 'smb2',
      port: 445,
    },
    findings: [],
    errors: [],
    startedAt: '2026-11-25T19:16:25.000Z',
    durationMs: 412,
    ...over,
  };
}

const ids = (r: HostResult) => computeFindings(r).map((f) => f.id);

describe('findings', () => {
  it('an SMB1 / unsigned / NetBIOS host gets every standard finding, most severe first', () => {
    const f = computeFindings(sampleHost());
    assert.deepEqual(f.map((x) => x.id), ['smb1-enabled', 'signing-not-required', 'netbios-exposed', 'smb-over-netbios', 'ntlm-info-disclosure']);
    assert.deepEqual(f.map((x) => x.severity), ['high', 'medium', 'low', 'info', 'info']);
    for (const x of f) {
      assert.ok(x.title.length > 0);
      assert.ok(x.evidence.length > 0 && x.evidence.every((e) => typeof e === 'string' && e.length > 0));
    }
    // evidence is what was sent and what came back
    const smb1 = f[0]!.evidence.join('\n');
    assert.match(smb1, /NT LM 0\.12/);
    assert.match(smb1, /DialectIndex 0/);
    assert.match(smb1, /WordCount 17/);
    assert.equal(f[1]!.evidence.length, 4, 'one line per port and SecurityMode (SMB1 0x07, SMB2 0x01)');
  });

  it('smb1-enabled needs the verdict enabled: unknown and disabled never count', () => {
    for (const v of ['unknown', 'disabled'] as const) {
      const r = sampleHost();
      r.smb!.smb1 = v;
      for (const p of Object.values(r.smb!.ports)) p.smb1 = v;
      assert.ok(!ids(r).includes('smb1-enabled'), v);
    }
  });

  it('mandatory signing everywhere: no signing-not-required', () => {
    const r = sampleHost();
    r.smb!.signing = { enabled: true, required: true };
    for (const p of Object.values(r.smb!.ports)) for (const d of p.details) d.signing = { enabled: true, required: true };
    assert.ok(!ids(r).includes('signing-not-required'));
  });

  it('signing unknown (no negotiate succeeded) is not a finding', () => {
    const r = sampleHost();
    r.smb!.signing = { enabled: null, required: null };
    for (const p of Object.values(r.smb!.ports)) p.details = [];
    assert.ok(!ids(r).includes('signing-not-required'));
  });

  it('NetBIOS off: no netbios-exposed, no smb-over-netbios', () => {
    const r = sampleHost();
    r.nbstat = { ...r.nbstat!, status: 'timeout', names: [] };
    r.smb!.ports['139'] = { ...r.smb!.ports['139']!, status: 'closed' };
    const got = ids(r);
    assert.ok(!got.includes('netbios-exposed') && !got.includes('smb-over-netbios'));
  });

  it('SMB1 as the only dialect is smb1-only', () => {
    const r = sampleHost();
    r.smb!.dialects = ['NT LM 0.12'];
    assert.ok(ids(r).includes('smb1-only'));
    assert.ok(!ids(sampleHost()).includes('smb1-only'));
  });

  it('no SMB and no NetBIOS: no findings', () => {
    assert.deepEqual(ids(sampleHost({ smb: null, nbstat: null, ntlm: null })), []);
  });

  it('rules are data with unique ids; hasFinding matches --fail-on ids', () => {
    assert.equal(new Set(FINDING_IDS).size, FINDING_RULES.length);
    const f = computeFindings(sampleHost());
    assert.ok(hasFinding(f, new Set(['smb1-enabled'])));
    assert.ok(!hasFinding(f, new Set(['smb1-only'])));
    assert.ok(!hasFinding(f, new Set()));
  });
});
