/**
 * `smbprobe/nbns`: NetBIOS names (RFC 1001 §14, RFC 1002 §4.1) and the NetBIOS Name Service on
 * UDP 137 (RFC 1002 §4.2): packets, node status (NBSTAT) requests and answers, and the name tables
 * (opcodes, rcodes, record types, NetBIOS suffix services).
 *
 * @module nbns
 */
export {
  type NetbiosName,
  netbiosName,
  encodeNetbiosName,
  netbiosNameLength,
  firstLevelEncode,
  firstLevelDecode,
  formatNetbiosName,
  ENCODED_NAME_LENGTH,
  MAX_NAME_LENGTH,
} from '../codec/netbios-name.js';
export {
  type NbnsHeader,
  type NbnsQuestion,
  type NbAddressEntry,
  type NodeNameEntry,
  type NodeStatistics,
  type NbRdata,
  type WackRdata,
  type NbstatRdata,
  type ARdata,
  type NsRdata,
  type NullRdata,
  type RawRdata,
  type NbnsRdata,
  type NbnsResourceRecord,
  type NbnsPacket,
  type NodeStatusResponseInit,
  nbnsPacket,
  NBSTAT_STATISTICS_LENGTH,
  WILDCARD_NAME,
  nbFlags,
  nodeNameEntry,
  nbAddressEntry,
  nodeStatusRequest,
  encodeNodeStatusRequest,
  nameQueryRequest,
  nodeStatusResponse,
  zeroStatistics,
  nodeStatusOf,
} from '../codec/nbns.js';
export {
  NbnsOpcode,
  NbnsRcode,
  NbnsRrType,
  NbnsClass,
  NbnsNodeType,
  nbnsOpcodeName,
  nbnsRcodeName,
  nbnsRrTypeName,
  nodeTypeName,
  MSBROWSE_NAME,
  lookupNetbiosService,
  netbiosService,
} from '../codec/netbios-tables.js';
