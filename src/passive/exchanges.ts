/**
 * Request/response pairing over decoded capture messages: one Exchange per request and its answer.
 *
 *   NBNS   by client endpoint + NAME_TRN_ID (a broadcast request, or one answered by a WACK, stays
 *          open for more answers);
 *   NBSS   SESSION REQUEST with the next session response on the same connection;
 *   SMB1   NEGOTIATE, SESSION_SETUP_ANDX, TRANSACTION, TRANSACTION2, NT_TRANSACT by connection +
 *          MID + PIDLow (an SMB2 NEGOTIATE answer to an SMB1 NEGOTIATE pairs with it too);
 *   SMB2   NEGOTIATE and SESSION_SETUP by connection + MessageId (STATUS_PENDING interim answers
 *          leave the request open).
 *
 * Pending requests are kept as JSON-safe summaries, never as decoded messages, in one table
 * bounded by `maxPending`: when it is full the oldest request is reported unanswered. At the end
 * (`flush`) every request still open is reported with `response: null`.
 */
import type { Endpoint } from '../capture/messages.js';
import { NbnsOpcode } from '../codec/netbios-tables.js';
import { NtStatus } from '../codec/ntstatus.js';
import { Smb1Command } from '../codec/smb1/index.js';
import { Smb2Command } from '../codec/smb2/index.js';
import type { DecodedMessage, MessageMeta } from './decode.js';
import { ChurnMap } from '../capture/reuse.js';
import { KEY_NBSS, KEY_SMB1, KEY_SMB2, numericKey } from './keys.js';
import { nodeStatusOf } from '../codec/nbns.js';
import { dialectName } from '../codec/smb2/index.js';
import {
  nbnsSummary,
  nbssSummary,
  smb1Summary,
  smb1Tracked,
  smb2Summary,
  smb2Tracked,
  type Json,
  type NbnsSummary,
} from './summary.js';

export type ExchangeType =
  | 'nbstat'
  | 'name-query'
  | 'name-registration'
  | 'name-release'
  | 'name-refresh'
  | 'wack'
  | 'nbns-other'
  | 'nbss-session'
  | 'smb1-negotiate'
  | 'smb2-negotiate'
  | 'session-setup'
  | 'ntlm-challenge'
  | 'smb1-transaction'
  | 'smb1-transaction2'
  | 'smb1-nt-transact';

/** One side of an exchange: where and when, and the decoded fields. */
export interface ExchangeSide {
  frame: number;
  /** Frame of the message's first byte (TCP), else `frame`. */
  firstFrame: number;
  tsSec: number;
  tsNsec: number;
  fields: Record<string, Json>;
}

export interface Exchange {
  type: ExchangeType;
  client: Endpoint;
  server: Endpoint;
  transport: MessageMeta['transport'];
  connection?: number;
  request: ExchangeSide | null;
  response: ExchangeSide | null;
  /**
   * The response as decoded, while the exchange is being handed out (the message just pushed);
   * absent for exchanges reported unanswered. Not to be kept: it may view a large capture chunk.
   */
  message?: DecodedMessage;
}

export interface PairerOptions {
  /** Requests waiting for an answer, all protocols together (default 65536). */
  maxPending?: number;
  /**
   * `full` (default): each side's fields are its whole summary (what `--events` prints).
   * `hosts`: only the fields host results read (offered dialects, NBSS called name and answer,
   * the NBSTAT table; the exchange type is `session-setup` even when it carries a CHALLENGE).
   * Pairing and counts are the same.
   */
  fields?: 'full' | 'hosts';
}

interface Pending {
  type: ExchangeType;
  client: Endpoint;
  server: Endpoint;
  transport: MessageMeta['transport'];
  connection?: number;
  request: ExchangeSide;
  /** NBNS broadcast / WACKed requests stay open after an answer: reported at the end only if never answered. */
  answered: boolean;
  keepOpen: boolean;
  /** Order of opening (set by open). */
  seq?: number;
}

const side = (meta: MessageMeta, fields: Record<string, Json>): ExchangeSide => ({
  frame: meta.frame,
  firstFrame: meta.firstFrame,
  tsSec: meta.tsSec,
  tsNsec: meta.tsNsec,
  fields,
});

const epKey = (e: Endpoint): string => `${e.ip}|${e.port}`;
/** A connection id for pairing: the reassembler's number, or the endpoints. */
const connKey = (meta: MessageMeta): string =>
  meta.connection !== undefined ? `c${meta.connection}` : meta.fromServer ? `${epKey(meta.dst)}>${epKey(meta.src)}` : `${epKey(meta.src)}>${epKey(meta.dst)}`;

