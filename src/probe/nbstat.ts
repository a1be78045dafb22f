/**
 * NBSTAT probe (UDP 137): a NODE STATUS REQUEST for `*`, the decoded name table and what it says
 * about the host — computer name, workgroup, logged-on users, roles, MAC and its vendor.
 *
 * Defaults (documented in docs/cli.md by the CLI): 1000 ms per attempt until RTTs are measured,
 * then adaptive within [50 ms, timeoutMs] (doubling per retransmission, still ≤ timeoutMs), and an
 * answer to any attempt counts until 250 ms after the last attempt's timeout; at most 2
 * retransmissions (loss probes on a path without loss: see docs/cli.md "NBSTAT pacing"); 4096
 * queries in flight, paced by their answers and timeouts (no fixed packet rate unless `rate`).
 *
 * `NbstatScanner` sends its queries through a few shared sockets, where ICMP port unreachable
 * cannot be attributed (closed port → `timeout`); with `detectUnreachable`, a query that starts
 * while few are in flight (one host, a small sweep, the tail of a big one) gets a connected socket
 * of its own, which sees the ICMP error (`unreachable`) — a big sweep does not pay a socket per target.
 * `probeNbstat` probes one host on a connected socket, so a closed port answers `unreachable` at once.
 */
import createDebug from 'debug';
import { encodeNodeStatusRequest, nbnsPacket, nodeStatusOf, type NbnsPacket, type NbstatRdata } from '../codec/nbns.js';
import { MSBROWSE_NAME, nbnsRcodeName, netbiosService } from '../codec/netbios-tables.js';
import { isDecodeError } from '../errors.js';
import type { NbstatName, NbstatResult, ProbeErrorInfo, ProbeStatus } from '../scan/result.js';
import { UdpTransport, type UdpOutcome, type UdpQueryHandle, type UdpRequest } from '../transport/udp.js';
import { isAllZeroMac, macVendor } from './mac-vendor.js';

const log = createDebug('smbprobe:nbns');

/** Options of the NBSTAT probe: timeouts, retries, the global packet rate, the UDP port and cancellation. */
export interface NbstatOptions {
  /** Per attempt, before RTTs are measured; also the adaptive timeout's upper bound. Default 1000 ms. */
  timeoutMs?: number;
  /** Lower bound of the adaptive per-attempt timeout. Default 50 ms (or timeoutMs if smaller). */
  minTimeoutMs?: number;
  /** Retransmissions. Default 2. */
  retries?: number;
  /**
   * On a path that has shown no loss, retransmit only one silent target in 8 (loss probes; the
   * first sign of loss brings every retransmission back). Default true.
   */
  lossProbes?: boolean;
  /** Global packets/s cap (Infinity: none, the window of queries in flight paces). Default Infinity. */
  rate?: number;
  /** Destination UDP port. Default 137. */
  port?: number;
  /** Queries in flight at once (the self-clocking window). Default 4096. */
  maxOutstanding?: number;
  /** A query that starts while at most 64 are in flight gets a connected socket, so that ICMP port unreachable is seen. Default false. */
  detectUnreachable?: boolean;
  /** `shared` (default): shared sockets for every target; `connected`: one socket per query in flight (probeNbstat). */
  socketMode?: 'shared' | 'connected';
  signal?: AbortSignal;
}

const NODE_TYPES = ['B', 'P', 'M', 'H'] as const;

const EXCHANGE_SUFFIXES: ReadonlySet<number> = new Set([0x22, 0x23, 0x24, 0x6a, 0x87]);
const LOTUS_SUFFIXES: ReadonlySet<number> = new Set([0x2b, 0x2f, 0x33]);

/** Roles in output order, each with the names that show it (`upper`: the name in upper case, computed once per name). */
const ROLE_RULES: readonly { role: string; test: (n: NbstatName, upper: string) => boolean }[] = [
  { role: 'workstation', test: (n) => n.suffix === 0x00 && !n.group },
  { role: 'messenger', test: (n) => n.suffix === 0x03 && !n.group },
  { role: 'file-server', test: (n) => n.suffix === 0x20 && !n.group },
  { role: 'domain-controller', test: (n, upper) => n.suffix === 0x1c && n.group && upper !== 'INET~SERVICES' },
  { role: 'domain-master-browser', test: (n) => n.suffix === 0x1b && !n.group },
  { role: 'master-browser', test: (n) => (n.suffix === 0x1d && !n.group) || (n.suffix === 0x01 && n.name === MSBROWSE_NAME) },
  { role: 'browser-election', test: (n) => n.suffix === 0x1e && n.group },
  { role: 'ras-server', test: (n) => n.suffix === 0x06 },
  { role: 'ras-client', test: (n) => n.suffix === 0x21 },
  { role: 'netdde', test: (n) => n.suffix === 0x1f },
  { role: 'exchange', test: (n) => EXCHANGE_SUFFIXES.has(n.suffix) },
  { role: 'iis', test: (n, upper) => (n.suffix === 0x1c && upper === 'INET~SERVICES') || (n.suffix === 0x00 && !n.group && upper.startsWith('IS~')) },
  { role: 'lotus-notes', test: (n) => LOTUS_SUFFIXES.has(n.suffix) },
  { role: 'modem-sharing', test: (n) => n.suffix === 0x30 || n.suffix === 0x31 },
  { role: 'antivirus', test: (n) => n.suffix === 0x42 },
  { role: 'sms', test: (n) => n.suffix >= 0x43 && n.suffix <= 0x46 },
  { role: 'network-monitor', test: (n) => n.suffix === 0xbe || n.suffix === 0xbf },
];

