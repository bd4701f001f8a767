/**
 * What the responder refuses, and with which failInfo (RFC 9483 §3.1, §3.5, §3.6.4, §4.1), what
 * the client refuses in responses, and how errors map to ErrorMsgContent.
 */
import { expect } from 'chai';
import { toHex } from '../../../src/core/bytes.ts';
import { StackError } from '../../../src/core/errors.ts';
import {
  PKIHeader,
  PKIMessage,
  PKIStatus,
  bodyTypeOf,
  decodePkiMessage,
  encodePkiMessage,
} from '../../../src/codec/cmp/index.ts';
import { generateKeyPairSync, parseCertificate, type KeyPair } from '../../../src/pki/index.ts';
import {
  CmpFailure,
  buildCertReqMsg,
  buildCertTemplate,
  buildHeader,
  certConfBody,
  certRequestBody,
  cmpFailure,
  directoryName,
  errorBody,
  errorMessageBody,
  pollReqBody,
  protectMessage,
  verifyProtection,
  type ProtectionCredentials,
} from '../../../src/protocol/cmp/index.ts';
import { T0, makeCert, makeRoot, makeWorld, manualClockAt, rejection, type TestWorld } from './helpers.ts';
import { der, rawRequest, setup, type Setup } from './world.ts';

function irBody(newKey: KeyPair, popKey = newKey.privateKey, certReqId = 0) {
  const template = buildCertTemplate({ subject: 'CN=x', publicKey: newKey.publicKey });
  return certRequestBody('ir', [buildCertReqMsg({ template, certReqId, popKey })]);
}

/** Handles `m` and decodes the answer. */
async function send(s: Setup, m: PKIMessage | Uint8Array): Promise<PKIMessage> {
  const rsp = await s.responder.handle(m instanceof Uint8Array ? m : der(m));
  const decoded = decodePkiMessage(rsp);
  // Every answer, errors included, is protected by the responder.
  verifyProtection(decoded, { trustAnchors: [s.world.domainRoot.cert], at: T0 });
  return decoded;
}

function expectError(m: PKIMessage, failInfo: string[]): void {
  expect(bodyTypeOf(m), 'an error message').to.equal('error');
  const info = m.body.error!.pKIStatusInfo;
  expect(info.status).to.equal(PKIStatus.rejection);
  expect(info.failInfo?.names(), `failInfo (${[...(info.statusString ?? [])].join('; ')})`).to.deep.equal(failInfo);
}

