/**
 * MS17-010-era activity in SMB1 traffic, with the frames that show it. Predicates (per TCP
 * connection, client → server):
 *
 *   doublepulsar-probe   a TRANSACTION2 request with subcommand (Setup[0]) 0x000E
 *                        TRANS2_SESSION_SETUP: reserved, never sent by real clients; the
 *                        DoublePulsar implant hooks it (scanners send it with MID 65 to ping).
 *   doublepulsar-implant the answer to such a probe comes back with MID = request MID + 16
 *                        (65 → 81, 0x41 → 0x51): the implant rewrites the MID to signal "I am
 *                        here"; an unaffected server answers with the request's own MID
 *                        (STATUS_NOT_IMPLEMENTED).
 *   ms17-010-vulnerable  a TRANSACTION request PeekNamedPipe (Setup[0] 0x0023) on FID 0 (Setup[1])
 *                        answered STATUS_INSUFF_SERVER_RESOURCES (0xC0000205): the unpatched
 *                        signature that MS17-010 checks test for (patched hosts answer
 *                        STATUS_INVALID_HANDLE or STATUS_ACCESS_DENIED → `ms17-010-check`, info).
 *   eternalblue-exploit-attempt
 *                        an NT_TRANSACT request left incomplete (DataCount < TotalDataCount) is
 *                        continued by TRANSACTION2_SECONDARY requests with the same MID and PID:
 *                        a secondary of the wrong family, which no client sends — the server's
 *                        confusion between the two is the EternalBlue bug (the large FEA list in
 *                        the data, TotalDataCount ≥ 0x10000 in the wild, overflows when converted).
 *
 * State is bounded: at most `maxConnections` (4096) connections tracked (least recently used dropped),
 * and per connection at most 64 open probes, peeks and transactions each and 1024 unmatched TRANS2 answers.
 */
import type { Endpoint } from '../capture/messages.js';
import { NtStatus, ntStatusName } from '../codec/ntstatus.js';
import { Smb1Command, Trans2Subcommand, TransSubcommand } from '../codec/smb1/index.js';
import type { Severity } from '../scan/result.js';
import type { DecodedMessage } from './decode.js';

