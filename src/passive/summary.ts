/**
 * Decoded messages → small JSON-safe summaries: the fields a person or a script wants from each
 * NetBIOS/SMB message (no raw bytes, 64-bit values as decimal strings). These are what `--events`
 * prints and what the pairing tables keep while a request waits for its answer — never the
 * decoded message itself, which may hold views into a large capture chunk.
 */
import { nbnsOpcodeName, nbnsRcodeName, nbssErrorName } from '../codec/netbios-tables.js';
import { nodeStatusOf } from '../codec/nbns.js';
import { ntStatusName } from '../codec/ntstatus.js';
import { Smb1Command, smb1CommandName } from '../codec/smb1/index.js';
import { capabilityNames, dialectName, securityModeNames, Smb2Command } from '../codec/smb2/index.js';
import { guidAsciiText, guidFromString } from '../codec/smb2/guid.js';
import { filetimeToIso } from '../codec/reader.js';
import type { NtlmChallenge } from '../codec/ntlmssp.js';
import { nbstatResult } from '../probe/nbstat.js';
import { contextAnswer, ntlmInfoFrom } from '../probe/smb-dialects.js';
import type { NbstatResult, NegotiateContextAnswer, NtlmInfo } from '../scan/result.js';
import type { AuthInfo, DecodedMessage } from './decode.js';

/** A JSON value (what every summary is made of). */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** What a security blob says, in short. */
export interface AuthSummary {
  /** `spnego-init`, `spnego-resp`, `ntlmssp`, `kerberos`, `unknown`. */
  blob: string;
  mechanisms?: string[];
  negState?: string;
  /** NTLMSSP message: NEGOTIATE, CHALLENGE, AUTHENTICATE. */
  ntlm?: 'NEGOTIATE' | 'CHALLENGE' | 'AUTHENTICATE';
  /** AUTHENTICATE: who (domain\user from workstation), anonymous or not. */
  user?: string;
  domain?: string;
  workstation?: string;
  anonymous?: boolean;
  /** NEGOTIATE/AUTHENTICATE: the client's Version. */
  clientVersion?: string;
}

export function authSummary(a: AuthInfo | undefined): AuthSummary | null {
  if (!a) return null;
  const b = a.blob;
  const out: AuthSummary = { blob: b.kind };
  if (b.kind === 'spnego-init') out.mechanisms = b.token.mechTypes.map((m) => m.name ?? m.oid);
  if (b.kind === 'spnego-resp') {
    if (b.token.negState !== undefined) out.negState = String(b.token.negState);
    if (b.token.supportedMech) out.mechanisms = [b.token.supportedMech.name ?? b.token.supportedMech.oid];
  }
  const m = b.kind === 'spnego-init' || b.kind === 'spnego-resp' || b.kind === 'ntlmssp' ? b.ntlmssp : undefined;
  if (m) {
    out.ntlm = m.messageType === 1 ? 'NEGOTIATE' : m.messageType === 2 ? 'CHALLENGE' : 'AUTHENTICATE';
    if (m.messageType === 3) {
      out.user = m.userName;
      out.domain = m.domainName;
      out.workstation = m.workstation;
      out.anonymous = m.anonymous;
    }
    if (m.messageType !== 2 && m.version) out.clientVersion = m.version.osVersion;
  }
  return out;
}

/** The NTLMSSP CHALLENGE a decoded security blob carries, if any. */
export function challengeOf(a: AuthInfo | undefined): NtlmChallenge | undefined {
  const b = a?.blob;
  if (!b || (b.kind !== 'spnego-init' && b.kind !== 'spnego-resp' && b.kind !== 'ntlmssp')) return undefined;
  return b.ntlmssp?.messageType === 2 ? b.ntlmssp : undefined;
}

/** SPNEGO mechanisms a negotiate response advertises. */
export function spnegoOf(a: AuthInfo | undefined): { mechanisms: string[]; hint: string | null } {
  const b = a?.blob;
  if (b?.kind !== 'spnego-init') return { mechanisms: [], hint: null };
  return { mechanisms: b.token.mechTypes.map((m) => m.name ?? m.oid), hint: b.token.negHints?.hintName ?? null };
}

const hex = (n: number, w: number): string => `0x${n.toString(16).padStart(w, '0')}`;

// ---------------------------------------------------------------------------------------------
// NBNS

export interface NbnsSummary {
  transactionId: number;
  opcode: string;
  broadcast: boolean;
  /** Question (requests) or first answer's name, as `NAME<xx>`. */
  name: string | null;
  /** NB or NBSTAT. */
  questionType: string | null;
  rcode?: string;
  /** NB answers: address(es) the name maps to. */
  addresses?: string[];
  /** NBSTAT answers: the decoded table. */
  nbstat?: NbstatResult;
}

