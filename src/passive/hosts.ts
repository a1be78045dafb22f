/**
 * Passive host results: from the decoded messages and paired exchanges of a capture, one
 * HostResult per host that answered something (NBNS answers, NBSS session responses, SMB from the
 * server side of TCP 139/445), in the same shape as a live scan — so the same formats, findings and
 * `--fail-on` apply. What is inferred from what is in docs/passive.md; in short:
 *
 *   nbstat        the host's NBSTAT answer (nbstatResult of the decoded table; rttMs from the query);
 *   smb.ports     every server port that sent SMB or NBSS, `open`;
 *   smb.dialects  the dialects the server SELECTED: SMB1 DialectIndex into the client's offer,
 *                 SMB2 DialectRevision (0x02FF, "use SMB2", is not a dialect: counted apart);
 *   smb1          enabled: it selected an SMB1 dialect (or answered SMB1 session traffic, when the
 *                 capture holds no negotiate on that port); disabled: it answered an offer of
 *                 NT LM 0.12 (without SMB 2.x dialects) with DialectIndex 0xFFFF or in SMB2 — an
 *                 SMB2 answer to a multi-protocol offer says nothing about SMB1; else unknown;
 *   signing, capabilities, GUID, times, SPNEGO, 3.1.1 contexts: the highest negotiate answer;
 *   ntlm          the first NTLMSSP CHALLENGE the server sent (SMB2 preferred, as live);
 *   nativeOs ...  the server's SMB1 SESSION_SETUP_ANDX answer;
 *   findings      computeFindings + the MS17-010-era detections (ms17.ts).
 *
 * Clients that only sent requests are not listed (they answered nothing); each server lists the
 * clients seen talking to it in `passive.clients`. Per-host state is bounded (lists capped).
 */
import type { Endpoint } from '../capture/messages.js';
import { nodeStatusOf } from '../codec/nbns.js';
import { NtStatus } from '../codec/ntstatus.js';
import { nbstatResult } from '../probe/nbstat.js';
import { Smb1Command, Smb1SecurityMode } from '../codec/smb1/index.js';
import { dialectName, type NegotiateResponse } from '../codec/smb2/index.js';
import { dialectDetail, serverFacts, type ServerFacts } from '../probe/smb-dialects.js';
import { computeFindings } from '../scan/findings.js';
import { fingerprint } from '../fingerprint/index.js';
import type {
  DialectDetail,
  Finding,
  HostResult,
  NbstatResult,
  NtlmInfo,
  ProbeErrorInfo,
  Smb1Evidence,
  Smb1State,
  SmbPortResult,
  SmbResult,
} from '../scan/result.js';
import type { DecodedMessage } from './decode.js';
import type { Exchange } from './exchanges.js';
import { MS17_FINDINGS, type Ms17Detection, type Ms17FindingId } from './ms17.js';
import { ntlmFromAuth, spnegoOf } from './summary.js';

const MAX_CLIENTS_LISTED = 32;
const MAX_CLIENTS_COUNTED = 4096;
const MAX_OFFERED = 32;
const MAX_ATTEMPTS = 16;
const MAX_ERRORS = 8;
const MAX_DETECTIONS_PER_ID = 64;

interface RankedDetail {
  rank: number;
  detail: DialectDetail;
}

interface PortState {
  port: number;
  transport: 'direct' | 'nbss';
  enabled: Smb1Evidence | null;
  disabled: Smb1Evidence | null;
  unknown: Smb1Evidence | null;
  /** SMB1 answered in session (no negotiate seen on this port). */
  inSession: Smb1Evidence | null;
  details: Map<string, RankedDetail>;
  calledName: string | null;
  attempts: Array<{ calledName: string; answer: string }>;
}

interface HostState {
  ip: string;
  firstFrame: number;
  lastFrame: number;
  firstTs: number;
  lastTs: number;
  answers: number;
  roles: Set<string>;
  nbstat: NbstatResult | null;
  ports: Map<number, PortState>;
  offered: string[];
  wildcard: number;
  clients: string[];
  clientSet: Set<string>;
  /** Highest SMB2 negotiate answer and its facts. */
  smb2Best: { revision: number; facts: ServerFacts } | null;
  smb1Facts: { serverGuid: string | null; systemTime: string | null; spnego: string[]; domain: string | null } | null;
  ntlm2: NtlmInfo | null;
  ntlm1: NtlmInfo | null;
  nativeOs: string | null;
  nativeLanMan: string | null;
  primaryDomain: string | null;
  ms17: Map<Ms17FindingId, Ms17Detection[]>;
  ms17Counts: Map<Ms17FindingId, number>;
  errors: ProbeErrorInfo[];
}