export const MS17_FINDINGS = {
  'ms17-010-vulnerable': { severity: 'high', title: 'Unpatched for MS17-010 (EternalBlue): PeekNamedPipe on FID 0 answered STATUS_INSUFF_SERVER_RESOURCES' },
  'doublepulsar-implant': { severity: 'high', title: 'DoublePulsar implant answered (Trans2 SESSION_SETUP answered with MID + 16)' },
  'eternalblue-exploit-attempt': { severity: 'high', title: 'EternalBlue exploit attempt (NT_TRANSACT continued by TRANSACTION2_SECONDARY)' },
  'doublepulsar-probe': { severity: 'medium', title: 'DoublePulsar probe received (SMB1 Trans2 SESSION_SETUP)' },
  'ms17-010-check': { severity: 'info', title: 'MS17-010 check received (PeekNamedPipe on FID 0), answered like a patched host' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type Ms17FindingId = keyof typeof MS17_FINDINGS;
export const MS17_FINDING_IDS: readonly Ms17FindingId[] = Object.keys(MS17_FINDINGS) as Ms17FindingId[];

export interface Ms17Detection {
  id: Ms17FindingId;
  client: Endpoint;
  server: Endpoint;
  connection?: number;
  /** Request frame, then the answer's (or the continuation's) frames. */
  frames: number[];
  /** Time of the last frame. */
  tsSec: number;
  tsNsec: number;
  detail: string;
  /** eternalblue: TRANSACTION2_SECONDARY requests seen so far (updated in place). */
  secondaries?: number;
}

interface OpenRequest {
  frame: number;
  mid: number;
  pid: number;
  extra: string;
}

interface NtTrans extends OpenRequest {
  totalDataCount: number;
  dataCount: number;
  detection?: Ms17Detection;
}

/** Per-connection state; the maps are made on first use (most connections carry none of these). */
interface ConnState {
  probes: Map<number, OpenRequest> | undefined;
  /**
   * TRANS2 answers that matched no open probe, by MID (frames ascending), at most LATE_ANSWERS in
   * all: a request held back by TCP reassembly (a hole before it) reaches us after its answer.
   */
  unmatched: Map<number, number[]> | undefined;
  unmatchedCount: number;
  /** Highest frame seen on the connection. */
  lastFrame: number;
  peeks: Map<string, OpenRequest> | undefined;
  ntTrans: Map<string, NtTrans> | undefined;
}

const PER_CONNECTION = 64;
const LATE_ANSWERS = 1024;
const MID_IMPLANT_DELTA = 16;

function put<K, V>(m: Map<K, V>, k: K, v: V): void {
  m.delete(k);
  if (m.size >= PER_CONNECTION) m.delete(m.keys().next().value as K);
  m.set(k, v);
}

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

export class Ms17Detector {
  /**
   * A probe that reached us after answers on its connection (held back by reassembly): its answer
   * is the first unmatched TRANS2 answer after it with its own MID or MID + 16 (consumed).
   */
  private lateAnswer(st: ConnState, mid: number, frame: number): { frame: number; mid: number; status: number } | undefined {
    let best: { frame: number; mid: number; status: number; list: number[]; at: number } | undefined;
    for (const m of [mid, mid + MID_IMPLANT_DELTA]) {
      const list = st.unmatched?.get(m);
      if (!list) continue;
      for (let i = 0; i < list.length; i += 2) {
        if (list[i]! > frame) {
          if (!best || list[i]! < best.frame) best = { frame: list[i]!, mid: m, status: list[i + 1]!, list, at: i };
          break;
        }
      }
    }
    if (!best) return undefined;
    best.list.splice(best.at, 2);
    st.unmatchedCount--;
    return best;
  }

  private readonly conns = new Map<string | number, ConnState>();
  /** Key of the connection used last (the last in `conns`). */
  private lastKey: string | number | undefined = undefined;
  private readonly maxConnections: number;

  constructor(opts: { maxConnections?: number } = {}) {
    this.maxConnections = Math.max(1, opts.maxConnections ?? 4096);
  }

  /** Feed a decoded message; detections it completes are appended to `out`. */
  push(m: DecodedMessage, out: Ms17Detection[] = []): Ms17Detection[] {
    if (m.kind !== 'smb1') return out;
    const h = m.header;
    const c = h.command;
    if (c !== Smb1Command.TRANSACTION && c !== Smb1Command.TRANSACTION2 && c !== Smb1Command.NT_TRANSACT && c !== Smb1Command.TRANSACTION2_SECONDARY) return out;
    const meta = m.meta;
    // the connection number itself (a number key is cheaper than a string built per message)
    const key = meta.connection !== undefined ? meta.connection : `${meta.src.ip}|${meta.src.port}|${meta.dst.ip}|${meta.dst.port}`;
    let st = this.conns.get(key);
    if (st) {
      // most recently used last; consecutive messages mostly share a connection: no reorder then
      if (key !== this.lastKey) {
        this.conns.delete(key);
        this.conns.set(key, st);
      }
    } else {
      st = { probes: undefined, unmatched: undefined, unmatchedCount: 0, lastFrame: 0, peeks: undefined, ntTrans: undefined };
      if (this.conns.size >= this.maxConnections) this.conns.delete(this.conns.keys().next().value!);
      this.conns.set(key, st);
    }
    this.lastKey = key;
    const client = meta.fromServer ? meta.dst : meta.src;
    const server = meta.fromServer ? meta.src : meta.dst;
    const det = (id: Ms17FindingId, frames: number[], detail: string): Ms17Detection => {
      const d: Ms17Detection = { id, client, server, frames, tsSec: meta.tsSec, tsNsec: meta.tsNsec, detail };
      if (meta.connection !== undefined) d.connection = meta.connection;
      out.push(d);
      return d;
    };

    const late = meta.frame < st.lastFrame;
    if (meta.frame > st.lastFrame) st.lastFrame = meta.frame;
    if (!h.isReply) {
      if (meta.fromServer) return out;
      // only requests' bodies are read (they may be decoded on first read)
      const t = c !== Smb1Command.TRANSACTION2_SECONDARY && m.body.command === 'trans' ? m.body.message : undefined;
      if (c === Smb1Command.TRANSACTION2 && t?.subcommand === Trans2Subcommand.SESSION_SETUP) {
        const extra = t.timeout !== undefined ? `, Timeout 0x${t.timeout.toString(16).padStart(8, '0')}` : '';
        det('doublepulsar-probe', [meta.frame], `frame ${meta.frame}: ${client.ip} sent TRANS2 SESSION_SETUP (subcommand 0x000e) with MID ${h.mid}${extra}`);
        const answered = late ? this.lateAnswer(st, h.mid, meta.frame) : undefined;
        if (answered === undefined) put((st.probes ??= new Map()), h.mid, { frame: meta.frame, mid: h.mid, pid: h.pidLow, extra });
        else if (answered.mid !== h.mid) {
          det('doublepulsar-implant', [meta.frame, answered.frame], implantText(meta.frame, answered.frame, h.mid, answered.mid, answered.status));
        }
      } else if (c === Smb1Command.TRANSACTION && t?.subcommand === TransSubcommand.PEEK_NMPIPE && t.setup.length >= 2 && t.setup[1] === 0) {
        put((st.peeks ??= new Map()), `${h.mid}|${h.pidLow}`, { frame: meta.frame, mid: h.mid, pid: h.pidLow, extra: '' });
      } else if (c === Smb1Command.NT_TRANSACT && t && t.layout === 'nt-request' && t.dataCount < t.totalDataCount) {
        const fn = t.function !== undefined ? `, Function ${hex4(t.function)}` : '';
        put((st.ntTrans ??= new Map()), `${h.mid}|${h.pidLow}`, {
          frame: meta.frame, mid: h.mid, pid: h.pidLow, extra: fn, totalDataCount: t.totalDataCount, dataCount: t.dataCount,
        });
      } else if (c === Smb1Command.TRANSACTION2_SECONDARY) {
        const nt = st.ntTrans?.get(`${h.mid}|${h.pidLow}`);
        if (nt) {
          if (nt.detection) {
            nt.detection.secondaries = (nt.detection.secondaries ?? 1) + 1;
            if (nt.detection.frames.length < 3) nt.detection.frames.push(meta.frame);
            else nt.detection.frames[2] = meta.frame;
            nt.detection.detail = ebDetail(nt, nt.detection.secondaries, nt.detection.frames);
          } else {
            nt.detection = det('eternalblue-exploit-attempt', [nt.frame, meta.frame], '');
            nt.detection.secondaries = 1;
            nt.detection.detail = ebDetail(nt, 1, nt.detection.frames);
          }
        }
      }
      return out;
    }

    if (!meta.fromServer) return out;
    if (c === Smb1Command.TRANSACTION2) {
      const same = st.probes?.get(h.mid);
      if (same && same.pid === h.pidLow) {
        st.probes!.delete(h.mid);
        return out;
      }
      const p = st.probes?.get(h.mid - MID_IMPLANT_DELTA);
      if (p && p.pid === h.pidLow) {
        st.probes!.delete(p.mid);
        det('doublepulsar-implant', [p.frame, meta.frame], implantText(p.frame, meta.frame, p.mid, h.mid, h.status));
      } else {
        const unmatched = (st.unmatched ??= new Map());
        const list = unmatched.get(h.mid) ?? [];
        list.push(meta.frame, h.status);
        unmatched.set(h.mid, list);
        st.unmatchedCount++;
        if (st.unmatchedCount > LATE_ANSWERS) {
          // drop the oldest answer of the MID that holds the most
          let big: number[] | undefined;
          for (const l of unmatched.values()) if (!big || l.length > big.length) big = l;
          big!.splice(0, 2);
          st.unmatchedCount--;
        }
      }
    } else if (c === Smb1Command.TRANSACTION) {
      const k = `${h.mid}|${h.pidLow}`;
      const p = st.peeks?.get(k);
      if (p) {
        st.peeks!.delete(k);
        if (h.status === NtStatus.STATUS_INSUFF_SERVER_RESOURCES) {
          det('ms17-010-vulnerable', [p.frame, meta.frame], `frames ${p.frame}→${meta.frame}: PeekNamedPipe on FID 0 from ${client.ip} answered STATUS_INSUFF_SERVER_RESOURCES (0xC0000205)`);
        } else {
          det('ms17-010-check', [p.frame, meta.frame], `frames ${p.frame}→${meta.frame}: PeekNamedPipe on FID 0 from ${client.ip} answered ${ntStatusName(h.status)}`);
        }
      }
    }
    return out;
  }
}

function implantText(reqFrame: number, respFrame: number, reqMid: number, respMid: number, status: number): string {
  return `frames ${reqFrame}→${respFrame}: TRANS2 SESSION_SETUP with MID ${reqMid} answered with MID ${respMid} (request MID + 16: the implant's answer), ${ntStatusName(status)}`;
}

function ebDetail(nt: NtTrans, secondaries: number, frames: number[]): string {
  const last = frames[frames.length - 1]!;
  return (
    `frame ${nt.frame}: NT_TRANSACT with TotalDataCount ${nt.totalDataCount} (0x${nt.totalDataCount.toString(16)}), DataCount ${nt.dataCount}${nt.extra}, MID ${nt.mid}; ` +
    `continued by ${secondaries} TRANSACTION2_SECONDARY request${secondaries === 1 ? '' : 's'} with the same MID (frames ${frames[1]}${secondaries > 1 ? `…${last}` : ''})`
  );
}
