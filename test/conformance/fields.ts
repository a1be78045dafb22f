import type { NbnsPacket, NbnsResourceRecord } from '../../src/codec/nbns.js';
import type { NetbiosName } from '../../src/codec/netbios-name.js';
import type { NegotiateContext } from '../../src/codec/smb2/index.js';
import type { NtlmMessage } from '../../src/codec/ntlmssp.js';
import type { SecurityBlob } from '../../src/codec/spnego.js';
import { hex } from '../../src/codec/reader.js';
import type { AuthInfo, DecodedMessage } from '../../src/passive/decode.js';

/**
 * Project a decoded message onto Wireshark's field vocabulary, so that it can be compared with
 * tshark's decoding of the same frame. Values are rendered the way tshark's JSON renders them
 * (or normalised by `normalize` in compare.ts).
 */
export type Fields = Array<[string, string]>;

const h2 = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;
const h4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;
const h8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** tshark's rendering of a NetBIOS name: printable bytes as is, others `<xx>`, then `<suffix>`. */
export function tsharkNetbiosName(n: NetbiosName): string {
  let s = '';
  for (const ch of n.name) {
    const c = ch.charCodeAt(0);
    s += c >= 0x20 && c < 0x7f ? ch : `<${c.toString(16).padStart(2, '0')}>`;
  }
  // the wildcard keeps its NUL padding in tshark's rendering
  if (n.name === '*') s += '<00>'.repeat(14);
  s += `<${n.suffix.toString(16).padStart(2, '0')}>`;
  return n.scope ? `${s}.${n.scope}` : s;
}

export function fieldsOf(m: DecodedMessage): Fields {
  const f: Fields = [];
  switch (m.kind) {
    case 'nbns':
      nbnsFields(m.packet, f);
      break;
    case 'nbss':
      f.push(['nbss.type', h2(m.message.type)]);
      if (m.message.type === 0x81) {
        f.push(['nbss.called_name', tsharkNetbiosName(m.message.calledName)]);
        f.push(['nbss.calling_name', tsharkNetbiosName(m.message.callingName)]);
      } else if (m.message.type === 0x83) {
        f.push(['nbss.error_code', h2(m.message.errorCode)]);
      } else if (m.message.type === 0x84) {
        f.push(['nbss.retarget_ip_address', m.message.retargetIpAddress], ['nbss.retarget_port', String(m.message.port)]);
      }
      break;
    case 'smb1':
      smb1Fields(m, f);
      break;
    case 'smb2':
      smb2Fields(m, f);
      break;
    default:
      break;
  }
  return f;
}

function nbnsFields(p: NbnsPacket, f: Fields): void {
  f.push(['nbns.id', h4(p.transactionId)]);
  f.push(['nbns.count.queries', String(p.questions.length)]);
  f.push(['nbns.count.answers', String(p.answers.length)]);
  f.push(['nbns.count.auth_rr', String(p.authorities.length)]);
  f.push(['nbns.count.add_rr', String(p.additionals.length)]);
  f.push(['nbns.flags.response', p.response ? '1' : '0']);
  f.push(['nbns.flags.opcode', String(p.opcode)]);
  if (p.response) f.push(['nbns.flags.rcode', String(p.rcode)]);
  f.push(['nbns.flags.broadcast', p.broadcast ? '1' : '0']);
  for (const q of p.questions) {
    f.push(['nbns.name', tsharkNetbiosName(q.name)], ['nbns.type', String(q.type)], ['nbns.class', String(q.class)]);
  }
  for (const rr of [...p.answers, ...p.authorities, ...p.additionals]) rrFields(rr, f);
}

function rrFields(rr: NbnsResourceRecord, f: Fields): void {
  f.push(['nbns.name', tsharkNetbiosName(rr.name)], ['nbns.type', String(rr.type)], ['nbns.class', String(rr.class)]);
  f.push(['nbns.ttl', String(rr.ttl)]);
  const d = rr.rdata;
  if (d.kind === 'NBSTAT') {
    f.push(['nbns.number_of_names', String(d.names.length)]);
    for (const n of d.names) {
      let raw = '';
      for (const ch of n.name.padEnd(15, n.name === '*' ? '\0' : ' ')) raw += ch.charCodeAt(0).toString(16).padStart(2, '0');
      f.push(['nbns.netbios_name_raw', raw + n.suffix.toString(16).padStart(2, '0')]);
      f.push(['nbns.netbios_name', tsharkNetbiosName({ name: n.name, suffix: n.suffix, scope: '' }).replace(/(<00>)*<..>$/, '')]);
      f.push(['nbns.name_flags', h4(n.flags)]);
    }
    if (d.unitId !== null) f.push(['nbns.unit_id', d.unitId]);
    if (d.statistics) {
      const s = d.statistics;
      // only the fields before Wireshark's statistics shift (see docs/protocols.md)
      f.push(['nbns.jumpers', h2(s.jumpers)], ['nbns.test_result', h2(s.testResult)]);
      f.push(['nbns.num_crcs', String(s.numberOfCrcs)], ['nbns.num_good_sends', String(s.numberGoodSends)]);
    }
  } else if (d.kind === 'NB') {
    for (const e of d.entries) f.push(['nbns.nb_flags', h4(e.flags)], ['nbns.addr', e.address]);
  }
}

