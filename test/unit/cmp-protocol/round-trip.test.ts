/**
 * CmpClient ↔ CmpResponder in memory (RFC 9483 §4 and §5): every operation of the profile, with a
 * ManualClock for delayed delivery, and a registrar-style RA that wraps requests in `nested`.
 */
import { expect } from 'chai';
import { toHex } from '../../../src/core/bytes.ts';
import {
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  PKIStatus,
  bodyTypeOf,
  decodePkiMessage,
  encodeAsn1,
  encodePkiMessage,
} from '../../../src/codec/cmp/index.ts';
import {
  certificateDer,
  certificatePublicKey,
  generateKeyPairSync,
  issuerNameDer,
  sameCertificate,
  samePublicKey,
  subjectAltNameExtension,
  subjectNameDer,
  type Certificate,
  type RawExtension,
} from '../../../src/pki/index.ts';
import {
  CmpClient,
  CmpFailure,
  buildHeader,
  directoryName,
  nestedBody,
  protectMessage,
  toName,
} from '../../../src/protocol/cmp/index.ts';
import { T0, drive, makeWorld, manualClockAt, rejection, type TestWorld } from './helpers.ts';
import { setup } from './world.ts';

function sanExtension(dns: string): RawExtension {
  const ext = subjectAltNameExtension({ dns: [dns] });
  return { oid: ext.type, critical: ext.critical, value: new Uint8Array(ext.value) };
}

