import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One frame of tshark's JSON, flattened: field name → every value it has in the frame, in order. */
export type FrameFields = Map<string, string[]>;

/** The display filter used for every oracle run: what smbprobe decodes. */
export const ORACLE_FILTER = 'nbns || nbss || smb || smb2';

/** True when a usable tshark is on PATH. */
export function haveTshark(): boolean {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Run tshark over `file` (JSON with raw bytes, repeated fields kept) and flatten it. */
export function tsharkFrames(file: string, filter = ORACLE_FILTER): Map<number, FrameFields> {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-n', '-Y', filter, '-T', 'json', '-x', '--no-duplicate-keys',
      // reassemble NBSS/SMB over TCP like smbprobe does, and never guess protocols on other ports
      '-o', 'tcp.desegment_tcp_streams:TRUE', '-o', 'nbss.desegment_nbss_commands:TRUE'],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return flattenTsharkJson(JSON.parse(r.stdout || '[]'));
}

/** Read a committed oracle file (`fixtures/X.tshark.json`). */
export function tsharkFramesFromFile(jsonFile: string): Map<number, FrameFields> {
  return flattenTsharkJson(JSON.parse(readFileSync(jsonFile, 'utf8')));
}

export function flattenTsharkJson(packets: unknown[]): Map<number, FrameFields> {
  const out = new Map<number, FrameFields>();
  for (const p of packets) {
    const layers = (p as { _source?: { layers?: Record<string, unknown> } })._source?.layers;
    if (!layers) continue;
    const frameLayer = layers['frame'] as Record<string, string> | undefined;
    const frame = Number(frameLayer?.['frame.number']);
    const fields: FrameFields = new Map();
    walk(layers, fields);
    out.set(frame, fields);
  }
  return out;
}

function walk(node: unknown, fields: FrameFields, key?: string): void {
  if (Array.isArray(node)) {
    // `_raw` values are [hex, pos, len, bitmask, type]; several occurrences are an array of those
    if (key?.endsWith('_raw') && node.length > 0 && typeof node[0] === 'string') {
      push(fields, key, node[0]);
      return;
    }
    for (const x of node) walk(x, fields, key);
    return;
  }
  if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) walk(v, fields, k);
    return;
  }
  if (key !== undefined && typeof node === 'string') push(fields, key, node);
}

function push(fields: FrameFields, key: string, value: string): void {
  const list = fields.get(key);
  if (list) list.push(value);
  else fields.set(key, [value]);
}
