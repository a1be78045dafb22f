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
  return new Promise((resolve, reject) => {
    const ok = stream.write(s, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}

export function stdoutSink(stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Sink {
  return { tty: stdout.isTTY === true, write: (s) => writeTo(stdout, s), close: async () => {} };
}

export async function fileSink(path: string): Promise<Sink> {
  // checked before anything is sent: the rename at the end must not be the first to fail
  if (path === '') throw new Error('empty file name');
  const st = await stat(path).catch(() => null);
  if (st?.isDirectory()) throw new Error('is a directory');
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const stream: WriteStream = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  let failed: Error | undefined;
  stream.on('error', (e) => (failed = e));
  return {
    tty: false,
    write: (s) => (failed ? Promise.reject(failed) : writeTo(stream, s)),
    async close(commit) {
      await new Promise<void>((resolve) => stream.end(() => resolve()));
      if (commit && !failed) await rename(tmp, path);
      else await unlink(tmp).catch(() => {});
      if (commit && failed) throw failed;
    },
  };
}
