/**
 * Golden tests: every SMB2 message of the project's own captures (fixtures/*.pcap, made with real
 * Samba) is decoded and compared field by field with tshark's JSON beside it, then re-encoded.
 * Set SMB2_ORACLE_DIR=<dir of pcaps> to run the same comparison against other captures with a
 * live tshark (development only; nothing from there is stored in the repo).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { assertDecoderTotal } from '../helpers/codec.js';
import { fixtureCaptures, oracleCaptures, smbPayloads, type SmbPayload } from '../support/fixture-messages.js';
import {
  decodeSmb2Messages,
  errorResponse,
  frameKind,
  negotiateRequest,
  negotiateResponse,
  sessionSetupRequest,
  sessionSetupResponse,
  guidFromString,
  contextType,
  type NegotiateContext,
  type Smb2Message,
} from '../../src/codec/smb2/index.js';
import { filetimeToIso, hex } from '../../src/codec/reader.js';

type Fields = Map<string, string[]>;

/** SMB2 messages (payloads of NBSS session messages on 445/139, TCP reassembled) of a capture. */
function smb2Payloads(file: string): SmbPayload[] {
  return smbPayloads(file).filter(({ message }) => {
    const kind = frameKind(message);
    return kind === 'smb2' || kind === 'transform' || kind === 'compression';
  });
}

// ---- tshark JSON, flattened: field name -> values in order ----

function flatten(packets: unknown[]): Map<number, Fields> {
  const out = new Map<number, Fields>();
  const walk = (node: unknown, f: Fields, key?: string): void => {
    if (Array.isArray(node)) {
      if (key?.endsWith('_raw')) return;
      for (const x of node) walk(x, f, key);
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, f, k);
    } else if (key !== undefined && typeof node === 'string') {
      const l = f.get(key);
      if (l) l.push(node);
      else f.set(key, [node]);
    }
  };
  for (const p of packets) {
    const layers = (p as { _source?: { layers?: Record<string, unknown> } })._source?.layers;
    if (!layers) continue;
    const frame = Number((layers['frame'] as Record<string, string> | undefined)?.['frame.number']);
    const f: Fields = new Map();
    walk(layers['smb2'], f);
    out.set(frame, f);
  }
  return out;
}

// ---- comparison in tshark's own formats ----

const h8 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const h4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
const h2 = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;
const h16 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;
const colons = (b: Uint8Array): string => hex(b, ':');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** FILETIME in tshark's absolute-time text ("Jan 10, 2019 18:44:09.626981300 UTC"). */
function tsharkTime(ft: bigint): string[] {
  const iso = filetimeToIso(ft);
  if (iso === null) return ['Jan  1, 1970 00:00:00.000000000 UTC', 'No time specified', 'Jan  1, 1601 00:00:00.000000000 UTC'];
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)\.(\d{7})Z$/.exec(iso)!;
  const day = String(Number(m[3])).padStart(2, ' ');
  return [`${MONTHS[Number(m[2]) - 1]} ${day}, ${m[1]} ${m[4]}.${m[5]}00 UTC`];
}

