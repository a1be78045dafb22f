/**
 * Orchestration: targets (streamed) → bounded-concurrency probing → one HostResult per host, emitted
 * the moment the host finishes. NetBIOS never holds SMB back: per host the NBSTAT query (through
 * one shared UDP scanner) and the direct-TCP SMB probe start together; only the NetBIOS-session
 * ports (139) wait for the `<20>` name, and only for a bounded time.
 */
import { setMaxListeners } from 'node:events';
import createDebug from 'debug';
import type { NbstatOptions } from '../probe/nbstat.js';
import type { SmbProbeOptions, SmbTarget } from '../probe/smb.js';
import { computeFindings } from './findings.js';
import { fingerprint } from '../fingerprint/index.js';
import type {
  Finding,
  HostResult,
  NbstatResult,
  OsFingerprint,
  NtlmInfo,
  ProbeErrorInfo,
  SigningState,
  Smb1State,
  SmbResult,
} from './result.js';
import type { Target } from './targets.js';
import { DeadlineReached } from '../transport/tcp.js';

const log = createDebug('smbprobe:scan');

export type ScanMode = 'scan' | 'nbstat' | 'smb';

/** What scan needs from the probes (the real ones by default; tests inject fakes). */
export interface NbstatQuerier {
  query(address: string, signal?: AbortSignal): Promise<NbstatResult>;
  /**
   * Callback form (the real scanner has it): `done` runs once with the result; the returned
   * handle ends the query early with `cancel`. `nbstat` mode then needs no promise, timer or
   * listener per host.
   */
  start?<C>(address: string, done: (r: NbstatResult, ctx: C) => void, ctx: C): unknown;
  cancel?(handle: unknown): void;
  close(): Promise<void>;
}
export type SmbProbeFn = (address: string, opts?: SmbProbeOptions) => Promise<{ smb: SmbResult; ntlm: NtlmInfo | null; errors: ProbeErrorInfo[] }>;
export interface ScanDeps {
  createNbstatScanner(opts: NbstatOptions): NbstatQuerier;
  probeSmb: SmbProbeFn;
}

export const DEFAULT_PORTS: readonly SmbTarget[] = Object.freeze([
  { port: 445, transport: 'direct' },
  { port: 139, transport: 'nbss' },
]);
export const DEFAULT_CONCURRENCY = 64;
/**
 * `nbstat` mode: hosts in flight by default. Each host is one UDP query, so the scanner's own
 * window of queries in flight paces the sweep; this only keeps that window fed while targets
 * are still streamed (memory stays bounded for a /8).
 */
export const DEFAULT_NBSTAT_CONCURRENCY = 8192;
export const DEFAULT_HOST_TIMEOUT_MS = 60_000;
/** How long port 139 waits for the NBSTAT answer (its `<20>` name) before falling back to *SMBSERVER. */
export const DEFAULT_NBSTAT_WAIT_MS = 1500;

export interface ScanOptions {
  mode: ScanMode;
  /** SMB ports (default 445 direct and 139 over NBSS). */
  ports?: readonly SmbTarget[];
  /** UDP port NBSTAT queries go to (default 137). */
  nbstatPort?: number;
  /** Per-attempt UDP timeout and TCP connect/idle timeout; the probes' own defaults when absent. */
  timeoutMs?: number;
  retries?: number;
  /** Global UDP packets/s. */
  rate?: number;
  /** Hosts in flight (default DEFAULT_NBSTAT_CONCURRENCY in `nbstat` mode, else DEFAULT_CONCURRENCY). */
  concurrency?: number;
  hostTimeoutMs?: number;
  /** Host facts over NTLM (default true in `scan` and `smb`). */
  ntlm?: boolean;
  /** Bounded wait for the `<20>` name before the NBSS ports are probed. */
  nbstatWaitMs?: number;
  signal?: AbortSignal;
  deps?: ScanDeps;
}