const tsOf = (meta: { tsSec: number; tsNsec: number }): number => meta.tsSec * 1000 + Math.floor(meta.tsNsec / 1e6);
const q = (s: string): string => `"${s}"`;
const isSmb2Offer = (d: string): boolean => d.startsWith('SMB 2.');
const NT_LM = 'NT LM 0.12';

/** Bounds and naming for a {@link HostBuilder}. */
export interface HostBuilderOptions {
  /** Name of the capture (for `passive.capture`). */
  capture?: string;
  /** Most hosts kept (default 1,000,000); further hosts are counted in `dropped`. */
  maxHosts?: number;
}

/** Builds one HostResult per answering host from decoded messages, the same shape as a live scan. */
export class HostBuilder {
  private readonly hosts = new Map<string, HostState>();
  private readonly capture: string;
  private readonly maxHosts: number;
  dropped = 0;

  constructor(opts: HostBuilderOptions = {}) {
    this.capture = opts.capture ?? '';
    this.maxHosts = opts.maxHosts ?? 1_000_000;
  }

  /** Every decoded message: who answered, on which ports, in-session SMB1, decode errors. */
  observe(m: DecodedMessage): void {
    if (m.kind === 'capture-error' || m.kind === 'gap') return;
    const meta = m.meta;
    if (m.kind === 'nbns') {
      if (!m.packet.response) return;
      const h = this.host(meta.src.ip, meta);
      if (!h) return;
      h.roles.add('nbns');
      h.answers++;
      this.client(h, meta.dst);
      return;
    }
    if (!meta.fromServer) {
      const h = this.hosts.get(meta.dst.ip);
      if (h) {
        this.touch(h, meta);
        this.client(h, meta.src);
      }
      return;
    }
    const h = this.host(meta.src.ip, meta);
    if (!h) return;
    h.answers++;
    this.client(h, meta.dst);
    const p = this.port(h, meta.src.port, meta.transport === 'nbss' ? 'nbss' : 'direct');
    if (m.kind === 'nbss') {
      h.roles.add('nbss');
      return;
    }
    if (m.kind === 'decode-error') {
      if (h.errors.length < MAX_ERRORS) {
        h.errors.push({
          step: 'decode', status: 'protocol-error',
          message: `frame ${meta.frame}: undecodable ${m.error.protocol} message from port ${meta.src.port}: ${m.error.message}`,
          code: m.error.code, field: m.error.field, offset: m.error.offset,
        });
      }
      return;
    }
    h.roles.add('smb-server');
    if (m.kind === 'smb1') {
      const hd = m.header;
      if (hd.command !== Smb1Command.NEGOTIATE && hd.isReply && hd.status === NtStatus.STATUS_SUCCESS && p.inSession === null) {
        p.inSession = {
          port: p.port, sent: [], received: 'smb1-session-traffic', status: hd.statusName, frame: meta.frame,
          reason: `frame ${meta.frame}: the server answered SMB1 ${hd.commandName ?? `0x${hd.command.toString(16)}`} with STATUS_SUCCESS (an SMB1 dialect was negotiated before the capture)`,
        };
      }
      // read the body only when it can still tell something (it may be decoded on first read)
      if (hd.command === Smb1Command.SESSION_SETUP_ANDX && hd.isReply && (h.nativeOs === null || h.ntlm1 === null) && m.body.command === 'session-setup-response') {
        const r = m.body.message;
        if ('nativeOs' in r && r.nativeOs !== undefined && h.nativeOs === null) {
          h.nativeOs = r.nativeOs;
          h.nativeLanMan = r.nativeLanMan ?? null;
          if (r.primaryDomain !== undefined) h.primaryDomain = r.primaryDomain;
        }
        if (h.ntlm1 === null) h.ntlm1 = ntlmFromAuth(m.body.auth, 'smb1', meta.src.port);
      }
    } else if (m.kind === 'smb2' && m.message.kind === 'session-setup-response' && h.ntlm2 === null) {
      h.ntlm2 = ntlmFromAuth(m.auth, 'smb2', meta.src.port);
    }
  }

