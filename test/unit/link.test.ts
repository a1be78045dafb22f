import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readCaptureBuffer } from '../../src/codec/pcap/capture-reader.js';
import { decodeFrame, encodeFrame, type DecodedFrame } from '../../src/codec/net/frame.js';
import { ipv6ToString, parseIp } from '../../src/codec/net/ip.js';
import { LinkType, encodeLinkHeader } from '../../src/codec/net/link.js';
import { isDecodeError } from '../../src/errors.js';
import { assertDecoderTotal } from '../helpers/codec.js';

const FIX = new URL('../../fixtures/', import.meta.url).pathname;
const fixtures = existsSync(FIX) ? readdirSync(FIX).filter((f) => f.endsWith('.pcap')).map((f) => FIX + f) : [];
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

const summary = (d: DecodedFrame | null) =>
  d && { v: d.ipVersion, src: d.src, dst: d.dst, p: d.protocol, sp: d.srcPort, dp: d.dstPort, pl: Buffer.from(d.payload).toString('hex'), frag: d.fragment, tcp: d.tcp };

/** Ethernet frames of the fixtures (link type 1) with their IP packet. */
function fixtureFrames(): { file: string; frame: number; data: Uint8Array }[] {
  const out: { file: string; frame: number; data: Uint8Array }[] = [];
  for (const f of fixtures) for (const r of readCaptureBuffer(readFileSync(f))) if (r.linkType === 1) out.push({ file: f, frame: r.frame, data: r.data });
  return out;
}