export const nbName = (n: { name: string; suffix: number }): string => `${n.name}<${n.suffix.toString(16).padStart(2, '0')}>`;

export function nbnsSummary(m: Extract<DecodedMessage, { kind: 'nbns' }>): NbnsSummary {
  const p = m.packet;
  const q = p.questions[0];
  const rr = p.answers[0] ?? p.additionals[0];
  const out: NbnsSummary = {
    transactionId: p.transactionId,
    opcode: nbnsOpcodeName(p.opcode),
    broadcast: p.broadcast,
    name: q ? nbName(q.name) : rr ? nbName(rr.name) : null,
    questionType: q ? (q.type === 0x21 ? 'NBSTAT' : q.type === 0x20 ? 'NB' : hex(q.type, 4)) : null,
  };
  if (p.response) {
    out.rcode = nbnsRcodeName(p.rcode);
    const addrs: string[] = [];
    for (const a of p.answers) if (a.rdata.kind === 'NB') for (const e of a.rdata.entries) addrs.push(e.address);
    if (addrs.length > 0) out.addresses = addrs;
    const st = nodeStatusOf(p);
    if (st) out.nbstat = nbstatResult(st, p.warnings);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SMB1

export interface Smb1Summary {
  command: string;
  mid: number;
  pid: number;
  uid: number;
  tid: number;
  status?: string;
  [k: string]: Json | undefined;
}

function smb1Base(m: Extract<DecodedMessage, { kind: 'smb1' }>): Smb1Summary {
  const h = m.header;
  const out: Smb1Summary = { command: smb1CommandName(h.command), mid: h.mid, pid: h.pidLow, uid: h.uid, tid: h.tid };
  if (h.isReply) out.status = h.statusName;
  return out;
}

export function smb1Summary(m: Extract<DecodedMessage, { kind: 'smb1' }>): Smb1Summary {
  const out = smb1Base(m);
  const b = m.body;
  switch (b.command) {
    case 'negotiate-request':
      out.dialects = [...b.message.dialects];
      break;
    case 'negotiate-response': {
      const r = b.message;
      out.wordCount = r.wordCount;
      if (r.dialectIndex !== undefined) out.dialectIndex = r.dialectIndex;
      if (r.dialect !== undefined) out.dialect = r.dialect;
      if (r.form === 'nt') {
        out.securityMode = r.securityModeNames;
        out.capabilities = r.capabilityNames;
        out.systemTime = r.systemTime;
        out.extendedSecurity = r.extendedSecurity;
        if (r.serverGuid !== undefined) out.serverGuid = r.serverGuid;
        if (r.domainName !== undefined) out.domainName = r.domainName;
        if (r.serverName !== undefined) out.serverName = r.serverName;
        const s = spnegoOf(b.auth);
        if (s.mechanisms.length > 0) out.spnegoMechanisms = s.mechanisms;
      } else if (r.form === 'lanman') {
        out.securityMode = r.securityModeNames;
        out.serverDateTime = r.serverDateTime;
        if (r.primaryDomain !== undefined) out.domainName = r.primaryDomain;
      }
      break;
    }
    case 'session-setup-request':
    case 'session-setup-response': {
      const r = b.message;
      if ('nativeOs' in r && r.nativeOs !== undefined) out.nativeOs = r.nativeOs;
      if ('nativeLanMan' in r && r.nativeLanMan !== undefined) out.nativeLanMan = r.nativeLanMan;
      if ('primaryDomain' in r && r.primaryDomain !== undefined) out.primaryDomain = r.primaryDomain;
      if ('accountName' in r && r.accountName !== undefined) out.accountName = r.accountName;
      const a = authSummary(b.auth);
      if (a) out.auth = a as unknown as Json;
      break;
    }
    case 'trans': {
      const t = b.message;
      if (t.subcommand !== undefined) out.subcommand = hex(t.subcommand, 4);
      if (t.subcommandName !== undefined) out.subcommandName = t.subcommandName;
      if (t.function !== undefined) out.function = hex(t.function, 4);
      if (t.functionName !== undefined) out.functionName = t.functionName;
      if (t.setup.length > 0) out.setup = t.setup.map((w) => hex(w, 4));
      if (t.fid !== undefined) out.fid = hex(t.fid, 4);
      if (t.name !== undefined) out.name = t.name;
      if (t.timeout !== undefined) out.timeout = hex(t.timeout, 8);
      out.totalParameterCount = t.totalParameterCount;
      out.totalDataCount = t.totalDataCount;
      out.parameterCount = t.parameterCount;
      out.dataCount = t.dataCount;
      break;
    }
    case 'malformed':
      out.malformed = `${b.error.code} at ${b.error.field} offset ${b.error.offset}`;
      break;
    case 'other':
      break;
  }
  return out;
}

/** NtlmInfo from a session-setup answer carrying a CHALLENGE. */
export function ntlmFromAuth(a: AuthInfo | undefined, via: 'smb1' | 'smb2', port: number): NtlmInfo | null {
  const ch = challengeOf(a);
  return ch ? ntlmInfoFrom(ch, via, port) : null;
}

// ---------------------------------------------------------------------------------------------
// SMB2

export interface Smb2Summary {
  command: string;
  messageId: string;
  sessionId?: string;
  status?: string;
  [k: string]: Json | undefined;
}

const SMB2_COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Smb2Command).map(([k, v]) => [v, k]));

