import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  WINDOWS_RELEASES,
  defaultRules,
  fingerprint,
  fingerprintLabel,
  matchRules,
  releasesByBuildNumber,
  releasesByNtlmVersion,
  type FingerprintRule,
  type WindowsRelease,
} from '../../src/fingerprint/index.js';
import { emptyNbstatResult } from '../../src/probe/nbstat.js';
import type { OsFingerprint } from '../../src/scan/result.js';
import {
  HINT,
  RANDOM_GUID,
  SAMBA_VERSION,
  WIN_WORKGROUP_MECHS,
  corpusSvvPc1,
  corpusZdc1,
  ctx,
  domainNtlm,
  hostWith,
  labLanman,
  labNonb,
  labNt1,
  labSmb3,
  nbstatWith,
  ntlmWith,
  smb1Host,
  smbWith,
  workgroupNtlm,
} from './fingerprint-hosts.js';

function release(id: string): WindowsRelease {
  const r = WINDOWS_RELEASES.find((x) => x.id === id);
  assert.ok(r, `release ${id} in the table`);
  return r;
}

/** The single release with this installed build number and kind, from the table. */
function releaseByBuild(build: number, kind: 'client' | 'server'): WindowsRelease {
  const rs = releasesByBuildNumber(build).filter((r) => r.kind === kind);
  assert.equal(rs.length, 1, `one ${kind} release with build ${build}`);
  return rs[0]!;
}

function expectRelease(os: OsFingerprint, r: WindowsRelease): void {
  assert.equal(os.family, 'Windows');
  assert.equal(os.product, r.product);
  assert.equal(os.build, r.build);
  assert.equal(os.version, r.version);
  assert.equal(os.role, r.kind);
}

const majorMinor = (v: string) => v.split('.').slice(0, 2).join('.');
const rulesUsed = (os: OsFingerprint) => os.evidence.map((e) => e.rule);

describe('fingerprint: the lab\'s Samba hosts', () => {
  for (const [name, make, version] of [
    ['nt1 (SMBv1 on: NativeLanMan carries the version)', labNt1, SAMBA_VERSION],
    ['lanman (SMBv1 on, no nmbd)', labLanman, SAMBA_VERSION],
    // SMBv1 off: no string carries the version, but SMB 3.x on a Samba host says Samba 4
    ['smb3 (SMBv1 off: only the major version, from SMB 3.x)', labSmb3, '4'],
    ['nonb (no NetBIOS, SMBv1 off)', labNonb, '4'],
  ] as const) {
    it(name, () => {
      const os = fingerprint(make());
      assert.equal(os.family, 'Samba');
      assert.equal(os.product, 'Samba');
      assert.equal(os.version, version);
      assert.equal(os.build, null);
      assert.deepEqual(os.conflicts, []);
      assert.ok(os.confidence >= 0.9, `confidence ${os.confidence}`);
      assert.ok(rulesUsed(os).includes('ntlm-samba-version'));
      assert.ok(rulesUsed(os).includes('smb2-guid-netbios-name'));
      assert.equal(fingerprintLabel(os), `Samba ${majorMinor(version)}`);
    });
  }

  it('NTLM 6.1.0 alone says Samba, without a version', () => {
    const os = fingerprint(hostWith({ ntlm: ntlmWith({ osVersion: '6.1.0' }) }));
    assert.equal(os.family, 'Samba');
    assert.equal(os.version, null);
    assert.ok(os.confidence > 0 && os.confidence < fingerprint(labNt1()).confidence);
  });

  it('the all-zero NBSTAT MAC is part of the evidence', () => {
    const os = fingerprint(labNt1());
    const e = os.evidence.find((x) => x.rule === 'nbstat-mac-all-zero');
    assert.ok(e);
    assert.equal(e.signal, 'nbstat.macAllZero');
    assert.equal(e.value, '00:00:00:00:00:00');
  });
});

