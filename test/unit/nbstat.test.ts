import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { encodeNodeStatusRequest, nbnsPacket, nodeNameEntry, nodeStatusResponse, type NbstatRdata } from '../../src/codec/nbns.js';
import { MSBROWSE_NAME } from '../../src/codec/netbios-tables.js';
import { NbstatScanner, nbstatResult, probeNbstat } from '../../src/probe/nbstat.js';
import { NbnsResponder, sambaTable, type ResponderTable } from '../support/nbns-responder.js';

const rdataOf = (t: ResponderTable): NbstatRdata => ({
  kind: 'NBSTAT',
  names: t.names.map((n) => nodeNameEntry(n.name, n.suffix, n.flags)),
  unitId: t.unitId,
  statistics: t.statistics,
  extra: new Uint8Array(0),
});

// H-node (0x6000), ACT (0x0400), group 0x8000
const U = 0x6400;
const G = 0xe400;
/** A Windows domain controller with a logged-on user, as Windows 2003-era hosts answer. */
const windowsDc: ResponderTable = {
  names: [
    { name: 'DC01', suffix: 0x00, flags: U },
    { name: 'CORP', suffix: 0x00, flags: G },
    { name: 'CORP', suffix: 0x1c, flags: G },
    { name: 'DC01', suffix: 0x20, flags: U },
    { name: 'CORP', suffix: 0x1b, flags: U },
    { name: 'CORP', suffix: 0x1e, flags: G },
    { name: 'DC01', suffix: 0x03, flags: U },
    { name: 'ADMINISTRATOR', suffix: 0x03, flags: U },
    { name: 'CORP', suffix: 0x1d, flags: U },
    { name: MSBROWSE_NAME, suffix: 0x01, flags: G },
  ],
  unitId: '00:15:5d:0a:0b:0c',
  statistics: null,
};

describe('nbstat: derived facts', () => {
  it('from the real Samba table (fixtures/nt1__nmblookup.pcap)', () => {
    const r = nbstatResult(rdataOf(sambaTable()), [], 0.5);
    assert.equal(r.status, 'ok');
    assert.equal(r.computerName, 'SMBP-NT1');
    assert.equal(r.workgroup, 'SMBPLAB');
    assert.deepEqual(r.users, []);
    assert.deepEqual(r.roles, ['workstation', 'messenger', 'file-server', 'master-browser', 'browser-election']);
    assert.equal(r.mac, '00:00:00:00:00:00');
    assert.equal(r.macAllZero, true);
    assert.equal(r.macVendor, null);
    assert.ok(r.statistics && Object.values(r.statistics).every((v) => v === 0));
    const browse = r.names.find((n) => n.suffix === 0x01)!;
    assert.equal(browse.name, '\x01\x02__MSBROWSE__\x02');
    assert.equal(browse.group, true);
    assert.equal(browse.service, 'Master Browser');
    assert.deepEqual(
      r.names.map((n) => [n.name, n.suffix, n.group, n.nodeType, n.active, n.permanent, n.conflict, n.deregistering]),
      [
        ['SMBP-NT1', 0x00, false, 'B', true, false, false, false],
        ['SMBP-NT1', 0x03, false, 'B', true, false, false, false],
        ['SMBP-NT1', 0x20, false, 'B', true, false, false, false],
        ['\x01\x02__MSBROWSE__\x02', 0x01, true, 'B', true, false, false, false],
        ['SMBPLAB', 0x00, true, 'B', true, false, false, false],
        ['SMBPLAB', 0x1d, false, 'B', true, false, false, false],
        ['SMBPLAB', 0x1e, true, 'B', true, false, false, false],
      ],
    );
    assert.equal(r.rttMs, 0.5);
  });

  it('from a Windows domain controller table', () => {
    const r = nbstatResult(rdataOf(windowsDc));
    assert.equal(r.computerName, 'DC01');
    assert.equal(r.workgroup, 'CORP');
    assert.deepEqual(r.users, ['ADMINISTRATOR']);
    assert.deepEqual(r.roles, ['workstation', 'messenger', 'file-server', 'domain-controller', 'domain-master-browser', 'master-browser', 'browser-election']);
    assert.equal(r.names[0]!.nodeType, 'H');
    assert.equal(r.mac, '00:15:5d:0a:0b:0c');
    assert.match(r.macVendor!, /^Microsoft/);
    assert.equal(r.macAllZero, false);
    assert.equal(r.statistics, null);
  });

  it('flags, other services and a truncated answer', () => {
    const rd = rdataOf({
      names: [
        { name: 'RAS', suffix: 0x06, flags: 0x0400 | 0x0200 | 0x0800 | 0x1000 | 0x2000 },
        { name: 'MAIL', suffix: 0x87, flags: 0x0400 },
      ],
      unitId: null,
      statistics: null,
    });
    const r = nbstatResult(rd, ['NBSTAT statistics missing']);
    assert.deepEqual(r.roles, ['ras-server', 'exchange']);
    const n = r.names[0]!;
    assert.deepEqual([n.nodeType, n.active, n.permanent, n.conflict, n.deregistering], ['P', true, true, true, true]);
    assert.equal(r.computerName, null);
    assert.equal(r.mac, null);
    assert.equal(r.macAllZero, false);
    assert.deepEqual(r.warnings, ['NBSTAT statistics missing']);
  });
});

