/**
 * Passive analysis of a capture: records → application messages → decoded messages → exchanges,
 * MS17-010 detections and host results, in one streaming pass with bounded state (the capture is
 * read in chunks, never loaded whole). `analyzeCapture` drives it over a file or stream;
 * `PassiveAnalyzer` is the synchronous core (tests feed it messages directly).
 */
import { CaptureDecoder, type AppMessage, type CaptureDecoderOptions, type Endpoint } from '../capture/messages.js';
import { readCaptureChunks, type CaptureRecord, type CaptureSource, type ReadCaptureOptions } from '../pcap/file.js';
import { DecodeError } from '../errors.js';
import type { HostResult } from '../scan/result.js';
import { MessageDecoder, type DecodedMessage } from './decode.js';
import { Pairer, type Exchange, type ExchangeType } from './exchanges.js';
import { HostBuilder } from './hosts.js';
import { Ms17Detector, type Ms17Detection, type Ms17FindingId } from './ms17.js';
import type { Json } from './summary.js';
import { empty } from '../capture/reuse.js';

/** One `--events` record: an exchange, or an MS17-010-era detection. */
export interface PassiveEvent {
  type: ExchangeType | 'ms17-010';
  /** ISO time of the request (of the answer when no request was seen). */
  time: string;
  frames: { request: number | null; response: number | null };
  client: Endpoint;
  server: Endpoint;
  transport: 'udp' | 'nbss' | 'direct';
  connection?: number;
  /** Answer time minus request time, ms. */
  rttMs?: number;
  request: Record<string, Json> | null;
  response: Record<string, Json> | null;
  /** ms17-010 records: the finding id and what was seen. */
  finding?: Ms17FindingId;
  detail?: string;
  /** Set by the CLI when several captures are read. */
  file?: string;
}

/** Counters of a passive analysis: frames, bytes, messages, hosts. */
export interface PassiveStats {
  frames: number;
  /** File offset reached (bytes read through the last record). */
  bytes: number;
  messages: number;
  exchanges: number;
  unanswered: number;
  detections: number;
  gaps: number;
  decodeErrors: number;
  /** Requests reported unanswered early because the pairing table was full. */
  evicted: number;
}

/** Where reading stopped on a truncated or corrupt capture. */
export interface CaptureStop {
  /** File offset of the record that could not be read. */
  offset: number;
  /** Last good frame. */
  frame: number;
  code: string;
  field: string;
  message: string;
}

const iso = (s: { tsSec: number; tsNsec: number }): string => new Date(s.tsSec * 1000 + Math.floor(s.tsNsec / 1e6)).toISOString();

export function exchangeEvent(x: Exchange): PassiveEvent {
  const first = x.request ?? x.response!;
  const e: PassiveEvent = {
    type: x.type,
    time: iso(first),
    frames: { request: x.request?.frame ?? null, response: x.response?.frame ?? null },
    client: x.client,
    server: x.server,
    transport: x.transport,
    request: x.request?.fields ?? null,
    response: x.response?.fields ?? null,
  };
  if (x.connection !== undefined) e.connection = x.connection;
  if (x.request && x.response) {
    e.rttMs = Math.round(((x.response.tsSec - x.request.tsSec) * 1000 + (x.response.tsNsec - x.request.tsNsec) / 1e6) * 1000) / 1000;
  }
  return e;
}

export function detectionEvent(d: Ms17Detection): PassiveEvent {
  const e: PassiveEvent = {
    type: 'ms17-010',
    time: iso(d.tsSec !== undefined ? d : { tsSec: 0, tsNsec: 0 }),
    frames: { request: d.frames[0] ?? null, response: d.frames.length > 1 ? d.frames[d.frames.length - 1]! : null },
    client: d.client,
    server: d.server,
    transport: 'direct',
    request: null,
    response: null,
    finding: d.id,
    detail: d.detail,
  };
  if (d.connection !== undefined) e.connection = d.connection;
  return e;
}

/** Options of the passive analyzer: capture name, event and progress callbacks, state bounds. */
export interface PassiveAnalyzerOptions {
  /** Name for `passive.capture` in the results. */
  capture?: string;
  /** Build `--events` records (default false: hosts only). */
  events?: boolean;
  maxPending?: number;
  maxHosts?: number;
}

/** The synchronous core: push application messages, take events, finish for the hosts. */
export class PassiveAnalyzer {
  private readonly decoder: MessageDecoder;
  private readonly pairer: Pairer;
  private readonly ms17 = new Ms17Detector();
  private readonly hosts: HostBuilder;
  private readonly events: boolean;
  private readonly xs: Exchange[] = [];
  private readonly ds: Ms17Detection[] = [];
  private readonly ms: DecodedMessage[] = [];
  readonly stats: PassiveStats = { frames: 0, bytes: 0, messages: 0, exchanges: 0, unanswered: 0, detections: 0, gaps: 0, decodeErrors: 0, evicted: 0 };

  constructor(opts: PassiveAnalyzerOptions = {}) {
    this.events = opts.events ?? false;
    // without events, each side keeps only the fields host results read
    this.pairer = new Pairer({ ...(opts.maxPending !== undefined ? { maxPending: opts.maxPending } : {}), fields: this.events ? 'full' : 'hosts' });
    this.hosts = new HostBuilder({ ...(opts.capture !== undefined ? { capture: opts.capture } : {}), ...(opts.maxHosts !== undefined ? { maxHosts: opts.maxHosts } : {}) });
    // the client's NTLMSSP messages and SESSION_SETUP requests only show in events; AndX chains
    // only in --messages; host results read the server's security blobs once or twice per host
    // and only the headers of SMB2 commands not decoded
    this.decoder = new MessageDecoder({
      requestAuth: this.events, andxChain: false, lazyAuth: !this.events, smb1SessionSetupRequests: this.events, smb2OtherBodies: this.events, lazySmb1Bodies: !this.events,
    });
  }

