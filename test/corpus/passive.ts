/**
 * Passive-mode conformance: what `smbprobe pcap` reports per host (hosts, NBSTAT names and MACs,
 * selected dialects, SMB1 verdicts, NTLM facts, MS17-010 findings) against the same facts derived
 * from tshark's decoding of the same file. The derivations are written here from tshark's fields
 * (independently of src/passive), with the rules of docs/passive.md.
 */
import { fingerprintLabel } from '../../src/fingerprint/index.js';
import { releasesByNtlmVersion } from '../../src/fingerprint/windows-builds.js';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dialectName } from '../../src/codec/smb2/constants.js';
import { analyzeCapture } from '../../src/passive/analyze.js';
import type { HostResult } from '../../src/scan/result.js';
import { tsharkNetbiosName } from '../conformance/fields.js';

const SEP = '\x1e';
const FIELDS = [
  'frame.number', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.stream',
  'nbns.flags.response', 'nbns.type', 'nbns.netbios_name', 'nbns.name_flags', 'nbns.unit_id',
  'nbss.type',
  'smb.cmd', 'smb.flags.response', 'smb.mid', 'smb.nt_status', 'smb.error_class', 'smb.dialect.index', 'smb.dialect.name', 'smb.trans2.cmd', 'smb_pipe.function', 'smb.tdc', 'smb.dc',
  'smb2.cmd', 'smb2.flags.response', 'smb2.nt_status', 'smb2.dialect',
  'ntlmssp.messagetype', 'ntlmssp.challenge.target_info.nb_computer_name', 'ntlmssp.challenge.target_info.nb_domain_name',
  'ntlmssp.challenge.target_info.dns_computer_name', 'ntlmssp.version.major', 'ntlmssp.version.minor', 'ntlmssp.version.build_number',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string[]>;

const SERVER_PORTS = new Set(['139', '445']);
const NT_LM = 'NT LM 0.12';

function tsharkRows(file: string): Row[] {
  const args = ['-r', file, '-n', '-Y', 'nbns || nbss || smb || smb2', '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${SEP}`, '-E', 'separator=\t',
    '-o', 'tcp.desegment_tcp_streams:TRUE', '-o', 'nbss.desegment_nbss_commands:TRUE'];
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'latin1', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => {
    const cols = l.split('\t');
    const row = {} as Row;
    FIELDS.forEach((f, i) => (row[f] = cols[i] ? cols[i]!.split(SEP) : []));
    return row;
  });
}

const last = (v: string[]): string | undefined => v[v.length - 1];
const first = (v: string[]): string | undefined => v[0];
const num = (v: string | undefined): number => (v === undefined ? NaN : Number(v));

interface Expected {
  hosts: Set<string>;
  nbstat: Map<string, Array<{ names: string[]; flags: number[]; mac: string | null }>>;
  dialects: Map<string, Set<string>>;
  smb1: Map<string, 'enabled' | 'disabled' | 'unknown'>;
  ntlm: Map<string, { nb: string | null; domain: string | null; dns: string | null; version: string | null }>;
  probes: Set<number>;
  implants: Set<number>;
  vulnerable: Set<number>;
  eternalblue: Set<string>;
}

