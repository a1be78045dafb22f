/**
 * SMB1 (CIFS) constants by name: MS-CIFS §2.2.2 (commands, flags, errors, subcommands) with the
 * MS-SMB §2.2 additions. Unknown values survive as numbers; these tables only give them names.
 */
import { hexOf, nameOf, nameOrHex } from '../names.js';

/** `\xFFSMB` as a big-endian u32 (MS-CIFS §2.2.3.1 Protocol). */
export const SMB1_PROTOCOL_ID = 0xff534d42;
/** Fixed size of the SMB1 header. */
export const SMB1_HEADER_SIZE = 32;

/** SMB_COM_* command codes (MS-CIFS §2.2.2.1). */
export const Smb1Command = {
  CREATE_DIRECTORY: 0x00,
  DELETE_DIRECTORY: 0x01,
  OPEN: 0x02,
  CREATE: 0x03,
  CLOSE: 0x04,
  FLUSH: 0x05,
  DELETE: 0x06,
  RENAME: 0x07,
  QUERY_INFORMATION: 0x08,
  SET_INFORMATION: 0x09,
  READ: 0x0a,
  WRITE: 0x0b,
  LOCK_BYTE_RANGE: 0x0c,
  UNLOCK_BYTE_RANGE: 0x0d,
  CREATE_TEMPORARY: 0x0e,
  CREATE_NEW: 0x0f,
  CHECK_DIRECTORY: 0x10,
  PROCESS_EXIT: 0x11,
  SEEK: 0x12,
  LOCK_AND_READ: 0x13,
  WRITE_AND_UNLOCK: 0x14,
  READ_RAW: 0x1a,
  READ_MPX: 0x1b,
  READ_MPX_SECONDARY: 0x1c,
  WRITE_RAW: 0x1d,
  WRITE_MPX: 0x1e,
  WRITE_MPX_SECONDARY: 0x1f,
  WRITE_COMPLETE: 0x20,
  QUERY_SERVER: 0x21,
  SET_INFORMATION2: 0x22,
  QUERY_INFORMATION2: 0x23,
  LOCKING_ANDX: 0x24,
  TRANSACTION: 0x25,
  TRANSACTION_SECONDARY: 0x26,
  IOCTL: 0x27,
  IOCTL_SECONDARY: 0x28,
  COPY: 0x29,
  MOVE: 0x2a,
  ECHO: 0x2b,
  WRITE_AND_CLOSE: 0x2c,
  OPEN_ANDX: 0x2d,
  READ_ANDX: 0x2e,
  WRITE_ANDX: 0x2f,
  NEW_FILE_SIZE: 0x30,
  CLOSE_AND_TREE_DISC: 0x31,
  TRANSACTION2: 0x32,
  TRANSACTION2_SECONDARY: 0x33,
  FIND_CLOSE2: 0x34,
  FIND_NOTIFY_CLOSE: 0x35,
  TREE_CONNECT: 0x70,
  TREE_DISCONNECT: 0x71,
  NEGOTIATE: 0x72,
  SESSION_SETUP_ANDX: 0x73,
  LOGOFF_ANDX: 0x74,
  TREE_CONNECT_ANDX: 0x75,
  SECURITY_PACKAGE_ANDX: 0x7e,
  QUERY_INFORMATION_DISK: 0x80,
  SEARCH: 0x81,
  FIND: 0x82,
  FIND_UNIQUE: 0x83,
  FIND_CLOSE: 0x84,
  NT_TRANSACT: 0xa0,
  NT_TRANSACT_SECONDARY: 0xa1,
  NT_CREATE_ANDX: 0xa2,
  NT_CANCEL: 0xa4,
  NT_RENAME: 0xa5,
  OPEN_PRINT_FILE: 0xc0,
  WRITE_PRINT_FILE: 0xc1,
  CLOSE_PRINT_FILE: 0xc2,
  GET_PRINT_QUEUE: 0xc3,
  READ_BULK: 0xd8,
  WRITE_BULK: 0xd9,
  WRITE_BULK_DATA: 0xda,
  INVALID: 0xfe,
  NO_ANDX_COMMAND: 0xff,
} as const;
/** Name of an SMB1 command in {@link Smb1Command}. */
export type Smb1CommandName = keyof typeof Smb1Command;

