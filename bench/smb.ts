/**
 * 2. SMB survey: one real smbd (SMBv1 on, signing auto) bound to 0.0.0.0 inside our namespace;
 * the clients run in the same namespace, so every 127.42.1.x address reaches it over loopback.
 * NBSTAT for those addresses comes from the C responder (answers from the queried address), or
 * the responder receives and never answers (UDP 137 filtered: silence, as on most modern networks).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, measure, round, sleep, startDaemon, stopDaemon, inNs, NS } from './lib.js';
import { execFileSync, spawn } from 'node:child_process';

export function smbConf(dir: string): string {
  const d = join(dir, 'smbd');
  for (const s of ['private', 'lock', 'state', 'cache', 'pid', 'ncalrpc', 'binddns', 'usershares', 'log', 'share']) mkdirSync(join(d, s), { recursive: true });
  const conf = join(d, 'smb.conf');
  writeFileSync(
    conf,
    `[global]
  netbios name = SMBP-BENCH
  workgroup = SMBPLAB
  server role = standalone server
  security = user
  map to guest = bad user
  guest account = nobody
  bind interfaces only = no
  server min protocol = NT1
  server max protocol = SMB3_11
  server signing = auto
  smb ports = 445 139
  private dir = ${d}/private
  smb passwd file = ${d}/private/smbpasswd
  passdb backend = tdbsam:${d}/private/passdb.tdb
  lock directory = ${d}/lock
  state directory = ${d}/state
  cache directory = ${d}/cache
  pid directory = ${d}/pid
  ncalrpc dir = ${d}/ncalrpc
  binddns dir = ${d}/binddns
  usershare path = ${d}/usershares
  usershare max shares = 0
  log file = ${d}/log/samba.log
  max log size = 0
  log level = 0
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  max smbd processes = 0
[public]
  path = ${d}/share
  guest ok = yes
  read only = yes
`,
  );
  return conf;
}

export async function startSmbd(conf: string) {
  const child = startDaemon(['smbd', '--foreground', '--no-process-group', '-s', conf], { ns: true });
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    const ss = execFileSync('ip', inNs(['ss', '-Hltn', 'sport = :445']).slice(1), { encoding: 'utf8' });
    if (ss.trim()) {
      await sleep(500);
      idleSmbd = smbdProcesses();
      smbdPid = child.pid ?? 0;
      return child;
    }
    if (child.exitCode !== null) break;
  }
  throw new Error('smbd did not start listening on 445');
}

/** smbd processes in the namespace (the daemon, its helpers, one child per open connection). */
function smbdProcesses(): number {
  const pids = execFileSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  let n = 0;
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('smbd')) n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
let idleSmbd = 0;
let smbdPid = 0;

/**
 * CPU seconds the smbd spent so far, its exited (reaped) children included: what a run costs the
 * server, which wall time on a shared machine hides (`ip netns exec` execs smbd: same pid).
 */