function smb1Fields(m: Extract<DecodedMessage, { kind: 'smb1' }>, f: Fields): void {
  const h = m.header;
  f.push(['smb.cmd', h2(h.command)], ['smb.flags', h2(h.flags)], ['smb.flags2', h4(h.flags2)]);
  for (const c of m.andx ?? []) f.push(['smb.cmd', h2(c)]);
  f.push(['smb.mid', String(h.mid)], ['smb.uid', String(h.uid)], ['smb.tid', String(h.tid)]);
  if (h.dosError === undefined) f.push(['smb.nt_status', h8(h.status)]);
  const b = m.body;
  if (b.command === 'negotiate-request') {
    for (const d of b.message.dialects) f.push(['smb.dialect.name', d]);
  } else if (b.command === 'negotiate-response') {
    const r = b.message;
    if (r.form === 'nt') {
      f.push(['smb.sm', h2(r.securityMode)], ['smb.max_mpx_count', String(r.maxMpxCount)], ['smb.max_vcs', String(r.maxNumberVcs)]);
      f.push(['smb.max_bufsize', String(r.maxBufferSize)], ['smb.max_raw', String(r.maxRawSize)]);
      f.push(['smb.server_cap', h8(r.capabilities)], ['smb.server_timezone', String(r.serverTimeZone)]);
      if (r.systemTime) f.push(['smb.system.time', r.systemTime]);
      if (r.domainName !== undefined) f.push(['smb.primary_domain', r.domainName]);
      if (r.serverName !== undefined && r.serverName !== '') f.push(['smb.server', r.serverName]);
    } else if (r.form === 'lanman') {
      f.push(['smb.sm', h4(r.securityMode)], ['smb.max_bufsize', String(r.maxBufferSize)], ['smb.max_mpx_count', String(r.maxMpxCount)]);
    }
    if (b.auth) authFields(b.auth, f);
  } else if (b.command === 'session-setup-request' || b.command === 'session-setup-response') {
    const s = b.message;
    if ('nativeOs' in s && s.nativeOs !== undefined) f.push(['smb.native_os', s.nativeOs]);
    if ('nativeLanMan' in s && s.nativeLanMan !== undefined) f.push(['smb.native_lanman', s.nativeLanMan]);
    if (b.auth) authFields(b.auth, f);
  }
}

function smb2Fields(m: Extract<DecodedMessage, { kind: 'smb2' }>, f: Fields): void {
  const msg = m.message;
  if (msg.kind === 'encrypted' || msg.kind === 'compressed') return;
  const h = msg.header;
  f.push(['smb2.cmd', String(h.command)], ['smb2.msg_id', String(h.messageId)]);
  f.push(['smb2.sesid', `0x${h.sessionId.toString(16).padStart(16, '0')}`]);
  if (h.flags & 1) f.push(['smb2.nt_status', h8(h.status)]);
  if (msg.kind === 'negotiate-request') {
    const b = msg.body;
    f.push(['smb2.sec_mode', h2(b.securityMode)], ['smb2.capabilities', h8(b.capabilities)], ['smb2.client_guid', b.clientGuid]);
    for (const d of b.dialects) f.push(['smb2.dialect', h4(d)]);
    contextFields(b.negotiateContexts, f);
  } else if (msg.kind === 'negotiate-response') {
    const b = msg.body;
    f.push(['smb2.sec_mode', h2(b.securityMode)], ['smb2.dialect', h4(b.dialectRevision)], ['smb2.capabilities', h8(b.capabilities)]);
    f.push(['smb2.server_guid', b.serverGuid]);
    f.push(['smb2.max_trans_size', String(b.maxTransactSize)], ['smb2.max_read_size', String(b.maxReadSize)], ['smb2.max_write_size', String(b.maxWriteSize)]);
    f.push(['smb2.current_time', `filetime:${b.systemTime}`], ['smb2.boot_time', `filetime:${b.serverStartTime}`]);
    contextFields(b.negotiateContexts, f);
    if (m.auth) authFields(m.auth, f);
  } else if (msg.kind === 'session-setup-request') {
    f.push(['smb2.sec_mode', h2(msg.body.securityMode)]);
    if (m.auth) authFields(m.auth, f);
  } else if (msg.kind === 'session-setup-response') {
    f.push(['smb2.session_flags', h4(msg.body.sessionFlags)]);
    if (m.auth) authFields(m.auth, f);
  }
}

