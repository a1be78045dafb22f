import { createReadStream, readSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { CaptureReader, readCaptureBuffer, type CaptureRecord } from '../codec/pcap/capture-reader.js';

/**
 * Capture I/O: read a pcap/pcapng file or stream in fixed-size chunks through the pure
 * {@link CaptureReader}, so a capture of any size is walked in flat memory.
 */

export type CaptureSource = string | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

/** Options for {@link readCapture}: chunk size and cancellation. */
export interface ReadCaptureOptions {
  /** Read size for files and stdin (default 1 MiB). */
  chunkSize?: number;
  /** Stop reading (the iterator finishes early) when aborted. */
  signal?: AbortSignal;
  /**
   * readCaptureBatches on a file path: read into one buffer reused for every chunk, so reading
   * allocates nothing. Records (and every view into them) are valid only until the next batch is
   * asked for: for callers that copy what they keep (host-only analysis). Default false.
   */
  reuseBuffer?: boolean;
}

export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

function toChunks(source: CaptureSource, chunkSize: number): AsyncIterable<Uint8Array> {
  if (typeof source === 'string') {
    if (source === '-') return process.stdin as AsyncIterable<Uint8Array>;
    return createReadStream(source, { highWaterMark: chunkSize }) as AsyncIterable<Uint8Array>;
  }
  return source as AsyncIterable<Uint8Array>;
}

/**
 * Records of a capture file (`'-'` = stdin), readable stream or async iterable of chunks.
 * Throws DecodeError (with the file offset; records before it were already yielded) on garbage
 * or on a truncated capture; I/O errors propagate as they are.
 */
export async function* readCapture(source: CaptureSource, opts: ReadCaptureOptions = {}): AsyncGenerator<CaptureRecord, void, undefined> {
  const reader = new CaptureReader();
  const chunks = toChunks(source, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  for await (const chunk of chunks) {
    if (opts.signal?.aborted) return;
    // streams may hand out strings when an encoding was set; captures are bytes
    reader.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    for (let rec = reader.next(); rec !== undefined; rec = reader.next()) yield rec;
  }
  reader.end();
}

/**
 * The reader after each chunk read: the caller pulls the records with `reader.next()` until it
 * returns undefined (it throws DecodeError on a damaged record) before asking for the next chunk;
 * the end of input is checked (`end()`) when the chunks run out. Records pulled one at a time die
 * young: a batch array of a whole chunk's records would outlive a few young-generation GCs and be
 * promoted, records and views with it (hundreds of MB on a large capture).
 * With `reuseBuffer` (a file path only), records and their views are valid only until then.
 */
export async function* readCaptureChunks(source: CaptureSource, opts: ReadCaptureOptions = {}): AsyncGenerator<CaptureReader, void, undefined> {
  if (opts.reuseBuffer && typeof source === 'string' && source !== '-') {
    yield* fileChunksReused(source, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, opts.signal);
    return;
  }
  const reader = new CaptureReader();
  const chunks = toChunks(source, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  for await (const chunk of chunks) {
    if (opts.signal?.aborted) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    // plain Uint8Array views, not Buffers: cheaper subarrays, and slice() copies (a Buffer's is a
    // view, which would let a flow's kept bytes pin the whole chunk)
    reader.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    yield reader;
  }
  reader.end();
}

/**
 * The same records as {@link readCapture}, handed out as one array per chunk read: a caller that
 * processes records synchronously pays one await per chunk instead of one per record.
 */
export async function* readCaptureBatches(source: CaptureSource, opts: ReadCaptureOptions = {}): AsyncGenerator<CaptureRecord[], void, undefined> {
  for await (const reader of readCaptureChunks(source, opts)) {
    const batch: CaptureRecord[] = [];
    // a damaged record ends the capture: the records before it still go out, then the error
    try {
      for (let rec = reader.next(); rec !== undefined; rec = reader.next()) batch.push(rec);
    } catch (e) {
      if (batch.length > 0) yield batch;
      throw e;
    }
    if (batch.length > 0) yield batch;
  }
}

/** Chunks read synchronously between two turns of the event loop (16 MiB at the default size). */
const CHUNKS_PER_TURN = 16;

/**
 * readCaptureChunks over a file read into one reused buffer: the unconsumed tail of a chunk (a
 * partial record) moves to the front and the next read fills the rest, so a 1 MiB chunk is not
 * allocated per read and left for the GC (a fresh one per read costs tens of MB of RSS). The
 * reads are synchronous: an asynchronous read per chunk left the thread idle for about 1 ms each
 * (6 % of a host-only analysis), while a read from the page cache costs a tenth of that. The
 * event loop still gets a turn every CHUNKS_PER_TURN chunks (signals, timers, progress).
 */
async function* fileChunksReused(path: string, chunkSize: number, signal: AbortSignal | undefined): AsyncGenerator<CaptureReader, void, undefined> {
  // opened asynchronously: a missing file fails like the streaming path does
  const fh = await open(path, 'r');
  try {
    const reader = new CaptureReader();
    let buf = new Uint8Array(Math.max(chunkSize, 64));
    let total = 0;
    for (let n = 1; ; n++) {
      if (n % CHUNKS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) return;
      // the records handed out before are done with: their bytes may be overwritten
      const pending = reader.unbuffer();
      if (pending > 0 && pending < total) buf.copyWithin(0, total - pending, total);
      if (pending === buf.length) {
        // one record larger than the buffer: grow it
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const bytesRead = readSync(fh.fd, buf, pending, buf.length - pending, null);
      total = pending + bytesRead;
      if (total > 0) reader.push(buf.subarray(0, total));
      if (bytesRead === 0) break;
      yield reader;
    }
    reader.end();
  } finally {
    await fh.close();
  }
}

/** Whole file in memory, then the synchronous fast path (for small files and benchmarks). */
export async function readCaptureFile(path: string): Promise<CaptureRecord[]> {
  const buf = await readFile(path);
  return [...readCaptureBuffer(buf)];
}

export { CaptureReader, readCaptureBuffer };
export type { CaptureRecord };