async function loadDefaultDeps(): Promise<ScanDeps> {
  const [{ NbstatScanner }, { probeSmb }] = await Promise.all([import('../probe/nbstat.js'), import('../probe/smb.js')]);
  return { createNbstatScanner: (o) => new NbstatScanner(o), probeSmb };
}

// ---------------------------------------------------------------------------------------------
// Merging the SMB results of the direct and the NBSS ports

const DIALECT_ORDER = ['NT LM 0.12', '2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'];
const dialectRank = (d: string): number => {
  const i = DIALECT_ORDER.indexOf(d);
  return i < 0 ? DIALECT_ORDER.length : i;
};

function mergeSmb1(results: readonly SmbResult[]): Smb1State {
  const states = results.flatMap((r) => Object.values(r.ports).filter((p) => p.status === 'open').map((p) => p.smb1));
  if (states.includes('enabled')) return 'enabled';
  if (states.length > 0 && states.every((s) => s === 'disabled')) return 'disabled';
  if (states.length === 0) {
    // no open port: keep what the probes said
    const all = results.map((r) => r.smb1);
    if (all.includes('enabled')) return 'enabled';
    if (all.length > 0 && all.every((s) => s === 'disabled')) return 'disabled';
  }
  return 'unknown';
}

function mergeSigning(results: readonly SmbResult[]): SigningState {
  const known = results.map((r) => r.signing).filter((s) => s.enabled !== null || s.required !== null);
  if (known.length === 0) return { enabled: null, required: null };
  // the weakest answer wins: one port that does not require signing is enough for a relay
  const req = known.map((s) => s.required).filter((x): x is boolean => x !== null);
  const en = known.map((s) => s.enabled).filter((x): x is boolean => x !== null);
  return {
    enabled: en.length === 0 ? null : en.some(Boolean),
    required: req.length === 0 ? null : req.every(Boolean),
  };
}

/** Combine SMB results of disjoint port sets of one host (direct ports first). */
export function mergeSmbResults(results: readonly SmbResult[]): SmbResult | null {
  const first = results[0];
  if (!first) return null;
  if (results.length === 1) return first;
  const best = [...results].sort((a, b) => (b.highestDialect ? dialectRank(b.highestDialect) : -1) - (a.highestDialect ? dialectRank(a.highestDialect) : -1))[0]!;
  const pick = <K extends keyof SmbResult>(k: K): SmbResult[K] => {
    if (best[k] !== null && !(Array.isArray(best[k]) && (best[k] as unknown[]).length === 0)) return best[k];
    for (const r of results) if (r[k] !== null && !(Array.isArray(r[k]) && (r[k] as unknown[]).length === 0)) return r[k];
    return best[k];
  };
  const dialects = [...new Set(results.flatMap((r) => r.dialects))].sort((a, b) => dialectRank(a) - dialectRank(b));
  return {
    ports: Object.assign({}, ...results.map((r) => r.ports)) as SmbResult['ports'],
    dialects,
    smb1: mergeSmb1(results),
    smb1Evidence: results.flatMap((r) => r.smb1Evidence),
    signing: mergeSigning(results),
    capabilities: pick('capabilities'),
    highestDialect: dialects.length > 0 ? dialects[dialects.length - 1]! : null,
    serverGuid: pick('serverGuid'),
    serverGuidText: pick('serverGuidText'),
    systemTime: pick('systemTime'),
    bootTime: pick('bootTime'),
    maxTransactSize: pick('maxTransactSize'),
    maxReadSize: pick('maxReadSize'),
    maxWriteSize: pick('maxWriteSize'),
    spnegoMechanisms: pick('spnegoMechanisms'),
    spnegoHint: pick('spnegoHint'),
    negotiateContexts: pick('negotiateContexts'),
    nativeOs: pick('nativeOs'),
    nativeLanMan: pick('nativeLanMan'),
    primaryDomain: pick('primaryDomain'),
  };
}

// ---------------------------------------------------------------------------------------------
// One host

