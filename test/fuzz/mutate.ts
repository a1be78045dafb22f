/**
 * Deterministic input generation for the fuzzer: a small seeded PRNG and byte-level mutators over
 * real packets (bit flips, interesting bytes, length-ish 16/32-bit fields at 0 / max / just past
 * the input, truncation, splicing, duplicated chunks, inserted bytes) plus purely random inputs.
 */

/** sfc32: tiny, fast, good enough for fuzzing; state from a 32-bit seed through splitmix32. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 8; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** 32-bit FNV-1a of a string or bytes (seeds per target and per input, chunking from content). */
export function fnv1a(data: string | Uint8Array, h = 0x811c9dc5): number {
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  }
  return h >>> 0;
}

/** The PRNG of input number `index` of a run: inputs are independent, so a run can resume anywhere. */
export function inputPrng(runSeed: number, index: number): Prng {
  return new Prng(Math.imul(runSeed ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(index + 1, 0x9e3779b1));
}

const INTERESTING8 = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x20, 0x40, 0xc0, 0xfe] as const;

type Mutator = (b: Uint8Array, rng: Prng, seeds: readonly Uint8Array[]) => Uint8Array;

function flipBit(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return b;
  b[rng.below(b.length)]! ^= 1 << rng.below(8);
  return b;
}

function setInteresting(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return b;
  b[rng.below(b.length)] = rng.pick(INTERESTING8);
  return b;
}

function randomByte(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return b;
  b[rng.below(b.length)] = rng.u32() & 0xff;
  return b;
}

/** Values a length or offset field is likely to be checked against. */
function lengthValues(len: number, width: 2 | 4, at: number): number[] {
  const max = width === 2 ? 0xffff : 0xffffffff;
  const rest = len - at;
  return [0, 1, max, max - 1, width === 2 ? 0x8000 : 0x80000000, width === 2 ? 0x7fff : 0x7fffffff, len, len + 1, len - 1, rest, rest + 1, 64, 0x1ffff, 0xffffff]
    .map((v) => (v < 0 ? 0 : v) % (max + 1));
}

function setLengthField(b: Uint8Array, rng: Prng): Uint8Array {
  const width = rng.chance(0.6) ? 2 : 4;
  if (b.length < width) return b;
  const at = rng.below(b.length - width + 1);
  let v = rng.pick(lengthValues(b.length, width, at));
  if (rng.chance(0.3)) v = (v + rng.below(9) - 4) >>> 0; // near a boundary, not on it
  const le = rng.chance(0.6); // SMB and NTLMSSP are little-endian, NetBIOS and DER big-endian
  for (let i = 0; i < width; i++) {
    const byte = width === 2 ? (v >>> (8 * i)) & 0xff : Number((BigInt(v >>> 0) >> BigInt(8 * i)) & 0xffn);
    b[at + (le ? i : width - 1 - i)] = byte;
  }
  return b;
}

function truncate(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return b;
  // mostly near the end (a cut last field), sometimes anywhere
  const at = rng.chance(0.5) ? Math.max(0, b.length - 1 - rng.below(16)) : rng.below(b.length);
  return b.subarray(0, at);
}

function dropHead(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return b;
  return b.subarray(1 + rng.below(Math.min(b.length, 16)));
}

function splice(b: Uint8Array, rng: Prng, seeds: readonly Uint8Array[]): Uint8Array {
  const other = seeds.length > 0 ? rng.pick(seeds) : rng.bytes(rng.below(64));
  const cut = rng.below(b.length + 1);
  const from = rng.below(other.length + 1);
  const out = new Uint8Array(cut + other.length - from);
  out.set(b.subarray(0, cut), 0);
  out.set(other.subarray(from), cut);
  return out;
}

function duplicateChunk(b: Uint8Array, rng: Prng): Uint8Array {
  if (b.length === 0) return b;
  const start = rng.below(b.length);
  const len = 1 + rng.below(Math.min(b.length - start, 64));
  const times = 1 + rng.below(rng.chance(0.1) ? 32 : 3);
  const at = rng.below(b.length + 1);
  const chunk = b.subarray(start, start + len);
  const out = new Uint8Array(b.length + len * times);
  out.set(b.subarray(0, at), 0);
  for (let i = 0; i < times; i++) out.set(chunk, at + i * len);
  out.set(b.subarray(at), at + len * times);
  return out;
}