/** A result with no table (timeout, unreachable, skipped ...). */
export function emptyNbstatResult(status: NbstatResult['status'], error?: ProbeErrorInfo): NbstatResult {
  const r: NbstatResult = {
    status,
    names: [],
    mac: null,
    macVendor: null,
    macAllZero: false,
    computerName: null,
    workgroup: null,
    users: [],
    roles: [],
    statistics: null,
    warnings: [],
    rttMs: null,
  };
  if (error) r.error = error;
  return r;
}

/**
 * The result for a decoded node status answer (live or from a capture): names with their flags
 * and services, and the facts derived from them.
 */
export function nbstatResult(rdata: NbstatRdata, warnings: readonly string[] = [], rttMs: number | null = null): NbstatResult {
  const names: NbstatName[] = rdata.names.map((e) => ({
    name: e.name,
    suffix: e.suffix,
    group: e.group,
    nodeType: NODE_TYPES[e.ont & 3]!,
    active: e.act,
    permanent: e.prm,
    conflict: e.cnf,
    deregistering: e.drg,
    flags: e.flags,
    service: netbiosService(e.name, e.suffix, e.group),
  }));
  const upper = names.map((n) => n.name.toUpperCase());
  let computerName: string | null = null;
  let workgroup: string | null = null;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n.suffix !== 0x00) continue;
    if (n.group) workgroup ??= n.name;
    else if (computerName === null && !upper[i]!.startsWith('IS~')) computerName = n.name;
  }
  // <03> is registered for the computer name (and its aliases, also registered as <00>/<20>)
  // and, on old Windows, for each logged-on user: only the latter are users
  const hostNames = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (!n.group && (n.suffix === 0x00 || n.suffix === 0x20)) hostNames.add(upper[i]!);
  }
  if (computerName) hostNames.add(computerName.toUpperCase());
  const users: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n.suffix !== 0x03 || n.group || hostNames.has(upper[i]!) || users.includes(n.name)) continue;
    users.push(n.name);
  }
  const roles: string[] = [];
  for (const r of ROLE_RULES) {
    for (let i = 0; i < names.length; i++) {
      if (r.test(names[i]!, upper[i]!)) {
        roles.push(r.role);
        break;
      }
    }
  }
  const mac = rdata.unitId;
  return {
    status: 'ok',
    names,
    mac,
    macVendor: mac === null ? null : macVendor(mac),
    macAllZero: mac !== null && isAllZeroMac(mac),
    computerName,
    workgroup,
    users,
    roles,
    statistics: rdata.statistics ? { ...rdata.statistics } : null,
    warnings: [...warnings],
    rttMs: rttMs === null ? null : Math.round(rttMs * 1000) / 1000,
  };
}

function errorInfo(status: ProbeStatus, message: string, extra: Partial<ProbeErrorInfo> = {}): ProbeErrorInfo {
  return { step: 'nbstat', status, message, ...extra };
}

/** Turns the transport's outcome into a result: decode, check, derive. */
function fromOutcome(o: UdpOutcome): NbstatResult {
  if (o.status !== 'ok') {
    const status: ProbeStatus = o.status;
    return emptyNbstatResult(status, errorInfo(status, o.message));
  }
  let p: NbnsPacket;
  try {
    p = nbnsPacket.decode(o.data);
  } catch (e) {
    if (!isDecodeError(e)) throw e;
    const r = emptyNbstatResult('protocol-error', errorInfo('protocol-error', e.message, { code: e.code, field: e.field, offset: e.offset }));
    r.rttMs = o.rttMs;
    return r;
  }
  const rdata = nodeStatusOf(p);
  if (p.rcode !== 0 || !rdata) {
    const why = p.rcode !== 0 ? `negative answer: RCODE ${nbnsRcodeName(p.rcode)}` : 'answer without NBSTAT record';
    const r = emptyNbstatResult('protocol-error', errorInfo('protocol-error', why));
    r.warnings = [...p.warnings];
    r.rttMs = o.rttMs;
    return r;
  }
  if (rdata.names.length === 0 && p.warnings.length > 0) {
    // a damaged table (NUM_NAMES beyond the bytes present, a cut answer) that yielded no name at all
    const r = emptyNbstatResult('protocol-error', errorInfo('protocol-error', `node status answer with no decodable name: ${p.warnings.join('; ')}`));
    r.warnings = [...p.warnings];
    r.rttMs = o.rttMs;
    return r;
  }
  return nbstatResult(rdata, p.warnings, o.rttMs);
}