/**
 * Commands whose parameter block starts with the AndX header (AndXCommand, AndXReserved,
 * AndXOffset), MS-CIFS §2.2.3.4.
 */
export const ANDX_COMMANDS: ReadonlySet<number> = new Set([
  Smb1Command.LOCKING_ANDX,
  Smb1Command.OPEN_ANDX,
  Smb1Command.READ_ANDX,
  Smb1Command.WRITE_ANDX,
  Smb1Command.SESSION_SETUP_ANDX,
  Smb1Command.LOGOFF_ANDX,
  Smb1Command.TREE_CONNECT_ANDX,
  Smb1Command.SECURITY_PACKAGE_ANDX,
  Smb1Command.NT_CREATE_ANDX,
]);

/** SMB_FLAGS_* bits of the header Flags byte (MS-CIFS §2.2.3.1). Wireshark: smb.flags.*. */
export const Smb1Flags = {
  LOCK_AND_READ_OK: 0x01,
  BUF_AVAIL: 0x02,
  CASE_INSENSITIVE: 0x08,
  CANONICALIZED_PATHS: 0x10,
  OPLOCK: 0x20,
  OPBATCH: 0x40,
  REPLY: 0x80,
} as const;

/** SMB_FLAGS2_* bits of the header Flags2 word (MS-CIFS §2.2.3.1, MS-SMB §2.2.3.1). Wireshark: smb.flags2.*. */
export const Smb1Flags2 = {
  LONG_NAMES: 0x0001,
  EAS: 0x0002,
  SMB_SECURITY_SIGNATURE: 0x0004,
  COMPRESSED: 0x0008,
  SMB_SECURITY_SIGNATURE_REQUIRED: 0x0010,
  IS_LONG_NAME: 0x0040,
  REPARSE_PATH: 0x0400,
  EXTENDED_SECURITY: 0x0800,
  DFS: 0x1000,
  PAGING_IO: 0x2000,
  NT_STATUS: 0x4000,
  UNICODE: 0x8000,
} as const;

/** SecurityMode bits of the NEGOTIATE response (MS-CIFS §2.2.4.52.2). Wireshark: smb.sm.*. */
export const Smb1SecurityMode = {
  /** Wireshark smb.sm.mode: user-level rather than share-level access control. */
  USER_SECURITY: 0x01,
  /** smb.sm.password: challenge/response authentication (encrypted passwords). */
  ENCRYPT_PASSWORDS: 0x02,
  /** smb.sm.signatures */
  SECURITY_SIGNATURES_ENABLED: 0x04,
  /** smb.sm.sig_required */
  SECURITY_SIGNATURES_REQUIRED: 0x08,
} as const;

/**
 * CAP_* bits (MS-CIFS §2.2.4.52.2, MS-SMB §2.2.4.5.2). Wireshark: smb.server_cap.*. No SMB1
 * persistent-handles bit exists in MS-SMB or Wireshark, so 0x40000000 stays unnamed.
 */
export const Smb1Capabilities = {
  RAW_MODE: 0x00000001,
  MPX_MODE: 0x00000002,
  UNICODE: 0x00000004,
  LARGE_FILES: 0x00000008,
  NT_SMBS: 0x00000010,
  RPC_REMOTE_APIS: 0x00000020,
  STATUS32: 0x00000040,
  LEVEL_II_OPLOCKS: 0x00000080,
  LOCK_AND_READ: 0x00000100,
  NT_FIND: 0x00000200,
  DFS: 0x00001000,
  INFOLEVEL_PASSTHRU: 0x00002000,
  LARGE_READX: 0x00004000,
  LARGE_WRITEX: 0x00008000,
  LWIO: 0x00010000,
  UNIX: 0x00800000,
  COMPRESSED_DATA: 0x02000000,
  DYNAMIC_REAUTH: 0x20000000,
  EXTENDED_SECURITY: 0x80000000,
} as const;

/** SESSION_SETUP_ANDX response Action bits (MS-CIFS §2.2.4.53.2, MS-SMB §2.2.4.6.2). */
export const Smb1SessionAction = {
  GUEST: 0x0001,
  USE_LANMAN_KEY: 0x0002,
} as const;

