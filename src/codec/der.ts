import { DecodeError, type Protocol } from '../errors.js';
import { hex } from './reader.js';

/**
 * A bounded ASN.1 DER reader and writer (X.690), just enough for GSS-API / SPNEGO tokens.
 *
 * Decoding is BER-tolerant where real SPNEGO peers need it: non-minimal long-form lengths
 * (`0x82 0x00 0x05`) and non-minimal high-tag numbers are accepted. The indefinite length form
 * (`0x80`) is rejected as UNSUPPORTED: neither RFC 2743 nor RFC 4178 peers send it, and handling it
 * would need an end-of-contents scan over untrusted bytes. Lengths use at most 4 length octets
 * (LIMIT beyond), tag numbers at most 4 continuation octets (LIMIT beyond), nesting at most
 * {@link DER_MAX_DEPTH} levels (LIMIT). Every element must end inside the element that encloses it:
 * running past the input is TRUNCATED, running past an enclosing element is BAD_LENGTH.
 * Error offsets count from the `base` the reader was given (the start of the token).
 */

export const DER_MAX_DEPTH = 16;
/** Most octets after the 0x8n length-of-length byte. */
export const DER_MAX_LENGTH_OCTETS = 4;
/** Most arcs an OBJECT IDENTIFIER may have. */
export const DER_MAX_OID_ARCS = 32;

/** X.690 tag classes. */
export const TagClass = {
  UNIVERSAL: 0,
  APPLICATION: 1,
  CONTEXT: 2,
  PRIVATE: 3,
} as const;
export type TagClassValue = (typeof TagClass)[keyof typeof TagClass];

/** Universal tag numbers used here. */
export const UniversalTag = {
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  ENUMERATED: 10,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  GeneralString: 27,
} as const;

/** One TLV header, positions absolute in the buffer the reader walks. */
export interface DerElement {
  cls: TagClassValue;
  constructed: boolean;
  /** Tag number. */
  tag: number;
  /** Absolute index of the identifier octet. */
  start: number;
  /** Absolute index of the first content octet. */
  contentStart: number;
  /** Absolute index one past the last content octet. */
  contentEnd: number;
  /** Offset of the identifier octet relative to the reader's base (for error reports). */
  offset: number;
}

export interface DerReaderOptions {
  /** Absolute index that error offsets are counted from (default: `start`). */
  base?: number;
  /** Nesting level of this reader (0 for the outermost). */
  depth?: number;
  maxDepth?: number;
  /** Protocol named in errors about the tag/length layer (default 'der'). */
  protocol?: Protocol;
  /** True when `end` is the end of the input rather than of an enclosing element (default true for depth 0). */
  endIsInput?: boolean;
}