describe('fingerprint: Windows hosts of the corpus', () => {
  it('10.0.17763 with <1C>: Windows Server 2019 domain controller', () => {
    const h = corpusSvvPc1();
    h.nbstat = nbstatWith([['WIN-SVV-PC1', 0x00, false], ['SVV', 0x00, true], ['SVV', 0x1c, true], ['WIN-SVV-PC1', 0x20, false]], '0a:02:d7:5e:97:02');
    const os = fingerprint(h);
    const r = release('server-2019');
    assert.equal(os.product, r.product);
    assert.equal(os.build, r.build);
    assert.equal(os.role, 'domain-controller');
    assert.deepEqual(os.conflicts, []);
    assert.equal(fingerprintLabel(os), `${r.product} (${r.build})`);
  });

  it('10.0.17763 with nothing that tells client from server: both, with lower confidence', () => {
    const os = fingerprint(corpusSvvPc1());
    const rs = releasesByNtlmVersion('10.0.17763');
    assert.equal(rs.length, 2);
    assert.equal(os.family, 'Windows');
    assert.equal(os.role, null);
    for (const r of rs) assert.ok(os.product!.includes(r.product.replace(/^Windows /, '')), `${os.product} names ${r.product}`);
    assert.equal(os.build, '10.0.17763');
    const dc = corpusSvvPc1();
    dc.nbstat = nbstatWith([['SVV', 0x1c, true]], '0a:02:d7:5e:97:02');
    assert.ok(os.confidence < fingerprint(dc).confidence);
  });

  it('10.0.14393 alone: "Windows 10 1607 / Server 2016"', () => {
    const os = fingerprint(hostWith({ ntlm: domainNtlm('10.0.14393', 'AD', 'FOO', 'foo.test') }));
    const c = release('win10-1607');
    const s = release('server-2016');
    assert.equal(os.product, `${c.product} ${c.version} / ${s.product.replace(/^Windows /, '')}`);
    assert.equal(fingerprintLabel(os), `${os.product} (${c.build})`);
  });

  it('10.0.20348 (Server 2022 DC of samr-enum-lab)', () => {
    const os = fingerprint(corpusZdc1());
    const r = release('server-2022');
    assert.equal(os.product, r.product);
    assert.equal(os.build, r.build);
    assert.equal(os.role, 'domain-controller');
    assert.deepEqual(os.conflicts, []);
    for (const id of ['ntlm-build-10.0.20348', 'smb2-context-rdma-transport', 'smb2-context-compression', 'smb2-spnego-negoex', 'nbstat-domain-controller']) {
      assert.ok(rulesUsed(os).includes(id), id);
    }
  });

  it('6.1.7601 + NativeOS "Windows 7 Enterprise 7601 Service Pack 1": Windows 7 SP1', () => {
    const os = fingerprint(smb1Host('Windows 7 Enterprise 7601 Service Pack 1', 'Windows 7 Enterprise 6.1', workgroupNtlm('6.1.7601', 'IE11WIN7', 'smb')));
    const r = releaseByBuild(7601, 'client');
    expectRelease(os, r);
    assert.equal(fingerprintLabel(os), `${r.product} ${r.version} (${r.build})`);
    assert.deepEqual(os.conflicts, []);
  });

  it('NativeOS "Windows 7 Ultimate 7601 Service Pack 1" alone (ndpi smbv1.pcap)', () => {
    expectRelease(fingerprint(smb1Host('Windows 7 Ultimate 7601 Service Pack 1', 'Windows 7 Ultimate 6.1')), releaseByBuild(7601, 'client'));
  });

  it('10.0.19041 + NativeOS "Windows 10 Pro 19045": 22H2 (NTLM reports the enablement package\'s base build)', () => {
    const os = fingerprint(smb1Host('Windows 10 Pro 19045', 'Windows 10 Pro 6.3', workgroupNtlm('10.0.19041', 'DESKTOP-9K5KDLS', 'smb')));
    const r = releaseByBuild(19045, 'client');
    assert.equal(r.ntlmBuild, '10.0.19041');
    expectRelease(os, r);
    assert.deepEqual(os.conflicts, []);
  });

  it('10.0.19041 alone: the 2004..22H2 family, build as NTLM reports it', () => {
    const os = fingerprint(hostWith({ ntlm: workgroupNtlm('10.0.19041', 'DESKTOP-9K5KDLS') }));
    const rs = releasesByNtlmVersion('10.0.19041');
    assert.ok(rs.length > 2);
    assert.equal(os.family, 'Windows');
    assert.equal(os.build, '10.0.19041');
    assert.equal(os.version, `${rs[0]!.version}–${rs.filter((r) => r.kind === 'client').at(-1)!.version}`);
  });

  for (const [nativeOs, lanman, build, kind] of [
    ['Windows Server 2008 R2 Standard 7601 Service Pack 1', 'Windows Server 2008 R2 Standard 6.1', 7601, 'server'],
    ['Windows Server 2008 R2 Datacenter 7601 Service Pack 1', 'Windows Server 2008 R2 Datacenter 6.1', 7601, 'server'],
    ['Windows Server 2012 R2 Datacenter Evaluation 9600', 'Windows Server 2012 R2 Datacenter Evaluation 6.3', 9600, 'server'],
    ['Windows Server 2016 Standard 14393', 'Windows Server 2016 Standard 6.3', 14393, 'server'],
    ['Windows Server 2019 Standard 17763', 'Windows Server 2019 Standard 6.3', 17763, 'server'],
    ['Windows 8.1 9600', 'Windows 8.1 6.3', 9600, 'client'],
    ['Windows 10 Enterprise Evaluation 10586', 'Windows 10 Enterprise Evaluation 6.3', 10586, 'client'],
  ] as const) {
    it(`NativeOS "${nativeOs}"`, () => {
      const os = fingerprint(smb1Host(nativeOs, lanman));
      const r = releaseByBuild(build, kind);
      expectRelease(os, r);
      assert.equal(fingerprintLabel(os), `${r.product}${r.version && !/\d{4}$/.test(r.product) ? ` ${r.version}` : ''} (${r.build})`);
    });
  }

  it('NTLM agrees with NativeOS: Server 2019 with 10.0.17763 (suricata-verify output-eve-smb-01)', () => {
    const os = fingerprint(smb1Host('Windows Server 2019 Standard 17763', 'Windows Server 2019 Standard 6.3', workgroupNtlm('10.0.17763', 'WIN-MV8B5VI0FAL', 'smb')));
    expectRelease(os, release('server-2019'));
    assert.deepEqual(os.conflicts, []);
  });

  it('Windows 2008 R2 SP1 DC with NTLM and DNS tree (arkime smb-smb1-ascii)', () => {
    const os = fingerprint(smb1Host('Windows Server 2008 R2 Standard 7601 Service Pack 1', 'Windows Server 2008 R2 Standard 6.1', domainNtlm('6.1.7601', 'DC3', 'LAB', 'lab.domain.ex')));
    expectRelease(os, release('server-2008r2-sp1'));
    assert.ok(rulesUsed(os).includes('ntlm-dns-tree'));
  });

  it('XP: NTLM 5.1.2600 + NativeOS "Windows 5.1" (zeek raw_ntlm_in_smb)', () => {
    const os = fingerprint(smb1Host('Windows 5.1', 'Windows 2000 LAN Manager', workgroupNtlm('5.1.2600', 'TEST-F7DFBC3FE9', 'smb')));
    expectRelease(os, release('winxp'));
  });

  it('Windows 2000: NativeOS "Windows 5.0" (zeek smb_gssapi)', () => {
    const os = fingerprint(smb1Host('Windows 5.0', 'Windows 2000 LAN Manager'));
    const r = release('win2000');
    assert.equal(os.product, r.product);
    assert.equal(os.build, r.build);
  });

  it('XP client string with a service pack: "Windows 2002 Service Pack 2 2600"', () => {
    const os = fingerprint(smb1Host('Windows 2002 Service Pack 2 2600', 'Windows 2002 5.1'));
    assert.equal(os.product, release('winxp').product);
    assert.equal(os.version, 'SP2');
  });

  it('a build the table lacks (Longhorn beta 6.0.5231): Windows, build from NTLM', () => {
    const os = fingerprint(smb1Host('Windows (TM) Code Name "Longhorn" Ultimate 5231', 'Windows (TM) Code Name "Longhorn" Ultimate 6.0', workgroupNtlm('6.0.5231', 'VISTA2', 'smb')));
    assert.equal(os.family, 'Windows');
    assert.equal(os.build, '6.0.5231');
    assert.equal(os.role, 'client');
    assert.ok(releasesByNtlmVersion('6.0.5231').length === 0);
  });

  it('6.0.6001 over SMB 2.0.2 with a boot time (zeek smb2.pcap): Vista SP1 / Server 2008', () => {
    const os = fingerprint(hostWith({
      smb: smbWith({ dialects: ['2.0.2'], highestDialect: '2.0.2', serverGuid: RANDOM_GUID, bootTime: '2011-12-06T20:14:24.7812500Z', spnegoMechanisms: ['MS-KRB5', 'KRB5', 'KRB5-U2U', 'NTLMSSP'], spnegoHint: HINT }),
      ntlm: domainNtlm('6.0.6001', 'SERVER002', 'CONTOSO', 'contoso.com'),
    }));
    assert.equal(os.family, 'Windows');
    assert.equal(os.build, '6.0.6001');
    for (const r of releasesByNtlmVersion('6.0.6001')) assert.ok(os.product!.includes(r.product.replace(/^Windows /, '')));
    assert.deepEqual(os.conflicts, []);
  });

  it('workgroup Windows 10 1511 over SMB2 (NEGOEX + NTLMSSP, no hint, boot time)', () => {
    const os = fingerprint(hostWith({
      smb: smbWith({ dialects: ['3.0.2', '3.1.1'], highestDialect: '3.1.1', serverGuid: RANDOM_GUID, bootTime: '2016-10-16T08:08:51.2721825Z', spnegoMechanisms: WIN_WORKGROUP_MECHS, negotiateContexts: ctx('PREAUTH_INTEGRITY', 'ENCRYPTION') }),
      ntlm: workgroupNtlm('10.0.10586', 'DESKTOP-V1FA0UQ'),
    }));
    expectRelease(os, release('win10-1511'));
    assert.ok(rulesUsed(os).includes('smb2-spnego-no-hint'));
    assert.ok(rulesUsed(os).includes('smb2-boot-time-set'));
  });

  it('only SMB2 answers (zeek SMBGhost.pcap): Windows 10 1903 or later, no product', () => {
    const os = fingerprint(hostWith({
      smb: smbWith({ dialects: ['3.1.1'], highestDialect: '3.1.1', serverGuid: RANDOM_GUID, spnegoMechanisms: WIN_WORKGROUP_MECHS, negotiateContexts: ctx('PREAUTH_INTEGRITY', 'COMPRESSION') }),
    }));
    assert.equal(os.family, 'Windows');
    assert.equal(os.product, null);
    assert.ok(os.confidence > 0 && os.confidence < 0.9);
    assert.equal(fingerprintLabel(os), 'Windows');
  });
});

