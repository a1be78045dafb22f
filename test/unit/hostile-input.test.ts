/**
 * Bad input (issue 8), table-driven through the real CLI: every malformed target, option or file
 * gives one stderr line naming what was wrong and exit 2 — and not one packet reaches the
 * loopback responders every case points at. Garbage captures say where they stopped.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/program.js';
import { NbnsResponder } from '../support/nbns-responder.js';
import { SmbResponder } from '../support/smb-responder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The program in-process (the same main() the bin calls): fast enough for a long table. */
async function inProcess(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: Readable.from([]),
  });
  return { code, stdout, stderr };
}

function cli(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DEBUG: '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

describe('bad input: one clear stderr line, exit 2, nothing sent', function () {
  this.timeout(60_000);
  let smb: SmbResponder;
  let nbns: NbnsResponder;
  const dir = mkdtempSync(join(tmpdir(), 'smbprobe-input-'));
  const badList = join(dir, 'bad.txt');
  const garbage = join(dir, 'garbage.bin');

  before(async () => {
    smb = await SmbResponder.start({});
    nbns = await NbnsResponder.start({});
    writeFileSync(badList, '# targets\n127.0.0.1\n127.0.0.999\n');
    writeFileSync(garbage, 'this is not a capture, nor a target list\n');
  });
  after(async () => {
    await Promise.all([smb?.close(), nbns?.close()]);
  });

  /** [why, args after the command, text the stderr line must name] — every target is loopback. */
  const cases = (): Array<[string, string[], string]> => [
    ['octet out of range', ['127.0.0.300'], '127.0.0.300'],
    ['bad one next to good ones', ['127.0.0.1', '127.0.0.2', '127.0.0.256'], '127.0.0.256'],
    ['IPv4 prefix too long', ['127.0.0.1/33'], '/33'],
    ['empty prefix', ['127.0.0.1/'], '127.0.0.1/'],
    ['backwards octet range', ['127.0.0.5-2'], '5-2'],
    ['not a name', ['a..b'], 'a..b'],
    ['IPv6 prefix too long', ['::1/129'], '/129'],
    ['IPv6 block too large', ['::1/90'], '::1/90'],
    ['empty target', [''], 'no targets'],
    ['no target at all', [], 'target'],
    ['shell junk in a target', ['127.0.0.1;id'], '127.0.0.1;id'],
    ['missing -iL file', ['-iL', join(dir, 'missing.txt')], 'missing.txt'],
    ['bad line in -iL file', ['-iL', badList], `${badList}:3`],
    ['-iL without a file', ['127.0.0.1', '-iL'], 'input-list'],
    ['bad --exclude', ['127.0.0.1', '--exclude', '127.0.0.999'], '127.0.0.999'],
    ['missing --exclude-file', ['127.0.0.1', '--exclude-file', join(dir, 'nope.txt')], 'nope.txt'],
    ['binary --exclude-file', ['127.0.0.1', '--exclude-file', garbage], 'garbage.bin:1'],
    ['shard 0/2', ['127.0.0.1', '--shard', '0/2'], '0/2'],
    ['shard 3/2', ['127.0.0.1', '--shard', '3/2'], '3/2'],
    ['shard text', ['127.0.0.1', '--shard', 'x'], '"x"'],
    ['timeout 0', ['127.0.0.1', '--timeout', '0'], '--timeout'],
    ['timeout exponent', ['127.0.0.1', '--timeout', '1e3'], '1e3'],
    ['timeout negative', ['127.0.0.1', '--timeout', '-5'], '--timeout'],
    ['host-timeout unit', ['127.0.0.1', '--host-timeout', '25h'], '25h'],
    ['host-timeout above 24 h', ['127.0.0.1', '--host-timeout', '2000m'], '2000m'],
    ['retries 11', ['127.0.0.1', '--retries', '11'], '--retries'],
    ['retries -1', ['127.0.0.1', '--retries', '-1'], '--retries'],
    ['rate 0', ['127.0.0.1', '--rate', '0'], '--rate'],
    ['rate exponent', ['127.0.0.1', '--rate', '1e9'], '1e9'],
    ['rate text', ['127.0.0.1', '--rate', 'fast'], 'fast'],
    ['concurrency 0', ['127.0.0.1', '--concurrency', '0'], '--concurrency'],
    ['concurrency 65537', ['127.0.0.1', '--concurrency', '65537'], '65537'],
    ['concurrency fraction', ['127.0.0.1', '--concurrency', '1.5'], '1.5'],
    ['port 0', ['127.0.0.1', '--ports', '0'], '"0"'],
    ['port 70000', ['127.0.0.1', '--ports', '70000'], '70000'],
    ['port transport', ['127.0.0.1', '--ports', '445/udp'], '445/udp'],
    ['port twice', ['127.0.0.1', '--ports', '445,445'], '445'],
    ['empty ports', ['127.0.0.1', '--ports', ''], '--ports'],
    ['nbstat port 0', ['127.0.0.1', '--nbstat-port', '0'], '--nbstat-port'],
    ['nbstat port text', ['127.0.0.1', '--nbstat-port', 'netbios'], 'netbios'],
    ['unknown format', ['127.0.0.1', '--format', 'xml'], 'xml'],
    ['format without value', ['127.0.0.1', '--format'], '--format'],
    ['unknown finding', ['127.0.0.1', '--fail-on', 'no-such-finding'], 'no-such-finding'],
    ['empty finding list', ['127.0.0.1', '--fail-on', ','], '--fail-on'],
    ['-o in a missing directory', ['127.0.0.1', '-o', join(dir, 'no/such/dir/out.json')], 'out.json'],
    ['-o empty', ['127.0.0.1', '-o', ''], 'cannot write'],
    ['-o a directory', ['127.0.0.1', '-o', dir], 'directory'],
    ['unknown option', ['127.0.0.1', '--bogus'], '--bogus'],
  ];

  it('scan / nbstat / smb: every case', async () => {
    const c0 = { smb: smb.log.connections, nbns: nbns.total };
    const ports = ['--ports', `${smb.directPort}/direct,${smb.nbssPort}/nbss`, '--nbstat-port', String(nbns.port), '--no-progress'];
    const all = cases().flatMap(([why, args, names], i) => {
      const cmd = (['scan', 'nbstat', 'smb'] as const)[i % 3]!;
      // the responders' ports come first so that a case's own --ports / --nbstat-port wins
      const hasPorts = args.includes('--ports') || args.includes('--nbstat-port');
      return [{ why: `${cmd}: ${why}`, args: [cmd, ...(hasPorts ? ['--no-progress'] : ports), ...args], names }];
    });
    const failures: string[] = [];
    // in-process for the table, and a few through the real executable
    const spawned = new Set([0, 13, 21, 44]);
    for (let i = 0; i < all.length; i += 8) {
      const batch = all.slice(i, i + 8);
      const runs = await Promise.all(batch.map((c, k) => (spawned.has(i + k) ? cli(c.args) : inProcess(c.args))));
      batch.forEach((c, k) => {
        const r = runs[k]!;
        const lines = r.stderr.trimEnd().split('\n');
        if (r.code !== 2) failures.push(`${c.why}: exit ${r.code}: ${r.stderr}`);
        else if (r.stdout !== '') failures.push(`${c.why}: stdout ${JSON.stringify(r.stdout.slice(0, 200))}`);
        else if (lines.length !== 1 || !lines[0]!.startsWith('smbprobe: ')) failures.push(`${c.why}: not one line: ${JSON.stringify(r.stderr)}`);
        else if (!lines[0]!.includes(c.names)) failures.push(`${c.why}: does not name ${JSON.stringify(c.names)}: ${lines[0]}`);
      });
    }
    assert.deepEqual(failures, []);
    assert.equal(smb.log.connections, c0.smb, 'an SMB connection was made');
    assert.equal(nbns.total, c0.nbns, 'an NBSTAT query was sent');
  });

  it('pcap: missing file and contradictory options are usage errors', async () => {
    const runs = await Promise.all([cli(['pcap', join(dir, 'missing.pcap')]), cli(['pcap', '--events', '--messages']), cli(['pcap', '-', '-'])]);
    for (const r of runs) {
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    }
    assert.ok(runs[0]!.stderr.includes('missing.pcap'));
  });

  it('pcap: a garbage file and a capture cut inside its first record report the offset where reading stopped (exit 3)', async () => {
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(join(ROOT, 'fixtures/nt1__nmap.pcap')).subarray(0, 40));
    const g = await cli(['pcap', garbage]);
    assert.equal(g.code, 3, g.stderr);
    assert.match(g.stderr, /garbage\.bin: capture unreadable at file offset 0 .*BAD_VALUE/);
    const t = await cli(['pcap', cut, '--format', 'json']);
    assert.equal(t.code, 3, t.stderr);
    assert.match(t.stderr, /cut\.pcap: capture unreadable at file offset 24 .*TRUNCATED/);
    assert.deepEqual(JSON.parse(t.stdout), []);
  });
});
