/**
 * Every rule of the default table: a host it matches, a host it does not, and what the match
 * concludes when it is the only rule. A rule added to the table without a case here fails the
 * coverage test.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import {
  WINDOWS_RELEASES,
  compareBuilds,
  defaultRules,
  fingerprint,
  matchRules,
  parseWindowsNativeOs,
  sambaVersionOf,
  type FingerprintRule,
} from '../../src/fingerprint/index.js';
import type { HostResult, OsFingerprint } from '../../src/scan/result.js';
import { RANDOM_GUID, ctx, hostWith, labNt1, labSmb3, nbstatWith, ntlmWith, smbWith, workgroupNtlm } from './fingerprint-hosts.js';

interface Case {
  yes: HostResult;
  no: HostResult;
  /** What the rule alone concludes on `yes`. */
  expect: (os: OsFingerprint) => void;
}

const smb = (p: Parameters<typeof smbWith>[0]) => hostWith({ smb: smbWith(p) });
const ntlm = (p: Parameters<typeof ntlmWith>[0]) => hostWith({ ntlm: ntlmWith(p) });
const family = (f: string | null) => (os: OsFingerprint) => assert.equal(os.family, f);
const windowsFrom = (min: string) => (os: OsFingerprint) => {
  assert.equal(os.family, 'Windows');
  // the rule alone leaves every release from `min` on: nothing older
  assert.ok(os.build === null || compareBuilds(os.build, min) >= 0);
};
/** The rule alone leaves Windows and something else: no family. */
const mixed = (os: OsFingerprint) => assert.equal(os.family, null);
const informational = (os: OsFingerprint) => {
  assert.equal(os.family, null);
  assert.equal(os.confidence, 0);
  assert.equal(os.evidence.length, 1);
};

