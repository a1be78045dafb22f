import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CaptureDecoder, captureMessages, captureMessagesBuffer, type AppMessage } from '../../src/capture/messages.js';
import { decodeFrame, encodeFrame, type FrameInput } from '../../src/codec/net/frame.js';
import { readCaptureBuffer } from '../../src/codec/pcap/capture-reader.js';
import { encodePcapHeader, encodePcapRecord } from '../../src/codec/pcap/pcap.js';

const FIX = new URL('../../fixtures/', import.meta.url).pathname;
const fixtures = existsSync(FIX) ? readdirSync(FIX).filter((f) => f.endsWith('.pcap')).map((f) => FIX + f) : [];
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

function pcapOf(frames: Uint8Array[]): Uint8Array {
  return Buffer.concat([encodePcapHeader({ linkType: 1 }), ...frames.map((data, i) => encodePcapRecord({ tsSec: 1000 + i, data }))]);
}

const tcp = (f: Partial<FrameInput> & { seq: number; payload?: Uint8Array; syn?: boolean; fin?: boolean; reverse?: boolean }) =>
  encodeFrame({
    src: f.reverse ? '192.0.2.11' : '192.0.2.1',
    dst: f.reverse ? '192.0.2.1' : '192.0.2.11',
    protocol: 'tcp',
    srcPort: f.reverse ? (f.dstPort ?? 445) : 40000,
    dstPort: f.reverse ? 40000 : (f.dstPort ?? 445),
    payload: f.payload ?? new Uint8Array(0),
    tcp: { seq: f.seq, ack: 1, flags: { syn: f.syn ?? false, fin: f.fin ?? false } },
  });

const smbMessage = (n: number) => Uint8Array.from([0, 0, 0, n + 4, 0xfe, 0x53, 0x4d, 0x42, ...Array.from({ length: n }, (_, i) => i)]);
/** A direct-TCP message with a whole SMB2 header (StructureSize 64) and n body bytes. */
const smb2Message = (n: number) => {
  const m = new Uint8Array(4 + 64 + n);
  m.set([0, 0, (64 + n) >> 8, (64 + n) & 0xff, 0xfe, 0x53, 0x4d, 0x42, 64, 0]);
  for (let i = 0; i < n; i++) m[68 + i] = i;
  return m;
};

const brief = (m: AppMessage) =>
  m.kind === 'nbss'
    ? { kind: m.kind, transport: m.transport, fromServer: m.fromServer, type: m.type, payload: Buffer.from(m.payload).toString('hex') }
    : m.kind === 'nbns'
      ? { kind: m.kind, data: Buffer.from(m.data).toString('hex') }
      : { kind: m.kind };

