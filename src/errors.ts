/**
 * Error vocabulary shared by every codec. A decoder either returns a value or throws
 * {@link DecodeError}; nothing else (RangeError, TypeError, assertion) may escape.
 */

/** Why a decoder rejected its input. */
export type DecodeErrorCode =
  /** The input ends before a field that must be there. */
  | 'TRUNCATED'
  /** A length field disagrees with the bytes present or with the structure. */
  | 'BAD_LENGTH'
  /** An offset points outside the message, backwards where forbidden, or is misaligned. */
  | 'BAD_OFFSET'
  /** A field holds a value the spec does not allow (wrong magic, wrong structure size, ...). */
  | 'BAD_VALUE'
  /** A bound the decoder keeps against hostile input was reached (hop count, nesting, count). */
  | 'LIMIT'
  /** Well-formed, but a variant this decoder does not handle. */
  | 'UNSUPPORTED';

/** The protocol (or container format) a decoder was reading when it failed. */
export type Protocol =
  | 'netbios-name'
  | 'nbns'
  | 'nbss'
  | 'smb1'
  | 'smb2'
  | 'spnego'
  | 'der'
  | 'ntlmssp'
  | 'pcap'
  | 'pcapng'
  | 'link'
  | 'ip'
  | 'udp'
  | 'tcp';

/** Malformed or unsupported input, with the place it was found. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  /** Machine-readable reason. */
  readonly code: DecodeErrorCode;
  /** Protocol or format being decoded. */
  readonly protocol: Protocol;
  /** Spec name of the field being read (e.g. `NUM_NAMES`, `SecurityBufferOffset`). */
  readonly field: string;
  /** Byte offset of the field, relative to the buffer the decoder was given. */
  readonly offset: number;

  constructor(code: DecodeErrorCode, protocol: Protocol, field: string, offset: number, detail?: string) {
    super(`${protocol}: ${field} at offset ${offset}: ${detail ?? DEFAULT_DETAIL[code]}`);
    this.code = code;
    this.protocol = protocol;
    this.field = field;
    this.offset = offset;
  }
}

const DEFAULT_DETAIL: Record<DecodeErrorCode, string> = {
  TRUNCATED: 'input ends before the field',
  BAD_LENGTH: 'length does not fit the message',
  BAD_OFFSET: 'offset outside the message',
  BAD_VALUE: 'value not allowed here',
  LIMIT: 'decoder limit reached',
  UNSUPPORTED: 'unsupported variant',
};

/** True when `e` is a {@link DecodeError}, optionally with the given code. */
export function isDecodeError(e: unknown, code?: DecodeErrorCode): e is DecodeError {
  return e instanceof DecodeError && (code === undefined || e.code === code);
}
