/**
 * SMB2 negotiates and what they reveal: one NEGOTIATE per connection (a second one is refused by
 * servers), the anonymous NTLMSSP SESSION_SETUP on the first connection, and the enumeration of the
 * lower dialects. Pure outcome values; the port orchestration is in smb.ts.
 */
import { randomBytes } from 'node:crypto';
import { NtStatus, ntStatusName } from '../codec/ntstatus.js';
import { Smb2Dialect, Smb2SecurityMode, dialectName, capabilityNames, Smb2Capabilities } from '../codec/smb2/constants.js';
import { buildNegotiateRequest, type NegotiateResponse } from '../codec/smb2/negotiate.js';
import { buildSessionSetupRequest } from '../codec/smb2/session-setup.js';
import { guidAsciiText, guidFromString } from '../codec/smb2/guid.js';
import { negotiateContextToJson } from '../codec/smb2/json.js';
import type { NegotiateContext } from '../codec/smb2/negotiate-contexts.js';
import { decodeSecurityBlob, spnegoNtlmInit } from '../codec/spnego.js';
import { ntlmNegotiateMessage, targetInfoFacts, type NtlmChallenge } from '../codec/ntlmssp.js';
import { filetimeToIso } from '../codec/reader.js';
import { DecodeError } from '../errors.js';
import type { DialectDetail, NegotiateContextAnswer, NtlmInfo, ProbeErrorInfo } from '../scan/result.js';
import { TcpError, type TcpConnection } from '../transport/tcp.js';
import { errorInfo, receiveSmb, unexpected, type RunIdentity } from './smb-session.js';

/** The SMB2/3 dialects probed, in protocol order. */
export const SMB2_DIALECTS: readonly number[] = [
  Smb2Dialect.SMB2_0_2,
  Smb2Dialect.SMB2_1,
  Smb2Dialect.SMB3_0,
  Smb2Dialect.SMB3_0_2,
  Smb2Dialect.SMB3_1_1,
];

const ALL_CAPABILITIES =
  Smb2Capabilities.DFS | Smb2Capabilities.LEASING | Smb2Capabilities.LARGE_MTU | Smb2Capabilities.MULTI_CHANNEL |
  Smb2Capabilities.PERSISTENT_HANDLES | Smb2Capabilities.DIRECTORY_LEASING | Smb2Capabilities.ENCRYPTION;

/** What one NEGOTIATE got. */
export type Smb2NegotiateOutcome =
  | { kind: 'accepted'; dialect: number; response: NegotiateResponse; bytes: number }
  /** The server answered, but not with one of the offered dialects (error status, other dialect, SMB1, or reset/close right after the request: `byClose`). */
  | { kind: 'refused'; how: string; byClose?: true }
  /**
   * Timeout, network failure or an SMB2 answer that does not decode: nothing can be said about the offered
   * dialects (`silent`: no byte before the idle timeout; `malformed`: an SMB2 answer came but did not decode).
   */
  | { kind: 'failed'; error: ProbeErrorInfo; silent?: true; malformed?: true };

/** A connection closed or reset by the peer after our request, without a byte of answer. */
export function refusedByClose(e: unknown, bytesBefore: number): boolean {
  return e instanceof TcpError && e.status === 'reset' && e.phase === 'io' && e.bytesReceived === bytesBefore;
}

/** Send NEGOTIATE offering `offered` on a fresh (session-established) connection and classify the answer. */
export async function smb2Negotiate(
  conn: TcpConnection,
  offered: readonly number[],
  id: RunIdentity,
  netName: string,
): Promise<Smb2NegotiateOutcome> {
  const has3 = offered.some((d) => d >= Smb2Dialect.SMB3_0);
  const req = buildNegotiateRequest({
    dialects: offered,
    securityMode: Smb2SecurityMode.SIGNING_ENABLED,
    capabilities: has3 ? ALL_CAPABILITIES : Smb2Capabilities.DFS,
    clientGuid: id.clientGuid,
    salt: randomBytes(32),
    netName,
    header: { messageId: 0n, credits: 1 },
  });
  const before = conn.bytesReceived;
  conn.send(req);
  try {
    const reply = await receiveSmb(conn);
    if (reply.kind === 'smb1') return { kind: 'refused', how: 'SMB1 answer to an SMB2 NEGOTIATE' };
    if (reply.kind !== 'smb2') return { kind: 'refused', how: `non-SMB answer (${reply.kind})` };
    const m = reply.message;
    if (m.kind === 'error-response') return { kind: 'refused', how: ntStatusName(m.header.status) };
    if (m.kind !== 'negotiate-response') return { kind: 'refused', how: `unexpected ${m.kind}` };
    if (m.header.status !== NtStatus.STATUS_SUCCESS) return { kind: 'refused', how: ntStatusName(m.header.status) };
    const d = m.body.dialectRevision;
    if (!offered.includes(d)) return { kind: 'refused', how: `answered dialect ${dialectName(d)}, not offered` };
    return { kind: 'accepted', dialect: d, response: m.body, bytes: reply.bytes };
  } catch (e) {
    if (refusedByClose(e, before)) return { kind: 'refused', how: (e as TcpError).reason === 'eof' ? 'closed after the request' : 'reset after the request', byClose: true };
    const error = errorInfo('smb2-negotiate', conn.port, e);
    if (e instanceof DecodeError) return { kind: 'failed', error, malformed: true };
    return silentTimeout(e, before) ? { kind: 'failed', error, silent: true } : { kind: 'failed', error };
  }
}