  /** A paired (or lone) exchange: negotiate verdicts, NBSTAT tables, NBSS answers, offers. */
  exchange(x: Exchange): void {
    switch (x.type) {
      case 'nbstat':
        this.nbstat(x);
        return;
      case 'nbss-session':
        this.nbssSession(x);
        return;
      case 'smb1-negotiate':
        this.smb1Negotiate(x);
        return;
      case 'smb2-negotiate':
        this.smb2Negotiate(x);
        return;
      default:
        return;
    }
  }

  /** An MS17-010-era detection (kept by reference: an EternalBlue count may still grow). */
  detection(d: Ms17Detection): void {
    const h = this.hosts.get(d.server.ip) ?? this.host(d.server.ip, { frame: d.frames[0]!, tsSec: d.tsSec, tsNsec: d.tsNsec });
    if (!h) return;
    h.ms17Counts.set(d.id, (h.ms17Counts.get(d.id) ?? 0) + 1);
    const list = h.ms17.get(d.id) ?? [];
    if (list.length < MAX_DETECTIONS_PER_ID) list.push(d);
    h.ms17.set(d.id, list);
  }

  /** The results, hosts ordered by address. */
  results(): HostResult[] {
    return [...this.hosts.values()].sort((a, b) => compareIp(a.ip, b.ip)).map((h) => this.result(h));
  }

  // -------------------------------------------------------------------------------------------

  private host(ip: string, meta: { frame: number; tsSec: number; tsNsec: number }): HostState | undefined {
    let h = this.hosts.get(ip);
    if (!h) {
      if (this.hosts.size >= this.maxHosts) {
        this.dropped++;
        return undefined;
      }
      const t = tsOf(meta);
      h = {
        ip, firstFrame: meta.frame, lastFrame: meta.frame, firstTs: t, lastTs: t, answers: 0, roles: new Set(), nbstat: null,
        ports: new Map(), offered: [], wildcard: 0, clients: [], clientSet: new Set(), smb2Best: null, smb1Facts: null,
        ntlm2: null, ntlm1: null, nativeOs: null, nativeLanMan: null, primaryDomain: null, ms17: new Map(), ms17Counts: new Map(), errors: [],
      };
      this.hosts.set(ip, h);
    }
    this.touch(h, meta);
    return h;
  }

  private touch(h: HostState, meta: { frame: number; tsSec: number; tsNsec: number }): void {
    const t = tsOf(meta);
    if (meta.frame < h.firstFrame) h.firstFrame = meta.frame;
    if (meta.frame > h.lastFrame) h.lastFrame = meta.frame;
    if (t < h.firstTs) h.firstTs = t;
    if (t > h.lastTs) h.lastTs = t;
  }

  private client(h: HostState, e: Endpoint): void {
    if (h.clientSet.has(e.ip) || e.ip === h.ip) return;
    if (h.clientSet.size < MAX_CLIENTS_COUNTED) h.clientSet.add(e.ip);
    if (h.clients.length < MAX_CLIENTS_LISTED) h.clients.push(e.ip);
  }

  private port(h: HostState, port: number, transport: 'direct' | 'nbss'): PortState {
    let p = h.ports.get(port);
    if (!p) {
      p = { port, transport, enabled: null, disabled: null, unknown: null, inSession: null, details: new Map(), calledName: null, attempts: [] };
      h.ports.set(port, p);
    }
    return p;
  }

  private offer(h: HostState, dialects: readonly string[]): void {
    for (const d of dialects) if (d !== '' && !h.offered.includes(d) && h.offered.length < MAX_OFFERED) h.offered.push(d);
  }

  private nbstat(x: Exchange): void {
    // the table of the answer's message (what its summary's nbstat holds), built only when kept
    if (!x.response || x.message?.kind !== 'nbns' || !x.message.packet.response) return;
    const st = nodeStatusOf(x.message.packet);
    if (st === undefined) return;
    const h = this.hosts.get(x.message.meta.src.ip);
    if (!h) return;
    // the first table; a later, longer one replaces it (a name registered meanwhile)
    if (h.nbstat !== null && st.names.length <= h.nbstat.names.length) return;
    const r = nbstatResult(st, x.message.packet.warnings);
    r.rttMs = x.request ? rtt(x.request, x.response) : null;
    h.nbstat = r;
  }