/** A pending-table key: a number where it fits (see keys.ts), else a string. */
type PendingKey = string | number;

function nbnsType(opcode: number, questionType: string | null): ExchangeType {
  switch (opcode) {
    case NbnsOpcode.QUERY:
      return questionType === 'NBSTAT' ? 'nbstat' : 'name-query';
    case NbnsOpcode.REGISTRATION:
    case NbnsOpcode.MULTI_HOMED_REGISTRATION:
      return 'name-registration';
    case NbnsOpcode.RELEASE:
      return 'name-release';
    case NbnsOpcode.REFRESH:
    case NbnsOpcode.REFRESH_ALT:
      return 'name-refresh';
    case NbnsOpcode.WACK:
      return 'wack';
    default:
      return 'nbns-other';
  }
}

function smb1Type(command: number): ExchangeType {
  switch (command) {
    case Smb1Command.NEGOTIATE:
      return 'smb1-negotiate';
    case Smb1Command.SESSION_SETUP_ANDX:
      return 'session-setup';
    case Smb1Command.TRANSACTION:
      return 'smb1-transaction';
    case Smb1Command.TRANSACTION2:
      return 'smb1-transaction2';
    default:
      return 'smb1-nt-transact';
  }
}

/** A session-setup exchange whose answer carries an NTLMSSP CHALLENGE is an `ntlm-challenge`. */
function refineType(type: ExchangeType, response: Record<string, Json> | undefined): ExchangeType {
  if (type !== 'session-setup' || !response) return type;
  const auth = response['auth'];
  return auth && typeof auth === 'object' && !Array.isArray(auth) && auth['ntlm'] === 'CHALLENGE' ? 'ntlm-challenge' : type;
}

export class Pairer {
  /**
   * Open requests, in order of opening: those kept open after answers from the start (broadcast
   * queries) apart, so that the table the other requests churn through stays small (a Map holding
   * thousands of lasting entries made every request's set/delete several times slower). Together
   * they are the one table bounded by maxPending; `seq` gives their common order.
   */
  private readonly pending = new ChurnMap<PendingKey, Pending>();
  private readonly kept = new Map<PendingKey, Pending>();
  private seq = 0;
  /** Connection → key of its open SMB1 NEGOTIATE (for an SMB2 answer to it). */
  private readonly smb1Negotiates = new ChurnMap<string | number, PendingKey>();
  private readonly maxPending: number;
  private readonly lean: boolean;
  /** Requests reported unanswered because the table was full. */
  evicted = 0;

  constructor(opts: PairerOptions = {}) {
    this.maxPending = Math.max(1, opts.maxPending ?? 65536);
    this.lean = opts.fields === 'hosts';
  }

  /** Feed one decoded message; exchanges completed (or evicted) by it are appended to `out`. */
  push(m: DecodedMessage, out: Exchange[] = []): Exchange[] {
    switch (m.kind) {
      case 'nbns':
        this.nbns(m, out);
        break;
      case 'nbss':
        this.nbss(m, out);
        break;
      case 'smb1':
        this.smb1(m, out);
        break;
      case 'smb2':
        this.smb2(m, out);
        break;
      default:
        break;
    }
    return out;
  }

  /** End of capture: every request still open, oldest first, with `response: null`. */
  flush(out: Exchange[] = []): Exchange[] {
    const open = [...this.pending.values(), ...this.kept.values()].filter((p) => !p.answered);
    open.sort((a, b) => a.request.frame - b.request.frame || a.seq! - b.seq!);
    for (const p of open) out.push(unanswered(p));
    this.pending.clear();
    this.kept.clear();
    this.smb1Negotiates.clear();
    return out;
  }

  get size(): number {
    return this.pending.size + this.kept.size;
  }

  /** A key is in one table at most; only NBNS requests are ever kept open from the start. */
  private find(key: PendingKey): Pending | undefined {
    const p = this.pending.get(key);
    if (p !== undefined || typeof key === 'number' || !key.startsWith('nbns|')) return p;
    return this.kept.get(key);
  }

  private remove(key: PendingKey): void {
    if (!this.pending.delete(key)) this.kept.delete(key);
  }

  /** The request opened first, of both tables. */
  private oldest(): [PendingKey, Pending] {
    const a = this.pending.entries().next();
    const b = this.kept.entries().next();
    if (a.done) return b.value as [PendingKey, Pending];
    if (b.done) return a.value;
    return a.value[1].seq! < b.value[1].seq! ? a.value : b.value;
  }

