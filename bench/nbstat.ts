/**
 * 1. NBSTAT sweep: the C responder (one socket, answers from the queried address) stands in for
 * a seeded half of 127.42.0.0/16 inside our namespace; smbprobe `nbstat` and nbtscan sweep a
 * /24, /20 and /16; nmap's nbstat script joins for the single host.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeStatusAnswer, sambaTable } from '../test/support/nbns-responder.js';
import { log, measure, round, startDaemon, stopDaemon, waitLine, type Measured } from './lib.js';

export const SEED = 42;
export const NET = [127, 42];

/** The responder's choice (bench/nbns-responder.c `answers`), so recall has an exact denominator. */
export function answers(a: number, b: number, c: number, d: number, seed = SEED, all = false): boolean {
  if (d === 0 || d === 255) return false;
  if (all) return true;
  let h = (2166136261 ^ seed) >>> 0;
  for (const x of [a, b, c, d]) {
    h = (h ^ x) >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return ((h >>> 7) & 1) === 0;
}

export interface Sweep {
  cidr: string;
  size: number;
  responders: Set<string>;
}

export function sweep(prefixLen: 24 | 20 | 16): Sweep {
  const size = 2 ** (32 - prefixLen);
  const responders = new Set<string>();
  for (let i = 0; i < size; i++) {
    const c = i >> 8;
    const d = i & 255;
    if (answers(NET[0]!, NET[1]!, c, d)) responders.add(`${NET[0]}.${NET[1]}.${c}.${d}`);
  }
  return { cidr: `${NET[0]}.${NET[1]}.0.0/${prefixLen}`, size, responders };
}

export function writeAnswer(dir: string): string {
  const f = join(dir, 'nbstat-answer.bin');
  writeFileSync(f, nodeStatusAnswer(0, sambaTable()));
  return f;
}

export async function startResponder(bin: string, answerFile: string, mode: 'half' | 'all' | 'none') {
  const child = startDaemon([bin, '137', String(SEED), mode, answerFile], { ns: true });
  await waitLine(child, /^ready/);
  return {
    child,
    async stop(): Promise<{ received: number; answered: number }> {
      const out = await stopDaemon(child);
      const m = /received (\d+) answered (\d+)/.exec(out);
      return { received: Number(m?.[1] ?? NaN), answered: Number(m?.[2] ?? NaN) };
    },
  };
}

export interface RunResult {
  tool: string;
  target: string;
  settings: string;
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  found: number;
  responders: number;
  recall: number;
  falsePositives: number;
}

function recallOf(found: Set<string>, s: Sweep): { found: number; recall: number; falsePositives: number } {
  let hit = 0;
  let fp = 0;
  for (const a of found) (s.responders.has(a) ? hit++ : fp++);
  return { found: hit, recall: s.responders.size === 0 ? 1 : hit / s.responders.size, falsePositives: fp };
}

function result(tool: string, s: Sweep, settings: string, m: Measured, found: Set<string>): RunResult {
  const r = recallOf(found, s);
  return { tool, target: s.cidr, settings, wallS: round(m.wallS), cpuS: round(m.cpuS), maxRssMb: round(m.maxRssMb, 1), found: r.found, responders: s.responders.size, recall: round(r.recall, 5), falsePositives: r.falsePositives };
}

export async function runNbtscan(s: Sweep, extra: string[]): Promise<RunResult> {
  const m = await measure(['nbtscan', '-q', ...extra, s.cidr], { ns: true, timeoutS: 300, stdoutFile: true });
  const found = new Set<string>();
  for (const line of m.stdout.split('\n')) {
    const a = /^(\d+\.\d+\.\d+\.\d+)\s/.exec(line)?.[1];
    if (a) found.add(a);
  }
  return result('nbtscan', s, extra.join(' ') || 'default', m, found);
}

export async function runSmbprobe(smbprobe: string, s: Sweep, extra: string[], capS = 600): Promise<RunResult> {
  // `timeout` (not a kill from here) so that /usr/bin/time still reports; output so far counts
  const m = await measure(['timeout', '-s', 'INT', String(capS), 'node', smbprobe, 'nbstat', s.cidr, '--format', 'ndjson', '--no-progress', ...extra], { ns: true, timeoutS: capS + 60, stdoutFile: true });
  const found = new Set<string>();
  for (const line of m.stdout.split('\n')) {
    if (!line.endsWith('}')) continue;
    const h = JSON.parse(line) as { address: string; nbstat: { status: string } | null };
    if (h.nbstat?.status === 'ok') found.add(h.address);
  }
  if (m.code !== 0 && m.code !== 1) log(`smbprobe nbstat exit ${m.code}: ${m.stderr.slice(0, 300)}`);
  const cut = m.code === 124 || m.code === 130 ? ` (stopped at ${capS} s)` : '';
  return result('smbprobe', s, (extra.join(' ') || 'default') + cut, m, found);
}

/** Single host: wall time of the whole process, and the tool's startup alone for reference. */
export async function singleHost(smbprobe: string): Promise<Record<string, number>> {
  const s = sweep(24);
  const host = [...s.responders][0]!;
  const one: Sweep = { cidr: host, size: 1, responders: new Set([host]) };
  const out: Record<string, number> = {};
  const best = async (argv: string[]) => {
    let b = Infinity;
    for (let i = 0; i < 3; i++) b = Math.min(b, (await measure(argv, { ns: true, timeoutS: 60 })).wallS);
    return round(b);
  };
  out.smbprobe = await best(['node', smbprobe, 'nbstat', one.cidr, '--format', 'ndjson', '--no-progress']);
  out.smbprobeStartup = await best(['node', smbprobe, '--version']);
  out.nbtscan = await best(['nbtscan', '-q', one.cidr]);
  out.nmap = await best(['nmap', '-n', '-Pn', '-sU', '-p137', '--script', 'nbstat', one.cidr]);
  const rtt = await measure(['node', smbprobe, 'nbstat', one.cidr, '--format', 'ndjson', '--no-progress'], { ns: true });
  out.smbprobeRttMs = (JSON.parse(rtt.stdout.split('\n')[0]!) as { nbstat: { rttMs: number } }).nbstat.rttMs;
  return out;
}

/** nbtscan's output cap (-b, bits/s), fastest first: its default sends unthrottled and loses answers. */
export const NBTSCAN_LADDER: string[][] = [['-b', '100000000'], ['-b', '50000000'], ['-b', '20000000'], ['-b', '10000000'], ['-b', '5000000'], ['-b', '2000000'], ['-b', '1000000']];
/** smbprobe: the default first; the rest only if the default misses answers. */
export const SMBPROBE_LADDER: string[][] = [['--retries', '4'], ['--retries', '4', '--rate', '20000']];

/**
 * The default run, then each setting of the ladder (fastest first) until one reaches 100 %
 * recall. With `confirm`, the first setting at 100 % and the faster one before it run once more:
 * recall near the edge varies from run to run, so the tool's best 100 % time is the fastest
 * of those runs, not the first that happened to pass.
 */
export async function ladderRuns(run: (extra: string[]) => Promise<RunResult>, ladder: readonly string[][], confirm: boolean): Promise<{ runs: RunResult[]; full: RunResult | null }> {
  const runs: RunResult[] = [await run([])];
  let hit = runs[0]!.recall >= 1 ? -1 : undefined;
  for (let i = 0; hit === undefined && i < ladder.length; i++) {
    const r = await run(ladder[i]!);
    runs.push(r);
    if (r.recall >= 1) hit = i;
  }
  if (confirm && hit !== undefined) {
    for (const i of [hit - 1, hit]) if (i >= -1) runs.push(await run(i >= 0 ? ladder[i]! : []));
  }
  const full = runs.filter((r) => r.recall >= 1).sort((a, b) => a.wallS - b.wallS)[0] ?? null;
  return { runs, full };
}