describe('fingerprint: other SMB servers of the corpus', () => {
  it('QNAP: NativeOS "QTS", NativeLanMan "Samba 4.4.16", NTLM 6.1.0', () => {
    const os = fingerprint(smb1Host('QTS', 'Samba 4.4.16', workgroupNtlm('6.1.0', 'TS412', 'smb')));
    assert.equal(os.family, 'Samba');
    assert.equal(os.product, 'Samba (QNAP QTS)');
    assert.equal(os.version, '4.4.16');
    assert.equal(fingerprintLabel(os), 'Samba 4.4 (QNAP QTS)');
  });

  it('Samba 4.7.4: "Windows 6.1" / "Samba 4.7.4"', () => {
    const os = fingerprint(smb1Host('Windows 6.1', 'Samba 4.7.4'));
    assert.equal(fingerprintLabel(os), 'Samba 4.7');
  });

  it('Samba 3.6.3: "Unix" / "Samba 3.6.3"', () => {
    const os = fingerprint(smb1Host('Unix', 'Samba 3.6.3'));
    assert.equal(os.family, 'Samba');
    assert.equal(os.version, '3.6.3');
  });

  it('macOS: "Mac OS X 10.10" / "SMBFS 3.0.0"', () => {
    const os = fingerprint(smb1Host('Mac OS X 10.10', 'SMBFS 3.0.0'));
    assert.equal(os.family, 'macOS');
    assert.equal(os.version, '10.10');
    assert.equal(fingerprintLabel(os), 'macOS 10.10');
  });
});