function smbdCpuS(): number {
  if (!smbdPid) return NaN;
  const f = readFileSync(`/proc/${smbdPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime stime cutime cstime, in clock ticks (100 Hz)
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** Run `fn` on a settled server; returns its value and the smbd CPU it cost per host, ms. */
async function serverCost<T>(hosts: number, fn: () => Promise<T>): Promise<{ value: T; smbdMsPerHost: number }> {
  await settleSmbd();
  const c0 = smbdCpuS();
  const value = await fn();
  await settleSmbd();
  return { value, smbdMsPerHost: round(((smbdCpuS() - c0) * 1000) / hosts, 0) };
}

/**
 * Wait until the previous run's smbd children have exited (at most 15 s), so that no run pays
 * for the teardown of the one before it.
 */
export async function settleSmbd(): Promise<void> {
  for (let i = 0; i < 150 && smbdProcesses() > idleSmbd; i++) await sleep(100);
}
export { stopDaemon };

export function hosts(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`127.42.${1 + (i >> 7)}.${1 + (i & 127)}`);
  return out;
}

export interface HostFacts {
  dialects: string[];
  signing: string | null;
}

/** nmap's dialect notation (`2:1:0`, `NT LM 0.12 (SMBv1)`) to ours. */
function nmapDialect(d: string): string {
  const t = d.trim();
  if (/NT LM 0\.12/.test(t)) return 'NT LM 0.12';
  const m = /^(\d):?(\d):?(\d)$/.exec(t);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  return t;
}
function ourDialect(d: string): string {
  // 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1 → x.y.z
  if (/^\d\.\d$/.test(d)) return `${d}.0`;
  return d;
}

export async function runNmap(list: string[]): Promise<{ wallS: number; cpuS: number; maxRssMb: number; facts: Map<string, HostFacts>; hostsPerS: number; smbdMsPerHost: number }> {
  const { value: m, smbdMsPerHost } = await serverCost(list.length, () =>
    measure(['nmap', '-n', '-Pn', '-p445', '--script', 'smb-protocols,smb2-security-mode,smb2-capabilities,smb2-time', '-oX', '-', ...list], { ns: true, timeoutS: 1800 }),
  );
  const facts = new Map<string, HostFacts>();
  for (const hb of m.stdout.split('<host ').slice(1)) {
    const addr = /addr="([^"]+)" addrtype="ipv4"/.exec(hb)?.[1];
    if (!addr) continue;
    // the <elem> list of smb-protocols: "NT LM 0.12 (SMBv1) [...]", "202", "210", "311"
    const prot = /<script id="smb-protocols"[\s\S]*?<\/script>/.exec(hb)?.[0] ?? '';
    const dialects = [...prot.matchAll(/<elem>([^<]*)<\/elem>/g)].map((m) => nmapDialect(m[1]!.replace(/\[.*\]/, '')));
    const sec = /id="smb2-security-mode" output="([^"]*)"/.exec(hb)?.[1]?.replace(/&#xa;/g, '\n') ?? '';
    const signing = /not required/.test(sec) ? 'enabled-not-required' : /required/.test(sec) ? 'required' : /enabled/.test(sec) ? 'enabled' : null;
    facts.set(addr, { dialects, signing });
  }
  return { wallS: round(m.wallS), cpuS: round(m.cpuS), maxRssMb: round(m.maxRssMb, 1), facts, hostsPerS: round(list.length / m.wallS, 2), smbdMsPerHost };
}

export async function runSmbprobe(smbprobe: string, mode: 'smb' | 'scan', list: string[], extra: string[]) {
  const { value: m, smbdMsPerHost } = await serverCost(list.length, () =>
    measure(['node', smbprobe, mode, ...list, '--format', 'ndjson', '--no-progress', ...extra], { ns: true, timeoutS: 1800 }),
  );
  const facts = new Map<string, HostFacts>();
  for (const line of m.stdout.split('\n')) {
    if (!line) continue;
    const h = JSON.parse(line) as { address: string; smb: { dialects: string[]; signing: { enabled: boolean | null; required: boolean | null } } | null };
    if (!h.smb) continue;
    const g = h.smb.signing;
    facts.set(h.address, { dialects: h.smb.dialects.map(ourDialect), signing: g.required ? 'required' : g.enabled ? 'not-required' : g.enabled === false ? 'disabled' : null });
  }
  if (m.code !== 0 && m.code !== 1) log(`smbprobe ${mode} exit ${m.code}: ${m.stderr.slice(0, 300)}`);
  return { wallS: round(m.wallS), cpuS: round(m.cpuS), maxRssMb: round(m.maxRssMb, 1), facts, hostsPerS: round(list.length / m.wallS, 2), smbdMsPerHost };
}

/** Do both tools report the same dialect set and signing for every host? */
export function agree(a: Map<string, HostFacts>, b: Map<string, HostFacts>, list: string[]): { same: boolean; detail: string } {
  for (const h of list) {
    const x = a.get(h);
    const y = b.get(h);
    if (!x || !y) return { same: false, detail: `${h}: missing in ${!x ? 'smbprobe' : 'nmap'}` };
    const xd = [...x.dialects].sort().join(',');
    const yd = [...y.dialects].sort().join(',');
    if (xd !== yd) return { same: false, detail: `${h}: dialects smbprobe [${xd}] nmap [${yd}]` };
    const xs = x.signing;
    const ys = y.signing === 'enabled-not-required' ? 'not-required' : y.signing;
    if (xs !== ys) return { same: false, detail: `${h}: signing smbprobe ${x.signing} nmap ${y.signing}` };
  }
  return { same: true, detail: `${list.length} hosts: same dialects and signing` };
}

/** TCP connections (SYNs to 445/139) one tool opens for one host, counted with tshark on lo. */
export async function connectionsPerHost(argv: string[], hostCount: number): Promise<number> {
  const cap = spawn(inNs([])[0]!, [...inNs([]).slice(1), 'tshark', '-i', 'lo', '-q', '-f', 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and (dst port 445 or dst port 139)', '-w', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  cap.stderr.on('data', (c: Buffer) => (err += c.toString()));
  // tshark says "Capturing on" once it listens, and "N packets captured" when stopped
  for (let i = 0; i < 100 && !err.includes('Capturing on'); i++) await sleep(100);
  await sleep(200);
  await measure(argv, { ns: true, timeoutS: 600 });
  await sleep(500);
  const done = new Promise<void>((r) => cap.once('close', () => r()));
  cap.kill('SIGINT');
  await done;
  const m = /(\d+) packets? captured/.exec(err);
  return m ? round(Number(m[1]) / hostCount, 2) : NaN;
}