/** Sequential reader over the TLVs between `start` and `end` of `buf`. */
export class DerReader {
  readonly buf: Uint8Array;
  readonly end: number;
  readonly base: number;
  readonly depth: number;
  readonly maxDepth: number;
  readonly protocol: Protocol;
  private readonly endIsInput: boolean;
  pos: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length, opts: DerReaderOptions = {}) {
    const base = opts.base ?? start;
    const protocol = opts.protocol ?? 'der';
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end > buf.length || start > end) {
      throw new DecodeError('BAD_OFFSET', protocol, 'window', start - base);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.base = base;
    this.depth = opts.depth ?? 0;
    this.maxDepth = opts.maxDepth ?? DER_MAX_DEPTH;
    this.protocol = protocol;
    this.endIsInput = opts.endIsInput ?? this.depth === 0;
    if (this.depth > this.maxDepth) throw this.err('LIMIT', 'depth', start, `nesting deeper than ${this.maxDepth}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  get offset(): number {
    return this.pos - this.base;
  }

  err(code: DecodeError['code'], field: string, abs: number, detail?: string): DecodeError {
    return new DecodeError(code, this.protocol, field, abs - this.base, detail);
  }

  /** The next element's header without consuming it; undefined at the end. */
  peek(field = 'tag'): DerElement | undefined {
    if (this.done) return undefined;
    const save = this.pos;
    try {
      return this.read(field);
    } finally {
      this.pos = save;
    }
  }

  /** Read the next TLV header and skip past its content. */
  read(field = 'tag'): DerElement {
    const { buf, end } = this;
    const start = this.pos;
    let p = start;
    if (p >= end) throw this.err(this.endIsInput ? 'TRUNCATED' : 'BAD_LENGTH', field, p, 'no element left');
    const id = buf[p++]!;
    const cls = (id >> 6) as TagClassValue;
    const constructed = (id & 0x20) !== 0;
    let tag = id & 0x1f;
    if (tag === 0x1f) {
      // high-tag-number form: base-128 with continuation bits, bounded to 4 octets (28 bits)
      tag = 0;
      let n = 0;
      for (;;) {
        if (p >= end) throw this.err(this.endIsInput ? 'TRUNCATED' : 'BAD_LENGTH', field, p, 'tag number cut short');
        const b = buf[p++]!;
        if (++n > 4) throw this.err('LIMIT', field, start, 'tag number longer than 4 octets');
        tag = tag * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
    }
    if (p >= end) throw this.err(this.endIsInput ? 'TRUNCATED' : 'BAD_LENGTH', `${field}.length`, p, 'length octet missing');
    const l0 = buf[p++]!;
    let len: number;
    if (l0 < 0x80) {
      len = l0;
    } else if (l0 === 0x80) {
      throw this.err('UNSUPPORTED', `${field}.length`, p - 1, 'indefinite length (BER) not accepted');
    } else if (l0 === 0xff) {
      throw this.err('BAD_LENGTH', `${field}.length`, p - 1, 'reserved length octet 0xFF');
    } else {
      const n = l0 & 0x7f;
      if (n > DER_MAX_LENGTH_OCTETS) throw this.err('LIMIT', `${field}.length`, p - 1, `${n} length octets`);
      if (end - p < n) throw this.err(this.endIsInput ? 'TRUNCATED' : 'BAD_LENGTH', `${field}.length`, p, 'length octets cut short');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!; // multiply, not <<: no sign bit trouble
    }
    if (len > end - p) {
      throw this.err(this.endIsInput ? 'TRUNCATED' : 'BAD_LENGTH', `${field}.length`, start, `length ${len} runs past the enclosing element`);
    }
    this.pos = p + len;
    return { cls, constructed, tag, start, contentStart: p, contentEnd: p + len, offset: start - this.base };
  }

  /** Read the next element and require the given tag (BAD_VALUE otherwise, in `structProtocol`). */
  expect(cls: TagClassValue, tag: number, field: string, constructed?: boolean, structProtocol: Protocol = this.protocol): DerElement {
    const at = this.pos;
    const el = this.read(field);
    if (el.cls !== cls || el.tag !== tag || (constructed !== undefined && el.constructed !== constructed)) {
      throw new DecodeError('BAD_VALUE', structProtocol, field, at - this.base, `unexpected tag ${describeTag(el)}`);
    }
    return el;
  }

  /** A reader over a constructed element's content, one level deeper (LIMIT past maxDepth). */
  enter(el: DerElement, field = 'content'): DerReader {
    if (this.depth + 1 > this.maxDepth) throw this.err('LIMIT', field, el.start, `nesting deeper than ${this.maxDepth}`);
    return new DerReader(this.buf, el.contentStart, el.contentEnd, {
      base: this.base,
      depth: this.depth + 1,
      maxDepth: this.maxDepth,
      protocol: this.protocol,
      endIsInput: false,
    });
  }

  /** The content octets of `el` (a view, no copy). */
  content(el: DerElement): Uint8Array {
    return this.buf.subarray(el.contentStart, el.contentEnd);
  }
}

/** `[CONTEXT 3]`, `UNIVERSAL 16`... for error messages. */
export function describeTag(el: Pick<DerElement, 'cls' | 'tag' | 'constructed'>): string {
  const names = ['UNIVERSAL', 'APPLICATION', 'CONTEXT', 'PRIVATE'];
  return `[${names[el.cls]} ${el.tag}${el.constructed ? ' constructed' : ''}]`;
}

// ---------------------------------------------------------------------------------------------
// primitive content decoders (content octets already bounded by the TLV)

/** OBJECT IDENTIFIER content to dotted form. First subidentifier X gives X<40: 0.X, <80: 1.X-40, else 2.X-80. */
export function decodeOid(c: Uint8Array, field = 'OBJECT IDENTIFIER', at = 0, protocol: Protocol = 'der'): string {
  if (c.length === 0) throw new DecodeError('BAD_LENGTH', protocol, field, at, 'empty OID');
  const arcs: number[] = [];
  let v = 0;
  let started = false;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (!started && b === 0x80) throw new DecodeError('BAD_VALUE', protocol, field, at, 'non-minimal subidentifier');
    started = true;
    if (v > (Number.MAX_SAFE_INTEGER - 127) / 128) throw new DecodeError('LIMIT', protocol, field, at, 'subidentifier too large');
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        if (v < 40) arcs.push(0, v);
        else if (v < 80) arcs.push(1, v - 40);
        else arcs.push(2, v - 80);
      } else {
        arcs.push(v);
      }
      if (arcs.length > DER_MAX_OID_ARCS) throw new DecodeError('LIMIT', protocol, field, at, 'too many arcs');
      v = 0;
      started = false;
    }
  }
  if (started) throw new DecodeError('BAD_VALUE', protocol, field, at, 'last subidentifier cut short');
  return arcs.join('.');
}

/** INTEGER or ENUMERATED content as a number; LIMIT beyond 6 octets (48 bits), BAD_LENGTH when empty. */
export function decodeInteger(c: Uint8Array, field = 'INTEGER', at = 0, protocol: Protocol = 'der'): number {
  if (c.length === 0) throw new DecodeError('BAD_LENGTH', protocol, field, at, 'empty INTEGER');
  if (c.length > 6) throw new DecodeError('LIMIT', protocol, field, at, 'INTEGER wider than 48 bits');
  let v = (c[0]! & 0x80) !== 0 ? -1 : 0;
  for (const b of c) v = v * 256 + b;
  // two's complement: a negative leading octet subtracted 256^n once via the -1 seed
  return v;
}

export interface BitString {
  /** Unused bits in the last octet (0-7). */
  unusedBits: number;
  /** The octets after the unused-bits octet. */
  bytes: Uint8Array;
}

export function decodeBitString(c: Uint8Array, field = 'BIT STRING', at = 0, protocol: Protocol = 'der'): BitString {
  if (c.length === 0) throw new DecodeError('BAD_LENGTH', protocol, field, at, 'BIT STRING without unused-bits octet');
  const unusedBits = c[0]!;
  if (unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) {
    throw new DecodeError('BAD_VALUE', protocol, field, at, `unused bits ${unusedBits}`);
  }
  return { unusedBits, bytes: c.subarray(1) };
}

/**
 * Named bits of a BIT STRING (bit 0 = most significant bit of the first octet, X.680 §22)
 * as a number with bit i at 1<<i; bits past 31 are ignored.
 */
export function bitStringToFlags(bs: BitString): number {
  const total = bs.bytes.length * 8 - bs.unusedBits;
  let v = 0;
  for (let i = 0; i < Math.min(total, 32); i++) {
    if ((bs.bytes[i >> 3]! >> (7 - (i & 7))) & 1) v |= 1 << i;
  }
  return v >>> 0;
}

/** GeneralString / other 8-bit strings: decoded as Latin-1 (one char per octet, never lossy). */
export function decodeGeneralString(c: Uint8Array): string {
  return Buffer.from(c.buffer, c.byteOffset, c.length).toString('latin1');
}

/** Walk a whole DER tree (for diagnostics and tests); bounded by depth and by the input size. */
export interface DerNode {
  cls: TagClassValue;
  constructed: boolean;
  tag: number;
  offset: number;
  length: number;
  children?: DerNode[];
  /** Hex of primitive content. */
  value?: string;
}

export function parseDerTree(buf: Uint8Array, start = 0, end = buf.length, maxDepth = DER_MAX_DEPTH): DerNode[] {
  const walk = (r: DerReader): DerNode[] => {
    const out: DerNode[] = [];
    while (!r.done) {
      const el = r.read();
      const node: DerNode = {
        cls: el.cls,
        constructed: el.constructed,
        tag: el.tag,
        offset: el.offset,
        length: el.contentEnd - el.contentStart,
      };
      if (el.constructed) node.children = walk(r.enter(el));
      else node.value = hex(r.content(el));
      out.push(node);
    }
    return out;
  };
  return walk(new DerReader(buf, start, end, { maxDepth }));
}

// ---------------------------------------------------------------------------------------------
// writer: each helper returns the complete TLV bytes (tokens are small; no back-patching needed)

function encodeLength(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`DER length ${n} out of range`);
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}

function encodeIdentifier(cls: TagClassValue, constructed: boolean, tag: number): number[] {
  if (!Number.isSafeInteger(tag) || tag < 0 || tag >= 2 ** 28) throw new RangeError(`DER tag ${tag} out of range`);
  const first = (cls << 6) | (constructed ? 0x20 : 0);
  if (tag < 31) return [first | tag];
  const rest: number[] = [];
  for (let v = tag; v > 0; v = Math.floor(v / 128)) rest.unshift((v % 128) | (rest.length > 0 ? 0x80 : 0));
  return [first | 0x1f, ...rest];
}

/** One TLV. */
export function derTlv(cls: TagClassValue, constructed: boolean, tag: number, content: Uint8Array): Uint8Array {
  const head = [...encodeIdentifier(cls, constructed, tag), ...encodeLength(content.length)];
  const out = new Uint8Array(head.length + content.length);
  out.set(head, 0);
  out.set(content, head.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function derSequence(children: Uint8Array[]): Uint8Array {
  return derTlv(TagClass.UNIVERSAL, true, UniversalTag.SEQUENCE, concat(children));
}

/** `[n] EXPLICIT` wrapper around already-encoded elements. */
export function derContext(n: number, children: Uint8Array | Uint8Array[]): Uint8Array {
  return derTlv(TagClass.CONTEXT, true, n, Array.isArray(children) ? concat(children) : children);
}

/** `[APPLICATION n]` constructed wrapper. */
export function derApplication(n: number, children: Uint8Array[]): Uint8Array {
  return derTlv(TagClass.APPLICATION, true, n, concat(children));
}

export function derOctetString(b: Uint8Array): Uint8Array {
  return derTlv(TagClass.UNIVERSAL, false, UniversalTag.OCTET_STRING, b);
}

export function derGeneralString(s: string): Uint8Array {
  return derTlv(TagClass.UNIVERSAL, false, UniversalTag.GeneralString, Buffer.from(s, 'latin1'));
}

function integerContent(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || Math.abs(n) >= 2 ** 47) throw new RangeError(`DER integer ${n} out of range`);
  const out: number[] = [];
  let v = n;
  // minimal two's complement
  do {
    out.unshift(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
  } while (!((v === 0 && (out[0]! & 0x80) === 0) || (v === -1 && (out[0]! & 0x80) !== 0)));
  return Uint8Array.from(out);
}

export function derInteger(n: number): Uint8Array {
  return derTlv(TagClass.UNIVERSAL, false, UniversalTag.INTEGER, integerContent(n));
}

export function derEnumerated(n: number): Uint8Array {
  return derTlv(TagClass.UNIVERSAL, false, UniversalTag.ENUMERATED, integerContent(n));
}

/** Content octets of a dotted OID; throws RangeError on a malformed one. */
export function oidContent(oid: string): Uint8Array {
  if (!/^[0-2](\.\d+)+$/.test(oid)) throw new RangeError(`not an OID: ${oid}`);
  const arcs = oid.split('.').map(Number);
  if (arcs.length > DER_MAX_OID_ARCS || arcs.some((a) => !Number.isSafeInteger(a))) throw new RangeError(`OID out of range: ${oid}`);
  const [a0, a1] = [arcs[0]!, arcs[1]!];
  if (a0 < 2 && a1 >= 40) throw new RangeError(`OID second arc ${a1} >= 40 under ${a0}`);
  const subs = [a0 * 40 + a1, ...arcs.slice(2)];
  if (!Number.isSafeInteger(subs[0])) throw new RangeError(`OID out of range: ${oid}`);
  const out: number[] = [];
  for (const s of subs) {
    const chunk: number[] = [];
    let v = s;
    do {
      chunk.unshift((v % 128) | (chunk.length > 0 ? 0x80 : 0));
      v = Math.floor(v / 128);
    } while (v > 0);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

export function derOid(oid: string): Uint8Array {
  return derTlv(TagClass.UNIVERSAL, false, UniversalTag.OBJECT_IDENTIFIER, oidContent(oid));
}

/** BIT STRING from named-bit flags (bit i at 1<<i), DER form: trailing zero bits dropped. */
export function derBitStringFlags(flags: number): Uint8Array {
  const v = flags >>> 0;
  if (v === 0) return derTlv(TagClass.UNIVERSAL, false, UniversalTag.BIT_STRING, Uint8Array.of(0));
  const high = 31 - Math.clz32(v);
  const nbytes = (high >> 3) + 1;
  const c = new Uint8Array(1 + nbytes);
  c[0] = 7 - (high & 7);
  for (let i = 0; i <= high; i++) if ((v >>> i) & 1) c[1 + (i >> 3)]! |= 0x80 >> (i & 7);
  return derTlv(TagClass.UNIVERSAL, false, UniversalTag.BIT_STRING, c);
}
