import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { captureMessagesBuffer } from '../../src/capture/messages.js';
import { CSV_COLUMNS, createFormatter, csvField, csvRow, nameLine, tableLines } from '../../src/output/formats.js';
import { jsonSafe, messageLine } from '../../src/output/messages.js';
import { MessageDecoder } from '../../src/passive/decode.js';
import { computeFindings } from '../../src/scan/findings.js';
import type { HostResult } from '../../src/scan/result.js';
import { sampleHost } from './findings.test.js';

function host(over: Partial<HostResult> = {}): HostResult {
  const r = sampleHost(over);
  r.findings = computeFindings(r);
  return r;
}

/** A host whose wire strings try to drive the terminal. */
function hostile(): HostResult {
  const r = host();
  r.nbstat!.computerName = 'EVIL\x1b[2J\x1b]0;pwned\x07';
  r.nbstat!.names[0]!.name = 'EVIL\x1b[31m\r\nFAKE';
  r.ntlm!.netbiosComputer = 'N\x1b[1A\u202eX';
  r.ntlm!.netbiosDomain = 'D\nnext line';
  r.smb!.nativeOs = 'os\x9b6n';
  r.findings = computeFindings(r);
  return r;
}

const run = (format: 'json' | 'ndjson' | 'csv' | 'table', hosts: HostResult[], verbose = false): string => {
  const f = createFormatter(format, { verbose });
  return f.begin() + hosts.map((h) => f.host(h)).join('') + f.end();
};

describe('output: json', () => {
  it('is a closed array, element by element, data exact', () => {
    const hs = [host(), hostile()];
    const text = run('json', hs);
    assert.deepEqual(JSON.parse(text), hs);
    assert.deepEqual(JSON.parse(run('json', [])), []);
    // interrupted after one host: begin + host + end still parses
    const f = createFormatter('json');
    assert.equal((JSON.parse(f.begin() + f.host(host()) + f.end()) as unknown[]).length, 1);
  });
});

describe('output: ndjson', () => {
  it('one line per host, each a complete document', () => {
    const hs = [host(), hostile(), host({ host: 'h3' })];
    const text = run('ndjson', hs);
    const lines = text.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => JSON.parse(l)), hs);
    assert.equal((JSON.parse(lines[1]!) as HostResult).nbstat!.computerName, 'EVIL\x1b[2J\x1b]0;pwned\x07');
  });
});

/** A small RFC 4180 reader, to check quoting round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else (cell += c), i++;
    } else if (c === '"') (quoted = true), i++;
    else if (c === ',') row.push(cell), (cell = ''), i++;
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), (i += 2);
    else (cell += c), i++;
  }
  return rows;
}

describe('output: csv', () => {
  it('fixed header, one row per host, CRLF', () => {
    const text = run('csv', [host(), hostile()]);
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    assert.equal(rows.length, 3);
    for (const r of rows) assert.equal(r.length, CSV_COLUMNS.length);
    const get = (r: string[], c: (typeof CSV_COLUMNS)[number]) => r[CSV_COLUMNS.indexOf(c)];
    assert.equal(get(rows[1]!, 'smb1'), 'enabled');
    assert.equal(get(rows[1]!, 'dialects'), 'NT LM 0.12;2.0.2;2.1;3.0;3.0.2;3.1.1');
    assert.equal(get(rows[1]!, 'signing_required'), 'false');
    assert.equal(get(rows[1]!, 'ports'), '139/nbss:open;445/direct:open');
    assert.equal(get(rows[1]!, 'findings'), 'smb1-enabled;signing-not-required;netbios-exposed;smb-over-netbios;ntlm-info-disclosure');
    // newline inside a value survives quoting exactly
    assert.equal(get(rows[2]!, 'netbios_domain'), 'D\nnext line');
  });

  it('RFC 4180 quoting; formula-looking text cells get a leading quote', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('x\r\ny'), '"x\r\ny"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(false), 'false');
    assert.equal(csvField(42), '42');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('@SUM(1)'), "'@SUM(1)");
    assert.ok(csvRow(host()).endsWith('\r\n'));
  });
});

describe('output: table', () => {
  it('one line per host: host, name, domain, OS, signing, SMBv1, findings', () => {
    const lines = run('table', [host()]).split('\n');
    assert.match(lines[0]!, /^HOST\s+NAME\s+DOMAIN\s+OS\s+SIGNING\s+SMBv1\s+FINDINGS$/);
    const l = lines[1]!;
    for (const s of ['192.0.2.11', 'SMBP-NT1', 'SMBPLAB', '6.1.0', 'not required', 'enabled', 'smb1-enabled']) assert.ok(l.includes(s), s);
    assert.equal(lines.length, 3);
  });

  it('-v adds an nbtscan-style name table, MAC and the dialect list', () => {
    const text = run('table', [host()], true);
    assert.match(text, /SMBP-NT1\s+<20> UNIQUE B File Server Service\s+ACTIVE/);
    assert.match(text, /\\x01\\x02__MSBROWSE__\\x02 <01> GROUP/);
    assert.match(text, /MAC: 00:00:00:00:00:00 \(all zero\)/);
    assert.match(text, /dialects: NT LM 0\.12, 2\.0\.2, 2\.1, 3\.0, 3\.0\.2, 3\.1\.1/);
    assert.match(text, /\[high\] smb1-enabled/);
  });

  it('escapes control characters and ANSI escapes from the wire', () => {
    for (const verbose of [false, true]) {
      const text = tableLines(hostile(), verbose);
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/.test(text), JSON.stringify(text));
      assert.ok(text.includes('\\x1b[2J') || text.includes('N\\x1b[1A'));
      // every line is one of ours: the hostile CR/LF did not forge lines
      for (const line of text.split('\n').slice(1)) assert.ok(line === '' || line.startsWith('    '), JSON.stringify(line));
    }
    assert.equal(nameLine(hostile().nbstat!.names[0]!).includes('\n'), false);
  });

  it('a host with nothing open still gets its line', () => {
    const r = host({ nbstat: null, ntlm: null });
    r.smb!.ports['445']!.status = 'closed';
    r.smb!.ports['139']!.status = 'closed';
    assert.match(tableLines(r), /smb:closed/);
  });
});

describe('output: capture messages', () => {
  const FIXTURE = new URL('../../fixtures/nt1__nmap.pcap', import.meta.url);

  it('one escaped line per message, JSON-safe objects', function () {
    let buf: Buffer;
    try {
      buf = readFileSync(FIXTURE);
    } catch {
      return this.skip();
    }
    const dec = new MessageDecoder();
    const lines: string[] = [];
    for (const app of captureMessagesBuffer(buf)) {
      for (const m of dec.decode(app)) {
        const line = messageLine(m);
        assert.ok(!line.includes('\n'));
        lines.push(line);
        const j = jsonSafe(m);
        assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
      }
    }
    const all = lines.join('\n');
    assert.match(all, /NBSTAT answer: .*"SMBP-NT1"<20>.*MAC 00:00:00:00:00:00/);
    assert.match(all, /"\\x01\\x02__MSBROWSE__\\x02"<01> GROUP/);
    assert.match(all, /SMB1 NEGOTIATE request offering "NT LM 0\.12"/);
    assert.match(all, /SMB2 NEGOTIATE response: dialect 3\.1\.1; signing enabled/);
  });

  it('jsonSafe: bytes to hex, bigint to decimal', () => {
    assert.deepEqual(jsonSafe({ a: new Uint8Array([1, 0xab]), b: 2n ** 64n, c: [Buffer.from('hi')], d: undefined }), { a: '01ab', b: '18446744073709551616', c: ['6869'] });
  });
});