function contextFields(list: NegotiateContext[], f: Fields): void {
  for (const c of list) {
    switch (c.kind) {
      case 'preauth-integrity':
        f.push(['smb2.negotiate_context.type', '0x0001']);
        for (const a of c.hashAlgorithms) f.push(['smb2.negotiate_context.hash_algorithm', h4(a)]);
        f.push(['smb2.negotiate_context.salt', hexColon(c.salt)]);
        break;
      case 'encryption':
        f.push(['smb2.negotiate_context.type', '0x0002']);
        for (const a of c.ciphers) f.push(['smb2.negotiate_context.cipher_id', h4(a)]);
        break;
      case 'compression':
        f.push(['smb2.negotiate_context.type', '0x0003'], ['smb2.negotiate_context.comp_alg_flags', h8(c.flags)]);
        for (const a of c.compressionAlgorithms) f.push(['smb2.negotiate_context.comp_alg_id', h4(a)]);
        break;
      case 'netname':
        f.push(['smb2.negotiate_context.type', '0x0005'], ['smb2.negotiate_context.netname', c.netName]);
        break;
      case 'transport':
        f.push(['smb2.negotiate_context.type', '0x0006']);
        break;
      case 'rdma-transform':
        f.push(['smb2.negotiate_context.type', '0x0007']);
        for (const a of c.transformIds) f.push(['smb2.negotiate_context.rdma_transform_id', h4(a)]);
        break;
      case 'signing':
        f.push(['smb2.negotiate_context.type', '0x0008']);
        for (const a of c.signingAlgorithms) f.push(['smb2.negotiate_context.signing_id', h4(a)]);
        break;
      case 'posix':
        f.push(['smb2.negotiate_context.type', '0x0100']);
        break;
      case 'unknown':
        f.push(['smb2.negotiate_context.type', h4(c.contextType)]);
        break;
    }
  }
}

function authFields(a: AuthInfo, f: Fields): void {
  const b: SecurityBlob = a.blob;
  if (b.kind === 'spnego-init') {
    for (const mt of b.token.mechTypes) f.push(['spnego.MechType', mt.oid]);
    if (b.token.negHints?.hintName !== undefined) f.push(['spnego.hintName', b.token.negHints.hintName]);
  } else if (b.kind === 'spnego-resp') {
    if (b.token.supportedMech) f.push(['spnego.supportedMech', b.token.supportedMech.oid]);
  }
  if (b.kind !== 'kerberos' && b.kind !== 'unknown' && b.ntlmssp) ntlmFields(b.ntlmssp, f);
}

function ntlmFields(n: NtlmMessage, f: Fields): void {
  f.push(['ntlmssp.messagetype', h8(n.messageType)], ['ntlmssp.negotiateflags', h8(n.negotiateFlags)]);
  if (n.version) {
    f.push(['ntlmssp.version.major', String(n.version.productMajorVersion)], ['ntlmssp.version.minor', String(n.version.productMinorVersion)]);
    f.push(['ntlmssp.version.build_number', String(n.version.productBuild)], ['ntlmssp.version.ntlm_current_revision', String(n.version.ntlmRevision)]);
  }
  if (n.messageType === 2) {
    f.push(['ntlmssp.ntlmserverchallenge', colonize(n.serverChallenge)]);
    f.push(['ntlmssp.challenge.target_name', n.targetName]);
    const names: Record<string, string> = {
      MsvAvNbComputerName: 'nb_computer_name', MsvAvNbDomainName: 'nb_domain_name', MsvAvDnsComputerName: 'dns_computer_name',
      MsvAvDnsDomainName: 'dns_domain_name', MsvAvDnsTreeName: 'dns_tree_name',
    };
    for (const p of n.targetInfo ?? []) {
      const k = p.name ? names[p.name] : undefined;
      // tshark shows no value for an empty AV pair string
      if (k && typeof p.value === 'string' && p.value !== '') f.push([`ntlmssp.challenge.target_info.${k}`, p.value]);
    }
  } else if (n.messageType === 3) {
    f.push(['ntlmssp.auth.username', n.userName || 'NULL'], ['ntlmssp.auth.domain', n.domainName || 'NULL'], ['ntlmssp.auth.hostname', n.workstation || 'NULL']);
  }
}

function hexColon(b: Uint8Array): string {
  return hex(b, ':');
}

function colonize(hexString: string): string {
  return hexString.replace(/(..)(?!$)/g, '$1:');
}
