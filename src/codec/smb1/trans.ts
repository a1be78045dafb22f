/**
 * Transaction family headers: SMB_COM_TRANSACTION (0x25) and _SECONDARY (0x26), TRANSACTION2
 * (0x32) and _SECONDARY (0x33), NT_TRANSACT (0xA0) and _SECONDARY (0xA1) — MS-CIFS §2.2.4.33,
 * §2.2.4.34, §2.2.4.46, §2.2.4.47, §2.2.4.62, §2.2.4.63. Header-level only: counts, offsets,
 * setup words and subcommand, plus bounded views of the parameter and data bytes.
 *
 * MS17-010-era traffic bends these fields on purpose, so the decoder does not reject odd values:
 * an offset/count pair outside the message gives a null view and an entry in `anomalies`.
 * Only a broken frame (header, WordCount, ByteCount) is a DecodeError.
 */

import type { Codec } from '../codec.js';
import { placeEncoded } from '../codec.js';
import { ByteReader } from '../reader.js';
import {
  MailslotSubcommand,
  nameOf,
  SMB1_HEADER_SIZE,
  Smb1Command,
  Smb1Flags,
  Smb1Flags2,
  NtTransactFunction,
  Trans2Subcommand,
  TransSubcommand,
} from './constants.js';
import { decodeSmb1Frame, encodeSmb1Frame, type Smb1Header } from './header.js';
import { readSmbString, Writer } from './wire.js';

/** Which parameter-block layout the message has. */
export type Smb1TransLayout =
  /** TRANSACTION / TRANSACTION2 request, WordCount 14 + SetupCount. */
  | 'trans-request'
  /** TRANSACTION / TRANSACTION2 response, WordCount 10 + SetupCount. */
  | 'trans-response'
  /** TRANSACTION_SECONDARY request, WordCount 8. */
  | 'trans-secondary'
  /** TRANSACTION2_SECONDARY request, WordCount 9 (adds FID). */
  | 'trans2-secondary'
  /** NT_TRANSACT request, WordCount 19 + SetupCount. */
  | 'nt-request'
  /** NT_TRANSACT response, WordCount 18 + SetupCount. */
  | 'nt-response'
  /** NT_TRANSACT_SECONDARY request, WordCount 18. */
  | 'nt-secondary'
  /** Too few words for the layout (WordCount 0 in error and interim answers): raw words only. */
  | 'raw';

/** A transaction-family message: the parameter words by name, the SMB_Data bytes raw. */
export interface Smb1Trans {
  header: Smb1Header;
  layout: Smb1TransLayout;
  /** WordCount (smb.wct). */
  wordCount: number;
  /** TotalParameterCount (smb.tpc). */
  totalParameterCount: number;
  /** TotalDataCount (smb.tdc). */
  totalDataCount: number;
  /** MaxParameterCount (smb.mpc), requests. */
  maxParameterCount?: number;
  /** MaxDataCount (smb.mdc), requests. */
  maxDataCount?: number;
  /** MaxSetupCount (smb.msc), requests. */
  maxSetupCount?: number;
  /** Flags (smb.transaction.flags), TRANSACTION/TRANSACTION2 requests. */
  flags?: number;
  /** Timeout (smb.timeout), TRANSACTION/TRANSACTION2 requests. */
  timeout?: number;
  /** ParameterCount (smb.pc). */
  parameterCount: number;
  /** ParameterOffset (smb.po), from the SMB header start. */
  parameterOffset: number;
  /** ParameterDisplacement (smb.pd), responses and secondaries. */
  parameterDisplacement?: number;
  /** DataCount (smb.dc). */
  dataCount: number;
  /** DataOffset (smb.do), from the SMB header start. */
  dataOffset: number;
  /** DataDisplacement (smb.dd), responses and secondaries. */
  dataDisplacement?: number;
  /** SetupCount (smb.sc) as sent; may disagree with `setup.length`. */
  setupCount?: number;
  /** The words after the fixed fields (the Setup words; nothing for secondaries unless padded). */
  setup: number[];
  /** FID (smb.fid), TRANSACTION2_SECONDARY. */
  fid?: number;
  /** Function (smb.nt.function), NT_TRANSACT request. */
  function?: number;
  functionName?: string;
  /** Setup[0] of a TRANSACTION/TRANSACTION2 request (smb.trans2.cmd for TRANSACTION2). */
  subcommand?: number;
  subcommandName?: string;
  /** Name (smb.trans_name), TRANSACTION requests (`\PIPE\`, `\MAILSLOT\BROWSE`). */
  name?: string;
  /** Reserved fields as sent (Reserved1, Reserved2, Reserved3), for exact re-encoding. */
  reserved: number[];
  /** Parameter bytes, or null when ParameterOffset/Count fall outside the message. */
  parameters: Uint8Array | null;
  /** Data bytes, or null when DataOffset/Count fall outside the message. */
  data: Uint8Array | null;
  /** What looked wrong: out-of-bounds offsets, SetupCount disagreeing with WordCount. */
  anomalies: string[];
  /** Raw parameter words when layout is 'raw'. */
  words?: Uint8Array;
  /** SMB_Data bytes, raw (what `encode` writes after ByteCount). */
  bytes: Uint8Array;
}