describe('nbstat: probes on loopback', () => {
  it('probeNbstat returns the table the moment it arrives', async () => {
    const resp = await NbnsResponder.start({ addresses: ['127.77.210.1'], table: windowsDc });
    try {
      const slow = new Promise<'timer'>((res) => setTimeout(() => res('timer'), 3000).unref());
      const r = await Promise.race([probeNbstat('127.77.210.1', { port: resp.port, timeoutMs: 30_000 }), slow]);
      assert.notEqual(r, 'timer');
      if (r === 'timer') return;
      assert.equal(r.status, 'ok');
      assert.equal(r.computerName, 'DC01');
      assert.deepEqual(r.users, ['ADMINISTRATOR']);
      assert.equal(typeof r.rttMs, 'number');
      assert.equal(resp.total, 1);
    } finally {
      await resp.close();
    }
  });

  it('probeNbstat: a closed port is unreachable', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
    const port = s.address().port;
    await new Promise<void>((res) => s.close(() => res()));
    const r = await probeNbstat('127.0.0.1', { port, timeoutMs: 5000 });
    assert.equal(r.status, 'unreachable');
    assert.equal(r.error?.status, 'unreachable');
    assert.deepEqual(r.names, []);
  });

  it('NbstatScanner with detectUnreachable: answers on the shared socket, a closed port is unreachable', async () => {
    const resp = await NbnsResponder.start({ addresses: ['127.77.213.1', '127.77.213.2'] });
    const scanner = new NbstatScanner({ port: resp.port, timeoutMs: 400, minTimeoutMs: 100, retries: 0, detectUnreachable: true });
    try {
      // 127.77.213.3 has no socket on that port: the kernel answers ICMP port unreachable
      const [a, b, closed] = await Promise.all(['127.77.213.1', '127.77.213.2', '127.77.213.3'].map((x) => scanner.query(x)));
      assert.equal(a!.status, 'ok');
      assert.equal(b!.status, 'ok');
      assert.equal(closed!.status, 'unreachable');
      assert.equal(scanner.transport.stats.sent, 3, 'every first attempt went out on the one shared socket');
    } finally {
      await scanner.close();
      await resp.close();
    }
  });

  it('NbstatScanner: many hosts on one socket, retransmission, timeout', async () => {
    const addresses = Array.from({ length: 50 }, (_, i) => `127.77.211.${i + 1}`);
    const resp = await NbnsResponder.start({ addresses, dropFirst: 1 });
    const dead = await NbnsResponder.start({ addresses: ['127.77.212.1'], port: resp.port, answer: false });
    // generous bounds: this asserts behaviour (retransmission, matching), not timing, on a loaded machine
    const scanner = new NbstatScanner({ port: resp.port, timeoutMs: 1500, minTimeoutMs: 300, retries: 2, rate: Infinity });
    try {
      const res = await Promise.all([...addresses, '127.77.212.1'].map((a) => scanner.query(a)));
      for (const r of res.slice(0, 50)) {
        assert.equal(r.status, 'ok');
        assert.equal(r.computerName, 'SMBP-NT1');
        assert.equal(r.macAllZero, true);
      }
      const last = res[50]!;
      assert.equal(last.status, 'timeout');
      assert.equal(last.error?.step, 'nbstat');
      assert.equal(dead.total, 3);
      assert.ok(scanner.transport.stats.retransmits >= 52, `every dropped request was retransmitted (${scanner.transport.stats.retransmits})`);
    } finally {
      await scanner.close();
      await resp.close();
      await dead.close();
    }
  });

  it('NbstatScanner: abort and negative answers', async () => {
    const ac = new AbortController();
    const resp = await NbnsResponder.start({ answer: false });
    const scanner = new NbstatScanner({ port: resp.port, timeoutMs: 10_000, signal: ac.signal });
    const q = scanner.query('127.0.0.1');
    setTimeout(() => ac.abort(), 20);
    assert.equal((await q).status, 'aborted');
    await scanner.close();
    await resp.close();

    // a host that answers with RCODE 3 from the right address and port
    const srv = dgram.createSocket('udp4');
    await new Promise<void>((res) => srv.bind(0, '127.0.0.1', () => res()));
    srv.on('message', (m, rinfo) => {
      const p = nodeStatusResponse({ transactionId: m.readUInt16BE(0), names: [] });
      const b = Buffer.from(nbnsPacket.encode({ ...p, rcode: 3 }));
      srv.send(b, rinfo.port, rinfo.address);
    });
    const r = await probeNbstat('127.0.0.1', { port: srv.address().port });
    assert.equal(r.status, 'protocol-error');
    assert.equal(r.error?.status, 'protocol-error');
    srv.close();
  });
});

describe('nbstat: the request on the wire', () => {
  it('each attempt carries exactly the bytes of encodeNodeStatusRequest with its ID', async () => {
    const got: Buffer[] = [];
    const srv = dgram.createSocket('udp4');
    await new Promise<void>((res) => srv.bind(0, '127.0.0.1', () => res()));
    srv.on('message', (m) => got.push(m));
    const scanner = new NbstatScanner({ port: srv.address().port, timeoutMs: 60, minTimeoutMs: 20, retries: 2 });
    try {
      const r = await scanner.query('127.0.0.1');
      assert.equal(r.status, 'timeout');
      assert.equal(got.length, 3);
      for (const m of got) assert.deepEqual(m, Buffer.from(encodeNodeStatusRequest(m.readUInt16BE(0))));
      assert.equal(new Set(got.map((m) => m.readUInt16BE(0))).size, 3);
    } finally {
      await scanner.close();
      await new Promise<void>((res) => srv.close(() => res()));
    }
  });
});