export function smb2Summary(m: Extract<DecodedMessage, { kind: 'smb2' }>, port: number): Smb2Summary {
  const msg = m.message;
  if (msg.kind === 'encrypted' || msg.kind === 'compressed') return { command: msg.kind.toUpperCase(), messageId: '' };
  const h = msg.header;
  const reply = (h.flags & 1) !== 0;
  const out: Smb2Summary = { command: SMB2_COMMAND_NAMES[h.command] ?? hex(h.command, 4), messageId: h.messageId.toString() };
  if (h.sessionId !== 0n) out.sessionId = `0x${h.sessionId.toString(16).padStart(16, '0')}`;
  if (reply) out.status = ntStatusName(h.status);
  switch (msg.kind) {
    case 'negotiate-request': {
      const b = msg.body;
      out.dialects = b.dialects.map(dialectName);
      out.securityMode = securityModeNames(b.securityMode);
      out.capabilities = capabilityNames(b.capabilities);
      out.clientGuid = b.clientGuid;
      if (b.negotiateContexts.length > 0) out.negotiateContexts = b.negotiateContexts.map(contextJson);
      break;
    }
    case 'negotiate-response': {
      const b = msg.body;
      out.dialect = dialectName(b.dialectRevision);
      out.securityMode = securityModeNames(b.securityMode);
      out.capabilities = capabilityNames(b.capabilities);
      out.serverGuid = b.serverGuid;
      const text = guidAsciiText(guidFromString(b.serverGuid));
      if (text !== null) out.serverGuidText = text;
      out.systemTime = filetimeToIso(b.systemTime);
      out.bootTime = filetimeToIso(b.serverStartTime);
      out.maxTransactSize = b.maxTransactSize;
      out.maxReadSize = b.maxReadSize;
      out.maxWriteSize = b.maxWriteSize;
      const s = spnegoOf(m.auth);
      if (s.mechanisms.length > 0) out.spnegoMechanisms = s.mechanisms;
      if (b.negotiateContexts.length > 0) out.negotiateContexts = b.negotiateContexts.map(contextJson);
      break;
    }
    case 'session-setup-request':
    case 'session-setup-response': {
      const a = authSummary(m.auth);
      if (a) out.auth = a as unknown as Json;
      if (msg.kind === 'session-setup-response') {
        const n = ntlmFromAuth(m.auth, 'smb2', port);
        if (n) out.ntlm = n as unknown as Json;
      }
      break;
    }
    default:
      break;
  }
  return out;
}

function contextJson(c: Parameters<typeof contextAnswer>[0]): Json {
  const a: NegotiateContextAnswer = contextAnswer(c);
  return { type: a.type, values: a.values };
}

// ---------------------------------------------------------------------------------------------
// NBSS

export function nbssSummary(m: Extract<DecodedMessage, { kind: 'nbss' }>): Record<string, Json> {
  const msg = m.message;
  switch (msg.type) {
    case 0x81:
      return { calledName: nbName(msg.calledName), callingName: nbName(msg.callingName) };
    case 0x82:
      return { answer: 'POSITIVE_SESSION_RESPONSE' };
    case 0x83:
      return { answer: 'NEGATIVE_SESSION_RESPONSE', error: nbssErrorName(msg.errorCode), errorCode: hex(msg.errorCode, 2) };
    case 0x84:
      return { answer: 'RETARGET_SESSION_RESPONSE', address: msg.retargetIpAddress, port: msg.port };
    default:
      return { type: hex(msg.type, 2) };
  }
}

/** Is this SMB1 command one whose exchanges are reported (negotiate, session setup, transactions)? */
export function smb1Tracked(command: number): boolean {
  return (
    command === Smb1Command.NEGOTIATE ||
    command === Smb1Command.SESSION_SETUP_ANDX ||
    command === Smb1Command.TRANSACTION ||
    command === Smb1Command.TRANSACTION2 ||
    command === Smb1Command.NT_TRANSACT
  );
}

export function smb2Tracked(command: number): boolean {
  return command === Smb2Command.NEGOTIATE || command === Smb2Command.SESSION_SETUP;
}
