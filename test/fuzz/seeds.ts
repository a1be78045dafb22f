/**
 * Seed corpus for the fuzzer: real packets cut out of the project's own fixture captures
 * (fixtures/*.pcap, fixtures/variants/*) with the project's capture reader
 * (src/capture/messages.ts): NBNS datagrams, NBSS messages and streams, SMB1/SMB2 messages, the
 * security blobs and NTLMSSP tokens inside them, link-layer frames and the capture files
 * themselves. Nothing here is copied from third-party captures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMessagesBuffer, type AppMessage, type NbssCaptureMessage } from '../../src/capture/messages.js';
import { readCaptureBuffer } from '../../src/codec/pcap/capture-reader.js';
import { LinkType } from '../../src/codec/net/link.js';
import { findNtlmssp } from '../../src/codec/spnego.js';
import { MessageDecoder } from '../../src/passive/decode.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface SeedCorpus {
  /** Whole capture files (pcap and pcapng). */
  captures: Uint8Array[];
  /** Ethernet frames (LINKTYPE_ETHERNET) of those captures. */
  ethernetFrames: Uint8Array[];
  /** UDP 137 payloads. */
  nbns: Uint8Array[];
  /** Encoded NetBIOS names (from NBNS questions and NBSS session requests), each at offset 0. */
  names: Uint8Array[];
  /** Whole NBSS messages (4-byte header + payload) seen on 139 ('nbss') and 445 ('direct'). */
  nbssMessages: { nbss: Uint8Array[]; direct: Uint8Array[] };
  /** Several consecutive NBSS messages of one direction of one connection, as on the wire. */
  nbssStreams: { nbss: Uint8Array[]; direct: Uint8Array[] };
  /** SMB1 messages (from the 0xFF 'SMB' protocol id). */
  smb1: Uint8Array[];
  /** SMB2 messages, compounds and transform headers (0xFE/0xFD/0xFC 'SMB'). */
  smb2: Uint8Array[];
  /** Security buffers of SMB1/SMB2 negotiate and session setup (SPNEGO, NTLMSSP). */
  securityBlobs: Uint8Array[];
  /** NTLMSSP messages found in those blobs. */
  ntlmssp: Uint8Array[];
}

/** Capture files used as seeds: fixtures/*.pcap(ng) and fixtures/variants/*. */
export function seedCaptureFiles(dir = FIXTURES_DIR): string[] {
  const out: string[] = [];
  for (const d of [dir, join(dir, 'variants')]) {
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d).sort()) if (/\.pcap(ng)?$/.test(name)) out.push(join(d, name));
  }
  return out;
}

/** Most seeds kept per kind (the fixtures repeat the same exchanges many times). */
const MAX_PER_KIND = 400;
/** Longest stream seed. */
const MAX_STREAM = 8192;

function dedupe(list: Uint8Array[], max = MAX_PER_KIND): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const b of list) {
    const k = Buffer.from(b).toString('base64');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(b);
    if (out.length >= max) break;
  }
  return out;
}

function withNbssHeader(m: NbssCaptureMessage): Uint8Array {
  const len = m.payload.length;
  const out = new Uint8Array(4 + len);
  out[0] = m.type;
  out[1] = m.transport === 'direct' ? (len >>> 16) & 0xff : ((len >>> 16) & 1) | (m.flags & 0xfe);
  out[2] = (len >>> 8) & 0xff;
  out[3] = len & 0xff;
  out.set(m.payload, 4);
  return out;
}

/** Every Uint8Array field named like a security buffer, anywhere in a decoded message. */
function collectBlobs(v: unknown, out: Uint8Array[], depth = 0): void {
  if (depth > 6 || v === null || typeof v !== 'object') return;
  if (v instanceof Uint8Array) return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x instanceof Uint8Array) {
      if (/^security(Blob|Buffer)$/.test(k) && x.length > 0) out.push(x);
    } else if (typeof x === 'object') collectBlobs(x, out, depth + 1);
  }
}

let cached: SeedCorpus | undefined;

