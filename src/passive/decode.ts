import type { AppMessage, Endpoint } from '../capture/messages.js';
import { nbnsPacket, type NbnsPacket } from '../codec/nbns.js';
import { nbssMessageFromFrame, type NbssMessage } from '../codec/nbss.js';
import {
  decodeSmb1NegotiateRequest,
  decodeSmb1NegotiateResponse,
  decodeSmb1SessionSetupRequest,
  decodeSmb1SessionSetupResponse,
  decodeSmb1Trans,
  isTransCommand,
  smb1HeaderCodec,
  walkAndXChain,
  ANDX_COMMANDS,
  Smb1Command,
  type Smb1Header,
  type Smb1NegotiateRequest,
  type Smb1NegotiateResponse,
  type Smb1SessionSetupRequest,
  type Smb1SessionSetupResponse,
  type Smb1Trans,
} from '../codec/smb1/index.js';
import { decodeSmb2Messages, frameKind, Smb2Command, type Smb2DecodeOptions, type Smb2Message } from '../codec/smb2/index.js';
import { decodeSecurityBlob, type SecurityBlob } from '../codec/spnego.js';
import { DecodeError } from '../errors.js';
import { ChurnMap } from '../capture/reuse.js';
import { KEY_SMB1, numericKey } from './keys.js';

/**
 * Application messages from a capture → decoded protocol messages: NBNS packets, NBSS control
 * messages, SMB1 and SMB2 messages with their security blobs (SPNEGO/NTLMSSP) decoded. A message
 * that fails to decode becomes a `decode-error` entry carrying the DecodeError's facts.
 */

/** Where and when a message was seen. */
export interface MessageMeta {
  /** Frame that completed the message (tshark's frame.number). */
  frame: number;
  /** Frame that carried its first byte (TCP), equal to `frame` for datagrams. */
  firstFrame: number;
  tsSec: number;
  tsNsec: number;
  src: Endpoint;
  dst: Endpoint;
  /** TCP: the side with port 139/445 is the server. UDP 137: the side with port 137 answering. */
  fromServer: boolean;
  transport: 'udp' | 'nbss' | 'direct';
  /** TCP connection number (1-based) from the reassembler. */
  connection?: number;
}

/** A security buffer and what it holds. */
export interface AuthInfo {
  blob: SecurityBlob;
}

/** The decoded body of an SMB1 message, by command. */
export type Smb1Body =
  | { command: 'negotiate-request'; message: Smb1NegotiateRequest }
  | { command: 'negotiate-response'; message: Smb1NegotiateResponse; auth?: AuthInfo }
  | { command: 'session-setup-request'; message: Smb1SessionSetupRequest; auth?: AuthInfo }
  | { command: 'session-setup-response'; message: Smb1SessionSetupResponse; auth?: AuthInfo }
  | { command: 'trans'; message: Smb1Trans }
  | { command: 'other' }
  /** The header decoded but the command's words/bytes did not: the header is still reported. */
  | { command: 'malformed'; error: DecodeErrorFacts };

/** One decoded protocol message from a capture (or a gap/error), with where and when it was seen. */
export type DecodedMessage =
  | { kind: 'nbns'; meta: MessageMeta; packet: NbnsPacket }
  | { kind: 'nbss'; meta: MessageMeta; message: NbssMessage }
  | { kind: 'smb1'; meta: MessageMeta; header: Smb1Header; body: Smb1Body; andx?: number[] }
  | { kind: 'smb2'; meta: MessageMeta; message: Smb2Message; auth?: AuthInfo }
  | { kind: 'decode-error'; meta: MessageMeta; error: DecodeErrorFacts }
  | { kind: 'gap'; meta: MessageMeta; reason: string; length: number; discarded: number }
  | { kind: 'capture-error'; meta: Partial<MessageMeta>; scope: string; error: DecodeErrorFacts };

/** The facts of a DecodeError, JSON-safe. */
export interface DecodeErrorFacts {
  code: DecodeError['code'];
  protocol: DecodeError['protocol'];
  field: string;
  offset: number;
  message: string;
}

export function errorFacts(e: DecodeError): DecodeErrorFacts {
  return { code: e.code, protocol: e.protocol, field: e.field, offset: e.offset, message: e.message };
}

/** A DecodeError as a `decode-error` message; anything else is rethrown. */
function decodeErrorOf(meta: MessageMeta, e: unknown): DecodedMessage {
  if (e instanceof DecodeError) return { kind: 'decode-error', meta, error: errorFacts(e) };
  throw e;
}

/** Offered SMB1 dialect lists kept per connection until the answer comes; bounded. */
const MAX_PENDING_NEGOTIATES = 4096;

