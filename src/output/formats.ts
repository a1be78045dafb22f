/**
 * Formatters over HostResult. Each is a small state machine producing text: `begin()` once,
 * `host(r)` per host as it finishes, `end()` once (also after an interrupt, so a JSON array is
 * always closed). Machine formats keep data exact; `table` escapes every wire string.
 */
import type { HostResult, NbstatName, SmbResult } from '../scan/result.js';
import { fingerprintLabel } from '../fingerprint/index.js';
import { escapeControl } from './escape.js';

export type OutputFormat = 'table' | 'json' | 'ndjson' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson', 'csv'];

export interface Formatter {
  begin(): string;
  host(r: HostResult): string;
  end(): string;
}

export interface FormatterOptions {
  /** table: add the nbtscan-style name table, dialects, findings and errors under each host. */
  verbose?: boolean;
}

export function createFormatter(format: OutputFormat, opts: FormatterOptions = {}): Formatter {
  switch (format) {
    case 'json':
      return jsonFormatter();
    case 'ndjson':
      return ndjsonFormatter();
    case 'csv':
      return csvFormatter();
    case 'table':
      return tableFormatter(opts);
  }
}

// ---------------------------------------------------------------------------------------------
// json / ndjson

/** A JSON array written element by element: `[`, then each host, then `]` (also on interrupt). */
export function jsonFormatter(): Formatter {
  let n = 0;
  return {
    begin: () => '[',
    host: (r) => {
      const body = JSON.stringify(r, null, 2).replace(/\n/g, '\n  ');
      return `${n++ === 0 ? '' : ','}\n  ${body}`;
    },
    end: () => (n === 0 ? ']\n' : '\n]\n'),
  };
}

/** One JSON document per line, written as each host finishes. */
export function ndjsonFormatter(): Formatter {
  return { begin: () => '', host: (r) => `${JSON.stringify(r)}\n`, end: () => '' };
}

// ---------------------------------------------------------------------------------------------
// csv

/** The fixed CSV header: one row per host, lists joined with `;`. */
export const CSV_COLUMNS = [
  'host',
  'address',
  'nbstat_status',
  'computer_name',
  'workgroup',
  'mac',
  'mac_vendor',
  'users',
  'roles',
  'ports',
  'smb1',
  'dialects',
  'highest_dialect',
  'signing_enabled',
  'signing_required',
  'server_guid',
  'netbios_computer',
  'netbios_domain',
  'dns_computer',
  'dns_domain',
  'dns_tree',
  'os_version',
  'native_os',
  'os',
  'os_confidence',
  'findings',
  'errors',
  'started_at',
  'duration_ms',
] as const;

/**
 * RFC 4180 field: quoted when it holds `"`, `,`, CR or LF (quotes doubled). A text cell that a
 * spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, TAB or CR) gets a leading
 * `'` — the only change ever made to a value.
 */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const portsCell = (smb: SmbResult | null): string =>
  smb ? Object.values(smb.ports).map((p) => `${p.port}/${p.transport}:${p.status}`).join(';') : '';

export function csvRow(r: HostResult): string {
  const n = r.nbstat;
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null | undefined> = {
    host: r.host,
    address: r.address,
    nbstat_status: n?.status,
    computer_name: n?.computerName,
    workgroup: n?.workgroup,
    mac: n?.mac,
    mac_vendor: n?.macVendor,
    users: n?.users.join(';'),
    roles: n?.roles.join(';'),
    ports: portsCell(r.smb),
    smb1: r.smb?.smb1,
    dialects: r.smb?.dialects.join(';'),
    highest_dialect: r.smb?.highestDialect,
    signing_enabled: r.smb?.signing.enabled,
    signing_required: r.smb?.signing.required,
    server_guid: r.smb?.serverGuid,
    netbios_computer: r.ntlm?.netbiosComputer,
    netbios_domain: r.ntlm?.netbiosDomain,
    dns_computer: r.ntlm?.dnsComputer,
    dns_domain: r.ntlm?.dnsDomain,
    dns_tree: r.ntlm?.dnsTree,
    os_version: r.ntlm?.osVersion,
    native_os: r.smb?.nativeOs,
    os: r.os && r.os.family !== null ? fingerprintLabel(r.os) : null,
    os_confidence: r.os?.confidence,
    findings: r.findings.map((f) => f.id).join(';'),
    errors: r.errors.map((e) => `${e.step}:${e.status}`).join(';'),
    started_at: r.startedAt,
    duration_ms: r.durationMs,
  };
  return CSV_COLUMNS.map((c) => csvField(values[c])).join(',') + '\r\n';
}

export function csvFormatter(): Formatter {
  return { begin: () => CSV_COLUMNS.join(',') + '\r\n', host: csvRow, end: () => '' };
}

// ---------------------------------------------------------------------------------------------
// table

const pad = (s: string, w: number): string => (s.length >= w ? `${s} ` : s + ' '.repeat(w - s.length));
const esc = (s: string | null | undefined): string => (s === null || s === undefined || s === '' ? '-' : escapeControl(s));