  private nbssSession(x: Exchange): void {
    if (!x.response || x.message?.kind !== 'nbss') return;
    const meta = x.message.meta;
    const h = this.hosts.get(meta.src.ip);
    if (!h) return;
    const p = this.port(h, meta.src.port, 'nbss');
    const raw = typeof x.request?.fields['calledName'] === 'string' ? (x.request.fields['calledName'] as string) : '?';
    // as the live probe reports it: the bare name for the file-server suffix <20>
    const called = raw.endsWith('<20>') ? raw.slice(0, -4) : raw;
    const answer = String(x.response.fields['error'] ?? x.response.fields['answer'] ?? '?');
    if (x.message.message.type === 0x82 && p.calledName === null) p.calledName = called;
    if (p.attempts.length < MAX_ATTEMPTS) p.attempts.push({ calledName: called, answer });
  }

  private smb1Negotiate(x: Exchange): void {
    const offered = Array.isArray(x.request?.fields['dialects']) ? (x.request.fields['dialects'] as string[]) : null;
    const m = x.message;
    if (offered) {
      const h = this.hosts.get(x.server.ip);
      if (h) this.offer(h, offered);
    }
    if (!m || !x.response || (m.kind !== 'smb1' && m.kind !== 'smb2')) return;
    const meta = m.meta;
    const h = this.hosts.get(meta.src.ip);
    if (!h) return;
    if (offered) this.offer(h, offered);
    const p = this.port(h, meta.src.port, meta.transport === 'nbss' ? 'nbss' : 'direct');
    const reqFrame = x.request?.frame;
    const ev = (received: string, reason: string, extra: Partial<Smb1Evidence> = {}): Smb1Evidence => {
      const e: Smb1Evidence = { port: p.port, sent: offered ? [...offered] : [], received, ...extra, reason: `frame ${meta.frame}: ${reason}`, frame: meta.frame };
      if (reqFrame !== undefined) e.requestFrame = reqFrame;
      return e;
    };
    const offersNtLm = offered?.includes(NT_LM) ?? false;
    const offersSmb2 = offered?.some(isSmb2Offer) ?? false;
    if (m.kind === 'smb2') {
      if (m.message.kind !== 'negotiate-response') return;
      const b = m.message.body;
      const status = m.message.header.status;
      if (status !== NtStatus.STATUS_SUCCESS) return;
      this.smb2Answer(h, p, b, meta.src.port);
      if (offersNtLm && !offersSmb2) {
        p.disabled ??= ev('smb2-response', `the client offered only SMB1 dialects (${NT_LM} among them) and the server answered in SMB2 (dialect ${dialectName(b.dialectRevision)}): it does not speak SMB1`, { dialect: dialectName(b.dialectRevision) });
      } else if (!offered) {
        p.unknown ??= ev('smb2-response', 'SMB2 answer to an SMB1 NEGOTIATE whose offer is not in the capture: nothing said about SMB1');
      }
      return;
    }
    if (m.kind !== 'smb1') return;
    if (m.body.command !== 'negotiate-response') {
      p.unknown ??= ev('smb1-malformed', 'the SMB1 NEGOTIATE answer did not decode');
      return;
    }
    const r = m.body.message;
    const extra: Partial<Smb1Evidence> = { status: r.header.statusName, wordCount: r.wordCount };
    if (r.dialectIndex !== undefined) extra.dialectIndex = r.dialectIndex;
    if (r.header.status !== 0 || r.dialectIndex === undefined) {
      p.unknown ??= ev('smb1-negotiate-response', `SMB1 NEGOTIATE answered with status ${r.header.statusName}`, extra);
      return;
    }
    if (r.dialectIndex === 0xffff) {
      if (offersNtLm) p.disabled ??= ev('smb1-negotiate-response', `DialectIndex 0xFFFF: none of the offered dialects, ${NT_LM} among them (SMB1 refused)`, extra);
      else p.unknown ??= ev('smb1-negotiate-response', `DialectIndex 0xFFFF to an offer without ${NT_LM}: only those old dialects were refused`, extra);
      return;
    }
    if (offered && r.dialectIndex >= offered.length) {
      p.unknown ??= ev('smb1-negotiate-response', `DialectIndex ${r.dialectIndex} is outside the ${offered.length} offered dialects`, extra);
      return;
    }
    const name = r.dialect ?? (offered ? offered[r.dialectIndex] : undefined) ?? `SMB1 dialect #${r.dialectIndex}`;
    if (isSmb2Offer(name)) return; // "SMB 2.002" chosen in SMB1 form: not an SMB1 dialect
    extra.dialect = name;
    p.enabled ??= ev('smb1-negotiate-response', `the server selected ${q(name)} (DialectIndex ${r.dialectIndex}) from the client's offer`, extra);
    let detail: DialectDetail;
    if (r.form === 'nt') {
      detail = {
        dialect: name,
        securityMode: r.securityMode,
        signing: {
          enabled: (r.securityMode & Smb1SecurityMode.SECURITY_SIGNATURES_ENABLED) !== 0,
          required: (r.securityMode & Smb1SecurityMode.SECURITY_SIGNATURES_REQUIRED) !== 0,
        },
        capabilities: [...r.capabilityNames],
      };
      h.smb1Facts ??= {
        serverGuid: r.serverGuid ?? null,
        systemTime: r.systemTime,
        spnego: spnegoOf(m.body.auth).mechanisms,
        domain: r.domainName ?? null,
      };
    } else {
      const mode = r.form === 'lanman' ? r.securityMode : 0;
      detail = { dialect: name, securityMode: mode, signing: { enabled: false, required: false }, capabilities: [] };
      if (r.form === 'lanman') h.smb1Facts ??= { serverGuid: null, systemTime: null, spnego: [], domain: r.primaryDomain ?? null };
    }
    p.details.set(name, { rank: 0, detail });
  }

