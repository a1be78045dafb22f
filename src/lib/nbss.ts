/**
 * `smbprobe/nbss`: the NetBIOS Session Service (RFC 1002 §4.3) on TCP 139 and the direct-TCP
 * framing of SMB on 445 (MS-SMB2 §2.1): an incremental stream framer and a codec per message.
 *
 * @module nbss
 */
export {
  type NbssTransport,
  type NbssFrame,
  type NbssSessionMessage,
  type NbssSessionRequest,
  type NbssPositiveResponse,
  type NbssNegativeResponse,
  type NbssRetargetResponse,
  type NbssKeepAlive,
  type NbssMessage,
  NBSS_HEADER_LENGTH,
  NBSS_MAX_LENGTH,
  NbssFramer,
  nbssMessage,
  nbssMessageFromFrame,
} from '../codec/nbss.js';
export { NbssType, NbssErrorCode, nbssTypeName, nbssErrorName } from '../codec/netbios-tables.js';
