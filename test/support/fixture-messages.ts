/**
 * Test-only access to the project's fixture captures (fixtures/*.pcap with the tshark JSON beside
 * them), through the project's own capture reader (src/capture/messages.ts): NBNS datagrams, NBSS
 * messages (TCP reassembled) and the SMB messages they carry. Results are cached per file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMessagesBuffer, type AppMessage, type NbnsDatagram, type NbssCaptureMessage } from '../../src/capture/messages.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export interface FixtureCapture {
  /** File name, e.g. `nt1__smbclient-L.pcap`. */
  name: string;
  /** Path of the capture. */
  pcap: string;
  /** Path of `<name>.tshark.json` when it exists. */
  tsharkJson?: string;
}

/** The .pcap/.pcapng files of `dir` (default fixtures/), sorted by name, with their tshark JSON. */
export function fixtureCaptures(dir = FIXTURES_DIR): FixtureCapture[] {
  if (!existsSync(dir)) return [];
  const out: FixtureCapture[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.pcap(ng)?$/.test(name)) continue;
    const json = join(dir, name.replace(/\.pcap(ng)?$/, '.tshark.json'));
    out.push({ name, pcap: join(dir, name), ...(existsSync(json) ? { tsharkJson: json } : {}) });
  }
  return out;
}

/** Fixture captures that have tshark JSON beside them. */
export function oracleCaptures(dir = FIXTURES_DIR): (FixtureCapture & { tsharkJson: string })[] {
  return fixtureCaptures(dir).filter((c): c is FixtureCapture & { tsharkJson: string } => c.tsharkJson !== undefined);
}

const cache = new Map<string, AppMessage[]>();

/** Every application message of a capture file (NBNS, NBSS, gaps, errors), in the reader's order. */
export function appMessages(file: string): AppMessage[] {
  let list = cache.get(file);
  if (!list) cache.set(file, (list = [...captureMessagesBuffer(readFileSync(file))]));
  return list;
}

/** The NBNS datagrams (UDP 137) of a capture file. */
export function nbnsDatagrams(file: string): NbnsDatagram[] {
  return appMessages(file).filter((m): m is NbnsDatagram => m.kind === 'nbns');
}

/** The NBSS messages (TCP 139 and direct TCP 445, reassembled) of a capture file. */
export function nbssMessages(file: string): NbssCaptureMessage[] {
  return appMessages(file).filter((m): m is NbssCaptureMessage => m.kind === 'nbss');
}

/** `src:port>dst:port` of the direction a stream message flowed in. */
export function directionKey(m: Pick<NbssCaptureMessage, 'client' | 'server' | 'fromServer'>): string {
  const [a, b] = m.fromServer ? [m.server, m.client] : [m.client, m.server];
  return `${a.ip}:${a.port}>${b.ip}:${b.port}`;
}

/** Directions (see {@link directionKey}) in which the reader reported a gap or a stream error. */
export function brokenDirections(file: string): Set<string> {
  const out = new Set<string>();
  for (const m of appMessages(file)) {
    if ((m.kind === 'gap' || m.kind === 'error') && m.client && m.server && m.fromServer !== undefined) out.add(directionKey({ client: m.client, server: m.server, fromServer: m.fromServer }));
  }
  return out;
}

/** One SMB message (the payload of an NBSS session message) with the frame that completed it. */
export interface SmbPayload {
  frame: number;
  fromServer: boolean;
  message: Uint8Array;
}

/** The payloads of the NBSS session messages (type 0x00) of a capture file: SMB1, SMB2 or other. */
export function smbPayloads(file: string): SmbPayload[] {
  return nbssMessages(file)
    .filter((m) => m.type === 0x00)
    .map((m) => ({ frame: m.frame, fromServer: m.fromServer, message: m.payload }));
}
