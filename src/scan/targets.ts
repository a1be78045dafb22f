/**
 * Targets as nmap takes them: IPv4 and IPv6 addresses, CIDR blocks, dash ranges / lists in any IPv4
 * octet (`10.0.0.1-20`, `10.0.1-3.1-254`, `10.0.0.1,5,9`, `10.0.0.*`), host names (resolved when
 * their turn comes), target files (`-iL`, `-` for stdin), exclusions and shards.
 *
 * Every spec is validated syntactically first (parseTargetSpecs throws TargetError before anything
 * is resolved or sent); expansion is an async generator that walks the ranges arithmetically, so a
 * /8 never sits in memory. Exclusions are checked per address against merged, sorted intervals.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';

/** Why a target spec or list was rejected. */
export type TargetErrorCode = 'BAD_TARGET' | 'TOO_LARGE' | 'BAD_SHARD' | 'BAD_FILE' | 'NO_TARGETS';

/** A bad target, raised before any packet is sent. `target` is the offending text, `source` where it came from. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    readonly code: TargetErrorCode,
    readonly target: string,
    message: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}${message}`);
  }
}

/** IPv6 CIDR blocks may hold at most 2^24 addresses (prefix /104 or longer). */
export const MAX_IPV6_HOST_BITS = 24;
/** One target (a CIDR block, an octet range, host/prefix) may hold at most 2^24 addresses, a /8: a mistyped prefix must not become the Internet. */
export const MAX_TARGET_ADDRESSES = 2 ** MAX_IPV6_HOST_BITS;
/** Host name length limit (RFC 1035). */
const MAX_HOSTNAME = 253;

type Range = readonly [number, number];

/** One parsed target specification: an address, a CIDR block, an octet-range pattern or a host name. */
export type TargetSpec =
  /** IPv4 as four octet range lists (a single address, a dash range or list, or a CIDR block). */
  | { kind: 'ipv4'; text: string; octets: readonly (readonly Range[])[] }
  /** IPv4 CIDR block as an interval of 32-bit numbers. */
  | { kind: 'ipv4-cidr'; text: string; first: number; last: number }
  /** IPv6 address or CIDR block as an interval; `zone` kept for link-local literals. */
  | { kind: 'ipv6'; text: string; first: bigint; last: bigint; zone?: string }
  /** A host name to resolve, optionally with a prefix applied to the resolved address (`host/24`). */
  | { kind: 'name'; text: string; name: string; prefix?: number };

/** One address to probe. */
export interface Target {
  /** As the user named it: the address, or the host name. */
  host: string;
  /** The address to probe (IPv6 with its `%zone` when one was given). */
  address: string;
  family: 4 | 6;
}

/** A host name that could not be resolved (nmap warns and continues; so do we). */
export interface UnresolvedTarget {
  host: string;
  message: string;
}

/** Resolves a host name to its addresses (dns.lookup by default; injectable for tests). */
export type Resolver = (name: string) => Promise<Array<{ address: string; family: number }>>;

const defaultResolver: Resolver = (name) => dnsLookup(name, { all: true });

// ---------------------------------------------------------------------------------------------
// Parsing

const OCTET_PART = /^(?:\*|\d{1,3}|\d{0,3}-\d{0,3})$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

function bad(text: string, why: string, source?: string): TargetError {
  return new TargetError('BAD_TARGET', text, `bad target ${JSON.stringify(text)}: ${why}`, source);
}

function parseOctet(part: string, text: string, source?: string): Range[] {
  if (part === '') throw bad(text, 'empty octet', source);
  const ranges: Range[] = [];
  for (const item of part.split(',')) {
    if (!OCTET_PART.test(item)) throw bad(text, `bad octet ${JSON.stringify(item)}`, source);
    let lo: number;
    let hi: number;
    if (item === '*') [lo, hi] = [0, 255];
    else if (item.includes('-')) {
      const [a = '', b = ''] = item.split('-');
      lo = a === '' ? 0 : Number(a);
      hi = b === '' ? 255 : Number(b);
    } else lo = hi = Number(item);
    if (lo > 255 || hi > 255) throw bad(text, `octet ${JSON.stringify(item)} out of 0-255`, source);
    if (lo > hi) throw bad(text, `octet range ${JSON.stringify(item)} runs backwards`, source);
    ranges.push([lo, hi]);
  }
  return mergeRanges(ranges);
}