describe('cmp-protocol/responder: refusals (RFC 9483 §3.5, §3.6.4)', () => {
  let world: TestWorld;
  let s: Setup;
  let pledge: ProtectionCredentials;
  before(async () => {
    world = await makeWorld();
  });
  beforeEach(() => {
    s = setup(world, manualClockAt());
    pledge = s.pledgeCreds;
  });

  it('bytes that are not a PKIMessage: error badDataFormat (signed, no transactionID)', async () => {
    const m = await send(s, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]));
    expectError(m, ['badDataFormat']);
    expect(m.header.transactionID).to.equal(undefined);
  });

  it('a tampered message: badMessageCheck; the answer echoes transactionID and senderNonce', async () => {
    const ir = rawRequest(irBody(generateKeyPairSync('P-256')), pledge, s.random);
    const bytes = Uint8Array.from(der(ir));
    const at = Buffer.from(bytes).indexOf(Buffer.from(ir.header.senderNonce!));
    bytes[at + 3]! ^= 0x10;
    const m = await send(s, bytes);
    expectError(m, ['badMessageCheck']);
    expect(toHex(m.header.transactionID!)).to.equal(toHex(ir.header.transactionID!));
    expect(m.header.recipNonce).to.have.length(16);
    expect(s.policy.requests).to.have.length(0);
  });

  it('a signer outside the trust anchors: signerNotTrusted', async () => {
    const rogueRoot = await makeRoot('Rogue Root');
    const rogue = await makeCert('Rogue', rogueRoot);
    const creds: ProtectionCredentials = { kind: 'signature', privateKey: rogue.keys.privateKey, certificate: rogue.cert };
    expectError(await send(s, rawRequest(irBody(generateKeyPairSync('P-256')), creds, s.random)), ['signerNotTrusted']);
  });

  it('POP by another key, or no POP: badPOP, and nothing reaches the policy', async () => {
    const k = generateKeyPairSync('P-256');
    const other = generateKeyPairSync('P-256');
    expectError(await send(s, rawRequest(irBody(k, other.privateKey), pledge, s.random)), ['badPOP']);
    const template = buildCertTemplate({ publicKey: k.publicKey });
    const noPop = certRequestBody('ir', [buildCertReqMsg({ template })]);
    expectError(await send(s, rawRequest(noPop, pledge, s.random)), ['badPOP']);
    const raVerified = certRequestBody('ir', [buildCertReqMsg({ template, raVerified: true })]);
    expectError(await send(s, rawRequest(raVerified, pledge, s.random)), ['badPOP']);
    expect(s.policy.requests).to.have.length(0);
  });

  it('raVerified POP from an authorized RA (id-kp-cmcRA) that re-protected the request (RFC 9483 §5.2.3.2)', async () => {
    const template = buildCertTemplate({ publicKey: generateKeyPairSync('P-256').publicKey });
    const ra: ProtectionCredentials = { kind: 'signature', privateKey: world.registrar.keys.privateKey, certificate: world.registrar.cert, chain: [world.domainCa.cert] };
    const m = await send(s, rawRequest(certRequestBody('cr', [buildCertReqMsg({ template, raVerified: true })]), ra, s.random));
    expect(bodyTypeOf(m), JSON.stringify(m.body.error?.pKIStatusInfo.statusString)).to.equal('cp');
    expect(m.body.cp!.response[0]!.status.status).to.equal(PKIStatus.accepted);
  });

  it('more than one CertReqMsg, or certReqId ≠ 0: badRequest', async () => {
    const k = generateKeyPairSync('P-256');
    const msg = buildCertReqMsg({ template: buildCertTemplate({ publicKey: k.publicKey }), popKey: k.privateKey });
    expectError(await send(s, rawRequest(certRequestBody('ir', [msg, msg]), pledge, s.random)), ['badRequest']);
    expectError(await send(s, rawRequest(irBody(k, k.privateKey, 1), pledge, s.random)), ['badRequest']);
  });

  it('header checks: pvno, transactionID, senderNonce, messageTime', async () => {
    const body = irBody(generateKeyPairSync('P-256'));
    expectError(await send(s, rawRequest(body, pledge, s.random, { pvno: 1 })), ['unsupportedVersion']);
    expectError(await send(s, rawRequest(body, pledge, s.random, { senderNonce: new Uint8Array(8) })), ['badSenderNonce']);
    expectError(await send(s, rawRequest(body, pledge, s.random, { messageTime: new Date(T0.getTime() + 3600_000) })), ['badTime']);
    const noTid = protectMessage(buildHeader({ sender: directoryName(world.pledge.cert), senderNonce: s.random.bytes(16), messageTime: T0 }), body, pledge);
    expectError(await send(s, noTid), ['badDataFormat']);
    expect(s.policy.requests).to.have.length(0);
  });

  describe('transactions', () => {
    /** Sends an ir and returns it with its (accepted) ip. */
    async function issued(): Promise<{ ir: PKIMessage; ip: PKIMessage }> {
      const ir = rawRequest(irBody(generateKeyPairSync('P-256')), pledge, s.random);
      const ip = await send(s, ir);
      expect(bodyTypeOf(ip)).to.equal('ip');
      return { ir, ip };
    }

    function certConf(ir: PKIMessage, ip: PKIMessage, o: { recipNonce?: Uint8Array; transactionId?: Uint8Array; wrongHash?: boolean } = {}): PKIMessage {
      const cert = parseCertificate(ip.body.ip!.response[0]!.certifiedKeyPair!.certOrEncCert.certificate!.der);
      const { body, pvno } = certConfBody({ certificate: cert, certReqId: 0 });
      if (o.wrongHash) body.certConf![0]!.certHash[0]! ^= 0xff;
      return rawRequest(body, pledge, s.random, {
        pvno,
        transactionId: o.transactionId ?? ir.header.transactionID!,
        recipNonce: o.recipNonce ?? ip.header.senderNonce!,
      });
    }

    it('a retransmitted request gets the stored response, byte for byte; nothing is issued twice', async () => {
      const ir = der(rawRequest(irBody(generateKeyPairSync('P-256')), pledge, s.random));
      const [a, b] = await Promise.all([s.responder.handle(ir), s.responder.handle(ir)]);
      const c = await s.responder.handle(ir);
      expect(toHex(b)).to.equal(toHex(a));
      expect(toHex(c)).to.equal(toHex(a));
      expect(s.policy.requests).to.have.length(1);

      const ip = decodePkiMessage(a);
      const cc = der(certConf(decodePkiMessage(ir), ip));
      const p1 = await s.responder.handle(cc);
      const p2 = await s.responder.handle(cc);
      expect(bodyTypeOf(decodePkiMessage(p1))).to.equal('pkiconf');
      expect(toHex(p2)).to.equal(toHex(p1));
      expect(s.policy.confirmations).to.have.length(1);
    });

    it('a different request reusing a transactionID: transactionIdInUse', async () => {
      const { ir } = await issued();
      const again = rawRequest(irBody(generateKeyPairSync('P-256')), pledge, s.random, { transactionId: ir.header.transactionID! });
      expectError(await send(s, again), ['transactionIdInUse']);
    });

    it('certConf with a wrong recipNonce: badRecipientNonce; the transaction goes on', async () => {
      const { ir, ip } = await issued();
      expectError(await send(s, certConf(ir, ip, { recipNonce: s.random.bytes(16) })), ['badRecipientNonce']);
      expect(bodyTypeOf(await send(s, certConf(ir, ip)))).to.equal('pkiconf');
    });

    it('certConf with an unknown transactionID: badRequest', async () => {
      const { ir, ip } = await issued();
      expectError(await send(s, certConf(ir, ip, { transactionId: s.random.bytes(16) })), ['badRequest']);
      expect(s.policy.confirmations).to.have.length(0);
    });

    it('certConf with a wrong certHash: badCertId; a second certConf after pkiConf: certConfirmed', async () => {
      const { ir, ip } = await issued();
      expectError(await send(s, certConf(ir, ip, { wrongHash: true })), ['badCertId']);
      const conf = await send(s, certConf(ir, ip));
      expect(bodyTypeOf(conf)).to.equal('pkiconf');
      expectError(await send(s, certConf(ir, ip, { recipNonce: conf.header.senderNonce! })), ['certConfirmed']);
    });

    it('pollReq while nothing is waiting: badRequest', async () => {
      const { ir, ip } = await issued();
      const poll = rawRequest(pollReqBody(0), pledge, s.random, { transactionId: ir.header.transactionID!, recipNonce: ip.header.senderNonce! });
      expectError(await send(s, poll), ['badRequest']);
    });

    it('a request type the profile does not use here (error from the client): badRequest', async () => {
      const m = rawRequest(errorBody(errorMessageBody(cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', 'x'))), pledge, s.random);
      expectError(await send(s, m), ['badRequest']);
    });
  });
});

describe('cmp-protocol/client: refusals of bad responses', () => {
  let world: TestWorld;
  before(async () => {
    world = await makeWorld();
  });

  /** A client whose transfer answers with `answer(request)`. */
  function clientAnswering(s: Setup, answer: (req: PKIMessage, real: () => Promise<PKIMessage>) => Promise<PKIMessage | Uint8Array>) {
    return s.client({
      transfer: async (reqDer) => {
        const req = decodePkiMessage(reqDer);
        const r = await answer(req, async () => decodePkiMessage(await s.responder.handle(reqDer)));
        return r instanceof Uint8Array ? r : encodePkiMessage(r);
      },
    });
  }

  function resign(m: PKIMessage, header: Partial<PKIHeader>, w: TestWorld): PKIMessage {
    return protectMessage(new PKIHeader({ ...m.header, ...header, senderKID: undefined }), m.body, {
      kind: 'signature',
      privateKey: w.raCa.keys.privateKey,
      certificate: w.raCa.cert,
      chain: [w.domainCa.cert],
    });
  }

  it('another transactionID: ERR_CMP_TRANSACTION', async () => {
    const s = setup(world, manualClockAt());
    const c = clientAnswering(s, async (_req, real) => resign(await real(), { transactionID: new Uint8Array(16) }, world));
    const e = await rejection(c.enroll({ kind: 'ir', newKey: generateKeyPairSync('P-256').privateKey }));
    expect(e.code).to.equal('ERR_CMP_TRANSACTION');
    expect(e.message).to.match(/transactionID/);
  });

  it('a recipNonce that is not our senderNonce: ERR_CMP_TRANSACTION badRecipientNonce', async () => {
    const s = setup(world, manualClockAt());
    const c = clientAnswering(s, async (_req, real) => resign(await real(), { recipNonce: new Uint8Array(16) }, world));
    const e = await rejection(c.getCaCerts());
    expect(e.code).to.equal('ERR_CMP_TRANSACTION');
    expect((e as CmpFailure).failInfo).to.deep.equal(['badRecipientNonce']);
  });

  it('a responder outside our trust anchors: ERR_CMP_PROTECTION signerNotTrusted', async () => {
    const s = setup(world, manualClockAt());
    const other = await makeRoot('Other');
    const e = await rejection(s.client({ trustAnchors: [other.cert] }).getCaCerts());
    expect(e.code).to.equal('ERR_CMP_PROTECTION');
    expect((e as CmpFailure).failInfo).to.deep.equal(['signerNotTrusted']);
  });

  it('an unprotected error message still ends the transaction, marked unprotected', async () => {
    const s = setup(world, manualClockAt());
    const c = clientAnswering(s, async (req) => {
      const h = buildHeader({ sender: directoryName('CN=somebody'), transactionId: req.header.transactionID!, senderNonce: new Uint8Array(16), recipNonce: req.header.senderNonce! });
      return new PKIMessage({ header: h, body: errorBody(errorMessageBody(cmpFailure('ERR_CMP_TRANSACTION', 'systemUnavail', 'down for maintenance'))) });
    });
    const e = await rejection(c.getCaCerts());
    expect(e.code).to.equal('ERR_CMP_REJECTED');
    expect(e.details.protected).to.equal(false);
    expect((e as CmpFailure).failInfo).to.deep.equal(['systemUnavail']);
  });

  it('garbage or a failing transfer: ERR_CMP_MALFORMED / ERR_IO', async () => {
    const s = setup(world, manualClockAt());
    expect((await rejection(s.client({ transfer: async () => new Uint8Array([1, 2, 3]) }).getCaCerts())).code).to.equal('ERR_CMP_MALFORMED');
    expect((await rejection(s.client({ transfer: async () => Promise.reject(new Error('ECONNREFUSED')) }).getCaCerts())).code).to.equal('ERR_IO');
  });

  it('an unexpected body type: ERR_CMP_TRANSACTION', async () => {
    const s = setup(world, manualClockAt());
    // Answer the genm with the answer to a different genm of the same transaction.
    const c = clientAnswering(s, async (_req, real) => {
      const rsp = await real();
      return resign(new PKIMessage({ ...rsp, body: certConfBody({ certificate: world.pledge.cert, certReqId: 0 }).body }), {}, world);
    });
    const e = await rejection(c.getCaCerts());
    expect(e.code).to.equal('ERR_CMP_TRANSACTION');
    expect(e.message).to.match(/expected genp/);
  });
});

describe('cmp-protocol/failure: errors become ErrorMsgContent', () => {
  it('maps codes and CmpFailures to failInfo bits; internal errors say nothing internal', () => {
    const bits = (e: unknown): string[] => errorMessageBody(e).pKIStatusInfo.failInfo!.names();
    expect(bits(new StackError('ERR_CMP_MALFORMED', 'x'))).to.deep.equal(['badDataFormat']);
    expect(bits(new StackError('ERR_CMP_POP_FAILED', 'x'))).to.deep.equal(['badPOP']);
    expect(bits(new StackError('ERR_CERT_CHAIN', 'x'))).to.deep.equal(['signerNotTrusted']);
    expect(bits(cmpFailure('ERR_CMP_TRANSACTION', ['badTime', 'badRequest'], 'x'))).to.deep.equal(['badRequest', 'badTime']);
    const internal = errorMessageBody(new Error('secret path /etc/key'));
    expect(internal.pKIStatusInfo.failInfo!.names()).to.deep.equal(['systemFailure']);
    expect([...internal.pKIStatusInfo.statusString!].join()).to.not.match(/etc/);
    expect(internal.pKIStatusInfo.status).to.equal(PKIStatus.rejection);
  });
});

