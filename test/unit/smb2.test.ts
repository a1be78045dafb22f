import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { assertDecoderTotal, roundTrip } from '../helpers/codec.js';
import { DecodeError, isDecodeError } from '../../src/errors.js';
import {
  Cipher,
  CompressionAlgorithm,
  NegotiateContextType,
  POSIX_EXTENSIONS_GUID_HEX,
  SigningAlgorithm,
  Smb2Capabilities,
  Smb2Command,
  Smb2Dialect,
  Smb2Flags,
  buildNegotiateRequest,
  buildSessionSetupRequest,
  capabilityNames,
  decodeNegotiateContexts,
  decodeSmb2Message,
  decodeSmb2Messages,
  defaultNegotiateContexts,
  dialectName,
  encodeNegotiateContexts,
  errorResponse,
  flagNames,
  frameKind,
  guidAsciiText,
  guidFromString,
  guidToString,
  headerFlagNames,
  makeHeader,
  makeNegotiateRequest,
  negotiateRequest,
  negotiateResponse,
  sessionSetupRequest,
  sessionSetupResponse,
  smb2CompressionTransformHeader,
  smb2Header,
  smb2MessageToJson,
  smb2TransformHeader,
  splitCompound,
  type NegotiateContext,
  type NegotiateResponseMessage,
  type Smb2Header,
} from '../../src/codec/smb2/index.js';

const ALL_DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];

function expectCode(fn: () => unknown, code: DecodeError['code'], field?: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isDecodeError(e, code), `expected DecodeError ${code}, got ${(e as Error).name} ${(e as DecodeError).code ?? ''}: ${(e as Error).message}`);
    assert.equal((e as DecodeError).protocol, 'smb2');
    if (field !== undefined) assert.equal((e as DecodeError).field, field);
    return;
  }
  assert.fail(`expected DecodeError ${code}`);
}