interface HostContext {
  opts: ScanOptions;
  deps: ScanDeps;
  nbstat: NbstatQuerier | undefined;
}

/** Linked abort: aborts when the parent does, or by itself (host deadline). */
function childController(parent: AbortSignal | undefined): { ctl: AbortController; dispose: () => void } {
  const ctl = new AbortController();
  if (!parent) return { ctl, dispose: () => {} };
  if (parent.aborted) {
    ctl.abort(parent.reason);
    return { ctl, dispose: () => {} };
  }
  const on = () => ctl.abort(parent.reason);
  parent.addEventListener('abort', on, { once: true });
  return { ctl, dispose: () => parent.removeEventListener('abort', on) };
}

function errorInfo(step: string, e: unknown, aborted: boolean): ProbeErrorInfo {
  return { step, status: aborted ? 'aborted' : 'error', message: e instanceof Error ? e.message : String(e) };
}

/** The host's `<20>` (file server) unique name, else its `<00>` computer name. */
export function fileServerName(n: NbstatResult | null | undefined): string | null {
  if (!n || n.status !== 'ok') return null;
  const srv = n.names.find((x) => x.suffix === 0x20 && !x.group);
  return srv?.name ?? n.computerName ?? null;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The result of a host once its probes are done (`known`: its fingerprint and findings, already computed). */
function hostResult(
  target: Target,
  started: number,
  nbstat: NbstatResult | null,
  smb: SmbResult | null,
  ntlm: NtlmInfo | null,
  errors: ProbeErrorInfo[],
  known?: { os: OsFingerprint; findings: Finding[] },
): HostResult {
  const result: HostResult = {
    host: target.host,
    address: target.address,
    nbstat,
    smb,
    ntlm,
    findings: [],
    errors,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  };
  if (known) {
    result.findings = known.findings.map(copyFinding);
    result.os = copyOs(known.os);
  } else {
    result.os = fingerprint(result);
    result.findings = computeFindings(result);
  }
  return result;
}

/**
 * The fingerprint and findings of an nbstat-only host that gave no answer (timeout,
 * unreachable, aborted): no names, no MAC, no SMB, no NTLM, so they depend on nothing but the
 * NBSTAT status and message; a sweep has tens of thousands of them. Computed once per kind and
 * copied (callers may change their result).
 */
class SilentHostCache {
  private readonly known = new Map<string, { os: OsFingerprint; findings: Finding[] }>();
  result(target: Target, started: number, nbstat: NbstatResult, errors: ProbeErrorInfo[]): HostResult {
    if (nbstat.names.length > 0 || nbstat.mac !== null || nbstat.warnings.length > 0 || nbstat.statistics !== null || errors.length > 0) {
      return hostResult(target, started, nbstat, null, null, errors);
    }
    const key = `${nbstat.status}\n${nbstat.error?.message ?? ''}`;
    const hit = this.known.get(key);
    if (hit === undefined) {
      const r = hostResult(target, started, nbstat, null, null, errors);
      if (this.known.size < 64) this.known.set(key, { os: copyOs(r.os!), findings: r.findings.map(copyFinding) });
      return r;
    }
    return hostResult(target, started, nbstat, null, null, errors, hit);
  }
}
const copyOs = (o: OsFingerprint): OsFingerprint => ({ ...o, evidence: o.evidence.map((e) => ({ ...e })), conflicts: [...o.conflicts] });
const copyFinding = (f: Finding): Finding => ({ ...f, evidence: [...f.evidence] });

/**
 * `nbstat` mode without an explicit host timeout: one query, bounded by the scanner's own
 * attempts and timeouts and ended by the run's signal through the scanner. No per-host timer
 * and no per-host listener on the run's signal: thousands of those in flight made every
 * removal a walk over the others.
 */
function nbstatOnlyHost(target: Target, nbstat: NbstatQuerier, runSignal: AbortSignal | undefined): Promise<HostResult> {
  const started = Date.now();
  // one promise reaction per host, not an async function's own promise on top of the query's
  let q: Promise<NbstatResult>;
  try {
    q = nbstat.query(target.address);
  } catch (e) {
    q = Promise.reject(e);
  }
  return q.then(
    (r) => hostResult(target, started, r, null, null, []),
    (e: unknown) => hostResult(target, started, null, null, null, [errorInfo('nbstat', e, runSignal?.aborted ?? false)]),
  );
}

/** Probe one target; never throws for network trouble (failures become `errors`). */
export function scanHost(target: Target, ctx: HostContext): Promise<HostResult> {
  const { opts } = ctx;
  if (opts.mode === 'nbstat' && opts.hostTimeoutMs === undefined && ctx.nbstat) return nbstatOnlyHost(target, ctx.nbstat, opts.signal);
  return probeHost(target, ctx);
}

async function probeHost(target: Target, ctx: HostContext): Promise<HostResult> {
  const { opts, deps } = ctx;
  const started = Date.now();
  const hostTimeoutMs = opts.hostTimeoutMs ?? DEFAULT_HOST_TIMEOUT_MS;
  const { ctl, dispose } = childController(opts.signal);
  // a DeadlineReached reason makes the probes report `timeout`, not `aborted`
  const deadline = setTimeout(() => ctl.abort(new DeadlineReached('host timeout')), hostTimeoutMs);
  const signal = ctl.signal;
  const errors: ProbeErrorInfo[] = [];
  const wantNbstat = opts.mode !== 'smb' && ctx.nbstat !== undefined;
  const wantSmb = opts.mode !== 'nbstat';
  const hostTimedOut = () => signal.aborted && !(opts.signal?.aborted ?? false);

  try {
    // NBSTAT starts first (one datagram) but nothing waits on it except the NBSS ports
    let nbstat: NbstatResult | null = null;
    const nbstatP: Promise<NbstatResult | null> = wantNbstat
      ? ctx.nbstat!.query(target.address, signal).then(
          (r) => (nbstat = r),
          (e: unknown) => {
            errors.push(errorInfo('nbstat', e, signal.aborted));
            return null;
          },
        )
      : Promise.resolve(null);

    let smb: SmbResult | null = null;
    let ntlm: NtlmInfo | null = null;
    if (wantSmb) {
      const ports = opts.ports ?? DEFAULT_PORTS;
      const direct = ports.filter((p) => p.transport === 'direct');
      const nbss = ports.filter((p) => p.transport === 'nbss');
      const dnsName = target.host !== target.address ? target.host : null;
      const base: SmbProbeOptions = {
        ntlm: opts.mode === 'nbstat' ? false : (opts.ntlm ?? true),
        dnsName,
        signal,
        hostTimeoutMs: Math.max(1, hostTimeoutMs - (Date.now() - started)),
        ...(opts.timeoutMs !== undefined ? { connectTimeoutMs: opts.timeoutMs, idleTimeoutMs: opts.timeoutMs } : {}),
      };
      const run = async (ps: SmbTarget[], netbiosName: string | null) => {
        try {
          return await deps.probeSmb(target.address, { ...base, ports: ps, netbiosName, hostTimeoutMs: Math.max(1, hostTimeoutMs - (Date.now() - started)) });
        } catch (e) {
          errors.push(errorInfo('smb', e, signal.aborted));
          return null;
        }
      };
      const calls: Array<Promise<Awaited<ReturnType<typeof run>>>> = [];
      if (nbss.length === 0 || !wantNbstat) {
        calls.push(run([...ports], null));
      } else {
        if (direct.length > 0) calls.push(run(direct, null));
        calls.push(
          (async () => {
            // bounded wait for the <20> name; NBSS falls back to *SMBSERVER without it
            const waitMs = opts.nbstatWaitMs ?? DEFAULT_NBSTAT_WAIT_MS;
            const waitCtl = childController(signal);
            const n = await Promise.race([nbstatP, sleep(waitMs, waitCtl.ctl.signal).then(() => null)]);
            waitCtl.ctl.abort();
            waitCtl.dispose();
            return run(nbss, fileServerName(n));
          })(),
        );
      }
      const outs = (await Promise.all(calls)).filter((x): x is NonNullable<typeof x> => x !== null);
      smb = mergeSmbResults(outs.map((o) => o.smb));
      ntlm = outs.find((o) => o.ntlm !== null)?.ntlm ?? null;
      for (const o of outs) errors.push(...o.errors);
    }
    await nbstatP;
    if (hostTimedOut()) errors.push({ step: 'host', status: 'timeout', message: `host deadline of ${hostTimeoutMs} ms reached` });
    return hostResult(target, started, nbstat, smb, ntlm, errors);
  } finally {
    clearTimeout(deadline);
    dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Many hosts

/** Targets in arrays (`targetBatches`): taken a batch at a time, not one await per target. */
export interface TargetBatches {
  batches: AsyncIterable<readonly Target[]>;
}

/** A host of the direct `nbstat` path. */
interface NbstatJob {
  target: Target;
  started: number;
  handle: unknown;
  /** Its host deadline (performance.now() clock), Infinity without `hostTimeoutMs`. */
  due: number;
  timedOut: boolean;
  finished: boolean;
}

/**
 * Probe every target with at most `concurrency` hosts in flight and yield each HostResult as it
 * finishes (completion order). A host that fails is reported with its errors and the scan goes
 * on. When `signal` aborts, no new host starts, finished hosts are still yielded and hosts
 * interrupted mid-probe are dropped (their results would be partial).
 */
export async function* scan(targets: AsyncIterable<Target> | Iterable<Target> | TargetBatches, opts: ScanOptions): AsyncGenerator<HostResult, void, undefined> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? (opts.mode === 'nbstat' ? DEFAULT_NBSTAT_CONCURRENCY : DEFAULT_CONCURRENCY)));
  // every host in flight listens on the caller's signal: that is expected, not a leak to warn about
  if (opts.signal) setMaxListeners(concurrency * 2 + 32, opts.signal);
  const deps = opts.deps ?? (await loadDefaultDeps());
  const nbstat =
    opts.mode === 'smb'
      ? undefined
      : deps.createNbstatScanner({
          // while few queries are in flight each gets a connected socket, so an ICMP port
          // unreachable says "closed"; a big sweep shares a few sockets
          detectUnreachable: true,
          ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
          // an explicit retry count is honoured as given: no loss probes
          ...(opts.retries !== undefined ? { retries: opts.retries, lossProbes: false } : {}),
          ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
          ...(opts.nbstatPort !== undefined ? { port: opts.nbstatPort } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
  const ctx: HostContext = { opts, deps, nbstat };
  // `nbstat` mode through the scanner's callback form: no promise, timer or listener per host
  const direct = opts.mode === 'nbstat' && nbstat?.start !== undefined && nbstat.cancel !== undefined ? nbstat : undefined;
  const silent = new SilentHostCache();
  const hostTimeoutMs = opts.hostTimeoutMs;
  const it: AsyncIterator<Target | readonly Target[]> =
    'batches' in targets
      ? targets.batches[Symbol.asyncIterator]()
      : Symbol.asyncIterator in targets
        ? targets[Symbol.asyncIterator]()
        : (async function* () {
            yield* targets;
          })();
  const batched = 'batches' in targets;
  let batch: readonly Target[] = [];
  let batchAt = 0;

  const done: HostResult[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let inFlight = 0;
  let exhausted = false;
  let failure: unknown;
  let pulling = false;
  const aborted = () => opts.signal?.aborted ?? false;

  const hostDone = (r: HostResult): void => {
    inFlight--;
    if (!aborted()) done.push(r);
    notify();
    if (!pulling && !exhausted && inFlight < concurrency) void pump();
  };
  // host deadlines (`--host-timeout`) of the direct path: hosts start in deadline order, so one
  // FIFO and one timer serve them all
  const deadlines: NbstatJob[] = [];
  let deadlineHead = 0;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const armDeadline = (): void => {
    while (deadlineHead < deadlines.length && deadlines[deadlineHead]!.finished) deadlines[deadlineHead++] = undefined as never;
    if (deadlineHead > 1024 && deadlineHead * 2 > deadlines.length) {
      deadlines.splice(0, deadlineHead);
      deadlineHead = 0;
    }
    const head = deadlines[deadlineHead];
    if (head === undefined) {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      deadlineTimer = undefined;
      return;
    }
    if (deadlineTimer) return;
    deadlineTimer = setTimeout(onDeadline, Math.max(0, head.due - performance.now()));
  };
  const onDeadline = (): void => {
    deadlineTimer = undefined;
    const now = performance.now() + 0.5;
    for (let j = deadlines[deadlineHead]; j !== undefined && (j.finished || j.due <= now); j = deadlines[deadlineHead]) {
      deadlines[deadlineHead++] = undefined as never;
      if (!j.finished) {
        j.timedOut = true;
        direct!.cancel!(j.handle);
      }
    }
    armDeadline();
  };
  const onNbstat = (r: NbstatResult, job: NbstatJob): void => {
    job.finished = true;
    const errors: ProbeErrorInfo[] = job.timedOut ? [{ step: 'host', status: 'timeout', message: `host deadline of ${hostTimeoutMs} ms reached` }] : [];
    hostDone(silent.result(job.target, job.started, r, errors));
    if (job.due !== Infinity && deadlines[deadlineHead] === job) armDeadline();
  };
  const startDirect = (t: Target): void => {
    const job: NbstatJob = { target: t, started: Date.now(), handle: undefined, timedOut: false, finished: false, due: Infinity };
    try {
      job.handle = direct!.start!(t.address, onNbstat, job);
    } catch (e) {
      job.finished = true;
      hostDone(hostResult(t, job.started, null, null, null, [errorInfo('nbstat', e, aborted())]));
      return;
    }
    if (hostTimeoutMs !== undefined && !job.finished) {
      job.due = performance.now() + hostTimeoutMs;
      deadlines.push(job);
      if (!deadlineTimer) armDeadline();
    }
  };

  // one puller at a time: target iteration (and DNS resolution inside it) is sequential
  const pump = async () => {
    if (pulling) return;
    pulling = true;
    try {
      while (!exhausted && !aborted() && inFlight < concurrency && failure === undefined) {
        let t: Target;
        if (batchAt < batch.length) {
          t = batch[batchAt++]!;
        } else {
          const next = await it.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          if (batched) {
            batch = next.value as readonly Target[];
            batchAt = 0;
            continue;
          }
          t = next.value as Target;
        }
        inFlight++;
        if (log.enabled) log('start %s (%s), %d in flight', t.host, t.address, inFlight);
        if (direct) {
          startDirect(t);
          continue;
        }
        scanHost(t, ctx).then(hostDone, (e: unknown) => {
          inFlight--;
          failure ??= e;
          notify();
        });
      }
    } catch (e) {
      failure ??= e;
    } finally {
      pulling = false;
      notify();
    }
  };

  const onAbort = () => notify();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    void pump();
    for (;;) {
      while (done.length > 0) yield done.shift()!;
      if (failure !== undefined) throw failure;
      if ((exhausted || aborted()) && inFlight === 0 && !pulling) break;
      await new Promise<void>((resolve) => (wake = resolve));
      if (!pulling && !aborted() && !exhausted && inFlight < concurrency) void pump();
    }
    while (done.length > 0) yield done.shift()!;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (deadlineTimer) clearTimeout(deadlineTimer);
    if (!exhausted) await it.return?.(undefined);
    await nbstat?.close();
  }
}
