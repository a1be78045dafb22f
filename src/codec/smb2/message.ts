/**
 * Decode any SMB2 message: dispatch on ProtocolId, Command, the response flag and Status, and
 * split compound chains. Commands this library does not decode come back with their body raw.
 */

import { NtStatus } from '../ntstatus.js';
import { DecodeError } from '../../errors.js';
import { Smb2Command, SMB2_HEADER_SIZE } from './constants.js';
import {
  checkWindow,
  frameKind,
  isResponse,
  openMessage,
  smb2CompressionTransformHeader,
  smb2TransformHeader,
  splitCompound,
  type Smb2CompressionTransformHeader,
  type Smb2Header,
  type Smb2TransformHeader,
} from './header.js';
import { errorResponse, type ErrorResponse } from './error.js';
import { negotiateRequest, negotiateResponse, type NegotiateRequest, type NegotiateResponse } from './negotiate.js';
import {
  sessionSetupRequest,
  sessionSetupResponse,
  type SessionSetupRequest,
  type SessionSetupResponse,
} from './session-setup.js';

/** One decoded SMB2 message, tagged by `kind`: the commands this library decodes, any other command as raw body bytes, or an encrypted/compressed envelope. */
export type Smb2Message =
  | { kind: 'negotiate-request'; header: Smb2Header; body: NegotiateRequest }
  | { kind: 'negotiate-response'; header: Smb2Header; body: NegotiateResponse }
  | { kind: 'session-setup-request'; header: Smb2Header; body: SessionSetupRequest }
  | { kind: 'session-setup-response'; header: Smb2Header; body: SessionSetupResponse }
  | { kind: 'error-response'; header: Smb2Header; body: ErrorResponse }
  /** A command this library does not decode: the body (after the header) as raw bytes. */
  | { kind: 'other'; header: Smb2Header; body: Uint8Array }
  /** TRANSFORM_HEADER (\xFDSMB): an encrypted message; nothing more can be said without keys. */
  | { kind: 'encrypted'; transform: Smb2TransformHeader }
  /** COMPRESSION_TRANSFORM_HEADER (\xFCSMB): a compressed message, not decompressed here. */
  | { kind: 'compressed'; compression: Smb2CompressionTransformHeader };

/** The `kind` tags of {@link Smb2Message}. */
export type Smb2MessageKind = Smb2Message['kind'];

const ERROR_STRUCTURE_SIZE = 9;

/** Options of {@link decodeSmb2Message} and {@link decodeSmb2Messages}. */
export interface Smb2DecodeOptions {
  /**
   * Copy the raw body of a command this library does not decode (kind `other`; default true).
   * With false such a body is an empty array: for callers that read only its header (passive
   * host analysis), so that most messages of a capture cost no copy.
   */
  otherBodies?: boolean;
}

const NO_BODY = new Uint8Array(0);

/**
 * Whether a response with this Command and Status carries an ERROR body rather than the
 * command's own (MS-SMB2 §3.3.4.4): any non-success status except the ones that come with a
 * normal body — STATUS_MORE_PROCESSING_REQUIRED on SESSION_SETUP, STATUS_BUFFER_OVERFLOW on
 * READ/IOCTL/QUERY_INFO — provided the body's StructureSize is 9.
 */
export function isErrorResponse(header: Smb2Header, structureSize: number): boolean {
  if (!isResponse(header) || header.status === NtStatus.STATUS_SUCCESS) return false;
  if (structureSize !== ERROR_STRUCTURE_SIZE) return false;
  if (header.command === Smb2Command.SESSION_SETUP && header.status === NtStatus.STATUS_MORE_PROCESSING_REQUIRED) return false;
  if (
    header.status === NtStatus.STATUS_BUFFER_OVERFLOW &&
    (header.command === Smb2Command.READ || header.command === Smb2Command.IOCTL || header.command === Smb2Command.QUERY_INFO)
  ) {
    return false;
  }
  return true;
}

/**
 * Decode one SMB2 message in `[offset, end)` (one NBSS payload, without its 4-byte header). When
 * the header's NextCommand is set, only the first message of the chain is decoded: use
 * {@link decodeSmb2Messages} for all of them. SMB1 (\xFFSMB) is UNSUPPORTED here.
 */
export function decodeSmb2Message(buf: Uint8Array, offset = 0, end = buf.length, opts?: Smb2DecodeOptions): Smb2Message {
  checkWindow(buf, offset, end, 'ProtocolId');
  if (end - offset < 4) throw new DecodeError('TRUNCATED', 'smb2', 'ProtocolId', 0);
  switch (frameKind(buf, offset)) {
    case 'transform':
      return { kind: 'encrypted', transform: smb2TransformHeader.decode(buf, offset, end) };
    case 'compression':
      return { kind: 'compressed', compression: smb2CompressionTransformHeader.decode(buf, offset, end) };
    case 'smb1':
      throw new DecodeError('UNSUPPORTED', 'smb2', 'ProtocolId', 0, 'an SMB1 message (\\xFFSMB)');
    case 'unknown':
      throw new DecodeError('BAD_VALUE', 'smb2', 'ProtocolId', 0, 'not an SMB2 message');
    case 'smb2':
      break;
  }
  // the body decoders take this header instead of decoding it again
  const { header, body, end: msgEnd } = openMessage(buf, offset, end);
  const structureSize = body.remaining >= 2 ? body.u16le('StructureSize') : -1;
  if (isErrorResponse(header, structureSize)) {
    return { kind: 'error-response', ...errorResponse.decode(buf, offset, msgEnd, header) };
  }
  const response = isResponse(header);
  switch (header.command) {
    case Smb2Command.NEGOTIATE:
      return response
        ? { kind: 'negotiate-response', ...negotiateResponse.decode(buf, offset, msgEnd, header) }
        : { kind: 'negotiate-request', ...negotiateRequest.decode(buf, offset, msgEnd, header) };
    case Smb2Command.SESSION_SETUP:
      return response
        ? { kind: 'session-setup-response', ...sessionSetupResponse.decode(buf, offset, msgEnd, header) }
        : { kind: 'session-setup-request', ...sessionSetupRequest.decode(buf, offset, msgEnd, header) };
    default:
      if (opts?.otherBodies === false) return { kind: 'other', header, body: NO_BODY };
      return { kind: 'other', header, body: new Uint8Array(buf.subarray(offset + SMB2_HEADER_SIZE, msgEnd)) };
  }
}

/**
 * Decode every message of a compound chain (a single message gives an array of one). An
 * encrypted or compressed frame is returned as its only element.
 */
export function decodeSmb2Messages(buf: Uint8Array, offset = 0, end = buf.length, opts?: Smb2DecodeOptions): Smb2Message[] {
  checkWindow(buf, offset, end, 'ProtocolId');
  if (frameKind(buf, offset) !== 'smb2') return [decodeSmb2Message(buf, offset, end, opts)];
  return splitCompound(buf, offset, end).map((s) => decodeSmb2Message(buf, s.offset, s.end, opts));
}