/** The facts tshark's fields support, by the rules of docs/passive.md. */
export function expectedFromTshark(rows: Row[]): Expected {
  const e: Expected = { hosts: new Set(), nbstat: new Map(), dialects: new Map(), smb1: new Map(), ntlm: new Map(), probes: new Set(), implants: new Set(), vulnerable: new Set(), eternalblue: new Set() };
  const ntlm2 = new Map<string, Expected['ntlm'] extends Map<string, infer V> ? V : never>();
  const ntlm1 = new Map<string, Expected['ntlm'] extends Map<string, infer V> ? V : never>();
  // per server port: verdict evidence as docs/passive.md orders it
  const port = new Map<string, { enabled: boolean; disabled: boolean; unknown: boolean; inSession: boolean }>();
  const portOf = (k: string) => {
    let p = port.get(k);
    if (!p) port.set(k, (p = { enabled: false, disabled: false, unknown: false, inSession: false }));
    return p;
  };
  const smb1Negs = new Map<string, string[]>(); // stream|mid → offered
  const lastSmb1Neg = new Map<string, string[] | null>(); // stream → offered of the open SMB1 negotiate
  const probes = new Map<string, number>(); // stream|mid → frame
  const peeks = new Map<string, number>();
  const ntTrans = new Map<string, boolean>();
  for (const r of rows) {
    const frame = num(first(r['frame.number']));
    const src = last(r['ip.src']) ?? last(r['ipv6.src']) ?? '';
    const sport = first(r['tcp.srcport']);
    const stream = first(r['tcp.stream']) ?? '';
    const fromServer = sport !== undefined && SERVER_PORTS.has(sport);
    const isTcp = sport !== undefined;
    // NBNS
    if (!isTcp && r['nbns.flags.response'].some(yes)) {
      e.hosts.add(src);
      if (r['nbns.type'].includes('33') && r['nbns.netbios_name'].length > 0) {
        const list = e.nbstat.get(src) ?? [];
        list.push({ names: r['nbns.netbios_name'], flags: r['nbns.name_flags'].map((x) => Number(x)), mac: first(r['nbns.unit_id']) ?? null });
        e.nbstat.set(src, list);
      }
    }
    if (!isTcp || !fromServer) {
      // client → server requests
      if (!isTcp) continue;
      const cmds = r['smb.cmd'];
      if (cmds.length > 0 && first(r['smb.cmd']) === '0x72' && !yes(r['smb.flags.response'][0])) {
        smb1Negs.set(`${stream}|${first(r['smb.mid'])}`, r['smb.dialect.name']);
        lastSmb1Neg.set(stream, r['smb.dialect.name']);
      }
      if (cmds.includes('0x32') && r['smb.trans2.cmd'].includes('0x000e')) {
        // the TRANS2 PDU's MID: the one aligned with command 0x32
        const i = cmds.indexOf('0x32');
        const mid = r['smb.mid'][i] ?? first(r['smb.mid']);
        probes.set(`${stream}|${mid}`, frame);
        e.probes.add(frame);
      }
      if (cmds.includes('0x25') && r['smb_pipe.function'].includes('0x0023')) peeks.set(`${stream}|${first(r['smb.mid'])}`, frame);
      if (first(r['smb.cmd']) === '0xa0' && num(first(r['smb.tdc'])) > num(first(r['smb.dc']))) ntTrans.set(`${stream}|${first(r['smb.mid'])}`, true);
      if (first(r['smb.cmd']) === '0x33' && ntTrans.get(`${stream}|${first(r['smb.mid'])}`)) e.eternalblue.add(last(r['ip.dst']) ?? last(r['ipv6.dst']) ?? '');
      if (r['smb2.cmd'].length > 0 && first(r['smb2.cmd']) === '0') lastSmb1Neg.delete(stream);
      continue;
    }
    // server → client
    e.hosts.add(src);
    const pk = `${src}|${sport}`;
    const cmd = first(r['smb.cmd']);
    if (cmd !== undefined && yes(r['smb.flags.response'][0])) {
      const status = num(first(r['smb.nt_status']) ?? '0') || (first(r['smb.error_class']) && first(r['smb.error_class']) !== '0x00' ? 1 : 0);
      if (cmd === '0x72') {
        const mid = first(r['smb.mid']);
        const offered = smb1Negs.get(`${stream}|${mid}`) ?? null;
        lastSmb1Neg.delete(stream);
        const idx = num(first(r['smb.dialect.index']));
        const p = portOf(pk);
        if (status !== 0 || Number.isNaN(idx)) p.unknown = true;
        else if (idx === 0xffff) {
          if (offered?.includes(NT_LM)) p.disabled = true;
          else p.unknown = true;
        } else if (offered && idx >= offered.length) p.unknown = true;
        else {
          const name = offered?.[idx];
          if (!name || !name.startsWith('SMB 2.')) {
            p.enabled = true;
            if (name) add(e.dialects, src, name);
          }
        }
      } else if (status === 0) {
        portOf(pk).inSession = true;
      }
      const cmds = r['smb.cmd'];
      if (cmds.includes('0x32')) {
        const mid = num(first(r['smb.mid']));
        const pf = probes.get(`${stream}|${mid}`);
        if (pf !== undefined) probes.delete(`${stream}|${mid}`);
        else if (probes.has(`${stream}|${mid - 16}`)) {
          probes.delete(`${stream}|${mid - 16}`);
          e.implants.add(frame);
        }
      }
      if (cmd === '0x25' && peeks.has(`${stream}|${first(r['smb.mid'])}`)) {
        peeks.delete(`${stream}|${first(r['smb.mid'])}`);
        if (first(r['smb.nt_status']) === '0xc0000205') e.vulnerable.add(frame);
      }
    }
    if (r['smb2.cmd'].length > 0 && first(r['smb2.cmd']) === '0' && yes(r['smb2.flags.response'][0]) && num(first(r['smb2.nt_status'])) === 0) {
      const d = num(first(r['smb2.dialect']));
      if (d !== 0x02ff) add(e.dialects, src, dialectName(d));
      if (lastSmb1Neg.has(stream)) {
        const offered = lastSmb1Neg.get(stream);
        lastSmb1Neg.delete(stream);
        if (offered && offered.includes(NT_LM) && !offered.some((x) => x.startsWith('SMB 2.'))) portOf(pk).disabled = true;
        else if (!offered) portOf(pk).unknown = true;
      }
    }
    if (r['ntlmssp.messagetype'].includes('0x00000002')) {
      const facts = {
        nb: first(r['ntlmssp.challenge.target_info.nb_computer_name']) ?? null,
        domain: first(r['ntlmssp.challenge.target_info.nb_domain_name']) ?? null,
        dns: first(r['ntlmssp.challenge.target_info.dns_computer_name']) ?? null,
        version: r['ntlmssp.version.major'].length > 0 ? `${first(r['ntlmssp.version.major'])}.${first(r['ntlmssp.version.minor'])}.${first(r['ntlmssp.version.build_number'])}` : null,
      };
      const target = r['smb2.cmd'].length > 0 ? ntlm2 : ntlm1;
      if (!target.has(src)) target.set(src, facts);
    }
  }
  for (const [k, p] of port) {
    const ip = k.slice(0, k.lastIndexOf('|'));
    const v = p.enabled ? 'enabled' : p.disabled ? 'disabled' : p.unknown ? 'unknown' : p.inSession ? 'enabled' : null;
    if (v === null) continue;
    const cur = e.smb1.get(ip);
    // any port enabled → enabled; every port with evidence disabled → disabled
    if (cur === undefined) e.smb1.set(ip, v);
    else if (cur === 'enabled' || v === 'enabled') e.smb1.set(ip, 'enabled');
    else if (cur !== v) e.smb1.set(ip, 'unknown');
  }
  for (const ip of new Set([...ntlm2.keys(), ...ntlm1.keys()])) e.ntlm.set(ip, ntlm2.get(ip) ?? ntlm1.get(ip)!);
  return e;
}