const TRANS_COMMANDS: ReadonlySet<number> = new Set([
  Smb1Command.TRANSACTION,
  Smb1Command.TRANSACTION_SECONDARY,
  Smb1Command.TRANSACTION2,
  Smb1Command.TRANSACTION2_SECONDARY,
  Smb1Command.NT_TRANSACT,
  Smb1Command.NT_TRANSACT_SECONDARY,
]);

/** True for the six transaction-family commands. */
export function isTransCommand(command: number): boolean {
  return TRANS_COMMANDS.has(command);
}

/** The layout for a command, direction and WordCount. */
function layoutOf(command: number, reply: boolean, wc: number): Smb1TransLayout {
  switch (command) {
    case Smb1Command.TRANSACTION:
    case Smb1Command.TRANSACTION2:
      if (reply) return wc >= 10 ? 'trans-response' : 'raw';
      return wc >= 14 ? 'trans-request' : 'raw';
    case Smb1Command.TRANSACTION_SECONDARY:
      return wc >= 8 ? 'trans-secondary' : 'raw';
    case Smb1Command.TRANSACTION2_SECONDARY:
      return wc >= 9 ? 'trans2-secondary' : 'raw';
    case Smb1Command.NT_TRANSACT:
      if (reply) return wc >= 18 ? 'nt-response' : 'raw';
      return wc >= 19 ? 'nt-request' : 'raw';
    case Smb1Command.NT_TRANSACT_SECONDARY:
      return wc >= 18 ? 'nt-secondary' : 'raw';
    default:
      return 'raw';
  }
}

/** Words (u16 count) of the fixed part of each layout. */
const FIXED_WORDS: Record<Smb1TransLayout, number> = {
  'trans-request': 14,
  'trans-response': 10,
  'trans-secondary': 8,
  'trans2-secondary': 9,
  'nt-request': 19,
  'nt-response': 18,
  'nt-secondary': 18,
  raw: 0,
};

