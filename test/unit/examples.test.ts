/**
 * The documentation cannot drift from the code: every TypeScript block of docs/library.md is an
 * examples/ file byte for byte, every example compiles in strict mode against the package's
 * public names (`smbprobe`, `smbprobe/<subpath>`) and runs against the bundled fixtures or a
 * loopback SMB responder; every `npx smbprobe` line of README.md parses (network commands with
 * --dry-run, the pcap one for real).
 *
 * Examples import `smbprobe` as users do. Here that name is mapped to src/ with a generated
 * tsconfig (paths), so the suite needs no build and tests the source as it is.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMessagesBuffer } from '../../src/capture/messages.js';
import { negotiateRequest } from '../../src/codec/smb2/negotiate.js';
import { SmbResponder } from '../support/smb-responder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const EXAMPLES = join(ROOT, 'examples');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const fixture = (name: string): string => join(ROOT, 'fixtures', name);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, DEBUG: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `examples/<name>` with tsx, `smbprobe` resolved to src/. */
let tsconfig = '';
const example = (name: string, args: string[] = []): Promise<Run> => run(process.execPath, [TSX, '--tsconfig', tsconfig, join(EXAMPLES, name), ...args]);

/** The ```ts blocks of a Markdown file, each with the `<!-- example: PATH -->` marker above it. */
function tsBlocks(md: string): { file: string | null; code: string }[] {
  const out: { file: string | null; code: string }[] = [];
  const re = /(?:<!-- example: (\S+) -->\n)?```(?:ts|typescript)\n([\s\S]*?)^```$/gm;
  for (const m of md.matchAll(re)) out.push({ file: m[1] ?? null, code: m[2]! });
  return out;
}

