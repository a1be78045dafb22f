/**
 * NetBIOS Session Service (RFC 1002 §4.3) on TCP 139, and the direct-TCP framing of SMB on 445
 * (MS-SMB2 §2.1): a stream framer and a codec for one session-service message.
 */
import { DecodeError } from '../errors.js';
import type { Codec } from './codec.js';
import { placeEncoded } from './codec.js';
import { ByteReader } from './reader.js';
import { type NetbiosName, encodeNetbiosName, netbiosNameLength, readNetbiosName } from './netbios-name.js';
import { NbssType } from './netbios-tables.js';

/** 'nbss' = port 139 (17-bit length: 16 bits + the E flag); 'direct' = port 445 (24-bit length, type 0x00 only). */
export type NbssTransport = 'nbss' | 'direct';

/** One framed message: the 4-byte header's fields and the payload after it. */
export interface NbssFrame {
  /** TYPE (byte 0). Always 0x00 on 'direct'. */
  type: number;
  /** FLAGS (byte 1) on 'nbss' (only the E bit, 0x01, may be set). Always 0 on 'direct', where that byte is length. */
  flags: number;
  /** LENGTH of the payload (17 bits on 'nbss', 24 bits on 'direct'). */
  length: number;
  /** The `length` payload bytes after the header. */
  payload: Uint8Array;
  /** Stream offset of the 4-byte header since the framer started. */
  offset: number;
}

/** Header size of both framings. */
export const NBSS_HEADER_LENGTH = 4;
/** Largest length each framing can express. */
export const NBSS_MAX_LENGTH: Readonly<Record<NbssTransport, number>> = { nbss: 0x1ffff, direct: 0xffffff };

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(NbssType));

/** nbssHeaderLength's refusals (a length is never negative). */
const REFUSED_TYPE = -1;
const REFUSED_FLAGS = -2;
const REFUSED_LENGTH = -3;

/** The LENGTH a header announces: 24 bits on direct TCP (MS-SMB2 §2.1), 17 with the E bit on 139. */
const announcedLength = (b1: number, b2: number, b3: number, transport: NbssTransport): number =>
  (transport === 'direct' ? b1 : b1 & 1) * 0x10000 + (b2 << 8) + b3;

/**
 * The length the 4-byte header b0..b3 announces, or a negative number when the header is
 * refused: a non-zero type on direct TCP (MS-SMB2 §2.1), an unknown type or reserved FLAGS bits
 * (RFC 1002 §4.3.1, only E may be set), a length above `max`. The header rules, written once:
 * the framer throws on a refusal, a caller that frames whole messages in place stops at one.
 */
export function nbssHeaderLength(b0: number, b1: number, b2: number, b3: number, transport: NbssTransport, max: number): number {
  if (transport === 'direct' ? b0 !== 0 : !KNOWN_TYPES.has(b0)) return REFUSED_TYPE;
  if (transport === 'nbss' && (b1 & 0xfe) !== 0) return REFUSED_FLAGS;
  const length = announcedLength(b1, b2, b3, transport);
  return length > max ? REFUSED_LENGTH : length;
}

/**
 * Checks a 4-byte header and returns [type, flags, length]. Throws BAD_VALUE on an unknown type,
 * reserved flag bits or a non-zero type on 'direct'; LIMIT when the length exceeds `max`.
 * `at` is the offset reported in errors.
 */
function parseHeader(b0: number, b1: number, b2: number, b3: number, transport: NbssTransport, max: number, at: number): [number, number, number] {
  const length = nbssHeaderLength(b0, b1, b2, b3, transport, max);
  if (length >= 0) return [b0, transport === 'direct' ? 0 : b1, length];
  if (length === REFUSED_TYPE) {
    throw transport === 'direct'
      ? new DecodeError('BAD_VALUE', 'nbss', 'Zero', at, `type 0x${b0.toString(16)} on direct TCP (only 0x00 allowed)`)
      : new DecodeError('BAD_VALUE', 'nbss', 'TYPE', at, `unknown session packet type 0x${b0.toString(16)}`);
  }
  if (length === REFUSED_FLAGS) throw new DecodeError('BAD_VALUE', 'nbss', 'FLAGS', at + 1, `reserved flag bits set (0x${b1.toString(16)})`);
  throw new DecodeError('LIMIT', 'nbss', 'LENGTH', at + 1, `message length ${announcedLength(b1, b2, b3, transport)} above the cap ${max}`);
}

/**
 * Incremental framer for a TCP byte stream. `push` keeps a reference to each chunk (the caller
 * must not reuse it); `next` returns a message when one is complete, `undefined` when more bytes
 * are needed, and throws DecodeError on a bad header (the stream cannot be resynchronised: drop it).
 * A message lying in one chunk is returned as a subarray of it; one spanning chunks is copied once.
 */
export class NbssFramer {
  readonly transport: NbssTransport;
  readonly maxMessage: number;
  /** Pending chunks; `chunks[head]` is read from `headPos`. */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private headPos = 0;
  private held = 0;
  /** Stream offset of the next unread byte. */
  private streamPos = 0;
  /** chunks[viewsFrom..] may be the caller's views (see detach). */
  private viewsFrom = 0;

