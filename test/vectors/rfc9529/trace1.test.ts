/**
 * RFC 9529 §2 (https://www.rfc-editor.org/rfc/rfc9529#section-2): METHOD 0, cipher suite 0,
 * X.509 certificates identified by x5t, EdDSA and X25519. Both state machines run with the trace's
 * ephemeral keys (replayed through the injected Random) and static keys; every value the trace
 * prints is compared byte for byte, for the Initiator and the Responder separately. EdDSA is
 * deterministic, so the signatures match too.
 */
import { expect } from 'chai';
import { encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { privateKeyFromRaw, rawPublicKey } from '../../../src/codec/cose/key.ts';
import { sigStructure1 } from '../../../src/codec/cose/sign1.ts';
import { concatBytes, toHex } from '../../../src/core/bytes.ts';
import {
  InitiatorStart,
  ResponderStart,
  context2,
  context3,
  credentialCertificate,
  kdfInfo,
  localCredential,
  oscoreFromEdhoc,
  x509Credential,
  type EdhocCredential,
} from '../../../src/protocol/edhoc/index.ts';
import { RFC9529_S2_TRACE1 as T } from './trace1.data.ts';
import { entry, INITIATOR_ONLY, replayRandom, RESPONDER_ONLY, STEP_CAPTIONS, TraceRecorder } from './trace-helpers.ts';

const v = (key: string): Uint8Array => entry(T, key);
const hex = toHex;

function credentials(): { credI: ReturnType<typeof localCredential>; credR: ReturnType<typeof localCredential> } {
  const credI = localCredential(x509Credential(v('CRED_I (Raw Value)'), { idCred: 'x5t' }), privateKeyFromRaw('Ed25519', v('SK_I (Raw Value)')));
  const credR = localCredential(x509Credential(v('CRED_R (Raw Value)'), { idCred: 'x5t' }), privateKeyFromRaw('Ed25519', v('SK_R (Raw Value)')));
  return { credI, credR };
}

/** The Initiator and Responder run through the whole trace; the values each one reports. */
function run() {
  const { credI, credR } = credentials();
  const iRec = new TraceRecorder();
  const rRec = new TraceRecorder();
  const iRandom = replayRandom(v('X (Raw Value)'));
  const rRandom = replayRandom(v('Y (Raw Value)'));
  const start = new InitiatorStart({ method: 0, suites: [0], connectionId: v('C_I (Raw Value)'), random: iRandom, trace: iRec.hook });
  const responder = new ResponderStart({ suites: [0], random: rRandom, trace: rRec.hook });

  const waitM2 = start.prepareMessage1();
  const pm1 = responder.processMessage1(waitM2.message1);
  const waitM3 = pm1.prepareMessage2({ credential: credR, connectionId: v('C_R (Raw Value)') });
  const pm2 = waitM2.parseMessage2(waitM3.message2);
  // The application resolves ID_CRED_R (x5t) to the Responder's certificate.
  const byX5t = (cred: EdhocCredential): EdhocCredential => ({ cred: cred.cred, idCred: cred.idCred, publicKey: cred.publicKey });
  const processed = pm2.verifyMessage2(byX5t(credR));
  const iDone = processed.prepareMessage3(credI);
  const pm3 = waitM3.parseMessage3(iDone.message3);
  const rDone = pm3.verifyMessage3(byX5t(credI));
  const message4 = rDone.prepareMessage4();
  const ead4 = iDone.processMessage4(message4);
  return { iRec, rRec, iRandom, rRandom, waitM2, pm1, waitM3, pm2, pm3, iDone, rDone, message4, ead4, credI, credR };
}

describe('RFC 9529 §2 trace 1 (method 0, suite 0, x5t)', () => {
  const r = run();

  it('RFC 9529 §2 credentials: CRED_x is the bstr-wrapped DER certificate, ID_CRED_x its x5t (SHA-256/64)', () => {
    expect(hex(r.credR.cred)).to.equal(hex(v('CRED_R (CBOR Data Item)')));
    expect(hex(r.credI.cred)).to.equal(hex(v('CRED_I (CBOR Data Item)')));
    expect(hex(r.credR.idCred.encoded)).to.equal(hex(v('ID_CRED_R (CBOR Data Item)')));
    expect(hex(r.credI.idCred.encoded)).to.equal(hex(v('ID_CRED_I (CBOR Data Item)')));
    expect(hex(rawPublicKey(r.credR.publicKey).x), 'PK_R from the certificate').to.equal(hex(v('PK_R (Raw Value)')));
    expect(hex(rawPublicKey(r.credI.publicKey).x), 'PK_I from the certificate').to.equal(hex(v('PK_I (Raw Value)')));
    expect(hex(credentialCertificate(r.credR.cred)!)).to.equal(hex(v('CRED_R (Raw Value)')));
  });

  it('RFC 9529 §2.1 message_1: METHOD, SUITES_I, G_X, C_I', () => {
    expect(hex(r.waitM2.message1)).to.equal(hex(v('message_1 (CBOR Sequence)')));
    expect(hex(r.waitM2.gX)).to.equal(hex(v('G_X (Raw Value)')));
    expect(hex(encodeCbor(r.waitM2.gX))).to.equal(hex(v('G_X (CBOR Data Item)')));
    expect(hex(r.waitM2.message1.subarray(0, 1))).to.equal(hex(v('METHOD (CBOR Data Item)')));
    expect(hex(r.waitM2.message1.subarray(1, 2))).to.equal(hex(v('SUITES_I (CBOR Data Item)')));
    expect(hex(r.waitM2.message1.subarray(36))).to.equal(hex(v('C_I (CBOR Data Item)')));
    expect(hex(r.pm1.connectionIdI)).to.equal(hex(v('C_I (Raw Value)')));
    expect(r.pm1.method).to.equal(0);
    expect(r.pm1.suite.id).to.equal(0);
    expect(r.pm1.ead1).to.deep.equal([]);
  });

  it('RFC 9529 §2.2 message_2 on the wire, and C_R / ID_CRED_R as the Initiator parses them', () => {
    expect(hex(r.waitM3.message2)).to.equal(hex(v('message_2 (CBOR Sequence)')));
    expect(hex(r.pm2.connectionIdR)).to.equal(hex(v('C_R (Raw Value)')));
    expect(hex(r.pm2.idCredR.encoded)).to.equal(hex(v('ID_CRED_R (CBOR Data Item)')));
    expect(r.pm2.idCredR.x5t!.alg).to.equal(-15);
    expect(r.pm2.ead2).to.deep.equal([]);
  });

  it('RFC 9529 §2.3 message_3 on the wire, and ID_CRED_I as the Responder parses it', () => {
    expect(hex(r.iDone.message3)).to.equal(hex(v('message_3 (CBOR Sequence)')));
    expect(hex(r.pm3.idCredI.encoded)).to.equal(hex(v('ID_CRED_I (CBOR Data Item)')));
  });

  it('RFC 9529 §2.4 message_4 (empty EAD_4)', () => {
    expect(hex(r.message4)).to.equal(hex(v('message_4 (CBOR Sequence)')));
    expect(r.ead4).to.deep.equal([]);
    expect(r.iRec.values.get('PLAINTEXT_4')!.length, 'PLAINTEXT_4 (0 bytes)').to.equal(0);
    expect(r.rRec.values.get('PLAINTEXT_4')!.length, 'PLAINTEXT_4 (0 bytes)').to.equal(0);
  });

  for (const [step, caption] of STEP_CAPTIONS) {
    if (!RESPONDER_ONLY.includes(step)) {
      it(`RFC 9529 §2 Initiator ${step}`, () => r.iRec.expectStep(step, v(caption), 'Initiator'));
    }
    if (!INITIATOR_ONLY.includes(step)) {
      it(`RFC 9529 §2 Responder ${step}`, () => r.rRec.expectStep(step, v(caption), 'Responder'));
    }
  }

  it('RFC 9529 §2 CBOR forms of the intermediate values (TH_x, MAC_x, Signature_or_MAC_x, context_x as bstr)', () => {
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
      ['C_R (Raw Value)', 'C_R (CBOR Data Item)'],
    ];
    for (const [raw, cbor] of pairs) expect(hex(encodeCbor(v(raw))), cbor).to.equal(hex(v(cbor)));
    expect(hex(v('salt (Raw Value)'))).to.equal(hex(v('TH_2 (Raw Value)')));
  });

  it('RFC 9529 §2 transcript-hash inputs, KDF info sequences and messages to be signed', () => {
    const th2 = v('TH_2 (Raw Value)');
    const th3 = v('TH_3 (Raw Value)');
    const th4 = v('TH_4 (Raw Value)');
    expect(hex(concatBytes(encodeCbor(v('G_Y (Raw Value)')), encodeCbor(v('H(message_1) (Raw Value)'))))).to.equal(hex(v('Input to calculate TH_2 (CBOR Sequence)')));
    expect(hex(concatBytes(encodeCbor(th2), v('PLAINTEXT_2 (CBOR Sequence)'), v('CRED_R (CBOR Data Item)')))).to.equal(hex(v('Input to calculate TH_3 (CBOR Sequence)')));
    expect(hex(concatBytes(encodeCbor(th3), v('PLAINTEXT_3 (CBOR Sequence)'), v('CRED_I (CBOR Data Item)')))).to.equal(hex(v('Input to calculate TH_4 (CBOR Sequence)')));
    const ctx2 = context2(v('C_R (CBOR Data Item)'), v('ID_CRED_R (CBOR Data Item)'), th2, v('CRED_R (CBOR Data Item)'), new Uint8Array(0));
    const ctx3 = context3(v('ID_CRED_I (CBOR Data Item)'), th3, v('CRED_I (CBOR Data Item)'), new Uint8Array(0));
    expect(hex(kdfInfo(2, ctx2, 32))).to.equal(hex(v('info for MAC_2 (CBOR Sequence)')));
    expect(hex(kdfInfo(0, th2, 82))).to.equal(hex(v('info for KEYSTREAM_2 (CBOR Sequence)')));
    expect(hex(kdfInfo(6, ctx3, 32))).to.equal(hex(v('info for MAC_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(3, th3, 16))).to.equal(hex(v('info for K_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(4, th3, 13))).to.equal(hex(v('info for IV_3 (CBOR Sequence)')));
    expect(hex(kdfInfo(8, th4, 16))).to.equal(hex(v('info for K_4 (CBOR Sequence)')));
    expect(hex(kdfInfo(9, th4, 13))).to.equal(hex(v('info for IV_4 (CBOR Sequence)')));
    expect(hex(kdfInfo(7, th4, 32))).to.equal(hex(v('info for PRK_out (CBOR Sequence)')));
    expect(hex(kdfInfo(10, new Uint8Array(0), 32))).to.equal(hex(v('info for PRK_exporter (CBOR Sequence)')));
    expect(hex(kdfInfo(0, new Uint8Array(0), 16))).to.equal(hex(v('info for OSCORE Master Secret (CBOR Sequence)')));
    expect(hex(kdfInfo(1, new Uint8Array(0), 8))).to.equal(hex(v('info for OSCORE Master Salt (CBOR Sequence)')));
    const tbs2 = sigStructure1(v('ID_CRED_R (CBOR Data Item)'), concatBytes(encodeCbor(th2), v('CRED_R (CBOR Data Item)')), v('MAC_2 (Raw Value)'));
    const tbs3 = sigStructure1(v('ID_CRED_I (CBOR Data Item)'), concatBytes(encodeCbor(th3), v('CRED_I (CBOR Data Item)')), v('MAC_3 (Raw Value)'));
    expect(hex(tbs2)).to.equal(hex(v('Message to be signed 2 (CBOR Data Item)')));
    expect(hex(tbs3)).to.equal(hex(v('Message to be signed 3 (CBOR Data Item)')));
  });

  it('RFC 9529 §2.6 OSCORE parameters: Master Secret, Master Salt, Sender/Recipient IDs (Initiator = client)', () => {
    const client = oscoreFromEdhoc(r.iDone);
    const server = oscoreFromEdhoc(r.rDone);
    for (const [who, p] of [['Initiator', client], ['Responder', server]] as const) {
      expect(hex(p.masterSecret), `${who} OSCORE Master Secret`).to.equal(hex(v('OSCORE Master Secret (Raw Value)')));
      expect(hex(p.masterSalt), `${who} OSCORE Master Salt`).to.equal(hex(v('OSCORE Master Salt (Raw Value)')));
      expect(p.aeadAlgorithm).to.equal(10);
      expect(p.hashAlgorithm).to.equal(-16);
    }
    expect(hex(client.senderId)).to.equal(hex(v("Client's OSCORE Sender ID (Raw Value)")));
    expect(hex(server.senderId)).to.equal(hex(v("Server's OSCORE Sender ID (Raw Value)")));
    expect(hex(client.recipientId)).to.equal(hex(server.senderId));
    expect(hex(server.recipientId)).to.equal(hex(client.senderId));
    expect(hex(r.iDone.exportPrkOut())).to.equal(hex(r.rDone.exportPrkOut()));
  });

  it('RFC 9529 §2.7 EDHOC_KeyUpdate: PRK_out, PRK_exporter and OSCORE secrets after the update', () => {
    const ctx = v('context for KeyUpdate (Raw Value)');
    expect(hex(encodeCbor(ctx))).to.equal(hex(v('context for KeyUpdate (CBOR Data Item)')));
    for (const session of [r.iDone, r.rDone]) {
      const updated = session.keyUpdate(ctx);
      expect(hex(updated.exportPrkOut()), `${session.role} PRK_out after KeyUpdate`).to.equal(hex(v('PRK_out after KeyUpdate (Raw Value)')));
      expect(hex(updated.exportPrkExporter()), `${session.role} PRK_exporter after KeyUpdate`).to.equal(hex(v('PRK_exporter after KeyUpdate (Raw Value)')));
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
