/**
 * The floor of an NBSTAT sweep for any Node program (bench/nbstat-floor.c is the kernel's): one
 * `dgram` send per address of an IPv4 block, answers counted and never decoded, nothing written.
 * smbprobe cannot sweep faster than this in Node, whose `dgram` makes one syscall and one callback
 * per datagram (no sendmmsg).
 *
 *   node nbstat-floor-node.mjs CIDR PORT SOCKETS
 *
 * Prints {"sent":N,"answered":M,"wallMs":W,"startupMs":S}: W from the first send to the last answer
 * (the run ends 300 ms after it), S from process start to the first send.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

const [cidr = '', portText = '137', socketsText = '4'] = process.argv.slice(2);
const [net = '', bitsText = '32'] = cidr.split('/');
const bits = Number(bitsText);
const o = net.split('.').map(Number);
const size = 2 ** (32 - bits);
const first = (((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0) & ~(size - 1) >>> 0;
const port = Number(portText);
const QUIET_MS = 300;

// NBSTAT request: one question, name "*" padded with NULs (first-level encoded), type NBSTAT, class IN
const query = Buffer.alloc(50);
query[5] = 1;
query[12] = 32;
query.write('CK', 13, 'latin1');
query.fill('A', 15, 45);
query[47] = 0x21;
query[49] = 1;

const sockets = Array.from({ length: Number(socketsText) }, () => dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 }));
let answered = 0;
let sent = 0;
let last = 0;
for (const s of sockets) {
  s.on('message', () => {
    answered++;
    last = performance.now();
  });
}
await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.bind(0, resolve))));
const t0 = performance.now();
last = t0;
let i = 0;
const pump = (): void => {
  // a batch per turn, so answers are read while sending
  for (const end = Math.min(size, i + 512); i < end; i++) {
    const a = first + i;
    const q = Buffer.from(query);
    q.writeUInt16BE(i & 0xffff, 0);
    sockets[i % sockets.length]!.send(q, port, `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`);
    sent++;
  }
  if (i < size) setImmediate(pump);
  else {
    const check = (): void => {
      if (performance.now() - last < QUIET_MS) return void setTimeout(check, 25);
      process.stdout.write(JSON.stringify({ sent, answered, wallMs: Math.round(last - t0), startupMs: Math.round(t0) }) + '\n');
      for (const s of sockets) s.close();
    };
    check();
  }
};
pump();
