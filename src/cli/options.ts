/**
 * Option values from the command line, validated: each parser returns the value or throws
 * commander's InvalidArgumentError (which the program turns into one stderr line and exit 2).
 */
import { InvalidArgumentError } from 'commander';
import type { SmbTarget } from '../probe/smb.js';
import { FINDING_IDS } from '../scan/findings.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/formats.js';

/** `445,139`, `1445/direct,1139/nbss`: 139 defaults to NBSS, every other port to direct TCP. */
export function parsePorts(text: string): SmbTarget[] {
  const out: SmbTarget[] = [];
  const seen = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\d{1,5})(?:\/(direct|nbss))?$/.exec(item.trim());
    const port = m ? Number(m[1]) : NaN;
    if (!m || port < 1 || port > 65535) throw new InvalidArgumentError(`bad port ${JSON.stringify(item)} (expected PORT or PORT/direct or PORT/nbss, 1-65535)`);
    if (seen.has(port)) throw new InvalidArgumentError(`port ${port} given twice`);
    seen.add(port);
    out.push({ port, transport: (m[2] as SmbTarget['transport'] | undefined) ?? (port === 139 ? 'nbss' : 'direct') });
  }
  if (out.length === 0) throw new InvalidArgumentError('no port given');
  return out;
}

/** A UDP port (1-65535). */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new InvalidArgumentError(`bad port ${JSON.stringify(text)} (1-65535)`);
  return Number(text);
}

/** A duration: plain milliseconds, or with a unit `ms`, `s`, `m` (`1500`, `1.5s`, `2m`). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`bad duration ${JSON.stringify(text)} (e.g. 1500, 1500ms, 2s, 1m)`);
  const v = Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1);
  if (!(v >= 1) || v > 86_400_000) throw new InvalidArgumentError(`duration ${JSON.stringify(text)} out of range (1 ms to 24 h)`);
  return Math.round(v);
}

/** A whole number in [min, max]. */
export function intParser(name: string, min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
    return Number(text);
  };
}

/** A positive rate (packets per second). */
export function parseRate(text: string): number {
  const v = Number(text);
  if (!/^\d+(?:\.\d+)?$/.test(text.trim()) || !(v > 0) || v > 1_000_000) throw new InvalidArgumentError(`rate must be a positive number of packets per second (at most 1000000), not ${JSON.stringify(text)}`);
  return v;
}

export function parseFormat(text: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(text)) throw new InvalidArgumentError(`unknown format ${JSON.stringify(text)} (one of ${OUTPUT_FORMATS.join(', ')})`);
  return text as OutputFormat;
}

/** `--fail-on` ids, comma separated, repeatable; each must be a known finding id. */
export function parseFailOn(text: string, prev: string[] = []): string[] {
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const id of ids) if (!FINDING_IDS.includes(id)) throw new InvalidArgumentError(`unknown finding id ${JSON.stringify(id)} (one of ${FINDING_IDS.join(', ')})`);
  if (ids.length === 0) throw new InvalidArgumentError('no finding id given');
  return [...prev, ...ids];
}

/** Repeatable string option. */
export function collect(text: string, prev: string[] = []): string[] {
  return [...prev, text];
}

/** nmap spells the target-file option `-iL`: commander wants one-letter short options, so rewrite it. */
export function rewriteArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest) out.push(a);
    else if (a === '--') {
      rest = true;
      out.push(a);
    } else if (a === '-iL') out.push('--input-list');
    else if (a.startsWith('-iL=')) out.push(`--input-list=${a.slice(4)}`);
    else out.push(a);
  }
  return out;
}