function mergeRanges<T extends number | bigint>(ranges: Array<readonly [T, T]>): Array<readonly [T, T]> {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[T, T]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    // adjacent or overlapping: merge (lo <= last.hi + 1)
    if (last && (lo as number | bigint) <= (typeof last[1] === 'bigint' ? (last[1] as bigint) + 1n : (last[1] as number) + 1)) {
      if (hi > last[1]) last[1] = hi;
    } else out.push([lo, hi]);
  }
  return out;
}

export function ipv4ToNumber(a: string): number {
  const p = a.split('.').map(Number);
  return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0;
}

export function numberToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** IPv6 text (no zone) → 128-bit bigint; the caller has checked isIPv6. */
export function ipv6ToBigInt(a: string): bigint {
  let s = a;
  // embedded IPv4 tail (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = ipv4ToNumber(v4[1]!);
    s = s.slice(0, v4.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined ? [] : tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return v;
}

/** 128-bit bigint → canonical IPv6 text (RFC 5952: lower case, longest zero run compressed). */
export function bigIntToIpv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hx = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hx(g);
  return `${hx(g.slice(0, bestAt))}::${hx(g.slice(bestAt + bestLen))}`;
}

function parsePrefix(p: string, max: number, text: string, source?: string): number {
  if (!/^\d{1,3}$/.test(p)) throw bad(text, `bad prefix length ${JSON.stringify(p)}`, source);
  const n = Number(p);
  if (n > max) throw bad(text, `prefix length /${n} is longer than /${max}`, source);
  return n;
}

/** Parse one target spec (no whitespace inside). Throws TargetError. */
export function parseTargetSpec(text: string, source?: string): TargetSpec {
  if (text === '') throw bad(text, 'empty', source);
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const pfx = slash < 0 ? undefined : text.slice(slash + 1);

  // IPv6 (with an optional zone for a single link-local address)
  if (addr.includes(':')) {
    const pct = addr.indexOf('%');
    const bare = pct < 0 ? addr : addr.slice(0, pct);
    const zone = pct < 0 ? undefined : addr.slice(pct + 1);
    if (!isIPv6(bare)) throw bad(text, 'not an IPv6 address', source);
    if (zone !== undefined && (zone === '' || !/^[A-Za-z0-9_.-]{1,64}$/.test(zone))) throw bad(text, 'bad IPv6 zone', source);
    const v = ipv6ToBigInt(bare);
    if (pfx === undefined) return zone === undefined ? { kind: 'ipv6', text, first: v, last: v } : { kind: 'ipv6', text, first: v, last: v, zone };
    if (zone !== undefined) throw bad(text, 'a zone cannot go with a prefix', source);
    const n = parsePrefix(pfx, 128, text, source);
    if (128 - n > MAX_IPV6_HOST_BITS) {
      throw new TargetError('TOO_LARGE', text, `target ${JSON.stringify(text)}: IPv6 blocks larger than /${128 - MAX_IPV6_HOST_BITS} are refused`, source);
    }
    const hostMask = (1n << BigInt(128 - n)) - 1n;
    const first = v & ~hostMask;
    return { kind: 'ipv6', text, first, last: first | hostMask };
  }

  // IPv4 with octet ranges, or CIDR
  if (/^[\d*,-]+(?:\.[\d*,-]+){3}$/.test(addr) || /^[\d.]+$/.test(addr)) {
    const parts = addr.split('.');
    if (parts.length !== 4) throw bad(text, 'an IPv4 address has four octets', source);
    if (pfx !== undefined) {
      if (!isIPv4(addr)) throw bad(text, 'a CIDR block needs a plain IPv4 address', source);
      const n = parsePrefix(pfx, 32, text, source);
      const v = ipv4ToNumber(addr);
      const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
      const first = (v & mask) >>> 0;
      return { kind: 'ipv4-cidr', text, first, last: (first | (~mask >>> 0)) >>> 0 };
    }
    return { kind: 'ipv4', text, octets: parts.map((p) => parseOctet(p, text, source)) };
  }

  // host name (optionally /prefix applied to its address)
  if (!HOSTNAME.test(addr) || addr.length > MAX_HOSTNAME) throw bad(text, 'neither an address, a range nor a host name', source);
  if (/^[\d.]+$/.test(addr)) throw bad(text, 'not a valid IPv4 address', source);
  if (pfx === undefined) return { kind: 'name', text, name: addr };
  return { kind: 'name', text, name: addr, prefix: parsePrefix(pfx, 128, text, source) };
}