/** The seed corpus (computed once per process from the fixture captures present). */
export function seedCorpus(dir = FIXTURES_DIR): SeedCorpus {
  if (cached && dir === FIXTURES_DIR) return cached;
  const c: SeedCorpus = {
    captures: [], ethernetFrames: [], nbns: [], names: [],
    nbssMessages: { nbss: [], direct: [] }, nbssStreams: { nbss: [], direct: [] },
    smb1: [], smb2: [], securityBlobs: [], ntlmssp: [],
  };
  for (const file of seedCaptureFiles(dir)) {
    const buf = new Uint8Array(readFileSync(file));
    c.captures.push(buf);
    try {
      for (const rec of readCaptureBuffer(buf)) if (rec.linkType === LinkType.ETHERNET) c.ethernetFrames.push(rec.data.slice());
    } catch {
      // a seed capture that ends badly still gave its good records
    }
    const msgs: AppMessage[] = [...captureMessagesBuffer(buf)];
    const streams = new Map<string, { transport: 'nbss' | 'direct'; parts: Uint8Array[]; size: number }>();
    const dec = new MessageDecoder();
    for (const m of msgs) {
      if (m.kind === 'nbns') {
        c.nbns.push(m.data.slice());
        if (m.data.length > 12) c.names.push(m.data.slice(12));
      } else if (m.kind === 'nbss') {
        const whole = withNbssHeader(m);
        c.nbssMessages[m.transport].push(whole);
        const key = `${m.connection}/${m.fromServer}`;
        let s = streams.get(key);
        if (!s) streams.set(key, (s = { transport: m.transport, parts: [], size: 0 }));
        if (s.size + whole.length <= MAX_STREAM) {
          s.parts.push(whole);
          s.size += whole.length;
        }
        if (m.type === 0x81 && m.payload.length > 0) c.names.push(m.payload.slice());
        if (m.type === 0x00 && m.payload.length >= 4) {
          const p = m.payload;
          if (p[1] === 0x53 && p[2] === 0x4d && p[3] === 0x42) {
            if (p[0] === 0xff) c.smb1.push(p.slice());
            else if (p[0] === 0xfe || p[0] === 0xfd || p[0] === 0xfc) c.smb2.push(p.slice());
          }
        }
      }
      for (const d of dec.decode(m)) collectBlobs(d, c.securityBlobs);
    }
    for (const s of streams.values()) c.nbssStreams[s.transport].push(Buffer.concat(s.parts));
  }
  c.securityBlobs = dedupe(c.securityBlobs.map((b) => b.slice()));
  for (const b of c.securityBlobs) {
    const n = findNtlmssp(b);
    if (n) c.ntlmssp.push(n.slice());
  }
  c.ethernetFrames = dedupe(c.ethernetFrames);
  c.nbns = dedupe(c.nbns);
  c.names = dedupe(c.names);
  c.nbssMessages = { nbss: dedupe(c.nbssMessages.nbss), direct: dedupe(c.nbssMessages.direct) };
  c.nbssStreams = { nbss: dedupe(c.nbssStreams.nbss, 64), direct: dedupe(c.nbssStreams.direct, 64) };
  c.smb1 = dedupe(c.smb1);
  c.smb2 = dedupe(c.smb2);
  c.ntlmssp = dedupe(c.ntlmssp);
  if (dir === FIXTURES_DIR) cached = c;
  return c;
}

/** Ethernet frames rewritten for another link type (same IP packet, other link header). */
export function framesForLinkType(linkType: number, ethernet: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of ethernet) {
    if (f.length < 14) continue;
    let t = (f[12]! << 8) | f[13]!;
    let p = 14;
    while ((t === 0x8100 || t === 0x88a8) && f.length >= p + 4) {
      t = (f[p + 2]! << 8) | f[p + 3]!;
      p += 4;
    }
    if (t !== 0x0800 && t !== 0x86dd) continue;
    const ip = f.subarray(p);
    let head: Uint8Array;
    switch (linkType) {
      case LinkType.ETHERNET:
        out.push(f);
        continue;
      case LinkType.LINUX_SLL: // packet type, ARPHRD, address length, 8-byte address, protocol
        head = Uint8Array.of(0, 0, 0, 1, 0, 6, ...f.subarray(6, 12), 0, 0, t >> 8, t & 0xff);
        break;
      case LinkType.LINUX_SLL2: // protocol, reserved, ifindex, ARPHRD, packet type, address length, 8-byte address
        head = Uint8Array.of(t >> 8, t & 0xff, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, ...f.subarray(6, 12), 0, 0);
        break;
      case LinkType.RAW:
        head = new Uint8Array(0);
        break;
      case LinkType.NULL: // address family in the writer's byte order: little-endian here
        head = Uint8Array.of(t === 0x0800 ? 2 : 24, 0, 0, 0);
        break;
      default:
        throw new Error(`no seed conversion for link type ${linkType}`);
    }
    const out1 = new Uint8Array(head.length + ip.length);
    out1.set(head, 0);
    out1.set(ip, head.length);
    out.push(out1);
  }
  return out;
}
