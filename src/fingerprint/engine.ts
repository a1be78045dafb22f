/**
 * The fingerprint engine: evaluates every rule of the table against a HostResult, narrows the set
 * of candidates (Windows releases, Samba, macOS ...) rule by rule, strongest first, and turns what
 * is left into an OsFingerprint. A rule that would leave nothing disagrees with the stronger ones:
 * it goes to `conflicts` and lowers the confidence. Pure: no I/O, no clock, no global state.
 */
import type { FingerprintEvidence, HostResult, OsFingerprint } from '../scan/result.js';
import { defaultCandidates, defaultRules } from './rules.js';
import type { Candidate, Conclusion, FingerprintOptions, FingerprintRule } from './types.js';

// Rule paths are few and fixed and a sweep reads each once per host: split each only once.
const splitPaths = new Map<string, readonly string[]>();

/** The value at a dotted path of a HostResult (`ntlm.osVersion`), or undefined. */
export function signalValue(host: HostResult, path: string): unknown {
  let keys = splitPaths.get(path);
  if (keys === undefined) {
    keys = path.split('.');
    if (splitPaths.size < 4096) splitPaths.set(path, keys);
  }
  return valueAt(host, keys);
}

function valueAt(host: HostResult, keys: readonly string[]): unknown {
  let cur: unknown = host;
  for (const key of keys) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The conclusion when no rule matched. */
function noFingerprint(): OsFingerprint {
  return { family: null, product: null, version: null, build: null, role: null, confidence: 0, evidence: [], conflicts: [] };
}

/** A rule that matched, with what it read and what it concluded. */
export interface RuleMatch {
  rule: FingerprintRule;
  /** Position in the table (ties in weight keep table order). */
  index: number;
  value: unknown;
  /** The value as the evidence shows it. */
  shown: string;
  conclusion: Conclusion;
}

function showValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x))).join(', ');
  return JSON.stringify(v);
}

/** Every rule whose predicate holds, in table order. */
export function matchRules(host: HostResult, rules: readonly FingerprintRule[] = defaultRules): RuleMatch[] {
  const out: RuleMatch[] = [];
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index];
    if (rule === undefined) continue; // a hole, as forEach skipped
    const value = signalValue(host, rule.signal);
    if (!rule.predicate(value, host)) continue;
    const conclusion = typeof rule.conclusion === 'function' ? rule.conclusion(value, host) : rule.conclusion;
    const shown = rule.evidenceValue ? rule.evidenceValue(value, host) : showValue(value);
    out.push({ rule, index, value, shown, conclusion });
  }
  return out;
}

function narrows(c: Conclusion): boolean {
  return c.families !== undefined || c.releases !== undefined || c.allow !== undefined || c.kind !== undefined || c.role !== undefined;
}

function allows(c: Conclusion, cand: Candidate): boolean {
  if (c.families !== undefined || c.releases !== undefined) {
    const byFamily = c.families?.includes(cand.family) ?? false;
    const byId = c.releases?.includes(cand.id) ?? false;
    if (!byFamily && !byId) return false;
  }
  if (c.allow && !c.allow(cand)) return false;
  const kind = c.kind ?? (c.role === 'domain-controller' ? 'server' : undefined);
  if (kind !== undefined && cand.kind !== null && cand.kind !== kind) return false;
  return true;
}

const clamp01 = (w: number): number => (Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0);

function distinct<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function supportsText(c: Conclusion, universe: readonly Candidate[]): string {
  if (c.supports) return c.supports;
  if (c.role) return c.role;
  if (c.releases?.length) return distinct(universe.filter((u) => c.releases!.includes(u.id)).map((u) => (u.version ? `${u.product} ${u.version}` : u.product))).join(' / ');
  if (c.families?.length) return c.families.join(' or ');
  if (c.kind) return c.kind;
  return 'unknown';
}

const endsWithYear = (s: string): boolean => /\b(19|20)\d\d$/.test(s);