/** Split a line of a target file or argument into specs: whitespace or commas between specs are not allowed
 * (commas belong to octet lists), `#` starts a comment. */
export function splitTargetLine(line: string): string[] {
  const hash = line.indexOf('#');
  const body = hash < 0 ? line : line.slice(0, hash);
  return body.split(/\s+/).filter((s) => s !== '');
}

/** Parse many specs; all are validated before returning (the first bad one throws). */
export function parseTargetSpecs(texts: Iterable<string>, source?: string): TargetSpec[] {
  const out: TargetSpec[] = [];
  for (const t of texts) out.push(parseTargetSpec(t, source));
  return out;
}

/** Read a target file (`-` = stdin): specs separated by whitespace, one or more per line, `#` comments. */
export async function readTargetFile(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<TargetSpec[]> {
  let text: string;
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (e) {
    throw new TargetError('BAD_FILE', path, `cannot read target file ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  const out: TargetSpec[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const src = `${path === '-' ? '<stdin>' : path}:${i + 1}`;
    for (const t of splitTargetLine(lines[i]!)) out.push(parseTargetSpec(t, src));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sizes and shards

/** Addresses a spec expands to (a host name counts as 1, or as its block). */
export function specSize(s: TargetSpec): number {
  switch (s.kind) {
    case 'ipv4':
      return s.octets.reduce((acc, o) => acc * o.reduce((n, [a, b]) => n + b - a + 1, 0), 1);
    case 'ipv4-cidr':
      return s.last - s.first + 1;
    case 'ipv6':
      return Number(s.last - s.first + 1n);
    case 'name':
      return s.prefix === undefined ? 1 : 2 ** Math.min(32, Math.max(0, 32 - s.prefix));
  }
}

/** Which part of a target list this run takes: shard `index` of `count` (`--shard K/N`). */
export interface Shard {
  /** 1-based shard number. */
  index: number;
  count: number;
}

/** Parse `K/N` (1 ≤ K ≤ N). */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || k < 1 || k > n) throw new TargetError('BAD_SHARD', text, `bad shard ${JSON.stringify(text)}: expected K/N with 1 <= K <= N`);
  return { index: k, count: n };
}

/** murmur3's 32-bit finaliser: a good spread for sequential addresses. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The shard (1-based) an address belongs to: a hash of the address itself, so every machine that is
 * given the same targets agrees without coordination, whatever the order or the exclusions, and an
 * address named twice lands on the same machine.
 */
export function shardOf(address: string, count: number): number {
  let h: number;
  const pct = address.indexOf('%');
  const bare = pct < 0 ? address : address.slice(0, pct);
  if (isIPv4(bare)) h = fmix32(ipv4ToNumber(bare));
  else {
    const v = ipv6ToBigInt(bare);
    h = 0x6a09e667;
    for (let i = 0; i < 4; i++) h = fmix32(h ^ Number((v >> BigInt(i * 32)) & 0xffffffffn));
  }
  return (h % count) + 1;
}

// ---------------------------------------------------------------------------------------------
// Exclusions

/**
 * Exclusions as merged sorted intervals (binary search per address). A dash-range spec whose
 * interval form would be large (`1-254.*.*.1`) is kept as a pattern and matched octet by octet.
 */
export class ExclusionSet {
  private readonly v4: Array<readonly [number, number]>;
  private readonly v6: Array<readonly [bigint, bigint]>;
  private readonly patterns: Array<readonly (readonly Range[])[]>;
  private readonly names: Set<string>;

  constructor(v4: Array<readonly [number, number]>, v6: Array<readonly [bigint, bigint]>, patterns: Array<readonly (readonly Range[])[]>, names: Iterable<string> = []) {
    this.v4 = mergeRanges(v4);
    this.v6 = mergeRanges(v6);
    this.patterns = patterns;
    this.names = new Set([...names].map((n) => n.toLowerCase().replace(/\.$/, '')));
  }

  get empty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0 && this.patterns.length === 0 && this.names.size === 0;
  }

  /** Build from parsed specs; host names are resolved (all their addresses are excluded, and the name itself). */
  static async from(specs: readonly TargetSpec[], resolver: Resolver = defaultResolver): Promise<ExclusionSet> {
    const v4: Array<readonly [number, number]> = [];
    const v6: Array<readonly [bigint, bigint]> = [];
    const patterns: Array<readonly (readonly Range[])[]> = [];
    const names: string[] = [];
    const addBlock = (address: string, prefix: number | undefined) => {
      if (isIPv4(address)) {
        const p = Math.min(prefix ?? 32, 32);
        const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
        const first = (ipv4ToNumber(address) & mask) >>> 0;
        v4.push([first, (first | (~mask >>> 0)) >>> 0]);
      } else {
        const p = BigInt(Math.min(prefix ?? 128, 128));
        const hostMask = (1n << (128n - p)) - 1n;
        const first = ipv6ToBigInt(address.split('%')[0]!) & ~hostMask;
        v6.push([first, first | hostMask]);
      }
    };
    for (const s of specs) {
      switch (s.kind) {
        case 'ipv4-cidr':
          v4.push([s.first, s.last]);
          break;
        case 'ipv6':
          v6.push([s.first, s.last]);
          break;
        case 'ipv4': {
          const heads = s.octets.slice(0, 3).reduce((acc, o) => acc * o.reduce((n, [a, b]) => n + b - a + 1, 0), 1);
          if (heads * s.octets[3]!.length <= 65536) {
            for (const [a, b, c] of cartesian3(s.octets)) for (const [lo, hi] of s.octets[3]!) v4.push([((a << 24) >>> 0) + (b << 16) + (c << 8) + lo, ((a << 24) >>> 0) + (b << 16) + (c << 8) + hi]);
          } else patterns.push(s.octets);
          break;
        }
        case 'name': {
          names.push(s.name);
          let addrs: Array<{ address: string }> = [];
          try {
            addrs = await resolver(s.name);
          } catch {
            // an exclusion that does not resolve excludes nothing but its name
          }
          for (const a of addrs) addBlock(a.address, s.prefix);
          break;
        }
      }
    }
    return new ExclusionSet(v4, v6, patterns, names);
  }

  has(address: string, host?: string): boolean {
    if (host !== undefined && this.names.size > 0 && this.names.has(host.toLowerCase().replace(/\.$/, ''))) return true;
    const bare = address.split('%')[0]!;
    if (isIPv4(bare)) {
      const n = ipv4ToNumber(bare);
      if (search(this.v4, n)) return true;
      if (this.patterns.length === 0) return false;
      const o = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
      return this.patterns.some((p) => p.every((ranges, i) => ranges.some(([lo, hi]) => o[i]! >= lo && o[i]! <= hi)));
    }
    return search(this.v6, ipv6ToBigInt(bare));
  }
}

function* cartesian3(octets: readonly (readonly Range[])[]): Generator<[number, number, number]> {
  for (const [a0, a1] of octets[0]!) for (let a = a0; a <= a1; a++)
    for (const [b0, b1] of octets[1]!) for (let b = b0; b <= b1; b++)
      for (const [c0, c1] of octets[2]!) for (let c = c0; c <= c1; c++) yield [a, b, c];
}

function search<T extends number | bigint>(iv: ReadonlyArray<readonly [T, T]>, x: T): boolean {
  let lo = 0;
  let hi = iv.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b] = iv[mid]!;
    if (x < a) hi = mid - 1;
    else if (x > b) lo = mid + 1;
    else return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Expansion

/** How targets expand: exclusions, shard and resolver. */
export interface ExpandOptions {
  exclude?: ExclusionSet;
  shard?: Shard;
  resolver?: Resolver;
  /** Called for each host name that does not resolve; expansion continues. */
  onUnresolved?: (u: UnresolvedTarget) => void;
  /** Called when a host name resolves to several addresses (the first is used, as nmap does). */
  onMultipleAddresses?: (host: string, used: string, all: string[]) => void;
  signal?: AbortSignal;
}

/** Addresses of an address spec (no name), in order; synchronous, so a big range costs no Promise per address. */
function* expandAddresses(s: Exclude<TargetSpec, { kind: 'name' }>): Generator<Target, void, undefined> {
  switch (s.kind) {
    case 'ipv4':
      for (const [a, b, c] of cartesian3(s.octets)) {
        for (const [d0, d1] of s.octets[3]!) {
          for (let d = d0; d <= d1; d++) {
            const address = `${a}.${b}.${c}.${d}`;
            yield { host: address, address, family: 4 };
          }
        }
      }
      return;
    case 'ipv4-cidr':
      for (let n = s.first; n <= s.last; n++) {
        const address = numberToIpv4(n);
        yield { host: address, address, family: 4 };
      }
      return;
    case 'ipv6':
      for (let v = s.first; v <= s.last; v++) {
        const address = bigIntToIpv6(v) + (s.zone !== undefined ? `%${s.zone}` : '');
        yield { host: address, address, family: 6 };
      }
      return;
  }
}

/** Addresses of one spec, in order (host names resolved). */
async function* expandSpec(s: TargetSpec, opts: ExpandOptions): AsyncGenerator<Target, void, undefined> {
  switch (s.kind) {
    case 'ipv4':
    case 'ipv4-cidr':
    case 'ipv6':
      yield* expandAddresses(s);
      return;
    case 'name': {
      let addrs: Array<{ address: string; family: number }>;
      try {
        addrs = await (opts.resolver ?? defaultResolver)(s.name);
      } catch (e) {
        opts.onUnresolved?.({ host: s.name, message: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
        return;
      }
      const first = addrs[0];
      if (!first) {
        opts.onUnresolved?.({ host: s.name, message: 'no address' });
        return;
      }
      if (addrs.length > 1) opts.onMultipleAddresses?.(s.name, first.address, addrs.map((a) => a.address));
      if (s.prefix === undefined) {
        yield { host: s.name, address: first.address, family: first.family === 6 ? 6 : 4 };
        return;
      }
      // host/prefix: the block around the resolved address
      const blockText = `${first.address}/${Math.min(s.prefix, first.family === 6 ? 128 : 32)}`;
      let block: TargetSpec;
      try {
        block = parseTargetSpec(blockText);
      } catch (e) {
        opts.onUnresolved?.({ host: s.text, message: (e as Error).message });
        return;
      }
      yield* expandSpec(block, opts);
      return;
    }
  }
}

/**
 * Stream the targets of `specs`, in order, without holding them: exclusions and the shard are
 * applied per address. Addresses named twice are probed twice (nothing is remembered).
 */
export async function* expandTargets(specs: readonly TargetSpec[], opts: ExpandOptions = {}): AsyncGenerator<Target, void, undefined> {
  for await (const batch of expandTargetBatches(specs, opts, 256)) yield* batch;
}

/**
 * The same stream in arrays of up to `max` targets: one Promise per batch instead of several
 * per address, for consumers that go through millions of addresses (--dry-run of a /8).
 */
export async function* expandTargetBatches(specs: readonly TargetSpec[], opts: ExpandOptions = {}, max = 4096): AsyncGenerator<Target[], void, undefined> {
  const ex = opts.exclude && !opts.exclude.empty ? opts.exclude : undefined;
  const shard = opts.shard && opts.shard.count > 1 ? opts.shard : undefined;
  const wanted = (t: Target): boolean =>
    isUnicastDestination(t.address) && !(ex && ex.has(t.address, t.host)) && !(shard && shardOf(t.address, shard.count) !== shard.index);
  let batch: Target[] = [];
  for (const s of specs) {
    if (s.kind === 'name') {
      // nothing already expanded waits behind a name lookup, nor a resolved name behind the next
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
      for await (const t of expandSpec(s, opts)) {
        if (opts.signal?.aborted) return;
        if (!wanted(t)) continue;
        batch.push(t);
        if (batch.length >= max) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
      continue;
    }
    for (const t of expandAddresses(s)) {
      if (!wanted(t)) continue;
      batch.push(t);
      if (batch.length >= max) {
        if (opts.signal?.aborted) return;
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0 && !opts.signal?.aborted) yield batch;
}

/**
 * Whether an address can be a host to probe. "This network" (0.0.0.0/8), multicast (224.0.0.0/4),
 * reserved and broadcast (240.0.0.0/4), the IPv6 unspecified address and IPv6 multicast are no
 * hosts: a range that covers them (`0.0.0.0/0`) skips them instead of sending packets there.
 */
export function isUnicastDestination(address: string): boolean {
  if (address.includes(':')) {
    const a = address.toLowerCase();
    return a !== '::' && !a.startsWith('ff');
  }
  const first = Number(address.slice(0, address.indexOf('.')));
  return first !== 0 && first < 224;
}

/** Everything a target list needs, from the command line's words. */
export interface TargetInput {
  targets?: readonly string[];
  inputList?: string;
  exclude?: readonly string[];
  excludeFile?: string;
  shard?: string;
  stdin?: NodeJS.ReadableStream;
}

export interface PreparedTargets {
  specs: TargetSpec[];
  excludeSpecs: TargetSpec[];
  shard: Shard | undefined;
  /** Upper bound of addresses before exclusions and sharding (host names count 1). */
  size: number;
}

/**
 * Validate everything the user gave (arguments, -iL file, --exclude, --exclude-file, --shard):
 * throws TargetError naming the first bad one. Nothing is resolved or sent here.
 */
export async function prepareTargets(input: TargetInput): Promise<PreparedTargets> {
  const specs: TargetSpec[] = [];
  for (const arg of input.targets ?? []) for (const t of splitTargetLine(arg)) specs.push(parseTargetSpec(t));
  if (input.inputList !== undefined) specs.push(...(await readTargetFile(input.inputList, input.stdin)));
  const excludeSpecs: TargetSpec[] = [];
  for (const arg of input.exclude ?? []) for (const t of arg.split(',')) if (t.trim() !== '') excludeSpecs.push(parseTargetSpec(t.trim(), '--exclude'));
  if (input.excludeFile !== undefined) excludeSpecs.push(...(await readTargetFile(input.excludeFile, input.stdin)));
  const shard = input.shard !== undefined ? parseShard(input.shard) : undefined;
  if (specs.length === 0) throw new TargetError('NO_TARGETS', '', 'no targets given');
  for (const s of specs) {
    const n = specSize(s);
    if (n > MAX_TARGET_ADDRESSES) {
      throw new TargetError('TOO_LARGE', s.text, `target ${JSON.stringify(s.text)}: ${n} addresses; one target may hold at most 2^24 (a /8), list smaller blocks`);
    }
  }
  return { specs, excludeSpecs, shard, size: specs.reduce((n, s) => n + specSize(s), 0) };
}

/** Expand prepared targets (exclusion names resolved first). */
export async function* targetStream(p: PreparedTargets, opts: Omit<ExpandOptions, 'exclude' | 'shard'> = {}): AsyncGenerator<Target, void, undefined> {
  for await (const batch of targetBatches(p, opts, 256)) yield* batch;
}

/** Expand prepared targets in arrays of up to `max` (see expandTargetBatches). */
export async function* targetBatches(p: PreparedTargets, opts: Omit<ExpandOptions, 'exclude' | 'shard'> = {}, max = 4096): AsyncGenerator<Target[], void, undefined> {
  const exclude = p.excludeSpecs.length > 0 ? await ExclusionSet.from(p.excludeSpecs, opts.resolver) : undefined;
  yield* expandTargetBatches(p.specs, { ...opts, ...(exclude ? { exclude } : {}), ...(p.shard ? { shard: p.shard } : {}) }, max);
}

/** Dry run: the addresses a target list expands to, nothing sent (host names are resolved). */
export async function* dryRun(input: TargetInput, opts: Omit<ExpandOptions, 'exclude' | 'shard'> = {}): AsyncGenerator<Target, void, undefined> {
  yield* targetStream(await prepareTargets(input), opts);
}
