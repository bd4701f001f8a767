/**
 * RFC 9529 §3 (https://www.rfc-editor.org/rfc/rfc9529#section-3): METHOD 3 (static DH both ways),
 * raw public keys as CCS identified by kid, with cipher suite negotiation: the Initiator (suites 6
 * then 2) first selects 6, the Responder (suite 2 only) answers error code 2 with SUITES_R = 2, and
 * the second message_1 selects 2 (P-256). Every printed value of the successful session is compared
 * byte for byte, for the Initiator and the Responder separately.
 *
 * One discrepancy in the RFC: the first message_1 (§3.1) selects suite 6, whose ECDH curve is
 * X25519 (RFC 9528 §10.2), but prints as G_X the P-256 x-coordinate of X. Our Initiator derives
 * an X25519 G_X there; the test shows that the printed G_X is the P-256 one and that everything
 * else in that message_1, and the Responder's error answer to the printed bytes, match exactly.
 */
import { expect } from 'chai';
import { encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { privateKeyFromRaw, publicKeyFromRaw, rawPublicKey } from '../../../src/codec/cose/key.ts';
import { concatBytes, toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import {
  buildCcs,
  ccsCredential,
  context2,
  context3,
  EdhocError,
  InitiatorStart,
  kdfInfo,
  localCredential,
  oscoreFromEdhoc,
  ResponderStart,
  type EdhocCredential,
} from '../../../src/protocol/edhoc/index.ts';
import { RFC9529_S3_TRACE2 as T } from './trace2.data.ts';
import { entry, INITIATOR_ONLY, replayRandom, RESPONDER_ONLY, STATIC_DH_STEP_CAPTIONS, STEP_CAPTIONS, TraceRecorder } from './trace-helpers.ts';

const v = (key: string): Uint8Array => entry(T, key);
const hex = toHex;

function credentials() {
  const credI = localCredential(ccsCredential(v('CRED_I (CBOR Data Item)')), privateKeyFromRaw('P-256', v('SK_I (Raw Value)')));
  const credR = localCredential(ccsCredential(v('CRED_R (CBOR Data Item)')), privateKeyFromRaw('P-256', v('SK_R (Raw Value)')));
  return { credI, credR };
}

function caught(f: () => unknown): EdhocError {
  try {
    f();
  } catch (e) {
    if (e instanceof EdhocError) return e;
    throw e;
  }
  throw new Error('expected an EdhocError');
}

function run() {
  const { credI, credR } = credentials();
  const iRec = new TraceRecorder();
  const rRec = new TraceRecorder();
  const iRandom = replayRandom(v('first X (Raw Value)'), v('X (Raw Value)'));
  const rRandom = replayRandom(v('Y (Raw Value)'));
  const responder = new ResponderStart({ suites: [2], random: rRandom, trace: rRec.hook });

  // §3.1 first message_1, selecting suite 6; §3.2 the Responder's error code 2.
  const first = new InitiatorStart({ method: 3, suites: [6, 2], connectionId: v('first C_I (Raw Value)'), random: iRandom });
  const firstWait = first.prepareMessage1();
  const errorToPrinted = caught(() => responder.processMessage1(v('first message_1 (CBOR Sequence)')));
  const errorToOurs = caught(() => responder.processMessage1(firstWait.message1));
  const peerError = caught(() => firstWait.parseMessage2(errorToPrinted.replyMessage!));

  // §3.3 second message_1: SUITES_I = [6, 2], C_I = 0x37.
  const start = firstWait.retryWithSuitesR(peerError, { connectionId: v('C_I (Raw Value)'), trace: iRec.hook });
  const waitM2 = start.prepareMessage1();
  const pm1 = responder.processMessage1(waitM2.message1);
  const waitM3 = pm1.prepareMessage2({ credential: credR, connectionId: v('C_R (raw value)') });
  const pm2 = waitM2.parseMessage2(waitM3.message2);
  // The application looks the kid up among the credentials it knows (public parts only).
  const known = new Map<string, EdhocCredential>([
    [hex(credR.idCred.kid!), { cred: credR.cred, idCred: credR.idCred, publicKey: credR.publicKey }],
    [hex(credI.idCred.kid!), { cred: credI.cred, idCred: credI.idCred, publicKey: credI.publicKey }],
  ]);
  const processed = pm2.verifyMessage2(known.get(hex(pm2.idCredR.kid!))!);
  const iDone = processed.prepareMessage3(credI);
  const pm3 = waitM3.parseMessage3(iDone.message3);
  const rDone = pm3.verifyMessage3(known.get(hex(pm3.idCredI.kid!))!);
  const message4 = rDone.prepareMessage4();
  const ead4 = iDone.processMessage4(message4);
  return { iRec, rRec, iRandom, rRandom, firstWait, errorToPrinted, errorToOurs, peerError, start, waitM2, pm1, waitM3, pm2, pm3, iDone, rDone, message4, ead4, credI, credR };
}

describe('RFC 9529 §3 trace 2 (method 3, suite 6 → error 2 → suite 2, kid)', () => {
  const r = run();

  it('RFC 9529 §3 credentials: CRED_x is the CCS, ID_CRED_x = { 4: kid }; buildCcs re-creates CRED_R', () => {
    expect(hex(r.credR.cred)).to.equal(hex(v('CRED_R (CBOR Data Item)')));
    expect(hex(r.credI.cred)).to.equal(hex(v('CRED_I (CBOR Data Item)')));
    expect(hex(r.credR.idCred.encoded)).to.equal(hex(v('ID_CRED_R (CBOR Data Item)')));
    expect(hex(r.credI.idCred.encoded)).to.equal(hex(v('ID_CRED_I (CBOR Data Item)')));
    const pkR = rawPublicKey(r.credR.publicKey);
    expect(hex(pkR.x)).to.equal(hex(v("Responder's public authentication key, 'x'-coordinate (Raw Value)")));
    expect(hex(pkR.y!)).to.equal(hex(v("Responder's public authentication key, 'y'-coordinate (Raw Value)")));
    const pkI = rawPublicKey(r.credI.publicKey);
    expect(hex(pkI.x)).to.equal(hex(v("Initiator's public authentication key, 'x'-coordinate (Raw Value)")));
    expect(hex(pkI.y!)).to.equal(hex(v("Initiator's public authentication key, 'y'-coordinate (Raw Value)")));
    expect(hex(buildCcs(r.credR.publicKey, { sub: 'example.edu', kid: Uint8Array.of(0x32) }))).to.equal(hex(v('CRED_R (CBOR Data Item)')));
    expect(hex(buildCcs(r.credI.publicKey, { sub: '42-50-31-FF-EF-37-32-39', kid: Uint8Array.of(0x2b) }))).to.equal(hex(v('CRED_I (CBOR Data Item)')));
  });

  it('RFC 9529 §3.1 first message_1: METHOD 3, SUITES_I 6, C_I 0x0e as printed; G_X is printed for P-256 though suite 6 is X25519', () => {
    const printed = v('first message_1 (CBOR Sequence)');
    const ours = r.firstWait.message1;
    expect(hex(ours.subarray(0, 1))).to.equal(hex(v('first METHOD (CBOR Data Item)')));
    expect(hex(ours.subarray(1, 2))).to.equal(hex(v('first SUITES_I (CBOR Data Item)')));
    expect(hex(ours.subarray(36))).to.equal(hex(v('first C_I (CBOR Data Item)')));
    expect(hex(ours.subarray(0, 4))).to.equal(hex(printed.subarray(0, 4)));
    expect(ours.length).to.equal(printed.length);
    expect(r.firstWait.suite.curve).to.equal('X25519');
    // The printed G_X is the P-256 public key of the printed X, not its X25519 public key.
    const x = v('first X (Raw Value)');
    expect(hex(rawPublicKey(privateKeyFromRaw('P-256', x)).x)).to.equal(hex(v('first G_X (Raw Value)')));
    expect(hex(r.firstWait.gX)).to.equal(hex(rawPublicKey(privateKeyFromRaw('X25519', x)).x));
    expect(hex(encodeCbor(v('first G_X (Raw Value)')))).to.equal(hex(v('first G_X (CBOR Data Item)')));
  });

  it('RFC 9529 §3.2 error: the Responder answers ERR_CODE 2 with SUITES_R = 2, the Initiator surfaces it', () => {
    for (const e of [r.errorToPrinted, r.errorToOurs]) {
      expect(e.code).to.equal('ERR_EDHOC');
      expect(e.reply).to.deep.equal({ code: 2, info: 2 });
      expect(hex(e.replyMessage!)).to.equal(hex(v('error (CBOR Sequence)')));
    }
    expect(hex(encodeCbor(2))).to.equal(hex(v('SUITES_R')));
    expect(isStackError(r.peerError, 'ERR_EDHOC')).to.equal(true);
    expect(r.peerError.received).to.deep.equal({ code: 2, info: 2 });
    expect(r.peerError.suitesR).to.deep.equal([2]);
    expect(r.peerError.reply).to.equal(undefined);
  });

  it('RFC 9529 §3.3 second message_1: SUITES_I [6, 2], G_X (P-256 x-coordinate), C_I 0x37 (as −24)', () => {
    expect(r.start.suitesI).to.deep.equal([6, 2]);
    expect(hex(r.waitM2.message1)).to.equal(hex(v('message_1 (CBOR Sequence)')));
    expect(hex(r.waitM2.message1.subarray(0, 1))).to.equal(hex(v('METHOD (CBOR Data Item)')));
    expect(hex(r.waitM2.message1.subarray(1, 4))).to.equal(hex(v('SUITES_I (CBOR Data Item)')));
    expect(hex(encodeCbor(r.waitM2.gX))).to.equal(hex(v('G_X (CBOR Data Item)')));
    expect(hex(r.waitM2.message1.subarray(38))).to.equal(hex(v('C_I (CBOR Data Item)')));
    expect(r.pm1.suitesI).to.deep.equal([6, 2]);
    expect(r.pm1.suite.id).to.equal(2);
    expect(hex(r.pm1.connectionIdI)).to.equal(hex(v('C_I (Raw Value)')));
    const x = rawPublicKey(privateKeyFromRaw('P-256', v('X (Raw Value)')));
    expect(hex(x.y!), "one 'y'-coordinate of G_X").to.equal(hex(v("Initiator's ephemeral public key, one 'y'-coordinate (Raw Value)")));
    const y = rawPublicKey(publicKeyFromRaw('P-256', v('G_Y (Raw Value)'), v("Responder's ephemeral public key, one 'y'-coordinate (Raw Value)")));
    expect(hex(y.x)).to.equal(hex(v('G_Y (Raw Value)')));
  });

  it('RFC 9529 §3.4 message_2, and C_R 0x27 / the compact kid 0x32 of ID_CRED_R as the Initiator parses them', () => {
    expect(hex(r.waitM3.message2)).to.equal(hex(v('message_2 (CBOR Sequence)')));
    expect(hex(r.pm2.connectionIdR)).to.equal(hex(v('C_R (raw value)')));
    expect(hex(encodeCbor(-8))).to.equal(hex(v('C_R (CBOR Data Item)')));
    expect(hex(r.pm2.idCredR.kid!)).to.equal('32');
    expect(hex(r.pm2.idCredR.encoded)).to.equal(hex(v('ID_CRED_R (CBOR Data Item)')));
  });

  it('RFC 9529 §3.5 message_3, and the compact kid 0x2b of ID_CRED_I as the Responder parses it', () => {
    expect(hex(r.iDone.message3)).to.equal(hex(v('message_3 (CBOR Sequence)')));
    expect(hex(r.pm3.idCredI.kid!)).to.equal('2b');
    expect(hex(r.pm3.idCredI.encoded)).to.equal(hex(v('ID_CRED_I (CBOR Data Item)')));
  });

  it('RFC 9529 §3.6 message_4 (empty EAD_4)', () => {
    expect(hex(r.message4)).to.equal(hex(v('message_4 (CBOR Sequence)')));
    expect(r.ead4).to.deep.equal([]);
  });

  for (const [step, caption] of [...STEP_CAPTIONS, ...STATIC_DH_STEP_CAPTIONS]) {
    if (!RESPONDER_ONLY.includes(step)) {
      it(`RFC 9529 §3 Initiator ${step}`, () => r.iRec.expectStep(step, v(caption), 'Initiator'));
    }
    if (!INITIATOR_ONLY.includes(step)) {
      it(`RFC 9529 §3 Responder ${step}`, () => r.rRec.expectStep(step, v(caption), 'Responder'));
    }
  }

  it('RFC 9529 §3 CBOR forms of the intermediate values', () => {
    const pairs: [string, string][] = [
      ['H(message_1) (Raw Value)', 'H(message_1) (CBOR Data Item)'],
      ['TH_2 (Raw Value)', 'TH_2 (CBOR Data Item)'],
      ['TH_3 (Raw Value)', 'TH_3 (CBOR Data Item)'],
      ['TH_4 (Raw Value)', 'TH_4 (CBOR Data Item)'],
      ['MAC_2 (Raw Value)', 'MAC_2 (CBOR Data Item)'],
      ['MAC_3 (Raw Value)', 'MAC_3 (CBOR Data Item)'],
      ['Signature_or_MAC_2 (Raw Value)', 'Signature_or_MAC_2 (CBOR Data Item)'],
      ['Signature_or_MAC_3 (Raw Value)', 'Signature_or_MAC_3 (CBOR Data Item)'],
      ['context_2 (CBOR Sequence)', 'context_2 (CBOR byte string)'],
      ['context_3 (CBOR Sequence)', 'context_3 (CBOR byte string)'],
      ['G_Y (Raw Value)', 'G_Y (CBOR Data Item)'],
    ];
    for (const [raw, cbor] of pairs) expect(hex(encodeCbor(v(raw))), cbor).to.equal(hex(v(cbor)));
    expect(hex(v('salt (Raw Value)'))).to.equal(hex(v('TH_2 (Raw Value)')));
  });

  it('RFC 9529 §3 transcript-hash inputs and KDF info sequences', () => {
    const th2 = v('TH_2 (Raw Value)');
    const th3 = v('TH_3 (Raw Value)');
    const th4 = v('TH_4 (Raw Value)');
    expect(hex(concatBytes(encodeCbor(v('G_Y (Raw Value)')), encodeCbor(v('H(message_1) (Raw Value)'))))).to.equal(hex(v('Input to calculate TH_2 (CBOR Sequence)')));
    expect(hex(concatBytes(encodeCbor(th2), v('PLAINTEXT_2 (CBOR Sequence)'), v('CRED_R (CBOR Data Item)')))).to.equal(hex(v('Input to calculate TH_3 (CBOR Sequence)')));
    expect(hex(concatBytes(encodeCbor(th3), v('PLAINTEXT_3 (CBOR Sequence)'), v('CRED_I (CBOR Data Item)')))).to.equal(hex(v('Input to calculate TH_4 (CBOR Sequence)')));
    const ctx2 = context2(v('C_R (CBOR Data Item)'), v('ID_CRED_R (CBOR Data Item)'), th2, v('CRED_R (CBOR Data Item)'), new Uint8Array(0));
    const ctx3 = context3(v('ID_CRED_I (CBOR Data Item)'), th3, v('CRED_I (CBOR Data Item)'), new Uint8Array(0));
    expect(hex(ctx2)).to.equal(hex(v('context_2 (CBOR Sequence)')));
    expect(hex(ctx3)).to.equal(hex(v('context_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(1, th2, 32))).to.equal(hex(v('info for SALT_3e2m (CBOR Sequence)')));
    expect(hex(kdfInfo(2, ctx2, 8))).to.equal(hex(v('info for MAC_2 (CBOR Sequence)')));
    expect(hex(kdfInfo(0, th2, 11))).to.equal(hex(v('info for KEYSTREAM_2 (CBOR Sequence)')));
    expect(hex(kdfInfo(5, th3, 32))).to.equal(hex(v('info for SALT_4e3m (CBOR Sequence)')));
    expect(hex(kdfInfo(6, ctx3, 8))).to.equal(hex(v('info for MAC_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(3, th3, 16))).to.equal(hex(v('info for K_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(4, th3, 13))).to.equal(hex(v('info for IV_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(8, th4, 16))).to.equal(hex(v('info for K_4 (CBOR Sequence)')));
    expect(hex(kdfInfo(9, th4, 13))).to.equal(hex(v('info for IV_4 (CBOR Sequence)')));
    expect(hex(kdfInfo(7, th4, 32))).to.equal(hex(v('info for PRK_out (CBOR Sequence)')));
    expect(hex(kdfInfo(10, new Uint8Array(0), 32))).to.equal(hex(v('info for PRK_exporter (CBOR Sequence)')));
    expect(hex(kdfInfo(0, new Uint8Array(0), 16))).to.equal(hex(v('info for OSCORE Master Secret (CBOR Sequence)')));
    expect(hex(kdfInfo(1, new Uint8Array(0), 8))).to.equal(hex(v('info for OSCORE Master Salt (CBOR Sequence)')));
  });

  it('RFC 9529 §3.8 OSCORE parameters: Master Secret, Master Salt, Sender/Recipient IDs', () => {
    const client = oscoreFromEdhoc(r.iDone);
    const server = oscoreFromEdhoc(r.rDone);
    for (const [who, p] of [['Initiator', client], ['Responder', server]] as const) {
      expect(hex(p.masterSecret), `${who} OSCORE Master Secret`).to.equal(hex(v('OSCORE Master Secret (Raw Value)')));
      expect(hex(p.masterSalt), `${who} OSCORE Master Salt`).to.equal(hex(v('OSCORE Master Salt (Raw Value)')));
      expect(p.aeadAlgorithm).to.equal(10);
    }
    expect(hex(client.senderId)).to.equal(hex(v("Client's OSCORE Sender ID (Raw Value)")));
    expect(hex(server.senderId)).to.equal(hex(v("Server's OSCORE Sender ID (Raw Value)")));
    expect(hex(client.recipientId)).to.equal(hex(server.senderId));
    expect(hex(server.recipientId)).to.equal(hex(client.senderId));
  });

  it('RFC 9529 §3.9 EDHOC_KeyUpdate', () => {
    const ctx = v('context for KeyUpdate (Raw Value)');
    expect(hex(encodeCbor(ctx))).to.equal(hex(v('context for KeyUpdate (CBOR Data Item)')));
    for (const session of [r.iDone, r.rDone]) {
      const updated = session.keyUpdate(ctx);
      expect(hex(updated.exportPrkOut())).to.equal(hex(v('PRK_out after KeyUpdate (Raw Value)')));
      expect(hex(updated.exportPrkExporter())).to.equal(hex(v('PRK_exporter after KeyUpdate (Raw Value)')));
      const p = oscoreFromEdhoc(updated);
      expect(hex(p.masterSecret)).to.equal(hex(v('OSCORE Master Secret after KeyUpdate (Raw Value)')));
      expect(hex(p.masterSalt)).to.equal(hex(v('OSCORE Master Salt after KeyUpdate (Raw Value)')));
    }
  });

  it('consumes exactly the trace ephemeral keys', () => {
    expect(r.iRandom.left).to.equal(0);
    expect(r.rRandom.left).to.equal(0);
  });
});
