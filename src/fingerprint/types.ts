/**
 * The fingerprint engine's vocabulary: candidates (what a host can be), rules (a signal, a
 * predicate over it, and the conclusion it supports) and options.
 */
import type { HostResult } from '../scan/result.js';
import type { WindowsKind } from './windows-builds.js';

/** One thing a host can be: a Windows release, Samba, a NAS build of Samba, macOS ... */
export interface Candidate {
  /** Stable id: a Windows release id (`server-2019`), `samba`, `samba-qts`, `macos` ... */
  id: string;
  family: string;
  product: string;
  version: string | null;
  /** `major.minor.build` (Windows), else null. */
  build: string | null;
  /** What an NTLM CHALLENGE reports for it (Windows), else null. */
  ntlmBuild: string | null;
  /** Server or client edition; null when the product says nothing about it. */
  kind: WindowsKind | null;
  /** The id of the more generic candidate this one refines (`samba-qts` refines `samba`). */
  refines?: string;
}

/**
 * What a matching rule says. Every field given narrows the set of candidates the host can be:
 * `families` and `releases` (either matches: a candidate is allowed when its family is in
 * `families` or its id is in `releases`), `allow` (a predicate), `kind` (keeps that kind and
 * candidates of unknown kind), `role: 'domain-controller'` (implies a server edition). A conclusion
 * that narrows nothing is informational: it shows up in the evidence and leaves the confidence alone.
 */
export interface Conclusion {
  families?: readonly string[];
  releases?: readonly string[];
  allow?: (c: Candidate) => boolean;
  kind?: WindowsKind;
  role?: 'domain-controller';
  /** A version the signal carries: Samba `4.17.12`, macOS `10.10`, a Windows service pack `SP2`. */
  version?: string;
  /** 0..1: how strongly the signal supports the conclusion. */
  weight: number;
  /** Words for the evidence (`Samba`, `Windows Server 2019`); derived when absent. */
  supports?: string;
}

/** One fingerprint rule: a signal (a path into a HostResult), a predicate over its value, and the conclusion a match supports. */
export interface FingerprintRule {
  /** Stable id, shown in the evidence and documented in docs/fingerprinting.md. */
  id: string;
  /** Path into HostResult: `ntlm.osVersion`, `smb.nativeLanMan`, `nbstat.roles` ... */
  signal: string;
  /** One line: what the rule looks for. */
  description: string;
  /** Pure: whether the rule applies, given the signal's value (undefined when absent) and the host. */
  predicate: (value: unknown, host: HostResult) => boolean;
  /** What a match supports: fixed, or computed from the value (pure). */
  conclusion: Conclusion | ((value: unknown, host: HostResult) => Conclusion);
  /** The value as the evidence shows it; default: strings as they are, arrays joined with `, `. */
  evidenceValue?: (value: unknown, host: HostResult) => string;
  /** Where the fact comes from: spec section, vendor page, or measurement (capture names). */
  source: string;
}

/** Options of {@link fingerprint}: the rule table and extra candidates. */
export interface FingerprintOptions {
  /** The rule table; default {@link defaultRules}. Extend with `[...defaultRules, myRule]`. */
  rules?: readonly FingerprintRule[];
  /** Extra candidates (products custom rules conclude), added to {@link defaultCandidates}. */
  candidates?: readonly Candidate[];
}
