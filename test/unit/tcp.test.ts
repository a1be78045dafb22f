import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectLimiter, TcpError, TcpHost } from '../../src/transport/tcp.js';

/** A loopback server whose connection handler the test chooses. */
async function server(onConn: (s: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

async function freePort(): Promise<number> {
  const s = await server(() => {});
  const p = s.port;
  await s.close();
  return p;
}

function sockets(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof net.Socket && !(h as net.Socket).destroyed).length;
}

async function rejects(p: Promise<unknown>, status: string, reason: string): Promise<TcpError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TcpError, `not a TcpError: ${String(e)}`);
    assert.equal(e.status, status);
    assert.equal(e.reason, reason);
    return e;
  }
  assert.fail('did not reject');
}

describe('tcp transport', () => {
  let baseline = 0;
  before(() => {
    baseline = sockets();
  });
  afterEach(async () => {
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sockets(), baseline, 'a socket was left open');
  });

  it('reports a refused connect as refused (connect phase)', async () => {
    const port = await freePort();
    const host = new TcpHost('127.0.0.1');
    const e = await rejects(host.connect(port, 'direct'), 'refused', 'refused');
    assert.equal(e.phase, 'connect');
    host.close();
  });

  it('frames direct-TCP messages and skips nothing else', async () => {
    const srv = await server((s) => s.on('data', () => s.write(Buffer.from([0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 1, 9]))));
    const host = new TcpHost('127.0.0.1');
    const c = await host.connect(srv.port, 'direct');
    c.send(Uint8Array.of(0xfe));
    assert.deepEqual([...(await c.receive()).payload], [1, 2, 3]);
    assert.deepEqual([...(await c.receive()).payload], [9]);
    c.close();
    host.close();
    await srv.close();
  });

  it('skips NBSS keep-alives on 139', async () => {
    const srv = await server((s) => s.on('data', () => s.write(Buffer.from([0x85, 0, 0, 0, 0x82, 0, 0, 0]))));
    const host = new TcpHost('127.0.0.1');
    const c = await host.connect(srv.port, 'nbss');
    c.sendRaw(Uint8Array.of(0x85, 0, 0, 0));
    assert.equal((await c.receive()).type, 0x82);
    host.close();
    await srv.close();
  });

  it('times out when no byte arrives (idle timeout)', async () => {
    const srv = await server(() => {});
    const host = new TcpHost('127.0.0.1', { idleTimeoutMs: 100 });
    const c = await host.connect(srv.port, 'direct');
    c.send(Uint8Array.of(1));
    await rejects(c.receive(), 'timeout', 'idle-timeout');
    host.close();
    await srv.close();
  });

  it('rejects a length header above the cap before reading the body', async () => {
    // announces 0x20000 bytes and sends only the header: the error must not wait for the body
    const srv = await server((s) => s.on('data', () => s.write(Buffer.from([0, 2, 0, 0]))));
    const host = new TcpHost('127.0.0.1', { idleTimeoutMs: 5000 });
    const c = await host.connect(srv.port, 'direct');
    c.send(Uint8Array.of(1));
    const t0 = Date.now();
    const e = await rejects(c.receive(), 'protocol-error', 'too-large');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(e.decodeError?.code, 'LIMIT');
    host.close();
    await srv.close();
  });

  it('reports a close by the peer as reset/eof with the bytes received', async () => {
    const srv = await server((s) => s.on('data', () => s.end()));
    const host = new TcpHost('127.0.0.1');
    const c = await host.connect(srv.port, 'direct');
    c.send(Uint8Array.of(1));
    const e = await rejects(c.receive(), 'reset', 'eof');
    assert.equal(e.bytesReceived, 0);
    host.close();
    await srv.close();
  });

  it('reports an RST as reset', async () => {
    const srv = await server((s) => s.on('data', () => s.resetAndDestroy()));
    const host = new TcpHost('127.0.0.1');
    const c = await host.connect(srv.port, 'direct');
    c.send(Uint8Array.of(1));
    await rejects(c.receive(), 'reset', 'reset');
    host.close();
    await srv.close();
  });

  it('cancels on AbortSignal', async () => {
    const srv = await server(() => {});
    const ac = new AbortController();
    const host = new TcpHost('127.0.0.1', { signal: ac.signal });
    const c = await host.connect(srv.port, 'direct');
    const p = c.receive();
    setTimeout(() => ac.abort(), 30);
    await rejects(p, 'aborted', 'aborted');
    await rejects(host.connect(srv.port, 'direct'), 'aborted', 'aborted');
    host.close();
    await srv.close();
  });

  it('shares one deadline between the connections of a host', async () => {
    const srv = await server(() => {});
    const host = new TcpHost('127.0.0.1', { hostTimeoutMs: 150, idleTimeoutMs: 10000 });
    const a = await host.connect(srv.port, 'direct');
    const b = await host.connect(srv.port, 'direct');
    await Promise.all([rejects(a.receive(), 'timeout', 'host-deadline'), rejects(b.receive(), 'timeout', 'host-deadline')]);
    host.close();
    await srv.close();
  });

  it('bounds the connections open at once', async () => {
    const srv = await server(() => {});
    const host = new TcpHost('127.0.0.1', { maxConnections: 1 });
    const a = await host.connect(srv.port, 'direct');
    let second = false;
    const pb = host.connect(srv.port, 'direct').then((c) => {
      second = true;
      return c;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(second, false);
    a.close();
    const b = await pb;
    assert.equal(host.stats.maxOpen, 1);
    b.close();
    host.close();
    await srv.close();
  });

  it('rejects bad options as programmer errors', () => {
    assert.throws(() => new TcpHost('127.0.0.1', { idleTimeoutMs: -1 }), TypeError);
    assert.throws(() => new TcpHost('127.0.0.1', { maxConnections: 0 }), TypeError);
  });

  it('holds a connect slot from the connect to the first answer, not to the close', async () => {
    const srv = await server((s) => s.once('data', () => setTimeout(() => s.write(Buffer.from([0, 0, 0, 1, 0x42])), 60)));
    const limiter = new ConnectLimiter({ initial: 1, min: 1, max: 1 });
    const host = new TcpHost('127.0.0.1', { limiter });
    const a = await host.connect(srv.port, 'direct');
    a.send(new Uint8Array([1]));
    let second = false;
    const pb = host.connect(srv.port, 'direct').then((c) => {
      second = true;
      return c;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(second, false, 'a second connect went out before the first was answered');
    await a.receive();
    const b = await pb; // a is still open: its slot ended with its answer
    assert.equal(a.isClosed, false);
    assert.equal(limiter.connectsInFlight, 1);
    b.close();
    assert.equal(limiter.connectsInFlight, 0);
    host.close();
    await srv.close();
  });

  it('a connection never answered gives its slot back at half the idle timeout (congestion only where the port answered before)', async () => {
    const srv = await server(() => {});
    const limiter = new ConnectLimiter({ initial: 8, min: 1, max: 8 });
    const host = new TcpHost('127.0.0.1', { limiter, idleTimeoutMs: 100 });
    const a = await host.connect(srv.port, 'direct');
    assert.equal(limiter.connectsInFlight, 1);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(limiter.connectsInFlight, 0);
    assert.equal(limiter.window, 8, 'a silent first connection is not congestion');
    a.close();
    host.close();
    await srv.close();
  });
});

describe('ConnectLimiter (AIMD)', () => {
  const signal = new AbortController().signal;

  it('grows by one per answer up to ssthresh, then by 1/window', async () => {
    const l = new ConnectLimiter({ initial: 2, min: 1, max: 100, ssthresh: 4 });
    for (let i = 0; i < 2; i++) (await l.acquire(signal)).done('answered');
    assert.equal(l.window, 4);
    (await l.acquire(signal)).done('answered');
    assert.equal(l.window, 4.25);
  });

  it('halves on congestion once per round: connects started before the decrease do not halve again', async () => {
    const l = new ConnectLimiter({ initial: 16, min: 2, max: 100 });
    const slots = await Promise.all(Array.from({ length: 8 }, () => l.acquire(signal)));
    slots[0]!.done('congestion');
    assert.equal(l.window, 8);
    for (const s of slots.slice(1)) s.done('congestion');
    assert.equal(l.window, 8);
    (await l.acquire(signal)).done('congestion');
    assert.equal(l.window, 4);
    assert.ok(l.congestedWithin(1000));
    for (let i = 0; i < 5; i++) (await l.acquire(signal)).done('congestion');
    assert.equal(l.window, 2, 'never below min');
    assert.equal(l.stats.congestion, 14);
  });

  it('queues beyond the window in order, and a waiter leaves on abort', async () => {
    const l = new ConnectLimiter({ initial: 1, min: 1, max: 1 });
    const first = await l.acquire(signal);
    const order: number[] = [];
    const ac = new AbortController();
    const p1 = l.acquire(signal).then((s) => (order.push(1), s));
    const p2 = l.acquire(ac.signal);
    const p3 = l.acquire(signal).then((s) => (order.push(3), s));
    ac.abort();
    await assert.rejects(p2, (e: unknown) => e instanceof TcpError && e.status === 'aborted');
    first.done('neutral');
    (await p1).done('neutral');
    (await p3).done('neutral');
    assert.deepEqual(order, [1, 3]);
    assert.equal(l.connectsInFlight, 0);
  });
});
