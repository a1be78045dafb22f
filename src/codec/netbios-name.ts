/**
 * NetBIOS names on the wire (RFC 1001 §14, RFC 1002 §4.1): the 16-byte name (15 name bytes + the
 * suffix byte), its first-level encoding into 32 characters 'A'..'P', the scope ID labels after it,
 * and (in NBNS messages) compression pointers.
 *
 * Decoded `name`: the 15 name bytes as latin1 characters with trailing spaces removed and every other
 * byte kept (so `\x01\x02__MSBROWSE__\x02` is exact). The wildcard `*` is padded with NULs, not
 * spaces: `*` followed by 14 NUL bytes decodes as `"*"`, and `"*"` encodes back to that padding.
 */
import { DecodeError } from '../errors.js';
import type { Codec } from './codec.js';
import { placeEncoded } from './codec.js';
import { ByteReader } from './reader.js';

/** A NetBIOS name as NBNS and NBSS carry it: 15 name bytes, the 16th byte (suffix) and the scope. */
export interface NetbiosName {
  /** The 15 name bytes (latin1), trailing spaces trimmed; `"*"` for the NUL-padded wildcard. */
  name: string;
  /** The 16th byte: the service suffix (`<20>` file server, ...). */
  suffix: number;
  /** Scope ID: the labels after the 32-byte encoded name, joined with '.'; `""` for none. */
  scope: string;
}

/** Bytes of the encoded name label (16 bytes × 2 half-bytes). */
export const ENCODED_NAME_LENGTH = 32;
/** RFC 1002 §4.1 / RFC 883: a label is at most 63 bytes, a whole name at most 255. */
export const MAX_LABEL_LENGTH = 63;
/** Longest encoded name, labels and length bytes included (RFC 1002 §4.1). */
export const MAX_NAME_LENGTH = 255;
/** Compression pointers followed while reading one name before LIMIT. */
export const MAX_POINTER_HOPS = 16;

const SPACE = 0x20;

/** `name` (≤ 15 latin1 chars) to its 15 padded bytes: spaces, or NULs for the wildcard `*`. */
export function netbiosNameBytes(name: string): Uint8Array {
  if (name.length > 15) throw new RangeError(`NetBIOS name longer than 15 characters: ${JSON.stringify(name)}`);
  const out = new Uint8Array(15).fill(name === '*' ? 0 : SPACE);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`NetBIOS name character U+${c.toString(16)} is not latin1`);
    out[i] = c;
  }
  return out;
}

/** The 15 name bytes back to the `name` string (see the module comment for the rules). */
export function netbiosNameString(b: Uint8Array): string {
  return nameAt(b, 0, Math.min(b.length, 15));
}

/** `netbiosNameString` of the 15 bytes at `start` of `b` (which must hold them), without a view. */
export function netbiosNameAt(b: Uint8Array, start: number): string {
  return nameAt(b, start, 15);
}

