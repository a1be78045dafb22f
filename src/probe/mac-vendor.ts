/**
 * MAC address → IEEE registrant, from the IEEE registries (MA-L, MA-M, MA-S) as shipped by the
 * `oui-data` package (regenerated from the IEEE's public listings; keys are 6, 7 or 9 upper-case
 * hex digits, values the registrant's name and postal address, one per line). The table (~5 MiB
 * of JSON) is loaded on first use only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type OuiTable = Record<string, string>;
let table: OuiTable | undefined;

function ouiTable(): OuiTable {
  // read and parse the JSON directly: ~50 ms, where a loader hook (tsx) on require() takes seconds
  if (!table) table = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('oui-data'), 'utf8')) as OuiTable;
  return table;
}

/** Loads the table now (it is otherwise loaded on the first lookup). */
export function preloadOuiTable(): void {
  ouiTable();
}

/** The 12 hex digits of a MAC written `aa:bb:cc:dd:ee:ff`, `aa-bb-…`, `aabb.ccdd.eeff` or bare; null if not a MAC. */
export function macHex(mac: string): string | null {
  const h = mac.trim().replace(/[:.-]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(h) ? h : null;
}

/** 00:00:00:00:00:00, which Samba (and some virtual hosts) send as their NBSTAT unit ID. */
export function isAllZeroMac(mac: string): boolean {
  return macHex(mac) === '000000000000';
}

/** The U/L bit (0x02 of the first byte): a locally administered address has no IEEE registrant. */
export function isLocallyAdministered(mac: string): boolean {
  const h = macHex(mac);
  return h !== null && (parseInt(h.slice(0, 2), 16) & 0x02) !== 0;
}

/**
 * The registrant's name (first line of the IEEE entry), longest assignment first (MA-S 36 bits,
 * MA-M 28, MA-L 24). Null for malformed, all-zero and locally administered addresses — an all-zero
 * unit ID says "no MAC", not "Xerox" — and for unregistered prefixes.
 */
export function macVendor(mac: string): string | null {
  const h = macHex(mac);
  if (h === null || h === '000000000000' || (parseInt(h.slice(0, 2), 16) & 0x02) !== 0) return null;
  const t = ouiTable();
  const entry = t[h.slice(0, 9)] ?? t[h.slice(0, 7)] ?? t[h.slice(0, 6)];
  if (entry === undefined) return null;
  const name = entry.split('\n', 1)[0]!.trim();
  return name === '' ? null : name;
}