/** A transaction message; `decoded`: these bytes' header, already decoded (see decodeSmb1Frame). */
export function decodeSmb1Trans(buf: Uint8Array, offset = 0, end = buf.length, decoded?: Smb1Header): Smb1Trans {
  const { header, block } = decodeSmb1Frame(buf, offset, end, decoded);
  const reply = (header.flags & Smb1Flags.REPLY) !== 0;
  const layout = layoutOf(header.command, reply, block.wordCount);
  const p = new ByteReader(buf, 'smb1', offset + block.offset + 1, offset + block.bytesOffset - 2, offset);
  const v: Smb1Trans = {
    header,
    layout,
    wordCount: block.wordCount,
    totalParameterCount: 0,
    totalDataCount: 0,
    parameterCount: 0,
    parameterOffset: 0,
    dataCount: 0,
    dataOffset: 0,
    setup: [],
    reserved: [],
    parameters: null,
    data: null,
    anomalies: [],
    bytes: block.bytes,
  };
  switch (layout) {
    case 'raw':
      v.words = block.words;
      v.parameters = new Uint8Array(0);
      v.data = new Uint8Array(0);
      return v;
    case 'trans-request':
      v.totalParameterCount = p.u16le('TotalParameterCount');
      v.totalDataCount = p.u16le('TotalDataCount');
      v.maxParameterCount = p.u16le('MaxParameterCount');
      v.maxDataCount = p.u16le('MaxDataCount');
      v.maxSetupCount = p.u8('MaxSetupCount');
      v.reserved.push(p.u8('Reserved1'));
      v.flags = p.u16le('Flags');
      v.timeout = p.u32le('Timeout');
      v.reserved.push(p.u16le('Reserved2'));
      v.parameterCount = p.u16le('ParameterCount');
      v.parameterOffset = p.u16le('ParameterOffset');
      v.dataCount = p.u16le('DataCount');
      v.dataOffset = p.u16le('DataOffset');
      v.setupCount = p.u8('SetupCount');
      v.reserved.push(p.u8('Reserved3'));
      break;
    case 'trans-response':
      v.totalParameterCount = p.u16le('TotalParameterCount');
      v.totalDataCount = p.u16le('TotalDataCount');
      v.reserved.push(p.u16le('Reserved1'));
      v.parameterCount = p.u16le('ParameterCount');
      v.parameterOffset = p.u16le('ParameterOffset');
      v.parameterDisplacement = p.u16le('ParameterDisplacement');
      v.dataCount = p.u16le('DataCount');
      v.dataOffset = p.u16le('DataOffset');
      v.dataDisplacement = p.u16le('DataDisplacement');
      v.setupCount = p.u8('SetupCount');
      v.reserved.push(p.u8('Reserved2'));
      break;
    case 'trans-secondary':
    case 'trans2-secondary':
      v.totalParameterCount = p.u16le('TotalParameterCount');
      v.totalDataCount = p.u16le('TotalDataCount');
      v.parameterCount = p.u16le('ParameterCount');
      v.parameterOffset = p.u16le('ParameterOffset');
      v.parameterDisplacement = p.u16le('ParameterDisplacement');
      v.dataCount = p.u16le('DataCount');
      v.dataOffset = p.u16le('DataOffset');
      v.dataDisplacement = p.u16le('DataDisplacement');
      if (layout === 'trans2-secondary') v.fid = p.u16le('FID');
      break;
    case 'nt-request':
      v.maxSetupCount = p.u8('MaxSetupCount');
      v.reserved.push(p.u16le('Reserved1'));
      v.totalParameterCount = p.u32le('TotalParameterCount');
      v.totalDataCount = p.u32le('TotalDataCount');
      v.maxParameterCount = p.u32le('MaxParameterCount');
      v.maxDataCount = p.u32le('MaxDataCount');
      v.parameterCount = p.u32le('ParameterCount');
      v.parameterOffset = p.u32le('ParameterOffset');
      v.dataCount = p.u32le('DataCount');
      v.dataOffset = p.u32le('DataOffset');
      v.setupCount = p.u8('SetupCount');
      v.function = p.u16le('Function');
      break;
    case 'nt-response':
    case 'nt-secondary': {
      const r1 = p.u8('Reserved1') | (p.u16le('Reserved1') << 8);
      v.reserved.push(r1);
      v.totalParameterCount = p.u32le('TotalParameterCount');
      v.totalDataCount = p.u32le('TotalDataCount');
      v.parameterCount = p.u32le('ParameterCount');
      v.parameterOffset = p.u32le('ParameterOffset');
      v.parameterDisplacement = p.u32le('ParameterDisplacement');
      v.dataCount = p.u32le('DataCount');
      v.dataOffset = p.u32le('DataOffset');
      v.dataDisplacement = p.u32le('DataDisplacement');
      if (layout === 'nt-response') v.setupCount = p.u8('SetupCount');
      else v.reserved.push(p.u8('Reserved2'));
      break;
    }
  }
  // whatever words follow the fixed part: the Setup words
  while (p.remaining >= 2) v.setup.push(p.u16le('Setup'));
  if (v.setupCount !== undefined && v.setupCount !== v.setup.length) {
    v.anomalies.push(`SetupCount ${v.setupCount} but ${v.setup.length} setup words`);
  }

  const msgLen = end - offset;
  const view = (field: string, off: number, count: number): Uint8Array | null => {
    if (count === 0) return new Uint8Array(0);
    if (off > msgLen || count > msgLen - off) {
      v.anomalies.push(`${field} ${off}+${count} outside the ${msgLen}-byte message`);
      return null;
    }
    if (off < SMB1_HEADER_SIZE) v.anomalies.push(`${field} ${off} points into the header`);
    return buf.subarray(offset + off, offset + off + count);
  };
  v.parameters = view('ParameterOffset', v.parameterOffset, v.parameterCount);
  v.data = view('DataOffset', v.dataOffset, v.dataCount);

  if (layout === 'trans-request') {
    const sub = v.setup[0];
    if (header.command === Smb1Command.TRANSACTION) {
      const d = new ByteReader(buf, 'smb1', offset + block.bytesOffset, offset + block.end, offset);
      const name = readSmbString(d, (header.flags2 & Smb1Flags2.UNICODE) !== 0);
      if (name !== undefined) v.name = name;
      if (sub !== undefined) {
        v.subcommand = sub;
        const table = name?.toUpperCase().startsWith('\\MAILSLOT\\') ? MailslotSubcommand : TransSubcommand;
        const n = nameOf(table as Record<string, number>, sub);
        if (n !== undefined) v.subcommandName = n;
      }
    } else if (sub !== undefined) {
      v.subcommand = sub;
      const n = nameOf(Trans2Subcommand, sub);
      if (n !== undefined) v.subcommandName = n;
    }
  }
  if (v.function !== undefined) {
    const n = nameOf(NtTransactFunction, v.function);
    if (n !== undefined) v.functionName = n;
  }
  return v;
}

