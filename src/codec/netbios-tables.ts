/**
 * Names of NetBIOS values: NBNS opcodes, rcodes, RR types, node types (RFC 1002 §4.2), NBSS packet
 * types and error codes (RFC 1002 §4.3), and the services behind NetBIOS name suffixes
 * (Microsoft's list of NetBIOS suffixes, plus the names nbtscan and Samba hosts show).
 * Unknown values stay numbers; the helpers below print them as hex.
 */
import { hexOf, nameOf } from './names.js';

/** NBNS OPCODE (RFC 1002 §4.2.1.1; 0xF is the multi-homed registration of MS-NBTE). */
export const NbnsOpcode = {
  QUERY: 0x0,
  REGISTRATION: 0x5,
  RELEASE: 0x6,
  WACK: 0x7,
  REFRESH: 0x8,
  /** RFC 1002 has a typo giving refresh as 9; some stacks send it. */
  REFRESH_ALT: 0x9,
  MULTI_HOMED_REGISTRATION: 0xf,
} as const;

/** NBNS RCODE (RFC 1002 §4.2.6 and following). */
export const NbnsRcode = {
  NO_ERROR: 0x0,
  FMT_ERR: 0x1,
  SRV_ERR: 0x2,
  NAM_ERR: 0x3,
  IMP_ERR: 0x4,
  RFS_ERR: 0x5,
  ACT_ERR: 0x6,
  CFT_ERR: 0x7,
} as const;

/** NBNS RR_TYPE / QUESTION_TYPE (RFC 1002 §4.2.1.2, §4.2.1.3). */
export const NbnsRrType = {
  A: 0x0001,
  NS: 0x0002,
  NULL: 0x000a,
  NB: 0x0020,
  NBSTAT: 0x0021,
} as const;

/** RR_CLASS / QUESTION_CLASS: only IN is defined. */
export const NbnsClass = { IN: 0x0001 } as const;

/** ONT, the owner node type in NB_FLAGS and NAME_FLAGS (bits 0x6000). */
export const NbnsNodeType = { B: 0, P: 1, M: 2, H: 3 } as const;

/** NBSS TYPE (RFC 1002 §4.3.1). */
export const NbssType = {
  SESSION_MESSAGE: 0x00,
  SESSION_REQUEST: 0x81,
  POSITIVE_SESSION_RESPONSE: 0x82,
  NEGATIVE_SESSION_RESPONSE: 0x83,
  RETARGET_SESSION_RESPONSE: 0x84,
  SESSION_KEEP_ALIVE: 0x85,
} as const;

/** NBSS NEGATIVE SESSION RESPONSE ERROR_CODE (RFC 1002 §4.3.4). */
export const NbssErrorCode = {
  NOT_LISTENING_ON_CALLED_NAME: 0x80,
  NOT_LISTENING_FOR_CALLING_NAME: 0x81,
  CALLED_NAME_NOT_PRESENT: 0x82,
  INSUFFICIENT_RESOURCES: 0x83,
  UNSPECIFIED_ERROR: 0x8f,
} as const;

const hexName = (prefix: string, v: number, width = 2): string => `${prefix}_${hexOf(v, width)}`;

/** `QUERY`, `REGISTRATION`, ... or `OPCODE_0x3`. */
export function nbnsOpcodeName(op: number): string {
  return nameOf(NbnsOpcode, op) ?? hexName('OPCODE', op, 1);
}
/** `NO_ERROR`, `FMT_ERR`, ... or `RCODE_0x9`. */
export function nbnsRcodeName(rcode: number): string {
  return nameOf(NbnsRcode, rcode) ?? hexName('RCODE', rcode, 1);
}
/** `NB`, `NBSTAT`, ... or `TYPE_0x0010`. */
export function nbnsRrTypeName(type: number): string {
  return nameOf(NbnsRrType, type) ?? hexName('TYPE', type, 4);
}
/** `B`, `P`, `M` or `H` for ONT 0..3. */
export function nodeTypeName(ont: number): string {
  return (['B', 'P', 'M', 'H'] as const)[ont & 3]!;
}
/** `SESSION_REQUEST`, ... or `TYPE_0x42`. */
export function nbssTypeName(type: number): string {
  return nameOf(NbssType, type) ?? hexName('TYPE', type);
}
/**
 * NEGATIVE SESSION RESPONSE error name. RFC 1002 defines 0x80–0x83 and 0x8F; the other values of
 * 0x80–0x8F are named `UNSPECIFIED_ERROR_0x8N` (Windows treats them as unspecified), others `ERROR_0xNN`.
 */
