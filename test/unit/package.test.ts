/**
 * The package as users get it.
 *
 * 1. Every exported symbol of the public surface (the package root and each subpath entry) has a
 *    TSDoc comment: walked with the TypeScript compiler API, namespaces included.
 * 2. `npm pack` (after `npm run build`), installed into a temporary project: imported from
 *    TypeScript (strict, skipLibCheck false, so the shipped .d.ts must stand alone: no
 *    binary-parser types, nothing from the repo's ambient shims) and from plain Node ESM;
 *    `npx smbprobe --help` and `npx smbprobe pcap` (the bundled capture) work from the install;
 *    the tarball holds no tests, sources, source maps, examples or fixtures beyond the bundled one.
 *
 * Part 2 builds, packs and runs `npm install` (offline-first: dependencies come from the npm
 * cache): slow, hence the generous timeout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Subpath → source entry. The package.json `exports` map must offer exactly these (plus ./package.json). */
const ENTRIES: Readonly<Record<string, string>> = {
  '.': 'src/index.ts',
  './nbns': 'src/lib/nbns.ts',
  './nbss': 'src/lib/nbss.ts',
  './smb1': 'src/lib/smb1.ts',
  './smb2': 'src/lib/smb2.ts',
  './ntlmssp': 'src/lib/ntlmssp.ts',
  './pcap': 'src/lib/pcap.ts',
};

/**
 * Public symbols still without TSDoc, declared in files other sessions own (probe, targets,
 * capture, passive). Known debt, listed so the check stays strict for everything else; the test
 * fails when one of these gains a comment, so that the list only shrinks.
 */
const PENDING_TSDOC: ReadonlySet<string> = new Set([]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBUG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Exported names of the public entries without a TSDoc comment on their declaration. */
function undocumentedExports(): Map<string, string> {
  const files = Object.values(ENTRIES).map((f) => join(ROOT, f));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
  });
  const checker = program.getTypeChecker();
  const missing = new Map<string, string>();
  const seen = new Set<ts.Symbol>();
  const walk = (mod: ts.Symbol, prefix: string): void => {
    for (const ex of checker.getExportsOfModule(mod)) {
      const target = ex.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(ex) : ex;
      const name = prefix + ex.getName();
      // `export * as smb2 from ...`: a namespace; its members are checked, under their own names
      if (target.flags & ts.SymbolFlags.ValueModule && target.declarations?.some(ts.isSourceFile)) {
        walk(target, `${name}.`);
        continue;
      }
      if (seen.has(target)) continue;
      seen.add(target);
      if (ts.displayPartsToString(target.getDocumentationComment(checker)).trim() !== '') continue;
      const d = target.declarations?.[0];
      const where = d ? `${d.getSourceFile().fileName.slice(ROOT.length + 1)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}` : '?';
      missing.set(ex.getName(), `${name} (${where})`);
    }
  };
  for (const f of files) {
    const sf = program.getSourceFile(f);
    assert.ok(sf, `${f} missing`);
    const sym = checker.getSymbolAtLocation(sf);
    assert.ok(sym, `${f} is not a module`);
    walk(sym, '');
  }
  return missing;
}

describe('package: public API documentation', function () {
  this.timeout(60_000);

  it('every exported symbol of the public entries has a TSDoc comment', () => {
    const missing = undocumentedExports();
    const unexpected = [...missing].filter(([n]) => !PENDING_TSDOC.has(n)).map(([, where]) => where);
    assert.deepEqual(unexpected, [], `undocumented exports:\n  ${unexpected.join('\n  ')}`);
    const fixed = [...PENDING_TSDOC].filter((n) => !missing.has(n));
    assert.deepEqual(fixed, [], 'documented now: remove from PENDING_TSDOC');
  });

  it('package.json exports exactly the public entries, each with types first', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const expected: Record<string, unknown> = { './package.json': './package.json' };
    for (const [sub, src] of Object.entries(ENTRIES)) {
      const out = src.replace(/^src\//, './dist/').replace(/\.ts$/, '');
      expected[sub] = { types: `${out}.d.ts`, import: `${out}.js` };
    }
    assert.deepEqual(pkg.exports, expected);
  });
});

