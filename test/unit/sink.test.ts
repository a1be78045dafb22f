import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { stdoutSink } from '../../src/cli/sink.js';

/** A non-TTY stream that records each write it receives. */
function recorder(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString());
      cb();
    },
  });
  return { stream, writes };
}

describe('cli: output sink', () => {
  it('lines written in one event-loop turn go out as one write, at the end of the turn', async () => {
    const { stream, writes } = recorder();
    const sink = stdoutSink(stream);
    for (let i = 0; i < 100; i++) await sink.write(`line ${i}\n`);
    assert.equal(writes.length, 0, 'nothing before the turn ends');
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    assert.equal(writes.length, 1);
    assert.equal(writes[0], Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
  });

  it('close flushes what is pending; 64 KiB go out at once', async () => {
    const { stream, writes } = recorder();
    const sink = stdoutSink(stream);
    await sink.write('x'.repeat(70_000));
    assert.equal(writes.length, 1);
    await sink.write('tail\n');
    await sink.close(true);
    assert.equal(writes.join(''), 'x'.repeat(70_000) + 'tail\n');
  });
});
