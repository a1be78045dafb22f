/**
 * smbprobe as a library: pure NetBIOS/SMB codecs, a streaming capture reader, and the decoded
 * message layer that the passive mode builds on. Each protocol family is a namespace so that
 * names from different specs (both SMB1 and SMB2 have a "negotiate request") never collide.
 */
export { DecodeError, isDecodeError, type DecodeErrorCode, type Protocol } from './errors.js';
export type { Codec } from './codec/codec.js';

export * as netbiosName from './codec/netbios-name.js';
export * as netbiosTables from './codec/netbios-tables.js';
export * as nbns from './codec/nbns.js';
export * as nbss from './codec/nbss.js';
export * as smb1 from './codec/smb1/index.js';
export * as smb2 from './codec/smb2/index.js';
export * as spnego from './codec/spnego.js';
export * as ntlmssp from './codec/ntlmssp.js';
export * as der from './codec/der.js';
export { ntStatusName, NtStatus } from './codec/ntstatus.js';

export { CaptureReader, readCaptureBuffer, detectCaptureFormat, type CaptureRecord, type CaptureFormat } from './codec/pcap/capture-reader.js';
export { readCapture, type CaptureSource } from './pcap/file.js';
export { decodeFrame, type DecodedFrame } from './codec/net/frame.js';
export { CaptureDecoder, captureMessages, captureMessagesBuffer, type AppMessage } from './capture/messages.js';
export { MessageDecoder, type DecodedMessage, type MessageMeta } from './passive/decode.js';

export { fingerprint, fingerprintLabel, defaultRules } from './fingerprint/index.js';

export type * from './scan/result.js';
