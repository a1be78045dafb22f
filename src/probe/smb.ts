/**
 * probeSmb: on each of 445 (direct TCP) and 139 (NBSS), the SMBv1 verdict with its evidence, every
 * SMB2/3 dialect the server accepts with per-dialect signing and capabilities, the server facts of
 * the highest negotiate, and host facts from an anonymous NTLMSSP SESSION_SETUP.
 *
 * Connections per port (SMB2 server accepting k dialects, SMB1 probe included):
 *   A: NEGOTIATE offering every dialect (3.1.1 with every context) → highest; the same connection
 *      carries the NTLMSSP SESSION_SETUP, then is closed without completing authentication.
 *   B: SMB1 NEGOTIATE offering only `NT LM 0.12` (in parallel with A); when SMB1 is enabled the
 *      same connection carries the SMB1 extended-security SESSION_SETUP.
 *   Lower dialects, strategy 'each' (default): one connection per dialect below A's answer, all
 *      started as soon as A's NEGOTIATE is answered (alongside A's SESSION_SETUP), so a host costs
 *      two rounds however many dialects it accepts. Strategy 'descending': offer every dialect below
 *      the last answer; the server picks the greatest it accepts (MS-SMB2 §3.3.5.4), so each
 *      connection finds the next accepted dialect or shows that none is left: k - 1 connections
 *      (+ 1 when 2.0.2 is not accepted), one after the other. Both cost the same when every dialect
 *      below the highest is accepted (Windows, Samba defaults); 'descending' is cheaper on a server
 *      with a raised minimum, 'each' is k - 1 rounds faster.
 *   On 139 a negative NBSS answer costs one more connection per called name tried.
 * So 2 + (k - 1) per port: 6 for a Samba host with SMB1 on and 2.0.2 … 3.1.1.
 *
 * Retries (a busy server must not cost an answer): a connect that timed out or was reset is tried
 * again, with backoff and within the host deadline, when the port is known to be open (an earlier
 * connection to it was established) or when our own connects meet congestion elsewhere — never on
 * a port that only ever timed out (filtered). So is a NEGOTIATE that got no byte before the idle
 * timeout on a port that answered another connection. A connection closed or reset right after a
 * NEGOTIATE without a byte of answer is tried once more before that close counts as an answer. The
 * transport's ConnectLimiter keeps connects in flight under what the servers absorb.
 *
 * SMBv1 verdict (per port, then per host):
 *   enabled  — a valid SMB1 NEGOTIATE response: \xFFSMB, command 0x72, reply, status 0,
 *              DialectIndex 0 (the only dialect offered) and WordCount 17.
 *   disabled — the server refused SMB1: DialectIndex 0xFFFF; or an SMB2 answer; or a reset / close
 *              right after the request without a byte of answer, on a connection that was accepted
 *              (and its NBSS session established), provided the same port answered SMB2 — a port
 *              that answers nothing at all is not "SMB1 off", it is broken or not SMB.
 *   unknown  — anything else: timeout, connect failure of the SMB1 connection, reset before the
 *              request, a non-zero status, a malformed or unexpected answer.
 */
import createDebug from 'debug';
import { Smb1Capabilities, Smb1Command, Smb1Dialect, Smb1SecurityMode, NO_DIALECT, bitNames } from '../codec/smb1/constants.js';
import { smb1NegotiateRequest, smb1OnlyNegotiate } from '../codec/smb1/negotiate.js';
import { sessionSetupRequest, smb1SessionSetupRequest } from '../codec/smb1/session-setup.js';
import { NtStatus, ntStatusName } from '../codec/ntstatus.js';
import { dialectName } from '../codec/smb2/constants.js';
import { DecodeError } from '../errors.js';
import type {
  DialectDetail,
  NtlmInfo,
  ProbeErrorInfo,
  Smb1Evidence,
  Smb1State,
  SmbPortResult,
  SmbResult,
} from '../scan/result.js';
import { TcpError, TcpHost, TCP_DEFAULTS, type ConnectLimiter, type TcpConnection } from '../transport/tcp.js';
import {
  SMB2_DIALECTS,
  challengeFromBlob,
  dialectDetail,
  ntlmInfoFrom,
  ntlmInitToken,
  refusedByClose,
  serverFacts,
  silentTimeout,
  smb2Negotiate,
  smb2NtlmInfo,
  type ServerFacts,
  type Smb2NegotiateOutcome,
} from './smb-dialects.js';
import {
  decodeSmb1Negotiate,
  decodeSmb1SessionSetup,
  errorInfo,
  nbssSessionRequest,
  newRunIdentity,
  receiveSmb,
  unexpected,
  type RunIdentity,
  type SmbReply,
} from './smb-session.js';

