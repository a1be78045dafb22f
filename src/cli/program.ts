/**
 * The `smbprobe` command line: parse and validate everything first (exit 2 before any packet),
 * then call the library. User-facing output goes to stdout or -o; warnings and the progress line
 * to stderr; logs only through `debug` (DEBUG=smbprobe:*).
 */
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import createDebug from 'debug';
import { captureMessages } from '../capture/messages.js';
import { createFormatter, type OutputFormat } from '../output/formats.js';
import { jsonSafe, messageLine } from '../output/messages.js';
import { MessageDecoder, type DecodedMessage } from '../passive/decode.js';
import type { SmbTarget } from '../probe/smb.js';
import { FINDING_IDS, hasFinding } from '../scan/findings.js';
import { analyzeCapture, type PassiveEvent, type PassiveStats } from '../passive/analyze.js';
import { MS17_FINDING_IDS } from '../passive/ms17.js';
import { DEFAULT_CONCURRENCY, DEFAULT_NBSTAT_CONCURRENCY, scan, type ScanDeps, type ScanMode } from '../scan/scan.js';
import { prepareTargets, targetBatches, TargetError, type Resolver, type UnresolvedTarget } from '../scan/targets.js';
import { escapeControl } from '../output/escape.js';
import {
  collect,
  intParser,
  parseDuration,
  parseFailOn,
  parseFormat,
  parsePort,
  parsePorts,
  parseRate,
  rewriteArgv,
} from './options.js';
import { Progress } from './progress.js';
import { fileSink, stdoutSink, type Sink } from './sink.js';

const log = createDebug('smbprobe:cli');

export const EXIT = { OK: 0, FINDING: 1, USAGE: 2, RUNTIME: 3, INTERRUPTED: 130 } as const;

/** The package root (works from src/cli and from dist/cli). */
const PACKAGE_ROOT = new URL('../../', import.meta.url);
export const DEFAULT_PCAP = fileURLToPath(new URL('fixtures/nt1__nmap.pcap', PACKAGE_ROOT));

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  /** Interrupt (SIGINT) wiring; the bin passes process signals, tests pass nothing. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Test seams. */
  deps?: ScanDeps;
  resolver?: Resolver;
}

interface ScanCliOptions {
  ports?: SmbTarget[];
  nbstatPort?: number;
  timeout?: number;
  retries?: number;
  rate?: number;
  concurrency?: number;
  hostTimeout?: number;
  ntlm: boolean;
  format: OutputFormat;
  output?: string;
  failOn?: string[];
  shard?: string;
  progress: boolean;
  verbose?: boolean;
  inputList?: string;
  exclude?: string[];
  excludeFile?: string;
  dryRun?: boolean;
}

const SCAN_EXAMPLES = `
Targets: IPv4/IPv6 addresses, CIDR (192.0.2.0/24, 2001:db8::/120), octet ranges and lists
(10.0.0.1-20, 10.0.1-3.1-254, 10.0.0.1,5,9, 10.0.0.*), host names, -iL FILE (- for stdin).

Examples:
  $ smbprobe scan 192.0.2.0/24
  $ smbprobe scan -iL hosts.txt --exclude 192.0.2.1 --format ndjson -o results.ndjson
  $ smbprobe scan 10.0.0.0/16 --shard 1/4 --concurrency 256 --rate 2000
  $ smbprobe smb fileserver.example --no-ntlm --fail-on smb1-enabled,signing-not-required
  $ smbprobe nbstat 192.0.2.10-40 -v
  $ smbprobe scan 10.0.1-3.1-254 --dry-run | wc -l

Exit codes: 0 done; 1 a --fail-on finding is present; 2 bad usage or targets (nothing sent);
3 failure at run time; 130 interrupted.`;

class Usage extends Error {}