describe('capture messages', () => {
  it('frames direct-TCP messages split over segments and reports first and completing frames', () => {
    const m1 = smbMessage(10);
    const m2 = smbMessage(3);
    const both = Buffer.concat([m1, m2]);
    const frames = [tcp({ seq: 99, syn: true }), tcp({ seq: 100, payload: both.subarray(0, 5) }), tcp({ seq: 105, payload: both.subarray(5, 20) }), tcp({ seq: 120, payload: both.subarray(20) })];
    const msgs = [...captureMessagesBuffer(pcapOf(frames))];
    assert.deepEqual(
      msgs.map((m) => m.kind === 'nbss' && [m.firstFrame, m.frame, m.transport, m.fromServer, m.client.port, m.server.port, m.streamOffset, m.payload.length]),
      [
        [2, 3, 'direct', false, 40000, 445, 0, 14],
        [3, 4, 'direct', false, 40000, 445, 18, 7],
      ],
    );
  });

  it('uses the 17-bit NBSS framing on 139 and keeps session-service types', () => {
    const req = Uint8Array.of(0x81, 0, 0, 2, 0xaa, 0xbb);
    const resp = Uint8Array.of(0x82, 0, 0, 0);
    const msgs = [...captureMessagesBuffer(pcapOf([tcp({ seq: 1, syn: true, dstPort: 139 }), tcp({ seq: 2, payload: req, dstPort: 139 }), tcp({ seq: 500, payload: resp, dstPort: 139, reverse: true })]))];
    assert.deepEqual(msgs.map((m) => m.kind === 'nbss' && [m.transport, m.type, m.fromServer, Buffer.from(m.payload).toString('hex')]), [
      ['nbss', 0x81, false, 'aabb'],
      ['nbss', 0x82, true, ''],
    ]);
  });

  it('reports a gap and restarts framing after it; a bad stream becomes an error, not an exception', () => {
    const m = smb2Message(6);
    const frames = [
      tcp({ seq: 0, syn: true }),
      tcp({ seq: 1, payload: m.subarray(0, 4) }), // first message: its tail is lost
      tcp({ seq: 1 + m.length, payload: m }), // next message after the hole
      // another flow sends garbage on 445
      encodeFrame({ src: '192.0.2.5', dst: '192.0.2.11', protocol: 'tcp', srcPort: 1234, dstPort: 445, tcp: { seq: 7, flags: { syn: true } } }),
      encodeFrame({ src: '192.0.2.5', dst: '192.0.2.11', protocol: 'tcp', srcPort: 1234, dstPort: 445, tcp: { seq: 8 }, payload: Uint8Array.of(0x85, 0, 0, 0) }),
      tcp({ seq: 1 + 2 * m.length, payload: m }),
    ];
    const msgs = [...captureMessagesBuffer(pcapOf(frames), { reassembly: { maxBufferedSegments: 1 } })];
    const kinds = msgs.map((x) => x.kind + (x.kind === 'gap' ? `:${x.reason}:${x.length}:${x.discarded}` : x.kind === 'error' ? `:${x.scope}:${x.code}` : ''));
    // the garbage flow searches for a header to its end: its 4 bytes are reported as unsynced
    assert.deepEqual(kinds, ['error:stream:BAD_VALUE', `gap:buffer-limit:${m.length - 4}:4`, 'nbss', 'nbss', 'gap:unsynced:0:4']);
  });

  it('passes NBNS datagrams (UDP 137, either side) through', () => {
    const q = Uint8Array.of(0x12, 0x34, 0, 0, 0, 1);
    const frames = [
      encodeFrame({ src: '192.0.2.1', dst: '192.0.2.11', protocol: 'udp', srcPort: 50000, dstPort: 137, payload: q }),
      encodeFrame({ src: '192.0.2.11', dst: '192.0.2.1', protocol: 'udp', srcPort: 137, dstPort: 50000, payload: q }),
      encodeFrame({ src: '192.0.2.11', dst: '192.0.2.1', protocol: 'udp', srcPort: 53, dstPort: 50000, payload: q }),
    ];
    const msgs = [...captureMessagesBuffer(pcapOf(frames))];
    assert.deepEqual(msgs.map((m) => m.kind === 'nbns' && [m.frame, m.src, m.srcPort, m.dstPort, Buffer.from(m.data).toString('hex')]), [
      [1, '192.0.2.1', 50000, 137, '123400000001'],
      [2, '192.0.2.11', 137, 50000, '123400000001'],
    ]);
  });

  it('ends a truncated or corrupt capture with a capture error after the messages before it', async () => {
    const buf = pcapOf([tcp({ seq: 0, syn: true }), tcp({ seq: 1, payload: smbMessage(2) }), tcp({ seq: 7, payload: smbMessage(2) })]);
    const cut = buf.subarray(0, buf.length - 3);
    const sync = [...captureMessagesBuffer(cut)];
    const last = sync[sync.length - 1]!;
    assert.equal(sync.filter((m) => m.kind === 'nbss').length, 1);
    assert.ok(last.kind === 'error' && last.scope === 'capture' && last.code === 'TRUNCATED' && last.frame === 2);
    const viaStream: AppMessage[] = [];
    for await (const m of captureMessages(Readable.from([cut]))) viaStream.push(m);
    assert.deepEqual(viaStream.map(brief), sync.map(brief));
  });

  it('counts malformed frames and reports them only when asked', () => {
    const bad = Uint8Array.from(tcp({ seq: 1, payload: smbMessage(1) }));
    bad[14] = 0x41; // IHL 1
    const dec = new CaptureDecoder();
    const rec = [...readCaptureBuffer(pcapOf([bad]))][0]!;
    assert.deepEqual(dec.push(rec), []);
    assert.equal(dec.stats.frameErrors, 1);
    const loud = new CaptureDecoder({ frameErrors: true }).push(rec);
    assert.ok(loud[0]?.kind === 'error' && loud[0].scope === 'frame' && loud[0].code === 'BAD_LENGTH');
  });

  describe('project fixtures', function () {
    if (fixtures.length === 0) {
      it.skip('no fixtures/*.pcap yet');
      return;
    }

    it('frames every fixture without gaps or errors', () => {
      for (const f of fixtures) {
        const msgs = [...captureMessagesBuffer(readFileSync(f))];
        assert.ok(msgs.length > 0, f);
        for (const m of msgs) {
          assert.ok(m.kind === 'nbss' || m.kind === 'nbns', `${f}: ${JSON.stringify(brief(m))} at frame ${m.frame}`);
          if (m.kind === 'nbss') {
            assert.ok(m.firstFrame <= m.frame);
            if (m.type === 0 && m.payload.length >= 4) assert.match(Buffer.from(m.payload.subarray(1, 4)).toString('latin1'), /^SMB$/);
          }
        }
      }
    });

    it('gives the same messages when the TCP streams are re-segmented into tiny reordered segments', () => {
      for (const f of fixtures.slice(0, 10)) {
        const want = [...captureMessagesBuffer(readFileSync(f))].filter((m) => m.kind === 'nbss').map(brief);
        if (want.length === 0) continue;
        const frames: Uint8Array[] = [];
        for (const rec of readCaptureBuffer(readFileSync(f))) {
          const d = decodeFrame(rec.linkType, rec.data);
          if (!d?.tcp || d.payload.length === 0) {
            frames.push(rec.data);
            continue;
          }
          // 3-byte segments, each pair swapped, the first one sent twice
          const pieces: Uint8Array[] = [];
          for (let o = 0; o < d.payload.length; o += 3) {
            pieces.push(encodeFrame({ src: d.src, dst: d.dst, protocol: 'tcp', srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload.subarray(o, o + 3), tcp: { seq: (d.tcp.seq + o) >>> 0, ack: d.tcp.ack, flags: { fin: d.tcp.flags.fin && o + 3 >= d.payload.length } } }));
          }
          for (let i = 0; i + 1 < pieces.length; i += 2) [pieces[i], pieces[i + 1]] = [pieces[i + 1]!, pieces[i]!];
          frames.push(pieces[0]!, ...pieces);
        }
        assert.deepEqual([...captureMessagesBuffer(pcapOf(frames))].filter((m) => m.kind === 'nbss').map(brief), want, f);
      }
    });

    it('finds the NBSS PDUs tshark finds, in the same frames', function () {
      if (!haveTshark) this.skip();
      for (const f of fixtures.filter((x) => /smbclient-L(-p139)?\.pcap$/.test(x)).slice(0, 2)) {
        const r = spawnSync('tshark', ['-r', f, '-n', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=;', '-e', 'frame.number', '-e', 'nbss.type', '-e', 'nbss.length'], { encoding: 'utf8' });
        const theirs: string[] = [];
        for (const line of r.stdout.trim().split('\n')) {
          const [n, t, len] = line.split('\t');
          if (!t) continue;
          const lens = (len ?? '').split(';');
          t.split(';').forEach((x, i) => theirs.push(`${n}:${Number(x)}:${lens[i]}`));
        }
        const ours = [...captureMessagesBuffer(readFileSync(f))].flatMap((m) => (m.kind === 'nbss' ? [`${m.frame}:${m.type}:${m.payload.length}`] : []));
        assert.deepEqual(ours, theirs, f);
      }
    });
  });
});
