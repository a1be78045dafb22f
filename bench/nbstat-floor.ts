/**
 * The floors of an NBSTAT sweep on this machine, measured in the same run as the tools: the kernel's
 * (bench/nbstat-floor.c: sendmmsg/recvmmsg, nothing decoded) and Node's (bench/nbstat-floor-node.ts:
 * one dgram send per address, nothing decoded). A goal below the floor of the runtime cannot be met
 * by any program on that runtime here; the bench says so next to the goal.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { measure, ROOT, round } from './lib.js';
import type { Sweep } from './nbstat.js';

export interface FloorRun {
  floor: 'kernel' | 'node';
  target: string;
  /** Whole process, s (what a tool's wall time compares with). */
  wallS: number;
  cpuS: number;
  /** First send to last answer, s. */
  sweepS: number;
  sent: number;
  answered: number;
}

export function buildFloor(dir: string): string {
  const out = join(dir, 'nbstat-floor');
  execFileSync('gcc', ['-O2', '-pthread', '-o', out, join(ROOT, 'bench/nbstat-floor.c')], { stdio: 'inherit' });
  return out;
}

async function one(floor: FloorRun['floor'], argv: string[], s: Sweep): Promise<FloorRun> {
  const m = await measure(argv, { ns: true, timeoutS: 120 });
  const j = JSON.parse(m.stdout.trim().split('\n').pop() ?? '{}') as { sent?: number; answered?: number; wallMs?: number };
  return { floor, target: s.cidr, wallS: round(m.wallS), cpuS: round(m.cpuS), sweepS: round((j.wallMs ?? NaN) / 1000), sent: j.sent ?? 0, answered: j.answered ?? 0 };
}

/** Best of two runs of each floor (one thread for the kernel's, as a tool would use; 4 sockets for Node's, as smbprobe does). */
export async function floors(kernelBin: string, nodeScript: string, s: Sweep): Promise<FloorRun[]> {
  const best = async (f: () => Promise<FloorRun>): Promise<FloorRun> => {
    const a = await f();
    const b = await f();
    return b.answered > a.answered || (b.answered === a.answered && b.wallS < a.wallS) ? b : a;
  };
  return [
    await best(() => one('kernel', [kernelBin, s.cidr, '137', '1'], s)),
    await best(() => one('node', ['node', nodeScript, s.cidr, '137', '4'], s)),
  ];
}