function addScanOptions(cmd: Command): Command {
  return cmd
    .argument('[targets...]', 'addresses, CIDR blocks, ranges, host names')
    .addOption(new Option('--input-list <file>', 'read targets from FILE (also -iL FILE; - for stdin)'))
    .option('--exclude <targets>', 'skip these targets (comma separated; repeatable)', collect)
    .option('--exclude-file <file>', 'skip the targets listed in FILE')
    .option('--shard <K/N>', 'probe only shard K of N (a stable partition by address)')
    .option('--ports <list>', 'SMB ports: PORT[/direct|/nbss],... (default 445,139; 139 is NBSS)', parsePorts)
    .option('--nbstat-port <port>', 'UDP port for NBSTAT queries (default 137)', parsePort)
    .option('--timeout <duration>', 'per-attempt UDP timeout and TCP connect/idle timeout (ms, or 2s ...)', parseDuration)
    .option('--retries <n>', 'most NBSTAT retransmissions (default 2)', intParser('retries', 0, 10))
    .option('--rate <pps>', 'cap on UDP packets per second (default none: NBSTAT keeps 4096 queries in flight)', parseRate)
    .option('--concurrency <n>', `hosts probed at once (default ${DEFAULT_CONCURRENCY}; nbstat ${DEFAULT_NBSTAT_CONCURRENCY}, paced by its window of queries in flight)`, intParser('concurrency', 1, 65536))
    .option('--host-timeout <duration>', 'total deadline per host (default 60s)', parseDuration)
    .option('--no-ntlm', 'skip the anonymous NTLM session setup (host facts)')
    .option('--format <format>', 'table, json, ndjson or csv', parseFormat, 'table' as OutputFormat)
    .option('-o, --output <file>', 'write results to FILE (atomically: temp file + rename)')
    .option('--fail-on <ids>', 'exit 1 when any host has one of these findings (comma separated)', parseFailOn)
    .option('--no-progress', 'no progress line on stderr')
    .option('-v, --verbose', 'table: name table, dialects, evidence and errors under each host')
    .option('--dry-run', 'print the expanded target addresses and send nothing')
    .addHelpText('after', SCAN_EXAMPLES);
}

