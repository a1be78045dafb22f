/**
 * Conformance suite: `npm run test:corpus -- DIR` decodes every NetBIOS and SMB message of every
 * capture in DIR and compares it with tshark's decoding of the same file. One line per file; the
 * last line is `corpus: N passed, N failed` (a file passes with zero decoder failures on
 * well-formed packets, zero disagreements and zero missed messages).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareCapture } from '../conformance/compare.js';
import { checkPassive } from './passive.js';
import { haveTshark, tsharkFrames } from '../support/tshark.js';

const dir = process.argv[2] ?? process.env['SMBPROBE_CORPUS'];
if (!dir) {
  console.error('usage: npm run test:corpus -- DIR   (a folder of .pcap/.pcapng captures)');
  process.exit(2);
}
if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`test:corpus: ${dir} is not a folder`);
  process.exit(2);
}
if (!haveTshark()) {
  console.error('test:corpus: tshark is required (Debian package tshark)');
  process.exit(2);
}
const verbose = process.argv.includes('-v') || process.env['SMBPROBE_CORPUS_VERBOSE'] === '1';
const files = readdirSync(dir).filter((f) => /\.(pcap|pcapng|cap)$/i.test(f)).sort();
let passed = 0;
let failed = 0;
for (const f of files) {
  const path = resolve(join(dir, f));
  let line: string;
  let ok: boolean;
  try {
    const r = compareCapture(path, tsharkFrames(path));
    ok = r.failures.length === 0 && r.disagreements.length === 0 && r.missed.length === 0;
    const kinds = Object.entries(r.byKind).map(([k, n]) => `${k}=${n}`).join(' ');
    line = `${ok ? 'ok  ' : 'FAIL'} ${f}: ${r.messages} messages (${kinds || 'none'}), ${r.agreed} field values agree with tshark, ` +
      `${r.failures.length} decoder failures, ${r.disagreements.length} disagreements, ${r.missed.length} missed, ${r.malformed} malformed, ${r.extra} beyond tshark`;
    const details = [...r.failures, ...r.disagreements, ...r.missed];
    if (!ok || verbose) for (const d of details.slice(0, verbose ? 1000 : 12)) line += `\n     ${d}`;
    if (!ok && details.length > 12 && !verbose) line += `\n     ... ${details.length - 12} more`;
    // passive mode: hosts, names, MACs, dialects, SMB1 verdicts, NTLM facts, MS17-010 findings
    const p = await checkPassive(path, dir);
    line += `\n     ${p.ok ? '' : 'FAIL '}${p.summary}`;
    for (const d of p.problems.slice(0, verbose ? 1000 : 12)) line += `\n     ${d}`;
    ok = ok && p.ok;
  } catch (e) {
    ok = false;
    line = `FAIL ${f}: ${(e as Error).stack ?? e}`;
  }
  console.log(line);
  if (ok) passed++;
  else failed++;
}
console.log(`corpus: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