  private open(key: PendingKey, p: Pending, out: Exchange[]): void {
    const old = this.find(key);
    if (old) {
      // the same id reused before an answer: the first request was never answered
      this.remove(key);
      if (!old.answered) out.push(unanswered(old));
    }
    while (this.pending.size + this.kept.size >= this.maxPending) {
      const [k, oldest] = this.oldest();
      this.remove(k);
      this.evicted++;
      if (!oldest.answered) out.push(unanswered(oldest));
    }
    p.seq = this.seq++;
    (p.keepOpen ? this.kept : this.pending).set(key, p);
  }

  private close(key: PendingKey, meta: MessageMeta, fields: Record<string, Json>, m: DecodedMessage, out: Exchange[], type?: ExchangeType): boolean {
    const p = this.find(key);
    if (!p) return false;
    if (!p.keepOpen) this.remove(key);
    p.answered = true;
    const x: Exchange = {
      type: refineType(type ?? p.type, fields),
      client: p.client,
      server: p.keepOpen ? meta.src : p.server,
      transport: p.transport,
      request: p.request,
      response: side(meta, fields),
      message: m,
    };
    if (p.connection !== undefined) x.connection = p.connection;
    out.push(x);
    return true;
  }

  private orphan(type: ExchangeType, meta: MessageMeta, fields: Record<string, Json>, m: DecodedMessage, out: Exchange[]): void {
    const x: Exchange = {
      type: refineType(type, fields),
      client: meta.dst,
      server: meta.src,
      transport: meta.transport,
      request: null,
      response: side(meta, fields),
      message: m,
    };
    if (meta.connection !== undefined) x.connection = meta.connection;
    out.push(x);
  }

  private nbns(m: Extract<DecodedMessage, { kind: 'nbns' }>, out: Exchange[]): void {
    const s = this.lean ? nbnsLean(m) : nbnsSummary(m);
    const fields = s as unknown as Record<string, Json>;
    const meta = m.meta;
    if (!m.packet.response) {
      const key = `nbns|${epKey(meta.src)}|${s.transactionId}`;
      this.open(key, {
        type: nbnsType(m.packet.opcode, s.questionType),
        client: meta.src,
        server: meta.dst,
        transport: 'udp',
        request: side(meta, fields),
        answered: false,
        keepOpen: s.broadcast,
      }, out);
      return;
    }
    const key = `nbns|${epKey(meta.dst)}|${s.transactionId}`;
    const p = this.find(key);
    if (p) {
      // a WACK says "wait": the real answer follows with the same id
      if (m.packet.opcode === NbnsOpcode.WACK) p.keepOpen = true;
      this.close(key, meta, fields, m, out, m.packet.opcode === NbnsOpcode.WACK ? 'wack' : undefined);
      return;
    }
    // (an answer with a node status table: the summary's nbstat, absent from the lean fields)
    this.orphan(nbnsType(m.packet.opcode, s.questionType ?? (m.packet.response && nodeStatusOf(m.packet) !== undefined ? 'NBSTAT' : null)), meta, fields, m, out);
  }

  private nbss(m: Extract<DecodedMessage, { kind: 'nbss' }>, out: Exchange[]): void {
    const t = m.message.type;
    if (t === 0x00 || t === 0x85) return;
    const meta = m.meta;
    const key = numericKey(meta, KEY_NBSS, 0, 0) ?? `nbss|${connKey(meta)}`;
    const fields = nbssSummary(m);
    if (t === 0x81 && !meta.fromServer) {
      this.open(key, { type: 'nbss-session', client: meta.src, server: meta.dst, transport: meta.transport, ...conn(meta), request: side(meta, fields), answered: false, keepOpen: false }, out);
      return;
    }
    if (!meta.fromServer) return;
    if (!this.close(key, meta, fields, m, out)) this.orphan('nbss-session', meta, fields, m, out);
  }

