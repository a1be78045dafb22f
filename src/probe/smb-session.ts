/**
 * One connection's message exchange: the NBSS session request on 139, an SMB1 or SMB2 request,
 * and its answer classified (SMB1 / SMB2 / error) — no verdicts here, only what was seen.
 */
import { randomBytes, randomInt } from 'node:crypto';
import createDebug from 'debug';
import { nbssMessage, nbssMessageFromFrame, type NbssFrame } from '../codec/nbss.js';
import { nbssErrorName, nbssTypeName } from '../codec/netbios-tables.js';
import { DecodeError } from '../errors.js';
import { isSmb1 } from '../codec/smb1/header.js';
import { decodeSmb1NegotiateResponse, type Smb1NegotiateResponse } from '../codec/smb1/negotiate.js';
import { smb1SessionSetupResponse, type Smb1SessionSetupResponse } from '../codec/smb1/session-setup.js';
import { decodeSmb2Message, type Smb2Message } from '../codec/smb2/message.js';
import { frameKind } from '../codec/smb2/header.js';
import type { ProbeErrorInfo } from '../scan/result.js';
import { TcpError, type TcpConnection } from '../transport/tcp.js';

const log = createDebug('smbprobe:smb');

/** Random per-run values: never fixed, signature-able ones. */
export interface RunIdentity {
  /** NBSS calling name (≤ 15 chars, upper-case letters and digits). */
  callingName: string;
  /** SMB2 ClientGuid. */
  clientGuid: Uint8Array;
  /** SMB1 PIDLow. */
  pid: number;
}

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newRunIdentity(): RunIdentity {
  const len = randomInt(6, 13);
  let callingName = NAME_CHARS[randomInt(0, 26)]!; // a letter first, as host names do
  for (let i = 1; i < len; i++) callingName += NAME_CHARS[randomInt(0, NAME_CHARS.length)]!;
  return { callingName, clientGuid: randomBytes(16), pid: randomInt(1, 0xffff) };
}

/** How a session request was answered. */
export type NbssAnswer =
  | { kind: 'positive' }
  | { kind: 'negative'; errorCode: number; errorName: string }
  | { kind: 'retarget'; address: string; port: number }
  | { kind: 'other'; type: string };

/** Send SESSION REQUEST (called name suffix 0x20, calling name suffix 0x00) and read the answer. */
export async function nbssSessionRequest(conn: TcpConnection, calledName: string, callingName: string): Promise<NbssAnswer> {
  const req = nbssMessage('nbss').encode({
    type: 0x81,
    calledName: { name: calledName, suffix: 0x20, scope: '' },
    callingName: { name: callingName, suffix: 0x00, scope: '' },
  });
  conn.sendRaw(req);
  const frame = await conn.receive();
  const m = nbssMessageFromFrame(frame, 'nbss');
  switch (m.type) {
    case 0x82:
      return { kind: 'positive' };
    case 0x83:
      return { kind: 'negative', errorCode: m.errorCode, errorName: nbssErrorName(m.errorCode) };
    case 0x84:
      return { kind: 'retarget', address: m.retargetIpAddress, port: m.port };
    default:
      return { kind: 'other', type: nbssTypeName(m.type) };
  }
}

/** A reply to an SMB request, classified by its ProtocolId. */
export type SmbReply =
  | { kind: 'smb1'; bytes: number; payload: Uint8Array }
  | { kind: 'smb2'; bytes: number; message: Smb2Message }
  | { kind: 'nbss'; bytes: number; type: string }
  | { kind: 'unknown'; bytes: number };

/** Receive the next session message and classify it; SMB2 messages are decoded (DecodeError escapes). */
export async function receiveSmb(conn: TcpConnection): Promise<SmbReply> {
  const frame: NbssFrame = await conn.receive();
  if (frame.type !== 0) return { kind: 'nbss', bytes: frame.length, type: nbssTypeName(frame.type) };
  const p = frame.payload;
  if (isSmb1(p)) return { kind: 'smb1', bytes: p.length, payload: p };
  const k = p.length >= 4 ? frameKind(p) : 'unknown';
  if (k === 'smb2' || k === 'transform' || k === 'compression') return { kind: 'smb2', bytes: p.length, message: decodeSmb2Message(p) };
  return { kind: 'unknown', bytes: p.length };
}

export function decodeSmb1Negotiate(payload: Uint8Array, offered: readonly string[]): Smb1NegotiateResponse {
  return decodeSmb1NegotiateResponse(payload, 0, payload.length, offered);
}

export function decodeSmb1SessionSetup(payload: Uint8Array): Smb1SessionSetupResponse {
  return smb1SessionSetupResponse.decode(payload);
}

/** A ProbeErrorInfo from whatever a step threw (TcpError, DecodeError, other). */
export function errorInfo(step: string, port: number, e: unknown): ProbeErrorInfo {
  if (e instanceof TcpError) {
    const info: ProbeErrorInfo = { step, status: e.status, message: `port ${port}: ${e.reason}: ${e.message}` };
    if (e.decodeError) {
      info.code = e.decodeError.code;
      info.field = e.decodeError.field;
      info.offset = e.decodeError.offset;
    }
    return info;
  }
  if (e instanceof DecodeError) {
    return { step, status: 'protocol-error', message: `port ${port}: ${e.message}`, code: e.code, field: e.field, offset: e.offset };
  }
  log('unexpected error in %s: %o', step, e);
  return { step, status: 'error', message: `port ${port}: ${e instanceof Error ? e.message : String(e)}` };
}

/** A protocol-error ProbeErrorInfo for an answer that is well-formed but not what the step needs. */
export function unexpected(step: string, port: number, what: string): ProbeErrorInfo {
  return { step, status: 'protocol-error', message: `port ${port}: ${what}` };
}
