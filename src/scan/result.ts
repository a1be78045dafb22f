/**
 * The output contract: one HostResult per host, the same whether a host was probed live or only
 * seen in a capture. Every field is JSON-safe (no bigint, no Uint8Array). docs/output.md documents
 * it; machine formats built from it must stay stable.
 */

/** Why a probe step ended without an answer, from a fixed vocabulary. */
export type ProbeStatus =
  | 'ok'
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'unreachable'
  | 'protocol-error'
  | 'aborted'
  | 'error';

export interface ProbeErrorInfo {
  /** Which step failed: `nbstat`, `connect`, `nbss-session`, `smb1-negotiate`, `smb2-negotiate`, `session-setup`, ... */
  step: string;
  status: ProbeStatus;
  message: string;
  /** For protocol errors: the DecodeError facts. */
  code?: string;
  field?: string;
  offset?: number;
}

export interface NbstatName {
  /** The 15 name bytes (latin1) with trailing spaces removed, every other byte kept. */
  name: string;
  /** The 16th byte. */
  suffix: number;
  group: boolean;
  /** Owner node type. */
  nodeType: 'B' | 'P' | 'M' | 'H';
  active: boolean;
  permanent: boolean;
  conflict: boolean;
  deregistering: boolean;
  /** Raw NAME_FLAGS. */
  flags: number;
  /** Service by suffix (nbtscan's table and more). */
  service: string;
}

export interface NbstatResult {
  /** `ok`: a node status answer; `timeout`: none after retries; `unreachable`: ICMP port unreachable. */
  status: ProbeStatus | 'skipped';
  names: NbstatName[];
  /** Unit ID as `aa:bb:cc:dd:ee:ff`, or null when the answer carried none. */
  mac: string | null;
  /** IEEE registrant of the MAC's OUI; null when unknown, all-zero or locally administered. */
  macVendor: string | null;
  /** Samba and some virtual hosts answer 00:00:00:00:00:00. */
  macAllZero: boolean;
  /** `<00>` unique name. */
  computerName: string | null;
  /** `<00>` group name: workgroup or domain. */
  workgroup: string | null;
  /** `<03>` unique names other than the computer's: logged-on users (old Windows messenger). */
  users: string[];
  /** Roles derived from the table: `file-server`, `domain-controller`, `domain-master-browser`, `master-browser`, `browser-election`, `messenger`, ... */
  roles: string[];
  /** RFC 1002 statistics block, when complete. */
  statistics: Record<string, number> | null;
  warnings: string[];
  /** Round-trip time of the answer that was used, ms. */
  rttMs: number | null;
  error?: ProbeErrorInfo;
}

export type Smb1State = 'enabled' | 'disabled' | 'unknown';

/** What the SMB1-only negotiate sent and got back: the verdict's evidence. */
export interface Smb1Evidence {
  port: number;
  /** Dialects offered (`NT LM 0.12` only). */
  sent: string[];
  /** `smb1-negotiate-response`, `smb2-response`, `reset`, `closed`, `timeout`, `error`, ... */
  received: string;
  status?: string;
  dialectIndex?: number;
  dialect?: string;
  wordCount?: number;
  /** Bytes of the reply (SMB message length). */
  bytes?: number;
  reason: string;
}

export interface SigningState {
  /** SecurityMode signing enabled; null when no negotiate succeeded. */
  enabled: boolean | null;
  required: boolean | null;
}

export interface DialectDetail {
  /** `NT LM 0.12`, `2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`. */
  dialect: string;
  securityMode: number;
  signing: SigningState;
  capabilities: string[];
}

export interface NegotiateContextAnswer {
  /** `PREAUTH_INTEGRITY`, `ENCRYPTION`, `COMPRESSION`, `NETNAME`, `TRANSPORT`, `RDMA_TRANSFORM`, `SIGNING`, `POSIX`, or `0x....`. */
  type: string;
  /** Decoded values: hash algorithms, cipher, compression algorithms, signing algorithm ... by name. */
  values: string[];
}

