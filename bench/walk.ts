/** The upper bound: walk the pcap records of a file (read whole), touching each record header. */
import { readFileSync } from 'node:fs';

const buf = readFileSync(process.argv[2]!);
let off = 24;
let frames = 0;
let bytes = 0;
while (off + 16 <= buf.length) {
  const incl = buf.readUInt32LE(off + 8);
  off += 16 + incl;
  bytes += incl;
  frames++;
}
process.stdout.write(`${frames} ${bytes}\n`);