const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = v & 0xff;
  b[at + 1] = v >> 8;
};
const put32 = (b: Uint8Array, at: number, v: number): void => {
  for (let i = 0; i < 4; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
};

function probeRequest(dialects = ALL_DIALECTS): Uint8Array {
  return buildNegotiateRequest({
    dialects,
    securityMode: 0x01,
    capabilities: 0x7f,
    clientGuid: randomBytes(16),
    salt: randomBytes(32),
    netName: 'fileserver.example',
  });
}

function response311(contexts: NegotiateContext[], securityBuffer = Uint8Array.from(randomBytes(74))): NegotiateResponseMessage {
  return {
    header: makeHeader({ command: Smb2Command.NEGOTIATE, flags: Smb2Flags.SERVER_TO_REDIR, credits: 1 }),
    body: {
      securityMode: 0x03,
      dialectRevision: Smb2Dialect.SMB3_1_1,
      serverGuid: guidToString(Buffer.from('smbp-smb3\0\0\0\0\0\0\0', 'latin1')),
      capabilities: 0x0f,
      maxTransactSize: 8388608,
      maxReadSize: 8388608,
      maxWriteSize: 8388608,
      systemTime: 134087138535424380n,
      serverStartTime: 0n,
      securityBuffer,
      negotiateContexts: contexts,
    },
  };
}

describe('smb2: GUIDs and names', () => {
  it('GUIDs use the mixed-endian form in both directions', () => {
    const bytes = Uint8Array.from([0x4b, 0x29, 0xbe, 0x9c, 0x63, 0xdd, 0xb6, 0x47, 0x8d, 0x1f, 0x3d, 0xce, 0x81, 0x38, 0x3e, 0x69]);
    assert.equal(guidToString(bytes), '9cbe294b-dd63-47b6-8d1f-3dce81383e69');
    assert.deepEqual(guidFromString('{9CBE294B-DD63-47B6-8D1F-3DCE81383E69}'), bytes);
    assert.throws(() => guidFromString('not-a-guid'), TypeError);
  });

  it('an ASCII ServerGuid (Samba: the NetBIOS name) is recognised, a real GUID is not', () => {
    assert.equal(guidAsciiText(Buffer.from('newstorage\0\0\0\0\0\0', 'latin1')), 'newstorage');
    assert.equal(guidAsciiText(guidFromString('9cbe294b-dd63-47b6-8d1f-3dce81383e69')), null);
    assert.equal(guidAsciiText(new Uint8Array(16)), null);
  });

  it('names dialects, flags and capabilities, keeping unknown bits', () => {
    assert.equal(dialectName(0x0311), '3.1.1');
    assert.equal(dialectName(0x02ff), '2.???');
    assert.equal(dialectName(0x0210), '2.1');
    assert.equal(dialectName(0x0400), '0x0400');
    assert.deepEqual(capabilityNames(0x0f), ['DFS', 'LEASING', 'LARGE_MTU', 'MULTI_CHANNEL']);
    assert.deepEqual(capabilityNames(0x101), ['DFS', '0x00000100']);
    assert.deepEqual(headerFlagNames(0x10000019), ['SERVER_TO_REDIR', 'SIGNED', 'DFS_OPERATIONS', 'PRIORITY_1']);
    assert.deepEqual(flagNames(Smb2Capabilities, 0), []);
  });
});

describe('smb2: header', () => {
  it('round-trips the sync form and puts every field where MS-SMB2 says', () => {
    const h: Smb2Header = {
      creditCharge: 1,
      status: 0xc0000016,
      command: Smb2Command.SESSION_SETUP,
      credits: 31,
      flags: Smb2Flags.SERVER_TO_REDIR | Smb2Flags.SIGNED,
      nextCommand: 0,
      messageId: 0x1122334455667788n,
      reserved: 0xfeff,
      treeId: 7,
      sessionId: 0xfedcba9876543210n,
      signature: Uint8Array.from(randomBytes(16)),
    };
    const b = roundTrip(smb2Header, h);
    assert.equal(b.length, 64);
    assert.deepEqual([...b.subarray(0, 4)], [0xfe, 0x53, 0x4d, 0x42]);
    assert.equal(u16(b, 4), 64);
    assert.equal(u32(b, 8), 0xc0000016);
    assert.equal(u16(b, 12), 1);
    assert.equal(u16(b, 14), 31);
    assert.equal(u32(b, 36), 7);
  });

  it('async form: AsyncId replaces Reserved + TreeId', () => {
    const h = makeHeader({ command: Smb2Command.CHANGE_NOTIFY, flags: Smb2Flags.SERVER_TO_REDIR | Smb2Flags.ASYNC_COMMAND, asyncId: 0x0102030405060708n, status: 0x103 });
    const b = roundTrip(smb2Header, h);
    assert.equal(u32(b, 32), 0x05060708);
    const d = smb2Header.decode(b);
    assert.equal(d.asyncId, 0x0102030405060708n);
    assert.equal(d.treeId, undefined);
  });

  it('rejects a wrong ProtocolId, StructureSize and short input by code', () => {
    const b = smb2Header.encode(makeHeader({ command: 0 })) as Uint8Array;
    expectCode(() => smb2Header.decode(b.subarray(0, 63)), 'TRUNCATED');
    const bad = Uint8Array.from(b);
    bad[0] = 0xff;
    expectCode(() => smb2Header.decode(bad), 'BAD_VALUE', 'ProtocolId');
    const size = Uint8Array.from(b);
    size[4] = 65;
    expectCode(() => smb2Header.decode(size), 'BAD_VALUE', 'StructureSize');
  });

  it('classifies \\xFE, \\xFD, \\xFC and \\xFF messages', () => {
    assert.equal(frameKind(Uint8Array.from([0xfe, 0x53, 0x4d, 0x42])), 'smb2');
    assert.equal(frameKind(Uint8Array.from([0xfd, 0x53, 0x4d, 0x42])), 'transform');
    assert.equal(frameKind(Uint8Array.from([0xfc, 0x53, 0x4d, 0x42])), 'compression');
    assert.equal(frameKind(Uint8Array.from([0xff, 0x53, 0x4d, 0x42])), 'smb1');
    assert.equal(frameKind(Uint8Array.from([0xfe, 0x53])), 'unknown');
  });

  it('transform and compression transform headers round-trip and dispatch', () => {
    const t = {
      signature: Uint8Array.from(randomBytes(16)),
      nonce: Uint8Array.from(randomBytes(16)),
      originalMessageSize: 104,
      reserved: 0,
      flags: 1,
      sessionId: 0x281cac000069n,
      encryptedData: Uint8Array.from(randomBytes(104)),
    };
    const tb = roundTrip(smb2TransformHeader, t);
    const m = decodeSmb2Message(tb);
    assert.equal(m.kind, 'encrypted');
    const c = { originalCompressedSegmentSize: 4096, compressionAlgorithm: CompressionAlgorithm.LZ77, flags: 0, offsetOrLength: 0, payload: Uint8Array.from(randomBytes(20)) };
    const cb = roundTrip(smb2CompressionTransformHeader, c);
    assert.equal(decodeSmb2Message(cb).kind, 'compressed');
    expectCode(() => smb2TransformHeader.decode(tb.subarray(0, 51)), 'TRUNCATED');
    expectCode(() => smb2CompressionTransformHeader.decode(cb.subarray(0, 15)), 'TRUNCATED');
  });
});

describe('smb2: compound chains', () => {
  const echo = (next: number, extra = 0): Uint8Array => {
    const b = new Uint8Array(64 + 4 + extra);
    b.set(smb2Header.encode(makeHeader({ command: Smb2Command.ECHO, nextCommand: next })), 0);
    put16(b, 64, 4);
    return b;
  };
  const chain = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

  it('splits on NextCommand, last message runs to the end', () => {
    const b = chain(echo(72, 4), echo(72, 4), echo(0));
    assert.deepEqual(splitCompound(b), [
      { offset: 0, end: 72 },
      { offset: 72, end: 144 },
      { offset: 144, end: 212 },
    ]);
    const msgs = decodeSmb2Messages(b);
    assert.deepEqual(msgs.map((m) => m.kind), ['other', 'other', 'other']);
    // a single message: one span
    assert.deepEqual(splitCompound(echo(0)), [{ offset: 0, end: 68 }]);
  });

  it('rejects misaligned, short, out-of-range NextCommand and bounds the count', () => {
    expectCode(() => splitCompound(chain(echo(68), echo(0))), 'BAD_OFFSET', 'NextCommand');
    expectCode(() => splitCompound(chain(echo(8), echo(0))), 'BAD_OFFSET', 'NextCommand');
    expectCode(() => splitCompound(chain(echo(4096, 4))), 'BAD_OFFSET', 'NextCommand');
    expectCode(() => splitCompound(chain(echo(72, 4), echo(72, 4), echo(0)), 0, undefined, 2), 'LIMIT');
    // the next header must be there
    expectCode(() => splitCompound(chain(echo(72, 4), new Uint8Array(8))), 'TRUNCATED');
    // decodeSmb2Message alone honours NextCommand as the message end
    const one = decodeSmb2Message(chain(echo(72, 4), echo(0)));
    assert.equal(one.kind === 'other' && one.body.length, 8);
  });
});

describe('smb2: NEGOTIATE request', () => {
  it('the probe request: 3.1.1 offered with every context, each 8-byte aligned, no trailing padding', () => {
    const salt = randomBytes(32);
    const guid = randomBytes(16);
    const b = buildNegotiateRequest({ dialects: ALL_DIALECTS, securityMode: 1, capabilities: 0x7f, clientGuid: guid, salt, netName: '192.0.2.12' });
    assert.equal(u16(b, 64), 36);
    assert.equal(u16(b, 66), ALL_DIALECTS.length);
    assert.deepEqual(Buffer.from(b.subarray(76, 92)), guid);
    const dialectsEnd = 64 + 36 + 2 * ALL_DIALECTS.length; // 110
    const ctxOffset = u32(b, 92);
    assert.equal(ctxOffset, 112);
    assert.ok(ctxOffset >= dialectsEnd && ctxOffset - dialectsEnd < 8);
    assert.equal(u16(b, 96), 8);
    // walk the contexts by hand
    const types: number[] = [];
    let at = ctxOffset;
    for (let i = 0; i < 8; i++) {
      assert.equal(at % 8, 0, `context ${i} at ${at}`);
      types.push(u16(b, at));
      const len = u16(b, at + 2);
      at += 8 + len;
      if (i < 7) {
        for (let p = at; p % 8 !== 0; p++) assert.equal(b[p], 0, 'padding is zero');
        at += (8 - (at % 8)) % 8;
      }
    }
    assert.equal(at, b.length, 'no padding after the last context');
    assert.deepEqual(types, [1, 2, 3, 5, 6, 7, 8, 0x100]);
    const d = negotiateRequest.decode(b);
    assert.deepEqual(d.body.dialects, ALL_DIALECTS);
    assert.equal(d.body.clientStartTime, undefined);
    const pre = d.body.negotiateContexts[0]!;
    assert.ok(pre.kind === 'preauth-integrity');
    assert.deepEqual(Buffer.from(pre.salt), salt);
    assert.deepEqual(pre.hashAlgorithms, [1]);
    const byKind = Object.fromEntries(d.body.negotiateContexts.map((c) => [c.kind, c]));
    assert.deepEqual((byKind['encryption'] as { ciphers: number[] }).ciphers.slice().sort(), [1, 2, 3, 4]);
    assert.deepEqual((byKind['compression'] as { compressionAlgorithms: number[] }).compressionAlgorithms, [1, 2, 3, 4, 5]);
    assert.equal((byKind['netname'] as { netName: string }).netName, '192.0.2.12');
    assert.deepEqual((byKind['signing'] as { signingAlgorithms: number[] }).signingAlgorithms.slice().sort(), [0, 1, 2]);
    assert.equal(Buffer.from((byKind['posix'] as { data: Uint8Array }).data).toString('hex'), POSIX_EXTENSIONS_GUID_HEX);
  });

  it('salt and ClientGuid come from the caller: two builds differ; 3.1.1 without a salt is refused', () => {
    assert.notDeepEqual(probeRequest(), probeRequest());
    assert.throws(() => buildNegotiateRequest({ dialects: [0x0311], securityMode: 1, capabilities: 0, clientGuid: randomBytes(16) }), TypeError);
    assert.throws(() => makeNegotiateRequest({ dialects: [0x0202], securityMode: 1, capabilities: 0, clientGuid: randomBytes(16), contexts: [{ kind: 'transport', flags: 0 }] }), TypeError);
  });

  it('without 0x0311 the 8 bytes are ClientStartTime and no contexts are sent', () => {
    const m = makeNegotiateRequest({ dialects: [0x0202, 0x0210], securityMode: 2, capabilities: 1, clientGuid: '11111111-2222-3333-4444-555555555555', clientStartTime: 132000000000000000n });
    const b = roundTrip(negotiateRequest, m);
    assert.equal(b.length, 64 + 36 + 4);
    assert.equal(negotiateRequest.decode(b).body.clientStartTime, 132000000000000000n);
  });

  it('round-trips every context kind, unknown ones raw, and exact lengths', () => {
    const contexts: NegotiateContext[] = [
      ...defaultNegotiateContexts({ salt: randomBytes(32), netName: 'srv' }),
      { kind: 'unknown', contextType: 0x0042, data: Uint8Array.from([1, 2, 3]) },
      { kind: 'posix', data: new Uint8Array(8) },
    ];
    const m = makeNegotiateRequest({ dialects: [0x0311], securityMode: 1, capabilities: 0, clientGuid: randomBytes(16), contexts });
    roundTrip(negotiateRequest, m);
    const list = encodeNegotiateContexts(contexts);
    const back = decodeNegotiateContexts(list, 0, 0, contexts.length, list.length);
    assert.deepEqual(back, contexts);
  });

  it('rejects bad context offsets, counts and lengths by code', () => {
    const b = probeRequest();
    const misaligned = Uint8Array.from(b);
    put32(misaligned, 92, 113);
    expectCode(() => negotiateRequest.decode(misaligned), 'BAD_OFFSET', 'NegotiateContextOffset');
    const inside = Uint8Array.from(b);
    put32(inside, 92, 64); // points back into the header
    expectCode(() => negotiateRequest.decode(inside), 'BAD_OFFSET', 'NegotiateContextOffset');
    const past = Uint8Array.from(b);
    put32(past, 92, 0x10000);
    expectCode(() => negotiateRequest.decode(past), 'BAD_OFFSET', 'NegotiateContextOffset');
    const count = Uint8Array.from(b);
    put16(count, 96, 0xffff);
    expectCode(() => negotiateRequest.decode(count), 'BAD_LENGTH', 'NegotiateContextCount');
    const dataLength = Uint8Array.from(b);
    put16(dataLength, 112 + 2, 0x7fff);
    expectCode(() => negotiateRequest.decode(dataLength), 'BAD_LENGTH', 'DataLength');
    const salt = Uint8Array.from(b);
    put16(salt, 112 + 8 + 2, 200); // SaltLength beyond DataLength
    expectCode(() => negotiateRequest.decode(salt), 'BAD_LENGTH', 'SaltLength');
    const dialects = Uint8Array.from(b);
    put16(dialects, 66, 0x4000);
    expectCode(() => negotiateRequest.decode(dialects), 'BAD_LENGTH', 'DialectCount');
    const structure = Uint8Array.from(b);
    put16(structure, 64, 37);
    expectCode(() => negotiateRequest.decode(structure), 'BAD_VALUE', 'StructureSize');
    expectCode(() => negotiateResponse.decode(b), 'BAD_VALUE', 'Flags');
  });
});

describe('smb2: NEGOTIATE response', () => {
  it('3.1.1 with contexts: security buffer at 128, contexts aligned after it, round trip', () => {
    const m = response311([
      { kind: 'preauth-integrity', hashAlgorithms: [1], salt: Uint8Array.from(randomBytes(32)) },
      { kind: 'encryption', ciphers: [Cipher.AES_128_GCM] },
      { kind: 'signing', signingAlgorithms: [SigningAlgorithm.AES_GMAC] },
    ]);
    const b = roundTrip(negotiateResponse, m);
    assert.equal(u16(b, 64), 65);
    assert.equal(u16(b, 64 + 56), 128);
    assert.equal(u16(b, 64 + 58), 74);
    assert.equal(u32(b, 64 + 60), 208); // 128 + 74 = 202 → 208
    assert.equal(u16(b, 64 + 6), 3);
    const j = smb2MessageToJson(decodeSmb2Message(b));
    assert.equal(j.kind, 'negotiate-response');
    if (j.kind !== 'negotiate-response') return;
    assert.equal(j.body.dialectName, '3.1.1');
    assert.equal(j.body.signingRequired, true);
    assert.equal(j.body.serverGuidText, 'smbp-smb3');
    assert.equal(j.body.serverGuidHex, Buffer.from('smbp-smb3\0\0\0\0\0\0\0', 'latin1').toString('hex'));
    assert.equal(j.body.serverStartTime, null);
    assert.match(j.body.systemTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.deepEqual(j.body.negotiateContexts.map((c) => c.contextTypeName), ['PREAUTH_INTEGRITY_CAPABILITIES', 'ENCRYPTION_CAPABILITIES', 'SIGNING_CAPABILITIES']);
    assert.doesNotThrow(() => JSON.stringify(j));
  });

  it('other dialects: contexts not decoded, Reserved fields kept; 0x02FF decodes as a normal response', () => {
    for (const dialect of [0x0202, 0x0210, 0x0300, 0x02ff]) {
      const m = response311([]);
      m.body.dialectRevision = dialect;
      m.body.reserved = 0;
      m.body.reserved2 = 0x204d4c20; // " LM " as Windows once left there
      const b = roundTrip(negotiateResponse, m);
      const d = decodeSmb2Message(b);
      assert.equal(d.kind, 'negotiate-response');
      if (d.kind === 'negotiate-response') assert.deepEqual(d.body.negotiateContexts, []);
    }
    // a dialect other than 3.1.1 never reads "contexts", whatever the fields hold
    const m = response311([]);
    m.body.dialectRevision = 0x0300;
    m.body.reserved = 0xffff;
    m.body.reserved2 = 0xffffffff;
    assert.equal(negotiateResponse.decode(negotiateResponse.encode(m)).body.negotiateContexts.length, 0);
  });

  it('rejects bad security buffer and context fields by code', () => {
    const b = negotiateResponse.encode(response311([{ kind: 'encryption', ciphers: [2] }])) as Uint8Array;
    const off = Uint8Array.from(b);
    put16(off, 64 + 56, 64); // into the header
    expectCode(() => negotiateResponse.decode(off), 'BAD_OFFSET', 'SecurityBufferOffset');
    const len = Uint8Array.from(b);
    put16(len, 64 + 58, 0xfff0);
    expectCode(() => negotiateResponse.decode(len), 'BAD_LENGTH', 'SecurityBufferOffset');
    const count = Uint8Array.from(b);
    put16(count, 64 + 6, 40);
    expectCode(() => negotiateResponse.decode(count), 'BAD_LENGTH', 'NegotiateContextCount');
    expectCode(() => negotiateResponse.decode(b.subarray(0, 100)), 'TRUNCATED');
  });
});

describe('smb2: SESSION_SETUP and ERROR', () => {
  it('request round trip; builder puts the buffer at 88', () => {
    const token = Uint8Array.from(randomBytes(74));
    const b = buildSessionSetupRequest({ securityBuffer: token, header: { messageId: 1n, credits: 31 } });
    assert.equal(u16(b, 64), 25);
    assert.equal(u16(b, 64 + 12), 88);
    assert.equal(u16(b, 64 + 14), 74);
    const d = sessionSetupRequest.decode(b);
    roundTrip(sessionSetupRequest, d);
    assert.deepEqual(d.body.securityBuffer, token);
    assert.equal(d.header.messageId, 1n);
  });

  it('STATUS_MORE_PROCESSING_REQUIRED keeps the session-setup body; other failures are ERROR responses', () => {
    const more = {
      header: makeHeader({ command: Smb2Command.SESSION_SETUP, flags: 1, status: 0xc0000016, sessionId: 0x75ac1932n }),
      body: { sessionFlags: 0, securityBuffer: Uint8Array.from(randomBytes(177)) },
    };
    const mb = roundTrip(sessionSetupResponse, more);
    assert.equal(decodeSmb2Message(mb).kind, 'session-setup-response');
    const guest = { ...more, header: makeHeader({ command: 1, flags: 1 }), body: { sessionFlags: 1, securityBuffer: new Uint8Array(0) } };
    const gb = roundTrip(sessionSetupResponse, guest);
    const gj = smb2MessageToJson(decodeSmb2Message(gb));
    assert.ok(gj.kind === 'session-setup-response' && gj.body.isGuest && !gj.body.isNull);

    const denied = { header: makeHeader({ command: Smb2Command.SESSION_SETUP, flags: 1, status: 0xc000006d }), body: { errorData: new Uint8Array(0), errorContexts: [] } };
    const eb = roundTrip(errorResponse, denied);
    assert.equal(eb.length, 64 + 9, 'an empty ErrorData is still one byte');
    const d = decodeSmb2Message(eb);
    assert.equal(d.kind, 'error-response');
    const j = smb2MessageToJson(d);
    assert.equal(j.kind === 'error-response' && j.header.statusName, 'STATUS_LOGON_FAILURE');
    // a failed NEGOTIATE is an ERROR response too
    const neg = errorResponse.encode({ header: makeHeader({ command: 0, flags: 1, status: 0xc00000bb }), body: { errorData: new Uint8Array(0), errorContexts: [] } });
    assert.equal(decodeSmb2Message(neg).kind, 'error-response');
    // without the pad byte (ByteCount 0) it still decodes
    assert.equal(decodeSmb2Message(eb.subarray(0, 72)).kind, 'error-response');
  });

  it('ERROR with data and with 3.1.1 error contexts round-trips; lengths are checked', () => {
    const tooSmall = { header: makeHeader({ command: Smb2Command.IOCTL, flags: 1, status: 0xc0000023 }), body: { errorData: Uint8Array.from([0x10, 0, 0, 0]), errorContexts: [] } };
    roundTrip(errorResponse, tooSmall);
    const ctx = {
      header: makeHeader({ command: Smb2Command.CREATE, flags: 1, status: 0x8000002d }),
      body: { errorData: new Uint8Array(0), errorContexts: [{ errorId: 0, errorData: Uint8Array.from(randomBytes(13)) }, { errorId: 0x72645253, errorData: Uint8Array.from(randomBytes(5)) }] },
    };
    const b = roundTrip(errorResponse, ctx);
    assert.equal(b[66], 2);
    assert.equal(u32(b, 68), 8 + 13 + 3 + 8 + 5);
    const bad = Uint8Array.from(b);
    put32(bad, 68, 1000);
    expectCode(() => errorResponse.decode(bad), 'BAD_LENGTH', 'ByteCount');
    const badCtx = Uint8Array.from(b);
    put32(badCtx, 72, 1000);
    expectCode(() => errorResponse.decode(badCtx), 'BAD_LENGTH', 'ErrorDataLength');
    const many = Uint8Array.from(b);
    many[66] = 200;
    expectCode(() => errorResponse.decode(many), 'BAD_LENGTH', 'ErrorContextCount');
  });

  it('dispatch: SMB1 is UNSUPPORTED, junk is BAD_VALUE, commands not decoded come back raw', () => {
    expectCode(() => decodeSmb2Message(Uint8Array.from([0xff, 0x53, 0x4d, 0x42, 0x72])), 'UNSUPPORTED', 'ProtocolId');
    expectCode(() => decodeSmb2Message(Uint8Array.from([1, 2, 3, 4, 5])), 'BAD_VALUE', 'ProtocolId');
    expectCode(() => decodeSmb2Message(new Uint8Array(2)), 'TRUNCATED');
    const tree = Buffer.concat([smb2Header.encode(makeHeader({ command: Smb2Command.TREE_CONNECT, flags: 1 })), Buffer.from([16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
    const d = decodeSmb2Message(tree);
    assert.ok(d.kind === 'other' && d.body.length === 16);
  });

  it('decoding honours offset and end', () => {
    const b = probeRequest();
    const big = new Uint8Array(b.length + 20);
    big.set(b, 7);
    const d = decodeSmb2Message(big, 7, 7 + b.length);
    assert.equal(d.kind, 'negotiate-request');
    expectCode(() => decodeSmb2Message(big, 7, 7 + 100), 'BAD_LENGTH', 'DialectCount');
    expectCode(() => decodeSmb2Message(big, 7, 7 + 90), 'TRUNCATED');
  });
});

describe('smb2: totality', () => {
  const seeds = (): Uint8Array[] => [
    probeRequest(),
    probeRequest([0x0202, 0x0210]),
    negotiateResponse.encode(response311(defaultNegotiateContexts({ salt: randomBytes(32), netName: 'x' }))) as Uint8Array,
    buildSessionSetupRequest({ securityBuffer: randomBytes(40) }),
    sessionSetupResponse.encode({ header: makeHeader({ command: 1, flags: 1, status: 0xc0000016 }), body: { sessionFlags: 0, securityBuffer: Uint8Array.from(randomBytes(30)) } }) as Uint8Array,
    errorResponse.encode({ header: makeHeader({ command: 5, flags: 1, status: 0x8000002d }), body: { errorData: new Uint8Array(0), errorContexts: [{ errorId: 0, errorData: Uint8Array.from([1, 2, 3]) }, { errorId: 1, errorData: new Uint8Array(9) }] } }) as Uint8Array,
  ];

  it('random and mutated messages give a value or a DecodeError (every decoder)', () => {
    const s = seeds();
    for (const decode of [
      (b: Uint8Array) => decodeSmb2Messages(b),
      (b: Uint8Array) => negotiateRequest.decode(b),
      (b: Uint8Array) => negotiateResponse.decode(b),
      (b: Uint8Array) => sessionSetupRequest.decode(b),
      (b: Uint8Array) => sessionSetupResponse.decode(b),
      (b: Uint8Array) => errorResponse.decode(b),
      (b: Uint8Array) => decodeNegotiateContexts(b, 0, 0, 8, b.length),
    ]) {
      assertDecoderTotal(decode, s, 1000);
    }
  });

  it('whatever decodes is JSON-safe and re-encodes to a message that decodes the same', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds()), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (seed, edits) => {
        const b = Uint8Array.from(seed);
        for (const [at, v] of edits) b[at % b.length] = v;
        let m;
        try {
          m = decodeSmb2Message(b);
        } catch (e) {
          if (e instanceof DecodeError) return;
          throw e;
        }
        JSON.stringify(smb2MessageToJson(m));
        const { kind, ...packet } = m as { kind: string; header: Smb2Header; body: never };
        if (kind === 'negotiate-response') assert.deepEqual(negotiateResponse.decode(negotiateResponse.encode(packet)), packet);
        if (kind === 'negotiate-request') assert.deepEqual(negotiateRequest.decode(negotiateRequest.encode(packet)), packet);
        if (kind === 'session-setup-request') assert.deepEqual(sessionSetupRequest.decode(sessionSetupRequest.encode(packet)), packet);
        if (kind === 'session-setup-response') assert.deepEqual(sessionSetupResponse.decode(sessionSetupResponse.encode(packet)), packet);
        if (kind === 'error-response') assert.deepEqual(errorResponse.decode(errorResponse.encode(packet)), packet);
      }),
      { numRuns: 1500 },
    );
  });

  it('context count claims are bounded by the bytes present', () => {
    const list = encodeNegotiateContexts([{ kind: 'transport', flags: 1 }]);
    expectCode(() => decodeNegotiateContexts(list, 0, 0, 0xffff, list.length), 'BAD_LENGTH', 'NegotiateContextCount');
    assert.equal(NegotiateContextType.TRANSPORT_CAPABILITIES, u16(list, 0));
  });
});
