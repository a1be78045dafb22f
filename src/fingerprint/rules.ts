/**
 * The default rule table: each entry reads one signal of a HostResult and, when its predicate
 * holds, narrows what the host can be. docs/fingerprinting.md lists every rule with its source;
 * a new rule is one entry here and one test in test/unit/fingerprint-rules.test.ts.
 *
 * Measurements cited as "fixtures" are the project's own Samba 4.17.12 captures (fixtures/*.pcap,
 * docs/fixtures.md) and live probes of the same lab; "corpus" is the third-party capture set
 * (/work/shared/corpus/MANIFEST.tsv), read with tshark.
 */
import type { Candidate, Conclusion, FingerprintRule } from './types.js';
import {
  WINDOWS_RELEASES,
  ntVersionOf,
  releasesByBuildNumber,
  releasesByNtVersion,
  type WindowsKind,
  type WindowsRelease,
} from './windows-builds.js';

const WINDOWS_BUILDS_SOURCE =
  "Microsoft release information pages (src/fingerprint/windows-builds.ts); MS-NLMP §2.2.2.10 VERSION";

/** Everything a host can be, before any rule narrows it: every Windows release, Samba, macOS. */
export const defaultCandidates: readonly Candidate[] = Object.freeze([
  ...WINDOWS_RELEASES.map(
    (r): Candidate => ({ id: r.id, family: 'Windows', product: r.product, version: r.version, build: r.build, ntlmBuild: r.ntlmBuild, kind: r.kind }),
  ),
  { id: 'samba', family: 'Samba', product: 'Samba', version: null, build: null, ntlmBuild: null, kind: null },
  { id: 'samba-qts', family: 'Samba', product: 'Samba (QNAP QTS)', version: null, build: null, ntlmBuild: null, kind: null, refines: 'samba' },
  { id: 'macos', family: 'macOS', product: 'macOS', version: null, build: null, ntlmBuild: null, kind: null },
]);

// ---------------------------------------------------------------------------------------------
// helpers (pure)

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** -1, 0, 1 comparing two `major.minor.build` strings numerically. */
export function compareBuilds(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const ids = (rs: readonly WindowsRelease[]): string[] => rs.map((r) => r.id);

/** Windows at or after `minBuild`, or anything that is not Windows. */
const windowsFromOrOther = (minBuild: string) => (c: Candidate): boolean =>
  c.family !== 'Windows' || (c.build !== null && compareBuilds(c.build, minBuild) >= 0);

/** Windows at or after `minBuild` only. */
const windowsFrom = (minBuild: string) => (c: Candidate): boolean =>
  c.family === 'Windows' && c.build !== null && compareBuilds(c.build, minBuild) >= 0;

/** `Windows 10 1809 / Windows Server 2019` for a set of releases. */
export function describeReleases(rs: readonly WindowsRelease[]): string {
  return rs.map((r) => (r.version ? `${r.product} ${r.version}` : r.product)).join(' / ');
}

/** The highest SMB2+ dialect in a dialect list (`NT LM 0.12` and unknown strings ignored). */
const SMB2_DIALECTS = ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'] as const;
function highestSmb2(dialects: readonly string[]): string | null {
  let best = -1;
  for (const d of dialects) best = Math.max(best, SMB2_DIALECTS.indexOf(d as (typeof SMB2_DIALECTS)[number]));
  return best < 0 ? null : SMB2_DIALECTS[best]!;
}

/** The first Windows NT version that speaks each SMB2 dialect (MS-SMB2 §1.7 and Appendix A). */
export const DIALECT_FIRST_WINDOWS: Readonly<Record<(typeof SMB2_DIALECTS)[number], string>> = {
  '2.0.2': '6.0.6000',
  '2.1': '6.1.7600',
  '3.0': '6.2.9200',
  '3.0.2': '6.3.9600',
  '3.1.1': '10.0.10240',
};

/** The NT version whose highest dialect each one is. */
const DIALECT_WINDOWS_GENERATION: Readonly<Record<(typeof SMB2_DIALECTS)[number], string>> = {
  '2.0.2': '6.0',
  '2.1': '6.1',
  '3.0': '6.2',
  '3.0.2': '6.3',
  '3.1.1': '10.0',
};

/** What an SMB1 NativeOS string such as `Windows Server 2003 3790 Service Pack 2` says. */
export interface NativeOsFacts {
  /** The build number the string carries, or null. */
  build: number | null;
  /** Service pack number, or null. */
  servicePack: number | null;
  kind: WindowsKind | null;
}

/**
 * Reads a Windows SMB1 NativeOS string: `Windows 7 Ultimate 7601 Service Pack 1`,
 * `Windows Server 2019 Standard 17763`, `Windows 10 Pro 19045`, `Windows 2002 Service Pack 2 2600`,
 * `Windows Server 2003 3790 Service Pack 2`. Null for anything else (`Windows 5.1`, `Windows 6.1`,
 * `Unix`, `QTS` ...). The build is the last 4-5 digit word that is not a product year (a year
 * follows `Windows` or `Server`).
 */
export function parseWindowsNativeOs(s: string): NativeOsFacts | null {
  if (!/^Windows\b/.test(s)) return null;
  const words = s.trim().split(/\s+/);
  let build: number | null = null;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const prev = words[i - 1]!;
    if (/^\d{4,5}$/.test(w) && prev !== 'Windows' && prev !== 'Server') build = Number(w);
  }
  const sp = /Service Pack (\d+)/.exec(s);
  const kind: WindowsKind | null = /\bServer\b/.test(s) ? 'server' : /^Windows (2000|NT)\b/.test(s) ? null : 'client';
  if (build === null && sp === null) return null;
  return { build, servicePack: sp ? Number(sp[1]) : null, kind };
}

