// Probe one host's SMB service and read the SMBv1 verdict with its evidence.
import { probeSmb } from 'smbprobe';

const address = process.argv[2] ?? '192.0.2.10';
const port = Number(process.argv[3] ?? 445);

const { smb, ntlm, errors } = await probeSmb(address, {
  ports: [{ port, transport: 'direct' }],
  signal: AbortSignal.timeout(15_000), // give up on the whole host after 15 s
});
console.log(`SMBv1: ${smb.smb1}`); // 'enabled' only when a real SMB1 negotiate answer selected a dialect
for (const ev of smb.smb1Evidence) console.log(`  port ${ev.port}: ${ev.reason}`);
console.log(`dialects: ${smb.dialects.join(' ')}; signing required: ${smb.signing.required}`);
if (ntlm) console.log(`NTLM: ${ntlm.netbiosComputer} in ${ntlm.netbiosDomain}, OS ${ntlm.osVersion}`);
for (const e of errors) console.error(`${e.step}: ${e.status} ${e.message}`);
process.exitCode = smb.smb1 === 'enabled' ? 1 : 0;