  private smb1(m: Extract<DecodedMessage, { kind: 'smb1' }>, out: Exchange[]): void {
    const h = m.header;
    if (!smb1Tracked(h.command)) return;
    const meta = m.meta;
    const ck = meta.connection ?? connKey(meta);
    const key = numericKey(meta, KEY_SMB1, h.mid, h.pidLow) ?? `smb1|${connKey(meta)}|${h.mid}|${h.pidLow}`;
    const fields = this.lean ? smb1Lean(m) : (smb1Summary(m) as Record<string, Json>);
    if (!h.isReply) {
      if (meta.fromServer) return;
      this.open(key, { type: smb1Type(h.command), client: meta.src, server: meta.dst, transport: meta.transport, ...conn(meta), request: side(meta, fields), answered: false, keepOpen: false }, out);
      if (h.command === Smb1Command.NEGOTIATE) this.smb1Negotiates.set(ck, key);
      return;
    }
    if (!meta.fromServer) return;
    if (h.command === Smb1Command.NEGOTIATE) this.smb1Negotiates.delete(ck);
    // an interim answer (a transaction's "send the rest") leaves nothing open: the final answer pairs with nothing
    if (!this.close(key, meta, fields, m, out)) this.orphan(smb1Type(h.command), meta, fields, m, out);
  }

  private smb2(m: Extract<DecodedMessage, { kind: 'smb2' }>, out: Exchange[]): void {
    const msg = m.message;
    if (msg.kind === 'encrypted' || msg.kind === 'compressed') return;
    const h = msg.header;
    if (!smb2Tracked(h.command)) return;
    const meta = m.meta;
    const ck = meta.connection ?? connKey(meta);
    const id = h.messageId;
    const key = (id < 0x10000n ? numericKey(meta, KEY_SMB2, 0, Number(id)) : undefined) ?? `smb2|${connKey(meta)}|${id}`;
    const reply = (h.flags & 1) !== 0;
    const port = meta.fromServer ? meta.src.port : meta.dst.port;
    const fields = this.lean ? smb2Lean(m) : (smb2Summary(m, port) as Record<string, Json>);
    const type: ExchangeType = h.command === Smb2Command.NEGOTIATE ? 'smb2-negotiate' : 'session-setup';
    if (!reply) {
      if (meta.fromServer) return;
      this.open(key, { type, client: meta.src, server: meta.dst, transport: meta.transport, ...conn(meta), request: side(meta, fields), answered: false, keepOpen: false }, out);
      return;
    }
    if (!meta.fromServer) return;
    if (h.status === NtStatus.STATUS_PENDING && this.find(key) !== undefined) return;
    if (this.close(key, meta, fields, m, out)) return;
    if (h.command === Smb2Command.NEGOTIATE) {
      // the SMB2 answer to a multi-protocol (or SMB1-only) SMB1 NEGOTIATE
      const k1 = this.smb1Negotiates.get(ck);
      if (k1 !== undefined) {
        this.smb1Negotiates.delete(ck);
        if (this.close(k1, meta, fields, m, out)) return;
      }
    }
    this.orphan(type, meta, fields, m, out);
  }
}

// host-only fields: what HostBuilder reads, and what pairing itself needs (NBNS id, broadcast, question)

/** Host results build the NBSTAT table from the answer's message, and only when they keep it. */
function nbnsLean(m: Extract<DecodedMessage, { kind: 'nbns' }>): Pick<NbnsSummary, 'transactionId' | 'broadcast' | 'questionType' | 'nbstat'> {
  const p = m.packet;
  const q = p.questions[0];
  return {
    transactionId: p.transactionId,
    broadcast: p.broadcast,
    questionType: q ? (q.type === 0x21 ? 'NBSTAT' : q.type === 0x20 ? 'NB' : `0x${q.type.toString(16).padStart(4, '0')}`) : null,
  };
}

const NO_FIELDS: Record<string, Json> = Object.freeze({}) as Record<string, Json>;

function smb1Lean(m: Extract<DecodedMessage, { kind: 'smb1' }>): Record<string, Json> {
  // the header first: other bodies may be decoded only when read
  const h = m.header;
  return h.command === Smb1Command.NEGOTIATE && !h.isReply && m.body.command === 'negotiate-request' ? { dialects: [...m.body.message.dialects] } : NO_FIELDS;
}

function smb2Lean(m: Extract<DecodedMessage, { kind: 'smb2' }>): Record<string, Json> {
  return m.message.kind === 'negotiate-request' ? { dialects: m.message.body.dialects.map(dialectName) } : NO_FIELDS;
}

function conn(meta: MessageMeta): { connection?: number } {
  return meta.connection !== undefined ? { connection: meta.connection } : {};
}

function unanswered(p: Pending): Exchange {
  const x: Exchange = { type: p.type, client: p.client, server: p.server, transport: p.transport, request: p.request, response: null };
  if (p.connection !== undefined) x.connection = p.connection;
  return x;
}
