/**
 * `smbprobe/smb1`: SMB1 / CIFS messages (MS-CIFS, MS-SMB): the header, NEGOTIATE (request and the
 * NT, LANMAN and core answers), SESSION_SETUP_ANDX, the TRANSACTION family, AndX chains, and the
 * protocol's constant tables.
 *
 * @module smb1
 */
export {
  SMB1_PROTOCOL_ID,
  SMB1_HEADER_SIZE,
  Smb1Command,
  type Smb1CommandName,
  ANDX_COMMANDS,
  Smb1Flags,
  Smb1Flags2,
  Smb1SecurityMode,
  Smb1Capabilities,
  Smb1SessionAction,
  DosErrorClass,
  DosErrorCode,
  SrvErrorCode,
  HrdErrorCode,
  Trans2Subcommand,
  TransSubcommand,
  MailslotSubcommand,
  NtTransactFunction,
  Smb1Dialect,
  NO_DIALECT,
  smb1CommandName,
  dosErrorName,
} from '../codec/smb1/constants.js';
export {
  type Smb1Header,
  type Smb1HeaderInit,
  type Smb1Block,
  type Smb1RawMessage,
  smb1Header,
  isSmb1,
  smb1HeaderCodec,
  decodeSmb1Block,
  decodeSmb1Frame,
  smb1RawMessage,
} from '../codec/smb1/header.js';
export { type Smb1AndX, type Smb1ChainLink, NO_ANDX, MAX_ANDX_CHAIN, readAndX, walkAndXChain } from '../codec/smb1/andx.js';
export {
  type Smb1NegotiateRequest,
  type NegotiateRequestOptions,
  type Smb1NegotiateResponseNt,
  type Smb1NegotiateResponseLanman,
  type Smb1NegotiateResponseCore,
  type Smb1NegotiateResponseOther,
  type Smb1NegotiateResponse,
  type NtNegotiateResponseInit,
  smb1NegotiateRequest,
  smb1NegotiateResponse,
  decodeSmb1NegotiateResponse,
  MULTI_PROTOCOL_DIALECTS,
  CLIENT_FLAGS,
  CLIENT_FLAGS2,
  multiProtocolNegotiate,
  smb1OnlyNegotiate,
  smbDateTimeToString,
  resolveDialect,
  ntNegotiateResponse,
  noDialectNegotiateResponse,
} from '../codec/smb1/negotiate.js';
export {
  type Smb1SessionSetupRequestExtended,
  type Smb1SessionSetupRequestNt,
  type Smb1SessionSetupRequestLanman,
  type Smb1SessionSetupOther,
  type Smb1SessionSetupRequest,
  type Smb1SessionSetupResponseExtended,
  type Smb1SessionSetupResponseNt,
  type Smb1SessionSetupResponse,
  type SessionSetupRequestInit,
  smb1SessionSetupRequest,
  smb1SessionSetupResponse,
  sessionSetupRequest,
} from '../codec/smb1/session-setup.js';
export { type Smb1TransLayout, type Smb1Trans, smb1Trans, isTransCommand } from '../codec/smb1/trans.js';
