/**
 * Decoded capture messages (src/passive/decode.ts) for people and for machines: `messageLine`
 * gives one table line per message (frame, time, src → dst, what it says), `jsonSafe` turns a
 * decoded message into plain JSON (bytes as hex, 64-bit values as decimal strings).
 */
import type { Endpoint } from '../capture/messages.js';
import { nbnsOpcodeName, nbnsRcodeName, nbssErrorName } from '../codec/netbios-tables.js';
import { ntStatusName } from '../codec/ntstatus.js';
import { capabilityNames, dialectName, securityModeNames } from '../codec/smb2/index.js';
import type { NtlmMessage } from '../codec/ntlmssp.js';
import { targetInfoFacts } from '../codec/ntlmssp.js';
import type { AuthInfo, DecodedMessage } from '../passive/decode.js';
import { escapeControl } from './escape.js';

/** Plain-JSON copy: Uint8Array → hex, bigint → decimal string, Map/Set → arrays; depth-bounded. */
export function jsonSafe(v: unknown, depth = 0): unknown {
  if (depth > 64) return '[too deep]';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, depth + 1));
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [jsonSafe(k, depth + 1), jsonSafe(x, depth + 1)]);
  if (v instanceof Set) return [...v].map((x) => jsonSafe(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const j = jsonSafe(x, depth + 1);
    if (j !== undefined) out[k] = j;
  }
  return out;
}

const ep = (e: Endpoint | undefined): string => (e ? `${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.port}` : '?');
/** Quoted as-is: the whole line is escaped once by messageLine. */
const q = (s: string): string => `"${s}"`;
const nbName = (n: { name: string; suffix: number }): string => `${q(n.name)}<${n.suffix.toString(16).padStart(2, '0')}>`;
const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

function ntlmText(m: NtlmMessage): string {
  switch (m.messageType) {
    case 1:
      return 'NTLMSSP NEGOTIATE';
    case 2: {
      const f = m.targetInfo ? targetInfoFacts(m.targetInfo) : {};
      const parts = [`target ${q(m.targetName)}`];
      if (f.nbComputerName) parts.push(`NetBIOS computer ${q(f.nbComputerName)}`);
      if (f.nbDomainName) parts.push(`NetBIOS domain ${q(f.nbDomainName)}`);
      if (f.dnsComputerName) parts.push(`DNS computer ${q(f.dnsComputerName)}`);
      if (f.dnsDomainName) parts.push(`DNS domain ${q(f.dnsDomainName)}`);
      if (f.dnsTreeName) parts.push(`DNS tree ${q(f.dnsTreeName)}`);
      if (m.version) parts.push(`version ${m.version.osVersion}`);
      return `NTLMSSP CHALLENGE: ${parts.join(', ')}`;
    }
    case 3:
      return 'NTLMSSP AUTHENTICATE';
  }
}

function authText(a: AuthInfo | undefined): string {
  if (!a) return '';
  const b = a.blob;
  switch (b.kind) {
    case 'spnego-init':
      return `; SPNEGO init [${b.token.mechTypes.map((m) => m.name ?? m.oid).join(', ')}]${b.ntlmssp ? `; ${ntlmText(b.ntlmssp)}` : ''}`;
    case 'spnego-resp':
      return `; SPNEGO resp${b.token.negState !== undefined ? ` ${b.token.negState}` : ''}${b.ntlmssp ? `; ${ntlmText(b.ntlmssp)}` : ''}`;
    case 'ntlmssp':
      return `; ${ntlmText(b.ntlmssp)}`;
    case 'kerberos':
      return '; Kerberos token';
    case 'unknown':
      return b.length > 0 ? `; security blob (${b.length} bytes, unknown)` : '';
  }
}

