/**
 * A loopback SMB server built from our own codecs, for probe tests: SMB1 on/off, an SMB2 dialect
 * set, signing bits, the NTLM CHALLENGE contents, NBSS (port 139 style) with accepted called
 * names and negative answers, and a few misbehaviours. Listens on 127.0.0.1, ephemeral ports.
 * Not a model of any real server: it answers exactly what the options say.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { NbssFramer, nbssMessage, nbssMessageFromFrame, type NbssTransport } from '../../src/codec/nbss.js';
import { isSmb1, smb1Header } from '../../src/codec/smb1/header.js';
import { Smb1Command, Smb1Flags, Smb1Dialect } from '../../src/codec/smb1/constants.js';
import {
  CLIENT_FLAGS2,
  noDialectNegotiateResponse,
  ntNegotiateResponse,
  smb1NegotiateRequest,
  smb1NegotiateResponse,
} from '../../src/codec/smb1/negotiate.js';
import { NO_ANDX } from '../../src/codec/smb1/andx.js';
import { smb1SessionSetupResponse } from '../../src/codec/smb1/session-setup.js';
import { NtStatus } from '../../src/codec/ntstatus.js';
import { Smb2Command, Smb2Flags, Smb2Dialect, HashAlgorithm, Cipher, SigningAlgorithm } from '../../src/codec/smb2/constants.js';
import { makeHeader } from '../../src/codec/smb2/header.js';
import { decodeSmb2Message } from '../../src/codec/smb2/message.js';
import { negotiateResponse } from '../../src/codec/smb2/negotiate.js';
import { sessionSetupResponse } from '../../src/codec/smb2/session-setup.js';
import { errorResponse } from '../../src/codec/smb2/error.js';
import type { NegotiateContext } from '../../src/codec/smb2/negotiate-contexts.js';
import { MechOid, mechType, negTokenInit, negTokenResp } from '../../src/codec/spnego.js';
import { ntlmChallenge, NegotiateFlags, type AvPair, type NtlmVersion } from '../../src/codec/ntlmssp.js';
import { hex } from '../../src/codec/reader.js';

/** How an SMB1 NEGOTIATE is answered. */
export type Smb1Mode =
  /** NT LM 0.12 selected, WordCount 17, extended security. */
  | 'enabled'
  /** DialectIndex 0xFFFF (Samba / Windows with SMB1 off). */
  | 'no-dialect'
  /** An SMB2 NEGOTIATE response (dialect 0x02FF). */
  | 'smb2-answer'
  /** TCP RST right after the request. */
  | 'reset'
  /** FIN right after the request. */
  | 'close'
  /** Never answer. */
  | 'silent'
  /** SMB1 answer with a non-zero status. */
  | 'error-status';

/** How an SMB2 NEGOTIATE is answered. */
export type Smb2Mode = 'answer' | 'silent' | 'reset' | 'close' | 'smb1-answer';

export interface NtlmChallengeOptions {
  targetName?: string;
  avPairs?: AvPair[];
  version?: Omit<NtlmVersion, 'osVersion'> | null;
}

export interface SmbResponderOptions {
  smb1?: Smb1Mode;
  smb2?: Smb2Mode;
  /** SMB2 dialects accepted (default 2.0.2 … 3.1.1). */
  dialects?: number[];
  /** When no offered dialect is accepted: an SMB2 error (default) or a close. */
  noCommonDialect?: 'error' | 'close';
  signingEnabled?: boolean;
  signingRequired?: boolean;
  /** SMB2 capabilities (default 0x0f as Samba). */
  capabilities?: number;
  /** ServerGuid (default: "responder" in ASCII, like Samba's NetBIOS name). */
  serverGuid?: string;
  systemTime?: bigint;
  ntlm?: NtlmChallengeOptions;
  nativeOs?: string;
  nativeLanMan?: string;
  primaryDomain?: string;
  /** NBSS on the second listener: called names accepted (case-insensitive; default any) and the negative code. */
  nbss?: { accept?: string[]; negativeCode?: number; closeAfterPositive?: boolean; retarget?: { address: string; port: number } };
  /** Answer the first SMB message with a header announcing this many bytes, then nothing. */
  announceLength?: number;
  /** Delay before each answer, ms. */
  delayMs?: number;
  /** A busy server: the first N connections are closed (FIN) on their first request, unanswered. */
  dropFirst?: number;
  /** A busy server: these connections (1-based, in accept order) are never answered. */
  silentConnections?: number[];
}