describe('examples', function () {
  this.timeout(120_000);
  let tmp = '';

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'smbprobe-examples-'));
    tsconfig = join(tmp, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: {
          noEmit: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          paths: { smbprobe: [join(ROOT, 'src/index.ts')], 'smbprobe/*': [join(ROOT, 'src/lib/*.ts')] },
        },
        include: [join(EXAMPLES, '*.ts'), join(ROOT, 'src', 'types', '*.d.ts')],
      }),
    );
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('docs/library.md', () => {
    const md = readFileSync(join(ROOT, 'docs', 'library.md'), 'utf8');
    const blocks = tsBlocks(md);
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).sort();

    it('has one TypeScript block per example file, in any order', () => {
      assert.deepEqual(blocks.map((b) => b.file).sort(), files.map((f) => `examples/${f}`));
    });

    for (const f of files) {
      it(`shows examples/${f} byte for byte`, () => {
        const b = blocks.find((x) => x.file === `examples/${f}`);
        assert.ok(b, `no block marked <!-- example: examples/${f} -->`);
        assert.equal(b.code, readFileSync(join(EXAMPLES, f), 'utf8'));
      });
    }
  });

  it('compile in strict mode against the public names', async () => {
    const r = await run(process.execPath, [TSC, '-p', tsconfig]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('decode-nbstat: decodes the Samba node status answer of a fixture, rejects a truncated one', async () => {
    let answer: Uint8Array | undefined;
    for (const m of captureMessagesBuffer(readFileSync(fixture('nt1__nmblookup.pcap')))) {
      if (m.kind === 'nbns' && m.srcPort === 137) {
        answer = m.data;
        break;
      }
    }
    assert.ok(answer, 'no NBNS answer in the fixture');
    writeFileSync(join(tmp, 'answer.bin'), answer);
    writeFileSync(join(tmp, 'short.bin'), answer.subarray(0, 20));
    const ok = await example('decode-nbstat.ts', [join(tmp, 'answer.bin')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^SMBP-NT1 +<20> UNIQUE$/m);
    assert.match(ok.stdout, /^computer SMBP-NT1, workgroup SMBPLAB, MAC 00:00:00:00:00:00, roles .*file-server/m);
    const bad = await example('decode-nbstat.ts', [join(tmp, 'short.bin')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /malformed: TRUNCATED in nbns/);
  });

  it('smb2-negotiate: prints a framed NEGOTIATE that decodes to the five dialects and 3.1.1 contexts', async () => {
    const r = await example('smb2-negotiate.ts');
    assert.equal(r.code, 0, r.stderr);
    const [hexLine, dialects, contexts] = r.stdout.trim().split('\n');
    const frame = Buffer.from(hexLine!, 'hex');
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    const { body } = negotiateRequest.decode(frame.subarray(4));
    assert.deepEqual(body.dialects, [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
    assert.equal(dialects, 'NEGOTIATE 2.0.2 2.1 3.0 3.0.2 3.1.1');
    assert.match(contexts!, /^preauth-integrity encryption /);
  });

  describe('probe-smb1 (loopback responder)', () => {
    let responder: SmbResponder | undefined;
    afterEach(async () => {
      if (responder) await responder.close();
      responder = undefined;
    });

    it('an SMB1 server: verdict enabled, exit code 1', async () => {
      responder = await SmbResponder.start({ smb1: 'enabled' });
      const r = await example('probe-smb1.ts', ['127.0.0.1', String(responder.directPort)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /^SMBv1: enabled$/m);
      assert.match(r.stdout, /^ {2}port \d+: /m);
      assert.match(r.stdout, /^dialects: NT LM 0\.12 /m);
    });

    it('a server refusing SMB1: verdict disabled, exit code 0', async () => {
      responder = await SmbResponder.start({ smb1: 'no-dialect' });
      const r = await example('probe-smb1.ts', ['127.0.0.1', String(responder.directPort)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^SMBv1: disabled$/m);
    });
  });

  it('watch-negotiates: SMB1 answers of an NT1 capture, the SMB2 3.1.1 answer of an SMB3 one', async () => {
    const nt1 = await example('watch-negotiates.ts', [fixture('nt1__nmap-smb-os-discovery.pcap')]);
    assert.equal(nt1.code, 0, nt1.stderr);
    assert.match(nt1.stdout, /^frame \d+ 192\.0\.2\.11 -> 192\.0\.2\.1: SMB1 selected NT LM 0\.12$/m);
    const smb3 = await example('watch-negotiates.ts', [fixture('smb3__impacket-smb311.pcap')]);
    assert.equal(smb3.code, 0, smb3.stderr);
    assert.match(smb3.stdout, /: SMB2 dialect 3\.1\.1, signing (not )?required$/m);
  });

  it('custom-rule: the lab rule refines Samba and shows up in the evidence', async () => {
    const r = await example('custom-rule.ts', [fixture('nt1__nmap-smb-os-discovery.pcap')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^192\.0\.2\.11: Samba .*\(smbprobe lab\)/m);
    assert.match(r.stdout, /^ {2}nbstat-smbp-lab-name: nbstat\.computerName = SMBP-NT1 -> smbprobe lab host$/m);
  });

  describe('README.md commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const lines: string[] = [];
    for (const m of readme.matchAll(/^```(?:sh|shell|bash|console)\n([\s\S]*?)^```$/gm)) {
      for (const line of m[1]!.split('\n')) {
        const cmd = line.replace(/^\$ /, '').replace(/\s+#.*$/, '').trim();
        if (cmd.startsWith('npx smbprobe')) lines.push(cmd);
      }
    }

    it('has smbprobe commands to check', () => assert.ok(lines.length >= 3, `found ${lines.length}`));

    for (const line of lines) {
      const args = line.split(/\s+/).slice(2);
      const network = args[0] !== 'pcap' && !args.includes('--help') && !args.includes('-h');
      it(`${line}${network ? ' (with --dry-run)' : ''}`, async () => {
        writeFileSync(join(tmp, 'hosts.txt'), '192.0.2.7\n192.0.2.8\n');
        // captures are named relative to the repository, as a reader of the README runs them
        const r = await run(process.execPath, [TSX, CLI, ...args, ...(network ? ['--dry-run'] : [])], { cwd: network ? tmp : ROOT });
        assert.equal(r.code, 0, r.stderr);
        if (network && !args.includes('-o')) assert.match(r.stdout, /^192\.0\.2\.\d+$/m);
      });
    }
  });
});
