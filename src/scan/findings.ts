/**
 * Findings as data: each rule has an id, a severity, a title and a test over a HostResult that
 * returns its evidence (facts from what was sent and received) or null. Rules only read results:
 * a finding is never a guess — `smb1-enabled` needs the SMB1 verdict `enabled`, not `unknown`.
 */
import type { Finding, HostResult, Severity, Smb1Evidence, SmbPortResult } from './result.js';

export interface FindingRule {
  id: string;
  severity: Severity;
  title: string;
  /** Evidence strings when the rule applies, else null. */
  test(r: HostResult): string[] | null;
}

/** Quoted as-is (wire text): table output escapes evidence, JSON keeps it exact. */
const q = (s: string): string => `"${s}"`;

const openPorts = (r: HostResult): SmbPortResult[] => Object.values(r.smb?.ports ?? {}).filter((p) => p.status === 'open');

function smb1EvidenceText(e: Smb1Evidence): string {
  const parts = [`port ${e.port}: sent SMB1 NEGOTIATE offering ${e.sent.map((d) => q(d)).join(', ')}`, `received ${e.received}`];
  if (e.status !== undefined) parts.push(`status ${e.status}`);
  if (e.dialectIndex !== undefined) parts.push(`DialectIndex ${e.dialectIndex}${e.dialect !== undefined ? ` (${q(e.dialect)})` : ''}`);
  if (e.wordCount !== undefined) parts.push(`WordCount ${e.wordCount}`);
  if (e.bytes !== undefined) parts.push(`${e.bytes} bytes`);
  parts.push(e.reason);
  return parts.join('; ');
}

/** The standard rules, in report order (most severe first). */
export const FINDING_RULES: readonly FindingRule[] = [
  {
    id: 'smb1-enabled',
    severity: 'high',
    title: 'SMBv1 is accepted (the EternalBlue / MS17-010-era protocol)',
    test(r) {
      if (r.smb?.smb1 !== 'enabled') return null;
      const ev = r.smb.smb1Evidence.filter((e) => r.smb!.ports[String(e.port)]?.smb1 === 'enabled');
      return (ev.length > 0 ? ev : r.smb.smb1Evidence).map(smb1EvidenceText);
    },
  },
  {
    id: 'signing-not-required',
    severity: 'medium',
    title: 'SMB signing is not required (NTLM relay to this host is possible)',
    test(r) {
      const ev: string[] = [];
      for (const p of openPorts(r)) {
        // one line per port and SecurityMode: the dialects that answered with it
        const byMode = new Map<string, string[]>();
        for (const d of p.details) {
          if (d.signing.required !== false) continue;
          const key = `SecurityMode 0x${d.securityMode.toString(16).padStart(2, '0')} (signing ${d.signing.enabled ? 'enabled' : 'disabled'}, not required)`;
          byMode.set(key, [...(byMode.get(key) ?? []), d.dialect]);
        }
        for (const [mode, dialects] of byMode) ev.push(`port ${p.port}: ${dialects.join(', ')} negotiated with ${mode}`);
      }
      if (ev.length === 0 && r.smb?.signing.required === false) ev.push('negotiate responses do not require signing');
      return ev.length > 0 ? ev : null;
    },
  },
  {
    id: 'smb1-only',
    severity: 'high',
    title: 'Only SMBv1 is offered (no SMB2 or SMB3 dialect accepted)',
    test(r) {
      const d = r.smb?.dialects ?? [];
      if (d.length === 0 || d.some((x) => x !== 'NT LM 0.12')) return null;
      // a capture shows what was selected, not all that is accepted: only an SMB2 offer turned down proves it
      if (r.passive && !r.passive.offeredDialects.some((o) => /^(SMB 2\.|[23]\.)/.test(o))) return null;
      return [`accepted dialects: ${d.join(', ')}`];
    },
  },
  {
    id: 'netbios-exposed',
    severity: 'low',
    title: 'NetBIOS name service answers node status (names and users readable)',
    test(r) {
      const n = r.nbstat;
      if (!n || n.status !== 'ok' || n.names.length === 0) return null;
      const ev = [`UDP 137: NBSTAT query answered with ${n.names.length} name${n.names.length === 1 ? '' : 's'}`];
      if (n.computerName !== null) ev.push(`computer name ${q(n.computerName)}`);
      if (n.workgroup !== null) ev.push(`workgroup/domain ${q(n.workgroup)}`);
      if (n.users.length > 0) ev.push(`logged-on users ${n.users.map((u) => q(u)).join(', ')}`);
      if (n.mac !== null) ev.push(`MAC ${n.mac}`);
      return ev;
    },
  },
  {
    id: 'smb-over-netbios',
    severity: 'info',
    title: 'SMB over NetBIOS session service (TCP 139) is open',
    test(r) {
      const ev = openPorts(r)
        .filter((p) => p.transport === 'nbss')
        .map((p) => {
          const called = p.nbss?.calledName;
          return `TCP ${p.port}: open${called ? `, session accepted for called name ${q(called)}` : ''}`;
        });
      return ev.length > 0 ? ev : null;
    },
  },
  {
    id: 'ntlm-info-disclosure',
    severity: 'info',
    title: 'Anonymous NTLM negotiation discloses host names and OS version',
    test(r) {
      const n = r.ntlm;
      if (!n) return null;
      const facts: string[] = [];
      if (n.netbiosComputer) facts.push(`NetBIOS computer ${q(n.netbiosComputer)}`);
      if (n.netbiosDomain) facts.push(`NetBIOS domain ${q(n.netbiosDomain)}`);
      if (n.dnsComputer) facts.push(`DNS computer ${q(n.dnsComputer)}`);
      if (n.dnsDomain) facts.push(`DNS domain ${q(n.dnsDomain)}`);
      if (n.osVersion) facts.push(`OS version ${n.osVersion}`);
      if (facts.length === 0) return null;
      return [`port ${n.port}: ${n.via.toUpperCase()} SESSION_SETUP with NTLMSSP NEGOTIATE answered by a CHALLENGE: ${facts.join(', ')}`];
    },
  },
];

export const FINDING_IDS: readonly string[] = FINDING_RULES.map((r) => r.id);

const SEVERITY_ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/** Run the rules over a result (its `findings` field is ignored). */
export function computeFindings(r: HostResult, rules: readonly FindingRule[] = FINDING_RULES): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) {
    const evidence = rule.test(r);
    if (evidence) out.push({ id: rule.id, severity: rule.severity, title: rule.title, evidence });
  }
  return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** `--fail-on`: whether any of the ids is among the findings. */
export function hasFinding(findings: readonly Finding[], ids: ReadonlySet<string>): boolean {
  return findings.some((f) => ids.has(f.id));
}
