/**
 * Where user-facing output goes: stdout, or a file written atomically (a temporary file next to
 * it, renamed over the target when done — also after an interrupt, so a closed JSON array lands;
 * removed on a run-time failure). Writes wait for the stream to drain.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface Sink {
  write(s: string): Promise<void>;
  /** Finish: `commit` renames the temporary file into place, otherwise it is removed. */
  close(commit: boolean): Promise<void>;
  /** Output is an interactive terminal (progress must not tear its lines). */
  readonly tty: boolean;
}

function writeTo(stream: NodeJS.WritableStream, s: string): Promise<void> {
  if (s === '') return Promise.resolve();
  // no callback per write: errors also come as the stream's 'error' event, and with a synchronous
  // stream (stdout redirected to a file) a loop that never leaves the microtask queue piled the
  // callbacks up with their chunks (a /8 dry run to /dev/null grew past 300 MB)
  if (stream.write(s)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    stream.once('drain', onDrain);
    stream.once('error', done);
  });
}

/**
 * Writes made in one event-loop turn go out as one chunk (at the end of the turn, or at 64 KiB):
 * a sweep finishes thousands of hosts per second, and one write per host line cost a tenth of
 * the run. Nothing waits longer than the current turn, so one host still prints at once.
 */
function coalesced(stream: NodeJS.WritableStream): { write: (s: string) => Promise<void>; flush: () => Promise<void> } {
  let pending = '';
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): Promise<void> => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const out = pending;
    pending = '';
    return writeTo(stream, out);
  };
  return {
    flush,
    write(s) {
      pending += s;
      if (pending.length >= 65536) return flush();
      scheduled ??= setImmediate(() => void flush().catch(() => {}));
      return Promise.resolve();
    },
  };
}

export function stdoutSink(stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Sink {
  if (stdout.isTTY === true) return { tty: true, write: (s) => writeTo(stdout, s), close: async () => {} };
  const out = coalesced(stdout);
  return { tty: false, write: out.write, close: () => out.flush() };
}

export async function fileSink(path: string): Promise<Sink> {
  // checked before anything is sent: the rename at the end must not be the first to fail
  if (path === '') throw new Error('empty file name');
  const st = await stat(path).catch(() => null);
  if (st?.isDirectory()) throw new Error('is a directory');
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // 1 MiB in flight: with the default 16 KiB every 64 KiB chunk waited for its write, and a sweep's
  // results piled up in the scan meanwhile (twice the memory and a fifth slower than stdout to a file)
  const stream: WriteStream = createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  let failed: Error | undefined;
  stream.on('error', (e) => (failed = e));
  const out = coalesced(stream);
  return {
    tty: false,
    write: (s) => (failed ? Promise.reject(failed) : out.write(s)),
    async close(commit) {
      await out.flush().catch((e: Error) => (failed ??= e));
      await new Promise<void>((resolve) => stream.end(() => resolve()));
      if (commit && !failed) await rename(tmp, path);
      else await unlink(tmp).catch(() => {});
      if (commit && failed) throw failed;
    },
  };
}