  private smb2Negotiate(x: Exchange): void {
    const m = x.message;
    const offered = Array.isArray(x.request?.fields['dialects']) ? (x.request.fields['dialects'] as string[]) : null;
    const h0 = this.hosts.get(x.server.ip);
    if (offered && h0) this.offer(h0, offered);
    if (!m || m.kind !== 'smb2' || m.message.kind !== 'negotiate-response' || m.message.header.status !== NtStatus.STATUS_SUCCESS) return;
    const meta = m.meta;
    const h = this.hosts.get(meta.src.ip);
    if (!h) return;
    if (offered) this.offer(h, offered);
    this.smb2Answer(h, this.port(h, meta.src.port, meta.transport === 'nbss' ? 'nbss' : 'direct'), m.message.body, meta.src.port);
  }

  private smb2Answer(h: HostState, p: PortState, b: NegotiateResponse, port: number): void {
    const rev = b.dialectRevision;
    if (rev === 0x02ff) {
      h.wildcard++;
      return;
    }
    const d = dialectDetail(b);
    p.details.set(d.dialect, { rank: rev, detail: d });
    if (h.smb2Best === null || rev > h.smb2Best.revision) {
      const facts = serverFacts(b, port);
      h.smb2Best = { revision: rev, facts };
      for (const w of facts.warnings) if (h.errors.length < MAX_ERRORS) h.errors.push(w);
    }
  }