export const NBSTAT_DEFAULTS = Object.freeze({ timeoutMs: 1000, minTimeoutMs: 50, retries: 2, rate: Infinity, maxOutstanding: 4096 });

/** A node status request for every ID: the bytes of encodeNodeStatusRequest, only the ID patched in. */
const REQUEST_TEMPLATE = Buffer.from(encodeNodeStatusRequest(0));
function nodeStatusRequestBytes(id: number): Buffer {
  const b = Buffer.allocUnsafe(REQUEST_TEMPLATE.length);
  REQUEST_TEMPLATE.copy(b);
  b[0] = id >>> 8;
  b[1] = id & 0xff;
  return b;
}

/** One query's continuation: the transport's outcome becomes a result, handed to `done`. */
interface Job<C> {
  done: (r: NbstatResult, ctx: C) => void;
  ctx: C;
  address: string;
}
function finishJob(outcome: UdpOutcome, job: Job<unknown>): void {
  const r = fromOutcome(outcome);
  if (log.enabled) log('%s: %s%s', job.address, r.status, r.status === 'ok' ? ` ${r.names.length} names, ${r.rttMs} ms, ${outcome.attempts} attempt(s)` : '');
  job.done(r, job.ctx);
}
const settle = (r: NbstatResult, resolve: (r: NbstatResult) => void): void => resolve(r);

/** Shared sockets for many targets; each query resolves the moment its answer arrives. */
export class NbstatScanner {
  readonly port: number;
  readonly transport: UdpTransport;
  private readonly signal: AbortSignal | undefined;

  constructor(opts: NbstatOptions = {}) {
    this.port = opts.port ?? 137;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) throw new RangeError(`bad port: ${this.port}`);
    this.signal = opts.signal;
    const timeoutMs = opts.timeoutMs ?? NBSTAT_DEFAULTS.timeoutMs;
    this.transport = new UdpTransport({
      timeoutMs,
      minTimeoutMs: opts.minTimeoutMs ?? Math.min(NBSTAT_DEFAULTS.minTimeoutMs, timeoutMs),
      retries: opts.retries ?? NBSTAT_DEFAULTS.retries,
      lossProbes: opts.lossProbes ?? true,
      rate: opts.rate ?? NBSTAT_DEFAULTS.rate,
      maxOutstanding: opts.maxOutstanding ?? NBSTAT_DEFAULTS.maxOutstanding,
      mode: opts.socketMode ?? (opts.detectUnreachable ? 'auto' : 'shared'),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Node status of one IP address. Never rejects for network trouble; throws TypeError for a non-IP address. */
  query(address: string, signal?: AbortSignal): Promise<NbstatResult> {
    if (this.signal?.aborted || signal?.aborted) return Promise.resolve(emptyNbstatResult('aborted', errorInfo('aborted', 'aborted before sending')));
    const req: UdpRequest = signal ? { address, port: this.port, build: nodeStatusRequestBytes, signal } : { address, port: this.port, build: nodeStatusRequestBytes };
    return new Promise<NbstatResult>((resolve, reject) => {
      try {
        this.transport.start(req, finishJob as (o: UdpOutcome, j: Job<(r: NbstatResult) => void>) => void, { done: settle, ctx: resolve, address });
      } catch (e) {
        reject(e); // not an IP address: a rejection, as from the async function it was
      }
    });
  }

  /**
   * Callback form of `query` for sweeps (no promise per host): `done(result, ctx)` is called
   * once, synchronously if the scanner is already closed. Throws TypeError for a non-IP address.
   * The handle ends the query early with `cancel`.
   */
  start<C>(address: string, done: (r: NbstatResult, ctx: C) => void, ctx: C): UdpQueryHandle {
    if (this.signal?.aborted) {
      done(emptyNbstatResult('aborted', errorInfo('aborted', 'aborted before sending')), ctx);
      return { req: { address, port: this.port, build: nodeStatusRequestBytes } };
    }
    const job: Job<C> = { done, ctx, address };
    return this.transport.start({ address, port: this.port, build: nodeStatusRequestBytes }, finishJob as (o: UdpOutcome, j: Job<C>) => void, job);
  }

  /** Ends a query of `start` now as `aborted` (a host deadline); its callback runs at once. */
  cancel(handle: UdpQueryHandle): void {
    this.transport.cancel(handle);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** One-shot probe of one host (connected socket: a closed port gives `unreachable` at once). */
export async function probeNbstat(address: string, opts: NbstatOptions = {}): Promise<NbstatResult> {
  const scanner = new NbstatScanner({ socketMode: 'connected', ...opts });
  try {
    return await scanner.query(address);
  } finally {
    await scanner.close();
  }
}
