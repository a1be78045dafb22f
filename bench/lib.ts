/**
 * Bench plumbing: measured child processes (wall, CPU, peak RSS through /usr/bin/time), a
 * network namespace of our own, the smbprobe bundle, and a cleanup list that runs on exit,
 * error and signals.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const NS = `${process.env.SMBP_BENCH_NS ?? 'smbpb'}-bench`;

// ------------------------------------------------------------------------------ cleanup
const cleanups: Array<() => void> = [];
/** Registered cleanups run last-in first-out, once, on normal exit, error or signal. */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}
export function cleanupAll(): void {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      fn();
    } catch (e) {
      process.stderr.write(`bench: cleanup: ${(e as Error).message}\n`);
    }
  }
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'smbprobe-bench-'));
  onCleanup(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

// ------------------------------------------------------------------------------ namespace
/** Our own namespace with loopback up; removed at cleanup (with anything left running in it). */
export function createNamespace(): string {
  destroyNamespace();
  execFileSync('ip', ['netns', 'add', NS]);
  onCleanup(destroyNamespace);
  execFileSync('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  return NS;
}
export function destroyNamespace(): void {
  let pids: string[] = [];
  try {
    pids = execFileSync('ip', ['netns', 'pids', NS], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/).filter(Boolean);
  } catch {
    return; // no such namespace
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
  }
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}
/** argv prefix that runs a command inside our namespace. */
export function inNs(argv: string[]): string[] {
  return ['ip', 'netns', 'exec', NS, ...argv];
}

// ------------------------------------------------------------------------------ measured runs
export interface Measured {
  /** Wall time measured here around the child, s. */
  wallS: number;
  userS: number;
  sysS: number;
  cpuS: number;
  /** Peak RSS of the measured child, MB (GNU time %M). */
  maxRssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run argv (optionally inside the namespace) under /usr/bin/time; stdout kept (or discarded when
 * `discardStdout`), wall time from here. Rejects only when the process cannot start.
 */
export async function measure(
  argv: string[],
  o: { ns?: boolean; discardStdout?: boolean; timeoutS?: number; env?: NodeJS.ProcessEnv; stdoutTo?: (chunk: Buffer) => void; stdoutFile?: boolean } = {},
): Promise<Measured> {
  const dir = tempDir();
  const tf = join(dir, 'time');
  const full = ['/usr/bin/time', '-q', '-o', tf, '-f', '%e %U %S %M', ...argv];
  const cmd = o.ns ? inNs(full) : full;
  const t0 = performance.now();
  // stdoutFile: the tool writes into a file, read once it has exited, so that a tool with much
  // output does not share the CPU with this process reading a pipe while it runs
  const outFile = join(dir, 'stdout');
  const outFd = o.stdoutFile ? openSync(outFile, 'w') : undefined;
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', outFd ?? 'pipe', 'pipe'], env: o.env ?? process.env });
  if (outFd !== undefined) closeSync(outFd);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  child.stdout?.on('data', (c: Buffer) => {
    if (o.stdoutTo) o.stdoutTo(c);
    if (!o.discardStdout && outBytes < 256 << 20) {
      out.push(c);
      outBytes += c.length;
    }
  });
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const timer = o.timeoutS ? setTimeout(() => child.kill('SIGKILL'), o.timeoutS * 1000) : undefined;
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  if (timer) clearTimeout(timer);
  const wallS = (performance.now() - t0) / 1000;
  let userS = NaN;
  let sysS = NaN;
  let maxRssMb = NaN;
  try {
    const last = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    userS = last[1]!;
    sysS = last[2]!;
    maxRssMb = last[3]! / 1024;
  } catch {
    // killed before time wrote
  }
  const stdout = o.stdoutFile ? readFileSync(outFile, 'utf8') : Buffer.concat(out).toString('utf8');
  rmSync(dir, { recursive: true, force: true });
  return { wallS, userS, sysS, cpuS: userS + sysS, maxRssMb, code, stdout, stderr: Buffer.concat(err).toString('utf8') };
}

/** Start a long-running helper; killed at cleanup. */
export function startDaemon(argv: string[], o: { ns?: boolean } = {}): ChildProcess {
  const cmd = o.ns ? inNs(argv) : argv;
  // Its own process group: smbd run with --no-process-group signals its whole group (kill(0, ...))
  // when it shuts down, which killed the bench itself at the end of the SMB section.
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Resolves with the first stdout line matching `re` (or rejects on exit / timeout). */
export function waitLine(child: ChildProcess, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      buf += c.toString();
      for (const line of buf.split('\n')) {
        if (re.test(line)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`exited (${c}) before ${re}`));
    });
  });
}

export function stopDaemon(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    if (child.exitCode !== null || child.signalCode !== null) return resolve(out);
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    child.kill(signal);
  });
}

// ------------------------------------------------------------------------------ builds
/**
 * smbprobe as one ESM file (esbuild, no type check: other work in progress may not type-check
 * yet), so that runs measure the tool and not tsx's on-the-fly compilation.
 */
export function buildSmbprobe(dir: string): string {
  const out = join(dir, 'smbprobe.mjs');
  execFileSync(
    join(ROOT, 'node_modules/.bin/esbuild'),
    [
      join(ROOT, 'src/cli/main.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      `--outfile=${out}`,
      '--log-level=error',
      "--banner:js=import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return out;
}

export function buildResponder(dir: string): string {
  const out = join(dir, 'nbns-responder');
  execFileSync('gcc', ['-O2', '-o', out, join(ROOT, 'bench/nbns-responder.c')], { stdio: 'inherit' });
  return out;
}

// ------------------------------------------------------------------------------ misc
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export function loadAvg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
export function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}
export const round = (x: number, d = 3): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
