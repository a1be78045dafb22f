import { readFileSync } from 'node:fs';
import { captureMessagesBuffer } from '../../src/capture/messages.js';
import { MessageDecoder, type DecodedMessage } from '../../src/passive/decode.js';
import type { FrameFields } from '../support/tshark.js';
import { fieldsOf } from './fields.js';

/**
 * Decode a capture with smbprobe and compare every message with tshark's decoding of the same
 * frames, field by field, on the fields smbprobe projects (see fields.ts).
 */
export interface CaptureComparison {
  file: string;
  /** Messages smbprobe decoded (NBNS, NBSS control, SMB1, SMB2). */
  messages: number;
  /** Field values compared and found equal. */
  agreed: number;
  /** smbprobe could not decode a message that tshark decoded without complaint. */
  failures: string[];
  /** Compared fields whose values differ. */
  disagreements: string[];
  /** Frames where tshark shows NBNS/SMB that smbprobe produced nothing for. */
  missed: string[];
  /** Decode errors on messages tshark also calls malformed (expected, not failures). */
  malformed: number;
  /** Messages smbprobe decoded in frames where tshark shows no such layer (e.g. tshark's reassembly gave up). */
  extra: number;
  byKind: Record<string, number>;
}

export function decodeFile(file: string): DecodedMessage[] {
  const dec = new MessageDecoder();
  const out: DecodedMessage[] = [];
  for (const m of captureMessagesBuffer(readFileSync(file))) out.push(...dec.decode(m));
  return out;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** tshark absolute time ("Dec  8, 2024 21:21:09.311879800 UTC") → FILETIME ticks as a decimal string. */
function tsharkTimeToFiletime(s: string): string | undefined {
  const m = /^([A-Z][a-z]{2})\s+(\d+), (\d+) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? UTC$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[3]), MONTHS[m[1]!]!, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
  const frac = (m[7] ?? '').padEnd(7, '0').slice(0, 7);
  return (BigInt(ms / 1000 + 11644473600) * 10000000n + BigInt(frac)).toString();
}

/** Normalise one value for comparison: numbers (hex or decimal) by value, strings trimmed of tshark's annotations. */
function normalize(field: string, v: string): string {
  if (field === 'smb2.current_time' || field === 'smb2.boot_time') {
    if (v.startsWith('filetime:')) return v.slice(9);
    // tshark shows a zero FILETIME as the Unix epoch
    if (/^No time specified/.test(v) || v === 'Jan  1, 1970 00:00:00.000000000 UTC') return '0';
    return tsharkTimeToFiletime(v) ?? v;
  }
  if (field === 'smb.system.time') {
    const ft = tsharkTimeToFiletime(v);
    if (ft !== undefined) return ft;
    const iso = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$/.exec(v);
    if (iso) {
      const ms = Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]), Number(iso[4]), Number(iso[5]), Number(iso[6]));
      return (BigInt(ms / 1000 + 11644473600) * 10000000n + BigInt((iso[7] ?? '').padEnd(7, '0').slice(0, 7))).toString();
    }
    return v;
  }
  if (field === 'nbns.name' || field === 'nbss.called_name' || field === 'nbss.calling_name') {
    // tshark appends a service description: "NAME<03> (Messenger service/Main name)"
    return v.replace(/ \([^()]*\)$/, '');
  }
  if (field.endsWith('_raw') || field === 'nbns.unit_id' || field.endsWith('guid') || field.endsWith('challenge') || field.endsWith('salt')) {
    return v.toLowerCase();
  }
  if (/^0x[0-9a-f]+$/i.test(v)) return BigInt(v).toString();
  if (/^-?\d+$/.test(v)) return BigInt(v).toString();
  return v;
}