const CASES: Record<string, Case> = {
  'ntlm-samba-version': { yes: ntlm({ osVersion: '6.1.0' }), no: ntlm({ osVersion: '6.1.7601' }), expect: family('Samba') },
  'ntlm-windows-unlisted-build': { yes: ntlm({ osVersion: '6.0.5231' }), no: ntlm({ osVersion: '6.1.0' }), expect: family('Windows') },
  'ntlm-empty-dns-domain': { yes: ntlm({ dnsDomain: '' }), no: ntlm({ dnsDomain: 'corp.example' }), expect: mixed },
  'ntlm-workgroup-windows': {
    yes: hostWith({ ntlm: workgroupNtlm('10.0.19041', 'DESKTOP-1') }),
    no: ntlm({ netbiosComputer: 'DC1', dnsDomain: 'corp.example', dnsTree: 'corp.example' }),
    expect: family('Windows'),
  },
  'ntlm-dns-tree': { yes: ntlm({ dnsTree: 'corp.example' }), no: ntlm({ dnsTree: null }), expect: informational },
  'smb-native-os-windows-build': {
    yes: smb({ nativeOs: 'Windows Server 2016 Standard 14393' }),
    no: smb({ nativeOs: 'Windows 6.1' }),
    expect: (os) => {
      const r = WINDOWS_RELEASES.find((x) => x.build.endsWith('.14393') && x.kind === 'server')!;
      assert.equal(os.product, r.product);
      assert.equal(os.role, 'server');
    },
  },
  'smb-native-os-nt-version': {
    yes: smb({ nativeOs: 'Windows 5.1' }),
    no: smb({ nativeOs: 'Windows 6.1' }),
    expect: (os) => assert.equal(os.build, WINDOWS_RELEASES.find((r) => r.build.startsWith('5.1.'))!.build),
  },
  'smb-native-os-samba': { yes: smb({ nativeOs: 'Windows 6.1' }), no: smb({ nativeOs: 'Windows 7 Ultimate 7601 Service Pack 1' }), expect: family('Samba') },
  'smb-native-os-unix': { yes: smb({ nativeOs: 'Unix' }), no: smb({ nativeOs: 'Unixware' }), expect: family('Samba') },
  'smb-native-os-qts': { yes: smb({ nativeOs: 'QTS' }), no: smb({ nativeOs: 'QTS2' }), expect: (os) => assert.equal(os.product, 'Samba (QNAP QTS)') },
  'smb-native-os-macos': {
    yes: smb({ nativeOs: 'Mac OS X 10.10' }),
    no: smb({ nativeOs: 'Windows 5.1' }),
    expect: (os) => {
      assert.equal(os.family, 'macOS');
      assert.equal(os.version, '10.10');
    },
  },
  'smb-native-lanman-samba': {
    yes: smb({ nativeLanMan: 'Samba 4.17.12-Debian' }),
    no: smb({ nativeLanMan: 'Windows 2000 LAN Manager' }),
    expect: (os) => {
      assert.equal(os.family, 'Samba');
      assert.equal(os.version, '4.17.12');
    },
  },
  'smb2-dialect-samba-major': {
    yes: hostWith({ smb: smbWith({ dialects: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'] }), ntlm: ntlmWith({ osVersion: '6.1.0' }) }),
    // the same dialects from a Windows host say nothing about Samba
    no: hostWith({ smb: smbWith({ dialects: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'] }), ntlm: ntlmWith({ osVersion: '10.0.17763' }) }),
    expect: (os) => {
      assert.equal(os.family, 'Samba');
      assert.equal(os.version, '4');
    },
  },
  'smb-native-lanman-smbfs': { yes: smb({ nativeLanMan: 'SMBFS 3.0.0' }), no: smb({ nativeLanMan: 'Samba' }), expect: family('macOS') },
  'smb-native-lanman-windows': { yes: smb({ nativeLanMan: 'Windows 2000 LAN Manager' }), no: smb({ nativeLanMan: 'Samba 3.6.3' }), expect: family('Windows') },
  'smb2-dialect-floor': {
    yes: smb({ dialects: ['NT LM 0.12', '2.0.2', '2.1', '3.0'] }),
    no: smb({ dialects: ['NT LM 0.12'] }),
    expect: (os) => {
      assert.equal(os.family, null);
      assert.equal(os.evidence[0]!.value, '3.0');
    },
  },
  'smb2-dialect-ceiling': {
    yes: smb({ dialects: ['2.0.2', '2.1', '3.0', '3.0.2'] }),
    no: smb({ dialects: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'] }),
    expect: mixed,
  },
  'smb2-guid-netbios-name': { yes: labSmb3(), no: smb({ serverGuidText: 'other' }), expect: family('Samba') },
  'smb2-guid-text': { yes: smb({ serverGuidText: 'nas' }), no: smb({ serverGuidText: null, serverGuid: RANDOM_GUID }), expect: family('Samba') },
  'smb2-boot-time-set': { yes: smb({ bootTime: '2017-05-15T19:51:40.1853184Z' }), no: smb({ bootTime: null }), expect: family('Windows') },
  'smb2-boot-time-zero': {
    yes: smb({ bootTime: null, serverGuid: RANDOM_GUID, dialects: ['3.1.1'] }),
    no: smb({ bootTime: null, serverGuid: null, dialects: [] }),
    expect: mixed,
  },
  'smb2-spnego-negoex': { yes: smb({ spnegoMechanisms: ['NEGOEX', 'NTLMSSP'] }), no: smb({ spnegoMechanisms: ['NTLMSSP'] }), expect: windowsFrom('6.1.7600') },
  'smb2-spnego-ntlmssp-only': { yes: smb({ spnegoMechanisms: ['NTLMSSP'] }), no: smb({ spnegoMechanisms: ['NEGOEX', 'NTLMSSP'] }), expect: mixed },
  'smb2-spnego-kerberos': { yes: smb({ spnegoMechanisms: ['MS-KRB5', 'KRB5', 'NTLMSSP'] }), no: smb({ spnegoMechanisms: ['NTLMSSP'] }), expect: informational },
  'smb2-spnego-no-hint': {
    yes: smb({ spnegoMechanisms: ['NEGOEX', 'NTLMSSP'], spnegoHint: null }),
    no: smb({ spnegoMechanisms: ['NTLMSSP'], spnegoHint: 'not_defined_in_RFC4178@please_ignore' }),
    expect: family('Windows'),
  },
  'smb2-context-posix': { yes: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY', 'POSIX') }), no: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY') }), expect: mixed },
  'smb2-context-compression': {
    yes: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY', 'COMPRESSION') }),
    no: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY', 'ENCRYPTION') }),
    expect: windowsFrom('10.0.18362'),
  },
  'smb2-context-rdma-transport': {
    yes: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY', 'RDMA_TRANSFORM') }),
    no: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY', 'SIGNING') }),
    expect: windowsFrom('10.0.20348'),
  },
  'smb2-context-signing': { yes: smb({ negotiateContexts: ctx('PREAUTH_INTEGRITY', 'ENCRYPTION', 'SIGNING') }), no: smb({ negotiateContexts: [] }), expect: mixed },
  'smb2-cap-directory-leasing': { yes: smb({ capabilities: ['DFS', 'DIRECTORY_LEASING'] }), no: smb({ capabilities: ['DFS', 'LEASING'] }), expect: windowsFrom('6.2.9200') },
  'nbstat-domain-controller': {
    yes: hostWith({ nbstat: nbstatWith([['CORP', 0x1c, true]], '00:15:5d:00:00:01') }),
    no: hostWith({ nbstat: nbstatWith([['INet~Services', 0x1c, true]], '00:15:5d:00:00:01') }),
    expect: (os) => assert.equal(os.role, 'domain-controller'),
  },
  'nbstat-domain-master-browser': {
    yes: hostWith({ nbstat: nbstatWith([['CORP', 0x1b, false]], '00:15:5d:00:00:01') }),
    no: hostWith({ nbstat: nbstatWith([['CORP', 0x1d, false]], '00:15:5d:00:00:01') }),
    expect: (os) => assert.equal(os.role, 'domain-controller'),
  },
  'nbstat-file-server': {
    yes: hostWith({ nbstat: nbstatWith([['HOST', 0x20, false]], '00:15:5d:00:00:01') }),
    no: hostWith({ nbstat: nbstatWith([['HOST', 0x00, false]], '00:15:5d:00:00:01') }),
    expect: (os) => {
      informational(os);
      assert.equal(os.evidence[0]!.value, 'HOST<20>');
    },
  },
  'nbstat-mac-all-zero': { yes: labNt1(), no: hostWith({ nbstat: nbstatWith([['HOST', 0x20, false]], '00:15:5d:00:00:01') }), expect: mixed },
};

function only(rule: FingerprintRule, h: HostResult): OsFingerprint {
  return fingerprint(h, { rules: [rule] });
}

describe('fingerprint rules: one case per rule', () => {
  it('every rule of the default table has a case (NTLM build rules come from the release table)', () => {
    const missing = defaultRules.filter((r) => !r.id.startsWith('ntlm-build-') && !(r.id in CASES)).map((r) => r.id);
    assert.deepEqual(missing, []);
    const unknown = Object.keys(CASES).filter((id) => !defaultRules.some((r) => r.id === id));
    assert.deepEqual(unknown, []);
  });

  it('rule ids are unique and every rule names a signal and a source', () => {
    assert.equal(new Set(defaultRules.map((r) => r.id)).size, defaultRules.length);
    for (const r of defaultRules) {
      assert.match(r.signal, /^(ntlm|smb|nbstat)\.[A-Za-z]+$/, r.id);
      assert.ok(r.source.length > 10, r.id);
      assert.ok(r.description.length > 10, r.id);
    }
  });

  it('docs/fingerprinting.md lists every rule and the rule count', () => {
    const doc = readFileSync(new URL('../../docs/fingerprinting.md', import.meta.url), 'utf8');
    for (const r of defaultRules) if (!r.id.startsWith('ntlm-build-')) assert.ok(doc.includes(`| \`${r.id}\` | \`${r.signal}\` |`), r.id);
    for (const b of new Set(WINDOWS_RELEASES.map((r) => r.build))) assert.ok(doc.includes(b), b);
    assert.ok(doc.includes(`${defaultRules.length} rules`));
  });

  for (const rule of defaultRules.filter((r) => r.id in CASES)) {
    it(rule.id, () => {
      const c = CASES[rule.id]!;
      assert.equal(matchRules(c.yes, [rule]).length, 1, 'matches yes');
      assert.equal(matchRules(c.no, [rule]).length, 0, 'does not match no');
      const os = only(rule, c.yes);
      assert.equal(os.evidence[0]?.rule, rule.id);
      assert.equal(os.evidence[0]?.signal, rule.signal);
      c.expect(os);
    });
  }
});

describe('fingerprint rules: NTLM builds from the release table', () => {
  const ntlmRules = defaultRules.filter((r) => r.id.startsWith('ntlm-build-'));

  it('one rule per build an NTLM CHALLENGE can report', () => {
    assert.deepEqual(ntlmRules.map((r) => r.id.slice('ntlm-build-'.length)).sort(), [...new Set(WINDOWS_RELEASES.map((r) => r.ntlmBuild))].sort());
  });

  for (const rule of ntlmRules) {
    const b = rule.id.slice('ntlm-build-'.length);
    it(rule.id, () => {
      const rs = WINDOWS_RELEASES.filter((r) => r.ntlmBuild === b);
      const os = only(rule, ntlm({ osVersion: b }));
      assert.equal(os.family, 'Windows');
      assert.equal(matchRules(ntlm({ osVersion: `${b}1` }), [rule]).length, 0);
      for (const r of rs) assert.ok(os.product === null || os.product.includes(r.product.replace(/^Windows /, '')), `${os.product} ~ ${r.product}`);
      if (rs.length === 1) {
        assert.equal(os.product, rs[0]!.product);
        assert.equal(os.build, rs[0]!.build);
        assert.equal(os.role, rs[0]!.kind);
      } else {
        assert.equal(os.build, new Set(rs.map((r) => r.build)).size === 1 ? rs[0]!.build : b);
      }
    });
  }
});

describe('fingerprint rules: the release table and parsers', () => {
  it('release ids unique; builds well-formed; NTLM builds never newer than the release', () => {
    assert.equal(new Set(WINDOWS_RELEASES.map((r) => r.id)).size, WINDOWS_RELEASES.length);
    for (const r of WINDOWS_RELEASES) {
      assert.match(r.build, /^\d+\.\d+\.\d+$/);
      assert.ok(compareBuilds(r.ntlmBuild, r.build) <= 0, r.id);
    }
  });

  it('every release the brief names', () => {
    const builds = new Set(WINDOWS_RELEASES.map((r) => r.build.split('.')[2]));
    for (const b of ['2195', '2600', '3790', '6000', '6001', '6002', '7600', '7601', '9200', '9600', '10240', '10586', '14393', '15063', '16299', '17134', '17763', '18362', '18363', '19041', '19042', '19043', '19044', '19045', '20348', '22000', '22621', '22631', '25398', '26100', '26200']) {
      assert.ok(builds.has(b), b);
    }
  });

  it('parseWindowsNativeOs', () => {
    assert.deepEqual(parseWindowsNativeOs('Windows 7 Ultimate 7601 Service Pack 1'), { build: 7601, servicePack: 1, kind: 'client' });
    assert.deepEqual(parseWindowsNativeOs('Windows Server 2003 3790 Service Pack 2'), { build: 3790, servicePack: 2, kind: 'server' });
    assert.deepEqual(parseWindowsNativeOs('Windows 2002 Service Pack 2 2600'), { build: 2600, servicePack: 2, kind: 'client' });
    assert.deepEqual(parseWindowsNativeOs('Windows 2000 2195'), { build: 2195, servicePack: null, kind: null });
    // a product year is not a build
    assert.equal(parseWindowsNativeOs('Windows Server 2019 Standard'), null);
    assert.equal(parseWindowsNativeOs('Windows 6.1'), null);
    assert.equal(parseWindowsNativeOs('Unix'), null);
  });

  it('sambaVersionOf', () => {
    assert.equal(sambaVersionOf('Samba 4.17.12-Debian'), '4.17.12');
    assert.equal(sambaVersionOf('Samba 3.9.0-SVN-build-11572'), '3.9.0');
    assert.equal(sambaVersionOf('Samba'), null);
  });
});