/** DOS error classes (MS-CIFS §2.2.2.4): the first byte of Status when NT_STATUS is not set. */
export const DosErrorClass = {
  SUCCESS: 0x00,
  ERRDOS: 0x01,
  ERRSRV: 0x02,
  ERRHRD: 0x03,
  ERRCMD: 0xff,
} as const;

/** ERRDOS codes (MS-CIFS §2.2.2.4). */
export const DosErrorCode = {
  ERRbadfunc: 1,
  ERRbadfile: 2,
  ERRbadpath: 3,
  ERRnofids: 4,
  ERRnoaccess: 5,
  ERRbadfid: 6,
  ERRbadmcb: 7,
  ERRnomem: 8,
  ERRbadmem: 9,
  ERRbadenv: 10,
  ERRbadformat: 11,
  ERRbadaccess: 12,
  ERRbaddata: 13,
  ERRbaddrive: 15,
  ERRremcd: 16,
  ERRdiffdevice: 17,
  ERRnofiles: 18,
  ERRgeneral: 31,
  ERRbadshare: 32,
  ERRlock: 33,
  ERReof: 38,
  ERRunsup: 50,
  ERRfilexists: 80,
  ERRinvalidparam: 87,
  ERRunknownlevel: 124,
  ERRinvalidseek: 131,
  ERRbadpipe: 230,
  ERRpipebusy: 231,
  ERRpipeclosing: 232,
  ERRnotconnected: 233,
  ERRmoredata: 234,
  ERRbadealist: 255,
  ERReasnotsupported: 282,
  ERRnotifyenumdir: 1022,
  ERRunknown: 0xffff,
} as const;

/** ERRSRV codes (MS-CIFS §2.2.2.4). */
export const SrvErrorCode = {
  ERRerror: 1,
  ERRbadpw: 2,
  ERRaccess: 4,
  ERRinvtid: 5,
  ERRinvnetname: 6,
  ERRinvdevice: 7,
  ERRinvsess: 16,
  ERRworking: 17,
  ERRnotme: 18,
  ERRbadcmd: 22,
  ERRqfull: 49,
  ERRqtoobig: 50,
  ERRqeof: 51,
  ERRinvpfid: 52,
  ERRsmbcmd: 64,
  ERRsrverror: 65,
  ERRfilespecs: 67,
  ERRbadpermits: 69,
  ERRsetattrmode: 71,
  ERRtimeout: 88,
  ERRnoresource: 89,
  ERRtoomanyuids: 90,
  ERRbaduid: 91,
  ERRnotconnected: 233,
  ERRusempx: 250,
  ERRusestd: 251,
  ERRcontmpx: 252,
  ERRaccountExpired: 2239,
  ERRbadClient: 2240,
  ERRbadLogonTime: 2241,
  ERRpasswordExpired: 2242,
  ERRnosupport: 0xffff,
} as const;

/** ERRHRD codes (MS-CIFS §2.2.2.4). */
export const HrdErrorCode = {
  ERRnowrite: 19,
  ERRbadunit: 20,
  ERRnotready: 21,
  ERRbadcmd: 22,
  ERRdata: 23,
  ERRbadreq: 24,
  ERRseek: 25,
  ERRbadmedia: 26,
  ERRbadsector: 27,
  ERRnopaper: 28,
  ERRwrite: 29,
  ERRread: 30,
  ERRgeneral: 31,
  ERRbadshare: 32,
  ERRlock: 33,
  ERRwrongdisk: 34,
  ERRFCBUnavail: 35,
  ERRsharebufexc: 36,
  ERRdiskfull: 39,
} as const;

