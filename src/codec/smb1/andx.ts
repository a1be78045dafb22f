/**
 * AndX chaining (MS-CIFS §2.2.3.4): an AndX command's Words start with AndXCommand, AndXReserved
 * and AndXOffset, the offset from the SMB header start of the next command's WordCount.
 */

import { DecodeError } from '../../errors.js';
import { ANDX_COMMANDS, SMB1_HEADER_SIZE, Smb1Command, smb1CommandName } from './constants.js';
import { decodeSmb1Block, decodeSmb1Frame, type Smb1Block, type Smb1Header } from './header.js';

/** The AndX header at the start of an AndX command's Words. */
export interface Smb1AndX {
  /** AndXCommand (smb.cmd of the next command; 0xFF = none). */
  command: number;
  /** AndXReserved. */
  reserved: number;
  /** AndXOffset (smb.andxoffset), from the SMB header start. */
  offset: number;
}

/** No following command: AndXCommand 0xFF, offset 0. */
export const NO_ANDX: Smb1AndX = { command: Smb1Command.NO_ANDX_COMMAND, reserved: 0, offset: 0 };

/** One command of a chain. */
export interface Smb1ChainLink {
  command: number;
  commandName: string;
  block: Smb1Block;
  /** Present when the command is an AndX command with at least two words. */
  andx?: Smb1AndX;
}

/** Most links a chain may have (MS-CIFS allows no fixed maximum; real chains have 2-3). */
export const MAX_ANDX_CHAIN = 16;

/** Read the AndX header from the first 4 bytes of `words`. */
export function readAndX(words: Uint8Array): Smb1AndX | undefined {
  if (words.length < 4) return undefined;
  return { command: words[0]!, reserved: words[1]!, offset: words[2]! | (words[3]! << 8) };
}

/**
 * Walk the AndX chain of the message at `offset`: the header's command first, then each
 * AndXCommand at its AndXOffset. Offsets must move strictly forward (BAD_OFFSET otherwise) and
 * the chain is capped at `maxLinks` (LIMIT). A command with fewer than two words (an error reply)
 * ends the chain.
 */
export function walkAndXChain(
  buf: Uint8Array,
  offset = 0,
  end = buf.length,
  maxLinks = MAX_ANDX_CHAIN,
): { header: Smb1Header; links: Smb1ChainLink[] } {
  const { header, block } = decodeSmb1Frame(buf, offset, end);
  const links: Smb1ChainLink[] = [];
  let command = header.command;
  let cur = block;
  for (;;) {
    const link: Smb1ChainLink = { command, commandName: smb1CommandName(command), block: cur };
    links.push(link);
    if (!ANDX_COMMANDS.has(command)) break;
    const andx = readAndX(cur.words);
    if (!andx) break;
    link.andx = andx;
    if (andx.command === Smb1Command.NO_ANDX_COMMAND) break;
    if (links.length >= maxLinks) throw new DecodeError('LIMIT', 'smb1', 'AndXCommand', cur.offset + 1, `more than ${maxLinks} chained commands`);
    if (andx.offset <= cur.offset || andx.offset < SMB1_HEADER_SIZE) {
      throw new DecodeError('BAD_OFFSET', 'smb1', 'AndXOffset', cur.offset + 3, `AndXOffset ${andx.offset} does not move forward`);
    }
    cur = decodeSmb1Block(buf, offset, andx.offset, end);
    command = andx.command;
  }
  return { header, links };
}