describe('package: npm pack, installed in a fresh project', function () {
  this.timeout(600_000);
  let tmp = '';
  let project = '';
  let files: string[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'smbprobe-pack-'));
    const build = await run('npm', ['run', 'build'], ROOT);
    assert.equal(build.code, 0, build.stdout + build.stderr);
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
    assert.equal(pack.code, 0, pack.stderr);
    const info = (JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
    files = info.files.map((f) => f.path);
    project = join(tmp, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(tmp, info.filename)], project);
    assert.equal(install.code, 0, install.stdout + install.stderr);
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the tarball holds the build, the docs and the bundled capture, nothing else', () => {
    const bad = files.filter(
      (f) =>
        /\.map$/.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /^(test|src|examples|bench|\.ci)\//.test(f) ||
        (f.startsWith('fixtures/') && f !== 'fixtures/nt1__nmap.pcap') ||
        f.startsWith('docs/api/'),
    );
    assert.deepEqual(bad, []);
    for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'fixtures/nt1__nmap.pcap', 'docs/library.md']) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
  });

  it('the build leaves the CLI executable in the working tree (npx runs it there through a cached link)', function () {
    if (process.platform === 'win32') this.skip();
    // npx links the project's own bin once and makes it executable then; a later rebuild (npm
    // test runs one) must not leave a file the cached link cannot run
    const mode = statSync(join(ROOT, 'dist/cli/main.js')).mode;
    assert.equal(mode & 0o111, 0o111, `mode ${mode.toString(8)}`);
  });

  it('the shipped declarations do not mention binary-parser', () => {
    const dts = files.filter((f) => f.endsWith('.d.ts'));
    const leaking = dts.filter((f) => /binary-parser/.test(readFileSync(join(project, 'node_modules', 'smbprobe', f), 'utf8')));
    // codec/fixed.d.ts is internal and reachable from no public entry; the consumer compile below proves it
    assert.deepEqual(leaking.filter((f) => f !== 'dist/codec/fixed.d.ts'), []);
  });

  it('imports from TypeScript: types resolve in strict mode with skipLibCheck false', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { DecodeError, isDecodeError, nbns as rootNbns, smb2 as rootSmb2, probeSmb, probeNbstat, NbstatScanner, expandTargets, parseTargetSpecs,",
        "  fingerprint, defaultRules, analyzeCapture, captureMessages, MessageDecoder, HostBuilder, type HostResult, type FingerprintRule, type Codec } from 'smbprobe';",
        "import * as nbns from 'smbprobe/nbns';",
        "import * as nbss from 'smbprobe/nbss';",
        "import * as smb1 from 'smbprobe/smb1';",
        "import * as smb2 from 'smbprobe/smb2';",
        "import * as ntlmssp from 'smbprobe/ntlmssp';",
        "import * as pcap from 'smbprobe/pcap';",
        "const codec: Codec<nbns.NbnsPacket> = nbns.nbnsPacket;",
        "const req: Uint8Array = codec.encode(nbns.nodeStatusRequest(1));",
        "const p: nbns.NbnsPacket = rootNbns.nbnsPacket.decode(req);",
        "const n: number = smb2.negotiateRequest.encodingLength(rootSmb2.makeNegotiateRequest({ dialects: [0x0202], securityMode: 1, capabilities: 0, clientGuid: new Uint8Array(16) }));",
        "const framer: nbss.NbssFramer = new nbss.NbssFramer('direct');",
        "const s1: boolean = smb1.isSmb1(req);",
        "const flags: string[] = ntlmssp.negotiateFlagNames(ntlmssp.DEFAULT_NEGOTIATE_FLAGS);",
        "const reader: pcap.CaptureReader = new pcap.CaptureReader();",
        "const rule: FingerprintRule = { id: 'x', signal: 'nbstat.computerName', description: 'x', predicate: (v) => v === 'X', conclusion: { weight: 0.1 }, source: 'test' };",
        "const label = (h: HostResult): string | null => fingerprint(h, { rules: [...defaultRules, rule] }).product;",
        "try { smb2.smb2Header.decode(new Uint8Array(3)); } catch (e) { if (isDecodeError(e, 'TRUNCATED') && e instanceof DecodeError) console.log(e.field, e.offset); }",
        "void [p, n, framer, s1, flags, reader, label, probeSmb, probeNbstat, NbstatScanner, expandTargets, parseTargetSpecs, analyzeCapture, captureMessages, MessageDecoder, HostBuilder];",
        '',
      ].join('\n'),
    );
    const r = await run(process.execPath, [TSC, '-p', join(project, 'tsconfig.json')], project);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('imports from plain Node ESM: the root and every subpath', async () => {
    writeFileSync(
      join(project, 'consumer.mjs'),
      [
        "import * as root from 'smbprobe';",
        ...Object.keys(ENTRIES).filter((s) => s !== '.').map((s) => `import * as ${s.slice(2)} from 'smbprobe/${s.slice(2)}';`),
        "const bytes = nbns.encodeNodeStatusRequest(0x1234);",
        "const p = root.nbns.nbnsPacket.decode(bytes);",
        "if (p.transactionId !== 0x1234 || smb2.negotiateRequest !== root.smb2.negotiateRequest) throw new Error('mismatch');",
        "try { root.smb2.smb2Header.decode(new Uint8Array(3)); } catch (e) { if (!(e instanceof root.DecodeError)) throw e; }",
        "console.log(JSON.stringify({ root: Object.keys(root).length, nbss: typeof nbss.NbssFramer, smb1: typeof smb1.smb1NegotiateRequest.decode, ntlmssp: typeof ntlmssp.decodeNtlmMessage, pcap: typeof pcap.analyzeCapture, probe: typeof root.probeSmb }));",
        '',
      ].join('\n'),
    );
    const r = await run(process.execPath, ['consumer.mjs'], project);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { root: JSON.parse(r.stdout).root, nbss: 'function', smb1: 'function', ntlmssp: 'function', pcap: 'function', probe: 'function' });
  });

  it('internals stay unexported', async () => {
    const r = await run(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('smbprobe'); console.log(JSON.stringify(['ByteReader','fixedLayout','Writer','Parser','placeEncoded','readNetbiosName'].filter((k) => k in m || Object.values(m).some((v) => v && typeof v === 'object' && k in v))))"],
      project,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  it('npx smbprobe --help works from the install, and the bundled capture decodes', async () => {
    const help = await run('npx', ['--no-install', 'smbprobe', '--help'], project);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: smbprobe/);
    const pcapRun = await run('npx', ['--no-install', 'smbprobe', 'pcap', '--format', 'json'], project);
    assert.equal(pcapRun.code, 0, pcapRun.stderr);
    assert.match(pcapRun.stdout, /"192\.0\.2\.11"/);
  });
});