/** Options of a {@link MessageDecoder}. */
export interface MessageDecoderOptions {
  /**
   * Decode the security blob of SESSION_SETUP requests (the client's NTLMSSP NEGOTIATE or
   * AUTHENTICATE; default true). Host results never use it (the blob's decode errors are reported
   * inside `auth`, never as a decode error of the message), so host-only analysis turns it off.
   */
  requestAuth?: boolean;
  /** List the commands an SMB1 AndX chain carries after the first (`andx`; default true; host results never read it). */
  andxChain?: boolean;
  /**
   * Decode the body of SMB1 SESSION_SETUP_ANDX requests (default true). Host results never read
   * it (the client's native OS, account and blob): with false the body is `{ command: 'other' }`.
   */
  smb1SessionSetupRequests?: boolean;
  /**
   * Decode the server's security blobs (negotiate and SESSION_SETUP answers) only when `auth` is
   * first read (default false: at once). Host results read one or two per host; a lazy `auth` is
   * a getter of the message's (or SMB1 body's) class, not an own property: read it, do not spread
   * or serialise such a message; `undefined` where an eager one would be absent.
   */
  lazyAuth?: boolean;
  /**
   * Copy the raw body of SMB2 commands this library does not decode (default true). Host results
   * read only their headers: with false such a body is empty (no copy per READ/WRITE/IOCTL...).
   */
  smb2OtherBodies?: boolean;
  /**
   * Decode the body of an SMB1 message other than NEGOTIATE only when `body` is first read
   * (default false: at once). Host results read few of them (the first SESSION_SETUP answers of
   * a host, transaction requests for MS17-010). As with lazyAuth, `body` is then a getter: read
   * it while the message's bytes are still valid (before the next record), do not spread it.
   */
  lazySmb1Bodies?: boolean;
}

/** Decodes application messages into protocol messages; keeps per-connection state to name SMB1 dialects. */
export class MessageDecoder {
  private readonly offered = new ChurnMap<string | number, readonly string[]>();
  /**
   * Connection → key of its SMB1 NEGOTIATE in `offered`: an SMB2 answer (to a multi-protocol
   * NEGOTIATE) ends the wait, so `offered` does not fill with them up to its bound, where they
   * pushed out offers still waiting and ended up as garbage in the old generation.
   */
  private readonly offeredOn = new ChurnMap<number, string | number>();
  private readonly requestAuth: boolean;
  private readonly andx: boolean;
  private readonly lazy: boolean;
  private readonly setupRequests: boolean;
  private readonly smb2Opts: Smb2DecodeOptions | undefined;
  private readonly lazyBodies: boolean;

  constructor(opts: MessageDecoderOptions = {}) {
    this.requestAuth = opts.requestAuth ?? true;
    this.andx = opts.andxChain ?? true;
    this.lazy = opts.lazyAuth ?? false;
    this.setupRequests = opts.smb1SessionSetupRequests ?? true;
    this.smb2Opts = opts.smb2OtherBodies === false ? { otherBodies: false } : undefined;
    this.lazyBodies = opts.lazySmb1Bodies ?? false;
  }

  /** Decode one application message; returns zero or more decoded messages (SMB2 compounds give several). */
  decode(m: AppMessage): DecodedMessage[] {
    return this.decodeInto(m, []);
  }

  /** {@link decode}, appending to `out` (returned): no array per message on the hot path. */
  decodeInto(m: AppMessage, out: DecodedMessage[]): DecodedMessage[] {
    switch (m.kind) {
      case 'nbns': {
        const meta: MessageMeta = {
          frame: m.frame, firstFrame: m.frame, tsSec: m.tsSec, tsNsec: m.tsNsec,
          src: { ip: m.src, port: m.srcPort }, dst: { ip: m.dst, port: m.dstPort },
          fromServer: m.srcPort === 137 && m.dstPort !== 137 ? true : false, transport: 'udp',
        };
        try {
          const packet = nbnsPacket.decode(m.data);
          meta.fromServer = packet.response;
          out.push({ kind: 'nbns', meta, packet });
        } catch (e) {
          out.push(decodeErrorOf(meta, e));
        }
        return out;
      }
      case 'nbss': {
        const meta: MessageMeta = {
          frame: m.frame, firstFrame: m.firstFrame, tsSec: m.tsSec, tsNsec: m.tsNsec,
          src: m.fromServer ? m.server : m.client, dst: m.fromServer ? m.client : m.server,
          fromServer: m.fromServer, transport: m.transport, connection: m.connection,
        };
        if (m.type !== 0x00) {
          try {
            out.push({
              kind: 'nbss',
              meta,
              message: nbssMessageFromFrame({ type: m.type, flags: m.flags, length: m.payload.length, payload: m.payload, offset: m.streamOffset }, m.transport),
            });
          } catch (e) {
            out.push(decodeErrorOf(meta, e));
          }
          return out;
        }
        this.decodeSmb(meta, m.payload, out);
        return out;
      }
      case 'gap':
        out.push({
          kind: 'gap',
          meta: {
            frame: m.frame, firstFrame: m.frame, tsSec: m.tsSec, tsNsec: m.tsNsec,
            src: m.fromServer ? m.server : m.client, dst: m.fromServer ? m.client : m.server,
            fromServer: m.fromServer, transport: m.transport, connection: m.connection,
          },
          reason: m.reason, length: m.length, discarded: m.discarded,
        });
        return out;
      case 'error':
        out.push({
          kind: 'capture-error',
          meta: { frame: m.frame, tsSec: m.tsSec, tsNsec: m.tsNsec },
          scope: m.scope,
          error: { code: m.code, protocol: m.protocol, field: m.field, offset: m.offset, message: m.message },
        });
        return out;
    }
  }

