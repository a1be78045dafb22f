/**
 * The per-input checks shared by the fuzzer and the regression test: outcome (value, DecodeError
 * or anything else), time, and memory allocated beyond what the input justifies.
 *
 * Memory: `v8.getHeapStatistics()` (about 0.7 µs) before and after the call; the growth of
 * `used_heap_size + external_memory` (external = ArrayBuffer/Buffer backing stores) is what the
 * call allocated and did not free yet. A garbage collection inside the call can hide allocation
 * (it frees earlier garbage), so this cheap figure is only a gate: an input over the limit, or one
 * during which a collection ran (negative growth), is measured again under `v8.GCProfiler`, which
 * adds back what each collection inside the call freed. That second figure (all bytes allocated by
 * the call, garbage included) decides; the regression test uses it for every input.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { runOnce, type FuzzTarget, type Outcome } from './targets.js';

/** Bytes of control words before the input mirrored in shared memory for the watchdog. */
export const SHARED_CONTROL = 16;

/** Input slower than this is a hang (confirmed by a second run). */
export const DEFAULT_HANG_MS = 1000;

/** Bytes a decode may leave allocated: 1 MiB, plus 64 bytes per input byte (hex strings, objects). */
export function allocLimit(inputLength: number): number {
  return 1024 * 1024 + 64 * inputLength;
}

function heapNow(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

export interface Measured {
  outcome: Outcome;
  ms: number;
  /** Heap + external growth across the call (a lower bound of what it allocated). */
  allocated: number;
}

export function measure(t: FuzzTarget, input: Uint8Array): Measured {
  const before = heapNow();
  const t0 = performance.now();
  const outcome = runOnce(t, input);
  const ms = performance.now() - t0;
  const allocated = heapNow() - before;
  return { outcome, ms, allocated };
}

export type Verdict =
  | { kind: 'ok'; decodeError: boolean }
  | { kind: 'crash'; error: unknown }
  | { kind: 'slow'; ms: number }
  | { kind: 'alloc'; bytes: number; limit: number };

/** Like {@link measure}, but `allocated` also counts what garbage collections during the call freed. */
export function measureProfiled(t: FuzzTarget, input: Uint8Array): Measured {
  const prof = new GCProfiler();
  prof.start();
  const m = measure(t, input);
  const stats = prof.stop()?.statistics ?? [];
  let freed = 0;
  for (const g of stats) {
    const b = g.beforeGC.heapStatistics;
    const a = g.afterGC.heapStatistics;
    freed += b.usedHeapSize + b.externalMemory - (a.usedHeapSize + a.externalMemory);
  }
  return { ...m, allocated: m.allocated + Math.max(0, freed) };
}

/**
 * Judge a first (cheap) measurement: a crash stands; a slow input, one over the allocation limit
 * or one during which a collection ran is measured again under the GC profiler, and the smaller
 * time / the profiled allocation decide.
 */
export function confirm(t: FuzzTarget, input: Uint8Array, first: Measured, hangMs = DEFAULT_HANG_MS): Verdict {
  if (!first.outcome.ok) return { kind: 'crash', error: first.outcome.error };
  const limit = allocLimit(input.length);
  if (first.ms > hangMs || first.allocated > limit || first.allocated < 0) {
    const again = measureProfiled(t, input);
    if (!again.outcome.ok) return { kind: 'crash', error: again.outcome.error };
    const ms = Math.min(first.ms, again.ms);
    if (ms > hangMs) return { kind: 'slow', ms };
    if (again.allocated > limit) {
      // one noisy measurement (a collection freeing older garbage, first-call compilation) is no verdict:
      // a real over-allocation repeats, so the least of three profiled runs decides
      const least = Math.min(again.allocated, measureProfiled(t, input).allocated, measureProfiled(t, input).allocated);
      if (least > limit) return { kind: 'alloc', bytes: least, limit };
    }
  }
  return { kind: 'ok', decodeError: first.outcome.decodeError };
}

/** Measure and judge one input (the regression test's entry point). */
export function checkInput(t: FuzzTarget, input: Uint8Array, hangMs = DEFAULT_HANG_MS): Verdict {
  const m = measureProfiled(t, input);
  if (!m.outcome.ok) return { kind: 'crash', error: m.outcome.error };
  if (m.ms > hangMs) return confirm(t, input, m, hangMs); // a second run rules out a pause of the machine
  const limit = allocLimit(input.length);
  if (m.allocated > limit) {
    // a collection during the call also frees garbage made before it, and first calls compile code:
    // a real over-allocation repeats run after run, so the least of three runs decides
    const least = Math.min(m.allocated, measureProfiled(t, input).allocated, measureProfiled(t, input).allocated);
    if (least > limit) return { kind: 'alloc', bytes: least, limit };
  }
  return { kind: 'ok', decodeError: m.outcome.decodeError };
}
