// Build the SMB2 NEGOTIATE request a client sends first, then read it back.
import { randomBytes, randomUUID } from 'node:crypto';
import { smb2 } from 'smbprobe';

const request = smb2.buildNegotiateRequest({
  dialects: [0x0202, 0x0210, 0x0300, 0x0302, 0x0311], // 2.0.2 ... 3.1.1 (smb2.Smb2Dialect)
  securityMode: smb2.Smb2SecurityMode.SIGNING_ENABLED,
  capabilities: 0,
  clientGuid: randomUUID(),
  salt: randomBytes(32), // SMB 3.1.1 pre-authentication integrity salt
});

// on TCP 445 every message is preceded by a 4-byte length (direct TCP framing)
const frame = Buffer.alloc(4 + request.length);
frame.writeUInt32BE(request.length, 0);
frame.set(request, 4);
console.log(frame.toString('hex'));

const { header, body } = smb2.negotiateRequest.decode(request);
console.log(smb2.commandName(header.command), body.dialects.map(smb2.dialectName).join(' '));
console.log(body.negotiateContexts.map((c) => c.kind).join(' '));
