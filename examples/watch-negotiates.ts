// Stream a capture (pcap or pcapng, any size) and react to every NEGOTIATE answer in it.
import { MessageDecoder, captureMessages, smb2 } from 'smbprobe';

const file = process.argv[2] ?? 'capture.pcap';
const decoder = new MessageDecoder();

for await (const app of captureMessages(file)) {
  for (const m of decoder.decode(app)) {
    const at = `frame ${m.meta.frame} ${m.meta.src?.ip} -> ${m.meta.dst?.ip}`;
    if (m.kind === 'smb2' && m.message.kind === 'negotiate-response') {
      const { dialectRevision, securityMode } = m.message.body;
      console.log(`${at}: SMB2 dialect ${smb2.dialectName(dialectRevision)}, signing ${securityMode & 2 ? 'required' : 'not required'}`);
    } else if (m.kind === 'smb1' && m.body.command === 'negotiate-response') {
      const { dialectIndex, dialect } = m.body.message;
      console.log(`${at}: SMB1 ${dialectIndex === 0xffff ? 'refused every dialect' : `selected ${dialect ?? dialectIndex}`}`);
    }
  }
}