/** `Windows 5.0` / `Windows 5.1`: the NT-version-only NativeOS of Windows 2000 and XP servers. */
const NT_VERSION_ONLY = /^Windows (\d+\.\d+)$/;

/** `Samba 4.17.12-Debian` → `4.17.12`; `Samba` → null. */
export function sambaVersionOf(s: string): string | null {
  const m = /^Samba\s+(\d+\.\d+(?:\.\d+)?)/.exec(s);
  return m ? m[1]! : null;
}

function nativeOsConclusion(v: unknown): Conclusion {
  const f = parseWindowsNativeOs(str(v) ?? '');
  let c: Conclusion;
  if (f === null || f.build === null) {
    c = { families: ['Windows'], weight: 0.5, supports: 'Windows' };
  } else {
    const all = releasesByBuildNumber(f.build);
    const rs = f.kind ? all.filter((r) => r.kind === f.kind) : all;
    c = rs.length > 0
      ? { releases: ids(rs), weight: 0.85, supports: describeReleases(rs) }
      : { families: ['Windows'], weight: 0.6, supports: `Windows (build ${f.build})` };
  }
  if (f?.kind) c.kind = f.kind;
  if (f && f.servicePack !== null) c.version = `SP${f.servicePack}`;
  return c;
}

// ---------------------------------------------------------------------------------------------
// the table

/** One rule per build an NTLM CHALLENGE can report, generated from the release table. */
const ntlmBuildRules: FingerprintRule[] = [...new Set(WINDOWS_RELEASES.map((r) => r.ntlmBuild))].map((b) => {
  const rs = WINDOWS_RELEASES.filter((r) => r.ntlmBuild === b);
  return {
    id: `ntlm-build-${b}`,
    signal: 'ntlm.osVersion',
    description: `NTLM CHALLENGE Version ${b}: ${describeReleases(rs)}`,
    predicate: (v) => v === b,
    conclusion: { releases: ids(rs), weight: 0.8, supports: describeReleases(rs) },
    source: WINDOWS_BUILDS_SOURCE,
  };
});

const KNOWN_NTLM_BUILDS = new Set(WINDOWS_RELEASES.map((r) => r.ntlmBuild));