/** TRANS2_* subcommands, Setup[0] of SMB_COM_TRANSACTION2 (MS-CIFS §2.2.6). Wireshark: smb.trans2.cmd. */
export const Trans2Subcommand = {
  OPEN2: 0x0000,
  FIND_FIRST2: 0x0001,
  FIND_NEXT2: 0x0002,
  QUERY_FS_INFORMATION: 0x0003,
  SET_FS_INFORMATION: 0x0004,
  QUERY_PATH_INFORMATION: 0x0005,
  SET_PATH_INFORMATION: 0x0006,
  QUERY_FILE_INFORMATION: 0x0007,
  SET_FILE_INFORMATION: 0x0008,
  FSCTL: 0x0009,
  IOCTL2: 0x000a,
  FIND_NOTIFY_FIRST: 0x000b,
  FIND_NOTIFY_NEXT: 0x000c,
  CREATE_DIRECTORY: 0x000d,
  /** Reserved in MS-CIFS; DoublePulsar's ping/exec channel (MS17-010 era). */
  SESSION_SETUP: 0x000e,
  GET_DFS_REFERRAL: 0x0010,
  REPORT_DFS_INCONSISTENCY: 0x0011,
} as const;

/** Named-pipe subcommands, Setup[0] of SMB_COM_TRANSACTION on `\PIPE\` (MS-CIFS §2.2.5). */
export const TransSubcommand = {
  SET_NMPIPE_STATE: 0x0001,
  RAW_READ_NMPIPE: 0x0011,
  QUERY_NMPIPE_STATE: 0x0021,
  QUERY_NMPIPE_INFO: 0x0022,
  PEEK_NMPIPE: 0x0023,
  TRANSACT_NMPIPE: 0x0026,
  RAW_WRITE_NMPIPE: 0x0031,
  READ_NMPIPE: 0x0036,
  WRITE_NMPIPE: 0x0037,
  WAIT_NMPIPE: 0x0053,
  CALL_NMPIPE: 0x0054,
} as const;

/** Mailslot subcommands, Setup[0] of SMB_COM_TRANSACTION on `\MAILSLOT\` (MS-MAIL §2.2.1). */
export const MailslotSubcommand = {
  WRITE_MAILSLOT: 0x0001,
} as const;

/** NT_TRANSACT_* function codes (MS-CIFS §2.2.7). Wireshark: smb.nt.function. */
export const NtTransactFunction = {
  CREATE: 0x0001,
  IOCTL: 0x0002,
  SET_SECURITY_DESC: 0x0003,
  NOTIFY_CHANGE: 0x0004,
  RENAME: 0x0005,
  QUERY_SECURITY_DESC: 0x0006,
  QUERY_QUOTA: 0x0007,
  SET_QUOTA: 0x0008,
} as const;

/** Dialect strings of SMB_COM_NEGOTIATE (MS-CIFS §1.7, MS-SMB2 §2.2.3 for the SMB2 ones). */
export const Smb1Dialect = {
  PC_NETWORK_PROGRAM_1_0: 'PC NETWORK PROGRAM 1.0',
  LANMAN1_0: 'LANMAN1.0',
  WINDOWS_FOR_WORKGROUPS_3_1A: 'Windows for Workgroups 3.1a',
  LM1_2X002: 'LM1.2X002',
  LANMAN2_1: 'LANMAN2.1',
  NT_LM_0_12: 'NT LM 0.12',
  SMB_2_002: 'SMB 2.002',
  SMB_2_WILDCARD: 'SMB 2.???',
} as const;

/** DialectIndex meaning "none of the offered dialects" (MS-CIFS §2.2.4.52.2). */
export const NO_DIALECT = 0xffff;

export { bitNames, nameOf } from '../names.js';

/** `SMB_COM_` name of a command, or `0x..` when unknown. */
export function smb1CommandName(code: number): string {
  return nameOrHex(Smb1Command, code, 2);
}

/** `ERRDOS/ERRbadfile`-style name of a DOS error (class byte, code word). */
export function dosErrorName(errorClass: number, errorCode: number): string {
  if (errorClass === 0 && errorCode === 0) return 'SUCCESS';
  const cls = nameOrHex(DosErrorClass, errorClass, 2);
  const table: Record<string, number> | undefined =
    errorClass === DosErrorClass.ERRDOS ? DosErrorCode
      : errorClass === DosErrorClass.ERRSRV ? SrvErrorCode
        : errorClass === DosErrorClass.ERRHRD ? HrdErrorCode
          : undefined;
  const code = (table && nameOf(table, errorCode)) ?? hexOf(errorCode, 4);
  return `${cls}/${code}`;
}