  constructor(transport: NbssTransport, opts?: { maxMessage?: number }) {
    if (transport !== 'nbss' && transport !== 'direct') throw new TypeError(`unknown NBSS transport ${String(transport)}`);
    this.transport = transport;
    const cap = NBSS_MAX_LENGTH[transport];
    const max = opts?.maxMessage ?? cap;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`maxMessage must be a non-negative integer, got ${max}`);
    this.maxMessage = Math.min(max, cap);
  }

  /** Bytes held (pushed and not yet returned by `next`). */
  get buffered(): number {
    return this.held;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.held += chunk.length;
  }

  next(): NbssFrame | undefined {
    if (this.held < NBSS_HEADER_LENGTH) return undefined;
    const [type, flags, length] = parseHeader(this.peek(0), this.peek(1), this.peek(2), this.peek(3), this.transport, this.maxMessage, this.streamPos);
    const total = NBSS_HEADER_LENGTH + length;
    if (this.held < total) return undefined;

    const offset = this.streamPos;
    const first = this.chunks[this.head]!;
    let payload: Uint8Array;
    if (first.length - this.headPos >= total) {
      payload = first.subarray(this.headPos + NBSS_HEADER_LENGTH, this.headPos + total);
      this.consume(total);
    } else {
      this.consume(NBSS_HEADER_LENGTH);
      payload = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const c = this.chunks[this.head]!;
        const n = Math.min(c.length - this.headPos, length - filled);
        payload.set(c.subarray(this.headPos, this.headPos + n), filled);
        filled += n;
        this.consume(n);
      }
    }
    return { type, flags, length, payload, offset };
  }

  /**
   * Copy the held bytes that are still views of what the caller pushed into private memory, so the
   * framer keeps no reference to the caller's (possibly large) buffers. Each byte is copied once.
   */
  detach(): void {
    for (let k = Math.max(this.head, this.viewsFrom); k < this.chunks.length; k++) {
      const from = k === this.head ? this.headPos : 0;
      const c = this.chunks[k]!;
      const copy = new Uint8Array(c.length - from);
      copy.set(c.subarray(from));
      this.chunks[k] = copy;
      if (k === this.head) this.headPos = 0;
    }
    this.viewsFrom = this.chunks.length;
  }

  /** Byte `i` past the read position (i < held). */
  private peek(i: number): number {
    let k = this.head;
    let pos = this.headPos + i;
    for (;;) {
      const c = this.chunks[k]!;
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
      k++;
    }
  }

  /** Drop `n` held bytes from the front (n ≤ held). */
  private consume(n: number): void {
    this.held -= n;
    this.streamPos += n;
    let left = n;
    while (left > 0) {
      const c = this.chunks[this.head]!;
      const avail = c.length - this.headPos;
      if (left < avail) {
        this.headPos += left;
        left = 0;
      } else {
        left -= avail;
        this.head++;
        this.headPos = 0;
      }
    }
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
      this.viewsFrom = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      // compact now and then so the array does not grow with the stream
      this.chunks = this.chunks.slice(this.head);
      this.viewsFrom = Math.max(0, this.viewsFrom - this.head);
      this.head = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

/** SESSION MESSAGE (0x00): the payload (an SMB message) as a view of the input. */
export interface NbssSessionMessage {
  type: 0x00;
  payload: Uint8Array;
}
/** SESSION REQUEST (0x81): CALLED NAME and CALLING NAME, first-level encoded, never compressed. */
export interface NbssSessionRequest {
  type: 0x81;
  calledName: NetbiosName;
  callingName: NetbiosName;
}
/** POSITIVE SESSION RESPONSE (0x82). */
export interface NbssPositiveResponse {
  type: 0x82;
}
/** NEGATIVE SESSION RESPONSE (0x83) with its ERROR_CODE (names in NbssErrorCode). */
export interface NbssNegativeResponse {
  type: 0x83;
  errorCode: number;
}
/** SESSION RETARGET RESPONSE (0x84): RETARGET_IP_ADDRESS (dotted quad) and PORT. */
export interface NbssRetargetResponse {
  type: 0x84;
  retargetIpAddress: string;
  port: number;
}
/** SESSION KEEP ALIVE (0x85). */
export interface NbssKeepAlive {
  type: 0x85;
}

/** One session-service message, tagged by `kind` (RFC 1002 §4.3.1–4.3.7). */
export type NbssMessage =
  | NbssSessionMessage
  | NbssSessionRequest
  | NbssPositiveResponse
  | NbssNegativeResponse
  | NbssRetargetResponse
  | NbssKeepAlive;

function bodyLength(m: NbssMessage): number {
  switch (m.type) {
    case 0x00:
      return m.payload.length;
    case 0x81:
      return netbiosNameLength(m.calledName) + netbiosNameLength(m.callingName);
    case 0x82:
    case 0x85:
      return 0;
    case 0x83:
      return 1;
    case 0x84:
      return 6;
  }
}

function ipv4Bytes(s: string): number[] {
  const parts = s.split('.');
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (out.length !== 4 || out.some((n) => !(n >= 0 && n <= 255))) throw new TypeError(`not an IPv4 address: ${s}`);
  return out;
}

/** Decode a message body of the given type from `r` (exactly its remaining bytes). */
function decodeBody(type: number, r: ByteReader): NbssMessage {
  const len = r.remaining;
  const exact = (n: number, field: string): void => {
    if (len !== n) throw r.error('BAD_LENGTH', field, `type 0x${type.toString(16)} needs length ${n}, got ${len}`, r.offset - NBSS_HEADER_LENGTH + 1);
  };
  switch (type) {
    case 0x00:
      return { type: 0x00, payload: r.bytes(len, 'payload') };
    case 0x81: {
      const calledName = readNetbiosName(r, { allowPointers: false, field: 'CALLED_NAME' });
      const callingName = readNetbiosName(r, { allowPointers: false, field: 'CALLING_NAME' });
      if (r.remaining !== 0) throw r.error('BAD_LENGTH', 'LENGTH', `${r.remaining} bytes after CALLING_NAME`);
      return { type: 0x81, calledName, callingName };
    }
    case 0x82:
      exact(0, 'LENGTH');
      return { type: 0x82 };
    case 0x83:
      exact(1, 'LENGTH');
      return { type: 0x83, errorCode: r.u8('ERROR_CODE') };
    case 0x84: {
      exact(6, 'LENGTH');
      const ip = r.bytes(4, 'RETARGET_IP_ADDRESS');
      return { type: 0x84, retargetIpAddress: `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`, port: r.u16be('PORT') };
    }
    case 0x85:
      exact(0, 'LENGTH');
      return { type: 0x85 };
    default:
      throw r.error('BAD_VALUE', 'TYPE', `unknown session packet type 0x${type.toString(16)}`);
  }
}

/** The message carried by a frame from {@link NbssFramer}; throws DecodeError like the codec. */
export function nbssMessageFromFrame(frame: NbssFrame, transport: NbssTransport): NbssMessage {
  if (transport === 'direct' && frame.type !== 0) throw new DecodeError('BAD_VALUE', 'nbss', 'Zero', 0);
  return decodeBody(frame.type, new ByteReader(frame.payload, 'nbss', 0, frame.payload.length, -NBSS_HEADER_LENGTH));
}

/**
 * Codec of one whole message (4-byte header + body). `decode` reads the message at `offset` and
 * ignores what follows it (use {@link NbssFramer} to split a stream); on 'direct' only type 0x00.
 */
export function nbssMessage(transport: NbssTransport): Codec<NbssMessage> {
  const max = NBSS_MAX_LENGTH[transport];
  const codec: Codec<NbssMessage> = {
    encodingLength(m) {
      return NBSS_HEADER_LENGTH + bodyLength(m);
    },
    encode(m, buf, offset = 0) {
      if (transport === 'direct' && m.type !== 0x00) throw new TypeError('direct TCP carries only session messages (type 0x00)');
      const len = bodyLength(m);
      if (len > max) throw new RangeError(`NBSS ${transport} length ${len} above ${max}`);
      const out = new Uint8Array(NBSS_HEADER_LENGTH + len);
      out[0] = m.type;
      if (transport === 'direct') out[1] = (len >>> 16) & 0xff;
      else out[1] = (len >>> 16) & 1; // E bit
      out[2] = (len >>> 8) & 0xff;
      out[3] = len & 0xff;
      switch (m.type) {
        case 0x00:
          out.set(m.payload, 4);
          break;
        case 0x81: {
          const called = encodeNetbiosName(m.calledName);
          out.set(called, 4);
          out.set(encodeNetbiosName(m.callingName), 4 + called.length);
          break;
        }
        case 0x83:
          if (!Number.isInteger(m.errorCode) || m.errorCode < 0 || m.errorCode > 0xff) throw new RangeError(`ERROR_CODE ${m.errorCode}`);
          out[4] = m.errorCode;
          break;
        case 0x84: {
          out.set(ipv4Bytes(m.retargetIpAddress), 4);
          if (!Number.isInteger(m.port) || m.port < 0 || m.port > 0xffff) throw new RangeError(`PORT ${m.port}`);
          out[8] = m.port >>> 8;
          out[9] = m.port & 0xff;
          break;
        }
        default:
          break;
      }
      return placeEncoded(out, buf, offset);
    },
    decode(buf, offset = 0, end = buf.length) {
      const r = new ByteReader(buf, 'nbss', offset, end);
      const h = r.bytes(NBSS_HEADER_LENGTH, 'header');
      const [type, , length] = parseHeader(h[0]!, h[1]!, h[2]!, h[3]!, transport, max, 0);
      return decodeBody(type, r.sub(length, transport === 'direct' ? 'StreamProtocolLength' : 'LENGTH'));
    },
  };
  return codec;
}