/** The built-in rule table (documented in docs/fingerprinting.md). Extend it with `[...defaultRules, myRule]`. */
export const defaultRules: readonly FingerprintRule[] = Object.freeze<FingerprintRule[]>([
  // --- NTLM CHALLENGE Version and target info -------------------------------------------------
  ...ntlmBuildRules,
  {
    id: 'ntlm-samba-version',
    signal: 'ntlm.osVersion',
    description: 'NTLM Version 6.1 build 0: Samba (which reports 6.1.0 whatever its version)',
    predicate: (v) => v === '6.1.0',
    conclusion: { families: ['Samba'], weight: 0.6, supports: 'Samba' },
    source: 'fixtures (all lab hosts: 6.1 build 0, revision 15); corpus suricata-verify smb1_osx.pcap (QNAP, Samba 4.4.16: 6.1.0)',
  },
  {
    id: 'ntlm-windows-unlisted-build',
    signal: 'ntlm.osVersion',
    description: 'NTLM Version 5.x/6.x/10.x with a build the release table lacks (preview, beta): Windows',
    predicate: (v) => {
      const s = str(v);
      return s !== null && /^(5|6|10)\.\d+\.\d+$/.test(s) && s !== '6.1.0' && !KNOWN_NTLM_BUILDS.has(s);
    },
    conclusion: { families: ['Windows'], weight: 0.5, supports: 'Windows' },
    source: 'MS-NLMP §2.2.2.10 (ProductMajorVersion/MinorVersion/Build); corpus arkime smbtorture-ntlmssp.pcap (Longhorn beta 6.0.5231)',
  },
  {
    id: 'ntlm-empty-dns-domain',
    signal: 'ntlm.dnsDomain',
    description: 'MsvAvDnsDomainName present but empty: Samba standalone server',
    predicate: (v) => v === '',
    conclusion: { allow: (c) => c.family !== 'Windows', weight: 0.4, supports: 'Samba (not Windows)' },
    evidenceValue: () => '(empty)',
    source: 'fixtures nt1__smbclient-L.pcap and live lab (DnsDomainName empty, DnsComputerName the Unix host name); corpus Windows workgroup hosts send the computer name (suricata-verify smb_bug_padding.pcap)',
  },
  {
    id: 'ntlm-workgroup-windows',
    signal: 'ntlm.dnsDomain',
    description: 'MsvAvDnsDomainName equal to the NetBIOS computer name: a Windows host in a workgroup',
    predicate: (v, h) => {
      const s = str(v);
      return s !== null && s !== '' && h.ntlm !== null && h.ntlm.netbiosComputer !== null && s.toUpperCase() === h.ntlm.netbiosComputer.toUpperCase() && h.ntlm.dnsTree === null;
    },
    conclusion: { families: ['Windows'], weight: 0.3, supports: 'Windows (workgroup)' },
    source: 'corpus suricata-verify smb_bug_padding.pcap, smb2-ntlmssp-negotiateflags input.pcap (workgroup Windows 10: NbDomainName = DnsDomainName = computer name); MS-NLMP §2.2.2.1',
  },
  {
    id: 'ntlm-dns-tree',
    signal: 'ntlm.dnsTree',
    description: 'MsvAvDnsTreeName present: member of an Active Directory forest (informational)',
    predicate: (v) => typeof v === 'string' && v !== '',
    conclusion: { weight: 0, supports: 'Active Directory member' },
    source: 'MS-NLMP §2.2.2.1 (MsvAvDnsTreeName); corpus samr-enum-lab (zdc1.domain-z.local), zeek smb_v2_only_non_zero_reserved1.pcap',
  },

  // --- SMB1 session setup strings ------------------------------------------------------------
  {
    id: 'smb-native-os-windows-build',
    signal: 'smb.nativeOs',
    description: 'Windows NativeOS with a build number (`Windows Server 2019 Standard 17763`): that release, its edition (server/client) and service pack',
    predicate: (v) => parseWindowsNativeOs(str(v) ?? '') !== null,
    conclusion: nativeOsConclusion,
    source: 'MS-SMB §2.2.4.6.2 (NativeOS); corpus ndpi smbv1.pcap, eternalsafety *.pcap, arkime smb-smb1-ascii.pcap, suricata-verify output-eve-smb-01, smb_bug_padding, ndpi smb_frags.pcap',
  },
  {
    id: 'smb-native-os-nt-version',
    signal: 'smb.nativeOs',
    description: 'NativeOS `Windows 5.0` / `Windows 5.1` / `Windows 5.2`: Windows 2000 / XP / Server 2003 servers',
    predicate: (v) => {
      const m = NT_VERSION_ONLY.exec(str(v) ?? '');
      return m !== null && m[1]!.startsWith('5.');
    },
    conclusion: (v) => {
      const nt = NT_VERSION_ONLY.exec(str(v) ?? '')![1]!;
      const rs = releasesByNtVersion(nt);
      return rs.length > 0 ? { releases: ids(rs), weight: 0.6, supports: describeReleases(rs) } : { families: ['Windows'], weight: 0.5, supports: 'Windows' };
    },
    source: 'corpus zeek raw_ntlm_in_smb.pcap (XP: `Windows 5.1` with NTLM 5.1.2600), zeek smb_gssapi.pcap (`Windows 5.0`)',
  },
  {
    id: 'smb-native-os-samba',
    signal: 'smb.nativeOs',
    description: 'NativeOS exactly `Windows 6.1`: Samba 4 (Windows 7 sends its product name and build)',
    predicate: (v) => v === 'Windows 6.1',
    conclusion: { families: ['Samba'], weight: 0.5, supports: 'Samba' },
    source: 'fixtures nt1__impacket-smb1.pcap, nt1__smbclient-L-NT1.pcap (Samba 4.17.12); corpus zeek smb1_transaction_request.pcap (Samba 4.7.4)',
  },
  {
    id: 'smb-native-os-unix',
    signal: 'smb.nativeOs',
    description: 'NativeOS `Unix`: Samba 3',
    predicate: (v) => v === 'Unix',
    conclusion: { families: ['Samba'], weight: 0.4, supports: 'Samba' },
    source: 'corpus arkime smb-smbclient.pcap (server `Unix` / `Samba 3.6.3`)',
  },
  {
    id: 'smb-native-os-qts',
    signal: 'smb.nativeOs',
    description: 'NativeOS `QTS`: Samba on a QNAP NAS',
    predicate: (v) => v === 'QTS',
    conclusion: { releases: ['samba-qts'], weight: 0.7, supports: 'Samba (QNAP QTS)' },
    source: 'corpus suricata-verify smb1_osx.pcap (server `QTS` / `Samba 4.4.16`, NTLM 6.1.0)',
  },
  {
    id: 'smb-native-os-macos',
    signal: 'smb.nativeOs',
    description: 'NativeOS `Mac OS X 10.10`: macOS',
    predicate: (v) => /^(Mac OS X|macOS)\b/.test(str(v) ?? ''),
    conclusion: (v) => {
      const m = /^(?:Mac OS X|macOS)\s+(\d+(?:\.\d+)*)/.exec(str(v) ?? '');
      const c: Conclusion = { families: ['macOS'], weight: 0.7, supports: 'macOS' };
      if (m) c.version = m[1]!;
      return c;
    },
    source: 'corpus zeek raw_ntlm_in_smb.pcap, suricata-verify smb1_osx.pcap (macOS SMB client strings `Mac OS X 10.10` / `SMBFS 3.0.0`)',
  },
  {
    id: 'smb-native-lanman-samba',
    signal: 'smb.nativeLanMan',
    description: 'NativeLanMan `Samba x.y.z[-vendor]`: Samba, with its version',
    predicate: (v) => /^Samba\b/.test(str(v) ?? ''),
    conclusion: (v) => {
      const ver = sambaVersionOf(str(v) ?? '');
      const c: Conclusion = { families: ['Samba'], weight: 0.9, supports: ver ? `Samba ${ver}` : 'Samba' };
      if (ver) c.version = ver;
      return c;
    },
    source: 'fixtures nt1__impacket-smb1.pcap (`Samba 4.17.12-Debian`); corpus arkime smb-smbclient.pcap (`Samba 3.6.3`), zeek smb1_transaction_request.pcap (`Samba 4.7.4`)',
  },
  {
    id: 'smb2-dialect-samba-major',
    signal: 'smb.dialects',
    description: 'A Samba host (NTLM 6.1.0, Samba LanMan string, or its NetBIOS name as server GUID) that accepts SMB 3.x: Samba 4 (SMB3 arrived in Samba 4.0, 3.1.1 in 4.3)',
    predicate: (v, h) => {
      const dialects = Array.isArray(v) ? (v as unknown[]).map(String) : [];
      const samba =
        h.ntlm?.osVersion === '6.1.0' ||
        /^Samba\b/.test(h.smb?.nativeLanMan ?? '') ||
        (h.smb?.serverGuidText != null && h.nbstat?.computerName != null && h.smb.serverGuidText.toUpperCase() === h.nbstat.computerName.toUpperCase()) ||
        (h.smb?.serverGuidText != null && h.ntlm?.netbiosComputer != null && h.smb.serverGuidText.toUpperCase() === h.ntlm.netbiosComputer.toUpperCase());
      return samba && dialects.some((d) => d.startsWith('3.'));
    },
    conclusion: { families: ['Samba'], version: '4', weight: 0.2, supports: 'Samba 4' },
    source: 'Samba 4.0 release notes (SMB 3.0), Samba 4.3 release notes (SMB 3.1.1); fixtures smb3__smbclient-L.pcap (SMBv1 off: no string carries the version)',
  },
  {
    id: 'smb-native-lanman-smbfs',
    signal: 'smb.nativeLanMan',
    description: 'NativeLanMan `SMBFS x.y.z`: macOS',
    predicate: (v) => /^SMBFS\b/.test(str(v) ?? ''),
    conclusion: { families: ['macOS'], weight: 0.5, supports: 'macOS' },
    source: 'corpus zeek raw_ntlm_in_smb.pcap, suricata-verify smb1_osx.pcap (macOS client `SMBFS 3.0.0`)',
  },
  {
    id: 'smb-native-lanman-windows',
    signal: 'smb.nativeLanMan',
    description: 'NativeLanMan `Windows ...` (`Windows 2000 LAN Manager`, `Windows Server 2019 Standard 6.3`): Windows',
    predicate: (v) => /^Windows\b/.test(str(v) ?? ''),
    conclusion: { families: ['Windows'], weight: 0.4, supports: 'Windows' },
    source: 'MS-SMB §2.2.4.6.2 (NativeLanMan); corpus zeek raw_ntlm_in_smb.pcap, suricata-verify output-eve-smb-01 input.pcap',
  },

  // --- SMB2 negotiate --------------------------------------------------------------------------
  {
    id: 'smb2-dialect-floor',
    signal: 'smb.dialects',
    description: 'The highest SMB2/3 dialect accepted: Windows at least the release that introduced it (or not Windows)',
    predicate: (v) => highestSmb2(strs(v)) !== null,
    conclusion: (v) => {
      const d = highestSmb2(strs(v))!;
      const min = DIALECT_FIRST_WINDOWS[d as keyof typeof DIALECT_FIRST_WINDOWS];
      return { allow: windowsFromOrOther(min), weight: 0.25, supports: `Windows ${ntVersionOf(min)}+ or not Windows` };
    },
    evidenceValue: (v) => highestSmb2(strs(v)) ?? '',
    source: 'MS-SMB2 §1.7 and Appendix A (2.0.2 Vista/2008, 2.1 7/2008 R2, 3.0 8/2012, 3.0.2 8.1/2012 R2, 3.1.1 10/2016)',
  },
  {
    id: 'smb2-dialect-ceiling',
    signal: 'smb.dialects',
    description: 'Every dialect probed (3+ SMB2 dialects accepted) and the highest below 3.1.1: Windows of exactly that generation (or not Windows)',
    predicate: (v) => {
      const ds = strs(v).filter((d) => (SMB2_DIALECTS as readonly string[]).includes(d));
      const hi = highestSmb2(ds);
      return ds.length >= 3 && hi !== null && hi !== '3.1.1';
    },
    conclusion: (v) => {
      const hi = highestSmb2(strs(v))!;
      const gen = DIALECT_WINDOWS_GENERATION[hi as keyof typeof DIALECT_WINDOWS_GENERATION];
      const rs = releasesByNtVersion(gen);
      return { allow: (c) => c.family !== 'Windows' || rs.some((r) => r.id === c.id), weight: 0.3, supports: `${describeReleases(rs)} or not Windows` };
    },
    evidenceValue: (v) => highestSmb2(strs(v)) ?? '',
    source: 'MS-SMB2 Appendix A (each Windows release answers its own highest dialect); only meaningful when the probe offered higher dialects (live probes try each one)',
  },
  {
    id: 'smb2-guid-netbios-name',
    signal: 'smb.serverGuidText',
    description: 'ServerGuid is the host\'s NetBIOS name in lower case, zero padded: Samba',
    predicate: (v, h) => {
      const t = str(v);
      if (t === null) return false;
      const names = [h.nbstat?.computerName, h.ntlm?.netbiosComputer].filter((n): n is string => typeof n === 'string' && n !== '');
      return names.some((n) => n.toLowerCase() === t);
    },
    conclusion: { families: ['Samba'], weight: 0.8, supports: 'Samba' },
    source: 'fixtures (ServerGuid 70626d73-6e2d-3174-... = "smbp-nt1") and live lab; Samba source3/smbd/server.c (server GUID from the NetBIOS name)',
  },
  {
    id: 'smb2-guid-text',
    signal: 'smb.serverGuidText',
    description: 'ServerGuid is printable ASCII followed by zeros (a name, not a random GUID): Samba',
    predicate: (v, h) => {
      const t = str(v);
      if (t === null) return false;
      const names = [h.nbstat?.computerName, h.ntlm?.netbiosComputer].filter((n): n is string => typeof n === 'string' && n !== '');
      return !names.some((n) => n.toLowerCase() === t);
    },
    conclusion: { families: ['Samba'], weight: 0.5, supports: 'Samba' },
    source: 'fixtures; corpus zeek smb3_negotiate_context.pcap (Samba ServerGuid text); Windows ServerGuids are random (corpus: every Windows host)',
  },
  {
    id: 'smb2-boot-time-set',
    signal: 'smb.bootTime',
    description: 'ServerStartTime set: Windows (Samba always sends 0)',
    predicate: (v) => typeof v === 'string',
    conclusion: { families: ['Windows'], weight: 0.4, supports: 'Windows' },
    source: 'fixtures and live lab (Samba ServerStartTime 0); corpus Windows 10.0.10586/14393 and 6.0.6001 send their boot time (zeek smb3.pcap, smb311.pcap, smb2.pcap)',
  },
  {
    id: 'smb2-boot-time-zero',
    signal: 'smb.bootTime',
    description: 'ServerStartTime 0 in an SMB2 answer: Samba, or Windows newer than 10.0.14393',
    predicate: (v, h) => v === null && h.smb !== null && h.smb.serverGuid !== null && highestSmb2(h.smb.dialects) !== null,
    conclusion: { allow: windowsFromOrOther('10.0.14394'), weight: 0.2, supports: 'Samba, or Windows 10 1703+ / Server 2019+' },
    evidenceValue: () => '0',
    source: 'fixtures (Samba: 0); corpus Windows 10.0.17763, 18362, 20348 send 0 (zeek smb_v2_only_non_zero_reserved1.pcap, SMBGhost.pcap, samr-enum-lab), 10.0.14393 and older a time',
  },
  {
    id: 'smb2-spnego-negoex',
    signal: 'smb.spnegoMechanisms',
    description: 'NEGOEX among the SPNEGO mechanisms of the negotiate answer: Windows 7 / 2008 R2 or later',
    predicate: (v) => strs(v).includes('NEGOEX'),
    conclusion: { allow: windowsFrom('6.1.7600'), weight: 0.5, supports: 'Windows 7 / 2008 R2 or later' },
    source: 'MS-NEGOEX §1 (Windows 7 and later); corpus: every Windows 10.0 host offers NEGOEX, Windows 6.0.6001 (zeek smb2.pcap) does not; fixtures: Samba 4.17 does not',
  },
  {
    id: 'smb2-spnego-ntlmssp-only',
    signal: 'smb.spnegoMechanisms',
    description: 'NTLMSSP the only SPNEGO mechanism: Samba without Kerberos (Windows 7+ always adds NEGOEX)',
    predicate: (v) => {
      const m = strs(v);
      return m.length === 1 && m[0] === 'NTLMSSP';
    },
    conclusion: { allow: (c) => c.family !== 'Windows' || (c.build !== null && compareBuilds(c.build, '6.1.7600') < 0), weight: 0.35, supports: 'Samba, or Windows before 7' },
    source: 'fixtures nt1__smbclient-L.pcap, smb3__impacket-smb311.pcap and live lab (mechTypes [NTLMSSP]); corpus Windows hosts list NEGOEX (+ Kerberos when in a domain)',
  },
  {
    id: 'smb2-spnego-kerberos',
    signal: 'smb.spnegoMechanisms',
    description: 'MS-KRB5/KRB5 among the SPNEGO mechanisms: Kerberos configured, domain member or DC (informational)',
    predicate: (v) => strs(v).some((m) => m === 'MS-KRB5' || m === 'KRB5'),
    conclusion: { weight: 0, supports: 'Kerberos (domain member or DC)' },
    source: 'corpus samr-enum-lab (Server 2022 DC), zeek smb_v2_only_non_zero_reserved1.pcap (domain member); workgroup Windows 10 offers only NEGOEX + NTLMSSP (suricata-verify)',
  },
  {
    id: 'smb2-spnego-no-hint',
    signal: 'smb.spnegoHint',
    description: 'SPNEGO mechanisms without the negHints name: Windows (Samba always sends not_defined_in_RFC4178@please_ignore)',
    predicate: (v, h) => v === null && h.smb !== null && h.smb.spnegoMechanisms.length > 0,
    conclusion: { families: ['Windows'], weight: 0.3, supports: 'Windows' },
    evidenceValue: () => '(none)',
    source: 'fixtures (Samba 4.17: hint in SMB1 and SMB2 answers); corpus zeek smb3_negotiate_context.pcap (Samba); workgroup Windows 10 sends none (suricata-verify smb2-ntlmssp-negotiateflags, eternalsafety doublepulsar, zeek SMBGhost.pcap)',
  },
  {
    id: 'smb2-context-posix',
    signal: 'smb.negotiateContexts',
    description: 'POSIX extensions context answered: Samba (Windows never answers it)',
    predicate: (v) => contextTypes(v).includes('POSIX'),
    conclusion: { allow: (c) => c.family !== 'Windows', weight: 0.6, supports: 'Samba (not Windows)' },
    evidenceValue: (v) => contextTypes(v).join(', '),
    source: 'MS-SMB2 §2.2.3.1 (no POSIX context in Windows); Samba smb3 unix extensions (answered only when enabled)',
  },
  {
    id: 'smb2-context-compression',
    signal: 'smb.negotiateContexts',
    description: 'COMPRESSION context answered: Windows 10 1903 / Server 1903 or later',
    predicate: (v) => contextTypes(v).includes('COMPRESSION'),
    conclusion: { allow: windowsFrom('10.0.18362'), weight: 0.5, supports: 'Windows 10 1903+ / Server 1903+' },
    evidenceValue: (v) => contextTypes(v).join(', '),
    source: 'MS-SMB2 Appendix A (compression: Windows 10 v1903 and later); corpus zeek SMBGhost.pcap, samr-enum-lab net.exe (Server 2022); live lab: Samba 4.17 does not answer it',
  },
  {
    id: 'smb2-context-rdma-transport',
    signal: 'smb.negotiateContexts',
    description: 'RDMA_TRANSFORM or TRANSPORT context answered: Windows 11 / Server 2022 or later',
    predicate: (v) => contextTypes(v).some((t) => t === 'RDMA_TRANSFORM' || t === 'TRANSPORT'),
    conclusion: { allow: windowsFrom('10.0.20348'), weight: 0.5, supports: 'Windows 11 / Server 2022 or later' },
    evidenceValue: (v) => contextTypes(v).join(', '),
    source: 'MS-SMB2 Appendix A (RDMA transform and transport capabilities: Windows 11 and Windows Server 2022); corpus samr-enum-lab net.exe (Server 2022 answers RDMA_TRANSFORM); live lab: Samba 4.17 does not',
  },
  {
    id: 'smb2-context-signing',
    signal: 'smb.negotiateContexts',
    description: 'SIGNING context answered: Windows 11 / Server 2022 or later, or Samba (4.15+)',
    predicate: (v) => contextTypes(v).includes('SIGNING'),
    conclusion: { allow: windowsFromOrOther('10.0.20348'), weight: 0.3, supports: 'Windows 11 / Server 2022+ or Samba' },
    evidenceValue: (v) => contextTypes(v).join(', '),
    source: 'MS-SMB2 Appendix A (signing capabilities: Windows 11, Server 2022); fixtures nt1__smbclient-L.pcap and live lab (Samba 4.17 answers PREAUTH, ENCRYPTION, SIGNING in that order); corpus samr-enum-lab rpcclient (Server 2022: same order)',
  },
  {
    id: 'smb2-cap-directory-leasing',
    signal: 'smb.capabilities',
    description: 'DIRECTORY_LEASING capability: Windows 8 / Server 2012 or later (Samba 4.17 never sets it)',
    predicate: (v) => strs(v).includes('DIRECTORY_LEASING'),
    conclusion: { allow: windowsFrom('6.2.9200'), weight: 0.3, supports: 'Windows 8 / Server 2012 or later' },
    source: 'MS-SMB2 §2.2.4 (SMB2_GLOBAL_CAP_DIRECTORY_LEASING, 3.x only); corpus Windows 10.0 hosts (0x2f); fixtures and live lab (Samba 4.17: DFS, LEASING, LARGE_MTU, MULTI_CHANNEL only)',
  },

  // --- NetBIOS node status ---------------------------------------------------------------------
  {
    id: 'nbstat-domain-controller',
    signal: 'nbstat.roles',
    description: 'Domain `<1C>` group name registered: domain controller (so a server edition)',
    predicate: (v) => strs(v).includes('domain-controller'),
    conclusion: { role: 'domain-controller', kind: 'server', weight: 0.5, supports: 'domain-controller' },
    evidenceValue: (_v, h) => namesWithSuffix(h, 0x1c),
    source: 'MS-NBTE §2.2.1 / [MS-BRWS] (DOMAIN<1C> registered by domain controllers); corpus samr-enum-lab nmap.pcapng (Server 2022 DC)',
  },
  {
    id: 'nbstat-domain-master-browser',
    signal: 'nbstat.roles',
    description: 'Domain `<1B>` name registered: domain master browser, i.e. the PDC (emulator) of a domain',
    predicate: (v) => strs(v).includes('domain-master-browser'),
    conclusion: { role: 'domain-controller', kind: 'server', weight: 0.4, supports: 'domain-controller' },
    evidenceValue: (_v, h) => namesWithSuffix(h, 0x1b),
    source: 'MS-BRWS §3.2.1 (the PDC is the domain master browser); corpus samr-enum-lab nmap.pcapng. Samba standalone with `domain master = yes` registers it too',
  },
  {
    id: 'nbstat-file-server',
    signal: 'nbstat.roles',
    description: '`<20>` unique name: the file server service runs (informational)',
    predicate: (v) => strs(v).includes('file-server'),
    conclusion: { weight: 0, supports: 'file-server' },
    evidenceValue: (_v, h) => namesWithSuffix(h, 0x20),
    source: 'RFC 1001/1002 and MS-NBTE (NetBIOS suffix 0x20: server service)',
  },
  {
    id: 'nbstat-mac-all-zero',
    signal: 'nbstat.macAllZero',
    description: 'Node status unit ID 00:00:00:00:00:00: Samba nmbd (Windows sends the adapter MAC)',
    predicate: (v) => v === true,
    conclusion: { allow: (c) => c.family !== 'Windows', weight: 0.35, supports: 'Samba (not Windows)' },
    evidenceValue: (_v, h) => h.nbstat?.mac ?? '00:00:00:00:00:00',
    source: 'fixtures nt1__nmblookup.pcap, smb3__nmblookup.pcap (Samba: MAC zero, statistics zero); corpus Windows answers carry the MAC (samr-enum-lab nmap.pcapng, zeek smb_v2_only_non_zero_reserved1.pcap)',
  },
]);

function contextTypes(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((c: unknown) => (c !== null && typeof c === 'object' && typeof (c as { type?: unknown }).type === 'string' ? [(c as { type: string }).type] : []));
}

function namesWithSuffix(h: { nbstat: { names: readonly { name: string; suffix: number }[] } | null }, suffix: number): string {
  const hex = suffix.toString(16).toUpperCase().padStart(2, '0');
  return (h.nbstat?.names ?? []).filter((n) => n.suffix === suffix).map((n) => `${n.name}<${hex}>`).join(', ');
}

/** Release ids by NT version, for rules and tests. */
export function windowsReleaseIds(filter: (r: WindowsRelease) => boolean): string[] {
  return WINDOWS_RELEASES.filter(filter).map((r) => r.id);
}


