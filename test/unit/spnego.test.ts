import assert from 'node:assert/strict';
import { derApplication, derContext, derOctetString, derOid, derSequence } from '../../src/codec/der.js';
import { ntlmNegotiateMessage } from '../../src/codec/ntlmssp.js';
import {
  MechOid,
  NegState,
  SPNEGO_OID,
  decodeSecurityBlob,
  findNtlmssp,
  mechType,
  negTokenInit,
  negTokenResp,
  spnegoNtlmInit,
  spnegoNtlmResp,
  type NegTokenInit,
  type NegTokenResp,
  type SecurityBlob,
} from '../../src/codec/spnego.js';
import { isDecodeError } from '../../src/errors.js';
import { assertDecoderTotal, roundTrip } from '../helpers/codec.js';
import { oracleCaptures, smbPayloads } from '../support/fixture-messages.js';
import { tsharkFramesFromFile, type FrameFields } from '../support/tshark.js';

const hx = (b: Uint8Array) => Buffer.from(b).toString('hex');

const NTLM_NEG = ntlmNegotiateMessage();

const init2: NegTokenInit = {
  mechTypes: [MechOid.NEGOEX, MechOid['MS-KRB5'], MechOid.KRB5, MechOid['KRB5-U2U'], MechOid.NTLMSSP, '1.2.3.4.5'].map(mechType),
  reqFlags: { value: 0b1000110, names: ['mutualFlag', 'replayFlag', 'integFlag'] },
  negHints: { hintName: 'not_defined_in_RFC4178@please_ignore', hintAddress: '0a0b' },
  mechListMIC: '0102',
};

describe('spnego: NegTokenInit', () => {
  it('names known mechanisms and keeps unknown OIDs as dotted strings', () => {
    assert.deepEqual(init2.mechTypes.map((m) => m.name ?? m.oid), ['NEGOEX', 'MS-KRB5', 'KRB5', 'KRB5-U2U', 'NTLMSSP', '1.2.3.4.5']);
    assert.deepEqual(mechType(SPNEGO_OID), { oid: '1.3.6.1.5.5.2', name: 'SPNEGO' });
  });

  it('round-trips the NegTokenInit2 form (negHints [3], mechListMIC [4])', () => {
    const b = roundTrip(negTokenInit, init2);
    assert.equal(b[0], 0x60);
    assert.equal(hx(b.subarray(1, 11)), '819006062b0601050502'); // long-form length, then thisMech
  });

  it('round-trips the RFC 4178 form (mechListMIC [3]) and a bare [0] token decodes too', () => {
    const v: NegTokenInit = { mechTypes: [mechType(MechOid.NTLMSSP)], mechToken: hx(NTLM_NEG), mechListMIC: 'aabb' };
    const b = roundTrip(negTokenInit, v);
    // strip the GSS-API framing: 0x60 len, OID (8 bytes) → the [0] NegotiationToken
    const bare = b.subarray(2 + 8);
    assert.equal(bare[0], 0xa0);
    assert.deepEqual(negTokenInit.decode(bare), v);
    const blob = decodeSecurityBlob(bare);
    assert.equal(blob.kind, 'spnego-init');
    assert.equal(blob.kind === 'spnego-init' && blob.gssapi, false);
  });

  it('spnegoNtlmInit wraps an NTLMSSP NEGOTIATE with mechTypes [NTLMSSP]', () => {
    const b = spnegoNtlmInit(NTLM_NEG);
    const blob = decodeSecurityBlob(b);
    assert.equal(blob.kind, 'spnego-init');
    if (blob.kind !== 'spnego-init') return;
    assert.equal(blob.gssapi, true);
    assert.deepEqual(blob.token, { mechTypes: [{ oid: MechOid.NTLMSSP, name: 'NTLMSSP' }], mechToken: hx(NTLM_NEG) });
    assert.equal(blob.ntlmssp?.messageType, 1);
    assert.equal(hx(findNtlmssp(b)!), hx(NTLM_NEG));
  });

  it('a NegTokenInit without mechTypes is BAD_VALUE (spnego)', () => {
    const b = derApplication(0, [derOid(SPNEGO_OID), derContext(0, derSequence([derContext(2, derOctetString(NTLM_NEG))]))]);
    assert.throws(() => negTokenInit.decode(b), (e) => isDecodeError(e, 'BAD_VALUE') && e.protocol === 'spnego' && e.field === 'mechTypes');
  });

  it('out-of-order fields and trailing bytes are rejected', () => {
    const seq = derSequence([derContext(2, derOctetString(NTLM_NEG)), derContext(0, derSequence([derOid(MechOid.NTLMSSP)]))]);
    assert.throws(() => negTokenInit.decode(derContext(0, seq)), (e) => isDecodeError(e, 'BAD_VALUE'));
    const trailing = derApplication(0, [derOid(SPNEGO_OID), derContext(0, derSequence([derContext(0, derSequence([]))])), Uint8Array.of(5, 0)]);
    assert.throws(() => negTokenInit.decode(trailing), (e) => isDecodeError(e, 'BAD_LENGTH'));
  });
});

