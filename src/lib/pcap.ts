/**
 * `smbprobe/pcap`: captures, offline. Read pcap and pcapng files or streams in flat memory, decode
 * frames down to UDP/TCP, reassemble NetBIOS/SMB streams into application messages, decode those
 * into protocol messages, and build host results from them (passive mode).
 *
 * @module pcap
 */
export { type CaptureRecord, type CaptureFormat, CaptureReader, readCaptureBuffer, detectCaptureFormat } from '../codec/pcap/capture-reader.js';
export { type CaptureSource, type ReadCaptureOptions, readCapture, readCaptureFile } from '../pcap/file.js';
export { type DecodedFrame, decodeFrame } from '../codec/net/frame.js';
export {
  type Endpoint,
  type NbnsDatagram,
  type NbssCaptureMessage,
  type CaptureGap,
  type CaptureError,
  type AppMessage,
  type CaptureDecoderOptions,
  type CaptureDecoderStats,
  CaptureDecoder,
  captureMessages,
  captureMessagesBuffer,
} from '../capture/messages.js';
export {
  type MessageMeta,
  type AuthInfo,
  type Smb1Body,
  type DecodedMessage,
  type DecodeErrorFacts,
  MessageDecoder,
} from '../passive/decode.js';
export {
  type PassiveEvent,
  type PassiveStats,
  type CaptureStop,
  type PassiveAnalyzerOptions,
  type AnalyzeOptions,
  type AnalyzeResult,
  analyzeCapture,
  analyzeMessages,
} from '../passive/analyze.js';
export { type HostBuilderOptions, HostBuilder } from '../passive/hosts.js';
