/**
 * Names for numbers from `as const` tables: the one place that turns a value into its name, or a bit
 * set into names. Unknown values never disappear: they come back as hex.
 */

export type NameTable = Readonly<Record<string, number>>;

/** `0x` + lower-case hex of the unsigned 32-bit value, at least `width` digits. */
export function hexOf(value: number, width: number): string {
  return `0x${(value >>> 0).toString(16).padStart(width, '0')}`;
}

/** value → first key that has it, per table: built once, so a lookup is no scan (hot in capture decoding). */
const reverse = new WeakMap<NameTable, Map<number, string>>();

function reverseOf(table: NameTable): Map<number, string> {
  let m = reverse.get(table);
  if (m === undefined) {
    m = new Map();
    for (const k in table) if (!m.has(table[k]!)) m.set(table[k]!, k);
    reverse.set(table, m);
  }
  return m;
}

/** Name of `value` in `table` (the first key that has it), or undefined. */
export function nameOf<T extends NameTable>(table: T, value: number): (keyof T & string) | undefined {
  return reverseOf(table).get(value) as (keyof T & string) | undefined;
}

/** Name of `value` in `table`, else its hex with at least `width` digits. */
export function nameOrHex(table: NameTable, value: number, width: number): string {
  return nameOf(table, value) ?? hexOf(value, width);
}

/**
 * What becomes of the set bits a table does not name: `each` one `0x…` entry per bit (4 digits
 * below bit 16, else 8), `combined` one 8-digit `0x…` entry for all of them, `drop` nothing.
 */
export type UnknownBits = 'each' | 'combined' | 'drop';

/** Results of bitNames per table, unknown-bits mode and value (flag words repeat: few distinct values). */
const bitCache = new WeakMap<NameTable, Record<UnknownBits, Map<number, readonly string[]>>>();
const BIT_CACHE_MAX = 1024;

/** Names of the bits set in `value`, lowest bit first; unnamed bits as `unknown` says. A fresh array. */
export function bitNames(table: NameTable, value: number, unknown: UnknownBits = 'each'): string[] {
  let modes = bitCache.get(table);
  if (modes === undefined) {
    modes = { each: new Map(), combined: new Map(), drop: new Map() };
    bitCache.set(table, modes);
  }
  const cache = modes[unknown];
  const v = value >>> 0;
  let names = cache.get(v);
  if (names === undefined) {
    names = computeBitNames(table, v, unknown);
    if (cache.size < BIT_CACHE_MAX) cache.set(v, names);
  }
  return names.slice();
}

function computeBitNames(table: NameTable, value: number, unknown: UnknownBits): string[] {
  const out: string[] = [];
  let rest = 0;
  const v = value >>> 0;
  for (let bit = 0; bit < 32; bit++) {
    const m = (1 << bit) >>> 0;
    if ((v & m) === 0) continue;
    const name = nameOf(table, m);
    if (name !== undefined) out.push(name);
    else if (unknown === 'each') out.push(hexOf(m, bit < 16 ? 4 : 8));
    else rest = (rest | m) >>> 0;
  }
  if (unknown === 'combined' && rest !== 0) out.push(hexOf(rest, 8));
  return out;
}

/** Names of the single-bit entries of `table` set in `value`, lowest bit first (first key per bit). */
export function knownBitNames<T extends NameTable>(table: T, value: number): (keyof T & string)[] {
  return bitNames(table, value, 'drop') as (keyof T & string)[];
}