describe('spnego: NegTokenResp', () => {
  it('round-trips with negState by name', () => {
    for (const state of Object.keys(NegState) as (keyof typeof NegState)[]) {
      const v: NegTokenResp = { negState: state, supportedMech: mechType(MechOid.NTLMSSP), responseToken: hx(NTLM_NEG), mechListMIC: '01000000' };
      const b = roundTrip(negTokenResp, v);
      assert.equal(b[0], 0xa1);
    }
  });

  it('unknown negState survives as a number', () => {
    roundTrip(negTokenResp, { negState: 9 });
  });

  it('spnegoNtlmResp carries an NTLMSSP token found by findNtlmssp', () => {
    const b = spnegoNtlmResp(NTLM_NEG, Uint8Array.of(1, 2));
    assert.deepEqual(negTokenResp.decode(b), { responseToken: hx(NTLM_NEG), mechListMIC: '0102' });
    assert.equal(hx(findNtlmssp(b)!), hx(NTLM_NEG));
    const blob = decodeSecurityBlob(b);
    assert.equal(blob.kind === 'spnego-resp' && blob.ntlmssp?.messageType, 1);
  });

  it('a broken inner NTLMSSP token is reported without losing the SPNEGO part', () => {
    const bad = Uint8Array.from(NTLM_NEG);
    bad[8] = 9; // MessageType 9
    const blob = decodeSecurityBlob(spnegoNtlmResp(bad));
    assert.equal(blob.kind, 'spnego-resp');
    if (blob.kind !== 'spnego-resp') return;
    assert.equal(blob.ntlmssp, undefined);
    assert.deepEqual(blob.ntlmsspError, { code: 'UNSUPPORTED', protocol: 'ntlmssp', field: 'MessageType', offset: 8 });
  });
});

describe('spnego: decodeSecurityBlob / findNtlmssp', () => {
  it('raw NTLMSSP, Kerberos, empty and unknown blobs', () => {
    assert.deepEqual(decodeSecurityBlob(NTLM_NEG).kind, 'ntlmssp');
    assert.equal(hx(findNtlmssp(NTLM_NEG)!), hx(NTLM_NEG));
    const krb = derApplication(0, [derOid(MechOid['MS-KRB5']), Uint8Array.of(0x01, 0x00), derOctetString(Uint8Array.of(1))]);
    assert.deepEqual(decodeSecurityBlob(krb), { kind: 'kerberos', mech: { oid: MechOid['MS-KRB5'], name: 'MS-KRB5' }, tokId: 0x0100 });
    assert.equal(findNtlmssp(krb), undefined);
    assert.deepEqual(decodeSecurityBlob(new Uint8Array(0)), { kind: 'unknown', length: 0 });
    assert.deepEqual(decodeSecurityBlob(Uint8Array.of(1, 2, 3)), { kind: 'unknown', length: 3 });
    const other = derApplication(0, [derOid('1.2.3'), Uint8Array.of(0)]);
    assert.deepEqual(decodeSecurityBlob(other), { kind: 'unknown', length: other.length, mech: { oid: '1.2.3' } });
    assert.equal(findNtlmssp(Uint8Array.of(0x60, 0x05)), undefined);
    assert.equal(findNtlmssp(spnegoNtlmInit(Uint8Array.of(1, 2, 3))), undefined);
  });

  it('honours offset/end and reports offsets relative to the blob', () => {
    const b = spnegoNtlmInit(NTLM_NEG);
    const big = new Uint8Array(b.length + 9);
    big.set(b, 4);
    assert.deepEqual(decodeSecurityBlob(big, 4, 4 + b.length), decodeSecurityBlob(b));
    assert.equal(hx(findNtlmssp(big, 4, 4 + b.length)!), hx(NTLM_NEG));
    assert.throws(() => decodeSecurityBlob(big, 4, 4 + b.length - 1), (e) => isDecodeError(e, 'TRUNCATED') && e.offset === 0);
  });

  it('random and mutated blobs give a value or a DecodeError; findNtlmssp never throws', () => {
    const seeds = [
      spnegoNtlmInit(NTLM_NEG),
      negTokenInit.encode(init2),
      spnegoNtlmResp(NTLM_NEG, Uint8Array.of(1)),
      negTokenResp.encode({ negState: 'accept-completed' }),
      ...goldenBlobs().map((g) => g.blob),
    ];
    assertDecoderTotal((b) => decodeSecurityBlob(b), seeds);
    assertDecoderTotal((b) => findNtlmssp(b), seeds, 500);
  });
});

