/**
 * Library-level NBSTAT sweep with the transport's mode chosen explicitly (the CLI always asks
 * for unreachable detection): every target handed to one NbstatScanner at once, the transport's
 * own bound on queries in flight doing the pacing. Prints one JSON line.
 *
 *   node bundle.mjs CIDR16_PREFIX PREFIXLEN MODE MAX_OUTSTANDING RATE
 */
import { NbstatScanner } from '../src/probe/nbstat.js';

const [prefix = '127.42', lenS = '16', mode = 'shared', maxS = '1024', rateS = '1000'] = process.argv.slice(2);
const len = Number(lenS);
const size = 2 ** (32 - len);
const detect = mode === 'connected' ? { detectUnreachable: true } : {};
const t0 = performance.now();
const scanner = new NbstatScanner({ maxOutstanding: Number(maxS), rate: rateS === 'inf' ? Infinity : Number(rateS), ...(detect as object) });
const jobs: Promise<boolean>[] = [];
for (let i = 0; i < size; i++) {
  jobs.push(scanner.query(`${prefix}.${i >> 8}.${i & 255}`).then((r) => r.status === 'ok'));
}
const ok = (await Promise.all(jobs)).filter(Boolean).length;
const wallS = (performance.now() - t0) / 1000;
const stats = scanner.transport.stats;
await scanner.close();
process.stdout.write(JSON.stringify({ mode, maxOutstanding: Number(maxS), rate: rateS, size, ok, wallS, stats }) + '\n');
