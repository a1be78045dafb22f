/**
 * Fuzz targets: every decoder, the framers, the pcap reader and the passive layer above them.
 * `run` feeds one input and may throw; the harness accepts a value or a DecodeError, anything
 * else is a crash. Framer targets split the input into chunks chosen from its own bytes, so a
 * saved input replays exactly the same way.
 */
import { CaptureDecoder, captureMessagesBuffer } from '../../src/capture/messages.js';
import { parseDerTree } from '../../src/codec/der.js';
import { nbnsPacket } from '../../src/codec/nbns.js';
import { NbssFramer, nbssMessage, nbssMessageFromFrame, type NbssTransport } from '../../src/codec/nbss.js';
import { netbiosName } from '../../src/codec/netbios-name.js';
import { decodeFrame } from '../../src/codec/net/frame.js';
import { LinkType } from '../../src/codec/net/link.js';
import { decodeNtlmMessage } from '../../src/codec/ntlmssp.js';
import { CaptureReader, readCaptureBuffer } from '../../src/codec/pcap/capture-reader.js';
import {
  decodeSmb1NegotiateResponse,
  MULTI_PROTOCOL_DIALECTS,
  smb1HeaderCodec,
  smb1NegotiateRequest,
  smb1SessionSetupRequest,
  smb1SessionSetupResponse,
  smb1Trans,
  walkAndXChain,
} from '../../src/codec/smb1/index.js';
import { decodeSmb2Messages, errorResponse, negotiateRequest, negotiateResponse, sessionSetupRequest, sessionSetupResponse } from '../../src/codec/smb2/index.js';
import { decodeSecurityBlob, negTokenInit, negTokenResp } from '../../src/codec/spnego.js';
import { DecodeError } from '../../src/errors.js';
import { MessageDecoder } from '../../src/passive/decode.js';
import { chunking } from './mutate.js';
import { framesForLinkType, type SeedCorpus } from './seeds.js';

export interface FuzzTarget {
  /** Name used by `--target` and in regression file names (`<name>-<hash>.bin`). */
  name: string;
  /** What is decoded. */
  what: string;
  /** Seeds from the corpus (may be empty: then only random inputs). */
  seeds(c: SeedCorpus): Uint8Array[];
  /** Feed one input; returns normally or throws. */
  run(input: Uint8Array): void;
  /** Largest generated input. */
  maxLength: number;
}

/** SMB1 messages with the given command; requests or replies. */
function smb1Of(c: SeedCorpus, command: number, reply: boolean): Uint8Array[] {
  const l = c.smb1.filter((b) => b.length >= 32 && b[4] === command && ((b[9]! & 0x80) !== 0) === reply);
  return l.length > 0 ? l : c.smb1;
}

/** SMB2 messages whose first header has the given command; requests or responses. */
function smb2Of(c: SeedCorpus, command: number, response: boolean): Uint8Array[] {
  const l = c.smb2.filter((b) => b.length >= 64 && b[0] === 0xfe && (b[12]! | (b[13]! << 8)) === command && ((b[16]! & 1) !== 0) === response);
  return l.length > 0 ? l : c.smb2;
}

