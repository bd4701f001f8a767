/**
 * Our CmpResponder answering the requests `openssl cmp` made (test/fixtures/cmp/openssl): its
 * protection, POP (CRMF and PKCS#10), kur oldCertID and MAC (PBM) are all accepted, and the
 * answers are well-formed and protected in kind.
 */
import { createPublicKey } from 'node:crypto';
import { expect } from 'chai';
import { toHex } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { PKIStatus, bodyTypeOf, decodePkiMessage } from '../../../src/codec/cmp/index.ts';
import { generateKeyPairSync, issueCertificate, sameCertificate } from '../../../src/pki/index.ts';
import {
  CmpResponder,
  MemoryTransactionStore,
  verifyProtection,
  type CertRequestInfo,
  type CmpResponderPolicy,
  type IssueDecision,
} from '../../../src/protocol/cmp/index.ts';
import { FIXTURE_MAC_REF, FIXTURE_MAC_SECRET, fixture, fixtureCert } from './helpers.ts';

describe('cmp-protocol/responder: requests made by openssl cmp', () => {
  const root = fixtureCert('root');
  const client = fixtureCert('client');
  const ldevid = fixtureCert('new');
  const requests: CertRequestInfo[] = [];
  const revoked: string[] = [];
  let responder: CmpResponder;
  let caRoot: Awaited<ReturnType<typeof makeCa>>;

  async function makeCa() {
    const keys = generateKeyPairSync('P-256');
    const cert = await issueCertificate({
      subject: 'CN=Our CA',
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z'),
      basicConstraints: { ca: true },
      keyUsage: ['keyCertSign', 'digitalSignature'],
    });
    return { keys, cert };
  }

  before(async () => {
    caRoot = await makeCa();
    const policy: CmpResponderPolicy = {
      async issue(req): Promise<IssueDecision> {
        requests.push(req);
        const certificate = await issueCertificate({
          subject: 'CN=issued',
          publicKey: createPublicKey({ key: Buffer.from(req.publicKeyDer), format: 'der', type: 'spki' }),
          issuerCertificate: caRoot.cert,
          signingKey: caRoot.keys.privateKey,
          notBefore: new Date('2026-01-01T00:00:00Z'),
        });
        return { kind: 'issued', certificate };
      },
      async poll() {
        return { kind: 'rejected', failInfo: ['badRequest'], text: 'no' };
      },
      async confirm() {},
      async revoke(serial) {
        revoked.push(toHex(serial));
        return { ok: true };
      },
      async generalInfo() {
        return undefined;
      },
    };
    responder = new CmpResponder({
      signer: { privateKey: caRoot.keys.privateKey, certificate: caRoot.cert, chain: [] },
      trustAnchors: [root],
      macSecret: (kid) => (kid && toHex(kid) === toHex(FIXTURE_MAC_REF) ? FIXTURE_MAC_SECRET : undefined),
      store: new MemoryTransactionStore(),
      policy,
      // The fixtures' messageTime, so that badTime does not fire.
      clock: new ManualClock(decodePkiMessage(fixture('ir.1.ir.der')).header.messageTime!.getTime()),
      random: seededRandom(9),
    });
  });

  const cases: [string, string, number][] = [
    ['ir.1.ir.der', 'ip', 0],
    ['cr.1.cr.der', 'cp', 0],
    ['p10cr.1.p10cr.der', 'cp', -1],
    ['kur.1.kur.der', 'kup', 0],
    ['ir-implicit.1.ir.der', 'ip', 0],
    ['ir-mac.1.ir.der', 'ip', 0],
  ];
  for (const [file, expected, certReqId] of cases) {
    it(`${file} → ${expected} (certReqId ${certReqId})`, async () => {
      const req = decodePkiMessage(fixture(file));
      const rsp = decodePkiMessage(await responder.handle(fixture(file)));
      expect(bodyTypeOf(rsp), JSON.stringify(rsp.body.error?.pKIStatusInfo.statusString)).to.equal(expected);
      const response = (rsp.body as unknown as Record<string, { response: { certReqId: number; status: { status: number } }[] }>)[expected]!.response[0]!;
      expect(response.certReqId).to.equal(certReqId);
      expect(response.status.status).to.equal(PKIStatus.accepted);
      expect(toHex(rsp.header.recipNonce!)).to.equal(toHex(req.header.senderNonce!));
      const info = verifyProtection(rsp, { trustAnchors: [caRoot.cert], macSecret: () => FIXTURE_MAC_SECRET, at: rsp.header.messageTime! });
      expect(info.kind).to.equal(file.startsWith('ir-mac') ? 'mac' : 'signature');
      const seen = requests.at(-1)!;
      if (file.startsWith('kur')) expect(sameCertificate(seen.oldCertificate!, ldevid)).to.equal(true);
      if (file.startsWith('ir-mac')) expect(seen.requester.kind).to.equal('mac');
      else if (!file.startsWith('kur')) expect(sameCertificate(seen.requester.certificate!, client)).to.equal(true);
      expect(seen.implicitConfirm).to.equal(file.startsWith('ir-implicit'));
    });
  }

  it('rr.1.rr.der → rp, revoking the serial openssl named', async () => {
    const rsp = decodePkiMessage(await responder.handle(fixture('rr.1.rr.der')));
    expect(bodyTypeOf(rsp)).to.equal('rp');
    expect(rsp.body.rp!.status[0]!.status).to.equal(PKIStatus.accepted);
    expect(revoked.at(-1)!.replace(/^0+/, '')).to.equal(ldevid.serialNumber.toLowerCase().replace(/^0+/, ''));
  });

  it('genm-cacerts.1.genm.der → genp with the id-it-caCerts type', async () => {
    const rsp = decodePkiMessage(await responder.handle(fixture('genm-cacerts.1.genm.der')));
    expect(bodyTypeOf(rsp)).to.equal('genp');
    expect(rsp.body.genp!.map((i) => i.infoType)).to.deep.equal(['1.3.6.1.5.5.7.4.17']);
  });
});