  /** One application message; returns the events it completes (empty unless `events`). */
  push(app: AppMessage, out: PassiveEvent[] = []): PassiveEvent[] {
    const ms = this.ms;
    empty(ms);
    this.decoder.decodeInto(app, ms);
    for (const m of ms) {
      this.stats.messages++;
      if (m.kind === 'gap') this.stats.gaps++;
      if (m.kind === 'decode-error') this.stats.decodeErrors++;
      this.hosts.observe(m);
      empty(this.xs);
      this.pairer.push(m, this.xs);
      this.take(this.xs, out);
      empty(this.ds);
      this.ms17.push(m, this.ds);
      for (const d of this.ds) {
        this.stats.detections++;
        this.hosts.detection(d);
        if (this.events) out.push(detectionEvent(d));
      }
    }
    return out;
  }

  /** End of input: unanswered requests (as events) and the host results. */
  finish(out: PassiveEvent[] = []): { events: PassiveEvent[]; hosts: HostResult[] } {
    this.xs.length = 0;
    this.pairer.flush(this.xs);
    this.take(this.xs, out);
    this.stats.evicted = this.pairer.evicted;
    return { events: out, hosts: this.hosts.results() };
  }

  private take(xs: Exchange[], out: PassiveEvent[]): void {
    for (const x of xs) {
      this.stats.exchanges++;
      if (!x.response) this.stats.unanswered++;
      this.hosts.exchange(x);
      if (this.events) out.push(exchangeEvent(x));
      // dropped so that nothing keeps the message (and the capture bytes it views); an assignment,
      // not `delete`, which turned every exchange into a slow dictionary-mode object
      x.message = undefined;
    }
  }
}

/** Options of {@link analyzeCapture}: the analyzer, reader and capture-decoder options together. */
export interface AnalyzeOptions extends PassiveAnalyzerOptions, ReadCaptureOptions, CaptureDecoderOptions {
  /** Called after each record (frames read, file offset reached). */
  onProgress?: (stats: PassiveStats) => void;
  /** Each event as it completes (awaited: back-pressure for slow outputs). */
  onEvent?: (e: PassiveEvent) => void | Promise<void>;
}

/** The hosts a capture shows, its statistics, and where it stopped if it was damaged. */
export interface AnalyzeResult {
  hosts: HostResult[];
  stats: PassiveStats;
  /** Set when the capture ended in a damaged or truncated record. */
  stopped: CaptureStop | null;
}

/**
 * Analyse a capture file (`-` = stdin), stream or chunk iterable in one pass. A truncated or
 * corrupt capture is not an error: the result holds what decoded and `stopped` says where it
 * ended. I/O errors are thrown.
 */
export async function analyzeCapture(source: CaptureSource, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const a = new PassiveAnalyzer({ ...opts, events: opts.events ?? opts.onEvent !== undefined });
  const dec = new CaptureDecoder(opts);
  const apps: AppMessage[] = [];
  const evs: PassiveEvent[] = [];
  let stopped: CaptureStop | null = null;
  const emit = async (): Promise<void> => {
    if (opts.onEvent) for (const e of evs) await opts.onEvent(e);
    empty(evs);
  };
  try {
    // records pulled a chunk at a time: an await per record would cost more than decoding most
    // of them. Host-only: nothing a record's bytes are in outlives its chunk (the framer and the
    // reassembler copy what a flow keeps; pairing keeps plain fields), so one read buffer serves
    const events = opts.events ?? opts.onEvent !== undefined;
    // host-only, one record object too: nothing keeps a record past the next
    const into: CaptureRecord | undefined = events ? undefined : { frame: 0, interfaceId: 0, linkType: 0, tsSec: 0, tsNsec: 0, capturedLength: 0, originalLength: 0, data: new Uint8Array(0), fileOffset: 0 };
    for await (const reader of readCaptureChunks(source, events ? opts : { ...opts, reuseBuffer: true })) {
      for (let rec = reader.next(into); rec !== undefined; rec = reader.next(into)) {
        a.stats.frames = rec.frame;
        a.stats.bytes = rec.fileOffset + rec.capturedLength;
        empty(apps);
        dec.push(rec, apps);
        for (const app of apps) a.push(app, evs);
        if (evs.length > 0) await emit();
        opts.onProgress?.(a.stats);
      }
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    stopped = { offset: e.offset, frame: a.stats.frames, code: e.code, field: e.field, message: e.message };
  }
  apps.length = 0;
  dec.flush(apps);
  for (const app of apps) a.push(app, evs);
  const { hosts } = a.finish(evs);
  await emit();
  return { hosts, stats: a.stats, stopped };
}

/** Synchronous analysis of application messages already read (tests, small captures in memory). */
export function analyzeMessages(apps: Iterable<AppMessage>, opts: PassiveAnalyzerOptions = {}): { hosts: HostResult[]; events: PassiveEvent[]; stats: PassiveStats } {
  const a = new PassiveAnalyzer(opts);
  const events: PassiveEvent[] = [];
  for (const app of apps) a.push(app, events);
  const { hosts } = a.finish(events);
  return { hosts, events, stats: a.stats };
}
