/**
 * Interrupts and files (issue 8), for real: the CLI spawned against one good loopback host and
 * hosts that accept and never answer; SIGINT / SIGTERM once a host has finished must stop
 * starting hosts, write every finished host (NDJSON lines complete, the JSON array closed) and
 * exit 130; `-o FILE` is written through a temporary file and a rename, so kill -9 mid-run never
 * leaves a partial FILE.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostResult } from '../../src/scan/result.js';
import { HostileSmbServer } from '../support/hostile-tcp.js';
import { SmbResponder } from '../support/smb-responder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Child {
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(sig: NodeJS.Signals): void;
}

function start(args: string[]): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...process.env, DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const c: Child = {
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: (sig) => void p.kill(sig),
  };
  p.stdout.setEncoding('utf8').on('data', (d: string) => (c.stdout += d));
  p.stderr.setEncoding('utf8').on('data', (d: string) => (c.stderr += d));
  return c;
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('interrupts and files: the CLI under SIGINT, SIGTERM and kill -9', function () {
  this.timeout(60_000);
  let good: SmbResponder;
  /** 127.0.0.2 … 127.0.0.6: accept, never answer. */
  const silent: HostileSmbServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'smbprobe-signals-'));

  before(async () => {
    good = await SmbResponder.start({ smb1: 'no-dialect' });
    for (let i = 2; i <= 6; i++) silent.push(await HostileSmbServer.start({ address: `127.0.0.${i}`, directPort: good.directPort, nbssPort: good.nbssPort, mode: 'accept-silent' }));
  });
  after(async () => {
    await Promise.all([good?.close(), ...silent.map((s) => s.close())]);
  });

  /** Targets 127.0.0.1-6, two at a time: .1 finishes, .2 and .3 hang, .4-.6 wait. */
  const args = (...extra: string[]) => [
    'smb', '127.0.0.1-6', '--ports', `${good.directPort}/direct,${good.nbssPort}/nbss`, '--concurrency', '2',
    '--timeout', '30s', '--host-timeout', '60s', '--no-ntlm', '--no-progress', ...extra,
  ];
  const accepted = (s: HostileSmbServer) => s.accepted.direct + s.accepted.nbss;
  /** The good host is done and the third host has started (so the run is mid-way). */
  const midRun = () => accepted(silent[1]!) > 0;
  const laterHosts = () => silent.slice(2).map(accepted);
  beforeEach(() => {
    for (const s of silent) s.accepted.direct = s.accepted.nbss = 0;
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: NDJSON on stdout has every finished host as complete lines; no new host starts; exit 130`, async () => {
      const b = laterHosts();
      const c = start(args('--format', 'ndjson'));
      await until(midRun, 'the third host to start');
      await until(() => c.stdout.endsWith('\n'), 'the first host line');
      c.kill(sig);
      const { code } = await c.exited;
      assert.equal(code, 130, c.stderr);
      const lines = c.stdout.split('\n');
      assert.equal(lines.pop(), '', 'output ends with a complete line');
      assert.equal(lines.length, 1, c.stdout);
      const h = JSON.parse(lines[0]!) as HostResult;
      assert.equal(h.address, '127.0.0.1');
      assert.equal(h.smb!.smb1, 'disabled');
      assert.match(c.stderr, /interrupted after 1 host/);
      // hosts 4-6 were never started: not a single connection
      assert.deepEqual(laterHosts(), b);
    });
  }

  it('SIGINT with -o FILE (json): the array is closed with every finished host, renamed into place, no temp file left', async () => {
    const out = join(dir, 'int.json');
    const c = start(args('--format', 'json', '-o', out));
    await until(midRun, 'the third host to start');
    // the good host finished before the third host started; give its write a moment
    await new Promise((r) => setTimeout(r, 300));
    c.kill('SIGINT');
    const { code } = await c.exited;
    assert.equal(code, 130, c.stderr);
    assert.equal(c.stdout, '');
    const hosts = JSON.parse(readFileSync(out, 'utf8')) as HostResult[];
    assert.deepEqual(hosts.map((h) => h.address), ['127.0.0.1']);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('SIGTERM with -o FILE (ndjson): complete lines only', async () => {
    const out = join(dir, 'term.ndjson');
    const c = start(args('--format', 'ndjson', '-o', out));
    await until(midRun, 'the third host to start');
    await new Promise((r) => setTimeout(r, 300));
    c.kill('SIGTERM');
    assert.equal((await c.exited).code, 130, c.stderr);
    const text = readFileSync(out, 'utf8');
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(text.trimEnd().split('\n').map((l) => (JSON.parse(l) as HostResult).address), ['127.0.0.1']);
  });

  it('kill -9 mid-run: FILE keeps its old content (or does not exist); never a partial file', async () => {
    const kept = join(dir, 'kept.json');
    writeFileSync(kept, 'previous run\n');
    const fresh = join(dir, 'fresh.json');
    for (const [out, expect] of [[kept, 'previous run\n'], [fresh, null]] as const) {
      const c = start(args('--format', 'json', '-o', out));
      await until(midRun, 'the third host to start');
      await new Promise((r) => setTimeout(r, 300));
      c.kill('SIGKILL');
      const { signal } = await c.exited;
      assert.equal(signal, 'SIGKILL');
      if (expect === null) assert.ok(!existsSync(out), 'no file appears at FILE');
      else assert.equal(readFileSync(out, 'utf8'), expect);
      for (const s of silent) s.accepted.direct = s.accepted.nbss = 0;
    }
  });
});