function check(problems: string[], f: Fields, name: string, expected: string[] | string | undefined, index = 0): void {
  if (expected === undefined) return;
  const got = f.get(name);
  if (Array.isArray(expected)) {
    if (JSON.stringify(got ?? []) !== JSON.stringify(expected)) problems.push(`${name}: tshark ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
  } else if (got?.[index] !== expected) {
    problems.push(`${name}: tshark ${JSON.stringify(got?.[index])} vs ${JSON.stringify(expected)}`);
  }
}

/** Differences between one decoded message and tshark's fields for the frame. */
function compare(m: Smb2Message, f: Fields): string[] {
  const p: string[] = [];
  if (m.kind === 'encrypted') {
    check(p, f, 'smb2.header.transform.msg_size', String(m.transform.originalMessageSize));
    check(p, f, 'smb2.header.transform.nonce', colons(m.transform.nonce));
    return p;
  }
  if (m.kind === 'compressed') {
    check(p, f, 'smb2.header.comp_transform.original_size', String(m.compression.originalCompressedSegmentSize));
    return p;
  }
  const h = m.header;
  const response = (h.flags & 1) !== 0;
  check(p, f, 'smb2.cmd', String(h.command));
  check(p, f, 'smb2.flags', h8(h.flags));
  check(p, f, 'smb2.msg_id', h.messageId === 0xffffffffffffffffn ? undefined : h.messageId.toString());
  check(p, f, 'smb2.sesid', h16(h.sessionId));
  check(p, f, 'smb2.credit.charge', String(h.creditCharge));
  check(p, f, response ? 'smb2.credits.granted' : 'smb2.credits.requested', String(h.credits));
  check(p, f, 'smb2.chain_offset', h8(h.nextCommand));
  check(p, f, 'smb2.signature', colons(h.signature));
  if (response) check(p, f, 'smb2.nt_status', h8(h.status));
  if (h.asyncId !== undefined) check(p, f, 'smb2.aid', h16(h.asyncId));
  else {
    check(p, f, 'smb2.pid', h8(h.reserved!));
    check(p, f, 'smb2.tid', h8(h.treeId!));
  }
  const contexts = (list: NegotiateContext[]): void => {
    if (list.length === 0) return;
    check(p, f, 'smb2.negotiate_context.type', list.map((c) => h4(contextType(c))));
    const all = <T>(fn: (c: (typeof list)[number]) => T[] | undefined): T[] => list.flatMap((c) => fn(c) ?? []);
    check(p, f, 'smb2.negotiate_context.hash_algorithm', all((c) => (c.kind === 'preauth-integrity' ? c.hashAlgorithms.map(h4) : undefined)));
    check(p, f, 'smb2.negotiate_context.salt', all((c) => (c.kind === 'preauth-integrity' && c.salt.length > 0 ? [colons(c.salt)] : undefined)));
    check(p, f, 'smb2.negotiate_context.cipher_id', all((c) => (c.kind === 'encryption' ? c.ciphers.map(h4) : undefined)));
    check(p, f, 'smb2.negotiate_context.comp_alg_id', all((c) => (c.kind === 'compression' ? c.compressionAlgorithms.map(h4) : undefined)));
    check(p, f, 'smb2.negotiate_context.comp_alg_flags', all((c) => (c.kind === 'compression' ? [h8(c.flags)] : undefined)));
    check(p, f, 'smb2.negotiate_context.netname', all((c) => (c.kind === 'netname' ? [c.netName] : undefined)));
    check(p, f, 'smb2.negotiate_context.transport_flags', all((c) => (c.kind === 'transport' ? [h8(c.flags)] : undefined)));
    check(p, f, 'smb2.negotiate_context.rdma_transform_id', all((c) => (c.kind === 'rdma-transform' ? c.transformIds.map(h4) : undefined)));
    check(p, f, 'smb2.negotiate_context.signing_id', all((c) => (c.kind === 'signing' ? c.signingAlgorithms.map(h4) : undefined)));
  };
  switch (m.kind) {
    case 'negotiate-request':
      check(p, f, 'smb2.dialect_count', String(m.body.dialects.length));
      check(p, f, 'smb2.dialect', m.body.dialects.map(h4));
      check(p, f, 'smb2.sec_mode', h2(m.body.securityMode));
      check(p, f, 'smb2.capabilities', h8(m.body.capabilities));
      check(p, f, 'smb2.client_guid', m.body.clientGuid);
      if (m.body.negotiateContexts.length > 0) check(p, f, 'smb2.negotiate_context.count', String(m.body.negotiateContexts.length));
      contexts(m.body.negotiateContexts);
      break;
    case 'negotiate-response': {
      const b = m.body;
      check(p, f, 'smb2.dialect', h4(b.dialectRevision));
      check(p, f, 'smb2.sec_mode', h2(b.securityMode));
      check(p, f, 'smb2.sec_mode.sign_enabled', (b.securityMode & 1) !== 0 ? '1' : '0');
      check(p, f, 'smb2.sec_mode.sign_required', (b.securityMode & 2) !== 0 ? '1' : '0');
      check(p, f, 'smb2.server_guid', b.serverGuid);
      check(p, f, 'smb2.capabilities', h8(b.capabilities));
      check(p, f, 'smb2.max_trans_size', String(b.maxTransactSize));
      check(p, f, 'smb2.max_read_size', String(b.maxReadSize));
      check(p, f, 'smb2.max_write_size', String(b.maxWriteSize));
      const ct = f.get('smb2.current_time')?.[0];
      if (!tsharkTime(b.systemTime).includes(ct ?? '')) p.push(`smb2.current_time: tshark ${ct} vs ${tsharkTime(b.systemTime)[0]}`);
      const bt = f.get('smb2.boot_time')?.[0];
      if (!tsharkTime(b.serverStartTime).includes(bt ?? '')) p.push(`smb2.boot_time: tshark ${bt} vs ${tsharkTime(b.serverStartTime)[0]}`);
      check(p, f, 'smb2.olb.length', String(b.securityBuffer.length));
      if (b.securityBuffer.length > 0) check(p, f, 'smb2.security_blob', colons(b.securityBuffer));
      contexts(b.negotiateContexts);
      break;
    }
    case 'session-setup-request':
      check(p, f, 'smb2.ses_req_flags', String(m.body.flags));
      check(p, f, 'smb2.sec_mode', h2(m.body.securityMode));
      check(p, f, 'smb2.capabilities', h8(m.body.capabilities));
      check(p, f, 'smb2.previous_sesid', h16(m.body.previousSessionId));
      check(p, f, 'smb2.olb.length', String(m.body.securityBuffer.length));
      break;
    case 'session-setup-response':
      check(p, f, 'smb2.session_flags', h4(m.body.sessionFlags));
      check(p, f, 'smb2.ses_flags.guest', (m.body.sessionFlags & 1) !== 0 ? '1' : '0');
      check(p, f, 'smb2.ses_flags.null', (m.body.sessionFlags & 2) !== 0 ? '1' : '0');
      check(p, f, 'smb2.olb.length', String(m.body.securityBuffer.length));
      break;
    case 'error-response':
      // Wireshark dissects some failed SESSION_SETUPs as session-setup bodies: check what it shows
      if (f.has('smb2.error.byte_count')) {
        const n = m.body.errorContexts.length > 0 ? undefined : String(m.body.errorData.length);
        check(p, f, 'smb2.error.byte_count', n);
      }
      break;
    case 'other':
      break;
  }
  return p;
}

/** Re-encoding a decoded message gives the captured bytes back. */
function reencode(m: Smb2Message, bytes: Uint8Array): Uint8Array {
  switch (m.kind) {
    case 'negotiate-request':
      return negotiateRequest.encode(m);
    case 'negotiate-response':
      return negotiateResponse.encode(m);
    case 'session-setup-request':
      return sessionSetupRequest.encode(m);
    case 'session-setup-response':
      return sessionSetupResponse.encode(m);
    case 'error-response':
      return errorResponse.encode(m);
    default:
      return bytes;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

interface Capture {
  name: string;
  pcap: string;
  frames: () => Map<number, Fields>;
}

function captures(): Capture[] {
  const out: Capture[] = oracleCaptures().map(({ name, pcap, tsharkJson }) => ({
    name,
    pcap,
    frames: () => flatten(JSON.parse(readFileSync(tsharkJson, 'utf8')) as unknown[]),
  }));
  const extra = process.env['SMB2_ORACLE_DIR'];
  if (extra) {
    for (const { name, pcap } of fixtureCaptures(extra)) {
      out.push({
        name: `oracle:${name}`,
        pcap,
        frames: () => {
          const r = spawnSync('tshark', ['-r', pcap, '-n', '-Y', 'smb2', '-T', 'json', '--no-duplicate-keys'], { encoding: 'utf8', maxBuffer: 1 << 30 });
          return flatten(JSON.parse(r.stdout || '[]') as unknown[]);
        },
      });
    }
  }
  return out;
}

const all = captures();
const seeds: Uint8Array[] = [];

describe('smb2 golden captures (tshark as oracle)', () => {
  if (all.length === 0) {
    it('has no fixture captures yet (fixtures/*.pcap + .tshark.json)');
    return;
  }
  for (const c of all) {
    const messages = smb2Payloads(c.pcap);
    if (messages.length === 0) continue;
    it(`${c.name}: ${messages.length} SMB2 messages agree with tshark and re-encode byte for byte`, () => {
      const frames = c.frames();
      const counts = new Map<number, number>();
      for (const m of messages) counts.set(m.frame, (counts.get(m.frame) ?? 0) + 1);
      const problems: string[] = [];
      for (const { frame, message } of messages) {
        const decoded = decodeSmb2Messages(message);
        if (seeds.length < 64) seeds.push(Uint8Array.from(message));
        for (const d of decoded) {
          if (d.kind === 'other' || d.kind === 'encrypted' || d.kind === 'compressed' || decoded.length !== 1) continue;
          const again = reencode(d, message)!;
          // every message survives encode → decode as the same value
          const back = decodeSmb2Messages(again);
          if (back.length !== 1 || !sameValue(back[0]!, d)) problems.push(`frame ${frame}: ${d.kind} does not round-trip`);
          // Samba's answers come back byte for byte (clients pad with junk — impacket 0xffff between
          // contexts — and Samba's empty ERROR body carries one junk byte, so those are value-only)
          if (d.kind !== 'error-response' && d.kind.endsWith('-response') && hex(again) !== hex(message)) {
            problems.push(`frame ${frame}: ${d.kind} re-encodes differently (${hex(message)} → ${hex(again)})`);
          }
        }
        // field-by-field only where the frame holds exactly one SMB2 message (tshark merges fields otherwise)
        const f = frames.get(frame);
        if (!f || counts.get(frame) !== 1 || decoded.length !== 1) continue;
        for (const x of compare(decoded[0]!, f)) problems.push(`frame ${frame}: ${x}`);
      }
      assert.deepEqual(problems, []);
    });
  }
  it('mutated captured messages decode to a value or a DecodeError', function () {
    if (seeds.length === 0) this.skip();
    assertDecoderTotal((b) => decodeSmb2Messages(b), seeds, 3000);
  });
});

describe('smb2 golden: Samba facts from the fixture captures', () => {
  const fixtures = all.filter((c) => !c.name.startsWith('oracle:'));
  const find = (prefix: string): Smb2Message[] => {
    const c = fixtures.find((x) => x.name.startsWith(prefix));
    if (!c) return [];
    return smb2Payloads(c.pcap).flatMap((m) => decodeSmb2Messages(m.message));
  };

  it('smbclient to the signing-mandatory host: 3.1.1, SecurityMode 0x03, ServerGuid = NetBIOS name, contexts answered', function () {
    const msgs = find('smb3__smbclient-L.');
    const resp = msgs.find((m) => m.kind === 'negotiate-response');
    if (!resp || resp.kind !== 'negotiate-response') return this.skip();
    assert.equal(resp.body.dialectRevision, 0x0311);
    assert.equal(resp.body.securityMode & 0x02, 0x02);
    assert.equal(resp.body.serverStartTime, 0n);
    // Samba's ServerGuid is the lower-case NetBIOS name in ASCII, NUL padded
    const raw = guidFromString(resp.body.serverGuid);
    assert.match(Buffer.from(raw).toString('latin1').replace(/\0+$/, ''), /^[a-z0-9-]+$/);
    assert.ok(resp.body.negotiateContexts.some((c) => c.kind === 'preauth-integrity'));
  });

  it('a multi-protocol SMB1 negotiate is answered with an SMB2 negotiate response of dialect 0x02FF', function () {
    const msgs = find('smb3__smb1-negotiate');
    const resp = msgs.find((m) => m.kind === 'negotiate-response');
    if (!resp || resp.kind !== 'negotiate-response') return this.skip();
    assert.equal(resp.body.dialectRevision, 0x02ff);
    assert.deepEqual(resp.body.negotiateContexts, []);
  });

  it('NTLMSSP session setup: the first response is STATUS_MORE_PROCESSING_REQUIRED with a session-setup body, not an ERROR', function () {
    const msgs = [...find('smb3__smbclient-L.'), ...find('nonb__smbclient-L'), ...find('smb3__impacket')];
    const resp = msgs.find((m) => m.kind === 'session-setup-response' && m.header.status === 0xc0000016);
    if (!resp || resp.kind !== 'session-setup-response') return this.skip();
    assert.ok(resp.body.securityBuffer.length > 0);
    assert.notEqual(resp.header.sessionId, 0n);
  });
});
