import { expect } from 'chai';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension, Extensions } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { utf8 } from '../../../src/core/bytes.ts';
import {
  CaCertsValue,
  CertReqTemplateContent,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_ROOT_CA_CERT,
  ID_IT_ROOT_CA_KEY_UPDATE,
  ID_REG_CTRL_ALG_ID,
  decodeInfoValue,
  type InfoTypeAndValue,
} from '../../../src/codec/cmp/index.ts';
import {
  OID_KP_CLIENT_AUTH,
  OID_KP_SERVER_AUTH,
  OID_SECP256R1,
  buildName,
  certificateDer,
  certificateSerialHex,
  exportPublicKeyDer,
  formatName,
  generateKeyPairSync,
  initTestPki,
  readExtendedKeyUsage,
  readSubjectSerialNumber,
  subjectAltNameExtension,
  verifyChain,
  type Certificate,
  type TestPki,
} from '../../../src/pki/index.ts';
import type { CertRequestInfo, IssueDecision, RequesterIdentity } from '../../../src/protocol/cmp/responder.ts';
import { CaDb } from '../../../src/store/ca-db.ts';
import { CaPolicy, nameAttributes, type CaPolicyOptions } from '../../../ca/policy.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';

let counter = 0;
const newTid = (): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0x42 : i === 15 ? ++counter : i));

function issuedCert(d: IssueDecision): Certificate {
  if (d.kind !== 'issued') throw new Error(`expected issued, got ${JSON.stringify(d)}`);
  return d.certificate;
}