/** Drain a framer fed in chunks; decode each frame's body like the passive layer does. */
function runFramer(transport: NbssTransport, input: Uint8Array): void {
  const f = new NbssFramer(transport);
  for (const chunk of chunking(input)) {
    f.push(chunk);
    for (let m = f.next(); m !== undefined; m = f.next()) {
      if (m.type !== 0x00) {
        try {
          nbssMessageFromFrame(m, transport);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }
    }
  }
}

const SMB1_NEGOTIATE = 0x72;
const SMB1_SESSION_SETUP_ANDX = 0x73;
const SMB1_TRANS = [0x25, 0x32, 0xa0];
const SMB2_NEGOTIATE = 0;
const SMB2_SESSION_SETUP = 1;

const frameTarget = (name: string, linkType: number): FuzzTarget => ({
  name,
  what: `decodeFrame(${linkType}, frame)`,
  seeds: (c) => framesForLinkType(linkType, c.ethernetFrames),
  run: (b) => void decodeFrame(linkType, b),
  maxLength: 2048,
});

export const CODEC_TARGETS: readonly FuzzTarget[] = [
  // NetBIOS
  { name: 'nbns', what: 'nbnsPacket.decode', seeds: (c) => c.nbns, run: (b) => void nbnsPacket.decode(b), maxLength: 1024 },
  { name: 'netbios-name', what: 'netbiosName.decode', seeds: (c) => c.names, run: (b) => void netbiosName.decode(b), maxLength: 512 },
  { name: 'nbss', what: "nbssMessage('nbss').decode", seeds: (c) => [...c.nbssMessages.nbss.filter((b) => b[0] !== 0x00), ...c.nbssMessages.nbss.slice(0, 50)], run: (b) => void nbssMessage('nbss').decode(b), maxLength: 2048 },
  { name: 'nbss-direct', what: "nbssMessage('direct').decode", seeds: (c) => c.nbssMessages.direct.slice(0, 100), run: (b) => void nbssMessage('direct').decode(b), maxLength: 2048 },
  { name: 'nbss-framer', what: "NbssFramer('nbss'), random chunking", seeds: (c) => c.nbssStreams.nbss, run: (b) => runFramer('nbss', b), maxLength: 8192 },
  { name: 'nbss-framer-direct', what: "NbssFramer('direct'), random chunking", seeds: (c) => c.nbssStreams.direct, run: (b) => runFramer('direct', b), maxLength: 8192 },
  // SMB1
  { name: 'smb1-header', what: 'smb1HeaderCodec.decode', seeds: (c) => c.smb1, run: (b) => void smb1HeaderCodec.decode(b), maxLength: 256 },
  { name: 'smb1-negotiate-request', what: 'smb1NegotiateRequest.decode', seeds: (c) => smb1Of(c, SMB1_NEGOTIATE, false), run: (b) => void smb1NegotiateRequest.decode(b), maxLength: 1024 },
  {
    name: 'smb1-negotiate-response',
    what: 'decodeSmb1NegotiateResponse (with and without the offered dialects)',
    seeds: (c) => smb1Of(c, SMB1_NEGOTIATE, true),
    // the low bit of the last byte decides whether the offered list is passed: both paths get inputs
    run: (b) => void decodeSmb1NegotiateResponse(b, 0, b.length, b.length > 0 && (b[b.length - 1]! & 1) === 1 ? MULTI_PROTOCOL_DIALECTS : undefined),
    maxLength: 2048,
  },
  { name: 'smb1-session-setup-request', what: 'smb1SessionSetupRequest.decode', seeds: (c) => smb1Of(c, SMB1_SESSION_SETUP_ANDX, false), run: (b) => void smb1SessionSetupRequest.decode(b), maxLength: 2048 },
  { name: 'smb1-session-setup-response', what: 'smb1SessionSetupResponse.decode', seeds: (c) => smb1Of(c, SMB1_SESSION_SETUP_ANDX, true), run: (b) => void smb1SessionSetupResponse.decode(b), maxLength: 2048 },
  {
    name: 'smb1-trans',
    what: 'smb1Trans.decode',
    seeds: (c) => {
      const l = c.smb1.filter((b) => b.length >= 32 && SMB1_TRANS.includes(b[4]!));
      return l.length > 0 ? l : c.smb1;
    },
    run: (b) => void smb1Trans.decode(b),
    maxLength: 2048,
  },
  { name: 'smb1-andx', what: 'walkAndXChain', seeds: (c) => c.smb1, run: (b) => void walkAndXChain(b), maxLength: 2048 },
  // SMB2
  { name: 'smb2-messages', what: 'decodeSmb2Messages', seeds: (c) => c.smb2, run: (b) => void decodeSmb2Messages(b), maxLength: 4096 },
  { name: 'smb2-negotiate-request', what: 'negotiateRequest.decode', seeds: (c) => smb2Of(c, SMB2_NEGOTIATE, false), run: (b) => void negotiateRequest.decode(b), maxLength: 1024 },
  { name: 'smb2-negotiate-response', what: 'negotiateResponse.decode', seeds: (c) => smb2Of(c, SMB2_NEGOTIATE, true), run: (b) => void negotiateResponse.decode(b), maxLength: 2048 },
  { name: 'smb2-session-setup-request', what: 'sessionSetupRequest.decode', seeds: (c) => smb2Of(c, SMB2_SESSION_SETUP, false), run: (b) => void sessionSetupRequest.decode(b), maxLength: 2048 },
  { name: 'smb2-session-setup-response', what: 'sessionSetupResponse.decode', seeds: (c) => smb2Of(c, SMB2_SESSION_SETUP, true), run: (b) => void sessionSetupResponse.decode(b), maxLength: 2048 },
  {
    name: 'smb2-error',
    what: 'errorResponse.decode',
    // error responses: status != 0 and StructureSize 9
    seeds: (c) => {
      const l = c.smb2.filter((b) => b.length >= 73 && b[0] === 0xfe && (b[8]! | b[9]! | b[10]! | b[11]!) !== 0 && b[64] === 9);
      return l.length > 0 ? l : c.smb2;
    },
    run: (b) => void errorResponse.decode(b),
    maxLength: 1024,
  },
  // security blobs
  { name: 'spnego-blob', what: 'decodeSecurityBlob', seeds: (c) => c.securityBlobs, run: (b) => void decodeSecurityBlob(b), maxLength: 2048 },
  { name: 'spnego-init', what: 'negTokenInit.decode', seeds: (c) => c.securityBlobs.filter((b) => b[0] === 0x60 || b[0] === 0xa0), run: (b) => void negTokenInit.decode(b), maxLength: 2048 },
  { name: 'spnego-resp', what: 'negTokenResp.decode', seeds: (c) => c.securityBlobs.filter((b) => b[0] === 0xa1), run: (b) => void negTokenResp.decode(b), maxLength: 2048 },
  { name: 'der', what: 'parseDerTree', seeds: (c) => c.securityBlobs.filter((b) => b[0] !== 0x4e), run: (b) => void parseDerTree(b), maxLength: 2048 },
  { name: 'ntlmssp', what: 'decodeNtlmMessage', seeds: (c) => c.ntlmssp, run: (b) => void decodeNtlmMessage(b), maxLength: 2048 },
  // captures
  {
    name: 'pcap',
    what: 'readCaptureBuffer (every record)',
    seeds: (c) => c.captures,
    run: (b) => {
      for (const rec of readCaptureBuffer(b)) void rec;
    },
    maxLength: 65536,
  },
  {
    name: 'capture-reader',
    what: 'CaptureReader, random chunking',
    seeds: (c) => c.captures,
    run: (b) => {
      const r = new CaptureReader();
      for (const chunk of chunking(b)) {
        r.push(chunk);
        for (let rec = r.next(); rec !== undefined; rec = r.next()) void rec;
      }
      r.end();
    },
    maxLength: 65536,
  },
  frameTarget('frame-ethernet', LinkType.ETHERNET),
  frameTarget('frame-sll', LinkType.LINUX_SLL),
  frameTarget('frame-sll2', LinkType.LINUX_SLL2),
  frameTarget('frame-raw', LinkType.RAW),
  frameTarget('frame-null', LinkType.NULL),
  // the layer above: capture → application messages → decoded messages
  {
    name: 'passive',
    what: 'captureMessagesBuffer (CaptureDecoder) + MessageDecoder over a capture',
    seeds: (c) => c.captures,
    run: (b) => {
      const dec = new MessageDecoder();
      for (const m of captureMessagesBuffer(b, { frameErrors: true })) {
        dec.decode(m);
      }
    },
    maxLength: 65536,
  },
  {
    name: 'passive-records',
    what: 'CaptureDecoder.push over records cut from a capture, then MessageDecoder',
    // one Ethernet frame per record, prefixed by a 2-byte length: mutations hit the frames, not the file format
    seeds: (c) => {
      const out: Uint8Array[] = [];
      for (let i = 0; i + 4 <= c.ethernetFrames.length; i += 4) out.push(packRecords(c.ethernetFrames.slice(i, i + 12)));
      return out.slice(0, 200);
    },
    run: (b) => {
      const cd = new CaptureDecoder({ frameErrors: true });
      const md = new MessageDecoder();
      let frame = 0;
      for (let o = 0; o + 2 <= b.length; ) {
        const n = (b[o]! << 8) | b[o + 1]!;
        const data = b.subarray(o + 2, Math.min(b.length, o + 2 + n));
        o += 2 + n;
        frame++;
        const rec = { frame, interfaceId: 0, linkType: LinkType.ETHERNET, tsSec: frame, tsNsec: 0, capturedLength: data.length, originalLength: data.length, data, fileOffset: o };
        for (const m of cd.push(rec)) md.decode(m);
      }
      for (const m of cd.flush()) md.decode(m);
    },
    maxLength: 16384,
  },
];

/** `[len16 frame]...`: the input format of the `passive-records` target. */
export function packRecords(frames: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const n = Math.min(f.length, 0xffff);
    parts.push(Uint8Array.of(n >> 8, n & 0xff), f.subarray(0, n));
  }
  return Buffer.concat(parts);
}