  private result(h: HostState): HostResult {
    const ports: SmbPortResult[] = [];
    const smbPorts = [...h.ports.values()].sort((a, b) => a.port - b.port);
    let best: RankedDetail | null = null;
    const all = new Map<string, number>();
    for (const p of smbPorts) {
      const verdict: Smb1State = p.enabled ? 'enabled' : p.disabled ? 'disabled' : p.unknown ? 'unknown' : p.inSession ? 'enabled' : 'unknown';
      const evidence = p.enabled ?? p.disabled ?? p.unknown ?? p.inSession;
      const ranked = [...p.details.values()].sort((a, b) => a.rank - b.rank);
      for (const r of ranked) {
        all.set(r.detail.dialect, r.rank);
        if (!best || r.rank > best.rank) best = r;
      }
      const pr: SmbPortResult = {
        port: p.port,
        transport: p.transport,
        status: 'open',
        smb1: verdict,
        smb1Evidence: evidence,
        dialects: ranked.map((r) => r.detail.dialect),
        details: ranked.map((r) => r.detail),
        errors: [],
      };
      if (p.transport === 'nbss' || p.attempts.length > 0) pr.nbss = { calledName: p.calledName, attempts: p.attempts.map((a) => ({ ...a })) };
      ports.push(pr);
    }
    let smb: SmbResult | null = null;
    if (h.roles.has('smb-server') || h.roles.has('nbss') || ports.length > 0) {
      const withEvidence = ports.filter((p) => p.smb1Evidence !== null);
      const f = h.smb2Best?.facts ?? null;
      const s1 = h.smb1Facts;
      smb = {
        ports: Object.fromEntries(ports.map((p) => [String(p.port), p])),
        dialects: [...all.entries()].sort((a, b) => a[1] - b[1]).map(([d]) => d),
        smb1: withEvidence.some((p) => p.smb1 === 'enabled') ? 'enabled' : withEvidence.length > 0 && withEvidence.every((p) => p.smb1 === 'disabled') ? 'disabled' : 'unknown',
        smb1Evidence: withEvidence.map((p) => p.smb1Evidence!),
        signing: best ? { ...best.detail.signing } : { enabled: null, required: null },
        capabilities: best ? [...best.detail.capabilities] : [],
        highestDialect: best ? best.detail.dialect : null,
        serverGuid: f?.serverGuid ?? s1?.serverGuid ?? null,
        serverGuidText: f?.serverGuidText ?? null,
        systemTime: f?.systemTime ?? s1?.systemTime ?? null,
        bootTime: f?.bootTime ?? null,
        maxTransactSize: f?.maxTransactSize ?? null,
        maxReadSize: f?.maxReadSize ?? null,
        maxWriteSize: f?.maxWriteSize ?? null,
        spnegoMechanisms: f?.spnegoMechanisms.length ? f.spnegoMechanisms : (s1?.spnego ?? []),
        spnegoHint: f?.spnegoHint ?? null,
        negotiateContexts: f?.negotiateContexts ?? [],
        nativeOs: h.nativeOs,
        nativeLanMan: h.nativeLanMan,
        primaryDomain: h.primaryDomain ?? s1?.domain ?? null,
      };
    }
    const r: HostResult = {
      host: h.ip,
      address: h.ip,
      nbstat: h.nbstat,
      smb,
      ntlm: h.ntlm2 ?? h.ntlm1,
      findings: [],
      errors: [...h.errors],
      startedAt: new Date(h.firstTs).toISOString(),
      durationMs: h.lastTs - h.firstTs,
      passive: {
        capture: this.capture,
        roles: [...h.roles].sort(),
        firstFrame: h.firstFrame,
        lastFrame: h.lastFrame,
        answers: h.answers,
        offeredDialects: [...h.offered],
        smb2WildcardAnswers: h.wildcard,
        clients: [...h.clients],
        clientCount: h.clientSet.size,
        ms17010: [...h.ms17.values()].flat().map((d) => ({ id: d.id, frames: [...d.frames], client: d.client.ip, detail: d.detail })),
      },
    };
    r.os = fingerprint(r);
    r.findings = [...ms17Findings(h), ...computeFindings(r)];
    const order: Record<string, number> = { high: 0, medium: 1, low: 2, info: 3 };
    r.findings.sort((a, b) => order[a.severity]! - order[b.severity]!);
    return r;
  }
}

function rtt(a: { tsSec: number; tsNsec: number }, b: { tsSec: number; tsNsec: number }): number {
  const ms = (b.tsSec - a.tsSec) * 1000 + (b.tsNsec - a.tsNsec) / 1e6;
  return Math.round(ms * 1000) / 1000;
}

const MAX_EVIDENCE_LINES = 8;

function ms17Findings(h: HostState): Finding[] {
  const out: Finding[] = [];
  for (const [id, list] of h.ms17) {
    const def = MS17_FINDINGS[id];
    const n = h.ms17Counts.get(id) ?? list.length;
    const evidence = list.slice(0, MAX_EVIDENCE_LINES).map((d) => d.detail);
    if (n > evidence.length) evidence.push(`${n} in all (first ${evidence.length} shown)`);
    out.push({ id, severity: def.severity, title: def.title, evidence });
  }
  return out;
}

/** IPv4 before IPv6, numerically. */
function compareIp(a: string, b: string): number {
  const ka = ipKey(a);
  const kb = ipKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function ipKey(ip: string): string {
  if (!ip.includes(':')) return `4${ip.split('.').map((o) => o.padStart(3, '0')).join('.')}`;
  return `6${ip}`;
}