describe('link, IP, UDP and TCP (decodeFrame)', () => {
  it('decodes what it encodes over every link type, IPv4 and IPv6, UDP and TCP', () => {
    const links = [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.RAW_BSD, LinkType.RAW_OPENBSD, LinkType.NULL, LinkType.LOOP];
    for (const linkType of links) {
      for (const [src, dst] of [['192.0.2.1', '192.0.2.11'], ['2001:db8::1', 'fe80::1:0:0:2']] as const) {
        const payload = Uint8Array.of(1, 2, 3, 4, 5);
        const u = decodeFrame(linkType, encodeFrame({ linkType, src, dst, protocol: 'udp', srcPort: 137, dstPort: 40000, payload }));
        assert.deepEqual(summary(u), { v: src.includes(':') ? 6 : 4, src, dst, p: 'udp', sp: 137, dp: 40000, pl: '0102030405', frag: false, tcp: undefined });
        const t = decodeFrame(linkType, encodeFrame({ linkType, src, dst, protocol: 'tcp', srcPort: 50000, dstPort: 445, payload, tcp: { seq: 0xfffffff0, ack: 7, flags: { psh: true } } }));
        assert.equal(t?.srcPort, 50000);
        assert.deepEqual(t?.tcp?.flags, { fin: false, syn: false, rst: false, psh: true, ack: true, urg: false });
        assert.equal(t?.tcp?.seq, 0xfffffff0);
        assert.equal(Buffer.from(t!.payload).toString('hex'), '0102030405');
      }
    }
    // IPv4-only / IPv6-only raw link types
    assert.equal(decodeFrame(LinkType.IPV4, encodeFrame({ linkType: LinkType.IPV4, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 1, dstPort: 137 }))?.dstPort, 137);
    assert.equal(decodeFrame(LinkType.IPV6, encodeFrame({ linkType: LinkType.IPV6, src: '::1', dst: '::2', protocol: 'udp', srcPort: 1, dstPort: 137 }))?.dst, '::2');
  });

  it('accepts DLT_NULL in either byte order', () => {
    const f = encodeFrame({ linkType: LinkType.NULL, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 1, dstPort: 2 });
    const be = Uint8Array.from(f);
    be.set([0, 0, 0, 2], 0);
    assert.equal(decodeFrame(LinkType.NULL, be)?.src, '10.0.0.1');
    be.set([0, 0, 0, 99], 0);
    assert.equal(decodeFrame(LinkType.NULL, be), null);
  });

  it('follows 802.1Q and QinQ tags', () => {
    const f = encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 137, dstPort: 137, payload: Uint8Array.of(9) });
    const tagged = (tags: number[][]) => Buffer.concat([f.subarray(0, 12), ...tags.map((t) => Uint8Array.from(t)), f.subarray(12)]);
    const one = decodeFrame(1, tagged([[0x81, 0x00, 0x00, 0x64]]));
    assert.deepEqual([one?.src, one?.vlan], ['10.0.0.1', [100]]);
    const two = decodeFrame(1, tagged([[0x88, 0xa8, 0x00, 0x0a], [0x81, 0x00, 0x20, 0x14]]));
    assert.deepEqual([two?.dstPort, two?.vlan], [137, [10, 20]]);
    assert.equal(decodeFrame(1, tagged(Array.from({ length: 9 }, () => [0x81, 0x00, 0, 1]))), null);
  });

  it('returns null for non-IP and non-UDP/TCP, never throwing', () => {
    const arp = new Uint8Array(42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    assert.equal(decodeFrame(1, arp), null);
    const llc = new Uint8Array(60);
    llc[13] = 0x2e; // 802.3 length field: NetBEUI and friends
    assert.equal(decodeFrame(1, llc), null);
    assert.equal(decodeFrame(1, new Uint8Array(5)), null);
    assert.equal(decodeFrame(147, new Uint8Array(50)), null);
    const icmp = Uint8Array.from(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 1, dstPort: 2 }));
    icmp[14 + 9] = 1;
    assert.equal(decodeFrame(1, icmp), null);
    assert.equal(decodeFrame(LinkType.RAW, Uint8Array.of(0x50, 0, 0, 0)), null);
  });

  it('trims Ethernet padding with the IP total length', () => {
    const f = encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 139, dstPort: 1025, tcp: { seq: 1, ack: 1 }, trailer: new Uint8Array(6).fill(0xee) });
    const d = decodeFrame(1, f);
    assert.equal(d?.payload.length, 0);
    assert.equal(d?.truncated, false);
  });

  it('flags IPv4 and IPv6 fragments and walks IPv6 extension headers', () => {
    const f = Uint8Array.from(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 137, dstPort: 137, payload: new Uint8Array(16) }));
    f[14 + 6] = 0x20; // MF
    let d = decodeFrame(1, f);
    assert.deepEqual([d?.fragment, d?.srcPort], [true, 137]);
    f[14 + 6] = 0x00;
    f[14 + 7] = 0x02; // offset 16, last fragment: no UDP header in it
    d = decodeFrame(1, f);
    assert.deepEqual([d?.fragment, d?.srcPort, d?.payload.length], [true, 0, 24]);

    // IPv6: hop-by-hop + destination options + fragment header before UDP
    const base = encodeFrame({ linkType: LinkType.RAW, src: '2001:db8::1', dst: '2001:db8::2', protocol: 'udp', srcPort: 137, dstPort: 5000, payload: Uint8Array.of(7, 7) });
    const udp = base.subarray(40);
    const hbh = Uint8Array.of(60, 0, 1, 4, 0, 0, 0, 0);
    const dst = Uint8Array.of(44, 0, 1, 4, 0, 0, 0, 0);
    const frag = Uint8Array.of(17, 0, 0, 0, 0, 0, 0, 1); // offset 0, M 0 (atomic fragment)
    const hdr = Uint8Array.from(base.subarray(0, 40));
    hdr[6] = 0;
    const plen = 24 + udp.length;
    hdr[4] = plen >> 8;
    hdr[5] = plen & 0xff;
    d = decodeFrame(LinkType.RAW, Buffer.concat([hdr, hbh, dst, frag, udp]));
    assert.deepEqual([d?.srcPort, d?.dstPort, d?.fragment, Buffer.from(d!.payload).toString('hex')], [137, 5000, true, '0707']);
    d = decodeFrame(LinkType.RAW, Buffer.concat([hdr, hbh, dst, Uint8Array.of(17, 0, 0, 0x10, 0, 0, 0, 1), udp]));
    assert.deepEqual([d?.srcPort, d?.fragment], [0, true]);
    const loop = Buffer.concat([hdr, ...Array.from({ length: 20 }, () => Uint8Array.of(60, 0, 1, 4, 0, 0, 0, 0))]);
    loop[4] = 0;
    loop[5] = 160;
    assert.throws(() => decodeFrame(LinkType.RAW, loop), (e) => isDecodeError(e, 'LIMIT'));
  });

  it('throws DecodeError with codes for malformed IP, UDP and TCP', () => {
    const t = encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 445, tcp: { seq: 1 } });
    const bad = (mut: (b: Uint8Array) => void) => {
      const b = Uint8Array.from(t);
      mut(b);
      return () => decodeFrame(1, b);
    };
    assert.throws(bad((b) => (b[14] = 0x43)), (e) => isDecodeError(e, 'BAD_LENGTH') && e.protocol === 'ip');
    assert.throws(bad((b) => (b[14] = 0x4f)), (e) => isDecodeError(e, 'TRUNCATED'));
    assert.throws(bad((b) => (b[17] = 10)), (e) => isDecodeError(e, 'BAD_LENGTH') && e.field === 'ip.len');
    assert.throws(bad((b) => (b[14 + 20 + 12] = 0x30)), (e) => isDecodeError(e, 'BAD_LENGTH') && e.protocol === 'tcp');
    assert.throws(bad((b) => (b[14 + 20 + 12] = 0xf0)), (e) => isDecodeError(e, 'BAD_LENGTH') && e.protocol === 'tcp');
    const u = Uint8Array.from(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'udp', srcPort: 1, dstPort: 137 }));
    u[14 + 20 + 5] = 4;
    assert.throws(() => decodeFrame(1, u), (e) => isDecodeError(e, 'BAD_LENGTH') && e.protocol === 'udp');
    u[14 + 20 + 5] = 200;
    assert.throws(() => decodeFrame(1, u), (e) => isDecodeError(e, 'BAD_LENGTH') && e.protocol === 'udp');
    // snaplen cut: not malformed, flagged
    const long = encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 445, tcp: { seq: 1 }, payload: new Uint8Array(100) });
    const cut = decodeFrame(1, long.subarray(0, long.length - 40));
    assert.deepEqual([cut?.truncated, cut?.payload.length, cut?.payloadLength], [true, 60, 100]);
  });

  it('formats IPv6 addresses per RFC 5952', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
      ['2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:1', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'],
    ];
    for (const [input, want] of cases) assert.equal(ipv6ToString(parseIp(input), 0), want, input);
  });

  it('returns a frame or DecodeError for random and mutated frames', () => {
    const seeds = fixtureFrames().slice(0, 40).map((f) => f.data);
    if (seeds.length === 0) seeds.push(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', srcPort: 1, dstPort: 445, tcp: { seq: 1 }, payload: new Uint8Array(30) }));
    for (const lt of [1, 113, 276, 101, 0]) assertDecoderTotal((b) => decodeFrame(lt, b), seeds, 300);
  });

  describe('project fixtures', function () {
    if (fixtures.length === 0) {
      it.skip('no fixtures/*.pcap yet');
      return;
    }
    it('decodes the same packets re-encapsulated in SLL, SLL2, raw IP, NULL, LOOP and VLAN', () => {
      for (const { data } of fixtureFrames()) {
        const want = summary(decodeFrame(1, data));
        if (!want) continue;
        const ip = data.subarray(14);
        for (const lt of [LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL, LinkType.LOOP]) {
          assert.deepEqual(summary(decodeFrame(lt, Buffer.concat([encodeLinkHeader(lt, want.v), ip]))), want);
        }
        const vlan = Buffer.concat([data.subarray(0, 12), Uint8Array.of(0x81, 0, 0, 5), data.subarray(12)]);
        assert.deepEqual(summary(decodeFrame(1, vlan)), want);
      }
    });

    it('agrees with tshark on addresses, ports, TCP sequence numbers and lengths', function () {
      if (!haveTshark) this.skip();
      for (const f of fixtures.slice(0, 4)) {
        const r = spawnSync('tshark', ['-r', f, '-n', '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.srcport', '-e', 'tcp.srcport', '-e', 'udp.dstport', '-e', 'tcp.dstport', '-e', 'tcp.seq_raw', '-e', 'tcp.len', '-e', 'icmp.type'], { encoding: 'utf8' });
        const rows = new Map(r.stdout.trim().split('\n').map((l) => l.split('\t')).map((c) => [Number(c[0]), c]));
        for (const rec of readCaptureBuffer(readFileSync(f))) {
          const row = rows.get(rec.frame)!;
          const d = decodeFrame(rec.linkType, rec.data);
          if (row[9]) {
            assert.equal(d, null, 'ICMP is not UDP/TCP');
            continue;
          }
          if (!row[3] && !row[4]) {
            assert.equal(d, null);
            continue;
          }
          assert.deepEqual([d?.src, d?.dst, d?.srcPort, d?.dstPort], [row[1], row[2], Number(row[3] || row[4]), Number(row[5] || row[6])], `${f} #${rec.frame}`);
          if (d?.tcp) assert.deepEqual([d.tcp.seq, d.payload.length], [Number(row[7]), Number(row[8])]);
        }
      }
    });
  });
});
