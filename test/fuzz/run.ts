/**
 * `npm run fuzz`: random and mutated real packets into every decoder, framer and capture reader.
 *
 *   tsx test/fuzz/run.ts [--budget N] [--seconds S] [--target NAME[,NAME]] [--seed N]
 *                        [--hang-ms MS] [--mem-every N] [--jobs N] [--out DIR] [--no-save] [--list]
 *   tsx test/fuzz/run.ts --replay FILE...     (saved inputs `<target>-<hash>.bin`: verdict and stack)
 *
 * Each target runs in its own worker thread with a watchdog. Reported per target: inputs, inputs/s,
 * share of inputs rejected with DecodeError, and every failure: a throw that is not a DecodeError,
 * an input slower than --hang-ms (or one that never returns: the watchdog kills the worker at
 * 5 × --hang-ms and the run goes on after it), and an allocation far beyond the input (see
 * check.ts). Each distinct failure is minimised and saved as <out>/<target>-<hash>.bin for
 * test/unit/fuzz-regressions.test.ts. Exit status 1 when anything failed, 2 on bad arguments.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DEFAULT_HANG_MS, SHARED_CONTROL, checkInput } from './check.js';
import { seedCorpus } from './seeds.js';
import { TARGETS, targetByName } from './targets.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

const DEFAULT_OUT = fileURLToPath(new URL('../../fixtures/fuzz/', import.meta.url));
/**
 * The worker's entry: tsx's loader hooks do not follow worker threads by themselves, so the
 * worker registers them before importing worker.ts.
 */
const WORKER_BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
/** A target whose worker had to be restarted this often (hangs, out of memory) is given up. */
const MAX_RESTARTS = 3;
/** Largest input mirrored in shared memory for the watchdog. */
const SHARED_INPUT = 1 << 20;