function nameAt(b: Uint8Array, start: number, len: number): string {
  if (len === 15 && b[start] === 0x2a) {
    let nul = true;
    for (let i = 1; i < 15; i++) if (b[start + i] !== 0) nul = false;
    if (nul) return '*';
  }
  let end = start + len;
  while (end > start && b[end - 1] === SPACE) end--;
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** First-level encoding (RFC 1001 §14.1): each of the 16 bytes becomes two letters 'A' + half-byte. */
export function firstLevelEncode(n: { name: string; suffix: number } | Uint8Array): Uint8Array {
  let raw: Uint8Array;
  if (n instanceof Uint8Array) {
    if (n.length !== 16) throw new RangeError(`first-level encoding takes 16 bytes, got ${n.length}`);
    raw = n;
  } else {
    if (!Number.isInteger(n.suffix) || n.suffix < 0 || n.suffix > 0xff) throw new RangeError(`NetBIOS suffix ${n.suffix}`);
    raw = new Uint8Array(16);
    raw.set(netbiosNameBytes(n.name));
    raw[15] = n.suffix;
  }
  const out = new Uint8Array(ENCODED_NAME_LENGTH);
  for (let i = 0; i < 16; i++) {
    out[2 * i] = 0x41 + (raw[i]! >> 4);
    out[2 * i + 1] = 0x41 + (raw[i]! & 0x0f);
  }
  return out;
}

/**
 * Decode 32 first-level characters to the 16 raw bytes. A character outside 'A'..'P' is BAD_VALUE;
 * `at` is the offset of the first character in errors.
 */
export function firstLevelDecodeBytes(enc: Uint8Array, at = 0, protocol: 'netbios-name' | 'nbns' | 'nbss' = 'netbios-name', field = 'NAME'): Uint8Array {
  if (enc.length !== ENCODED_NAME_LENGTH) throw new DecodeError('BAD_LENGTH', protocol, field, at, `encoded name of ${enc.length} bytes, expected 32`);
  const raw = new Uint8Array(16);
  for (let i = 0; i < ENCODED_NAME_LENGTH; i++) {
    const h = enc[i]! - 0x41;
    if (h < 0 || h > 15) throw new DecodeError('BAD_VALUE', protocol, field, at + i, `first-level character 0x${enc[i]!.toString(16)} outside 'A'..'P'`);
    raw[i >> 1]! |= i & 1 ? h : h << 4;
  }
  return raw;
}

/** First-level decoding to `{ name, suffix }`. */
export function firstLevelDecode(enc: Uint8Array, at = 0): { name: string; suffix: number } {
  const raw = firstLevelDecodeBytes(enc, at);
  return { name: netbiosNameString(raw.subarray(0, 15)), suffix: raw[15]! };
}

function scopeLabels(scope: string): string[] {
  if (scope === '') return [];
  const labels = scope.split('.');
  for (const l of labels) {
    if (l.length === 0 || l.length > MAX_LABEL_LENGTH) throw new RangeError(`bad scope label ${JSON.stringify(l)} in ${JSON.stringify(scope)}`);
    for (let i = 0; i < l.length; i++) if (l.charCodeAt(i) > 0xff) throw new RangeError(`scope ${JSON.stringify(scope)} is not latin1`);
  }
  return labels;
}

/** Bytes `encodeNetbiosName(n)` writes: 1 + 32 + scope labels + terminating 0. */
export function netbiosNameLength(n: NetbiosName): number {
  let len = 1 + ENCODED_NAME_LENGTH + 1;
  for (const l of scopeLabels(n.scope)) len += 1 + l.length;
  if (len > MAX_NAME_LENGTH) throw new RangeError(`NetBIOS name with scope is ${len} bytes, above ${MAX_NAME_LENGTH}`);
  return len;
}

/** The uncompressed wire form: 0x20, 32 encoded characters, the scope labels, 0x00. */
export function encodeNetbiosName(n: NetbiosName): Uint8Array {
  const out = new Uint8Array(netbiosNameLength(n));
  out[0] = ENCODED_NAME_LENGTH;
  out.set(firstLevelEncode(n), 1);
  let p = 1 + ENCODED_NAME_LENGTH;
  for (const l of scopeLabels(n.scope)) {
    out[p++] = l.length;
    for (let i = 0; i < l.length; i++) out[p++] = l.charCodeAt(i);
  }
  out[p] = 0;
  return out;
}

export interface ReadNameOptions {
  /** Follow 0xC0 compression pointers (NBNS); false for NBSS, where a pointer is BAD_VALUE. */
  allowPointers?: boolean;
  /** Spec field name reported in errors (`QUESTION_NAME`, `RR_NAME`, `CALLED_NAME`...). */
  field?: string;
}

/**
 * Walk the labels of a (possibly compressed) name at `r.pos`, calling `onLabel` for each non-empty
 * label with its absolute position, and advance `r` past the name (past the first pointer when
 * compressed). Pointer offsets count from `r.base` (the start of the message) and must point
 * strictly before the start of the label run that holds them — so always backwards, which rules out
 * loops; more than {@link MAX_POINTER_HOPS} pointers is LIMIT, a name over 255 bytes LIMIT.
 */
function walkLabels(r: ByteReader, field: string, allowPointers: boolean, onLabel: (label: Uint8Array, at: number, index: number) => void): void {
  const err = (code: DecodeError['code'], at: number, detail: string): DecodeError => new DecodeError(code, r.protocol, field, at - r.base, detail);
  const buf = r.buf;
  let pos = r.pos; // absolute
  let runStart = pos; // start of the current run of labels
  let resume = -1; // where r continues after the first pointer
  let hops = 0;
  let wireLength = 1; // the terminating zero
  let index = 0;
  for (;;) {
    if (pos >= r.end) throw err('TRUNCATED', pos, 'name runs past the end of the message');
    const len = buf[pos]!;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (!allowPointers) throw err('BAD_VALUE', pos, 'compression pointer where names are never compressed');
      if (pos + 1 >= r.end) throw err('TRUNCATED', pos, 'compression pointer cut short');
      const target = r.base + (((len & 0x3f) << 8) | buf[pos + 1]!);
      if (target >= runStart) throw err('BAD_OFFSET', pos, `pointer to offset ${target - r.base} does not point before ${runStart - r.base}`);
      if (++hops > MAX_POINTER_HOPS) throw err('LIMIT', pos, `more than ${MAX_POINTER_HOPS} compression pointers`);
      if (resume < 0) resume = pos + 2;
      pos = runStart = target;
      continue;
    }
    if (kind !== 0) throw err('BAD_VALUE', pos, `reserved label type 0x${kind.toString(16)}`);
    if (len === 0) {
      pos++;
      break;
    }
    if (pos + 1 + len > r.end) throw err('TRUNCATED', pos, `label of ${len} bytes runs past the end of the message`);
    wireLength += 1 + len;
    if (wireLength > MAX_NAME_LENGTH) throw err('LIMIT', pos, `name longer than ${MAX_NAME_LENGTH} bytes`);
    onLabel(buf.subarray(pos + 1, pos + 1 + len), pos, index++);
    pos += 1 + len;
  }
  r.pos = resume >= 0 ? resume : pos;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/**
 * Read one NetBIOS name at `r.pos` and advance past it (see {@link walkLabels} for the pointer
 * rules). The first label must be the 32-byte first-level encoded name; the others are the scope.
 */
export function readNetbiosName(r: ByteReader, opts: ReadNameOptions = {}): NetbiosName {
  const field = opts.field ?? 'NAME';
  const protocol = r.protocol === 'nbss' || r.protocol === 'nbns' ? r.protocol : 'netbios-name';
  const start = r.pos;
  let raw: Uint8Array | undefined;
  const labels: string[] = [];
  walkLabels(r, field, opts.allowPointers ?? true, (label, at, index) => {
    if (index === 0) {
      if (label.length !== ENCODED_NAME_LENGTH) {
        throw new DecodeError('BAD_VALUE', r.protocol, field, at - r.base, `first label is ${label.length} bytes, a NetBIOS name has 32`);
      }
      raw = firstLevelDecodeBytes(label, at + 1 - r.base, protocol, field);
    } else {
      labels.push(latin1(label));
    }
  });
  if (raw === undefined) throw new DecodeError('BAD_VALUE', r.protocol, field, start - r.base, 'empty name (no 32-byte NetBIOS label)');
  return { name: netbiosNameString(raw.subarray(0, 15)), suffix: raw[15]!, scope: labels.join('.') };
}

/** Read a plain domain name (NS RDATA's NSD_NAME): labels as latin1 joined with '.', `""` for the root. */
export function readDomainName(r: ByteReader, opts: ReadNameOptions = {}): string {
  const labels: string[] = [];
  walkLabels(r, opts.field ?? 'NAME', opts.allowPointers ?? true, (label) => labels.push(latin1(label)));
  return labels.join('.');
}

/** Uncompressed wire form of a domain name ("" is the root). */
export function encodeDomainName(name: string): Uint8Array {
  const labels = scopeLabels(name);
  const out = new Uint8Array(labels.reduce((n, l) => n + 1 + l.length, 1));
  if (out.length > MAX_NAME_LENGTH) throw new RangeError(`domain name of ${out.length} bytes`);
  let p = 0;
  for (const l of labels) {
    out[p++] = l.length;
    for (let i = 0; i < l.length; i++) out[p++] = l.charCodeAt(i);
  }
  out[p] = 0;
  return out;
}

/**
 * A name as printed by nbtstat/nmblookup: `NAME<20>`, scope appended after a dot. Bytes below 0x20,
 * 0x7F and above, and the backslash are written `\xNN`, so `\x01\x02__MSBROWSE__\x02<01>` stays readable.
 */
export function formatNetbiosName(n: { name: string; suffix: number; scope?: string }): string {
  let s = '';
  for (let i = 0; i < n.name.length; i++) {
    const c = n.name.charCodeAt(i);
    s += c < 0x20 || c >= 0x7f || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0').toUpperCase()}` : n.name[i];
  }
  s += `<${(n.suffix & 0xff).toString(16).padStart(2, '0').toUpperCase()}>`;
  if (n.scope) s += `.${n.scope}`;
  return s;
}

/**
 * Codec of one uncompressed or compressed name. `decode(buf, offset)` treats `buf` index 0 as the
 * start of the message pointers count from (pointers must point before `offset`).
 */
export const netbiosName: Codec<NetbiosName> = {
  encodingLength: netbiosNameLength,
  encode(n, buf, offset = 0) {
    return placeEncoded(encodeNetbiosName(n), buf, offset);
  },
  decode(buf, offset = 0, end = buf.length) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(end) || offset < 0 || end > buf.length || offset > end) {
      throw new DecodeError('BAD_OFFSET', 'netbios-name', 'NAME', offset);
    }
    const r = new ByteReader(buf, 'netbios-name', 0, end, 0);
    r.pos = offset;
    return readNetbiosName(r);
  },
};