export interface SmbPortResult {
  port: number;
  transport: 'direct' | 'nbss';
  status: 'open' | 'closed' | 'filtered' | 'error';
  /** Port 139: the called names tried and how each session request was answered. */
  nbss?: { calledName: string | null; attempts: Array<{ calledName: string; answer: string; error?: string }> };
  smb1: Smb1State;
  smb1Evidence: Smb1Evidence | null;
  /** Every dialect this port accepted, in protocol order. */
  dialects: string[];
  details: DialectDetail[];
  errors: ProbeErrorInfo[];
}

export interface SmbResult {
  ports: Record<string, SmbPortResult>;
  /** Union of the ports' dialects, in protocol order. */
  dialects: string[];
  smb1: Smb1State;
  smb1Evidence: Smb1Evidence[];
  signing: SigningState;
  /** Capabilities of the highest dialect, by name. */
  capabilities: string[];
  highestDialect: string | null;
  serverGuid: string | null;
  /** Printable text inside the GUID (Samba puts its NetBIOS name there). */
  serverGuidText: string | null;
  systemTime: string | null;
  bootTime: string | null;
  maxTransactSize: number | null;
  maxReadSize: number | null;
  maxWriteSize: number | null;
  /** SPNEGO mechanisms from the negotiate response, by name (or OID). */
  spnegoMechanisms: string[];
  spnegoHint: string | null;
  /** The server's 3.1.1 negotiate context answers, in the order it sent them. */
  negotiateContexts: NegotiateContextAnswer[];
  /** From an SMB1 session setup, when SMB1 was the way in. */
  nativeOs: string | null;
  nativeLanMan: string | null;
  primaryDomain: string | null;
}

export interface NtlmInfo {
  netbiosComputer: string | null;
  netbiosDomain: string | null;
  dnsComputer: string | null;
  dnsDomain: string | null;
  dnsTree: string | null;
  /** `major.minor.build`, e.g. `10.0.17763`; null when the CHALLENGE carried no Version. */
  osVersion: string | null;
  ntlmRevision: number | null;
  targetName: string | null;
  timestamp: string | null;
  negotiateFlags: string[];
  /** How it was read: SMB2 or SMB1 session setup, and on which port. */
  via: 'smb2' | 'smb1';
  port: number;
}

export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  /** Human-readable facts that support the finding (what was sent, what came back, frame numbers). */
  evidence: string[];
}

/** One signal a fingerprint conclusion rests on. */
export interface FingerprintEvidence {
  /** The signal: `ntlm.osVersion`, `smb.nativeLanMan`, `nbstat.macAllZero`, `smb.dialects`, ... */
  signal: string;
  /** Its value as seen. */
  value: string;
  /** The rule that read it. */
  rule: string;
  /** What it supports: `Samba`, `Windows Server 2019`, `domain-controller`, ... */
  supports: string;
}

/** The fingerprint engine's conclusion about a host. */
export interface OsFingerprint {
  /** `Windows`, `Samba`, `macOS`, ... or null when nothing could be said. */
  family: string | null;
  /** `Windows Server 2019`, `Windows 10 / Server 2016`, `Samba`, ... */
  product: string | null;
  /** `1809`, `4.17.12`, `6.1` ... */
  version: string | null;
  /** `10.0.17763` */
  build: string | null;
  /** `server`, `client`, `domain-controller`, or null. */
  role: string | null;
  /** 0..1 */
  confidence: number;
  evidence: FingerprintEvidence[];
  /** Signals that disagree with the conclusion, in words. */
  conflicts: string[];
}

export interface HostResult {
  /** The target as the user named it (address or host name). */
  host: string;
  /** The address probed. */
  address: string;
  nbstat: NbstatResult | null;
  smb: SmbResult | null;
  ntlm: NtlmInfo | null;
  /** The fingerprint engine's conclusion (absent until the engine ran). */
  os?: OsFingerprint | null;
  findings: Finding[];
  errors: ProbeErrorInfo[];
  /** ISO time the host's probing started, and how long it took. */
  startedAt: string;
  durationMs: number;
}