interface Options {
  budget: number;
  seconds: number;
  targets: string[];
  seed: number;
  hangMs: number;
  memEvery: number;
  jobs: number;
  out: string;
  save: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options | 'list' | { replay: string[] } {
  const o: Options = { budget: 1_000_000, seconds: Infinity, targets: [], seed: 1, hangMs: DEFAULT_HANG_MS, memEvery: 1, jobs: 1, out: DEFAULT_OUT, save: true };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) usage(`${flag} needs a number >= ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--budget': o.budget = Math.floor(num(flag, value(), 1)); break;
      case '--seconds': o.seconds = num(flag, value(), 0.001); break;
      case '--target': o.targets.push(...(value() ?? usage('--target needs a name')).split(',').filter(Boolean)); break;
      case '--seed': o.seed = Math.floor(num(flag, value(), 0)) >>> 0; break;
      case '--hang-ms': o.hangMs = num(flag, value(), 1); break;
      case '--mem-every': o.memEvery = Math.floor(num(flag, value(), 1)); break;
      case '--jobs': o.jobs = Math.floor(num(flag, value(), 1)); break;
      case '--out': o.out = value() ?? usage('--out needs a directory'); break;
      case '--no-save': o.save = false; break;
      case '--list': return 'list';
      case '--replay': return { replay: argv.slice(i + 1) };
      case '--help': case '-h':
        process.stdout.write(`usage: tsx test/fuzz/run.ts [--budget N] [--seconds S] [--target NAME[,NAME]] [--seed N] [--hang-ms MS] [--mem-every N] [--jobs N] [--out DIR] [--no-save] [--list]\n`);
        process.exit(0);
      default: usage(`unknown argument ${a}`);
    }
  }
  for (const t of o.targets) if (!TARGETS.some((x) => x.name === t)) usage(`unknown target ${t} (--list shows them)`);
  return o;
}

interface Failure {
  target: string;
  kind: 'crash' | 'slow' | 'alloc' | 'hang' | 'oom' | 'worker';
  index: number;
  signature: string;
  detail: string;
  stack: string;
  input: Uint8Array;
  minimised: Uint8Array;
  count: number;
  file?: string;
}

interface TargetReport {
  target: string;
  inputs: number;
  ms: number;
  decodeErrors: number;
  seeds: number;
  maxAllocated: number;
  maxAllocatedLength: number;
  slowest: number;
  failures: Failure[];
  /** Why the target stopped before its budget, if it did. */
  stopped?: string;
}

/** Run one target to its budget or deadline, restarting the worker past any input that hangs. */
async function runTarget(name: string, o: Options): Promise<TargetReport> {
  const seeds = targetByName(name)!.seeds(seedCorpus());
  const rep: TargetReport = { target: name, inputs: 0, ms: 0, decodeErrors: 0, seeds: 0, maxAllocated: 0, maxAllocatedLength: 0, slowest: 0, failures: [] };
  // the time cap counts fuzzing only, not worker start-up (loading the codecs takes about a second)
  const capMs = Number.isFinite(o.seconds) ? o.seconds * 1000 : Infinity;
  const bySig = new Map<string, Failure>();
  const note = (f: Omit<Failure, 'count'>, n = 1): void => {
    const old = bySig.get(f.signature);
    if (old) old.count += n;
    else {
      const nf = { ...f, count: n };
      bySig.set(f.signature, nf);
      rep.failures.push(nf);
    }
  };
  let start = 0;
  while (start < o.budget && rep.ms < capMs) {
    const shared = new SharedArrayBuffer(SHARED_CONTROL + SHARED_INPUT);
    const ctl = new Int32Array(shared, 0, 4);
    ctl[0] = start - 1;
    const job: WorkerJob = { target: name, seed: o.seed, start, budget: o.budget, forMs: capMs - rep.ms, hangMs: o.hangMs, memEvery: o.memEvery, shared, seeds };
    const w = new Worker(WORKER_BOOT, {
      eval: true,
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    const wallStart = performance.now();
    const result = await new Promise<{ next: number | undefined }>((resolve) => {
      let lastIndex = -2;
      let lastChange = performance.now();
      let finished = false;
      const finish = (next: number | undefined): void => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        resolve({ next });
      };
      const current = (): { index: number; input: Uint8Array } => {
        const index = Atomics.load(ctl, 0);
        const len = Math.min(ctl[1]!, SHARED_INPUT);
        return { index, input: new Uint8Array(shared, SHARED_CONTROL, len).slice() };
      };
      const timer = setInterval(() => {
        const idx = Atomics.load(ctl, 0);
        const busy = Atomics.load(ctl, 2) === 1;
        const now = performance.now();
        if (idx !== lastIndex || !busy) {
          lastIndex = idx;
          lastChange = now;
          return;
        }
        if (now - lastChange > 5 * o.hangMs) {
          const { index, input } = current();
          note({ target: name, kind: 'hang', index, signature: 'hang', detail: `no return after ${((now - lastChange) / 1000).toFixed(1)} s (worker terminated)`, stack: '', input, minimised: input });
          rep.inputs += index - start + 1;
          rep.ms += now - wallStart;
          void w.terminate();
          finish(index + 1);
        }
      }, Math.min(250, o.hangMs));
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') rep.seeds = m.seeds;
        else if (m.type === 'failure') {
          note({ target: name, kind: m.kind, index: m.index, signature: m.signature, detail: m.detail, stack: m.stack, input: new Uint8Array(m.input), minimised: new Uint8Array(m.minimised) });
        } else if (m.type === 'done') {
          rep.inputs += m.inputs;
          rep.decodeErrors += m.decodeErrors;
          rep.ms += m.ms;
          if (m.maxAllocated > rep.maxAllocated) {
            rep.maxAllocated = m.maxAllocated;
            rep.maxAllocatedLength = m.maxAllocatedLength;
          }
          rep.slowest = Math.max(rep.slowest, m.slowest);
          for (const [sig, n] of Object.entries(m.counts)) {
            const f = bySig.get(sig);
            if (f) f.count += n - 1; // the first was noted with its message
          }
          finish(undefined);
        }
      });
      w.on('error', (e: Error & { code?: string }) => {
        const { index, input } = current();
        const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
        note({ target: name, kind: oom ? 'oom' : 'worker', index, signature: oom ? 'oom' : `worker: ${e.message}`, detail: `${e.name}: ${e.message}`, stack: e.stack ?? '', input, minimised: input });
        rep.inputs += Math.max(0, index - start + 1);
        rep.ms += performance.now() - wallStart;
        finish(index >= start ? index + 1 : undefined);
      });
      w.on('exit', () => finish(undefined));
    });
    if (result.next === undefined) break;
    const stops = rep.failures.filter((f) => f.kind === 'hang' || f.kind === 'oom' || f.kind === 'worker').reduce((n, f) => n + f.count, 0);
    if (stops >= MAX_RESTARTS) {
      rep.stopped = `stopped after ${stops} hangs/worker deaths`;
      break;
    }
    start = result.next;
  }
  return rep;
}

function saveFailure(f: Failure, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(f.minimised).digest('hex').slice(0, 12);
  const file = join(dir, `${f.target}-${hash}.bin`);
  if (!existsSync(file)) writeFileSync(file, f.minimised);
  return file;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o === 'list') {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(28)} ${t.what}\n`);
    return;
  }
  if ('replay' in o) {
    let bad = 0;
    for (const file of o.replay) {
      const name = /^(.+)-[0-9a-f]{12}\.bin$/.exec(basename(file))?.[1];
      const t = name === undefined ? undefined : targetByName(name);
      if (!t) usage(`${file}: not <target>-<hash>.bin with a known target`);
      const v = checkInput(t, new Uint8Array(readFileSync(file)));
      if (v.kind !== 'ok') bad++;
      const what = v.kind === 'ok' ? (v.decodeError ? 'ok (DecodeError)' : 'ok (value)') : v.kind === 'crash' ? `CRASH ${(v.error as Error)?.stack ?? String(v.error)}` : v.kind === 'slow' ? `SLOW ${v.ms.toFixed(0)} ms` : `ALLOC ${v.bytes} bytes (limit ${v.limit})`;
      process.stdout.write(`${file}: ${what}\n`);
    }
    process.exitCode = bad > 0 ? 1 : 0;
    return;
  }
  const names = o.targets.length > 0 ? o.targets : TARGETS.map((t) => t.name);
  const cap = Number.isFinite(o.seconds) ? `, at most ${o.seconds} s` : '';
  process.stdout.write(`fuzz: ${names.length} target(s), ${fmtInt(o.budget)} inputs each${cap}, seed ${o.seed}, hang ${o.hangMs} ms, memory every ${o.memEvery} input(s), ${o.jobs} job(s)\n`);
  const reports: TargetReport[] = [];
  const queue = [...names];
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const r = await runTarget(name, o);
      reports.push(r);
      const rate = r.ms > 0 ? (r.inputs / r.ms) * 1000 : 0;
      const line = `${r.target.padEnd(28)} ${fmtInt(r.inputs).padStart(10)} inputs ${fmtInt(rate).padStart(8)}/s  ${((100 * r.decodeErrors) / Math.max(1, r.inputs)).toFixed(0).padStart(3)}% DecodeError  seeds ${String(r.seeds).padStart(3)}  slowest ${r.slowest.toFixed(1)} ms  max alloc ${fmtInt(r.maxAllocated / 1024)} KiB (input ${r.maxAllocatedLength} B)  ${r.failures.length === 0 ? 'ok' : `${r.failures.length} FAILURE(S)`}${r.stopped ? ` (${r.stopped})` : ''}\n`;
      process.stdout.write(line);
      for (const f of r.failures) {
        if (o.save && f.kind !== 'worker') f.file = saveFailure(f, o.out);
        process.stdout.write(`  ${f.kind} ×${f.count} at input ${f.index}: ${f.detail}\n`);
        process.stdout.write(`    minimised (${f.minimised.length} B): ${Buffer.from(f.minimised).toString('hex').slice(0, 400)}${f.minimised.length > 200 ? '…' : ''}\n`);
        if (f.file) process.stdout.write(`    saved: ${relative(process.cwd(), f.file)}\n`);
        if (f.stack) process.stdout.write(f.stack.split('\n').slice(0, 8).map((l) => `    ${l}`).join('\n') + '\n');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, names.length) }, lane));
  const failed = reports.reduce((s, r) => s + r.failures.length, 0);
  const total = reports.reduce((s, r) => s + r.inputs, 0);
  process.stdout.write(`fuzz: ${fmtInt(total)} inputs over ${reports.length} target(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${failed} distinct failure(s)\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