/** No byte of answer before the idle timeout. */
export function silentTimeout(e: unknown, bytesBefore: number): boolean {
  return e instanceof TcpError && e.reason === 'idle-timeout' && e.bytesReceived === bytesBefore;
}

/** Per-dialect facts from a negotiate response. */
export function dialectDetail(r: NegotiateResponse): DialectDetail {
  return {
    dialect: dialectName(r.dialectRevision),
    securityMode: r.securityMode,
    signing: {
      enabled: (r.securityMode & Smb2SecurityMode.SIGNING_ENABLED) !== 0,
      required: (r.securityMode & Smb2SecurityMode.SIGNING_REQUIRED) !== 0,
    },
    capabilities: capabilityNames(r.capabilities),
  };
}

/** Facts said once per server (from the highest-dialect negotiate). */
export interface ServerFacts {
  serverGuid: string;
  serverGuidText: string | null;
  systemTime: string | null;
  bootTime: string | null;
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  spnegoMechanisms: string[];
  spnegoHint: string | null;
  negotiateContexts: NegotiateContextAnswer[];
  /** Non-fatal decoding trouble (the security buffer). */
  warnings: ProbeErrorInfo[];
}

const CONTEXT_TYPE_NAMES: Record<string, string> = {
  PREAUTH_INTEGRITY_CAPABILITIES: 'PREAUTH_INTEGRITY',
  ENCRYPTION_CAPABILITIES: 'ENCRYPTION',
  COMPRESSION_CAPABILITIES: 'COMPRESSION',
  NETNAME_NEGOTIATE_CONTEXT_ID: 'NETNAME',
  TRANSPORT_CAPABILITIES: 'TRANSPORT',
  RDMA_TRANSFORM_CAPABILITIES: 'RDMA_TRANSFORM',
  SIGNING_CAPABILITIES: 'SIGNING',
  POSIX_EXTENSIONS_AVAILABLE: 'POSIX',
};

export function contextAnswer(c: NegotiateContext): NegotiateContextAnswer {
  const j = negotiateContextToJson(c);
  const type = CONTEXT_TYPE_NAMES[j.contextTypeName] ?? j.contextTypeName;
  let values: string[];
  switch (c.kind) {
    case 'preauth-integrity':
      values = j.hashAlgorithmNames ?? [];
      break;
    case 'encryption':
      values = j.cipherNames ?? [];
      break;
    case 'compression':
      values = [...(j.compressionAlgorithmNames ?? []), ...(j.flagNames ?? []).map((f) => `flag:${f}`)];
      break;
    case 'netname':
      values = [c.netName];
      break;
    case 'transport':
      values = j.flagNames ?? [];
      break;
    case 'rdma-transform':
      values = j.transformIdNames ?? [];
      break;
    case 'signing':
      values = j.signingAlgorithmNames ?? [];
      break;
    case 'posix':
    case 'unknown':
      values = [j.data ?? ''];
      break;
  }
  return { type, values };
}

