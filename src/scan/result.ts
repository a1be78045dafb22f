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

/** Why a probe step failed: the step, a status from the fixed vocabulary, and a DecodeError's facts when one caused it. */
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

/** One entry of a NetBIOS name table, with the flags decoded and the service the suffix stands for. */
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

/** The NBSTAT (node status) result of a host: name table, MAC, derived computer name, workgroup, users and roles. */
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

/** The SMBv1 verdict: `enabled` only on a real SMB1 NEGOTIATE answer selecting a dialect. */
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
  /** Passive mode: capture frame of the answer (and of the request) the verdict rests on. */
  frame?: number;
  requestFrame?: number;
}

/** SMB signing as the server's SecurityMode states it. */
export interface SigningState {
  /** SecurityMode signing enabled; null when no negotiate succeeded. */
  enabled: boolean | null;
  required: boolean | null;
}

/** What the server answered to one dialect: its SecurityMode, signing and capabilities. */
export interface DialectDetail {
  /** `NT LM 0.12`, `2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`. */
  dialect: string;
  securityMode: number;
  signing: SigningState;
  capabilities: string[];
}

/** One negotiate context of the server's 3.1.1 answer, by name, with the values it selected. */
export interface NegotiateContextAnswer {
  /** `PREAUTH_INTEGRITY`, `ENCRYPTION`, `COMPRESSION`, `NETNAME`, `TRANSPORT`, `RDMA_TRANSFORM`, `SIGNING`, `POSIX`, or `0x....`. */
  type: string;
  /** Decoded values: hash algorithms, cipher, compression algorithms, signing algorithm ... by name. */
  values: string[];
}

/** The SMB result of one port (445 direct or 139 NBSS): status, SMBv1 verdict and evidence, dialects. */
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

/** The SMB result of a host, combined over its ports. */
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

/** Host facts from an NTLM CHALLENGE: NetBIOS and DNS names, OS version, time. */
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

/** How serious a finding is. */
export type Severity = 'high' | 'medium' | 'low' | 'info';

/** One finding about a host (`smb1-enabled`, `signing-not-required` ...), from the findings rules. */
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

/** Everything learnt about one host, live or from a capture: the output contract (docs/output.md). */
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
  /** ISO time the host's probing started, and how long it took (passive: first and last frame seen). */
  startedAt: string;
  durationMs: number;
  /** Only in results built from a capture (`smbprobe pcap`). */
  passive?: PassiveFacts;
}

/** What a capture showed about a host beyond the live-scan fields (src/passive/hosts.ts). */
export interface PassiveFacts {
  /** The capture file the result was built from. */
  capture: string;
  /** What the host answered as: `nbns` (name service answers), `nbss` (session service), `smb-server`. */
  roles: string[];
  /** Frames of the first and last message from or to this host (as a server). */
  firstFrame: number;
  lastFrame: number;
  /** Messages the host sent as a server. */
  answers: number;
  /** Dialects clients offered this host (SMB1 dialect strings and SMB2 dialect names), first seen first. */
  offeredDialects: string[];
  /** SMB2 answers to multi-protocol SMB1 negotiates (DialectRevision 0x02FF: "use SMB2"). */
  smb2WildcardAnswers: number;
  /** Addresses of clients seen talking to it (at most 32) and how many there were. */
  clients: string[];
  clientCount: number;
  /** Frames of the MS17-010-era traffic behind the ms17/doublepulsar/eternalblue findings. */
  ms17010: Array<{ id: string; frames: number[]; client: string; detail: string }>;
}