function multiset(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function sameMultiset(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const ma = multiset(a);
  for (const [k, n] of multiset(b)) if (ma.get(k) !== n) return false;
  return true;
}

/** Strings tshark could not render faithfully (OEM bytes ≥ 0x80 become U+FFFD) are not compared. */
function tsharkLossy(values: string[]): boolean {
  return values.some((v) => v.includes('\ufffd'));
}

const LAYERS = ['nbns', 'smb', 'smb2'] as const;

export function compareCapture(file: string, tshark: Map<number, FrameFields>): CaptureComparison {
  const res: CaptureComparison = { file, messages: 0, agreed: 0, failures: [], disagreements: [], missed: [], malformed: 0, extra: 0, byKind: {} };
  const ours = new Map<number, { fields: Map<string, string[]>; kinds: Set<string> }>();
  for (const m of decodeFile(file)) {
    if (m.kind === 'gap' || m.kind === 'capture-error') continue;
    const frame = m.meta.frame;
    const t = tshark.get(frame);
    if (m.kind === 'decode-error') {
      const malformed = t !== undefined && ([...t.keys()].some((k) => k === '_ws.malformed' || k.startsWith('_ws.malformed')) || t.has('_ws.expert'));
      if (malformed || t === undefined) res.malformed++;
      else res.failures.push(`frame ${frame}: ${m.error.protocol} ${m.error.code} at ${m.error.field} (offset ${m.error.offset})`);
      continue;
    }
    res.messages++;
    res.byKind[m.kind] = (res.byKind[m.kind] ?? 0) + 1;
    let slot = ours.get(frame);
    if (!slot) ours.set(frame, (slot = { fields: new Map(), kinds: new Set() }));
    slot.kinds.add(m.kind === 'nbss' ? 'nbss' : m.kind === 'smb1' ? 'smb' : m.kind);
    for (const [k, v] of fieldsOf(m)) {
      const list = slot.fields.get(k);
      if (list) list.push(v);
      else slot.fields.set(k, [v]);
    }
  }
  for (const [frame, slot] of ours) {
    const t = tshark.get(frame);
    if (!t) {
      res.extra += slot.kinds.size;
      continue;
    }
    const layers = new Set([...t.keys()].map((k) => k.split('.')[0]));
    for (const [field, values] of slot.fields) {
      // compare only where tshark decoded the same layer in this frame
      if (!layers.has(field.split('.')[0])) {
        res.extra++;
        continue;
      }
      // oracle files written without `-x` carry no raw bytes
      if (field.endsWith('_raw') && !t.has(field)) continue;
      let theirs = t.get(field) ?? [];
      let mine = values;
      if (field === 'smb.cmd') {
        // AndX blocks repeat smb.cmd; 0xFF ends the chain
        theirs = theirs.filter((v) => normalize(field, v) !== '255');
      }
      if (field === 'nbss.type') {
        // session messages carry SMB; only the session-service control types are compared
        theirs = theirs.filter((v) => normalize(field, v) !== '0');
        mine = mine.filter((v) => normalize(field, v) !== '0');
      }
      if (tsharkLossy(theirs)) continue;
      const a = mine.map((v) => normalize(field, v));
      const b = theirs.map((v) => normalize(field, v));
      if (sameMultiset(a, b)) res.agreed += a.length;
      else res.disagreements.push(`frame ${frame}: ${field}: smbprobe ${JSON.stringify(a)} vs tshark ${JSON.stringify(b)}`);
    }
  }
  for (const [frame, t] of tshark) {
    const mine = ours.get(frame)?.kinds;
    for (const layer of LAYERS) {
      const key = layer === 'nbns' ? 'nbns.id' : layer === 'smb' ? 'smb.cmd' : 'smb2.cmd';
      // SMB inside NetBIOS datagrams (UDP 138 browser mailslots) or over NetBEUI (no IP) is not smbprobe's
      if (layer === 'smb' && (t.has('nbdgm.type') || (!t.has('ip.src') && !t.has('ipv6.src')))) continue;
      // ICMP errors quote the datagram they answer; that quote is no message
      if (t.has('icmp.type') || t.has('icmpv6.type')) continue;
      if (!t.has(key) || mine?.has(layer === 'smb' ? 'smb' : layer)) continue;
      if (t.has('_ws.malformed') || t.has('_ws.expert.message') && /[Mm]alformed/.test((t.get('_ws.expert.message') ?? []).join())) continue;
      res.missed.push(`frame ${frame}: tshark shows ${layer}, smbprobe nothing`);
    }
  }
  return res;
}