describe('fingerprint: disagreeing signals', () => {
  it('NativeOS Windows 7 but NTLM 10.0.17763: a conflict, lower confidence', () => {
    const agree = fingerprint(smb1Host('Windows 7 Enterprise 7601 Service Pack 1', 'Windows 7 Enterprise 6.1', workgroupNtlm('6.1.7601', 'X', 'smb')));
    const os = fingerprint(smb1Host('Windows 7 Enterprise 7601 Service Pack 1', 'Windows 7 Enterprise 6.1', workgroupNtlm('10.0.17763', 'X', 'smb')));
    assert.equal(os.conflicts.length, 1);
    assert.match(os.conflicts[0]!, /ntlm\.osVersion = 10\.0\.17763/);
    assert.ok(os.confidence < agree.confidence);
    assert.ok(!rulesUsed(os).includes('ntlm-build-10.0.17763'));
  });

  it('Samba strings but a Windows NTLM version', () => {
    const h = labNt1();
    h.ntlm = workgroupNtlm('10.0.20348', 'SMBP-NT1');
    const os = fingerprint(h);
    assert.equal(os.family, 'Samba');
    assert.ok(os.conflicts.some((c) => c.includes('ntlm-build-10.0.20348')));
    assert.ok(os.confidence < fingerprint(labNt1()).confidence);
  });

  it('a client NativeOS with a domain controller name: the DC role is the conflict', () => {
    const h = smb1Host('Windows 10 Pro 19045', 'Windows 10 Pro 6.3');
    h.nbstat = nbstatWith([['DESKTOP', 0x00, false], ['CORP', 0x1c, true]], '00:15:5d:00:00:01');
    const os = fingerprint(h);
    assert.equal(os.role, 'client');
    assert.ok(os.conflicts.some((c) => c.includes('nbstat-domain-controller')));
  });

  it('two Samba versions', () => {
    const h = labNt1();
    h.smb!.nativeLanMan = 'Samba 4.17.12-Debian';
    const extra: FingerprintRule = {
      id: 'test-other-version',
      signal: 'smb.primaryDomain',
      description: 'test: a second version signal',
      predicate: (v) => v === 'SMBPLAB',
      conclusion: { families: ['Samba'], version: '4.15.0', weight: 0.2 },
      source: 'test',
    };
    const os = fingerprint(h, { rules: [...defaultRules, extra] });
    assert.equal(os.version, SAMBA_VERSION);
    assert.ok(os.conflicts.some((c) => c.includes('test-other-version')));
  });
});

