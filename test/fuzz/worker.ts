/**
 * One fuzz target in a worker thread. Before each input the worker publishes its index and bytes
 * in shared memory, so the parent's watchdog can name the input of a true hang (and terminate the
 * worker) without any message per input. Failures are minimised here and posted once per
 * signature; the rest are counted.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SHARED_CONTROL, confirm, measure, type Verdict } from './check.js';
import { fnv1a, generateInput, inputPrng } from './mutate.js';
import { failureSignature, runOnce, targetByName } from './targets.js';

export interface WorkerJob {
  target: string;
  seed: number;
  /** First input index (after a hang the parent restarts past the hanging input). */
  start: number;
  /** Index to stop before. */
  budget: number;
  /** Stop after fuzzing this long (ms from the first input; Infinity: no cap). */
  forMs: number;
  hangMs: number;
  /** Measure memory on every Nth input (1: all). */
  memEvery: number;
  /** Control words [index, length, busy, -] then the input bytes. */
  shared: SharedArrayBuffer;
  /** The target's seeds (computed once by the parent). */
  seeds: Uint8Array[];
}

export type WorkerMessage =
  | { type: 'ready'; seeds: number }
  | { type: 'failure'; kind: 'crash' | 'slow' | 'alloc'; index: number; signature: string; detail: string; stack: string; input: Uint8Array; minimised: Uint8Array }
  | { type: 'done'; inputs: number; decodeErrors: number; ms: number; counts: Record<string, number>; maxAllocated: number; maxAllocatedLength: number; slowest: number };

function signatureOf(v: Exclude<Verdict, { kind: 'ok' }>): string {
  if (v.kind === 'crash') return failureSignature(v.error);
  return v.kind; // one slow / one alloc entry per target is enough to start from
}

function detailOf(v: Exclude<Verdict, { kind: 'ok' }>): { detail: string; stack: string } {
  if (v.kind === 'crash') {
    const e = v.error instanceof Error ? v.error : new Error(String(v.error));
    return { detail: `${e.name}: ${e.message}`, stack: e.stack ?? '' };
  }
  if (v.kind === 'slow') return { detail: `input took ${v.ms.toFixed(0)} ms`, stack: '' };
  return { detail: `allocated ${v.bytes} bytes (limit ${v.limit})`, stack: '' };
}

/** Cheap delta minimisation: drop chunks (halves down to single bytes) while the same failure remains. */
function minimise(input: Uint8Array, same: (b: Uint8Array) => boolean, maxMs = 3000): Uint8Array {
  const t0 = performance.now();
  let best = input;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let i = 0; i < best.length && performance.now() - t0 < maxMs; ) {
      const cand = new Uint8Array(best.length - Math.min(chunk, best.length - i));
      cand.set(best.subarray(0, i), 0);
      cand.set(best.subarray(i + chunk), i);
      if (same(cand)) best = cand;
      else i += chunk;
    }
  }
  return best;
}

function main(job: WorkerJob): void {
  const t = targetByName(job.target);
  if (!t) throw new Error(`unknown target ${job.target}`);
  const seeds = job.seeds;
  parentPort!.postMessage({ type: 'ready', seeds: seeds.length } satisfies WorkerMessage);

  const ctl = new Int32Array(job.shared, 0, 4);
  const shared = new Uint8Array(job.shared, SHARED_CONTROL);
  const runSeed = fnv1a(t.name, job.seed >>> 0);
  const counts: Record<string, number> = {};
  let inputs = 0;
  let decodeErrors = 0;
  let maxAllocated = 0;
  let maxAllocatedLength = 0;
  let slowest = 0;
  const t0 = performance.now();
  const deadline = t0 + job.forMs;
  for (let i = job.start; i < job.budget; i++) {
    if ((i & 255) === 0 && performance.now() >= deadline) break;
    const input = generateInput(inputPrng(runSeed, i), seeds, { maxLength: t.maxLength });
    const len = Math.min(input.length, shared.length);
    shared.set(input.subarray(0, len), 0);
    ctl[1] = len;
    Atomics.store(ctl, 0, i);
    Atomics.store(ctl, 2, 1);
    let verdict: Verdict;
    if (i % job.memEvery === 0) {
      const m = measure(t, input);
      if (m.allocated > maxAllocated) {
        maxAllocated = m.allocated;
        maxAllocatedLength = input.length;
      }
      if (m.ms > slowest) slowest = m.ms;
      verdict = confirm(t, input, m, job.hangMs);
    } else {
      const s = performance.now();
      const o = runOnce(t, input);
      const ms = performance.now() - s;
      if (ms > slowest) slowest = ms;
      verdict = confirm(t, input, { outcome: o, ms, allocated: 0 }, job.hangMs);
    }
    Atomics.store(ctl, 2, 0);
    inputs++;
    if (verdict.kind === 'ok') {
      if (verdict.decodeError) decodeErrors++;
      continue;
    }
    const sig = signatureOf(verdict);
    counts[sig] = (counts[sig] ?? 0) + 1;
    if (counts[sig] > 1) continue;
    const same = (b: Uint8Array): boolean => {
      if (verdict.kind === 'crash') {
        const o = runOnce(t, b);
        return !o.ok && failureSignature(o.error) === sig;
      }
      const v = confirm(t, b, measure(t, b), job.hangMs);
      return v.kind === verdict.kind;
    };
    // slow inputs are not minimised (each try costs a second or more)
    const minimised = verdict.kind === 'slow' ? input : minimise(input, same);
    const { detail, stack } = detailOf(verdict);
    parentPort!.postMessage({ type: 'failure', kind: verdict.kind, index: i, signature: sig, detail, stack, input, minimised } satisfies WorkerMessage);
  }
  parentPort!.postMessage({ type: 'done', inputs, decodeErrors, ms: performance.now() - t0, counts, maxAllocated, maxAllocatedLength, slowest } satisfies WorkerMessage);
}

if (!isMainThread) main(workerData as WorkerJob);