function yes(v: string | undefined): boolean {
  return v === '1' || v === 'True';
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k) ?? new Set<string>();
  s.add(v);
  m.set(k, s);
}

/** MANIFEST.tsv `contents` → which MS17-010 findings the capture must produce. */
export function manifestMs17(dir: string, file: string): string[] {
  const path = join(dir, 'MANIFEST.tsv');
  const alt = join(dirname(dir), 'MANIFEST.tsv');
  const p = existsSync(path) ? path : existsSync(alt) ? alt : null;
  if (!p) return [];
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    const cols = line.split('\t');
    if (cols[0] !== basename(file)) continue;
    const m = /MS17-010-related counters \{([^}]*)\}/.exec(cols[6] ?? '');
    if (!m) return [];
    const c = m[1]!;
    const out: string[] = [];
    if (/trans2_session_setup/.test(c)) out.push('doublepulsar-probe');
    if (/trans2_resp_mid81/.test(c)) out.push('doublepulsar-implant');
    if (/peeknamedpipe_insuff_resources/.test(c)) out.push('ms17-010-vulnerable');
    if (/nt_trans=/.test(c) && /trans2_secondary=/.test(c)) out.push('eternalblue-exploit-attempt');
    return out;
  }
  return [];
}

/** MANIFEST.tsv `contents` → the NTLM challenges tshark saw: NetBIOS computer name → NTLM version. */
export function manifestChallenges(dir: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const path = join(dir, 'MANIFEST.tsv');
  const alt = join(dirname(dir), 'MANIFEST.tsv');
  const p = existsSync(path) ? path : existsSync(alt) ? alt : null;
  if (!p) return out;
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    const cols = line.split('\t');
    if (cols[0] !== basename(file)) continue;
    const m = /challenges \{([^}]*)\}/.exec(cols[6] ?? '');
    for (const entry of (m?.[1] ?? '').split(/,\s*(?=[^,]*\\)/)) {
      const e = /\\([^\s\\\[]+)\s*(?:\[[^\]]*\])?\s*ver (\d+\.\d+\.\d+)/.exec(entry);
      if (e) out.set(e[1]!.toUpperCase(), e[2]!);
    }
  }
  return out;
}