/** `first–last` of several versions, the version when one, null when some are unknown. */
function versionOf(cands: readonly Candidate[]): string | null {
  const vs = distinct(cands.map((c) => c.version));
  if (vs.length === 1) return vs[0] ?? null;
  if (vs.some((v) => v === null)) return null;
  return `${vs[0]}–${vs[vs.length - 1]}`;
}

/** Product name for what is left: one product, or up to three joined (`Windows 10 1607 / Server 2016`). */
function productOf(cands: readonly Candidate[]): { product: string | null; ambiguous: boolean } {
  const groups: { product: string; kind: Candidate['kind']; members: Candidate[] }[] = [];
  for (const c of cands) {
    const g = groups.find((x) => x.product === c.product);
    if (g) g.members.push(c);
    else groups.push({ product: c.product, kind: c.kind, members: [c] });
  }
  if (groups.length === 1) return { product: groups[0]!.product, ambiguous: false };
  if (groups.length > 3) return { product: null, ambiguous: true };
  const parts = groups.map((g, i) => {
    let name = i > 0 ? g.product.replace(/^Windows /, '') : g.product;
    const gv = distinct(g.members.map((m) => m.version));
    if (g.kind === 'client' && gv.length === 1 && gv[0] && !endsWithYear(g.product)) name += ` ${gv[0]}`;
    return name;
  });
  return { product: parts.join(' / '), ambiguous: true };
}

const versionsAgree = (a: string, b: string): boolean => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/**
 * The OS fingerprint of a host. Pure; the same HostResult always gives the same answer.
 * `options.rules` replaces the table (extend it: `[...defaultRules, myRule]`),
 * `options.candidates` adds products custom rules can conclude.
 */
