/**
 * The live lab for test/live: fixtures/lab.sh brings real Samba hosts up in network namespaces
 * (docs/fixtures.md); this module starts it once per suite, always takes it down again (after the
 * suite, on SIGINT/SIGTERM, at process exit), and runs commands — the smbprobe CLI among them —
 * inside the client namespace with a deadline.
 *
 * Environment:
 * - SMBP_NS_PREFIX: namespace prefix (lab.sh's; default `smbp`). Only one lab per prefix can exist.
 * - SMBP_LAB_DIR: lab folder (default: a fresh /tmp/smbprobe-live.XXXXXX, removed after).
 * - SMBP_LAB_FORCE=1: replace a lab already up under the same prefix (lab.sh up takes it down first).
 * - SMBP_LAB_KEEP=1: leave the lab up after the suite (to iterate; `fixtures/lab.sh down DIR` ends it).
 *   A later run with the same SMBP_LAB_DIR and prefix reuses a healthy lab.
 * - SMBP_LIVE_CLI: the CLI entry to test (default src/cli/main.ts, run through tsx).
 * - CI (truthy): a missing prerequisite (root, `ip netns`, Samba, peers) fails the suite instead of
 *   skipping it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file is test/support/lab.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const LAB_SH = join(REPO_ROOT, 'fixtures', 'lab.sh');
/** The CLI entry, run from source through tsx; SMBP_LIVE_CLI names another (e.g. dist/cli/main.js). */
export const CLI_MAIN = process.env['SMBP_LIVE_CLI'] || join(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface LabHostConfig {
  smb1: boolean;
  server_min_protocol: string;
  server_max_protocol: string;
  server_signing: string;
  netbios: boolean;
  nmbd: boolean;
  smb_ports: number[];
  browse: string;
}

export interface LabHost {
  name: string;
  namespace: string;
  interface: string;
  address: string;
  mac: string;
  netbios_name: string;
  workgroup: string;
  smb_conf: string;
  log: string;
  pids: Record<string, number>;
  config: LabHostConfig;
}

export interface LabJson {
  dir: string;
  prefix: string;
  subnet: string;
  workgroup: string;
  bridge_namespace: string;
  client: { namespace: string; interface: string; address: string; mac: string; netbios_name: string; smb_conf: string };
  hosts: LabHost[];
}

export interface Lab extends LabJson {
  /** The host named `name` in lab.json (`nt1`, `smb3`, `nonb`, `lanman`); throws if absent. */
  host(name: string): LabHost;
  /** Seconds `lab.sh up` took (0 when an existing lab was reused). */
  upSeconds: number;
}

export interface RunResult {
  /** Exit code; null when killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: Record<string, string>;
  /** stdout/stderr decoding; `latin1` keeps every byte of a NetBIOS name. Default utf8. */
  encoding?: BufferEncoding;
  cwd?: string;
  /** Called with the child's pid (its process group) once spawned. */
  onSpawn?: (pid: number | undefined) => void;
}

const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
export const IN_CI = truthy(process.env['CI']);
export const PREFIX = process.env['SMBP_NS_PREFIX'] || 'smbp';

/** Run a command (not in a namespace) with a deadline; never rejects. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group: a timeout kills the whole tree
    });
    opts.onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      const enc = opts.encoding ?? 'utf8';
      resolve({
        code, signal, timedOut,
        stdout: Buffer.concat(out).toString(enc),
        stderr: Buffer.concat(err).toString(enc),
        durationMs: Date.now() - t0,
      });
    };
    child.on('error', (e) => { err.push(Buffer.from(String(e))); done(null, null); });
    child.on('close', done);
    child.stdin.on('error', () => { /* the child may not read stdin */ });
    child.stdin.end(opts.input ?? '');
  });
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try { process.kill(-pid, sig); } catch { /* already gone */ }
}

/** Run `cmd args` inside the lab's client namespace. */
export function runInClient(lab: Pick<LabJson, 'client'>, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', lab.client.namespace, cmd, ...args], opts);
}

/** The tsx loader as a file URL, so `node --import` works whatever the working directory. */
export function tsxLoader(): string {
  // createRequire, not import.meta.resolve: mocha may load this file as CommonJS through tsx
  return pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
}

