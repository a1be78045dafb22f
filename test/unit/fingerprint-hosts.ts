/**
 * HostResults built by hand for the fingerprint tests, from facts only (no captured bytes):
 * the lab's Samba hosts (docs/fixtures.md, live probes of fixtures/lab.sh) and Windows hosts of
 * the third-party corpus (/work/shared/corpus/MANIFEST.tsv rows, read with tshark).
 */
import type { NodeNameEntry } from '../../src/codec/nbns.js';
import type { HostResult, NbstatResult, NegotiateContextAnswer, NtlmInfo, SmbResult } from '../../src/scan/result.js';
import { emptyNbstatResult, nbstatResult } from '../../src/probe/nbstat.js';
import { emptySmbResult } from '../../src/probe/smb.js';

export function smbWith(p: Partial<SmbResult> = {}): SmbResult {
  return { ...emptySmbResult(), ...p };
}

export function ntlmWith(p: Partial<NtlmInfo> = {}): NtlmInfo {
  return {
    netbiosComputer: null,
    netbiosDomain: null,
    dnsComputer: null,
    dnsDomain: null,
    dnsTree: null,
    osVersion: null,
    ntlmRevision: 15,
    targetName: null,
    timestamp: null,
    negotiateFlags: [],
    via: 'smb2',
    port: 445,
    ...p,
  };
}

/** A node status result through the probe's own derivation (roles, MAC facts). `[name, suffix, group]`. */
export function nbstatWith(names: readonly [string, number, boolean][], mac: string): NbstatResult {
  const entries: NodeNameEntry[] = names.map(([name, suffix, group]) => ({
    name,
    suffix,
    group,
    flags: (group ? 0x8000 : 0) | 0x0400,
    ont: 0,
    drg: false,
    cnf: false,
    act: true,
    prm: false,
  }));
  return nbstatResult({ kind: 'NBSTAT', names: entries, unitId: mac, statistics: null, extra: new Uint8Array(0) });
}

export function hostWith(p: { nbstat?: NbstatResult | null; smb?: SmbResult | null; ntlm?: NtlmInfo | null } = {}): HostResult {
  return {
    host: '192.0.2.99',
    address: '192.0.2.99',
    nbstat: p.nbstat ?? null,
    smb: p.smb ?? null,
    ntlm: p.ntlm ?? null,
    findings: [],
    errors: [],
    startedAt: '2024-01-01T00:00:00.000Z',
    durationMs: 1,
  };
}

const ctx = (...types: string[]): NegotiateContextAnswer[] => types.map((type) => ({ type, values: [] }));

// --- the lab (docs/fixtures.md; live probe of fixtures/lab.sh, Samba 4.17.12-Debian) -----------

const SAMBA_SMB2 = {
  dialects: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'],
  highestDialect: '3.1.1',
  capabilities: ['DFS', 'LEASING', 'LARGE_MTU', 'MULTI_CHANNEL'],
  spnegoMechanisms: ['NTLMSSP'],
  spnegoHint: 'not_defined_in_RFC4178@please_ignore',
  negotiateContexts: [
    { type: 'PREAUTH_INTEGRITY', values: ['SHA_512'] },
    { type: 'ENCRYPTION', values: ['AES_128_GCM'] },
    { type: 'SIGNING', values: ['AES_GMAC'] },
  ],
  bootTime: null,
};

/** `70626d73-6e2d-3174-...`: the lower-case NetBIOS name in the GUID bytes. */
function sambaGuid(name: string): { serverGuid: string; serverGuidText: string } {
  const b = Buffer.alloc(16);
  b.write(name.toLowerCase(), 'latin1');
  const h = b.toString('hex');
  const le = (s: string) => s.match(/../g)!.reverse().join('');
  return { serverGuid: `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`, serverGuidText: name.toLowerCase() };
}

function sambaNtlm(name: string): NtlmInfo {
  return ntlmWith({ netbiosComputer: name, netbiosDomain: name, dnsComputer: 'vm', dnsDomain: '', osVersion: '6.1.0', targetName: name });
}

export const SAMBA_VERSION = '4.17.12';
const SAMBA_LANMAN = `Samba ${SAMBA_VERSION}-Debian`;

/** nt1: SMBv1 on, nmbd browse master. */
export function labNt1(): HostResult {
  const name = 'SMBP-NT1';
  return hostWith({
    nbstat: nbstatWith(
      [[name, 0x00, false], [name, 0x03, false], [name, 0x20, false], ['\x01\x02__MSBROWSE__\x02', 0x01, true], ['SMBPLAB', 0x00, true], ['SMBPLAB', 0x1d, false], ['SMBPLAB', 0x1e, true]],
      '00:00:00:00:00:00',
    ),
    smb: smbWith({ ...SAMBA_SMB2, ...sambaGuid(name), dialects: ['NT LM 0.12', ...SAMBA_SMB2.dialects], smb1: 'enabled', nativeOs: 'Windows 6.1', nativeLanMan: SAMBA_LANMAN, primaryDomain: 'SMBPLAB' }),
    ntlm: sambaNtlm(name),
  });
}

/** smb3: SMBv1 off: no LanMan string, so no version. */
export function labSmb3(): HostResult {
  const name = 'SMBP-SMB3';
  return hostWith({
    nbstat: nbstatWith([[name, 0x00, false], [name, 0x03, false], [name, 0x20, false], ['SMBPLAB', 0x00, true], ['SMBPLAB', 0x1e, true]], '00:00:00:00:00:00'),
    smb: smbWith({ ...SAMBA_SMB2, ...sambaGuid(name), smb1: 'disabled' }),
    ntlm: sambaNtlm(name),
  });
}