const log = createDebug('smbprobe:smb');

/** A port to probe and its framing: `direct` (445, 4-byte length) or `nbss` (139, session request first). */
export interface SmbTarget {
  port: number;
  transport: 'direct' | 'nbss';
}

/** 445 direct, then 139 through the NetBIOS session service. */
export const DEFAULT_SMB_TARGETS: readonly SmbTarget[] = [
  { port: 445, transport: 'direct' },
  { port: 139, transport: 'nbss' },
];

/** Options of {@link probeSmb}: ports, timeouts and deadline, response byte cap, NTLM, NBSS called names, cancellation. */
export interface SmbProbeOptions {
  /** Default: 445 direct, 139 nbss. */
  ports?: SmbTarget[];
  /** Default 3000 ms. */
  connectTimeoutMs?: number;
  /** No byte for this long while an answer is awaited → timeout. Default 5000 ms. */
  idleTimeoutMs?: number;
  /** Total deadline for the host (every connection). Default 30000 ms. */
  hostTimeoutMs?: number;
  /** Default 64 KiB. */
  maxResponseBytes?: number;
  /** Concurrent connections to the host. Default 6. */
  maxConnections?: number;
  /** Default true: anonymous SESSION_SETUP with NTLMSSP NEGOTIATE for host facts. */
  ntlm?: boolean;
  /** The host's <20> name from nbstat: the first NBSS called name on 139. */
  netbiosName?: string | null;
  /** For the first-DNS-label fallback of the called name, and the 3.1.1 NETNAME context. */
  dnsName?: string | null;
  /** Lower-dialect enumeration (see the module comment). Default 'each'. */
  dialectStrategy?: 'descending' | 'each';
  /** Bound on connects in flight over hosts (default: the process-wide one; null: none). */
  limiter?: ConnectLimiter | null;
  signal?: AbortSignal;
}

/** What {@link probeSmb} learned: the SMB result, the NTLM host facts (or null) and every step that failed. */
export interface SmbProbeResult {
  smb: SmbResult;
  ntlm: NtlmInfo | null;
  errors: ProbeErrorInfo[];
}

/** Thrown by openSession when every NBSS called name was refused. */
class NbssRefused extends Error {}

interface PortContext {
  host: TcpHost;
  target: SmbTarget;
  id: RunIdentity;
  opts: SmbProbeOptions;
  netName: string;
  /** Port 139: the called name that got a positive answer. */
  calledName: string | null;
  result: SmbPortResult;
}

/** What a port gave beyond SmbPortResult, for the host-level combination. */
interface PortInternals {
  result: SmbPortResult;
  highest: number | null;
  facts: ServerFacts | null;
  ntlm2: NtlmInfo | null;
  ntlm1: NtlmInfo | null;
  nativeOs: string | null;
  nativeLanMan: string | null;
  primaryDomain: string | null;
}

const SMB1_DIALECT = Smb1Dialect.NT_LM_0_12;

/** Called-name candidates on 139: <20> name, *SMBSERVER, first DNS label — upper-case, ≤ 15, deduplicated. */
export function calledNameCandidates(netbiosName?: string | null, dnsName?: string | null): string[] {
  const out: string[] = [];
  const add = (n: string | null | undefined): void => {
    if (!n) return;
    const v = n.trim().toUpperCase().slice(0, 15);
    if (v && !out.includes(v)) out.push(v);
  };
  add(netbiosName);
  add('*SMBSERVER');
  if (dnsName && !/^[\d.]+$/.test(dnsName) && !dnsName.includes(':')) add(dnsName.split('.')[0]);
  return out;
}

/** Connect retries after a timeout or reset (see the module comment). */
const CONNECT_RETRIES = 2;
/** Retries of a connection closed right after the NEGOTIATE, without an answer. */
const CLOSE_RETRIES = 1;
const BACKOFF_MS = 150;
/** Congestion this recent makes a timeout on a port not yet seen open worth one more try. */
const CONGESTION_MEMORY_MS = 10_000;