export function nbssErrorName(code: number): string {
  const n = nameOf(NbssErrorCode, code);
  if (n) return n;
  if (code >= 0x80 && code <= 0x8f) return hexName('UNSPECIFIED_ERROR', code);
  return hexName('ERROR', code);
}

// ---------------------------------------------------------------------------------------------
// Services behind NetBIOS names

/** A rule: suffix, unique/group (undefined = either), optional exact or prefix name match. */
interface ServiceRule {
  suffix: number;
  group?: boolean;
  /** Exact name (after trailing spaces are trimmed). */
  name?: string;
  /** Name prefix (e.g. `IS~`). */
  prefix?: string;
  service: string;
}

/** The browse master's special name `\x01\x02__MSBROWSE__\x02`. */
export const MSBROWSE_NAME = '\x01\x02__MSBROWSE__\x02';

/** Most specific first: name-specific rules, then suffix + unique/group, then suffix alone. */
const SERVICE_RULES: readonly ServiceRule[] = [
  { suffix: 0x01, name: MSBROWSE_NAME, service: 'Master Browser' },
  { suffix: 0x1c, name: 'INet~Services', service: 'IIS' },
  { suffix: 0x00, group: false, prefix: 'IS~', service: 'IIS' },
  { suffix: 0x2f, name: 'IRISMULTICAST', service: 'Lotus Notes (IRIS multicast)' },
  { suffix: 0x33, name: 'IRISNAMESERVER', service: 'Lotus Notes (IRIS name server)' },
  { suffix: 0x20, name: 'Forte_$ND800ZA', service: 'DCA IrmaLan Gateway Server Service' },

  { suffix: 0x00, group: false, service: 'Workstation Service' },
  { suffix: 0x00, group: true, service: 'Domain Name' },
  { suffix: 0x01, group: false, service: 'Messenger Service' },
  { suffix: 0x01, group: true, service: 'Master Browser' },
  { suffix: 0x03, service: 'Messenger Service' },
  { suffix: 0x06, service: 'RAS Server Service' },
  { suffix: 0x1b, service: 'Domain Master Browser' },
  { suffix: 0x1c, group: true, service: 'Domain Controllers' },
  { suffix: 0x1d, service: 'Master Browser' },
  { suffix: 0x1e, service: 'Browser Service Elections' },
  { suffix: 0x1f, service: 'NetDDE Service' },
  { suffix: 0x20, service: 'File Server Service' },
  { suffix: 0x21, service: 'RAS Client Service' },
  { suffix: 0x22, service: 'Microsoft Exchange Interchange (MSMail Connector)' },
  { suffix: 0x23, service: 'Microsoft Exchange Store' },
  { suffix: 0x24, service: 'Microsoft Exchange Directory' },
  { suffix: 0x2b, service: 'Lotus Notes Server Service' },
  { suffix: 0x30, service: 'Modem Sharing Server Service' },
  { suffix: 0x31, service: 'Modem Sharing Client Service' },
  { suffix: 0x42, service: 'McAfee Anti-Virus' },
  { suffix: 0x43, service: 'SMS Clients Remote Control' },
  { suffix: 0x44, service: 'SMS Administrators Remote Control Tool' },
  { suffix: 0x45, service: 'SMS Clients Remote Chat' },
  { suffix: 0x46, service: 'SMS Clients Remote Transfer' },
  { suffix: 0x4c, service: 'DEC Pathworks TCP/IP Service on Windows NT' },
  { suffix: 0x52, service: 'DEC Pathworks TCP/IP Service on Windows NT' },
  { suffix: 0x6a, service: 'Microsoft Exchange IMC' },
  { suffix: 0x87, service: 'Microsoft Exchange MTA' },
  { suffix: 0xbe, service: 'Network Monitor Agent' },
  { suffix: 0xbf, service: 'Network Monitor Application' },
];

/** Upper-case trimmed comparison: NetBIOS names are case-insensitive in practice (OEM upper case). */
const norm = (s: string): string => s.replace(/ +$/, '').toUpperCase();

/** The service a name registers, or `undefined` when the suffix is not a known one. */
export function lookupNetbiosService(name: string, suffix: number, group: boolean): string | undefined {
  const n = norm(name);
  for (const r of SERVICE_RULES) {
    if (r.suffix !== suffix) continue;
    if (r.group !== undefined && r.group !== group) continue;
    if (r.name !== undefined && norm(r.name) !== n) continue;
    if (r.prefix !== undefined && !n.startsWith(norm(r.prefix))) continue;
    return r.service;
  }
  return undefined;
}

/** The service a name registers, `Unknown Service` when the suffix is not a known one. */
export function netbiosService(name: string, suffix: number, group: boolean): string {
  return lookupNetbiosService(name, suffix, group) ?? 'Unknown Service';
}
