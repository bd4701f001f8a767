/**
 * Whole EDHOC handshakes in memory: method 0 with cipher suite 2 (ES256, P-256) and X.509
 * certificates from src/pki sent by value (x5chain) or by reference (x5t), the application's chain
 * check in between parse and verify, and the other methods and suites with raw public keys.
 */
import { expect } from 'chai';
import { encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { sigStructure1, verifySignature } from '../../../src/codec/cose/sign1.ts';
import { concatBytes, toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import {
  EDHOC_ERR_UNKNOWN_CREDENTIAL,
  EDHOC_ERR_UNSPECIFIED,
  InitiatorStart,
  localCredential,
  oscoreFromEdhoc,
  ResponderStart,
  x509Credential,
  type EdhocCredential,
  type EdhocMethod,
  type EdhocTraceStep,
  type IdCred,
} from '../../../src/protocol/edhoc/index.ts';
import { checkX5chain, der, edhocErrorOf, handshake, hierarchy, keyKinds, publicPart, rpkCredential } from './helpers.ts';

describe('EDHOC handshake, method 0, suite 2, X.509 (x5chain and x5t)', () => {
  it('x5chain: each side validates the other chain against its trust anchor, keys and OSCORE contexts agree', async () => {
    const h = await hierarchy();
    const credI = localCredential(x509Credential(h.initiator.cert, { idCred: 'x5chain', chain: [h.ca.cert] }), h.initiator.keys.privateKey);
    const credR = localCredential(x509Credential(h.responder.cert, { idCred: 'x5chain', chain: [h.ca.cert] }), h.responder.keys.privateKey);
    const r = handshake({
      initiator: { method: 0, suites: [2] },
      responder: { suites: [2] },
      credI,
      credR,
      lookupR: (id) => checkX5chain(id, [h.root.cert]),
      lookupI: (id) => checkX5chain(id, [h.root.cert]),
    });
    expect(r.pm2.idCredR.x5chain!.map(toHex)).to.deep.equal([toHex(der(h.responder)), toHex(der(h.ca))]);
    expect(r.pm3.idCredI.x5chain!.length).to.equal(2);
    expect(toHex(r.iDone.exportPrkOut())).to.equal(toHex(r.rDone.exportPrkOut()));
    expect(r.ead4).to.deep.equal([]);
    const c = oscoreFromEdhoc(r.iDone);
    const s = oscoreFromEdhoc(r.rDone);
    expect(c.masterSecret.length).to.equal(16);
    expect(c.masterSalt.length).to.equal(8);
    expect(toHex(c.masterSecret)).to.equal(toHex(s.masterSecret));
    expect(toHex(c.masterSalt)).to.equal(toHex(s.masterSalt));
    expect(toHex(c.senderId)).to.equal(toHex(r.iDone.connectionIdR));
    expect(toHex(c.recipientId)).to.equal(toHex(r.iDone.connectionIdI));
    expect(toHex(s.senderId)).to.equal(toHex(c.recipientId));
    expect(toHex(s.recipientId)).to.equal(toHex(c.senderId));
    expect(toHex(r.iDone.edhocExporter(42, Uint8Array.of(1, 2), 20))).to.equal(toHex(r.rDone.edhocExporter(42, Uint8Array.of(1, 2), 20)));
    expect(toHex(r.iDone.peerCredential.cred)).to.equal(toHex(credR.cred));
  });

  it('x5t: the Initiator resolves the hash to a certificate it holds; ES256 signatures verify on their own', async () => {
    const h = await hierarchy();
    const credI = localCredential(x509Credential(h.initiator.cert, { idCred: 'x5t' }), h.initiator.keys.privateKey);
    const credR = localCredential(x509Credential(h.responder.cert, { idCred: 'x5t' }), h.responder.keys.privateKey);
    const known: EdhocCredential[] = [publicPart(credI), publicPart(credR)];
    const lookup = (id: IdCred): EdhocCredential => {
      const found = known.find((k) => toHex(k.idCred.encoded) === toHex(id.encoded));
      if (!found) throw new Error('unknown x5t');
      return found;
    };
    const seen = new Map<EdhocTraceStep, Uint8Array>();
    const r = handshake({
      initiator: { method: 0, suites: [2] },
      responder: { suites: [2], trace: (k, v) => seen.set(k, v) },
      credI,
      credR,
      lookupR: lookup,
      lookupI: lookup,
    });
    expect(r.pm2.idCredR.x5t!.alg).to.equal(-15);
    expect(toHex(r.iDone.exportPrkOut())).to.equal(toHex(r.rDone.exportPrkOut()));
    // ES256 is randomised: check the Responder's Signature_or_MAC_2 by verification (RFC 9528 §5.3.2).
    const sig2 = seen.get('Signature_or_MAC_2')!;
    expect(sig2.length).to.equal(64);
    const tbs = sigStructure1(credR.idCred.encoded, concatBytes(encodeCbor(seen.get('TH_2')!), credR.cred), seen.get('MAC_2')!);
    expect(verifySignature(-7, credR.publicKey, tbs, sig2)).to.equal(true);
    expect(verifySignature(-7, credI.publicKey, tbs, sig2)).to.equal(false);
  });

  it('untrusted chain: the Responder answers error code 1, the Initiator surfaces a typed EdhocError', async () => {
    const h = await hierarchy();
    const credI = localCredential(x509Credential(h.rogue.cert, { idCred: 'x5chain' }), h.rogue.keys.privateKey);
    const credR = localCredential(x509Credential(h.responder.cert, { idCred: 'x5chain', chain: [h.ca.cert] }), h.responder.keys.privateKey);
    const start = new InitiatorStart({ method: 0, suites: [2] });
    const responder = new ResponderStart({ suites: [2] });
    const waitM2 = start.prepareMessage1();
    const waitM3 = responder.processMessage1(waitM2.message1).prepareMessage2({ credential: credR });
    const pm2 = waitM2.parseMessage2(waitM3.message2);
    const iDone = pm2.verifyMessage2(checkX5chain(pm2.idCredR, [h.root.cert])).prepareMessage3(credI);
    const pm3 = waitM3.parseMessage3(iDone.message3);
    let chainError: unknown;
    try {
      checkX5chain(pm3.idCredI, [h.root.cert]);
    } catch (e) {
      chainError = e;
    }
    expect(isStackError(chainError, 'ERR_CERT_CHAIN')).to.equal(true);
    const errorMessage = pm3.reject('untrusted certificate chain');
    expect(toHex(errorMessage)).to.equal(toHex(concatBytes(encodeCbor(1), encodeCbor('untrusted certificate chain'))));
    const err = edhocErrorOf(() => iDone.processMessage4(errorMessage));
    expect(err.code).to.equal('ERR_EDHOC');
    expect(err.received).to.deep.equal({ code: EDHOC_ERR_UNSPECIFIED, info: 'untrusted certificate chain' });
    expect(err.reply, 'no error message answers an error message').to.equal(undefined);
    expect(err.message).to.contain('untrusted certificate chain');
    // The half-open state cannot be used again.
    expect(() => pm3.verifyMessage3(publicPart(credI))).to.throw(/already been used/);
  });

  it('the Initiator rejects the Responder: error code 1 in place of message_3, surfaced by parseMessage3', async () => {
    const h = await hierarchy();
    const credR = localCredential(x509Credential(h.rogue.cert, { idCred: 'x5chain' }), h.rogue.keys.privateKey);
    const waitM2 = new InitiatorStart({ method: 0, suites: [2] }).prepareMessage1();
    const waitM3 = new ResponderStart({ suites: [2] }).processMessage1(waitM2.message1).prepareMessage2({ credential: credR });
    const pm2 = waitM2.parseMessage2(waitM3.message2);
    expect(() => checkX5chain(pm2.idCredR, [h.root.cert])).to.throw();
    const err = edhocErrorOf(() => waitM3.parseMessage3(pm2.reject('untrusted responder')));
    expect(err.received).to.deep.equal({ code: 1, info: 'untrusted responder' });
  });

  it('unknown credential: error code 3 with ERR_INFO true', async () => {
    const h = await hierarchy();
    const credI = localCredential(x509Credential(h.initiator.cert, { idCred: 'x5t' }), h.initiator.keys.privateKey);
    const credR = localCredential(x509Credential(h.responder.cert, { idCred: 'x5t' }), h.responder.keys.privateKey);
    const waitM2 = new InitiatorStart({ method: 0, suites: [2] }).prepareMessage1();
    const waitM3 = new ResponderStart({ suites: [2] }).processMessage1(waitM2.message1).prepareMessage2({ credential: credR });
    const iDone = waitM2.parseMessage2(waitM3.message2).verifyMessage2(publicPart(credR)).prepareMessage3(credI);
    const pm3 = waitM3.parseMessage3(iDone.message3);
    const bytes = pm3.unknownCredential();
    expect(toHex(bytes)).to.equal('03f5');
    const err = edhocErrorOf(() => iDone.processMessage4(bytes));
    expect(err.received).to.deep.equal({ code: EDHOC_ERR_UNKNOWN_CREDENTIAL, info: true });
  });

  it('a credential that ID_CRED_x does not name is refused (x5t of another certificate)', async () => {
    const h = await hierarchy();
    const credR = localCredential(x509Credential(h.responder.cert, { idCred: 'x5t' }), h.responder.keys.privateKey);
    const waitM2 = new InitiatorStart({ method: 0, suites: [2] }).prepareMessage1();
    const waitM3 = new ResponderStart({ suites: [2] }).processMessage1(waitM2.message1).prepareMessage2({ credential: credR });
    const pm2 = waitM2.parseMessage2(waitM3.message2);
    const err = edhocErrorOf(() => pm2.verifyMessage2(x509Credential(h.initiator.cert)));
    expect(err.reply?.code).to.equal(1);
  });
});

describe('EDHOC handshake, all methods and suites with raw public keys (CCS by kid)', () => {
  for (const suite of [0, 1, 2, 3, 6]) {
    for (const method of [0, 1, 2, 3] as EdhocMethod[]) {
      it(`method ${method}, suite ${suite}`, () => {
        const [ki, kr] = keyKinds(method, suite);
        const credI = rpkCredential(ki, 0x2b, 'initiator');
        const credR = rpkCredential(kr, 0x32, 'responder');
        const r = handshake({ initiator: { method, suites: [suite] }, responder: { suites: [suite] }, credI, credR });
        expect(r.pm1.method).to.equal(method);
        expect(r.iDone.suite.id).to.equal(suite);
        expect(toHex(r.iDone.exportPrkOut())).to.equal(toHex(r.rDone.exportPrkOut()));
        expect(toHex(oscoreFromEdhoc(r.iDone).masterSecret)).to.equal(toHex(oscoreFromEdhoc(r.rDone).masterSecret));
        // Compact kid: the one-byte kid 0x32 travels as the integer -19.
        expect(toHex(r.pm2.idCredR.kid!)).to.equal('32');
      });
    }
  }

  it('a key that does not fit the method is refused before anything is sent', () => {
    const credR = rpkCredential('P-256', 1);
    const pm1 = new ResponderStart({ suites: [0] }).processMessage1(new InitiatorStart({ method: 3, suites: [0] }).prepareMessage1().message1);
    expect(() => pm1.prepareMessage2({ credential: credR })).to.throw(/cannot authenticate by static DH/);
    expect(pm1.used, 'a refused argument does not consume the state').to.equal(false);
  });

  it('the Responder refuses a method it does not accept with error code 1', () => {
    const waitM2 = new InitiatorStart({ method: 1, suites: [2] }).prepareMessage1();
    const err = edhocErrorOf(() => new ResponderStart({ suites: [2], methods: [0, 3] }).processMessage1(waitM2.message1));
    expect(err.reply).to.deep.equal({ code: 1, info: 'method not supported' });
  });

  it('C_R equal to C_I is refused (the OSCORE Recipient IDs would collide)', () => {
    const waitM2 = new InitiatorStart({ method: 3, suites: [2], connectionId: Uint8Array.of(7) }).prepareMessage1();
    const pm1 = new ResponderStart({ suites: [2] }).processMessage1(waitM2.message1);
    expect(() => pm1.prepareMessage2({ credential: rpkCredential('P-256', 1), connectionId: Uint8Array.of(7) })).to.throw(/C_R must differ/);
  });

  it('long connection identifiers and a long PLAINTEXT_2 (EAD_2 beyond one KDF output, Appendix G)', () => {
    const credI = rpkCredential('P-256', 1);
    const credR = rpkCredential('P-256', 2);
    const big = new Uint8Array(9000).fill(0xab);
    const start = new InitiatorStart({ method: 3, suites: [2], connectionId: Uint8Array.of(1, 2, 3, 4), understoodEad: [] });
    const waitM2 = start.prepareMessage1();
    const waitM3 = new ResponderStart({ suites: [2] })
      .processMessage1(waitM2.message1)
      .prepareMessage2({ credential: credR, connectionId: new Uint8Array(0), ead2: [{ label: 100, value: big }] });
    const pm2 = waitM2.parseMessage2(waitM3.message2);
    expect(pm2.connectionIdR.length).to.equal(0);
    expect(pm2.ead2[0]!.value!.length).to.equal(9000);
    const iDone = pm2.verifyMessage2(publicPart(credR)).prepareMessage3(credI);
    expect(toHex(waitM3.parseMessage3(iDone.message3).verifyMessage3(publicPart(credI)).exportPrkOut())).to.equal(toHex(iDone.exportPrkOut()));
  });
});