// ---------------------------------------------------------------------------------------------
// golden: security blobs from the project's own Samba captures, checked against tshark's JSON

/** The SMB1/SMB2 security blobs of NEGOTIATE and SESSION_SETUP in a capture's SMB messages. */
function* pcapSecurityBlobs(file: string): Generator<{ frame: number; smb: 1 | 2; blob: Uint8Array }> {
  for (const { frame, message } of smbPayloads(file)) {
    const smb = Buffer.from(message.buffer, message.byteOffset, message.length);
    if (smb[0] === 0xfe && smb.toString('latin1', 1, 4) === 'SMB' && smb.length >= 64) {
      const cmd = smb.readUInt16LE(12);
      const response = (smb.readUInt32LE(16) & 1) !== 0;
      const at = cmd === 0 && response ? 64 + 56 : cmd === 1 ? (response ? 64 + 4 : 64 + 12) : -1;
      if (at < 0 || (cmd === 0 && !response) || smb.length < at + 4) continue;
      const off = smb.readUInt16LE(at);
      const n = smb.readUInt16LE(at + 2);
      if (n > 0 && off + n <= smb.length) yield { frame, smb: 2, blob: smb.subarray(off, off + n) };
    } else if (smb[0] === 0xff && smb.toString('latin1', 1, 4) === 'SMB' && smb.length >= 35) {
      const cmd = smb[4]!;
      const response = (smb[9]! & 0x80) !== 0;
      const extSec = (smb.readUInt16LE(10) & 0x0800) !== 0;
      const wc = smb[32]!;
      const words = 33;
      const bcAt = words + wc * 2;
      if (!extSec || smb.length < bcAt + 2) continue;
      const bc = smb.readUInt16LE(bcAt);
      const bytes = smb.subarray(bcAt + 2, bcAt + 2 + bc);
      if (cmd === 0x72 && response && wc === 17) {
        if (bytes.length > 16) yield { frame, smb: 1, blob: bytes.subarray(16) }; // after ServerGUID
      } else if (cmd === 0x73) {
        const lenAt = response ? (wc === 4 ? words + 6 : -1) : wc === 12 ? words + 14 : -1;
        if (lenAt < 0) continue;
        const n = smb.readUInt16LE(lenAt);
        if (n > 0 && n <= bytes.length) yield { frame, smb: 1, blob: bytes.subarray(0, n) };
      }
    }
  }
}

interface Golden {
  where: string;
  blob: Uint8Array;
  fields: FrameFields;
}

let goldenCache: Golden[] | undefined;
function goldenBlobs(): Golden[] {
  if (goldenCache) return goldenCache;
  goldenCache = [];
  for (const { name, pcap, tsharkJson } of oracleCaptures()) {
    const frames = tsharkFramesFromFile(tsharkJson);
    for (const { frame, smb, blob } of pcapSecurityBlobs(pcap)) {
      const fields = frames.get(frame);
      if (fields) goldenCache.push({ where: `${name}#${frame}/smb${smb}`, blob, fields });
    }
  }
  return goldenCache;
}

const thex = (v: string | undefined) => (v ?? '').replace(/:/g, '');