/** nonb: no NetBIOS (137 unreachable), 445 only. */
export function labNonb(): HostResult {
  const name = 'SMBP-NONB';
  return hostWith({
    nbstat: emptyNbstatResult('unreachable'),
    smb: smbWith({ ...SAMBA_SMB2, ...sambaGuid(name), smb1: 'disabled' }),
    ntlm: sambaNtlm(name),
  });
}

/** lanman: SMB1 down to LANMAN1, no nmbd. */
export function labLanman(): HostResult {
  const name = 'SMBP-LANMAN';
  return hostWith({
    nbstat: emptyNbstatResult('unreachable'),
    smb: smbWith({ ...SAMBA_SMB2, ...sambaGuid(name), dialects: ['NT LM 0.12', ...SAMBA_SMB2.dialects], smb1: 'enabled', nativeOs: 'Windows 6.1', nativeLanMan: SAMBA_LANMAN, primaryDomain: 'SMBPLAB' }),
    ntlm: sambaNtlm(name),
  });
}

// --- Windows hosts of the corpus (facts of MANIFEST.tsv rows and tshark) ------------------------

const WIN_DOMAIN_MECHS = ['NEGOEX', 'MS-KRB5', 'KRB5', 'KRB5-U2U', 'NTLMSSP'];
const WIN_WORKGROUP_MECHS = ['NEGOEX', 'NTLMSSP'];
const HINT = 'not_defined_in_RFC4178@please_ignore';
const RANDOM_GUID = '885e64fe-395f-47f1-89ca-b2d3d3f893bf';

function domainNtlm(osVersion: string, nb: string, domain: string, dns: string): NtlmInfo {
  return ntlmWith({ netbiosComputer: nb, netbiosDomain: domain.toUpperCase(), dnsComputer: `${nb.toLowerCase()}.${dns}`, dnsDomain: dns, dnsTree: dns, osVersion, targetName: domain.toUpperCase() });
}

function workgroupNtlm(osVersion: string, nb: string, via: 'smb' | 'smb2' = 'smb2'): NtlmInfo {
  return ntlmWith({ netbiosComputer: nb, netbiosDomain: nb, dnsComputer: nb, dnsDomain: nb, osVersion, targetName: nb, via: via === 'smb' ? 'smb1' : 'smb2' });
}

/** zeek smb_v2_only_non_zero_reserved1.pcap: WIN-SVV-PC1, domain svv.local, NTLM 10.0.17763, 3.1.1 with PREAUTH+ENCRYPTION. */
export function corpusSvvPc1(): HostResult {
  return hostWith({
    smb: smbWith({
      dialects: ['3.1.1'],
      highestDialect: '3.1.1',
      capabilities: ['DFS', 'LEASING', 'LARGE_MTU', 'MULTI_CHANNEL', 'DIRECTORY_LEASING'],
      serverGuid: RANDOM_GUID,
      spnegoMechanisms: WIN_DOMAIN_MECHS,
      spnegoHint: HINT,
      negotiateContexts: ctx('PREAUTH_INTEGRITY', 'ENCRYPTION'),
    }),
    ntlm: domainNtlm('10.0.17763', 'WIN-SVV-PC1', 'SVV', 'svv.local'),
  });
}

/** samr-enum-lab: ZDC1, Windows Server 2022 DC (NTLM 10.0.20348), contexts as answered to net.exe; NBSTAT of the lab's DC (<1C>, <1B>). */
export function corpusZdc1(): HostResult {
  return hostWith({
    nbstat: nbstatWith([['ZDC1', 0x00, false], ['DOMAIN-Z', 0x00, true], ['DOMAIN-Z', 0x1c, true], ['ZDC1', 0x20, false], ['DOMAIN-Z', 0x1b, false]], '00:15:5d:58:76:20'),
    smb: smbWith({
      dialects: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'],
      highestDialect: '3.1.1',
      capabilities: ['DFS', 'LEASING', 'LARGE_MTU', 'MULTI_CHANNEL', 'DIRECTORY_LEASING'],
      serverGuid: 'f2a80652-fd7c-4c65-bba1-da5bb331a0d5',
      spnegoMechanisms: WIN_DOMAIN_MECHS,
      spnegoHint: HINT,
      negotiateContexts: ctx('PREAUTH_INTEGRITY', 'ENCRYPTION', 'SIGNING', 'RDMA_TRANSFORM', 'COMPRESSION'),
    }),
    ntlm: domainNtlm('10.0.20348', 'ZDC1', 'DOMAIN-Z', 'domain-z.local'),
  });
}

/** A host seen only through SMB1 session setup strings (+ NTLM when the row has it). */
export function smb1Host(nativeOs: string, nativeLanMan: string, ntlm: NtlmInfo | null = null): HostResult {
  return hostWith({ smb: smbWith({ dialects: ['NT LM 0.12'], highestDialect: 'NT LM 0.12', smb1: 'enabled', nativeOs, nativeLanMan }), ntlm });
}

export { ctx, domainNtlm, workgroupNtlm, WIN_DOMAIN_MECHS, WIN_WORKGROUP_MECHS, HINT, RANDOM_GUID };