async function runScan(mode: ScanMode, targets: string[], o: ScanCliOptions, io: CliIo): Promise<number> {
  // 1. everything validated before anything is resolved or sent
  let prepared;
  try {
    prepared = await prepareTargets({
      targets,
      ...(o.inputList !== undefined ? { inputList: o.inputList } : {}),
      ...(o.exclude ? { exclude: o.exclude } : {}),
      ...(o.excludeFile !== undefined ? { excludeFile: o.excludeFile } : {}),
      ...(o.shard !== undefined ? { shard: o.shard } : {}),
      stdin: io.stdin,
    });
  } catch (e) {
    if (e instanceof TargetError) throw new Usage(e.message);
    throw e;
  }
  let unresolved = 0;
  const ac = new AbortController();
  const expandOpts = {
    ...(io.resolver ? { resolver: io.resolver } : {}),
    signal: ac.signal,
    onUnresolved: (u: UnresolvedTarget) => {
      unresolved++;
      io.stderr.write(`smbprobe: warning: failed to resolve ${JSON.stringify(escapeControl(u.host))} (${escapeControl(u.message)}); skipped\n`);
    },
    onMultipleAddresses: (host: string, used: string, all: string[]) => log('%s resolved to %d addresses, using %s', host, all.length, used),
  };

  if (o.dryRun) {
    const sink = await openSink(o.output, io.stdout);
    let n = 0;
    // addresses come in arrays and lines go out in 64 KiB writes: a /8 stays flat in memory
    let chunk = '';
    for await (const batch of targetBatches(prepared, expandOpts, 512)) {
      for (const t of batch) {
        n++;
        chunk += t.host === t.address ? `${t.address}\n` : `${t.address}\t${t.host}\n`;
      }
      if (chunk.length >= 65536) {
        await sink.write(chunk);
        chunk = '';
      }
    }
    await sink.write(chunk);
    await sink.close(true);
    return n === 0 && unresolved > 0 ? EXIT.USAGE : EXIT.OK;
  }
  // arrays of targets: no await per target in the scan's feeder
  const stream = { batches: targetBatches(prepared, expandOpts, 256) };

  const sink = await openSink(o.output, io.stdout);
  const formatter = createFormatter(o.format, { verbose: o.verbose ?? false });
  const progress = new Progress(io.stderr, prepared.size, o.progress && io.stderr.isTTY === true);
  const failOn = new Set(o.failOn ?? []);
  let failed = false;
  let hosts = 0;
  let interrupted = false;
  const off = io.onInterrupt?.(() => {
    interrupted = true;
    ac.abort(new Error('interrupted'));
  });
  try {
    await sink.write(formatter.begin());
    for await (const r of scan(stream, {
      mode,
      ...(o.ports ? { ports: o.ports } : {}),
      ...(o.nbstatPort !== undefined ? { nbstatPort: o.nbstatPort } : {}),
      ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
      ...(o.retries !== undefined ? { retries: o.retries } : {}),
      ...(o.rate !== undefined ? { rate: o.rate } : {}),
      ...(o.hostTimeout !== undefined ? { hostTimeoutMs: o.hostTimeout } : {}),
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ntlm: o.ntlm,
      signal: ac.signal,
      ...(io.deps ? { deps: io.deps } : {}),
    })) {
      hosts++;
      if (hasFinding(r.findings, failOn)) failed = true;
      if (sink.tty) progress.clear();
      await sink.write(formatter.host(r));
      progress.host(r.findings.length);
    }
    progress.clear();
    await sink.write(formatter.end());
    await sink.close(true);
  } catch (e) {
    progress.clear();
    // keep what was written well-formed where we can, then report
    await sink.write(formatter.end()).catch(() => {});
    await sink.close(false).catch(() => {});
    throw e;
  } finally {
    off?.();
  }
  if (interrupted) {
    io.stderr.write(`smbprobe: interrupted after ${hosts} host${hosts === 1 ? '' : 's'}\n`);
    return EXIT.INTERRUPTED;
  }
  if (hosts === 0 && unresolved > 0) {
    io.stderr.write('smbprobe: no target could be resolved; nothing was sent\n');
    return EXIT.USAGE;
  }
  return failed ? EXIT.FINDING : EXIT.OK;
}

interface PcapCliOptions {
  format: OutputFormat;
  events?: boolean;
  messages?: boolean;
  output?: string;
  failOn?: string[];
  progress: boolean;
  verbose?: boolean;
}

/** `--fail-on` for pcap: the live finding ids and the MS17-010-era ones. */
function parsePcapFailOn(text: string, prev: string[] = []): string[] {
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const known = [...FINDING_IDS, ...MS17_FINDING_IDS];
  for (const id of ids) if (!known.includes(id)) throw new InvalidArgumentError(`unknown finding id ${JSON.stringify(id)} (one of ${known.join(', ')})`);
  if (ids.length === 0) throw new InvalidArgumentError('no finding id given');
  return [...prev, ...ids];
}