function checkAgainstTshark(b: SecurityBlob, f: FrameFields, where: string): void {
  const one = (k: string) => f.get(k)?.[0];
  const has = (k: string) => f.has(k);
  if (b.kind === 'spnego-init') {
    assert.equal(b.gssapi ? SPNEGO_OID : undefined, one('gss-api.OID'), `${where}: gss-api.OID`);
    assert.deepEqual(b.token.mechTypes.map((m) => m.oid), f.get('spnego.MechType') ?? [], `${where}: MechType`);
    assert.equal(String(b.token.mechTypes.length), one('spnego.mechTypes'), `${where}: mechTypes count`);
    assert.equal(b.token.negHints?.hintName, one('spnego.hintName'), `${where}: hintName`);
    assert.equal(b.token.mechToken, has('spnego.mechToken') ? thex(one('spnego.mechToken')) : undefined, `${where}: mechToken`);
    assert.equal(b.token.mechListMIC, has('spnego.mechListMIC') ? thex(one('spnego.mechListMIC')) : undefined, `${where}: mechListMIC`);
  } else if (b.kind === 'spnego-resp') {
    const ns = b.token.negState;
    assert.equal(ns === undefined ? undefined : String(typeof ns === 'number' ? ns : NegState[ns]), one('spnego.negResult'), `${where}: negResult`);
    assert.equal(b.token.supportedMech?.oid, one('spnego.supportedMech'), `${where}: supportedMech`);
    assert.equal(b.token.responseToken, has('spnego.responseToken') ? thex(one('spnego.responseToken')) : undefined, `${where}: responseToken`);
    assert.equal(b.token.mechListMIC, has('spnego.mechListMIC') ? thex(one('spnego.mechListMIC')) : undefined, `${where}: mechListMIC`);
  }
  const ntlm = 'ntlmssp' in b ? b.ntlmssp : undefined;
  const type = one('ntlmssp.messagetype');
  assert.equal(ntlm?.messageType, type === undefined ? undefined : parseInt(type, 16), `${where}: ntlmssp.messagetype`);
  if (ntlm && ntlm.messageType === 2) {
    assert.equal(ntlm.serverChallenge, thex(one('ntlmssp.ntlmserverchallenge')), `${where}: challenge`);
  }
}

describe('spnego: golden blobs from fixtures/*.pcap (Samba 4.17) vs tshark JSON', function () {
  before(function () {
    if (goldenBlobs().length === 0) this.skip();
  });

  it('the walker finds the same security blobs tshark shows', () => {
    for (const { where, blob, fields } of goldenBlobs()) {
      const theirs = [...(fields.get('smb2.security_blob') ?? []), ...(fields.get('smb.security_blob') ?? [])].map(thex);
      assert.ok(theirs.includes(hx(blob)), `${where}: blob`);
    }
    // and it misses none of the non-empty blobs tshark saw
    for (const { name, tsharkJson } of oracleCaptures()) {
      for (const [frame, fields] of tsharkFramesFromFile(tsharkJson)) {
        const theirs = [...(fields.get('smb2.security_blob') ?? []), ...(fields.get('smb.security_blob') ?? [])].filter((v) => v !== '');
        if (theirs.length === 0) continue;
        const mine = goldenBlobs().filter((g) => g.where.startsWith(`${name}#${frame}/`));
        assert.equal(mine.length, theirs.length, `${name}#${frame}: blobs found`);
      }
    }
  });

  it('every blob decodes like tshark decodes it', () => {
    const kinds = new Map<string, number>();
    for (const { where, blob, fields } of goldenBlobs()) {
      const b = decodeSecurityBlob(blob);
      kinds.set(b.kind, (kinds.get(b.kind) ?? 0) + 1);
      assert.notEqual(b.kind, 'unknown', `${where}: kind`);
      checkAgainstTshark(b, fields, where);
      const tok = findNtlmssp(blob);
      assert.equal(tok !== undefined, fields.has('ntlmssp.messagetype'), `${where}: findNtlmssp`);
    }
    assert.ok((kinds.get('spnego-init') ?? 0) > 0 && (kinds.get('spnego-resp') ?? 0) > 0, JSON.stringify([...kinds]));
  });

  it("Samba's negotiate response is a NegTokenInit2 with the RFC 4178 hint", () => {
    const inits = goldenBlobs()
      .map((g) => decodeSecurityBlob(g.blob))
      .filter((b) => b.kind === 'spnego-init' && b.token.negHints !== undefined);
    assert.ok(inits.length > 0);
    for (const b of inits) {
      if (b.kind !== 'spnego-init') continue;
      assert.equal(b.token.negHints?.hintName, 'not_defined_in_RFC4178@please_ignore');
      assert.ok(b.token.mechTypes.some((m) => m.name === 'NTLMSSP'));
    }
  });

  it('real blobs re-encode to identical bytes', () => {
    for (const { where, blob } of goldenBlobs()) {
      const b = decodeSecurityBlob(blob);
      if (b.kind === 'spnego-init' && b.gssapi) assert.equal(hx(negTokenInit.encode(b.token)), hx(blob), where);
      if (b.kind === 'spnego-resp' && !b.gssapi) assert.equal(hx(negTokenResp.encode(b.token)), hx(blob), where);
    }
  });
});
