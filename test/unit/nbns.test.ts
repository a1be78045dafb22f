import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  type NbnsPacket,
  type NbnsResourceRecord,
  type NodeStatistics,
  NBSTAT_STATISTICS_LENGTH,
  encodeNodeStatusRequest,
  nameQueryRequest,
  nbAddressEntry,
  nbnsPacket,
  nodeNameEntry,
  nodeStatusOf,
  nodeStatusRequest,
  nodeStatusResponse,
  zeroStatistics,
} from '../../src/codec/nbns.js';
import { MSBROWSE_NAME, NbnsOpcode, nbnsOpcodeName, nbnsRcodeName, netbiosService } from '../../src/codec/netbios-tables.js';
import { encodeNetbiosName, netbiosNameBytes } from '../../src/codec/netbios-name.js';
import { isDecodeError } from '../../src/errors.js';
import { assertDecoderTotal, roundTrip } from '../helpers/codec.js';
import { fixtureCaptures, FIXTURES_DIR, nbnsDatagrams } from '../support/fixture-messages.js';

/** Uint8Array fields as hex, so deepEqual compares content rather than views. */
const norm = (p: NbnsPacket): unknown =>
  JSON.parse(
    JSON.stringify(p, function (this: Record<string, unknown>, k: string, v: unknown) {
      const orig = this[k]; // before Buffer#toJSON
      return orig instanceof Uint8Array ? `hex:${Buffer.from(orig).toString('hex')}` : v;
    }),
  );

const stats: NodeStatistics = {
  jumpers: 1,
  testResult: 2,
  versionNumber: 0x0304,
  periodOfStatistics: 0x0506,
  numberOfCrcs: 7,
  numberAlignmentErrors: 8,
  numberOfCollisions: 9,
  numberSendAborts: 10,
  numberGoodSends: 0x01020304,
  numberGoodReceives: 0xfffffffe,
  numberRetransmits: 11,
  numberNoResourceConditions: 12,
  numberFreeCommandBlocks: 13,
  totalNumberCommandBlocks: 14,
  maxTotalNumberCommandBlocks: 15,
  numberPendingSessions: 16,
  maxNumberPendingSessions: 17,
  maxTotalSessionsPossible: 18,
  sessionDataPacketSize: 19,
};

const sambaNames = [
  { name: 'SMBP-NT1', suffix: 0x00, flags: 0x0400 },
  { name: 'SMBP-NT1', suffix: 0x03, flags: 0x0400 },
  { name: 'SMBP-NT1', suffix: 0x20, flags: 0x0400 },
  { name: MSBROWSE_NAME, suffix: 0x01, flags: 0x8400 },
  { name: 'SMBPLAB', suffix: 0x00, flags: 0x8400 },
  { name: 'SMBPLAB', suffix: 0x1d, flags: 0x0400 },
  { name: 'SMBPLAB', suffix: 0x1e, flags: 0x8400 },
];

function ownPackets(): NbnsPacket[] {
  const resp = nodeStatusResponse({ transactionId: 0xbeef, names: sambaNames, unitId: '02:00:c0:00:02:0b', statistics: stats });
  const nb = (flags: number, address: string) => nbAddressEntry(flags, address);
  const rr = (type: number, rdata: NbnsResourceRecord['rdata'], ttl = 300000): NbnsResourceRecord => ({
    name: { name: 'SMBP-NT1', suffix: 0x20, scope: '' },
    type,
    class: 1,
    ttl,
    rdata,
  });
  const base = nameQueryRequest(7, { name: 'SMBP-NT1', suffix: 0x20, scope: '' }, { broadcast: true });
  return [
    nodeStatusRequest(0x1234),
    nodeStatusRequest(0x1234, { broadcast: true }),
    resp,
    base,
    // positive name query response, two addresses
    { ...base, questions: [], response: true, authoritative: true, recursionDesired: true, answers: [rr(0x20, { kind: 'NB', entries: [nb(0x6000, '192.0.2.11'), nb(0x8000, '192.0.2.12')] })] },
    // negative name query response (RFC 1002 §4.2.14: NULL RR)
    { ...base, questions: [], response: true, authoritative: true, rcode: 3, answers: [rr(0x0a, { kind: 'NULL', data: new Uint8Array(0) }, 0)] },
    // registration request with its additional record, scope ID
    {
      ...base,
      opcode: NbnsOpcode.REGISTRATION,
      questions: [{ name: { name: 'SMBP-NT1', suffix: 0x00, scope: 'lab.example' }, type: 0x20, class: 1 }],
      additionals: [{ ...rr(0x20, { kind: 'NB', entries: [nb(0x0000, '192.0.2.11')] }), name: { name: 'SMBP-NT1', suffix: 0x00, scope: 'lab.example' } }],
    },
    // WACK
    { ...base, questions: [], opcode: NbnsOpcode.WACK, response: true, authoritative: true, answers: [rr(0x20, { kind: 'WACK', requestFlags: 0x2910 }, 2)] },
    // release, redirect-like NS + A, unknown RR type kept raw
    {
      ...base,
      opcode: NbnsOpcode.RELEASE,
      response: true,
      authorities: [rr(0x02, { kind: 'NS', nsdName: 'wins.lab.example' })],
      additionals: [rr(0x01, { kind: 'A', address: '192.0.2.53' }), rr(0x99, { kind: 'raw', data: Uint8Array.from([1, 2, 3]) })],
    },
  ];
}

