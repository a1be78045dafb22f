/**
 * smbprobe as a library: pure NetBIOS/SMB codecs, live probes, the target expander, the
 * fingerprint engine, and capture (pcap/pcapng) decoding down to host results.
 *
 * Protocol families are namespaces (`nbns`, `nbss`, `smb1`, `smb2`, `ntlmssp`) because names from
 * different specs collide (SMB1 and SMB2 both have a "negotiate request"); each is also a subpath
 * export (`smbprobe/nbns` ...). Capture decoding is flat here and also `smbprobe/pcap`.
 *
 * @module smbprobe
 */
export { DecodeError, isDecodeError, type DecodeErrorCode, type Protocol } from './errors.js';
export type { Codec } from './codec/codec.js';
export { NtStatus, type NtStatusName, ntStatusName, ntStatusSeverity } from './codec/ntstatus.js';

export * as nbns from './lib/nbns.js';
export * as nbss from './lib/nbss.js';
export * as smb1 from './lib/smb1.js';
export * as smb2 from './lib/smb2.js';
export * as ntlmssp from './lib/ntlmssp.js';

export * from './lib/pcap.js';

export { type NbstatOptions, NbstatScanner, probeNbstat, nbstatResult } from './probe/nbstat.js';
export { type SmbTarget, type SmbProbeOptions, type SmbProbeResult, DEFAULT_SMB_TARGETS, probeSmb } from './probe/smb.js';

export {
  type TargetErrorCode,
  type TargetSpec,
  type Target,
  type UnresolvedTarget,
  type Resolver,
  type Shard,
  type ExpandOptions,
  TargetError,
  parseTargetSpec,
  parseTargetSpecs,
  readTargetFile,
  parseShard,
  ExclusionSet,
  expandTargets,
} from './scan/targets.js';

export {
  type RuleMatch,
  type NativeOsFacts,
  type Candidate,
  type Conclusion,
  type FingerprintOptions,
  type FingerprintRule,
  type WindowsRelease,
  type WindowsKind,
  fingerprint,
  fingerprintLabel,
  matchRules,
  signalValue,
  defaultRules,
  defaultCandidates,
  compareBuilds,
  describeReleases,
  parseWindowsNativeOs,
  sambaVersionOf,
  DIALECT_FIRST_WINDOWS,
  WINDOWS_RELEASES,
  releasesByNtlmVersion,
  releasesByBuildNumber,
  releasesByNtVersion,
  ntVersionOf,
  buildNumberOf,
} from './fingerprint/index.js';

export type * from './scan/result.js';
