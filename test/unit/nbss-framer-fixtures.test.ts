import assert from 'node:assert/strict';
import { NbssFramer, type NbssTransport } from '../../src/codec/nbss.js';
import { directionKey, fixtureCaptures, nbssMessages } from '../support/fixture-messages.js';

/**
 * The framer against TCP segmentation: every direction of every fixture stream, rebuilt from the
 * NBSS messages the capture holds, split into two chunks at every byte index, frames into exactly
 * the same messages (type, flags, payload bytes, stream offset).
 */
interface Stream {
  transport: NbssTransport;
  bytes: Uint8Array;
  messages: Array<{ type: number; flags: number; payload: Uint8Array; offset: number }>;
}

function streams(): Map<string, Stream> {
  const out = new Map<string, Stream>();
  for (const c of fixtureCaptures()) {
    const parts = new Map<string, { transport: NbssTransport; chunks: Uint8Array[]; messages: Stream['messages']; length: number }>();
    for (const m of nbssMessages(c.pcap)) {
      const key = `${c.name} ${m.connection} ${directionKey(m)}`;
      let p = parts.get(key);
      if (!p) parts.set(key, (p = { transport: m.transport, chunks: [], messages: [], length: 0 }));
      const header = new Uint8Array(4);
      const n = m.payload.length;
      if (m.transport === 'direct') header.set([0, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
      else header.set([m.type, (m.flags & 0xfe) | ((n >> 16) & 1), (n >> 8) & 0xff, n & 0xff]);
      p.messages.push({ type: m.type, flags: m.transport === 'direct' ? 0 : m.flags, payload: m.payload, offset: p.length });
      p.chunks.push(header, m.payload);
      p.length += 4 + n;
    }
    for (const [key, p] of parts) out.set(key, { transport: p.transport, bytes: Buffer.concat(p.chunks), messages: p.messages });
  }
  return out;
}

function frameAll(f: NbssFramer): Stream['messages'] {
  const got: Stream['messages'] = [];
  for (let m = f.next(); m; m = f.next()) got.push({ type: m.type, flags: m.flags, payload: m.payload, offset: m.offset });
  return got;
}

describe('nbss framer: every fixture stream split at every byte', () => {
  const all = streams();
  it('has fixture streams on both transports', () => {
    const kinds = new Set([...all.values()].map((s) => s.transport));
    assert.ok(all.size >= 40, `${all.size} streams`);
    assert.deepEqual([...kinds].sort(), ['direct', 'nbss']);
  });
  it('yields the same messages wherever the stream is cut', () => {
    let splits = 0;
    for (const [key, s] of all) {
      for (let at = 0; at <= s.bytes.length; at++) {
        const f = new NbssFramer(s.transport);
        f.push(s.bytes.subarray(0, at));
        const got = frameAll(f);
        f.push(s.bytes.subarray(at));
        got.push(...frameAll(f));
        assert.equal(f.buffered, 0, `${key} cut at ${at}: bytes left over`);
        assert.equal(got.length, s.messages.length, `${key} cut at ${at}`);
        for (let i = 0; i < got.length; i++) {
          const g = got[i]!;
          const w = s.messages[i]!;
          if (g.type !== w.type || g.flags !== w.flags || g.offset !== w.offset || Buffer.compare(g.payload, w.payload) !== 0) {
            assert.fail(`${key} cut at ${at}: message ${i} differs`);
          }
        }
        splits++;
      }
    }
    assert.ok(splits > 10_000, `${splits} splits`);
  });
});
