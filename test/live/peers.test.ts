// Parsers of the peers' output, on real output captured in the lab (test/live/samples/README.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  nameKeys, normalizeMac, normalizeNmapDialect, parseNbtscan, parseNmapXml, parseNmblookup,
  parseSigningSentence, printableName,
} from '../support/peers.js';

const samples = fileURLToPath(new URL('./samples/', import.meta.url));
const sample = (f: string) => readFileSync(samples + f, 'latin1');

const MSBROWSE = '\x01\x02__MSBROWSE__\x02';
const NT1_TABLE = [
  'SMBP-NT1<00>/U', 'SMBP-NT1<03>/U', 'SMBP-NT1<20>/U', `${MSBROWSE}<01>/G`,
  'SMBPLAB<00>/G', 'SMBPLAB<1d>/U', 'SMBPLAB<1e>/G',
].sort();
const SMB3_TABLE = ['SMBP-SMB3<00>/U', 'SMBP-SMB3<03>/U', 'SMBP-SMB3<20>/U', 'SMBPLAB<00>/G', 'SMBPLAB<1e>/G'].sort();
const ALL_SMB2 = ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'];

describe('peers: output parsers', () => {
  describe('nmap -oX (nbstat, smb-protocols, smb2-security-mode)', () => {
    it('nt1: SMB1 and every SMB2 dialect, signing not required, the browse master table', () => {
      const [h, ...rest] = parseNmapXml(sample('nmap-nt1.xml'));
      assert.equal(rest.length, 0);
      assert.ok(h);
      assert.equal(h.address, '192.0.2.11');
      assert.deepEqual(h.dialects, ['NT LM 0.12', ...ALL_SMB2]);
      assert.deepEqual(h.signing, { '3.1.1': { enabled: true, required: false } });
      assert.equal(h.nbstat?.netbiosName, 'SMBP-NT1');
      assert.equal(h.nbstat?.user, null);
      assert.equal(h.nbstat?.mac, '00:00:00:00:00:00');
      assert.deepEqual(nameKeys(h.nbstat!.names), NT1_TABLE);
      assert.deepEqual(
        h.ports.map((p) => `${p.port}/${p.protocol} ${p.state}`).sort(),
        ['137/udp open', '139/tcp open', '445/tcp open'],
      );
    });
    it('smb3: no SMB1, signing required', () => {
      const [h] = parseNmapXml(sample('nmap-smb3.xml'));
      assert.deepEqual(h?.dialects, ALL_SMB2);
      assert.deepEqual(h?.signing, { '3.1.1': { enabled: true, required: true } });
      assert.deepEqual(nameKeys(h!.nbstat!.names), SMB3_TABLE);
    });
    it('nonb: 137/udp closed (port unreachable), 139/tcp closed (reset), no nbstat', () => {
      const [h] = parseNmapXml(sample('nmap-nonb.xml'));
      assert.equal(h?.nbstat, null);
      assert.deepEqual(h?.dialects, ALL_SMB2);
      const p = (n: number) => h!.ports.find((x) => x.port === n);
      assert.deepEqual([p(137)?.state, p(137)?.reason], ['closed', 'port-unreach']);
      assert.deepEqual([p(139)?.state, p(139)?.reason], ['closed', 'reset']);
      assert.equal(p(445)?.state, 'open');
    });
    it('dialect spellings of old and new nmap', () => {
      assert.equal(normalizeNmapDialect('NT LM 0.12 (SMBv1) [dangerous, but default]'), 'NT LM 0.12');
      for (const [a, b] of [['202', '2.0.2'], ['2:0:2', '2.0.2'], ['2:1:0', '2.1'], ['3:0:0', '3.0'], ['3:0:2', '3.0.2'], ['3:1:1', '3.1.1'], ['311', '3.1.1']]) {
        assert.equal(normalizeNmapDialect(a!), b);
      }
      assert.deepEqual(parseSigningSentence('Message signing enabled and required'), { enabled: true, required: true });
      assert.deepEqual(parseSigningSentence('Message signing enabled but not required'), { enabled: true, required: false });
    });
  });

  describe('nbtscan', () => {
    it('-v -s : keeps the raw name bytes', () => {
      const [h, ...rest] = parseNbtscan(sample('nbtscan-s-nt1.txt'));
      assert.equal(rest.length, 0);
      assert.equal(h?.address, '192.0.2.11');
      assert.equal(h?.mac, '00:00:00:00:00:00');
      assert.deepEqual(nameKeys(h!.names), NT1_TABLE);
      assert.deepEqual(nameKeys(parseNbtscan(sample('nbtscan-s-smb3.txt'))[0]!.names), SMB3_TABLE);
      assert.deepEqual(parseNbtscan(sample('nbtscan-s-nonb.txt')), []);
    });
    it('-v table format', () => {
      const [h] = parseNbtscan(sample('nbtscan-v-nt1.txt'));
      assert.equal(h?.address, '192.0.2.11');
      assert.equal(h?.mac, '00:00:00:00:00:00');
      assert.deepEqual(nameKeys(h!.names), NT1_TABLE);
      assert.deepEqual(nameKeys(parseNbtscan(sample('nbtscan-v-smb3.txt'))[0]!.names), SMB3_TABLE);
    });
  });

  describe('nmblookup -A', () => {
    it('nt1: seven names with node type and flags, non-printables as dots', () => {
      const r = parseNmblookup(sample('nmblookup-nt1.txt'));
      assert.equal(r.address, '192.0.2.11');
      assert.equal(r.reply, true);
      assert.equal(r.mac, '00:00:00:00:00:00');
      assert.deepEqual(nameKeys(r.names), NT1_TABLE.map((k) => printableName(k)).sort());
      assert.ok(r.names.every((n) => n.nodeType === 'B' && n.active && !n.permanent && !n.conflict && !n.deregistering));
    });
    it('nonb: no reply', () => {
      const r = parseNmblookup(sample('nmblookup-nonb.txt'));
      assert.equal(r.reply, false);
      assert.deepEqual(r.names, []);
    });
  });

  it('normalizeMac and printableName', () => {
    assert.equal(normalizeMac('000000000000'), '00:00:00:00:00:00');
    assert.equal(normalizeMac('02-00-C0-00-02-0B'), '02:00:c0:00:02:0b');
    assert.equal(normalizeMac('nope'), null);
    assert.equal(printableName(MSBROWSE), '..__MSBROWSE__.');
  });
});