describe('nbns node status request', () => {
  it('is byte for byte the request nmap and nbtscan send (flags 0, wildcard padded with NULs)', () => {
    const b = encodeNodeStatusRequest(0x1337);
    const expected = '133700000001000000000000' + '20' + Buffer.from('CK' + 'A'.repeat(30)).toString('hex') + '00' + '0021' + '0001';
    assert.equal(Buffer.from(b).toString('hex'), expected);
    assert.equal(b.length, 50);
    // nbtscan sets B
    const bc = encodeNodeStatusRequest(0x1337, { broadcast: true });
    assert.deepEqual([...bc.subarray(2, 4)], [0x00, 0x10]);
    assert.deepEqual([...bc.subarray(4)], [...b.subarray(4)]);
  });
});

describe('nbns codec', () => {
  it('round trips requests, responses, NB / NBSTAT / WACK / NULL / A / NS / raw RDATA', () => {
    for (const p of ownPackets()) roundTrip(nbnsPacket, p, norm);
  });

  it('decodes the node status response field by field, statistics at RFC 1002 offsets', () => {
    const bytes = nbnsPacket.encode(nodeStatusResponse({ transactionId: 1, names: sambaNames, unitId: '02:00:c0:00:02:0b', statistics: stats }));
    const rdataStart = 12 + 34 + 10;
    assert.equal(bytes.length, rdataStart + 1 + 18 * sambaNames.length + NBSTAT_STATISTICS_LENGTH);
    const st = rdataStart + 1 + 18 * sambaNames.length;
    // RFC layout: UNIT_ID 6, JUMPERS, TEST_RESULT, VERSION_NUMBER ... MAX_TOTAL_NUMBER_COMMAND_BLOCKS at +36
    assert.deepEqual([...bytes.subarray(st, st + 6)], [2, 0, 0xc0, 0, 2, 0x0b]);
    assert.deepEqual([...bytes.subarray(st + 6, st + 8)], [1, 2]);
    assert.deepEqual([...bytes.subarray(st + 20, st + 24)], [1, 2, 3, 4]);
    assert.deepEqual([...bytes.subarray(st + 36, st + 38)], [0, 15]);
    assert.deepEqual([...bytes.subarray(st + 44, st + 46)], [0, 19]);
    const p = nbnsPacket.decode(bytes);
    const ns = nodeStatusOf(p)!;
    assert.equal(ns.unitId, '02:00:c0:00:02:0b');
    assert.deepEqual(ns.statistics, stats);
    assert.equal(ns.names[3]!.name, MSBROWSE_NAME);
    assert.equal(ns.names[3]!.group, true);
    assert.equal(ns.names[3]!.act, true);
    assert.deepEqual(p.warnings, []);
    assert.equal(netbiosService(ns.names[3]!.name, ns.names[3]!.suffix, ns.names[3]!.group), 'Master Browser');
  });

  it('a response whose statistics are cut short still gives names and MAC, with a warning', () => {
    const full = nbnsPacket.encode(nodeStatusResponse({ transactionId: 1, names: sambaNames, unitId: '02:00:c0:00:02:0b' }));
    const cut = full.subarray(0, full.length - 40); // UNIT_ID and nothing after
    const p = nbnsPacket.decode(cut);
    const ns = nodeStatusOf(p)!;
    assert.equal(ns.names.length, sambaNames.length);
    assert.equal(ns.unitId, '02:00:c0:00:02:0b');
    assert.equal(ns.statistics, null);
    assert.equal(p.warnings.length, 2); // RDLENGTH past the end, statistics short
    // and with a consistent but short RDLENGTH
    const short = Uint8Array.from(cut);
    const rdl = 1 + 18 * sambaNames.length + 6;
    short[12 + 34 + 8] = rdl >> 8;
    short[12 + 34 + 9] = rdl & 0xff;
    const q = nbnsPacket.decode(short);
    assert.equal(nodeStatusOf(q)!.unitId, '02:00:c0:00:02:0b');
    assert.equal(q.warnings.length, 1);
  });

  it('a hostile NUM_NAMES (255 names in 57 bytes) yields only the names present, never reads past', () => {
    const p = nodeStatusResponse({ transactionId: 9, names: [{ name: 'HOST', suffix: 0x20, flags: 0x0400 }], unitId: null });
    const bytes = Uint8Array.from(nbnsPacket.encode(p));
    assert.equal(bytes.length, 12 + 34 + 10 + 1 + 18); // 75
    bytes[12 + 34 + 10] = 255; // NUM_NAMES
    const d = nbnsPacket.decode(bytes);
    assert.equal(nodeStatusOf(d)!.names.length, 1);
    assert.equal(nodeStatusOf(d)!.unitId, null);
    assert.equal(d.warnings.length, 1);
    // 57-byte answer: header + compressed RR name + fixed RR fields + NUM_NAMES + 2 bytes
    const tiny = Uint8Array.from([0, 9, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, ...encodeNetbiosName({ name: '*', suffix: 0, scope: '' }), 0, 0x21, 0, 1, 0, 0, 0, 0, 0, 3, 255, 0x41, 0x42]);
    assert.equal(tiny.length, 12 + 34 + 10 + 3);
    const t = nbnsPacket.decode(tiny.subarray(0, 57));
    assert.deepEqual(nodeStatusOf(t)!.names, []);
  });

  it('follows backward compression pointers; forward, self and looping pointers are BAD_OFFSET', () => {
    const req = nbnsPacket.encode(nodeStatusRequest(5));
    // an answer whose RR_NAME points at the question name (offset 12)
    const resp = nbnsPacket.encode(nodeStatusResponse({ transactionId: 5, names: sambaNames }));
    const withQ = Buffer.concat([resp.subarray(0, 4), Uint8Array.from([0, 1]), resp.subarray(6, 12), req.subarray(12), Uint8Array.from([0xc0, 12]), resp.subarray(12 + 34)]);
    const p = nbnsPacket.decode(withQ);
    assert.deepEqual(p.answers[0]!.name, { name: '*', suffix: 0, scope: '' });
    assert.equal(nodeStatusOf(p)!.names.length, sambaNames.length);
    // pointer to itself
    const self = Buffer.from(withQ);
    self[12 + 38 + 1] = 12 + 38;
    assert.throws(() => nbnsPacket.decode(self), (e) => isDecodeError(e, 'BAD_OFFSET'));
    // forward pointer
    const fwd = Buffer.from(withQ);
    fwd[12 + 38 + 1] = 12 + 38 + 4;
    assert.throws(() => nbnsPacket.decode(fwd), (e) => isDecodeError(e, 'BAD_OFFSET'));
  });

  it('header fields and names of opcodes and rcodes', () => {
    const p = nbnsPacket.decode(Uint8Array.from([0xab, 0xcd, 0xad, 0x97, 0, 0, 0, 0, 0, 0, 0, 0]));
    assert.equal(p.transactionId, 0xabcd);
    assert.equal(p.response, true);
    assert.equal(p.opcode, 5);
    assert.equal(nbnsOpcodeName(p.opcode), 'REGISTRATION');
    assert.deepEqual([p.authoritative, p.truncated, p.recursionDesired, p.recursionAvailable, p.broadcast], [true, false, true, true, true]);
    assert.equal(nbnsRcodeName(p.rcode), 'CFT_ERR');
    assert.equal(nbnsOpcodeName(3), 'OPCODE_0x3');
  });

  it('errors by code: short header, truncated question, bad first-level character', () => {
    assert.throws(() => nbnsPacket.decode(new Uint8Array(11)), (e) => isDecodeError(e, 'TRUNCATED'));
    const req = Uint8Array.from(nbnsPacket.encode(nodeStatusRequest(5)));
    assert.throws(() => nbnsPacket.decode(req.subarray(0, 49)), (e) => isDecodeError(e, 'TRUNCATED'));
    const bad = Uint8Array.from(req);
    bad[20] = 0x51; // 'Q'
    assert.throws(() => nbnsPacket.decode(bad), (e) => isDecodeError(e, 'BAD_VALUE'));
    // a record whose RDLENGTH runs past the packet (not NBSTAT) is TRUNCATED
    const pos = nbnsPacket.encode(ownPackets()[4]!);
    assert.throws(() => nbnsPacket.decode(pos.subarray(0, pos.length - 1)), (e) => isDecodeError(e, 'TRUNCATED'));
  });

  it('is total on random bytes and mutated packets', () => {
    const seeds = ownPackets().map((p) => nbnsPacket.encode(p));
    for (const file of pcapFiles()) for (const d of nbnsDatagrams(file)) if (seeds.length < 64) seeds.push(Uint8Array.from(d.data));
    assertDecoderTotal((b) => nbnsPacket.decode(b), seeds, 3000);
  });

  it('decode never reads past `end`', () => {
    const seeds = ownPackets().map((p) => nbnsPacket.encode(p));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.nat(), (i, cut) => {
        const s = seeds[i]!;
        const end = cut % (s.length + 1);
        // bytes after `end` are garbage that must not be read
        const buf = Uint8Array.from([...s.subarray(0, end), ...new Uint8Array(64).fill(0x41)]);
        let a: unknown;
        let b: unknown;
        try {
          a = norm(nbnsPacket.decode(buf, 0, end));
        } catch (e) {
          a = (e as { code?: string }).code;
        }
        try {
          b = norm(nbnsPacket.decode(s.subarray(0, end)));
        } catch (e) {
          b = (e as { code?: string }).code;
        }
        assert.deepEqual(a, b);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Golden captures: fixtures/*.pcap with fixtures/*.tshark.json beside them

function pcapFiles(): string[] {
  const dirs = [FIXTURES_DIR, ...(process.env.SMBP_EXTRA_PCAP_DIR ? [process.env.SMBP_EXTRA_PCAP_DIR] : [])];
  return dirs.flatMap((d) => fixtureCaptures(d)).map((c) => c.pcap).filter((f) => f.endsWith('.pcap'));
}

type Json = Record<string, unknown>;
const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v: unknown): number => Number(v);

/** tshark's rendering of a name: printable bytes as is, others `<xx>`, trailing spaces trimmed. */
function tsharkName(name: string, suffix: number, scope: string): string {
  const b = netbiosNameBytes(name);
  let end = 15;
  while (end > 0 && b[end - 1] === 0x20) end--;
  let s = '';
  for (let i = 0; i < end; i++) s += b[i]! >= 0x20 && b[i]! < 0x7f ? String.fromCharCode(b[i]!) : `<${b[i]!.toString(16).padStart(2, '0')}>`;
  return `${s}<${suffix.toString(16).padStart(2, '0')}>${scope ? `.${scope}` : ''}`;
}

/** tshark appends the suffix's service to some names: `NAME<03> (Messenger service/Main name)`. */
const stripDescription = (v: unknown): string => String(v).replace(/ \([^()]*\)$/, '');

/** Wireshark's statistics fields mapped to ours: from the command blocks on, Wireshark is one field late. */
const WIRESHARK_STATS: [string, keyof NodeStatistics][] = [
  ['nbns.jumpers', 'jumpers'],
  ['nbns.test_result', 'testResult'],
  ['nbns.version_number', 'versionNumber'],
  ['nbns.period_of_statistics', 'periodOfStatistics'],
  ['nbns.num_crcs', 'numberOfCrcs'],
  ['nbns.num_alignment_errors', 'numberAlignmentErrors'],
  ['nbns.num_collisions', 'numberOfCollisions'],
  ['nbns.num_send_aborts', 'numberSendAborts'],
  ['nbns.num_good_sends', 'numberGoodSends'],
  ['nbns.num_good_receives', 'numberGoodReceives'],
  ['nbns.numretransmits', 'numberRetransmits'],
  ['nbns.num_no_resource_conditions', 'numberNoResourceConditions'],
  ['nbns.numcommand_blocks', 'numberFreeCommandBlocks'],
  ['nbns.numpending_sessions', 'totalNumberCommandBlocks'],
  ['nbns.max_num_pending_sessions', 'maxTotalNumberCommandBlocks'],
  ['nbns.max_total_sessions_possible', 'numberPendingSessions'],
  ['nbns.session_data_packet_size', 'maxNumberPendingSessions'],
];

function compareRecord(rr: NbnsResourceRecord, t: Json, where: string): void {
  assert.equal(tsharkName(rr.name.name, rr.name.suffix, rr.name.scope), stripDescription(t['nbns.name']), `${where} name`);
  assert.equal(rr.type, num(t['nbns.type']), `${where} type`);
  assert.equal(rr.class, num(t['nbns.class']), `${where} class`);
  if (t['nbns.ttl'] !== undefined) assert.equal(rr.ttl, num(t['nbns.ttl']), `${where} ttl`);
  const d = rr.rdata;
  if (d.kind === 'NB') {
    assert.deepEqual(d.entries.map((e) => e.flags), asList(t['nbns.nb_flags']).map(num), `${where} nb_flags`);
    assert.deepEqual(d.entries.map((e) => e.address), asList(t['nbns.addr']), `${where} addr`);
  } else if (d.kind === 'NBSTAT') {
    if (t['nbns.number_of_names'] !== undefined) assert.ok(d.names.length <= num(t['nbns.number_of_names']));
    const tNames = asList(t['nbns.netbios_name']) as string[];
    assert.equal(d.names.length, tNames.length, `${where} names`);
    d.names.forEach((n, i) => {
      const printable = [...netbiosNameBytes(n.name)].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('').replace(/ +$/, '');
      const tn = tNames[i]!;
      assert.ok(tn === printable || tn === n.name || tn === tsharkName(n.name, n.suffix, '').replace(/<..>$/, ''), `${where} name ${i}: ${JSON.stringify(tn)} vs ${JSON.stringify(n.name)}`);
    });
    assert.deepEqual(d.names.map((n) => n.flags), asList(t['nbns.name_flags']).map(num), `${where} name_flags`);
    if (t['nbns.unit_id'] !== undefined) assert.equal(d.unitId, t['nbns.unit_id'], `${where} unit_id`);
    if (d.statistics) {
      for (const [ws, ours] of WIRESHARK_STATS) {
        if (t[ws] !== undefined) assert.equal(d.statistics[ours], num(t[ws]), `${where} ${ws}`);
      }
    }
  }
}

/** The values of a tshark section object ("Queries", "Answers"...), flattening repeated keys. */
function sectionEntries(v: unknown): Json[] {
  if (!v || typeof v !== 'object') return [];
  const out: Json[] = [];
  for (const e of Object.values(v as Json)) for (const x of asList(e)) out.push(x as Json);
  return out;
}

function compareWithTshark(p: NbnsPacket, t: Json, where: string): void {
  assert.equal(p.transactionId, num(t['nbns.id']), `${where} id`);
  const f = (t['nbns.flags_tree'] ?? {}) as Json;
  const flagMap: [string, boolean | number][] = [
    ['nbns.flags.response', p.response],
    ['nbns.flags.opcode', p.opcode],
    ['nbns.flags.authoritative', p.authoritative],
    ['nbns.flags.truncated', p.truncated],
    ['nbns.flags.recdesired', p.recursionDesired],
    ['nbns.flags.recavail', p.recursionAvailable],
    ['nbns.flags.broadcast', p.broadcast],
    ['nbns.flags.rcode', p.rcode],
  ];
  for (const [k, v] of flagMap) if (f[k] !== undefined) assert.equal(Number(v), num(f[k]), `${where} ${k}`);
  assert.equal(p.questions.length, num(t['nbns.count.queries']));
  assert.equal(p.answers.length, num(t['nbns.count.answers']));
  assert.equal(p.authorities.length, num(t['nbns.count.auth_rr']));
  assert.equal(p.additionals.length, num(t['nbns.count.add_rr']));
  const qs = sectionEntries(t['Queries']);
  assert.equal(qs.length, p.questions.length, `${where} queries`);
  p.questions.forEach((q, i) => {
    const tq = qs[i]!;
    assert.equal(tsharkName(q.name.name, q.name.suffix, q.name.scope), stripDescription(tq['nbns.name']), `${where} query name`);
    assert.equal(q.type, num(tq['nbns.type']));
    assert.equal(q.class, num(tq['nbns.class']));
  });
  for (const [list, key] of [
    [p.answers, 'Answers'],
    [p.authorities, 'Authoritative nameservers'],
    [p.additionals, 'Additional records'],
  ] as const) {
    const ts = sectionEntries(t[key]);
    assert.equal(ts.length, list.length, `${where} ${key}`);
    list.forEach((rr, i) => compareRecord(rr, ts[i]!, `${where} ${key}[${i}]`));
  }
}

describe('nbns golden captures (fixtures/*.pcap + .tshark.json)', () => {
  it('decodes every UDP 137 payload as tshark does, field by field', function () {
    let compared = 0;
    for (const file of pcapFiles()) {
      const jsonPath = file.replace(/\.pcap$/, '.tshark.json');
      if (!existsSync(jsonPath)) continue;
      const frames = new Map<number, Json>();
      for (const pkt of JSON.parse(readFileSync(jsonPath, 'utf8')) as Json[]) {
        const layers = (pkt['_source'] as Json)['layers'] as Json;
        const nbns = layers['nbns'];
        if (nbns) frames.set(num((layers['frame'] as Json)['frame.number']), nbns as Json);
      }
      for (const d of nbnsDatagrams(file)) {
        const t = frames.get(d.frame);
        if (!t || Array.isArray(t)) continue;
        const p = nbnsPacket.decode(d.data);
        compareWithTshark(p, t, `${file}#${d.frame}`);
        compared++;
      }
    }
    if (compared === 0) this.skip();
  });

  it('our node status request equals the captured nmap/nbtscan/nmblookup requests but for the ID and B flag', function () {
    let seen = 0;
    for (const file of pcapFiles()) {
      for (const d of nbnsDatagrams(file)) {
        let p: NbnsPacket;
        try {
          p = nbnsPacket.decode(d.data);
        } catch {
          continue;
        }
        const q = p.questions[0];
        if (p.response || p.questions.length !== 1 || q?.type !== 0x21 || q.name.name !== '*' || q.name.scope !== '') continue;
        const ours = encodeNodeStatusRequest(p.transactionId, { broadcast: p.broadcast });
        assert.equal(Buffer.from(d.data).toString('hex'), Buffer.from(ours).toString('hex'), `${file}#${d.frame}`);
        seen++;
      }
    }
    if (seen === 0) this.skip();
  });

  it('round trips every captured packet with uncompressed names', function () {
    let n = 0;
    for (const file of pcapFiles()) {
      for (const d of nbnsDatagrams(file)) {
        const p = nbnsPacket.decode(d.data);
        if (p.warnings.length > 0) continue;
        const again = nbnsPacket.decode(nbnsPacket.encode(p));
        assert.deepEqual(norm(again), norm(p), `${file}#${d.frame}`);
        n++;
      }
    }
    if (n === 0) this.skip();
  });

  it('node name entries carry their flags', () => {
    const e = nodeNameEntry('X', 0x20, 0xfe00);
    assert.deepEqual([e.group, e.ont, e.drg, e.cnf, e.act, e.prm], [true, 3, true, true, true, true]);
    assert.deepEqual(zeroStatistics().sessionDataPacketSize, 0);
  });
});