/** Inputs that trip the self-test targets: 6 bytes or more (common among random and grown inputs). */
const tripped = (b: Uint8Array): boolean => b.length >= 6;

/**
 * Broken on purpose: they prove the harness reports each kind of failure (a TypeError, an input
 * that never returns, a 32 MiB allocation for a few bytes). Listed only with FUZZ_SELF_TEST=1.
 */
export const SELF_TEST_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'self-test-crash',
    what: 'throws TypeError on inputs of 6 bytes or more',
    seeds: () => [Uint8Array.of(0x41, 1, 2, 3)],
    run: (b) => {
      if (tripped(b)) throw new TypeError('self-test crash');
    },
    maxLength: 16,
  },
  {
    name: 'self-test-hang',
    what: 'never returns on inputs of 6 bytes or more',
    seeds: () => [Uint8Array.of(0x41, 1, 2, 3)],
    run: (b) => {
      // eslint-disable-next-line no-empty
      while (tripped(b)) {}
    },
    maxLength: 16,
  },
  {
    name: 'self-test-alloc',
    what: 'allocates 32 MiB on inputs of 6 bytes or more',
    seeds: () => [Uint8Array.of(0x41, 1, 2, 3)],
    run: (b) => {
      // kept alive (a few at most), so that no collection of an earlier run's buffer hides this one
      if (tripped(b)) selfTestKeep.push(new Uint8Array(32 * 1024 * 1024).fill(1));
      if (selfTestKeep.length > 6) selfTestKeep.shift();
    },
    maxLength: 16,
  },
];