/** Run the smbprobe CLI from source inside the client namespace: `node --import tsx src/cli/main.ts ARGS`. */
export function runSmbprobe(lab: Pick<LabJson, 'client'>, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runInClient(lab, process.execPath, ['--import', tsxLoader(), CLI_MAIN, ...args], {
    ...opts,
    env: { NO_COLOR: '1', ...opts.env },
  });
}

/** Packets sent by the client namespace so far, per interface (`/sys/class/net/IF/statistics/tx_packets`). */
export async function clientTxPackets(lab: Pick<LabJson, 'client'>, ifaces = ['eth0', 'lo']): Promise<Record<string, number>> {
  const r = await runInClient(lab, 'sh', ['-c', ifaces.map((i) => `cat /sys/class/net/${i}/statistics/tx_packets`).join(';')], { timeoutMs: 10_000 });
  const nums = r.stdout.trim().split('\n').map(Number);
  if (r.code !== 0 || nums.length !== ifaces.length || nums.some((n) => !Number.isFinite(n))) {
    throw new Error(`cannot read tx_packets in ${lab.client.namespace}: ${r.stderr}`);
  }
  return Object.fromEntries(ifaces.map((i, k) => [i, nums[k]!]));
}

/**
 * A packet capture on the client's interfaces for the duration of `body`: resolves with what tcpdump
 * printed (one line per packet) once it has flushed. Proves a command sent nothing.
 */
export async function captureInClient<T>(lab: Pick<LabJson, 'client'>, body: () => Promise<T>, iface = 'any'): Promise<{ value: T; packets: string[] }> {
  const child = spawn('ip', ['netns', 'exec', lab.client.namespace, 'tcpdump', '-i', iface, '-n', '-l', '-U', '--immediate-mode', '-Z', 'root'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString('latin1'); });
  const closed = new Promise<void>((res) => child.on('close', () => res()));
  // wait until tcpdump listens
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`tcpdump did not start: ${err}`)), 15_000);
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (/listening on/.test(err)) { clearTimeout(t); res(); }
    });
    child.on('close', () => { clearTimeout(t); rej(new Error(`tcpdump exited: ${err}`)); });
  });
  try {
    const value = await body();
    await new Promise((r) => setTimeout(r, 500)); // let late packets land
    return { value, packets: out.split('\n').filter((l) => l.trim() !== '') };
  } finally {
    killGroup(child.pid, 'SIGTERM');
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
    killGroup(child.pid, 'SIGKILL');
  }
}

// ---------------------------------------------------------------- prerequisites

/** Why the live lab cannot run here, or null when it can. */
export function labUnavailableReason(tools = ['smbd', 'nmbd', 'nmblookup', 'nmap', 'nbtscan', 'tcpdump']): string | null {
  if (process.platform !== 'linux') return `live lab needs Linux network namespaces (platform ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'live lab needs root (network namespaces): run as root or with sudo';
  const ipr = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ipr.error || ipr.status !== 0) return `\`ip netns\` unavailable: ${ipr.error?.message ?? ipr.stderr}`;
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) return `missing tools: ${missing.join(', ')} (Debian: samba smbclient nmap nbtscan tcpdump iproute2)`;
  if (!existsSync(LAB_SH)) return `no ${LAB_SH}`;
  return null;
}

function namespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

// ---------------------------------------------------------------- up / down

interface Owned { dir: string; removeDir: boolean; keep: boolean }
let owned: Owned | null = null;
/** Process group of a running `lab.sh up`, killed before an emergency `down`. */
let upPid: number | undefined;
let handlersInstalled = false;