/**
 * Issue 6's proof over the corpus: every host whose NTLM version the MANIFEST (tshark) shows is
 * fingerprinted as that release: Windows with a product the build table gives for that NTLM
 * build, or Samba for Samba's 6.1.0.
 */
export function checkFingerprints(hosts: HostResult[], dir: string, file: string): { problems: string[]; checked: string[] } {
  const problems: string[] = [];
  const checked: string[] = [];
  for (const [name, version] of manifestChallenges(dir, file)) {
    const h = hosts.find((x) => x.ntlm?.netbiosComputer?.toUpperCase() === name && x.ntlm.osVersion === version);
    if (!h) {
      problems.push(`fingerprint ${name}: MANIFEST shows NTLM ${version}, no such host reported`);
      continue;
    }
    const os = h.os;
    const label = fingerprintLabel(os);
    if (version === '6.1.0') {
      if (os?.family !== 'Samba') problems.push(`fingerprint ${name}: NTLM 6.1.0 (Samba), we say ${label}`);
      else checked.push(`${name}=${label}`);
      continue;
    }
    const releases = releasesByNtlmVersion(version);
    if (os?.family !== 'Windows') problems.push(`fingerprint ${name}: NTLM ${version}, we say ${label}`);
    else if (releases.length > 0 && !releases.some((r) => os.product !== null && os.product.includes(r.product))) {
      problems.push(`fingerprint ${name}: NTLM ${version} is ${releases.map((r) => `${r.product} ${r.version ?? ''}`.trim()).join(' or ')}, we say ${label}`);
    } else checked.push(`${name}=${label}`);
  }
  return { problems, checked };
}

export interface PassiveCheck {
  ok: boolean;
  summary: string;
  problems: string[];
}

const sortJoin = (s: Iterable<string>): string => [...s].sort().join(',');