describe('ca policy (ca/policy.ts)', function () {
  this.timeout(30_000);
  let dir: TempDir;
  let pki: TestPki;
  let db: CaDb;
  let dbFile: string;

  before(async () => {
    dir = makeTempDir('brski-ca-policy-');
    pki = await initTestPki(join(dir.path, 'pki'), { pledges: 3 });
  });
  after(() => dir.remove());

  beforeEach(() => {
    dbFile = join(dir.path, `ca-${++counter}.db`);
    db = CaDb.open(dbFile);
    db.replaceInventory({ 'site-a': ['PLEDGE-0001', 'PLEDGE-0002'] });
  });
  afterEach(() => db.close());

  function policy(extra: Partial<CaPolicyOptions> = {}): CaPolicy {
    const issuing = pki.domain.issuingCa;
    return new CaPolicy({
      db,
      issuer: { privateKey: issuing.privateKey, certificate: issuing.certificate, chain: issuing.chain },
      rootCa: pki.domain.rootCa.certificate,
      manualApproval: false,
      checkAfterSeconds: 7,
      allowAny: false,
      validityDays: 30,
      subjectPattern: 'O=BRSKI-AE Test Domain, CN=LDevID {serial}',
      sanDns: [],
      copyRequestedSan: true,
      caPubs: true,
      templates: {
        default: { subject: 'O=BRSKI-AE Test Domain, CN={serial}', keyType: 'P-256', eku: [OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH] },
        'site-b': { subject: 'O=Site B, OU=Sensors, CN={serial}', keyType: 'P-384', eku: [OID_KP_CLIENT_AUTH] },
      },
      ...extra,
    });
  }

  function idevid(i: number): RequesterIdentity {
    const p = pki.pledges[i]!;
    return { kind: 'signature', certificate: p.certificate, chain: p.chain, serialNumber: p.serialNumber };
  }

  function request(extra: Partial<CertRequestInfo> = {}): CertRequestInfo {
    return {
      bodyType: 'ir',
      certReqId: 0,
      transactionId: newTid(),
      subjectDer: new Uint8Array(buildName('O=BRSKI-AE Test Domain, CN=pledge one').toArrayBuffer()),
      publicKeyDer: exportPublicKeyDer(generateKeyPairSync('P-256').publicKey),
      requester: idevid(0),
      implicitConfirm: false,
      label: 'site-a',
      requestDer: Uint8Array.of(0x30, 0x00),
      ...extra,
    };
  }

  describe('authorization by inventory', () => {
    it('issues an LDevID to a pledge in the inventory of the label', async () => {
      const san = AsnConvert.serialize(new Extensions([AsnConvert.parse(subjectAltNameExtension({ dns: ['pledge-1.example'] }).rawData, Extension)]));
      const req = request({ extensionsDer: new Uint8Array(san) });
      const d = await policy().issue(req);
      const cert = issuedCert(d);
      expect(d.kind === 'issued' && d.caPubs?.map(certificateDer)).to.deep.equal([certificateDer(pki.domain.rootCa.certificate)]);
      expect(cert.issuer).to.equal(pki.domain.issuingCa.certificate.subject);
      expect(readSubjectSerialNumber(cert)).to.equal('PLEDGE-0001');
      expect(formatName(cert.subjectName)).to.match(/CN=pledge one/);
      expect(readExtendedKeyUsage(cert)).to.deep.equal([OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH]);
      expect(cert.getExtension('2.5.29.17')).to.not.equal(null);
      const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000;
      expect(days).to.be.within(29.9, 30.01);
      const path = verifyChain(cert, pki.domain.issuingCa.chain, [pki.domain.rootCa.certificate], { requireEku: OID_KP_CLIENT_AUTH });
      expect(path).to.have.length(3);
      const stored = db.issuedForTransaction(req.transactionId)!;
      expect(stored).to.include({ pledgeSerial: 'PLEDGE-0001', label: 'site-a', bodyType: 'ir', serial: certificateSerialHex(cert) });
    });

    it('refuses a pledge missing from the inventory (notAuthorized)', async () => {
      const d = await policy().issue(request({ requester: idevid(2) }));
      expect(d).to.deep.include({ kind: 'rejected', failInfo: ['notAuthorized'] });
      expect(db.countIssued()).to.equal(0);
    });

    it('refuses a known pledge under another label, and without label uses "default"', async () => {
      expect(await policy().issue(request({ label: 'site-b' }))).to.deep.include({ kind: 'rejected', failInfo: ['notAuthorized'] });
      const { label: _omit, ...unlabelled } = request();
      expect(await policy().issue(unlabelled)).to.deep.include({ kind: 'rejected', failInfo: ['notAuthorized'] });
      db.replaceInventory({ default: ['PLEDGE-0001'] });
      expect((await policy().issue({ ...unlabelled, transactionId: newTid() })).kind).to.equal('issued');
    });

    it('admits everybody with allowAny, except an explicit denial', async () => {
      expect((await policy({ allowAny: true }).issue(request({ requester: idevid(2) }))).kind).to.equal('issued');
      db.setInventoryEntry('site-a', 'PLEDGE-0003', false);
      expect(await policy({ allowAny: true }).issue(request({ requester: idevid(2) }))).to.deep.include({ failInfo: ['notAuthorized'] });
    });

    it('refuses a requester without any serial number (badRequest)', async () => {
      const registrar = pki.domain.registrar;
      const d = await policy().issue(request({ requester: { kind: 'signature', certificate: registrar.certificate, chain: registrar.chain } }));
      expect(d).to.deep.include({ kind: 'rejected', failInfo: ['badRequest'] });
    });

    it('authorizes MAC-protected requests by their senderKID', async () => {
      const mac: RequesterIdentity = { kind: 'mac', senderKid: utf8('PLEDGE-0002') };
      const cert = issuedCert(await policy().issue(request({ requester: mac, subjectDer: undefined })));
      expect(readSubjectSerialNumber(cert)).to.equal('PLEDGE-0002');
      expect(formatName(cert.subjectName)).to.match(/CN=LDevID PLEDGE-0002/);
      const other: RequesterIdentity = { kind: 'mac', senderKid: utf8('someone') };
      expect(await policy().issue(request({ requester: other }))).to.deep.include({ failInfo: ['notAuthorized'] });
    });
  });

  describe('certificate content', () => {
    it('builds the subject from the pattern when the request has none, with the pledge serial', async () => {
      const cert = issuedCert(await policy().issue(request({ subjectDer: undefined })));
      expect(formatName(cert.subjectName)).to.equal('O=BRSKI-AE Test Domain, CN=LDevID PLEDGE-0001, serialNumber=PLEDGE-0001');
    });

    it("builds the subject from the pattern when the request only repeats the requester's IDevID subject", async () => {
      const idevidSubject = new Uint8Array(pki.pledges[0]!.certificate.subjectName.toArrayBuffer());
      const cert = issuedCert(await policy().issue(request({ subjectDer: idevidSubject })));
      expect(formatName(cert.subjectName)).to.equal('O=BRSKI-AE Test Domain, CN=LDevID PLEDGE-0001, serialNumber=PLEDGE-0001');
    });

    it('refuses a requested serialNumber that is not the IDevID one (badCertTemplate)', async () => {
      const subjectDer = new Uint8Array(buildName('CN=x, serialNumber=PLEDGE-0002').toArrayBuffer());
      expect(await policy().issue(request({ subjectDer }))).to.deep.include({ kind: 'rejected', failInfo: ['badCertTemplate'] });
    });

    it('puts configured DNS SANs in, with the serial filled in', async () => {
      const cert = issuedCert(await policy({ sanDns: ['{serial}.{label}.example'] }).issue(request()));
      const san = cert.getExtension('2.5.29.17')!;
      expect(Buffer.from(san.value).toString('latin1')).to.include('PLEDGE-0001.site-a.example');
    });
  });

  describe('one certificate per transaction', () => {
    it('answers a repeated request with the stored certificate', async () => {
      const req = request();
      const a = issuedCert(await policy().issue(req));
      const b = issuedCert(await policy().issue(req));
      expect(certificateDer(b)).to.deep.equal(certificateDer(a));
      expect(db.allIssuedForTransaction(req.transactionId)).to.have.length(1);
    });

    it('signs once for concurrent requests of one transaction', async () => {
      const p = policy();
      const req = request();
      const all = await Promise.all([p.issue(req), p.issue(req), p.issue(req)]);
      const ders = new Set(all.map((d) => Buffer.from(certificateDer(issuedCert(d))).toString('hex')));
      expect(ders.size).to.equal(1);
      expect(db.countIssued()).to.equal(1);
    });

    it('returns the stored certificate after a restart (new policy, reopened database)', async () => {
      const req = request();
      const a = issuedCert(await policy().issue(req));
      db.close();
      db = CaDb.open(dbFile);
      const b = issuedCert(await policy().issue(req));
      expect(certificateSerialHex(b)).to.equal(certificateSerialHex(a));
      expect(db.countIssued()).to.equal(1);
    });
  });

  describe('manual approval', () => {
    it('waits, then issues at the poll after the operator approves', async () => {
      const p = policy({ manualApproval: true });
      const req = request();
      expect(await p.issue(req)).to.deep.include({ kind: 'waiting', checkAfterSeconds: 7 });
      const pending = db.listApprovals('pending');
      expect(pending).to.have.length(1);
      expect(pending[0]).to.include({ pledgeSerial: 'PLEDGE-0001', label: 'site-a', bodyType: 'ir' });
      expect(pending[0]!.subject).to.match(/serialNumber=PLEDGE-0001/);
      expect((await p.poll(req.transactionId, 0)).kind).to.equal('waiting');
      expect(db.countIssued()).to.equal(0);
      // the operator command runs in another process: another connection to the file
      const operator = CaDb.open(dbFile);
      operator.decideApproval(pending[0]!.id, 'approved');
      operator.close();
      const cert = issuedCert(await p.poll(req.transactionId, 0));
      expect(readSubjectSerialNumber(cert)).to.equal('PLEDGE-0001');
      expect(certificateDer(issuedCert(await p.poll(req.transactionId, 0)))).to.deep.equal(certificateDer(cert));
      expect(certificateDer(issuedCert(await p.issue(req)))).to.deep.equal(certificateDer(cert));
      expect(db.countIssued()).to.equal(1);
    });

    it('answers a rejection with notAuthorized and the operator reason', async () => {
      const p = policy({ manualApproval: true });
      const req = request();
      await p.issue(req);
      db.decideApproval(db.listApprovals('pending')[0]!.id, 'rejected', 'not on the delivery note');
      const d = await p.poll(req.transactionId, 0);
      expect(d).to.deep.include({ kind: 'rejected', failInfo: ['notAuthorized'] });
      expect(d.kind === 'rejected' && d.text).to.match(/not on the delivery note/);
      expect(db.countIssued()).to.equal(0);
    });

    it('still refuses pledges outside the inventory at once, without an approval row', async () => {
      const d = await policy({ manualApproval: true }).issue(request({ requester: idevid(2) }));
      expect(d).to.deep.include({ failInfo: ['notAuthorized'] });
      expect(db.listApprovals()).to.have.length(0);
    });

    it('refuses a poll for a transaction it does not know', async () => {
      expect(await policy().poll(newTid(), 0)).to.deep.include({ kind: 'rejected', failInfo: ['badRequest'] });
    });
  });

  describe('key update, revocation, confirmation', () => {
    async function ldevid(p: CaPolicy): Promise<Certificate> {
      return issuedCert(await p.issue(request()));
    }

    it('kur: a new certificate for the same subject, for the holder of an LDevID of this CA', async () => {
      const p = policy();
      const old = await ldevid(p);
      const requester: RequesterIdentity = { kind: 'signature', certificate: old, chain: [old], serialNumber: 'PLEDGE-0001' };
      const subjectDer = new Uint8Array(buildName('CN=something else').toArrayBuffer());
      const fresh = issuedCert(await p.issue(request({ bodyType: 'kur', requester, oldCertificate: old, subjectDer })));
      expect(fresh.subject).to.equal(old.subject);
      expect(certificateSerialHex(fresh)).to.not.equal(certificateSerialHex(old));
    });

    it('kur: refuses a certificate this CA did not issue, and a revoked one', async () => {
      const p = policy();
      const idev = pki.pledges[0]!.certificate;
      expect(await p.issue(request({ bodyType: 'kur', requester: idevid(0), oldCertificate: idev }))).to.deep.include({ failInfo: ['notAuthorized'] });
      const old = await ldevid(p);
      db.revoke(certificateSerialHex(old), 'test');
      const requester: RequesterIdentity = { kind: 'signature', certificate: old, serialNumber: 'PLEDGE-0001' };
      expect(await p.issue(request({ bodyType: 'kur', requester, oldCertificate: old }))).to.deep.include({ failInfo: ['certRevoked'] });
    });

    it('rr: the holder revokes its certificate once; unknown, foreign and repeated requests are refused', async () => {
      const p = policy();
      const cert = await ldevid(p);
      const serial = Uint8Array.from(Buffer.from(certificateSerialHex(cert), 'hex'));
      const issuerDer = new Uint8Array(pki.domain.issuingCa.certificate.subjectName.toArrayBuffer());
      expect(await p.revoke(serial, issuerDer, idevid(1))).to.deep.include({ ok: false, failInfo: ['notAuthorized'] });
      expect(await p.revoke(serial, new Uint8Array(buildName('CN=other CA').toArrayBuffer()), idevid(0))).to.deep.include({ failInfo: ['badCertId'] });
      expect(await p.revoke(Uint8Array.of(1, 2, 3), issuerDer, idevid(0))).to.deep.include({ failInfo: ['badCertId'] });
      expect(await p.revoke(serial, issuerDer, { kind: 'signature', certificate: cert })).to.deep.equal({ ok: true });
      expect(db.issuedBySerial(certificateSerialHex(cert))!.revokedAt).to.be.a('number');
      expect(await p.revoke(serial, issuerDer, idevid(0))).to.deep.include({ failInfo: ['certRevoked'] });
    });

    it('a negative certConf revokes the certificate; a positive one leaves it', async () => {
      const p = policy();
      const a = request();
      const b = request();
      const ca = issuedCert(await p.issue(a));
      const cb = issuedCert(await p.issue(b));
      await p.confirm(a.transactionId, true);
      await p.confirm(b.transactionId, false);
      expect(db.issuedBySerial(certificateSerialHex(ca))!.revokedAt).to.equal(undefined);
      expect(db.issuedBySerial(certificateSerialHex(cb))!.revocationReason).to.equal('certConf rejection');
    });
  });

  describe('general messages', () => {
    const value = (r: InfoTypeAndValue | undefined | 'unsupported'): InfoTypeAndValue => {
      if (r === undefined || r === 'unsupported') throw new Error(`no answer: ${r}`);
      return r;
    };

    it('caCerts: the domain root and the issuing CA', async () => {
      const itav = value(await policy().generalInfo(ID_IT_CA_CERTS, undefined));
      expect(itav.infoType).to.equal(ID_IT_CA_CERTS);
      const certs = decodeInfoValue(itav, CaCertsValue)!;
      expect(certs.map((c) => Buffer.from(c.der).toString('hex'))).to.deep.equal(
        [pki.domain.rootCa.certificate, pki.domain.issuingCa.certificate].map((c) => Buffer.from(certificateDer(c)).toString('hex')),
      );
    });

    it('rootCaCert: rootCaKeyUpdate without value (no update)', async () => {
      const itav = value(await policy().generalInfo(ID_IT_ROOT_CA_CERT, 'site-a'));
      expect(itav.infoType).to.equal(ID_IT_ROOT_CA_KEY_UPDATE);
      expect(itav.infoValue).to.equal(undefined);
    });

    it('certReqTemplate: subject with the parts the pledge fills in left empty, P-256 key, EKUs; per label', async () => {
      const itav = value(await policy().generalInfo(ID_IT_CERT_REQ_TEMPLATE, 'site-a'));
      const t = decodeInfoValue(itav, CertReqTemplateContent)!;
      const subject = nameAttributes(new Uint8Array(AsnConvert.serialize(t.certTemplate.subject!)));
      expect(subject).to.deep.equal([
        { type: '2.5.4.10', value: 'BRSKI-AE Test Domain' },
        { type: '2.5.4.3', value: '' },
      ]);
      const ctrl = t.keySpec![0]!;
      expect(ctrl.type).to.equal(ID_REG_CTRL_ALG_ID);
      const alg = AsnConvert.parse(ctrl.value!, AlgorithmIdentifier);
      expect((asn1js.fromBER(alg.parameters!).result as asn1js.ObjectIdentifier).valueBlock.toString()).to.equal(OID_SECP256R1);
      expect(t.certTemplate.extensions!.map((e) => e.extnID)).to.deep.equal(['2.5.29.37']);
      const b = decodeInfoValue(value(await policy().generalInfo(ID_IT_CERT_REQ_TEMPLATE, 'site-b')), CertReqTemplateContent)!;
      expect(nameAttributes(new Uint8Array(AsnConvert.serialize(b.certTemplate.subject!))).map((a) => a.value)).to.deep.equal(['Site B', 'Sensors', '']);
    });

    it('anything else: unsupported', async () => {
      expect(await policy().generalInfo('1.3.6.1.5.5.7.4.22', undefined)).to.equal('unsupported');
    });
  });
});