describe('cmp-protocol: client ↔ responder round trips (RFC 9483 §4)', () => {
  let world: TestWorld;
  before(async () => {
    world = await makeWorld();
  });

  it('ir → ip → certConf → pkiConf (RFC 9483 §4.1.1)', async () => {
    const s = setup(world, manualClockAt());
    const newKey = generateKeyPairSync('P-256');
    const r = await s.client().enroll({ kind: 'ir', newKey: newKey.privateKey, subject: 'O=Test, CN=pledge ldevid', extensions: [sanExtension('pledge.example')] });

    expect(samePublicKey(certificatePublicKey(r.certificate), newKey.publicKey)).to.equal(true);
    expect(s.wire.requests).to.deep.equal(['ir', 'certConf']);
    expect(s.wire.responses).to.deep.equal(['ip', 'pkiconf']);
    expect(r.implicitConfirmGranted).to.equal(false);
    expect(r.caPubs.map((c) => c.subject)).to.deep.equal([world.domainRoot.cert.subject]);
    expect(r.chain.map((c) => c.subject)).to.deep.equal([r.certificate.subject, world.domainCa.cert.subject, world.domainRoot.cert.subject]);
    expect(r.responder.kind === 'signature' && sameCertificate(r.responder.certificate, world.raCa.cert)).to.equal(true);

    const req = s.policy.requests[0]!;
    expect(req.bodyType).to.equal('ir');
    expect(req.certReqId).to.equal(0);
    expect(req.requester.kind).to.equal('signature');
    expect(req.requester.serialNumber).to.equal('PLEDGE-0001');
    expect(sameCertificate(req.requester.certificate!, world.pledge.cert)).to.equal(true);
    expect(toHex(req.subjectDer!)).to.equal(toHex(encodeAsn1(toName('O=Test, CN=pledge ldevid'))));
    expect(req.extensionsDer, 'template extensions').to.not.equal(undefined);
    expect(toHex(req.transactionId)).to.equal(toHex(r.transactionId));
    expect(s.policy.confirmations).to.deep.equal([{ transactionId: toHex(r.transactionId), accepted: true }]);
    const rec = await s.store.get(r.transactionId);
    expect(rec?.state).to.equal('confirmed');
    expect(toHex(rec!.certificateDer!)).to.equal(toHex(certificateDer(r.certificate)));
  });

  it('cr → cp with an Ed25519 new key and an RSA IDevID', async () => {
    const rsaWorld = await makeWorld('RSA-2048');
    const s = setup(rsaWorld, manualClockAt());
    const newKey = generateKeyPairSync('Ed25519');
    const r = await s.client().enroll({ kind: 'cr', newKey: newKey.privateKey, subject: 'CN=ed' });
    expect(samePublicKey(certificatePublicKey(r.certificate), newKey.publicKey)).to.equal(true);
    expect(s.wire.responses).to.deep.equal(['cp', 'pkiconf']);
  });

  it('an all-Ed25519 PKI: certConf names SHA-512 in hashAlg and uses pvno 3 (RFC 9480 §2.10, RFC 9481 §2)', async () => {
    const edWorld = await makeWorld('Ed25519');
    const s = setup(edWorld, manualClockAt());
    const r = await s.client().enroll({ kind: 'ir', newKey: generateKeyPairSync('Ed25519').privateKey });
    expect(s.wire.responses).to.deep.equal(['ip', 'pkiconf']);
    const cc = decodePkiMessage(s.wire.requestDers[1]!);
    expect(cc.header.pvno).to.equal(3);
    expect(cc.body.certConf![0]!.hashAlg!.algorithm).to.equal('2.16.840.1.101.3.4.2.3');
    const pkiconf = decodePkiMessage(s.wire.responseDers[1]!);
    expect(pkiconf.header.pvno, 'answered with the version received').to.equal(3);
    expect(s.policy.confirmations).to.deep.equal([{ transactionId: toHex(r.transactionId), accepted: true }]);
  });

  it('p10cr → cp with certReqId -1 (RFC 9483 §4.1.4)', async () => {
    const s = setup(world, manualClockAt());
    const newKey = generateKeyPairSync('P-384');
    const r = await s.client().enroll({ kind: 'p10cr', newKey: newKey.privateKey, subject: 'O=Test, CN=csr', extensions: [sanExtension('csr.example')] });
    expect(samePublicKey(certificatePublicKey(r.certificate), newKey.publicKey)).to.equal(true);
    const req = s.policy.requests[0]!;
    expect(req.bodyType).to.equal('p10cr');
    expect(req.certReqId).to.equal(-1);
    expect(req.extensionsDer, 'extensionRequest').to.not.equal(undefined);
    const cp = decodePkiMessage(s.wire.responseDers[0]!);
    expect(cp.body.cp!.response[0]!.certReqId).to.equal(-1);
  });

  it('kur protected with the certificate being updated (RFC 9483 §4.1.3)', async () => {
    const s = setup(world, manualClockAt());
    const k1 = generateKeyPairSync('P-256');
    const first = await s.client().enroll({ kind: 'ir', newKey: k1.privateKey });
    const k2 = generateKeyPairSync('P-256');
    const updater = s.client({ credentials: { kind: 'signature', privateKey: k1.privateKey, certificate: first.certificate, chain: [world.domainCa.cert] } });
    const r = await updater.enroll({ kind: 'kur', newKey: k2.privateKey });
    expect(samePublicKey(certificatePublicKey(r.certificate), k2.publicKey)).to.equal(true);
    const req = s.policy.requests[1]!;
    expect(req.bodyType).to.equal('kur');
    expect(sameCertificate(req.oldCertificate!, first.certificate)).to.equal(true);
    expect(s.wire.responses.slice(-2)).to.deep.equal(['kup', 'pkiconf']);
  });

  it('kur naming another certificate in oldCertID than the one protecting it: badCertId', async () => {
    const s = setup(world, manualClockAt());
    const k1 = generateKeyPairSync('P-256');
    const first = await s.client().enroll({ kind: 'ir', newKey: k1.privateKey });
    const e = await rejection(s.client().enroll({ kind: 'kur', newKey: generateKeyPairSync('P-256').privateKey, oldCert: first.certificate }));
    expect(e.code).to.equal('ERR_CMP_REJECTED');
    expect((e as CmpFailure).failInfo).to.deep.equal(['badCertId']);
  });

  it('rr → rp (RFC 9483 §4.2), and a refused revocation', async () => {
    const s = setup(world, manualClockAt());
    const k = generateKeyPairSync('P-256');
    const { certificate } = await s.client().enroll({ kind: 'ir', newKey: k.privateKey });
    await s.client().revoke(certificate, 4);
    const rev = s.policy.revocations[0]!;
    expect(rev.serial).to.equal(certificate.serialNumber.toLowerCase().padStart(rev.serial.length, '0'));
    expect(rev.issuerDer).to.equal(toHex(issuerNameDer(certificate)));
    expect(rev.requester.serialNumber).to.equal('PLEDGE-0001');

    s.policy.revokeResult = { ok: false, failInfo: ['notAuthorized'], text: 'not yours' };
    const e = await rejection(s.client().revoke(certificate));
    expect(e.code).to.equal('ERR_CMP_REJECTED');
    expect((e as CmpFailure).failInfo).to.deep.equal(['notAuthorized']);
    expect(e.message).to.match(/not yours/);
  });

  it('genm → genp: CA certificates, no template, root CA update; unsupported infoType', async () => {
    const s = setup(world, manualClockAt());
    const c = s.client();
    const ca = await c.getCaCerts();
    expect(ca.map((x) => x.subject)).to.deep.equal([world.domainCa.cert.subject, world.domainRoot.cert.subject]);
    expect(await c.getCertReqTemplate()).to.equal(null);
    const both = await c.generalMessage([ID_IT_CA_CERTS, ID_IT_CERT_REQ_TEMPLATE]);
    expect(both.caCerts).to.have.length(2);
    expect(both.certReqTemplate).to.equal(null);
    const upd = await c.getRootCaUpdate(world.domainRoot.cert);
    expect(upd && sameCertificate(upd.newWithNew, world.domainRoot.cert)).to.equal(true);
    const e = await rejection(c.generalMessage(['1.3.6.1.5.5.7.4.23']));
    expect((e as CmpFailure).failInfo).to.deep.equal(['badRequest']);
  });

  it('a rejecting CA: ip with status rejection becomes ERR_CMP_REJECTED with its failInfo', async () => {
    const s = setup(world, manualClockAt());
    s.policy.reject = { failInfo: ['badCertTemplate', 'notAuthorized'], text: 'no LDevID for you' };
    const e = await rejection(s.client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey }));
    expect(e.code).to.equal('ERR_CMP_REJECTED');
    expect((e as CmpFailure).status).to.equal(PKIStatus.rejection);
    expect((e as CmpFailure).failInfo).to.deep.equal(['badCertTemplate', 'notAuthorized']);
    expect(e.message).to.match(/no LDevID for you/);
  });

  it('a certificate for the wrong key: the client refuses it with a negative certConf', async () => {
    const s = setup(world, manualClockAt());
    s.policy.wrongKey = generateKeyPairSync('P-256').publicKey;
    const e = await rejection(s.client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey }));
    expect(e.code).to.equal('ERR_CMP_TRANSACTION');
    expect(e.details.reason).to.equal('wrong-key');
    expect(s.wire.requests).to.deep.equal(['ir', 'certConf']);
    expect(s.policy.confirmations.map((c) => c.accepted)).to.deep.equal([false]);
    const cc = decodePkiMessage(s.wire.requestDers[1]!);
    expect(cc.body.certConf![0]!.statusInfo!.status).to.equal(PKIStatus.rejection);
  });

  describe('implicit confirmation (RFC 9483 §4.1.1)', () => {
    it('granted when the client asks and the responder allows: no certConf', async () => {
      const s = setup(world, manualClockAt(), { allowImplicitConfirm: true });
      const r = await s.client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey, implicitConfirm: true });
      expect(r.implicitConfirmGranted).to.equal(true);
      expect(s.wire.requests).to.deep.equal(['ir']);
      expect(s.policy.requests[0]!.implicitConfirm).to.equal(true);
      expect(s.policy.confirmations.map((c) => c.accepted)).to.deep.equal([true]);
      expect((await s.store.get(r.transactionId))?.state).to.equal('confirmed');
    });

    it('not granted when the responder does not allow it: certConf as usual', async () => {
      const s = setup(world, manualClockAt());
      const r = await s.client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey, implicitConfirm: true });
      expect(r.implicitConfirmGranted).to.equal(false);
      expect(s.wire.requests).to.deep.equal(['ir', 'certConf']);
    });

    it('not granted when the client does not ask', async () => {
      const s = setup(world, manualClockAt(), { allowImplicitConfirm: true });
      const r = await s.client().enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey });
      expect(r.implicitConfirmGranted).to.equal(false);
      expect(s.wire.requests).to.deep.equal(['ir', 'certConf']);
    });
  });

  describe('delayed delivery (RFC 9483 §4.4)', () => {
    it('waiting → pollReq/pollRep honouring checkAfter on the clock → ip → certConf', async () => {
      const clock = manualClockAt();
      const s = setup(world, clock);
      s.policy.waitPolls = 3;
      s.policy.checkAfterSeconds = 5;
      const start = clock.now();
      const newKey = generateKeyPairSync('P-256');
      const r = await drive(clock, s.client().enroll({ kind: 'ir', newKey: newKey.privateKey }));
      expect(samePublicKey(certificatePublicKey(r.certificate), newKey.publicKey)).to.equal(true);
      expect(s.wire.requests).to.deep.equal(['ir', 'pollReq', 'pollReq', 'pollReq', 'certConf']);
      expect(s.wire.responses).to.deep.equal(['ip', 'pollRep', 'pollRep', 'ip', 'pkiconf']);
      const ip = decodePkiMessage(s.wire.responseDers[0]!);
      expect(ip.body.ip!.response[0]!.status.status).to.equal(PKIStatus.waiting);
      // First poll at once, then two waits of checkAfter = 5 s.
      expect(clock.now() - start).to.be.at.least(10_000).and.below(12_000);
    });

    it('gives up after maxPollWaitMs, exports its state, and a new client resumes it', async () => {
      const clock = manualClockAt();
      const s = setup(world, clock);
      s.policy.waitPolls = 3;
      s.policy.checkAfterSeconds = 60;
      const newKey = generateKeyPairSync('P-256');
      const a = s.client({ maxPollWaitMs: 30_000 });
      const e = await rejection(drive(clock, a.enroll({ kind: 'ir', newKey: newKey.privateKey })));
      expect(e.code).to.equal('ERR_CMP_TRANSACTION');
      expect(e.details.reason).to.equal('poll-timeout');
      const state = a.exportState();
      expect(state, 'state kept while the server still waits').to.not.equal(undefined);
      const json = JSON.parse(JSON.stringify(state));
      expect(json.bodyType).to.equal('ir');
      expect(await rejection(a.enroll({ kind: 'ir', newKey: newKey.privateKey }))).to.have.property('code', 'ERR_CMP_TRANSACTION');

      // The same client may go on with it too (here only up to the next checkAfter: it gives up again).
      expect((await rejection(drive(clock, a.resume(json), 5000))).details.reason).to.equal('poll-timeout');

      // "Restart": a fresh client with the same credentials picks up the transaction.
      const b = s.client();
      const r = await drive(clock, b.resume(json), 5000);
      expect(samePublicKey(certificatePublicKey(r.certificate), newKey.publicKey)).to.equal(true);
      expect(toHex(r.transactionId)).to.equal(json.transactionId);
      expect(b.exportState()).to.equal(undefined);
      expect(s.wire.requests.filter((t) => t === 'ir')).to.have.length(1);
      expect(s.wire.requests.at(-1)).to.equal('certConf');
    });
  });

  describe('MAC-protected client (RFC 9483 §3.2, openssl -secret style)', () => {
    it('ir with PBM protection; the answers are MAC-protected with the same secret', async () => {
      const secret = new TextEncoder().encode('enrollment password');
      const kid = new TextEncoder().encode('ref-0001');
      const s = setup(world, manualClockAt(), { macSecret: (k) => (k && toHex(k) === toHex(kid) ? secret : undefined) });
      const c = s.client({ credentials: { kind: 'mac', secret, senderKid: kid, iterationCount: 1000 }, macSender: 'CN=pledge by mac' });
      const r = await c.enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey, subject: 'CN=pledge by mac' });
      expect(r.responder.kind).to.equal('mac');
      expect(s.policy.requests[0]!.requester.kind).to.equal('mac');
      expect(toHex(s.policy.requests[0]!.requester.senderKid!)).to.equal(toHex(kid));
      const ip = decodePkiMessage(s.wire.responseDers[0]!);
      expect(ip.header.protectionAlg!.algorithm).to.equal('1.2.840.113533.7.66.13');
    });

    it('a MAC-protected kur is refused (notAuthorized)', async () => {
      const secret = new TextEncoder().encode('pw');
      const s = setup(world, manualClockAt(), { macSecret: () => secret });
      const c = s.client({ credentials: { kind: 'mac', secret, iterationCount: 1000 } });
      const e = await rejection(c.enroll({ kind: 'kur', newKey: generateKeyPairSync('P-256').privateKey, oldCert: world.pledge.cert }));
      expect((e as CmpFailure).failInfo).to.deep.equal(['notAuthorized']);
    });

    it('without a macSecret on the responder: wrongIntegrity', async () => {
      const s = setup(world, manualClockAt());
      const c = s.client({ credentials: { kind: 'mac', secret: new Uint8Array([1, 2, 3]), iterationCount: 1000 } });
      const e = await rejection(c.enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey }));
      expect((e as CmpFailure).failInfo).to.deep.equal(['wrongIntegrity']);
    });
  });

  describe('nested messages through an RA (RFC 9483 §5.2.2.1)', () => {
    /** A registrar-style RA: wraps each request in nested (same transactionID and senderNonce), unwraps the answer. */
    function raTransfer(s: ReturnType<typeof setup>, ra: { keys: { privateKey: import('node:crypto').KeyObject }; cert: Certificate }, seen: string[]) {
      return async (innerDer: Uint8Array): Promise<Uint8Array> => {
        const inner = decodePkiMessage(innerDer);
        const header = buildHeader({
          sender: directoryName(ra.cert),
          recipient: inner.header.recipient,
          messageTime: new Date(s.clock.now()),
          transactionId: inner.header.transactionID!,
          senderNonce: inner.header.senderNonce!,
        });
        const outer = protectMessage(header, nestedBody([inner]), { kind: 'signature', privateKey: ra.keys.privateKey, certificate: ra.cert, chain: [world.domainCa.cert] });
        const rsp = decodePkiMessage(await s.responder.handle(encodePkiMessage(outer)));
        seen.push(bodyTypeOf(rsp));
        if (bodyTypeOf(rsp) !== 'nested') return encodePkiMessage(rsp);
        expect(toHex(rsp.header.recipNonce!)).to.equal(toHex(inner.header.senderNonce!));
        return encodePkiMessage(rsp.body.nested![0]!);
      };
    }

    it('ir and certConf wrapped by the registrar: the CA sees the RA certificate and the pledge identity', async () => {
      const s = setup(world, manualClockAt());
      const seen: string[] = [];
      const c = new CmpClient({ transfer: raTransfer(s, world.registrar, seen), credentials: s.pledgeCreds, trustAnchors: [world.domainRoot.cert], clock: s.clock, random: s.random });
      const newKey = generateKeyPairSync('P-256');
      const r = await c.enroll({ kind: 'ir', newKey: newKey.privateKey });
      expect(samePublicKey(certificatePublicKey(r.certificate), newKey.publicKey)).to.equal(true);
      expect(seen).to.deep.equal(['nested', 'nested']);
      const req = s.policy.requests[0]!;
      expect(sameCertificate(req.requester.raCertificate!, world.registrar.cert)).to.equal(true);
      expect(req.requester.serialNumber).to.equal('PLEDGE-0001');
    });

    it('an inner request that waited hours in the RA store is accepted: the fresh outer messageTime of the RA vouches', async () => {
      const s = setup(world, manualClockAt());
      const seen: string[] = [];
      const relay = raTransfer(s, world.registrar, seen);
      const late = async (der: Uint8Array): Promise<Uint8Array> => {
        s.clock.advance(3 * 3600_000); // the CA was unreachable for three hours
        return relay(der);
      };
      const c = new CmpClient({ transfer: late, credentials: s.pledgeCreds, trustAnchors: [world.domainRoot.cert], clock: s.clock, random: s.random, sendMessageTime: true });
      const r = await c.enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey });
      expect(r.certificate).to.not.equal(undefined);
      expect(seen).to.deep.equal(['nested', 'nested']);
    });

    it('an outer signer without id-kp-cmcRA is refused with notAuthorized', async () => {
      const s = setup(world, manualClockAt());
      const seen: string[] = [];
      const c = new CmpClient({ transfer: raTransfer(s, world.pledge, seen), credentials: s.pledgeCreds, trustAnchors: [world.domainRoot.cert], clock: s.clock, random: s.random });
      const e = await rejection(c.enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey }));
      expect(seen).to.deep.equal(['error']);
      // The outer error answers the outer message, whose transactionID and senderNonce are the inner ones.
      expect(e.code).to.equal('ERR_CMP_REJECTED');
      expect((e as CmpFailure).failInfo).to.deep.equal(['notAuthorized']);
      expect(s.policy.requests).to.have.length(0);
    });
  });

  it('messages carry the RFC 9483 §3.1 header fields', async () => {
    const s = setup(world, manualClockAt());
    await s.client({ recipient: world.raCa.cert }).enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey, implicitConfirm: true });
    const ir = decodePkiMessage(s.wire.requestDers[0]!);
    const ip = decodePkiMessage(s.wire.responseDers[0]!);
    expect(ir.header.pvno).to.equal(2);
    expect(ir.header.transactionID).to.have.length(16);
    expect(ir.header.senderNonce).to.have.length(16);
    expect(ir.header.recipNonce).to.equal(undefined);
    expect(ir.header.messageTime!.getTime()).to.equal(T0.getTime());
    expect(toHex(encodeAsn1(ir.header.sender.directoryName!))).to.equal(toHex(subjectNameDer(world.pledge.cert)));
    expect(toHex(encodeAsn1(ir.header.recipient.directoryName!))).to.equal(toHex(subjectNameDer(world.raCa.cert)));
    expect(ir.header.generalInfo!.map((i) => i.infoType)).to.deep.equal(['1.3.6.1.5.5.7.4.13']);
    expect(ir.extraCerts!.map((c) => toHex(c.der))).to.deep.equal([toHex(certificateDer(world.pledge.cert)), toHex(certificateDer(world.mfgCa.cert))]);
    expect(toHex(ip.header.recipNonce!)).to.equal(toHex(ir.header.senderNonce!));
    expect(toHex(ip.header.transactionID!)).to.equal(toHex(ir.header.transactionID!));
    expect(toHex(encodeAsn1(ip.header.recipient.directoryName!))).to.equal(toHex(subjectNameDer(world.pledge.cert)));
    expect(ip.extraCerts!.map((c) => toHex(c.der))).to.deep.equal(
      [world.raCa.cert, world.domainCa.cert].map((c) => toHex(certificateDer(c))),
      'responder cert, its chain, then the issued chain without duplicates',
    );
    const cc = decodePkiMessage(s.wire.requestDers[1]!);
    expect(toHex(cc.header.recipNonce!)).to.equal(toHex(ip.header.senderNonce!));
  });
});