/** What the message says, in one line (not yet escaped). */
export function describeMessage(m: DecodedMessage): string {
  switch (m.kind) {
    case 'nbns': {
      const p = m.packet;
      const op = nbnsOpcodeName(p.opcode);
      if (!p.response) {
        const qn = p.questions[0];
        const what = qn ? (qn.type === 0x21 ? 'NBSTAT query' : 'name query') : `${op} request`;
        return `NBNS ${what}${qn ? ` for ${nbName(qn.name)}` : ''}${p.broadcast ? ' (broadcast)' : ''} id ${hex4(p.transactionId)}`;
      }
      const parts: string[] = [];
      for (const a of p.answers) {
        if (a.rdata.kind === 'NBSTAT') {
          parts.push(`NBSTAT answer: ${a.rdata.names.map((n) => `${nbName(n)}${n.group ? ' GROUP' : ''}`).join(', ')}; MAC ${a.rdata.unitId ?? '?'}`);
        } else if (a.rdata.kind === 'NB') {
          parts.push(`${nbName(a.name)} is at ${a.rdata.entries.map((e) => e.address).join(', ')}`);
        } else parts.push(`${a.rdata.kind} record`);
      }
      return `NBNS ${op} response ${nbnsRcodeName(p.rcode)} id ${hex4(p.transactionId)}${parts.length ? `: ${parts.join('; ')}` : ''}`;
    }
    case 'nbss': {
      const msg = m.message;
      switch (msg.type) {
        case 0x81:
          return `NBSS session request: called ${nbName(msg.calledName)}, calling ${nbName(msg.callingName)}`;
        case 0x82:
          return 'NBSS positive session response';
        case 0x83:
          return `NBSS negative session response: ${nbssErrorName(msg.errorCode)}`;
        case 0x84:
          return `NBSS retarget to ${msg.retargetIpAddress}:${msg.port}`;
        case 0x85:
          return 'NBSS keep-alive';
        case 0x00:
          return `NBSS session message (${msg.payload.length} bytes)`;
      }
      return 'NBSS';
    }
    case 'smb1': {
      const h = m.header;
      const name = h.commandName ?? `0x${h.command.toString(16).padStart(2, '0')}`;
      const b = m.body;
      switch (b.command) {
        case 'negotiate-request':
          return `SMB1 NEGOTIATE request offering ${b.message.dialects.map(q).join(', ')}`;
        case 'negotiate-response': {
          const r = b.message;
          const sel = r.dialectIndex === 0xffff ? 'no dialect (0xFFFF)' : `dialect ${r.dialectIndex}${r.dialect !== undefined ? ` ${q(r.dialect)}` : ''}`;
          const extra = r.form === 'nt' ? `; security mode ${r.securityModeNames.join('|') || '0'}; capabilities ${r.capabilityNames.length}` : '';
          return `SMB1 NEGOTIATE response ${ntStatusName(h.status)}: ${sel}${extra}${authText(b.auth)}`;
        }
        case 'session-setup-request':
          return `SMB1 SESSION_SETUP_ANDX request${authText(b.auth)}`;
        case 'session-setup-response': {
          const r = b.message;
          const os = 'nativeOs' in r && r.nativeOs ? `; NativeOS ${q(r.nativeOs)}` : '';
          const lm = 'nativeLanMan' in r && r.nativeLanMan ? `; NativeLanMan ${q(r.nativeLanMan)}` : '';
          return `SMB1 SESSION_SETUP_ANDX response ${ntStatusName(h.status)}${os}${lm}${authText(b.auth)}`;
        }
        case 'trans':
          return `SMB1 ${name}`;
        case 'malformed':
          return `SMB1 ${name} (malformed: ${b.error.code} at ${b.error.field} offset ${b.error.offset})`;
        case 'other':
          return `SMB1 ${name}${h.isReply ? ` response ${ntStatusName(h.status)}` : ' request'}`;
      }
      return `SMB1 ${name}`;
    }
    case 'smb2': {
      const msg = m.message;
      switch (msg.kind) {
        case 'negotiate-request': {
          const b = msg.body;
          return `SMB2 NEGOTIATE request dialects ${b.dialects.map(dialectName).join(', ')}; security mode ${securityModeNames(b.securityMode).join('|') || '0'}; client GUID ${b.clientGuid}${b.negotiateContexts.length ? `; ${b.negotiateContexts.length} contexts` : ''}`;
        }
        case 'negotiate-response': {
          const b = msg.body;
          if (msg.header.status !== 0) return `SMB2 NEGOTIATE response ${ntStatusName(msg.header.status)}`;
          const signing = b.securityMode & 2 ? 'required' : b.securityMode & 1 ? 'enabled' : 'disabled';
          return `SMB2 NEGOTIATE response: dialect ${dialectName(b.dialectRevision)}; signing ${signing}; server GUID ${b.serverGuid}; capabilities ${capabilityNames(b.capabilities).join('|') || '0'}${authText(m.auth)}`;
        }
        case 'session-setup-request':
          return `SMB2 SESSION_SETUP request${authText(m.auth)}`;
        case 'session-setup-response':
          return `SMB2 SESSION_SETUP response ${ntStatusName(msg.header.status)}${authText(m.auth)}`;
        case 'error-response':
          return `SMB2 error response ${ntStatusName(msg.header.status)}`;
        case 'other':
          return `SMB2 command 0x${msg.header.command.toString(16).padStart(4, '0')} ${msg.header.flags & 1 ? `response ${ntStatusName(msg.header.status)}` : 'request'}`;
        case 'encrypted':
          return 'SMB3 encrypted message';
        case 'compressed':
          return 'SMB3 compressed message';
      }
      return 'SMB2';
    }
    case 'decode-error':
      return `undecodable ${m.error.protocol} message: ${m.error.code} at ${m.error.field} offset ${m.error.offset}`;
    case 'gap':
      return `capture gap (${m.reason}, ${m.length} bytes missing, ${m.discarded} discarded)`;
    case 'capture-error':
      return `capture error (${m.scope}): ${m.error.code} at ${m.error.field} offset ${m.error.offset}`;
  }
}

/** One escaped table line: frame, time, src → dst, what. */
export function messageLine(m: DecodedMessage): string {
  const meta = m.meta;
  const time = meta.tsSec !== undefined ? new Date(meta.tsSec * 1000 + Math.floor((meta.tsNsec ?? 0) / 1e6)).toISOString() : '-';
  const frame = String(meta.frame ?? '-').padStart(5);
  return `${frame}  ${time}  ${ep(meta.src)} → ${ep(meta.dst)}  ${escapeControl(describeMessage(m))}`;
}
