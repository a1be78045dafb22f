/**
 * GUIDs as SMB2 carries them: 16 bytes in Microsoft's mixed-endian layout (Data1 u32 LE, Data2 and
 * Data3 u16 LE, Data4 8 bytes as is), written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` as Wireshark does.
 */
import { HEX, hexAt } from '../reader.js';

/** 16 wire bytes → lower-case GUID string. `bytes` must hold at least 16 bytes. */
export function guidToString(bytes: Uint8Array): string {
  const x = bytes;
  return (
    HEX[x[3]!]! + HEX[x[2]!]! + HEX[x[1]!]! + HEX[x[0]!]! + '-' + HEX[x[5]!]! + HEX[x[4]!]! + '-' + HEX[x[7]!]! + HEX[x[6]!]! + '-' +
    hexAt(x, 8, 2) + '-' + hexAt(x, 10, 6)
  );
}

const GUID_RE = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** GUID string (with or without braces) → 16 wire bytes. Throws TypeError on a malformed string. */
export function guidFromString(s: string): Uint8Array {
  const m = GUID_RE.exec(s);
  if (!m) throw new TypeError(`not a GUID: ${JSON.stringify(s)}`);
  const h = m[1]! + m[2]! + m[3]! + m[4]! + m[5]!;
  const raw = Buffer.from(h, 'hex');
  const out = new Uint8Array(16);
  out.set([raw[3]!, raw[2]!, raw[1]!, raw[0]!, raw[5]!, raw[4]!, raw[7]!, raw[6]!], 0);
  out.set(raw.subarray(8, 16), 8);
  return out;
}

/** A GUID given as a string or as 16 bytes → 16 bytes (copied). */
export function guidBytes(g: string | Uint8Array): Uint8Array {
  if (typeof g === 'string') return guidFromString(g);
  if (g.length !== 16) throw new TypeError(`a GUID is 16 bytes, got ${g.length}`);
  return Uint8Array.from(g);
}

/**
 * The GUID bytes as text when they are printable ASCII followed only by NULs — Samba puts the
 * lower-case NetBIOS name there instead of a GUID. Otherwise null.
 */
export function guidAsciiText(bytes: Uint8Array): string | null {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return null;
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) return null;
  }
  return Buffer.from(bytes.subarray(0, end)).toString('latin1');
}