  private decodeSmb(meta: MessageMeta, payload: Uint8Array, out: DecodedMessage[]): void {
    const kind = frameKind(payload);
    if (kind === 'smb1') {
      try {
        // a bad header is a decode error; a bad body still reports the header
        const header = smb1HeaderCodec.decode(payload);
        // NEGOTIATE bodies at once: they keep the offered dialects for the answer
        if (this.lazyBodies && header.command !== Smb1Command.NEGOTIATE && !this.andx) {
          out.push(new LazySmb1Message(this, meta, header, payload) as unknown as DecodedMessage);
          return;
        }
        const body = this.smb1Body(meta, header, payload);
        const andx = this.andx && ANDX_COMMANDS.has(header.command) ? andxChain(payload) : undefined;
        out.push(andx ? { kind: 'smb1', meta, header, body, andx } : { kind: 'smb1', meta, header, body });
      } catch (e) {
        out.push(decodeErrorOf(meta, e));
      }
      return;
    }
    if (kind === 'smb2' || kind === 'transform' || kind === 'compression') {
      let messages: Smb2Message[];
      try {
        messages = decodeSmb2Messages(payload, 0, payload.length, this.smb2Opts);
      } catch (e) {
        out.push(decodeErrorOf(meta, e));
        return;
      }
      for (const message of messages) {
        if (meta.fromServer && meta.connection !== undefined && message.kind !== 'encrypted' && message.kind !== 'compressed' && message.header.command === Smb2Command.NEGOTIATE) {
          this.smb2NegotiateAnswer(meta.connection);
        }
        if (this.lazy && (message.kind === 'negotiate-response' || message.kind === 'session-setup-response')) {
          out.push(new LazySmb2(meta, message, message.body.securityBuffer) as unknown as DecodedMessage);
        } else if (message.kind === 'negotiate-response' || (message.kind === 'session-setup-request' && this.requestAuth) || message.kind === 'session-setup-response') {
          const auth = authOf(message.body.securityBuffer);
          out.push(auth ? { kind: 'smb2', meta, message, auth } : { kind: 'smb2', meta, message });
        } else {
          out.push({ kind: 'smb2', meta, message });
        }
      }
    }
    // else not SMB (a NetBIOS session carrying something else, or an empty session message)
  }

  /** An SMB2 NEGOTIATE answer on a connection: an SMB1 NEGOTIATE still waiting there is answered. */
  private smb2NegotiateAnswer(connection: number): void {
    const key = this.offeredOn.get(connection);
    if (key === undefined) return;
    this.offeredOn.delete(connection);
    this.offered.delete(key);
  }

  /** @internal The body, or `malformed` when it does not decode (the header is still reported). */
  smb1Body(meta: MessageMeta, header: Smb1Header, payload: Uint8Array): Smb1Body {
    try {
      return this.decodeSmb1Body(meta, header, payload);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return { command: 'malformed', error: errorFacts(e) };
    }
  }