function downSync(o: Owned): void {
  killGroup(upPid, 'SIGTERM');
  if (o.keep) return;
  spawnSync(LAB_SH, ['down', o.dir], { stdio: 'ignore', env: { ...process.env, SMBP_NS_PREFIX: PREFIX }, timeout: 120_000 });
  if (o.removeDir) rmSync(o.dir, { recursive: true, force: true });
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // whatever happens — a crash, process.exit, ^C — no namespace or daemon outlives the suite
  process.on('exit', () => { if (owned) { const o = owned; owned = null; downSync(o); } });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      if (owned) {
        process.stderr.write(`\nlive lab: ${sig}: taking the lab down\n`);
        const o = owned; owned = null; downSync(o);
      }
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

function readLab(dir: string, upSeconds: number): Lab {
  const j = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabJson;
  return {
    ...j,
    upSeconds,
    host(name: string): LabHost {
      const h = j.hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no host ${name} in ${dir}/lab.json`);
      return h;
    },
  };
}

/**
 * Bring the lab up (waiting for nt1's browse election, so its table holds `<1D>` and `__MSBROWSE__`)
 * and return lab.json. Refuses to touch a lab someone else has up under the same prefix.
 */
export async function labUp(opts: { masterWait?: boolean } = {}): Promise<Lab> {
  installHandlers();
  const envDir = process.env['SMBP_LAB_DIR'];
  const dir = envDir || mkdtempSync(join(tmpdir(), 'smbprobe-live.'));
  const keep = truthy(process.env['SMBP_LAB_KEEP']);
  const present = namespaces().filter((n) => n.startsWith(`${PREFIX}-`));
  const reuse = present.length > 0 && !!envDir && existsSync(join(dir, 'lab.json'))
    && (JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabJson).prefix === PREFIX;
  if (present.length > 0 && !reuse && !truthy(process.env['SMBP_LAB_FORCE'])) {
    throw new Error(`a lab with namespace prefix "${PREFIX}" is already up (${present.join(', ')}); `
      + 'set SMBP_NS_PREFIX to another prefix, SMBP_LAB_DIR to that lab\'s folder to reuse it, '
      + `or SMBP_LAB_FORCE=1 to replace it (a stale lab: SMBP_NS_PREFIX=${PREFIX} fixtures/lab.sh down)`);
  }
  // a reused lab stays up (it was not ours); a lab we build goes down unless SMBP_LAB_KEEP
  owned = { dir, removeDir: !envDir, keep: keep || reuse };
  const args = ['up', ...(opts.masterWait === false ? ['--no-master-wait'] : []), dir];
  const r = await run(LAB_SH, args, { timeoutMs: 240_000, env: { SMBP_NS_PREFIX: PREFIX }, onSpawn: (pid) => { upPid = pid; } });
  upPid = undefined;
  if (r.code !== 0) {
    throw new Error(`fixtures/lab.sh ${args.join(' ')} failed (${r.code ?? r.signal}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.slice(-4000)}`);
  }
  const secs = /lab up in (\d+)s/.exec(r.stderr)?.[1];
  return readLab(dir, reuse && !secs ? 0 : Number(secs ?? r.durationMs / 1000));
}

/** Take the lab down (unless kept or reused); safe to call twice. */
export async function labDown(): Promise<void> {
  if (!owned) return;
  const o = owned;
  owned = null;
  if (o.keep) return;
  const r = await run(LAB_SH, ['down', o.dir], { timeoutMs: 120_000, env: { SMBP_NS_PREFIX: PREFIX } });
  if (o.removeDir) rmSync(o.dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`fixtures/lab.sh down failed: ${r.stderr.slice(-2000)}`);
}

let shared: { lab: Promise<Lab>; users: number } | null = null;

/**
 * Register before/after hooks in the calling `describe`: the lab comes up in `before` and goes down
 * in `after` (describes that are open at the same time share one lab). Returns a getter.
 * Without root or `ip netns` the suite is skipped with the reason — but fails when CI is set.
 */
export function useLab(opts: { masterWait?: boolean } = {}): () => Lab {
  let lab: Lab | null = null;
  let mine = false;
  before(async function () {
    this.timeout(300_000);
    const why = labUnavailableReason();
    if (why) {
      if (IN_CI) throw new Error(`live lab unavailable in CI: ${why}`);
      process.stderr.write(`      live lab skipped: ${why}\n`);
      this.skip();
    }
    if (!shared) shared = { lab: labUp(opts), users: 0 };
    shared.users++;
    mine = true;
    lab = await shared.lab;
    process.stderr.write(`      (lab ${lab.prefix}-* up in ${lab.upSeconds}s, ${lab.dir})\n`);
  });
  after(async function () {
    this.timeout(180_000);
    if (!mine || !shared) return;
    mine = false;
    if (--shared.users === 0) {
      shared = null;
      await labDown();
    }
  });
  return () => {
    if (!lab) throw new Error('lab is not up (before hook failed or skipped)');
    return lab;
  };
}