/** Host's name: NTLM NetBIOS computer, else the NBSTAT computer name. */
function hostName(r: HostResult): string | null {
  return r.ntlm?.netbiosComputer ?? r.nbstat?.computerName ?? null;
}
function hostDomain(r: HostResult): string | null {
  // outside a domain the NTLM NetBIOS domain is just the computer name again: the workgroup says more
  const ntlmDomain = r.ntlm?.netbiosDomain && r.ntlm.netbiosDomain !== r.ntlm.netbiosComputer ? r.ntlm.netbiosDomain : null;
  return ntlmDomain ?? (r.ntlm?.dnsDomain || null) ?? r.nbstat?.workgroup ?? r.smb?.primaryDomain ?? r.ntlm?.netbiosDomain ?? null;
}
function hostOs(r: HostResult): string | null {
  if (r.os && r.os.family !== null) return fingerprintLabel(r.os);
  if (r.ntlm?.osVersion) return `NT ${r.ntlm.osVersion}`;
  return r.smb?.nativeOs ?? null;
}
function signingText(r: HostResult): string {
  const s = r.smb?.signing;
  if (!s || s.required === null) return '-';
  return s.required ? 'required' : s.enabled === false ? 'disabled' : 'not required';
}
function nbstatText(r: HostResult): string {
  if (!r.nbstat) return '';
  return r.nbstat.status === 'ok' ? '' : ` nbstat:${r.nbstat.status}`;
}

export const TABLE_HEADER = `${pad('HOST', 16)}${pad('NAME', 16)}${pad('DOMAIN', 16)}${pad('OS', 36)}${pad('SIGNING', 13)}${pad('SMBv1', 9)}FINDINGS`;

/** One summary line per host (NetExec-style), plus details with `verbose`. */
export function tableLines(r: HostResult, verbose = false): string {
  const sev = r.findings.map((f) => f.id).join(',');
  const smb1 = r.smb ? r.smb.smb1 : '-';
  const closed = r.smb && Object.values(r.smb.ports).every((p) => p.status !== 'open') ? ' smb:closed' : '';
  let out =
    `${pad(esc(r.host), 16)}${pad(esc(hostName(r)), 16)}${pad(esc(hostDomain(r)), 16)}${pad(esc(hostOs(r)), 36)}` +
    `${pad(signingText(r), 13)}${pad(smb1, 9)}${sev || '-'}${closed}${nbstatText(r)}${r.errors.length > 0 ? ` (${r.errors.length} error${r.errors.length > 1 ? 's' : ''})` : ''}\n`;
  if (!verbose) return out;
  const ind = '    ';
  if (r.host !== r.address) out += `${ind}address: ${esc(r.address)}\n`;
  const n = r.nbstat;
  if (n && n.status === 'ok') {
    out += `${ind}NetBIOS names:\n`;
    for (const name of n.names) out += `${ind}  ${nameLine(name)}\n`;
    if (n.mac !== null) out += `${ind}MAC: ${esc(n.mac)}${n.macAllZero ? ' (all zero)' : n.macVendor ? ` (${esc(n.macVendor)})` : ''}\n`;
    if (n.users.length > 0) out += `${ind}users: ${n.users.map(esc).join(', ')}\n`;
    if (n.roles.length > 0) out += `${ind}roles: ${n.roles.map(esc).join(', ')}\n`;
  } else if (n) out += `${ind}NBSTAT: ${n.status}\n`;
  const smb = r.smb;
  if (smb) {
    out += `${ind}ports: ${Object.values(smb.ports).map((p) => `${p.port}/${p.transport} ${p.status}`).join(', ')}\n`;
    out += `${ind}dialects: ${smb.dialects.length > 0 ? smb.dialects.join(', ') : '-'}\n`;
    for (const e of smb.smb1Evidence) out += `${ind}SMBv1 on ${e.port}: ${esc(e.received)}${e.dialect !== undefined ? ` (${esc(e.dialect)})` : ''} — ${esc(e.reason)}\n`;
    if (smb.serverGuid) out += `${ind}server GUID: ${esc(smb.serverGuid)}${smb.serverGuidText ? ` (${esc(smb.serverGuidText)})` : ''}\n`;
    if (smb.systemTime) out += `${ind}system time: ${esc(smb.systemTime)}\n`;
  }
  const t = r.ntlm;
  if (t) {
    const facts = [
      ['NetBIOS computer', t.netbiosComputer],
      ['NetBIOS domain', t.netbiosDomain],
      ['DNS computer', t.dnsComputer],
      ['DNS domain', t.dnsDomain],
      ['DNS tree', t.dnsTree],
      ['OS version', t.osVersion],
    ].filter(([, v]) => v);
    out += `${ind}NTLM (${t.via} on ${t.port}): ${facts.map(([k, v]) => `${k} ${esc(v)}`).join(', ')}\n`;
  }
  for (const f of r.findings) out += `${ind}[${f.severity}] ${f.id}: ${esc(f.title)}\n${f.evidence.map((e) => `${ind}    ${esc(e)}\n`).join('')}`;
  for (const e of r.errors) out += `${ind}error ${esc(e.step)} ${e.status}: ${esc(e.message)}\n`;
  return out;
}

/** nbtscan -v style: name, <suffix>, UNIQUE/GROUP, service, flags. */
export function nameLine(n: NbstatName): string {
  const flags = [n.active ? 'ACTIVE' : '', n.permanent ? 'PERMANENT' : '', n.conflict ? 'CONFLICT' : '', n.deregistering ? 'DEREGISTERING' : ''].filter(Boolean).join(' ');
  return `${pad(escapeControl(n.name), 16)}<${n.suffix.toString(16).padStart(2, '0')}> ${pad(n.group ? 'GROUP' : 'UNIQUE', 7)}${pad(n.nodeType, 2)}${pad(escapeControl(n.service), 26)}${flags}`.trimEnd();
}

export function tableFormatter(opts: FormatterOptions = {}): Formatter {
  return { begin: () => `${TABLE_HEADER}\n`, host: (r) => tableLines(r, opts.verbose ?? false), end: () => '' };
}
