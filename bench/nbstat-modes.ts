/**
 * Library-level NBSTAT sweep with the transport's socket mode chosen explicitly: every target
 * handed to one NbstatScanner at once, the transport's own window of queries in flight doing
 * the pacing. Prints one JSON line.
 *
 *   node bundle.mjs CIDR16_PREFIX PREFIXLEN MODE MAX_OUTSTANDING RATE
 *
 * MODE: `shared` (shared sockets only), `auto` (what the CLI uses: a connected socket per query
 * while at most 64 are in flight, so ICMP port unreachable is seen) or `connected` (one
 * connected socket per query in flight).
 */
import { NbstatScanner, type NbstatOptions } from '../src/probe/nbstat.js';

const [prefix = '127.42', lenS = '16', mode = 'shared', maxS = '4096', rateS = 'inf'] = process.argv.slice(2);
const len = Number(lenS);
const size = 2 ** (32 - len);
const how: NbstatOptions = mode === 'connected' ? { socketMode: 'connected' } : mode === 'auto' ? { detectUnreachable: true } : {};
const t0 = performance.now();
const scanner = new NbstatScanner({ maxOutstanding: Number(maxS), rate: rateS === 'inf' ? Infinity : Number(rateS), ...how });
const jobs: Promise<boolean>[] = [];
for (let i = 0; i < size; i++) {
  jobs.push(scanner.query(`${prefix}.${i >> 8}.${i & 255}`).then((r) => r.status === 'ok'));
}
const ok = (await Promise.all(jobs)).filter(Boolean).length;
const wallS = (performance.now() - t0) / 1000;
const stats = scanner.transport.stats;
await scanner.close();
process.stdout.write(JSON.stringify({ mode, maxOutstanding: Number(maxS), rate: rateS, size, ok, wallS, stats }) + '\n');
