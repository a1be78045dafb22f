/**
 * Child process of the memory bound test (test/unit/bounds.test.ts), run with --expose-gc: scans a
 * long stream of loopback targets (NBSTAT) and prints the heap after `first` hosts and after
 * `total` hosts as JSON on stdout.
 */
import { scan } from '../../src/scan/scan.js';
import type { Target } from '../../src/scan/targets.js';
import { NbnsResponder } from './nbns-responder.js';

const [first = 2000, total = 20000] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

async function* targets(n: number): AsyncGenerator<Target> {
  for (let i = 0; i < n; i++) yield { host: `h${i}`, address: '127.0.0.1', family: 4 };
}

const nbns = await NbnsResponder.start({});
let n = 0;
let atFirst = 0;
let ok = 0;
for await (const r of scan(targets(total), { mode: 'nbstat', nbstatPort: nbns.port, timeoutMs: 2000, retries: 1, rate: Infinity, concurrency: 128 })) {
  n++;
  if (r.nbstat?.status === 'ok') ok++;
  if (n === first) atFirst = heap();
}
const atTotal = heap();
await nbns.close();
process.stdout.write(JSON.stringify({ hosts: n, ok, atFirst, atTotal }) + '\n');
