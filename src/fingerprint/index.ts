/** OS fingerprinting: `fingerprint(host)` → OsFingerprint, from a rule table (docs/fingerprinting.md). */
export { fingerprint, fingerprintLabel, matchRules, signalValue, type RuleMatch } from './engine.js';
export {
  defaultRules,
  defaultCandidates,
  compareBuilds,
  describeReleases,
  parseWindowsNativeOs,
  sambaVersionOf,
  DIALECT_FIRST_WINDOWS,
  type NativeOsFacts,
} from './rules.js';
export type { Candidate, Conclusion, FingerprintOptions, FingerprintRule } from './types.js';
export {
  WINDOWS_RELEASES,
  releasesByNtlmVersion,
  releasesByBuildNumber,
  releasesByNtVersion,
  ntVersionOf,
  buildNumberOf,
  type WindowsRelease,
  type WindowsKind,
} from './windows-builds.js';