/** What the responder saw, for assertions. */
export interface ResponderLog {
  connections: number;
  /** Called / calling names of every NBSS session request. */
  sessionRequests: Array<{ called: string; calling: string }>;
  smb1Negotiates: number;
  smb1SessionSetups: number;
  /** Dialect lists of every SMB2 NEGOTIATE. */
  smb2Negotiates: number[][];
  /** SMB2 ClientGuids seen. */
  clientGuids: string[];
  smb2SessionSetups: number;
}

export const DEFAULT_AV_PAIRS: AvPair[] = [
  { id: 2, name: 'MsvAvNbDomainName', value: 'SMBPLAB' },
  { id: 1, name: 'MsvAvNbComputerName', value: 'RESPONDER' },
  { id: 4, name: 'MsvAvDnsDomainName', value: 'smbplab.test' },
  { id: 3, name: 'MsvAvDnsComputerName', value: 'responder.smbplab.test' },
  { id: 5, name: 'MsvAvDnsTreeName', value: 'smbplab.test' },
  { id: 7, name: 'MsvAvTimestamp', value: null, raw: '0080d4a6b5f2d901' },
];

/** "responder" as Samba would put its NetBIOS name in the GUID bytes. */
function asciiGuid(text: string): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < Math.min(16, text.length); i++) b[i] = text.charCodeAt(i);
  const h = (i: number): string => b[i]!.toString(16).padStart(2, '0');
  return h(3) + h(2) + h(1) + h(0) + '-' + h(5) + h(4) + '-' + h(7) + h(6) + '-' + h(8) + h(9) + '-' + h(10) + h(11) + h(12) + h(13) + h(14) + h(15);
}