describe('fingerprint: custom rules', () => {
  const ksmbd: FingerprintRule = {
    id: 'test-ksmbd-guid',
    signal: 'smb.serverGuidText',
    description: 'test: a product the default table does not know',
    predicate: (v) => v === 'ksmbd-test',
    conclusion: { families: ['ksmbd'], weight: 0.9, supports: 'ksmbd' },
    source: 'test',
  };

  it('a new family from one entry', () => {
    const h = hostWith({ smb: smbWith({ serverGuidText: 'ksmbd-test', dialects: ['3.1.1'], highestDialect: '3.1.1' }) });
    const without = fingerprint(h);
    const os = fingerprint(h, { rules: [...defaultRules, ksmbd] });
    assert.equal(os.family, 'ksmbd');
    assert.equal(os.product, 'ksmbd');
    assert.ok(os.evidence.some((e) => e.rule === ksmbd.id && e.value === 'ksmbd-test' && e.supports === 'ksmbd'));
    // the default GUID-text rule (Samba) disagrees with it
    assert.equal(without.family, 'Samba');
    assert.ok(os.conflicts.some((c) => c.includes('smb2-guid-text')));
  });

  it('a custom candidate refining a default one', () => {
    const rule: FingerprintRule = {
      id: 'test-synology',
      signal: 'nbstat.macVendor',
      description: 'test: Synology MAC',
      predicate: (v) => v === 'Synology Incorporated',
      conclusion: { releases: ['samba-synology'], weight: 0.5 },
      source: 'test',
    };
    const h = labSmb3();
    h.nbstat = { ...h.nbstat!, macVendor: 'Synology Incorporated' };
    const os = fingerprint(h, {
      rules: [...defaultRules, rule],
      candidates: [{ id: 'samba-synology', family: 'Samba', product: 'Samba (Synology DSM)', version: null, build: null, ntlmBuild: null, kind: null, refines: 'samba' }],
    });
    assert.equal(os.product, 'Samba (Synology DSM)');
    assert.deepEqual(os.conflicts, []);
  });

  it('a rule table without defaults', () => {
    assert.equal(fingerprint(labNt1(), { rules: [] }).family, null);
  });
});

describe('fingerprintLabel', () => {
  const base: OsFingerprint = { family: null, product: null, version: null, build: null, role: null, confidence: 0, evidence: [], conflicts: [] };
  it('formats the table column', () => {
    const s2019 = release('server-2019');
    assert.equal(fingerprintLabel({ ...base, family: 'Windows', product: s2019.product, version: s2019.version, build: s2019.build }), `${s2019.product} (${s2019.build})`);
    const w7 = release('win7-sp1');
    assert.equal(fingerprintLabel({ ...base, family: 'Windows', product: w7.product, version: w7.version, build: w7.build }), `${w7.product} ${w7.version} (${w7.build})`);
    assert.equal(fingerprintLabel({ ...base, family: 'Samba', product: 'Samba', version: SAMBA_VERSION }), `Samba ${majorMinor(SAMBA_VERSION)}`);
    assert.equal(fingerprintLabel({ ...base, family: 'Samba', product: 'Samba' }), 'Samba');
    assert.equal(fingerprintLabel(base), 'unknown');
    assert.equal(fingerprintLabel(null), 'unknown');
    assert.equal(fingerprintLabel(undefined), 'unknown');
  });
});

