// Decode a NetBIOS node status (NBSTAT) answer from the bytes of one UDP datagram.
import { readFile } from 'node:fs/promises';
import { DecodeError, nbns, nbstatResult } from 'smbprobe';

const bytes = await readFile(process.argv[2] ?? 'nbstat-answer.bin');
try {
  const packet = nbns.nbnsPacket.decode(bytes);
  const answer = nbns.nodeStatusOf(packet);
  if (!answer) throw new Error('not a node status answer');
  for (const n of answer.names) {
    console.log(`${n.name.padEnd(15)} <${n.suffix.toString(16).padStart(2, '0')}> ${n.group ? 'GROUP ' : 'UNIQUE'}`);
  }
  // the same facts a live probe reports: computer name, workgroup, MAC, roles
  const r = nbstatResult(answer, packet.warnings);
  console.log(`computer ${r.computerName}, workgroup ${r.workgroup}, MAC ${r.mac}, roles ${r.roles.join(',')}`);
} catch (e) {
  if (!(e instanceof DecodeError)) throw e;
  console.error(`malformed: ${e.code} in ${e.protocol} field ${e.field} at offset ${e.offset}`);
  process.exitCode = 1;
}