export class SmbResponder {
  readonly log: ResponderLog = { connections: 0, sessionRequests: [], smb1Negotiates: 0, smb1SessionSetups: 0, smb2Negotiates: [], clientGuids: [], smb2SessionSetups: 0 };
  directPort = 0;
  nbssPort = 0;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly opts: SmbResponderOptions) {}

  static async start(opts: SmbResponderOptions = {}): Promise<SmbResponder> {
    const r = new SmbResponder(opts);
    r.directPort = await r.listen('direct');
    r.nbssPort = await r.listen('nbss');
    return r;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }

  private listen(transport: NbssTransport): Promise<number> {
    const server = net.createServer((sock) => this.serve(sock, transport));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  private serve(sock: net.Socket, transport: NbssTransport): void {
    this.log.connections++;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    if (this.log.connections <= (this.opts.dropFirst ?? 0)) {
      sock.once('data', () => sock.end());
      return;
    }
    if (this.opts.silentConnections?.includes(this.log.connections)) return;
    const framer = new NbssFramer(transport);
    let sessionUp = transport === 'direct';
    let negotiated = false;
    let busy = Promise.resolve();
    sock.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      busy = busy.then(async () => {
        for (;;) {
          let f;
          try {
            f = framer.next();
          } catch {
            sock.destroy();
            return;
          }
          if (!f || sock.destroyed) return;
          if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
          if (!sessionUp) {
            const m = nbssMessageFromFrame(f, 'nbss');
            if (m.type !== 0x81) return void sock.destroy();
            this.log.sessionRequests.push({ called: m.calledName.name, calling: m.callingName.name });
            const n = this.opts.nbss ?? {};
            if (n.retarget) {
              sock.end(nbssMessage('nbss').encode({ type: 0x84, retargetIpAddress: n.retarget.address, port: n.retarget.port }));
              return;
            }
            const ok = !n.accept || n.accept.some((a) => a.toUpperCase() === m.calledName.name.toUpperCase());
            if (!ok) {
              sock.end(nbssMessage('nbss').encode({ type: 0x83, errorCode: n.negativeCode ?? 0x82 }));
              return;
            }
            sock.write(nbssMessage('nbss').encode({ type: 0x82 }));
            if (n.closeAfterPositive) return void sock.end();
            sessionUp = true;
            continue;
          }
          if (f.type !== 0) continue;
          this.answer(sock, transport, f.payload, negotiated);
          negotiated = true;
        }
      });
    });
  }

  private send(sock: net.Socket, transport: NbssTransport, payload: Uint8Array): void {
    if (!sock.destroyed) sock.write(nbssMessage(transport).encode({ type: 0, payload }));
  }

  private answer(sock: net.Socket, transport: NbssTransport, p: Uint8Array, negotiated: boolean): void {
    const o = this.opts;
    if (o.announceLength !== undefined) {
      const n = o.announceLength;
      sock.write(Uint8Array.of(0, (n >>> 16) & (transport === 'direct' ? 0xff : 1), (n >>> 8) & 0xff, n & 0xff));
      return;
    }
    if (isSmb1(p)) return this.answerSmb1(sock, transport, p, negotiated);
    let m;
    try {
      m = decodeSmb2Message(p);
    } catch {
      return void sock.destroy();
    }
    if (m.kind === 'negotiate-request') {
      this.log.smb2Negotiates.push([...m.body.dialects]);
      this.log.clientGuids.push(m.body.clientGuid);
      if (negotiated) return void sock.end(); // a second NEGOTIATE: drop the connection, as servers do
      const mode = o.smb2 ?? 'answer';
      if (mode === 'silent') return;
      if (mode === 'reset') return void sock.resetAndDestroy();
      if (mode === 'close') return void sock.end();
      if (mode === 'smb1-answer') return this.send(sock, transport, smb1NegotiateResponse.encode(noDialectNegotiateResponse()));
      const accepted = o.dialects ?? [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];
      const common = m.body.dialects.filter((d) => accepted.includes(d));
      if (common.length === 0) {
        if (o.noCommonDialect === 'close') return void sock.end();
        return this.send(sock, transport, errorResponse.encode({
          header: makeHeader({ command: Smb2Command.NEGOTIATE, status: NtStatus.STATUS_NOT_SUPPORTED, flags: Smb2Flags.SERVER_TO_REDIR, messageId: m.header.messageId }),
          body: { errorData: new Uint8Array(0), errorContexts: [] },
        }));
      }
      const dialect = Math.max(...common);
      return this.send(sock, transport, this.smb2NegotiateResponse(dialect, m.header.messageId, m.body.negotiateContexts));
    }
    if (m.kind === 'session-setup-request') {
      this.log.smb2SessionSetups++;
      const token = negTokenResp.encode({ negState: 'accept-incomplete', supportedMech: mechType(MechOid.NTLMSSP), responseToken: hex(this.challenge()) });
      return this.send(sock, transport, sessionSetupResponse.encode({
        header: makeHeader({ command: Smb2Command.SESSION_SETUP, status: NtStatus.STATUS_MORE_PROCESSING_REQUIRED, flags: Smb2Flags.SERVER_TO_REDIR, messageId: m.header.messageId, sessionId: 0x1234n, credits: 1 }),
        body: { sessionFlags: 0, securityBuffer: token },
      }));
    }
    sock.destroy();
  }

  private smb2NegotiateResponse(dialect: number, messageId: bigint, offered: NegotiateContext[]): Uint8Array {
    const o = this.opts;
    const securityMode = (o.signingEnabled === false ? 0 : 1) | (o.signingRequired ? 2 : 0);
    const contexts: NegotiateContext[] = [];
    if (dialect === Smb2Dialect.SMB3_1_1) {
      contexts.push({ kind: 'preauth-integrity', hashAlgorithms: [HashAlgorithm.SHA_512], salt: randomBytes(32) });
      if (offered.some((c) => c.kind === 'encryption')) contexts.push({ kind: 'encryption', ciphers: [Cipher.AES_128_GCM] });
      if (offered.some((c) => c.kind === 'signing')) contexts.push({ kind: 'signing', signingAlgorithms: [SigningAlgorithm.AES_CMAC] });
    }
    return negotiateResponse.encode({
      header: makeHeader({ command: Smb2Command.NEGOTIATE, flags: Smb2Flags.SERVER_TO_REDIR, messageId, credits: 1 }),
      body: {
        securityMode,
        dialectRevision: dialect,
        serverGuid: o.serverGuid ?? asciiGuid('responder'),
        capabilities: o.capabilities ?? 0x0f,
        maxTransactSize: 8388608,
        maxReadSize: 8388608,
        maxWriteSize: 8388608,
        systemTime: o.systemTime ?? 133000000000000000n,
        serverStartTime: 0n,
        securityBuffer: negTokenInit.encode({ mechTypes: [mechType(MechOid.NTLMSSP)], negHints: { hintName: 'not_defined_in_RFC4178@please_ignore' } }),
        negotiateContexts: contexts,
      },
    });
  }

  private challenge(): Uint8Array {
    const n = this.opts.ntlm ?? {};
    const version = n.version === undefined ? { productMajorVersion: 6, productMinorVersion: 1, productBuild: 0, ntlmRevision: 15 } : n.version;
    let flags = NegotiateFlags.NTLMSSP_NEGOTIATE_UNICODE | NegotiateFlags.NTLMSSP_REQUEST_TARGET | NegotiateFlags.NTLMSSP_NEGOTIATE_NTLM |
      NegotiateFlags.NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NegotiateFlags.NTLMSSP_TARGET_TYPE_SERVER | NegotiateFlags.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
      NegotiateFlags.NTLMSSP_NEGOTIATE_TARGET_INFO;
    if (version) flags |= NegotiateFlags.NTLMSSP_NEGOTIATE_VERSION;
    const msg: Parameters<typeof ntlmChallenge.encode>[0] = {
      messageType: 2,
      targetName: n.targetName ?? 'RESPONDER',
      negotiateFlags: flags >>> 0,
      flagNames: [],
      serverChallenge: hex(randomBytes(8)),
      reserved: '0000000000000000',
      targetInfo: n.avPairs ?? DEFAULT_AV_PAIRS,
      warnings: [],
    };
    if (version) msg.version = { ...version, osVersion: '' };
    return ntlmChallenge.encode(msg);
  }

  private answerSmb1(sock: net.Socket, transport: NbssTransport, p: Uint8Array, negotiated: boolean): void {
    const o = this.opts;
    const command = p[4];
    if (command === Smb1Command.NEGOTIATE) {
      this.log.smb1Negotiates++;
      if (negotiated) return void sock.end();
      const req = smb1NegotiateRequest.decode(p);
      const hdr = { mid: req.header.mid, pidLow: req.header.pidLow, pidHigh: req.header.pidHigh };
      const mode = o.smb1 ?? 'enabled';
      switch (mode) {
        case 'silent':
          return;
        case 'reset':
          return void sock.resetAndDestroy();
        case 'close':
          return void sock.end();
        case 'no-dialect':
          return this.send(sock, transport, smb1NegotiateResponse.encode(noDialectNegotiateResponse(hdr)));
        case 'error-status':
          return this.send(sock, transport, smb1NegotiateResponse.encode(noDialectNegotiateResponse({ ...hdr, status: NtStatus.STATUS_ACCESS_DENIED })));
        case 'smb2-answer':
          return this.send(sock, transport, this.smb2NegotiateResponse(Smb2Dialect.SMB2_WILDCARD, 0n, []));
        case 'enabled': {
          const idx = req.dialects.indexOf(Smb1Dialect.NT_LM_0_12);
          if (idx < 0) return this.send(sock, transport, smb1NegotiateResponse.encode(noDialectNegotiateResponse(hdr)));
          const securityMode = 0x03 | (o.signingEnabled === false ? 0 : 0x04) | (o.signingRequired ? 0x08 : 0);
          return this.send(sock, transport, smb1NegotiateResponse.encode(ntNegotiateResponse({
            header: hdr,
            dialectIndex: idx,
            securityMode,
            serverGuid: o.serverGuid ?? asciiGuid('responder'),
            securityBlob: negTokenInit.encode({ mechTypes: [mechType(MechOid.NTLMSSP)] }),
          })));
        }
      }
    }
    if (command === Smb1Command.SESSION_SETUP_ANDX) {
      this.log.smb1SessionSetups++;
      const h = smb1Header({ command: 0x73, flags: 0x80 | Smb1Flags.CASE_INSENSITIVE, flags2: CLIENT_FLAGS2 });
      const reqMid = p[30]! | (p[31]! << 8);
      const token = negTokenResp.encode({ negState: 'accept-incomplete', supportedMech: mechType(MechOid.NTLMSSP), responseToken: hex(this.challenge()) });
      return this.send(sock, transport, smb1SessionSetupResponse.encode({
        form: 'extended',
        wordCount: 4,
        header: { ...h, status: NtStatus.STATUS_MORE_PROCESSING_REQUIRED, uid: 0x64, mid: reqMid },
        andx: { ...NO_ANDX },
        action: 0,
        actionNames: [],
        securityBlob: token,
        nativeOs: o.nativeOs ?? 'Windows 6.1',
        nativeLanMan: o.nativeLanMan ?? 'Responder 1.0',
        primaryDomain: o.primaryDomain ?? 'SMBPLAB',
        extra: new Uint8Array(0),
      }));
    }
    sock.destroy();
  }
}