/** Wait before attempt `n + 1` (exponential, jittered); false when the host's signal aborted first. */
function backoff(ctx: PortContext, n: number): Promise<boolean> {
  const signal = ctx.host.signal;
  if (signal.aborted) return Promise.resolve(false);
  const ms = BACKOFF_MS * 2 ** n * (0.5 + Math.random());
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function retryableConnect(ctx: PortContext, e: unknown): boolean {
  if (!(e instanceof TcpError) || e.phase !== 'connect' || e.reason === 'host-deadline') return false;
  if (e.status !== 'timeout' && e.status !== 'reset') return false;
  return ctx.host.hasConnected(ctx.target.port) || (ctx.host.limiter?.congestedWithin(CONGESTION_MEMORY_MS) ?? false);
}

/** host.connect, tried again after a timeout or reset that a busy server explains. */
async function connectRetrying(ctx: PortContext): Promise<TcpConnection> {
  for (let n = 0; ; n++) {
    try {
      return await ctx.host.connect(ctx.target.port, ctx.target.transport);
    } catch (e) {
      if (n >= CONNECT_RETRIES || !retryableConnect(ctx, e)) throw e;
      log('%s:%d connect %s, retrying', ctx.host.address, ctx.target.port, (e as TcpError).reason);
      if (!(await backoff(ctx, n))) throw e;
    }
  }
}

/** Open a connection ready for SMB: on 139 with an NBSS session (trying called names on first use). */
async function openSession(ctx: PortContext): Promise<TcpConnection> {
  const { host, target } = ctx;
  if (target.transport === 'direct') return connectRetrying(ctx);
  const names = ctx.calledName !== null ? [ctx.calledName] : calledNameCandidates(ctx.opts.netbiosName, ctx.opts.dnsName);
  const nbss = (ctx.result.nbss ??= { calledName: null, attempts: [] });
  for (const name of names) {
    const conn = await connectRetrying(ctx);
    try {
      const answer = await nbssSessionRequest(conn, name, ctx.id.callingName);
      if (answer.kind === 'positive') {
        if (ctx.calledName === null) {
          ctx.calledName = name;
          nbss.calledName = name;
          nbss.attempts.push({ calledName: name, answer: 'POSITIVE_SESSION_RESPONSE' });
        }
        return conn;
      }
      conn.close();
      if (ctx.calledName !== null) throw new NbssRefused(`called name ${name} no longer accepted`);
      // never follow a retarget: traffic goes only where the caller pointed
      const text =
        answer.kind === 'negative' ? answer.errorName
        : answer.kind === 'retarget' ? `RETARGET_SESSION_RESPONSE ${answer.address}:${answer.port} (not followed)`
        : answer.type;
      nbss.attempts.push({ calledName: name, answer: text });
      log('%s:%d called name %s: %s', host.address, target.port, name, text);
    } catch (e) {
      conn.close();
      if (ctx.calledName === null && !(e instanceof NbssRefused)) {
        nbss.attempts.push({ calledName: name, answer: 'error', error: e instanceof Error ? e.message : String(e) });
      }
      throw e;
    }
  }
  throw new NbssRefused(`no NBSS called name accepted (${names.join(', ')})`);
}

function portStatusFor(e: unknown): SmbPortResult['status'] {
  if (e instanceof TcpError && e.phase === 'connect') {
    if (e.status === 'refused') return 'closed';
    if (e.status === 'timeout' || e.status === 'unreachable') return 'filtered';
  }
  return 'error';
}

// ------------------------------------------------------------------------------------ SMB1

interface Smb1Outcome {
  evidence: Smb1Evidence;
  /** 'refused-by-close' needs the SMB2 side to become 'disabled'. */
  verdict: Smb1State | 'refused-by-close';
  detail: DialectDetail | null;
  ntlm: NtlmInfo | null;
  nativeOs: string | null;
  nativeLanMan: string | null;
  primaryDomain: string | null;
  errors: ProbeErrorInfo[];
}

async function runSmb1(ctx: PortContext): Promise<Smb1Outcome> {
  const port = ctx.target.port;
  const ev: Smb1Evidence = { port, sent: [SMB1_DIALECT], received: 'none', reason: '' };
  const out: Smb1Outcome = { evidence: ev, verdict: 'unknown', detail: null, ntlm: null, nativeOs: null, nativeLanMan: null, primaryDomain: null, errors: [] };
  const offered = [SMB1_DIALECT];
  const req = smb1NegotiateRequest.encode(smb1OnlyNegotiate({ pidLow: ctx.id.pid, mid: 1, dialects: offered }));
  for (let n = 0; ; n++) {
    let conn: TcpConnection;
    try {
      conn = await openSession(ctx);
    } catch (e) {
      ev.received = e instanceof TcpError ? `connect-${e.reason}` : 'nbss-refused';
      ev.reason = 'the SMB1 probe could not open its connection';
      out.errors.push(errorInfo('smb1-negotiate', port, e));
      return out;
    }
    try {
      const before = conn.bytesReceived;
      conn.send(req);
      let reply;
      try {
        reply = await receiveSmb(conn);
      } catch (e) {
        if (refusedByClose(e, before)) {
          // a busy server may drop a connection too: only a repeated close is an answer
          if (n < CLOSE_RETRIES && (await backoff(ctx, n))) continue;
          ev.received = (e as TcpError).reason === 'eof' ? 'closed' : 'reset';
          ev.bytes = 0;
          ev.reason = `connection ${ev.received} right after the SMB1 NEGOTIATE, no answer${n > 0 ? ` (on ${n + 1} connections)` : ''}`;
          out.verdict = 'refused-by-close';
          return out;
        }
        if (silentTimeout(e, before) && n < CONNECT_RETRIES && ctx.host.hasAnswered(port) && (await backoff(ctx, n))) continue;
        if (e instanceof TcpError && e.status === 'timeout') {
          ev.received = 'timeout';
          ev.reason = `no answer to the SMB1 NEGOTIATE (${e.reason})`;
        } else if (e instanceof DecodeError) {
          ev.received = 'error';
          ev.reason = `undecodable answer: ${e.code} at ${e.field}`;
        } else {
          ev.received = e instanceof TcpError ? e.status : 'error';
          ev.reason = `SMB1 NEGOTIATE failed: ${e instanceof Error ? e.message : String(e)}`;
        }
        out.errors.push(errorInfo('smb1-negotiate', port, e));
        return out;
      }
      await smb1Answer(ctx, conn, reply, offered, out);
      return out;
    } finally {
      conn.close();
    }
  }
}

/** The SMB1 verdict from the answer to the SMB1-only NEGOTIATE (and SESSION_SETUP when enabled). */
async function smb1Answer(ctx: PortContext, conn: TcpConnection, reply: SmbReply, offered: string[], out: Smb1Outcome): Promise<void> {
  const port = ctx.target.port;
  const ev = out.evidence;
  ev.bytes = reply.bytes;
  if (reply.kind === 'smb2') {
    ev.received = 'smb2-response';
    const m = reply.message;
    if ('header' in m) ev.status = ntStatusName(m.header.status);
    if (m.kind === 'negotiate-response') ev.dialect = dialectName(m.body.dialectRevision);
    ev.reason = 'the server answered the SMB1 NEGOTIATE in SMB2: it does not speak SMB1';
    out.verdict = 'disabled';
    return;
  }
  if (reply.kind !== 'smb1') {
    ev.received = reply.kind === 'nbss' ? `nbss-${reply.type}` : 'non-smb';
    ev.reason = 'the answer is not an SMB message';
    out.errors.push(unexpected('smb1-negotiate', port, `${ev.received} answer (${reply.bytes} bytes) to the SMB1 NEGOTIATE`));
    return;
  }
  let r;
  try {
    r = decodeSmb1Negotiate(reply.payload, offered);
  } catch (e) {
    ev.received = 'smb1-malformed';
    ev.reason = e instanceof DecodeError ? `malformed SMB1 answer: ${e.code} at ${e.field}` : 'malformed SMB1 answer';
    out.errors.push(errorInfo('smb1-negotiate', port, e));
    return;
  }
  ev.received = 'smb1-negotiate-response';
  ev.status = r.header.statusName;
  ev.wordCount = r.wordCount;
  if (r.dialectIndex !== undefined) ev.dialectIndex = r.dialectIndex;
  if (r.header.command !== Smb1Command.NEGOTIATE || !r.header.isReply) {
    ev.received = 'smb1-other';
    ev.reason = `answer is command 0x${r.header.command.toString(16)}${r.header.isReply ? '' : ' without the reply flag'}`;
    return;
  }
  if (r.header.status !== 0) {
    ev.reason = `SMB1 NEGOTIATE answered with status ${r.header.statusName}`;
    return;
  }
  if (r.dialectIndex === NO_DIALECT) {
    ev.reason = 'DialectIndex 0xFFFF: none of the offered dialects (SMB1 refused)';
    out.verdict = 'disabled';
    return;
  }
  if (r.dialectIndex !== 0 || r.form !== 'nt') {
    ev.reason = `DialectIndex ${r.dialectIndex ?? 'absent'} with WordCount ${r.wordCount}: not a valid NT LM 0.12 answer`;
    return;
  }
  ev.dialect = SMB1_DIALECT;
  ev.reason = 'valid SMB1 NEGOTIATE response selecting NT LM 0.12 (WordCount 17)';
  out.verdict = 'enabled';
  out.detail = {
    dialect: SMB1_DIALECT,
    securityMode: r.securityMode,
    signing: {
      enabled: (r.securityMode & Smb1SecurityMode.SECURITY_SIGNATURES_ENABLED) !== 0,
      required: (r.securityMode & Smb1SecurityMode.SECURITY_SIGNATURES_REQUIRED) !== 0,
    },
    capabilities: bitNames(Smb1Capabilities, r.capabilities),
  };
  if (r.domainName !== undefined) out.primaryDomain = r.domainName;
  if (ctx.opts.ntlm !== false && r.extendedSecurity) await smb1SessionSetup(conn, ctx, out);
}

/** SMB1 extended-security SESSION_SETUP_ANDX with NTLMSSP NEGOTIATE, on the negotiated connection. */
async function smb1SessionSetup(conn: TcpConnection, ctx: PortContext, out: Smb1Outcome): Promise<void> {
  const step = 'smb1-session-setup';
  const port = ctx.target.port;
  const req = sessionSetupRequest({ securityBlob: ntlmInitToken(), header: { pidLow: ctx.id.pid, mid: 2 } });
  conn.send(smb1SessionSetupRequest.encode(req));
  try {
    const reply = await receiveSmb(conn);
    if (reply.kind !== 'smb1') {
      out.errors.push({ step, status: 'protocol-error', message: `port ${port}: ${reply.kind} answer to SESSION_SETUP_ANDX` });
      return;
    }
    const r = decodeSmb1SessionSetup(reply.payload);
    if (r.form === 'other') {
      out.errors.push({ step, status: 'protocol-error', message: `port ${port}: SESSION_SETUP_ANDX status ${r.header.statusName}, WordCount ${r.wordCount}` });
      return;
    }
    out.nativeOs = r.nativeOs ?? null;
    out.nativeLanMan = r.nativeLanMan ?? null;
    if (r.primaryDomain !== undefined) out.primaryDomain = r.primaryDomain;
    if (r.header.status !== NtStatus.STATUS_MORE_PROCESSING_REQUIRED || r.form !== 'extended') {
      out.errors.push({ step, status: 'protocol-error', message: `port ${port}: SESSION_SETUP_ANDX status ${r.header.statusName}` });
      return;
    }
    const ch = challengeFromBlob(r.securityBlob);
    if (typeof ch === 'string') {
      out.errors.push({ step, status: 'protocol-error', message: `port ${port}: ${ch}` });
      return;
    }
    out.ntlm = ntlmInfoFrom(ch, 'smb1', port);
  } catch (e) {
    out.errors.push(errorInfo(step, port, e));
  }
}

// ------------------------------------------------------------------------------------ SMB2

interface Smb2Outcome {
  accepted: Map<number, DialectDetail>;
  refused: Map<number, string>;
  /** The port answered some SMB2 message (a negotiate or an SMB2 error). */
  spokeSmb2: boolean;
  highest: number | null;
  facts: ServerFacts | null;
  ntlm: NtlmInfo | null;
  errors: ProbeErrorInfo[];
}

async function runSmb2(first: TcpConnection, ctx: PortContext): Promise<Smb2Outcome> {
  const port = ctx.target.port;
  const out: Smb2Outcome = { accepted: new Map(), refused: new Map(), spokeSmb2: false, highest: null, facts: null, ntlm: null, errors: [] };
  let conn = first;
  let keep = false;
  try {
    let a = await smb2Negotiate(conn, SMB2_DIALECTS, ctx.id, ctx.netName);
    for (let n = 0; a.kind === 'refused' && a.byClose && n < CLOSE_RETRIES; n++) {
      // a busy server may drop a connection too: only a repeated close is an answer
      conn.close();
      if (!(await backoff(ctx, n))) break;
      try {
        conn = await openSession(ctx);
      } catch (e) {
        a = { kind: 'failed', error: errorInfo('smb2-negotiate', port, e) };
        break;
      }
      a = await smb2Negotiate(conn, SMB2_DIALECTS, ctx.id, ctx.netName);
    }
    let rest: number[];
    if (a.kind === 'failed') {
      out.errors.push(a.error);
      if (!a.malformed) return out;
      // the answer to the all-dialect offer did not decode (most often its 3.1.1 negotiate contexts):
      // 3.1.1 stays unknown, and each lower dialect, offered alone and without contexts, still gets its answer
      log('%s:%d all-dialect negotiate answer malformed: %s', ctx.host.address, port, a.error.message);
      rest = SMB2_DIALECTS.filter((d) => d < 0x0311);
    } else if (a.kind === 'refused') {
      log('%s:%d all-dialect negotiate refused: %s', ctx.host.address, port, a.how);
      // an SMB2 error status says the server speaks SMB2: try without 3.1.1 (and its contexts)
      if (!a.how.startsWith('STATUS_') && !a.how.startsWith('answered dialect')) {
        for (const d of SMB2_DIALECTS) out.refused.set(d, a.how);
        return out;
      }
      out.spokeSmb2 = true;
      out.refused.set(0x0311, a.how);
      rest = SMB2_DIALECTS.filter((d) => d < 0x0311);
    } else {
      out.spokeSmb2 = true;
      out.highest = a.dialect;
      out.accepted.set(a.dialect, dialectDetail(a.response));
      out.facts = serverFacts(a.response, port);
      out.errors.push(...out.facts.warnings);
      for (const d of SMB2_DIALECTS) if (d > a.dialect) out.refused.set(d, `server chose ${dialectName(a.dialect)}`);
      rest = SMB2_DIALECTS.filter((d) => d < a.dialect);
    }
    // the lower dialects do not depend on the SESSION_SETUP: both go at once
    const lower = (ctx.opts.dialectStrategy ?? 'each') === 'each' ? enumerateEach(ctx, rest, out) : enumerateDescending(ctx, rest, out);
    if (a.kind === 'accepted' && ctx.opts.ntlm !== false) {
      keep = true;
      const c = conn;
      const dialect = a.dialect;
      const ntlm = (async () => {
        try {
          const n = await smb2NtlmInfo(c, dialect);
          if ('via' in n) out.ntlm = n;
          else out.errors.push(n);
        } finally {
          c.close();
        }
      })();
      await Promise.all([ntlm, lower]);
    } else {
      conn.close();
      await lower;
    }
    return out;
  } finally {
    if (!keep) conn.close();
  }
}

/** One negotiate on a new connection (once more after a close without answer); the connection is always closed. */
async function negotiateOnce(ctx: PortContext, offered: number[]): Promise<Smb2NegotiateOutcome> {
  for (let n = 0; ; n++) {
    let conn: TcpConnection;
    try {
      conn = await openSession(ctx);
    } catch (e) {
      return { kind: 'failed', error: errorInfo('smb2-negotiate', ctx.target.port, e) };
    }
    let o: Smb2NegotiateOutcome;
    try {
      o = await smb2Negotiate(conn, offered, ctx.id, ctx.netName);
    } finally {
      conn.close();
    }
    const again =
      (o.kind === 'refused' && o.byClose && n < CLOSE_RETRIES) ||
      (o.kind === 'failed' && o.silent && n < CONNECT_RETRIES && ctx.host.hasAnswered(ctx.target.port));
    if (again && (await backoff(ctx, n))) continue;
    return o;
  }
}

function record(out: Smb2Outcome, o: Smb2NegotiateOutcome, offered: number[]): void {
  if (o.kind === 'accepted') {
    out.spokeSmb2 = true;
    out.accepted.set(o.dialect, dialectDetail(o.response));
    if (out.highest === null || o.dialect > out.highest) {
      out.highest = o.dialect;
      out.facts = serverFacts(o.response, 0);
    }
    for (const d of offered) if (d > o.dialect) out.refused.set(d, `server chose ${dialectName(o.dialect)}`);
  } else if (o.kind === 'refused') {
    for (const d of offered) out.refused.set(d, o.how);
  } else {
    out.errors.push(o.error);
  }
}

async function enumerateDescending(ctx: PortContext, rest: number[], out: Smb2Outcome): Promise<void> {
  while (rest.length > 0) {
    const o = await negotiateOnce(ctx, rest);
    record(out, o, rest);
    if (o.kind !== 'accepted') return;
    rest = rest.filter((d) => d < o.dialect);
  }
}

async function enumerateEach(ctx: PortContext, rest: number[], out: Smb2Outcome): Promise<void> {
  // TcpHost and the ConnectLimiter bound how many of these are open at once
  const results = await Promise.all(rest.map(async (d) => ({ d, o: await negotiateOnce(ctx, [d]) })));
  for (const { d, o } of results) record(out, o, [d]);
}

// ------------------------------------------------------------------------------------ ports

async function probePort(ctx: PortContext): Promise<PortInternals> {
  const pr = ctx.result;
  const internals: PortInternals = { result: pr, highest: null, facts: null, ntlm2: null, ntlm1: null, nativeOs: null, nativeLanMan: null, primaryDomain: null };
  let first: TcpConnection;
  try {
    first = await openSession(ctx);
  } catch (e) {
    const step = ctx.target.transport === 'nbss' ? 'nbss-session' : 'connect';
    if (e instanceof NbssRefused) {
      pr.status = 'error';
      pr.errors.push({ step, status: 'refused', message: `port ${ctx.target.port}: ${e.message}` });
    } else {
      // a port that accepted an earlier NBSS attempt is open, whatever happened next
      pr.status = (pr.nbss?.attempts.length ?? 0) > 0 ? 'error' : portStatusFor(e);
      if (pr.status === 'error') pr.errors.push(errorInfo(step, ctx.target.port, e));
    }
    return internals;
  }
  pr.status = 'open';
  const [s2, s1] = await Promise.all([runSmb2(first, ctx), runSmb1(ctx)]);

  // the verdict
  let verdict: Smb1State;
  if (s1.verdict === 'refused-by-close') {
    if (s2.spokeSmb2) {
      verdict = 'disabled';
      s1.evidence.reason += '; the same port answered SMB2: SMB1 refused';
    } else {
      verdict = 'unknown';
      s1.evidence.reason += '; the port gave no SMB2 answer either: not a clean SMB1 refusal';
    }
  } else verdict = s1.verdict;
  pr.smb1 = verdict;
  pr.smb1Evidence = s1.evidence;

  const details: DialectDetail[] = [];
  if (verdict === 'enabled' && s1.detail) details.push(s1.detail);
  for (const d of [...s2.accepted.keys()].sort((a, b) => a - b)) details.push(s2.accepted.get(d)!);
  pr.details = details;
  pr.dialects = details.map((d) => d.dialect);
  pr.errors.push(...s2.errors, ...s1.errors);
  if (!s2.spokeSmb2 && verdict === 'unknown' && details.length === 0) {
    pr.status = 'error';
    // nothing usable came back: say so with a status even when no step failed on its own
    // (a close right after each request, a non-SMB answer)
    if (pr.errors.length === 0) {
      const closed = s1.evidence.received === 'closed' || s1.evidence.received === 'reset';
      const smb2How = [...new Set(s2.refused.values())].join('; ') || 'no answer';
      pr.errors.push({
        step: 'smb',
        status: closed ? 'reset' : 'protocol-error',
        message: `port ${ctx.target.port}: no SMB answer (SMB2 NEGOTIATE: ${smb2How}; SMB1 NEGOTIATE: ${s1.evidence.received})`,
      });
    }
  }

  internals.highest = s2.highest;
  internals.facts = s2.facts;
  internals.ntlm2 = s2.ntlm;
  internals.ntlm1 = s1.ntlm;
  internals.nativeOs = s1.nativeOs;
  internals.nativeLanMan = s1.nativeLanMan;
  internals.primaryDomain = s1.primaryDomain;
  return internals;
}

const DIALECT_ORDER = [SMB1_DIALECT, ...SMB2_DIALECTS.map(dialectName)];

/** An SmbResult that knows nothing yet, before any port has answered. */
export function emptySmbResult(): SmbResult {
  return {
    ports: {},
    dialects: [],
    smb1: 'unknown',
    smb1Evidence: [],
    signing: { enabled: null, required: null },
    capabilities: [],
    highestDialect: null,
    serverGuid: null,
    serverGuidText: null,
    systemTime: null,
    bootTime: null,
    maxTransactSize: null,
    maxReadSize: null,
    maxWriteSize: null,
    spnegoMechanisms: [],
    spnegoHint: null,
    negotiateContexts: [],
    nativeOs: null,
    nativeLanMan: null,
    primaryDomain: null,
  };
}

function dialectRank(name: string): number {
  const i = DIALECT_ORDER.indexOf(name);
  return i < 0 ? DIALECT_ORDER.length : i;
}

function combine(ports: PortInternals[]): SmbProbeResult {
  const smb = emptySmbResult();
  const errors: ProbeErrorInfo[] = [];
  const all = new Set<string>();
  for (const p of ports) {
    smb.ports[String(p.result.port)] = p.result;
    p.result.dialects.forEach((d) => all.add(d));
    if (p.result.smb1Evidence) smb.smb1Evidence.push(p.result.smb1Evidence);
    errors.push(...p.result.errors);
  }
  smb.dialects = [...all].sort((a, b) => dialectRank(a) - dialectRank(b));

  const probed = ports.filter((p) => p.result.smb1Evidence !== null);
  if (probed.some((p) => p.result.smb1 === 'enabled')) smb.smb1 = 'enabled';
  else if (probed.length > 0 && probed.every((p) => p.result.smb1 === 'disabled')) smb.smb1 = 'disabled';

  // highest dialect over the ports; its port gives signing, capabilities and the server facts
  let best: { port: PortInternals; detail: DialectDetail } | null = null;
  for (const p of ports) {
    for (const d of p.result.details) {
      if (!best || dialectRank(d.dialect) > dialectRank(best.detail.dialect)) best = { port: p, detail: d };
    }
  }
  if (best) {
    smb.highestDialect = best.detail.dialect;
    smb.signing = { ...best.detail.signing };
    smb.capabilities = [...best.detail.capabilities];
    const f = best.port.facts ?? ports.find((p) => p.facts)?.facts ?? null;
    if (f) {
      smb.serverGuid = f.serverGuid;
      smb.serverGuidText = f.serverGuidText;
      smb.systemTime = f.systemTime;
      smb.bootTime = f.bootTime;
      smb.maxTransactSize = f.maxTransactSize;
      smb.maxReadSize = f.maxReadSize;
      smb.maxWriteSize = f.maxWriteSize;
      smb.spnegoMechanisms = f.spnegoMechanisms;
      smb.spnegoHint = f.spnegoHint;
      smb.negotiateContexts = f.negotiateContexts;
    }
  }
  const s1 = ports.find((p) => p.nativeOs !== null || p.nativeLanMan !== null || p.primaryDomain !== null);
  if (s1) {
    smb.nativeOs = s1.nativeOs;
    smb.nativeLanMan = s1.nativeLanMan;
    smb.primaryDomain = s1.primaryDomain;
  }
  const ntlm = ports.find((p) => p.ntlm2)?.ntlm2 ?? ports.find((p) => p.ntlm1)?.ntlm1 ?? null;
  return { smb, ntlm, errors };
}

function checkOptions(opts: SmbProbeOptions): SmbTarget[] {
  const ports = opts.ports ?? [...DEFAULT_SMB_TARGETS];
  if (!Array.isArray(ports)) throw new TypeError('ports must be an array');
  const seen = new Set<number>();
  for (const t of ports) {
    if (!t || !Number.isInteger(t.port) || t.port < 1 || t.port > 0xffff) throw new TypeError(`bad SMB port ${JSON.stringify(t)}`);
    if (t.transport !== 'direct' && t.transport !== 'nbss') throw new TypeError(`bad SMB transport ${JSON.stringify(t)}`);
    if (seen.has(t.port)) throw new TypeError(`port ${t.port} given twice`);
    seen.add(t.port);
  }
  if (opts.dialectStrategy !== undefined && opts.dialectStrategy !== 'descending' && opts.dialectStrategy !== 'each') {
    throw new TypeError(`bad dialectStrategy ${String(opts.dialectStrategy)}`);
  }
  return ports;
}

/**
 * Probe SMB on `address` (an IP address). Never throws for network trouble: the result carries
 * statuses and errors. Throws TypeError only for bad options.
 */
export async function probeSmb(address: string, opts: SmbProbeOptions = {}): Promise<SmbProbeResult> {
  return (await probeSmbWithStats(address, opts)).result;
}

/** probeSmb plus how many connections it made and the most open at once (tests, benchmarks). */
export async function probeSmbWithStats(
  address: string,
  opts: SmbProbeOptions = {},
): Promise<{ result: SmbProbeResult; connections: number; maxOpen: number }> {
  const targets = checkOptions(opts);
  const hostOpts: ConstructorParameters<typeof TcpHost>[1] = {
    connectTimeoutMs: opts.connectTimeoutMs ?? TCP_DEFAULTS.connectTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs ?? TCP_DEFAULTS.idleTimeoutMs,
    hostTimeoutMs: opts.hostTimeoutMs ?? TCP_DEFAULTS.hostTimeoutMs,
    maxResponseBytes: opts.maxResponseBytes ?? TCP_DEFAULTS.maxResponseBytes,
    maxConnections: opts.maxConnections ?? TCP_DEFAULTS.maxConnections,
  };
  if (opts.signal) hostOpts.signal = opts.signal;
  if (opts.limiter !== undefined) hostOpts.limiter = opts.limiter;
  const host = new TcpHost(address, hostOpts);
  const id = newRunIdentity();
  const netName = opts.dnsName || address;
  try {
    const ports = await Promise.all(
      targets.map((target) => {
        const result: SmbPortResult = {
          port: target.port,
          transport: target.transport,
          status: 'error',
          smb1: 'unknown',
          smb1Evidence: null,
          dialects: [],
          details: [],
          errors: [],
        };
        if (target.transport === 'nbss') result.nbss = { calledName: null, attempts: [] };
        return probePort({ host, target, id, opts, netName, calledName: null, result });
      }),
    );
    const result = combine(ports);
    log('%s: %d connections (max %d open), smb1 %s, dialects %s', address, host.stats.connections, host.stats.maxOpen, result.smb.smb1, result.smb.dialects.join(' '));
    return { result, connections: host.stats.connections, maxOpen: host.stats.maxOpen };
  } finally {
    host.close();
  }
}