function encodeTrans(v: Smb1Trans): Uint8Array {
  const p = new Writer(SMB1_HEADER_SIZE + 1);
  const r = (i: number): number => v.reserved[i] ?? 0;
  switch (v.layout) {
    case 'raw':
      return encodeSmb1Frame(v.header, v.words ?? new Uint8Array(0), (w) => w.bytes(v.bytes));
    case 'trans-request':
      p.u16(v.totalParameterCount).u16(v.totalDataCount).u16(v.maxParameterCount ?? 0).u16(v.maxDataCount ?? 0)
        .u8(v.maxSetupCount ?? 0).u8(r(0)).u16(v.flags ?? 0).u32(v.timeout ?? 0).u16(r(1))
        .u16(v.parameterCount).u16(v.parameterOffset).u16(v.dataCount).u16(v.dataOffset)
        .u8(v.setupCount ?? v.setup.length).u8(r(2));
      break;
    case 'trans-response':
      p.u16(v.totalParameterCount).u16(v.totalDataCount).u16(r(0))
        .u16(v.parameterCount).u16(v.parameterOffset).u16(v.parameterDisplacement ?? 0)
        .u16(v.dataCount).u16(v.dataOffset).u16(v.dataDisplacement ?? 0)
        .u8(v.setupCount ?? v.setup.length).u8(r(1));
      break;
    case 'trans-secondary':
    case 'trans2-secondary':
      p.u16(v.totalParameterCount).u16(v.totalDataCount)
        .u16(v.parameterCount).u16(v.parameterOffset).u16(v.parameterDisplacement ?? 0)
        .u16(v.dataCount).u16(v.dataOffset).u16(v.dataDisplacement ?? 0);
      if (v.layout === 'trans2-secondary') p.u16(v.fid ?? 0);
      break;
    case 'nt-request':
      p.u8(v.maxSetupCount ?? 0).u16(r(0)).u32(v.totalParameterCount).u32(v.totalDataCount)
        .u32(v.maxParameterCount ?? 0).u32(v.maxDataCount ?? 0)
        .u32(v.parameterCount).u32(v.parameterOffset).u32(v.dataCount).u32(v.dataOffset)
        .u8(v.setupCount ?? v.setup.length).u16(v.function ?? 0);
      break;
    case 'nt-response':
    case 'nt-secondary':
      p.u8(r(0) & 0xff).u16(r(0) >>> 8).u32(v.totalParameterCount).u32(v.totalDataCount)
        .u32(v.parameterCount).u32(v.parameterOffset).u32(v.parameterDisplacement ?? 0)
        .u32(v.dataCount).u32(v.dataOffset).u32(v.dataDisplacement ?? 0);
      if (v.layout === 'nt-response') p.u8(v.setupCount ?? v.setup.length);
      else p.u8(r(1));
      break;
  }
  for (const s of v.setup) p.u16(s);
  return encodeSmb1Frame(v.header, p.finish(), (w) => w.bytes(v.bytes));
}

/** Number of parameter words `encode` writes for a layout (before Setup). */
export function transFixedWords(layout: Smb1TransLayout): number {
  return FIXED_WORDS[layout];
}

/**
 * Codec for the transaction family. `encode` writes the named fields and `setup` as the
 * parameter words (raw `words` for layout 'raw') and `bytes` as SMB_Data; `parameters`, `data`,
 * `name`, names and `anomalies` are decoded views and are ignored.
 */
export const smb1Trans: Codec<Smb1Trans> = {
  encode: (v, buf, offset) => placeEncoded(encodeTrans(v), buf, offset),
  decode: (buf, offset, end) => decodeSmb1Trans(buf, offset, end),
  encodingLength: (v) => encodeTrans(v).length,
};