export function serverFacts(r: NegotiateResponse, port: number): ServerFacts {
  const warnings: ProbeErrorInfo[] = [];
  let spnegoMechanisms: string[] = [];
  let spnegoHint: string | null = null;
  if (r.securityBuffer.length > 0) {
    try {
      const blob = decodeSecurityBlob(r.securityBuffer);
      if (blob.kind === 'spnego-init') {
        spnegoMechanisms = blob.token.mechTypes.map((m) => m.name ?? m.oid);
        spnegoHint = blob.token.negHints?.hintName ?? null;
      }
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      warnings.push(errorInfo('smb2-negotiate', port, e));
    }
  }
  return {
    serverGuid: r.serverGuid,
    serverGuidText: guidAsciiText(guidFromString(r.serverGuid)),
    systemTime: filetimeToIso(r.systemTime),
    bootTime: filetimeToIso(r.serverStartTime),
    maxTransactSize: r.maxTransactSize,
    maxReadSize: r.maxReadSize,
    maxWriteSize: r.maxWriteSize,
    spnegoMechanisms,
    spnegoHint,
    negotiateContexts: r.negotiateContexts.map(contextAnswer),
    warnings,
  };
}

/** NtlmInfo from a CHALLENGE. */
export function ntlmInfoFrom(ch: NtlmChallenge, via: 'smb2' | 'smb1', port: number): NtlmInfo {
  const f = targetInfoFacts(ch.targetInfo ?? []);
  return {
    netbiosComputer: f.nbComputerName ?? null,
    netbiosDomain: f.nbDomainName ?? null,
    dnsComputer: f.dnsComputerName ?? null,
    dnsDomain: f.dnsDomainName ?? null,
    dnsTree: f.dnsTreeName ?? null,
    osVersion: ch.version?.osVersion ?? null,
    ntlmRevision: ch.version?.ntlmRevision ?? null,
    targetName: ch.targetName === '' ? null : ch.targetName,
    timestamp: f.timestamp ?? null,
    negotiateFlags: [...ch.flagNames],
    via,
    port,
  };
}

/** The NTLMSSP CHALLENGE inside a session-setup security blob, or a reason why there is none. */
export function challengeFromBlob(blob: Uint8Array): NtlmChallenge | string {
  const b = decodeSecurityBlob(blob);
  if (b.kind === 'ntlmssp' || b.kind === 'spnego-resp' || b.kind === 'spnego-init') {
    const m = b.ntlmssp;
    if (m && m.messageType === 2) return m;
    if ('ntlmsspError' in b && b.ntlmsspError) return `NTLMSSP ${b.ntlmsspError.code} at ${b.ntlmsspError.field}`;
    return 'no NTLMSSP CHALLENGE in the security blob';
  }
  return `security blob of kind ${b.kind}`;
}

/** The client's first SPNEGO token: an NTLMSSP NEGOTIATE asking for the target info and version. */
export function ntlmInitToken(): Uint8Array {
  return spnegoNtlmInit(ntlmNegotiateMessage());
}

/**
 * Anonymous SESSION_SETUP carrying NTLMSSP NEGOTIATE, on the connection that negotiated `dialect`;
 * returns the host facts of the CHALLENGE. The authentication is never completed.
 */
export async function smb2NtlmInfo(conn: TcpConnection, dialect: number): Promise<NtlmInfo | ProbeErrorInfo> {
  const step = 'session-setup';
  conn.send(
    buildSessionSetupRequest({
      securityBuffer: ntlmInitToken(),
      header: { messageId: 1n, credits: 1, creditCharge: dialect >= Smb2Dialect.SMB2_1 ? 1 : 0 },
    }),
  );
  try {
    const reply = await receiveSmb(conn);
    if (reply.kind !== 'smb2') return unexpected(step, conn.port, `${reply.kind} answer to SESSION_SETUP`);
    const m = reply.message;
    if (m.kind !== 'session-setup-response') {
      const st = 'header' in m ? ntStatusName(m.header.status) : m.kind;
      return unexpected(step, conn.port, `SESSION_SETUP answered ${m.kind} (${st})`);
    }
    if (m.header.status !== NtStatus.STATUS_MORE_PROCESSING_REQUIRED) {
      return unexpected(step, conn.port, `SESSION_SETUP status ${ntStatusName(m.header.status)}`);
    }
    const ch = challengeFromBlob(m.body.securityBuffer);
    if (typeof ch === 'string') return unexpected(step, conn.port, ch);
    return ntlmInfoFrom(ch, 'smb2', conn.port);
  } catch (e) {
    return errorInfo(step, conn.port, e);
  }
}

/** Dialect name list in protocol order. */
export function dialectNames(ds: Iterable<number>): string[] {
  return [...new Set(ds)].sort((a, b) => a - b).map(dialectName);
}