async function runPcap(files: string[], o: PcapCliOptions, io: CliIo, formatGiven: boolean): Promise<number> {
  const list = files.length > 0 ? files : [DEFAULT_PCAP];
  if (o.events && o.messages) throw new Usage('--events and --messages exclude each other');
  if ((o.events || o.messages) && formatGiven && o.format !== 'ndjson' && !(o.messages && (o.format === 'table' || o.format === 'json'))) {
    throw new Usage(o.events ? '--events writes NDJSON: --format does not apply' : '--messages: --format is table, json or ndjson');
  }
  if (list.filter((f) => f === '-').length > 1) throw new Usage('stdin (-) can be read once');
  for (const f of list) {
    if (f === '-') continue;
    try {
      await access(f);
    } catch (e) {
      throw new Usage(`cannot read capture ${JSON.stringify(f)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const sink = await openSink(o.output, io.stdout);
  const withFile = list.length > 1;
  const failOn = new Set(o.failOn ?? []);
  const showProgress = o.progress && io.stderr.isTTY === true;
  let lastDraw = 0;
  let drawn = false;
  const clear = (): void => {
    if (drawn) io.stderr.write('\r\x1b[2K');
    drawn = false;
  };
  let exit: number = EXIT.OK;
  let failed = false;
  const formatter = o.events ? null : o.messages ? null : createFormatter(o.format, { verbose: o.verbose ?? false });
  let n = 0;
  try {
    if (formatter) await sink.write(formatter.begin());
    if (o.messages && o.format === 'json') await sink.write('[');
    for (const file of list) {
      const source = file === '-' ? (io.stdin as NodeJS.ReadableStream) : file;
      const name = file === '-' ? '(stdin)' : file;
      if (o.messages) {
        // the decoder's view: one line (or JSON document) per NetBIOS/SMB message
        if (o.format === 'table' && withFile) await sink.write(`== ${escapeControl(name)}\n`);
        const dec = new MessageDecoder();
        for await (const app of captureMessages(source)) {
          for (const m of dec.decode(app)) {
            if (m.kind === 'capture-error' && m.scope === 'capture') {
              io.stderr.write(`smbprobe: ${escapeControl(name)}: capture unreadable at file offset ${m.error.offset} (after frame ${m.meta.frame ?? 0}): ${m.error.code} ${m.error.protocol} ${m.error.field}\n`);
              exit = EXIT.RUNTIME;
              continue;
            }
            await sink.write(render(m, o.format === 'json' || o.format === 'ndjson' ? o.format : 'table', withFile ? name : undefined, n++));
          }
        }
        continue;
      }
      const r = await analyzeCapture(source, {
        capture: name,
        ...(o.events
          ? {
            onEvent: async (e: PassiveEvent) => {
              if (sink.tty) clear();
              await sink.write(`${JSON.stringify(withFile ? { file: name, ...e } : e)}\n`);
            },
          }
          : {}),
        ...(showProgress
          ? {
            onProgress: (st: PassiveStats) => {
              const now = Date.now();
              if (now - lastDraw < 200) return;
              lastDraw = now;
              io.stderr.write(`\r\x1b[2K${withFile ? `${escapeControl(name)}: ` : ''}${st.frames} frames, ${(st.bytes / 1048576).toFixed(1)} MiB, ${st.messages} messages`);
              drawn = true;
            },
          }
          : {}),
      });
      clear();
      for (const h of r.hosts) {
        if (hasFinding(h.findings, failOn)) failed = true;
        if (formatter) await sink.write(formatter.host(h));
      }
      if (r.stopped) {
        io.stderr.write(
          `smbprobe: ${escapeControl(name)}: capture unreadable at file offset ${r.stopped.offset} (after frame ${r.stopped.frame}): ${r.stopped.code} ${r.stopped.field}; results cover the frames before it\n`,
        );
        exit = EXIT.RUNTIME;
      }
      log('%s: %o', name, r.stats);
    }
    if (formatter) await sink.write(formatter.end());
    if (o.messages && o.format === 'json') await sink.write(n === 0 ? ']\n' : '\n]\n');
    await sink.close(true);
  } catch (e) {
    clear();
    if (formatter) await sink.write(formatter.end()).catch(() => {});
    await sink.close(false).catch(() => {});
    throw e;
  }
  if (exit !== EXIT.OK) return exit;
  return failed ? EXIT.FINDING : EXIT.OK;
}

function render(m: DecodedMessage, format: 'table' | 'json' | 'ndjson', file: string | undefined, index: number): string {
  if (format === 'table') return `${messageLine(m)}\n`;
  const v = jsonSafe(file !== undefined ? { file, ...m } : m);
  return format === 'ndjson' ? `${JSON.stringify(v)}\n` : `${index === 0 ? '' : ','}\n  ${JSON.stringify(v)}`;
}

/** Build the commander program; `result` receives the exit code of the command that ran. */
export function buildProgram(io: CliIo, result: { code: number }): Command {
  const program = new Command('smbprobe');
  program
    .description('NetBIOS/SMB probe: name tables, every SMB dialect on 445 and 139, signing, host facts and an SMBv1 verdict')
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(`smbprobe: ${s.replace(/^error: /, '').trimEnd()}\n`),
    })
    .addHelpText('after', SCAN_EXAMPLES);

  const modes: Array<[ScanMode, string]> = [
    ['scan', 'NBSTAT + SMB dialects/signing/SMBv1 on each port + NTLM host facts'],
    ['nbstat', 'only the NetBIOS node status (name table, MAC) over UDP 137'],
    ['smb', 'only SMB (445 and 139): dialects, signing, SMBv1, NTLM host facts unless --no-ntlm'],
  ];
  for (const [mode, desc] of modes) {
    const cmd = addScanOptions(program.command(mode).description(desc));
    cmd.exitOverride().configureOutput(program.configureOutput());
    cmd.action(async (targets: string[], o: ScanCliOptions) => {
      result.code = await runScan(mode, targets, o, io);
    });
  }
  const pcap = program
    .command('pcap')
    .description('passive mode: the same per-host results as a scan, from a capture (pcap or pcapng)')
    .argument('[files...]', 'capture files, - for stdin (default: the bundled fixtures/nt1__nmap.pcap)')
    .option('--format <format>', 'table, json, ndjson or csv (host results)', parseFormat, 'table' as OutputFormat)
    .option('--events', 'instead: one NDJSON record per exchange (request + answer) and MS17-010 detection')
    .option('--messages', 'instead: one line per decoded NetBIOS/SMB message (--format table, json or ndjson)')
    .option('-o, --output <file>', 'write to FILE (atomically)')
    .option('--fail-on <ids>', 'exit 1 when any host has one of these findings (comma separated)', parsePcapFailOn)
    .option('--no-progress', 'no progress line on stderr')
    .option('-v, --verbose', 'table: name table, dialects, evidence and errors under each host')
    .addHelpText(
      'after',
      `
Examples:
  $ smbprobe pcap capture.pcapng
  $ smbprobe pcap capture.pcapng --format ndjson --fail-on smb1-enabled,ms17-010-vulnerable
  $ smbprobe pcap capture.pcapng --events | jq -c 'select(.type == "smb1-negotiate")'
  $ tcpdump -w - port 445 or port 139 or port 137 | smbprobe pcap -

Hosts are those that answered something (NBNS, NBSS, SMB server side); docs/passive.md says what
is inferred from what. A truncated or corrupt capture gives the results of what decoded, then one
stderr line naming the file offset; exit 3.`,
    );
  pcap.exitOverride().configureOutput(program.configureOutput());
  pcap.action(async (files: string[], o: PcapCliOptions) => {
    result.code = await runPcap(files, o, io, pcap.getOptionValueSource('format') === 'cli');
  });
  return program;
}

/** Run the CLI; resolves to the exit code (never calls process.exit). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const result = { code: EXIT.OK as number };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(rewriteArgv(argv), { from: 'user' });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      if (e.code === 'commander.executeSubCommandAsync') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (e instanceof Usage) {
      io.stderr.write(`smbprobe: ${e.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr.write(`smbprobe: ${escapeControl(e instanceof Error ? e.message : String(e))}\n`);
    log('run-time failure: %O', e);
    return EXIT.RUNTIME;
  }
}

/** stdout, or `-o FILE`; a FILE that cannot be written is bad usage (exit 2, nothing sent yet). */
async function openSink(output: string | undefined, stdout: NodeJS.WritableStream): Promise<Sink> {
  if (output === undefined) return stdoutSink(stdout);
  try {
    return await fileSink(output);
  } catch (e) {
    throw new Usage(`cannot write ${JSON.stringify(output)}: ${(e as Error).message}`);
  }
}