/** Run `smbprobe pcap`'s analysis and compare with tshark; `dir` holds the MANIFEST. */
export async function checkPassive(file: string, dir: string): Promise<PassiveCheck> {
  const { hosts, stopped } = await analyzeCapture(file, { capture: basename(file) });
  const exp = expectedFromTshark(tsharkRows(file));
  const by = new Map<string, HostResult>(hosts.map((h) => [h.address, h]));
  const problems: string[] = [];
  const counts = { hosts: 0, names: 0, dialects: 0, verdicts: 0, ntlm: 0, ms17: 0 };
  // hosts
  for (const ip of exp.hosts) if (!by.has(ip)) problems.push(`host ${ip}: answered in tshark, missing`);
  for (const ip of by.keys()) if (!exp.hosts.has(ip)) problems.push(`host ${ip}: reported, but tshark shows no answer from it`);
  counts.hosts = by.size;
  // names and MACs
  for (const [ip, tables] of exp.nbstat) {
    const n = by.get(ip)?.nbstat;
    if (!n || n.status !== 'ok') {
      problems.push(`nbstat ${ip}: tshark has a node status answer, none reported`);
      continue;
    }
    const ours = n.names.map((x) => tsharkNetbiosName({ name: x.name, suffix: x.suffix, scope: '' }).replace(/<[0-9a-f]{2}>$/, ''));
    const flags = n.names.map((x) => x.flags);
    const match = tables.find((t) => t.names.join('|') === ours.join('|') && t.flags.join('|') === flags.join('|') && (t.mac ?? null) === n.mac);
    if (!match) problems.push(`nbstat ${ip}: ${ours.join(',')} / ${n.mac} matches none of tshark's ${tables.map((t) => `${t.names.join(',')} / ${t.mac}`).join(' ; ')}`);
    else counts.names += ours.length;
  }
  // dialects
  for (const [ip, h] of by) {
    const want = exp.dialects.get(ip) ?? new Set<string>();
    const got = new Set((h.smb?.dialects ?? []).filter((d) => !d.startsWith('SMB1 dialect #')));
    if (sortJoin(want) !== sortJoin(got)) problems.push(`dialects ${ip}: ours [${sortJoin(got)}], tshark [${sortJoin(want)}]`);
    else counts.dialects += got.size;
  }
  // SMB1 verdicts
  for (const [ip, h] of by) {
    const want = exp.smb1.get(ip) ?? 'unknown';
    const got = h.smb?.smb1 ?? 'unknown';
    if (want !== got) problems.push(`smb1 ${ip}: ours ${got}, tshark ${want}`);
    else if (got !== 'unknown') counts.verdicts++;
  }
  // NTLM
  for (const [ip, h] of by) {
    const want = exp.ntlm.get(ip);
    const got = h.ntlm;
    if (!want && !got) continue;
    if (!want || !got) {
      problems.push(`ntlm ${ip}: ${want ? 'tshark has a CHALLENGE, none reported' : 'reported, tshark has no CHALLENGE'}`);
      continue;
    }
    const a = [got.netbiosComputer, got.netbiosDomain, got.dnsComputer, got.osVersion].join('|');
    const b = [want.nb, want.domain, want.dns, want.version].join('|');
    if (a !== b) problems.push(`ntlm ${ip}: ours ${a}, tshark ${b}`);
    else counts.ntlm++;
  }
  // MS17-010
  const frames = (id: string, pick: (f: number[]) => number): Set<number> =>
    new Set(hosts.flatMap((h) => (h.passive?.ms17010 ?? []).filter((d) => d.id === id).map((d) => pick(d.frames))));
  const cmp = (what: string, got: Set<number>, want: Set<number>): void => {
    const g = [...got].sort((x, y) => x - y).join(',');
    const w = [...want].sort((x, y) => x - y).join(',');
    if (g !== w) problems.push(`${what}: ours frames [${g}], tshark [${w}]`);
    else counts.ms17 += got.size;
  };
  cmp('doublepulsar-probe', frames('doublepulsar-probe', (f) => f[0]!), exp.probes);
  cmp('doublepulsar-implant', frames('doublepulsar-implant', (f) => f[f.length - 1]!), exp.implants);
  cmp('ms17-010-vulnerable', frames('ms17-010-vulnerable', (f) => f[f.length - 1]!), exp.vulnerable);
  const ids = new Set(hosts.flatMap((h) => h.findings.map((f) => f.id)));
  for (const id of manifestMs17(dir, file)) if (!ids.has(id)) problems.push(`MANIFEST lists ${id} traffic, no such finding`);
  const eb = new Set(hosts.filter((h) => h.findings.some((f) => f.id === 'eternalblue-exploit-attempt')).map((h) => h.address));
  if ((exp.eternalblue.size > 0) !== (eb.size > 0)) problems.push(`eternalblue: ours [${sortJoin(eb)}], tshark ${exp.eternalblue.size > 0 ? 'has' : 'has no'} NT_TRANSACT + TRANS2_SECONDARY`);
  const fp = checkFingerprints(hosts, dir, file);
  problems.push(...fp.problems);
  const ms = [...ids].filter((i) => /ms17|pulsar|eternal/.test(i)).sort();
  const summary =
    `passive: ${counts.hosts} hosts, ${counts.names} names, ${counts.dialects} dialects, ${counts.verdicts} SMB1 verdicts, ${counts.ntlm} NTLM facts agree with tshark` +
    `${fp.checked.length ? `; fingerprints as MANIFEST: ${fp.checked.join(', ')}` : ''}` +
    `${ms.length ? `; MS17-010: ${ms.join(', ')}` : ''}${stopped ? `; capture stops at offset ${stopped.offset}` : ''}`;
  return { ok: problems.length === 0, summary, problems };
}