function insertBytes(b: Uint8Array, rng: Prng): Uint8Array {
  const n = 1 + rng.below(rng.chance(0.2) ? 64 : 4);
  const at = rng.below(b.length + 1);
  const out = new Uint8Array(b.length + n);
  out.set(b.subarray(0, at), 0);
  out.set(rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING8)), at);
  out.set(b.subarray(at), at + n);
  return out;
}

function overwriteChunk(b: Uint8Array, rng: Prng, seeds: readonly Uint8Array[]): Uint8Array {
  // copy a run from another seed (or this one) over this one: keeps structure, moves fields around
  const src = seeds.length > 0 && rng.chance(0.5) ? rng.pick(seeds) : b;
  if (b.length === 0 || src.length === 0) return b;
  const len = 1 + rng.below(Math.min(32, src.length, b.length));
  const from = rng.below(src.length - len + 1);
  const to = rng.below(b.length - len + 1);
  b.set(src.slice(from, from + len), to);
  return b;
}

/** Mutators with weights (bit-level and field-level ones most often). */
const MUTATORS: readonly [Mutator, number][] = [
  [flipBit, 6],
  [setInteresting, 5],
  [randomByte, 3],
  [setLengthField, 6],
  [truncate, 3],
  [dropHead, 1],
  [splice, 2],
  [duplicateChunk, 2],
  [insertBytes, 2],
  [overwriteChunk, 2],
];
const TOTAL_WEIGHT = MUTATORS.reduce((s, [, w]) => s + w, 0);

function pickMutator(rng: Prng): Mutator {
  let r = rng.below(TOTAL_WEIGHT);
  for (const [m, w] of MUTATORS) {
    if (r < w) return m;
    r -= w;
  }
  return flipBit;
}

export interface GenerateOptions {
  /** Largest input produced (longer results are cut). */
  maxLength: number;
  /** Share of purely random inputs (the rest are mutated seeds; all random when there are no seeds). */
  randomShare?: number;
}

/** Input number `index` of a run: a mutated seed (1-8 stacked mutations), an unmodified seed, or random bytes. */
export function generateInput(rng: Prng, seeds: readonly Uint8Array[], opts: GenerateOptions): Uint8Array {
  const randomShare = opts.randomShare ?? 0.1;
  let b: Uint8Array;
  if (seeds.length === 0 || rng.chance(randomShare)) {
    // short inputs are the interesting ones for headers; some longer ones for bodies
    const n = rng.chance(0.7) ? rng.below(Math.min(64, opts.maxLength) + 1) : rng.below(opts.maxLength + 1);
    b = rng.bytes(n);
    // random bytes rarely pass a magic check: sometimes borrow a seed's first bytes
    if (seeds.length > 0 && b.length > 0 && rng.chance(0.5)) {
      const s = rng.pick(seeds);
      const k = Math.min(b.length, s.length, 1 + rng.below(16));
      b.set(s.subarray(0, k), 0);
    }
    return b;
  }
  b = Uint8Array.from(rng.pick(seeds));
  if (rng.chance(0.02)) return b.subarray(0, Math.min(b.length, opts.maxLength));
  const n = 1 + (rng.chance(0.5) ? 0 : rng.below(rng.chance(0.2) ? 8 : 3));
  for (let i = 0; i < n; i++) b = pickMutator(rng)(b, rng, seeds);
  return b.length > opts.maxLength ? b.subarray(0, opts.maxLength) : b;
}

/** Split `b` into chunks (1 byte up to ~all), deterministically from the content: a saved input replays the same way. */
export function chunking(b: Uint8Array, salt = 0): Uint8Array[] {
  const rng = new Prng(fnv1a(b, 0x811c9dc5 ^ salt));
  const out: Uint8Array[] = [];
  let style = rng.below(4);
  if (style === 0 && b.length > 2048) style = 1; // byte by byte only where it stays cheap
  let i = 0;
  while (i < b.length) {
    let n: number;
    if (style === 0) n = 1; // every byte alone
    else if (style === 1) n = 1 + rng.below(8);
    else if (style === 2) n = 1 + rng.below(256);
    else n = 1 + rng.below(Math.max(1, b.length));
    out.push(b.subarray(i, Math.min(b.length, i + n)));
    i += n;
  }
  return out;
}