describe('fingerprint: properties', () => {
  const text = fc.oneof(fc.constant(null), fc.string({ maxLength: 40 }), fc.constantFrom('6.1.0', '10.0.17763', '10.0.19041', 'Windows 6.1', 'Samba 4.17.12', 'QTS', 'Windows 10 Pro 19045', ''));
  const strings = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('3.1.1', '2.1', 'NT LM 0.12', 'NEGOEX', 'NTLMSSP', 'domain-controller', 'DIRECTORY_LEASING')), { maxLength: 6 });
  const arbHost = fc.record({
    osVersion: text, dnsDomain: text, dnsTree: text, nb: text, nativeOs: text, lanman: text, guidText: text, boot: text, hint: text,
    dialects: strings, mechs: strings, caps: strings, ctxs: strings, macZero: fc.boolean(), dc: fc.boolean(),
  }).map((r) => hostWith({
    nbstat: r.dc || r.macZero ? nbstatWith(r.dc ? [['D', 0x1c, true]] : [['H', 0x20, false]], r.macZero ? '00:00:00:00:00:00' : '00:15:5d:00:00:01') : null,
    smb: smbWith({ dialects: r.dialects, spnegoMechanisms: r.mechs, capabilities: r.caps, negotiateContexts: ctx(...r.ctxs), nativeOs: r.nativeOs, nativeLanMan: r.lanman, serverGuidText: r.guidText, serverGuid: r.guidText === null ? null : RANDOM_GUID, bootTime: r.boot, spnegoHint: r.hint }),
    ntlm: ntlmWith({ osVersion: r.osVersion, dnsDomain: r.dnsDomain, dnsTree: r.dnsTree, netbiosComputer: r.nb }),
  }));

  it('total, deterministic, JSON-safe, confidence in [0, 1), evidence names real rules', () => {
    const ids = new Set(defaultRules.map((r) => r.id));
    fc.assert(
      fc.property(arbHost, (h) => {
        const os = fingerprint(h);
        assert.deepEqual(fingerprint(h), os);
        assert.deepEqual(JSON.parse(JSON.stringify(os)), os);
        assert.ok(os.confidence >= 0 && os.confidence < 1);
        for (const e of os.evidence) assert.ok(ids.has(e.rule));
        if (os.family === null && os.product === null) assert.equal(fingerprintLabel(os), 'unknown');
        assert.equal(typeof fingerprintLabel(os), 'string');
      }),
      { numRuns: 300 },
    );
  });

  it('the default rules read only SMB, NTLM and the NBSTAT roles, MAC flag and computer name; a host without these matches none', () => {
    for (const r of defaultRules) assert.ok(/^(smb|ntlm)\.|^nbstat\.(roles|macAllZero|computerName)$/.test(r.signal), `${r.id} reads ${r.signal}`);
    // every way a host ends without an answer: no default rule matches, with or without the skip
    const statuses = ['timeout', 'unreachable', 'refused', 'error', 'aborted', 'protocol-error', 'skipped'] as const;
    const silent = [hostWith(), ...statuses.map((s) => hostWith({ nbstat: { ...emptyNbstatResult(s, { step: 'nbstat', status: s === 'skipped' ? 'error' : s, message: 'x' }), warnings: ['w'] } }))];
    const withNames = hostWith({ nbstat: nbstatWith([['WG', 0x00, true], ['WG', 0x1e, true]], '00:15:5d:00:00:01') });
    for (const h of [...silent, withNames]) {
      assert.deepEqual(matchRules(h), []);
      assert.deepEqual(fingerprint(h), fingerprint(h, { rules: [...defaultRules] }));
    }
  });

  it('an empty host is unknown', () => {
    const os = fingerprint(hostWith());
    assert.deepEqual(os, { family: null, product: null, version: null, build: null, role: null, confidence: 0, evidence: [], conflicts: [] });
  });
});