const selfTestKeep: Uint8Array[] = [];

/** Targets the fuzzer runs: every codec target, plus the self-test ones when FUZZ_SELF_TEST=1. */
export const TARGETS: readonly FuzzTarget[] = process.env['FUZZ_SELF_TEST'] === '1' ? [...CODEC_TARGETS, ...SELF_TEST_TARGETS] : CODEC_TARGETS;

export function targetByName(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name) ?? SELF_TEST_TARGETS.find((t) => t.name === name);
}

/** Outcome of one input: the decoder returned, or threw DecodeError; anything else is a failure. */
export type Outcome = { ok: true; decodeError: boolean } | { ok: false; error: unknown };

export function runOnce(t: FuzzTarget, input: Uint8Array): Outcome {
  try {
    t.run(input);
    return { ok: true, decodeError: false };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: true, decodeError: true };
    return { ok: false, error: e };
  }
}

/** Short signature of a failure: error class, message shape and the first project stack frame. */
export function failureSignature(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame = (err.stack ?? '').split('\n').slice(1).map((l) => l.trim()).find((l) => /\/src\//.test(l)) ?? '';
  const where = frame.replace(/^at /, '').replace(/\(.*\/(src\/[^:]+):(\d+):\d+\)$/, '($1:$2)').replace(/^.*\/(src\/[^:]+):(\d+):\d+$/, '$1:$2');
  const msg = err.message.replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 80);
  return `${err.name}: ${msg} @ ${where}`;
}