  private decodeSmb1Body(meta: MessageMeta, header: Smb1Header, payload: Uint8Array): Smb1Body {
    let body: Smb1Body;
    if (header.command === Smb1Command.NEGOTIATE) {
      const c = meta.connection;
      const key = numericKey(meta, KEY_SMB1, header.mid, header.pidLow) ?? `${c ?? `${meta.src.ip}:${meta.src.port}-${meta.dst.ip}:${meta.dst.port}`}:${header.mid}:${header.pidLow}`;
      if (!header.isReply) {
        const message = decodeSmb1NegotiateRequest(payload, 0, payload.length, header);
        if (this.offered.size >= MAX_PENDING_NEGOTIATES) this.offered.delete(this.offered.keys().next().value!);
        this.offered.set(key, message.dialects);
        if (c !== undefined) {
          if (this.offeredOn.size >= MAX_PENDING_NEGOTIATES) this.offeredOn.delete(this.offeredOn.keys().next().value!);
          this.offeredOn.set(c, key);
        }
        body = { command: 'negotiate-request', message };
      } else {
        const offered = this.offered.get(key);
        this.offered.delete(key);
        if (c !== undefined && this.offeredOn.get(c) === key) this.offeredOn.delete(c);
        const message = decodeSmb1NegotiateResponse(payload, 0, payload.length, offered, header);
        if (this.lazy) return new LazySmb1Body('negotiate-response', message, message.form === 'nt' ? message.securityBlob : undefined) as unknown as Smb1Body;
        const blob = message.form === 'nt' && message.securityBlob ? authOf(message.securityBlob) : undefined;
        body = blob ? { command: 'negotiate-response', message, auth: blob } : { command: 'negotiate-response', message };
      }
    } else if (header.command === Smb1Command.SESSION_SETUP_ANDX) {
      if (!header.isReply) {
        if (!this.setupRequests) return { command: 'other' };
        const message = decodeSmb1SessionSetupRequest(payload, 0, payload.length, header);
        const auth = message.form === 'extended' && this.requestAuth ? authOf(message.securityBlob) : undefined;
        body = auth ? { command: 'session-setup-request', message, auth } : { command: 'session-setup-request', message };
      } else {
        const message = decodeSmb1SessionSetupResponse(payload, 0, payload.length, header);
        if (this.lazy) return new LazySmb1Body('session-setup-response', message, message.form === 'extended' ? message.securityBlob : undefined) as unknown as Smb1Body;
        const auth = message.form === 'extended' ? authOf(message.securityBlob) : undefined;
        body = auth ? { command: 'session-setup-response', message, auth } : { command: 'session-setup-response', message };
      }
    } else if (isTransCommand(header.command)) {
      body = { command: 'trans', message: decodeSmb1Trans(payload, 0, payload.length, header) };
    } else {
      body = { command: 'other' };
    }
    return body;
  }
}

/** Commands chained after the first by AndX (empty when none); undefined when the chain is broken. */
function andxChain(payload: Uint8Array): number[] | undefined {
  try {
    return walkAndXChain(payload).links.slice(1).map((l) => l.command);
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

/**
 * A lazy `auth`: decoded from the buffer on first read (then kept). A class with the getter on
 * its prototype: a getter defined per object (defineProperty) made each message a dictionary-mode
 * object with its own closure, slow to read and the largest allocation of host-only analysis.
 */
class LazyAuth {
  private authBuf: Uint8Array | undefined;
  private authDone = false;
  private authValue: AuthInfo | undefined = undefined;

  constructor(buf: Uint8Array | undefined) {
    this.authBuf = buf;
  }

  get auth(): AuthInfo | undefined {
    if (!this.authDone) {
      this.authValue = authOf(this.authBuf);
      this.authDone = true;
      this.authBuf = undefined;
    }
    return this.authValue;
  }
}

class LazySmb2 extends LazyAuth {
  readonly kind = 'smb2';
  constructor(readonly meta: MessageMeta, readonly message: Smb2Message, buf: Uint8Array | undefined) {
    super(buf);
  }
}

/** An SMB1 message whose body is decoded on first read (lazySmb1Bodies). */
class LazySmb1Message {
  readonly kind = 'smb1';
  private bodyValue: Smb1Body | undefined = undefined;
  private payload: Uint8Array | undefined;

  constructor(private readonly decoder: MessageDecoder, readonly meta: MessageMeta, readonly header: Smb1Header, payload: Uint8Array) {
    this.payload = payload;
  }

  get body(): Smb1Body {
    if (this.bodyValue === undefined) {
      this.bodyValue = this.decoder.smb1Body(this.meta, this.header, this.payload!);
      this.payload = undefined;
    }
    return this.bodyValue;
  }
}

class LazySmb1Body extends LazyAuth {
  constructor(readonly command: 'negotiate-response' | 'session-setup-response', readonly message: Smb1NegotiateResponse | Smb1SessionSetupResponse, buf: Uint8Array | undefined) {
    super(buf);
  }
}

/** Decode a security buffer; an empty one is no information, a malformed one is reported inside. */
function authOf(buf: Uint8Array | undefined): AuthInfo | undefined {
  if (!buf || buf.length === 0) return undefined;
  try {
    return { blob: decodeSecurityBlob(buf) };
  } catch (e) {
    if (e instanceof DecodeError) return { blob: { kind: 'unknown', length: buf.length } };
    throw e;
  }
}
