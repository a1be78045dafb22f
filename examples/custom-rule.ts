// Teach the fingerprint engine a product of your own: a rule over a HostResult signal, and the
// candidate it concludes. Hosts here come from a capture; live scan results work the same way.
import { analyzeCapture, defaultRules, fingerprint, fingerprintLabel, type Candidate, type FingerprintRule } from 'smbprobe';

const labSamba: Candidate = {
  id: 'smbp-lab',
  family: 'Samba',
  product: 'Samba (smbprobe lab)',
  version: null,
  build: null,
  ntlmBuild: null,
  kind: null,
  refines: 'samba', // a more specific Samba: chosen only when a rule names it
};

const labRule: FingerprintRule = {
  id: 'nbstat-smbp-lab-name',
  signal: 'nbstat.computerName',
  description: 'the lab names its hosts SMBP-*',
  predicate: (value) => typeof value === 'string' && value.startsWith('SMBP-'),
  conclusion: { releases: ['smbp-lab'], weight: 0.6, supports: 'smbprobe lab host' },
  source: 'fixtures/lab.sh',
};

const { hosts } = await analyzeCapture(process.argv[2] ?? 'capture.pcap');
for (const host of hosts) {
  const os = fingerprint(host, { rules: [...defaultRules, labRule], candidates: [labSamba] });
  console.log(`${host.address}: ${fingerprintLabel(os)} (confidence ${os.confidence})`);
  for (const ev of os.evidence) console.log(`  ${ev.rule}: ${ev.signal} = ${ev.value} -> ${ev.supports}`);
}