export function fingerprint(host: HostResult, options: FingerprintOptions = {}): OsFingerprint {
  const rules = options.rules ?? defaultRules;
  const matches = matchRules(host, rules);
  if (matches.length === 0) return noFingerprint();

  // the candidates: the defaults, the caller's, and a generic one for any family a rule names
  // (copied only when it grows: the defaults are frozen)
  let universe: readonly Candidate[] = options.candidates?.length ? [...defaultCandidates, ...options.candidates] : defaultCandidates;
  for (const m of matches) {
    for (const f of m.conclusion.families ?? []) {
      if (!universe.some((c) => c.family === f)) {
        universe = [...universe, { id: f.toLowerCase(), family: f, product: f, version: null, build: null, ntlmBuild: null, kind: null }];
      }
    }
  }

  // strongest first; a match that would leave nothing disagrees with what is already concluded
  const ordered = [...matches].sort((a, b) => clamp01(b.conclusion.weight) - clamp01(a.conclusion.weight) || a.index - b.index);
  let set: readonly Candidate[] = universe;
  const consistent: RuleMatch[] = [];
  const conflicting: RuleMatch[] = [];
  let narrowed = false;
  for (const m of ordered) {
    if (!narrows(m.conclusion)) {
      consistent.push(m);
      continue;
    }
    const next = set.filter((c) => allows(m.conclusion, c));
    if (next.length === 0) {
      conflicting.push(m);
    } else {
      set = next;
      narrowed = true;
      consistent.push(m);
    }
  }

  const evidence: FingerprintEvidence[] = consistent.map((m) => ({
    signal: m.rule.signal,
    value: m.shown,
    rule: m.rule.id,
    supports: supportsText(m.conclusion, universe),
  }));

  if (!narrowed) {
    return { family: null, product: null, version: null, build: null, role: null, confidence: 0, evidence, conflicts: [] };
  }

  // a generic candidate stands for its refinements unless a rule chose one
  const left = set.filter((c) => !(c.refines !== undefined && set.some((g) => g.id === c.refines)));
  const families = distinct(left.map((c) => c.family));
  const family = families.length === 1 ? families[0]! : null;

  let product: string | null = null;
  let ambiguous = family === null;
  let version: string | null = null;
  let build: string | null = null;
  if (family !== null) {
    const p = productOf(left);
    product = p.product;
    ambiguous = p.ambiguous;
    version = product === null ? null : versionOf(left);
    const builds = distinct(left.map((c) => c.build));
    const ntlmBuilds = distinct(left.map((c) => c.ntlmBuild));
    if (builds.length === 1) build = builds[0] ?? null;
    else if (ntlmBuilds.length === 1) build = ntlmBuilds[0] ?? null;
    if (build === null && family === 'Windows' && consistent.some((m) => m.rule.signal === 'ntlm.osVersion') && typeof host.ntlm?.osVersion === 'string') {
      build = host.ntlm.osVersion;
    }
  }

  // versions the signals carry (Samba 4.17.12, macOS 10.10, a service pack): strongest first
  const versionConflicts: RuleMatch[] = [];
  let carried: string | null = null;
  for (const m of consistent) {
    const v = m.conclusion.version;
    if (v === undefined) continue;
    if (carried === null) carried = v;
    else if (!versionsAgree(carried, v)) versionConflicts.push(m);
  }
  if (carried !== null && family !== null) {
    if (version === null) version = carried;
    else if (family !== 'Windows' && !versionsAgree(version, carried)) version = carried;
  }

  let role: string | null = null;
  if (consistent.some((m) => m.conclusion.role === 'domain-controller')) role = 'domain-controller';
  else {
    const kinds = distinct(left.map((c) => c.kind));
    if (kinds.length === 1 && kinds[0] !== null && kinds[0] !== undefined) role = kinds[0];
  }

  const result: OsFingerprint = { family, product, version, build, role, confidence: 0, evidence, conflicts: [] };
  const label = fingerprintLabel(result);
  result.conflicts = [
    ...conflicting.map((m) => `${m.rule.signal} = ${m.shown} (rule ${m.rule.id}) suggests ${supportsText(m.conclusion, universe)}, not ${label}`),
    ...versionConflicts.map((m) => `${m.rule.signal} = ${m.shown} (rule ${m.rule.id}) suggests version ${m.conclusion.version}, not ${carried}`),
  ];
  for (const m of versionConflicts) {
    const i = result.evidence.findIndex((e) => e.rule === m.rule.id);
    if (i >= 0) result.evidence.splice(i, 1);
  }

  // confidence: independent support of the agreeing rules, discounted for ambiguity and conflicts
  let miss = 1;
  for (const m of consistent) if (narrows(m.conclusion) && !versionConflicts.includes(m)) miss *= 1 - clamp01(m.conclusion.weight);
  let confidence = 1 - miss;
  if (family === null) confidence *= 0.5;
  else if (product === null) confidence *= 0.6;
  else if (ambiguous) confidence *= 0.75;
  else if (version !== null && version.includes('–')) confidence *= 0.9;
  for (const m of [...conflicting, ...versionConflicts]) confidence *= 1 - clamp01(m.conclusion.weight) / 2;
  // never certain: a host can imitate any of these signals
  result.confidence = Math.min(0.99, Math.round(confidence * 100) / 100);
  return result;
}

/** `Samba 4.17.12` → `4.17`. */
function majorMinor(v: string | null): string | null {
  if (v === null) return null;
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? `${m[1]}.${m[2]}` : v;
}

/**
 * One line for the table output: `Windows Server 2019 (10.0.17763)`, `Windows 7 SP1 (6.1.7601)`,
 * `Windows 10 22H2 (10.0.19045)`, `Samba 4.17`, `Samba`, `unknown`.
 */
export function fingerprintLabel(os: OsFingerprint | null | undefined): string {
  if (!os || (os.family === null && os.product === null)) return 'unknown';
  if (os.family === 'Samba') {
    const mm = majorMinor(os.version);
    const p = os.product ?? 'Samba';
    return mm ? p.replace(/^Samba/, `Samba ${mm}`) : p;
  }
  let s = os.product ?? os.family ?? 'unknown';
  if (os.version && !endsWithYear(s) && !s.includes(os.version)) s += ` ${os.version}`;
  if (os.build) s += ` (${os.build})`;
  return s;
}
