/**
 * The MASA's decisions (masa/voucher-authority.ts) on requests built from test PKIs: ownership
 * (allow list, first claim, transfer), nonced and nonceless vouchers, cBRSKI pinning, the audit
 * log, and every refusal with its HTTP status.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.ts';
import { COSE_ALG_EDDSA } from '../../../src/codec/cose/index.ts';
import { fromUtf8 } from '../../../src/core/bytes.ts';
import {
  certificateSha256Hex,
  domainIdOf,
  formatDateAndTime,
  isVoucherExpired,
  MEDIA_TYPE_VOUCHER_CMS_JSON,
  MEDIA_TYPE_VOUCHER_COSE,
  parseDateAndTime,
  parseVoucherCms,
  parseVoucherCose,
  stripUnprotectedCertificates,
  verifyVoucherCms,
  verifyVoucherCose,
  type Voucher,
} from '../../../src/codec/voucher/index.ts';
import { certificateDer, generateKeyPairSync, initTestPki, type TestPki } from '../../../src/pki/index.ts';
import { MasaDb } from '../../../src/store/masa-db.ts';
import { masaCredentialsFromPki } from '../../../masa/service.ts';
import { MasaVoucherAuthority, type MasaHttpResponse, type MasaPolicy } from '../../../masa/voucher-authority.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';
import { buildPvr, buildRvr, defaultX5bag, NONCE } from './requests.ts';

const COSE = MEDIA_TYPE_VOUCHER_COSE;
const DAY = 86_400_000;

describe('MASA voucher authority', function () {
  this.timeout(60_000);
  let dir: TempDir;
  let pki: TestPki; // manufacturer + domain A
  let other: TestPki; // domain B (its manufacturer side is not ours)
  let db: MasaDb;
  let clock: ManualClock;
  let n = 0;

  const P = (i: number) => pki.pledges[i - 1]!;
  const sha = (c: { certificate: Parameters<typeof certificateDer>[0] }) => certificateSha256Hex(c.certificate);
  const domainRootA = () => sha(pki.domain.rootCa);
  const domainRootB = () => sha(other.domain.rootCa);

  function authority(policy: Partial<MasaPolicy> = {}, fromPki: TestPki = pki): MasaVoucherAuthority {
    return new MasaVoucherAuthority({ credentials: masaCredentialsFromPki(fromPki), db, policy, clock });
  }

  function post(a: MasaVoucherAuthority, body: Uint8Array, contentType = COSE, accept?: string): MasaHttpResponse {
    return a.requestVoucher({ body, contentType, ...(accept !== undefined ? { accept } : {}) });
  }

  function expectRefused(r: MasaHttpResponse, status: number, text: RegExp): void {
    expect(r.status, r.reason).to.equal(status);
    expect(r.contentType).to.match(/^text\/plain/);
    expect(fromUtf8(r.body)).to.match(text);
    expect(r.fields.status).to.equal(status);
  }

  function voucherOf(r: MasaHttpResponse): Voucher {
    expect(r.status, r.reason).to.equal(200);
    expect(r.contentType).to.equal(COSE);
    const p = parseVoucherCose(r.body, 'voucher');
    verifyVoucherCose(p, pki.manufacturer.masa.certificate);
    return p.artifact as Voucher;
  }

  /** The registrar of domain B, with an x5bag holding B's chain and our pledge's chain. */
  function rvrFromB(pledgeIndex: number, extra: Parameters<typeof buildRvr>[2] = {}): Uint8Array {
    const pledge = P(pledgeIndex);
    const reg = other.domain.registrar;
    return buildRvr(pki, pledge, {
      registrar: reg,
      pvr: buildPvr(pledge, reg.certificate),
      x5bag: defaultX5bag(pki, pledge, reg, other.domain.rootCa.certificate),
      ...extra,
    });
  }

  before(async () => {
    dir = makeTempDir('brski-masa-unit-');
    [pki, other] = await Promise.all([initTestPki(join(dir.path, 'a'), { pledges: 4 }), initTestPki(join(dir.path, 'b'), { pledges: 0 })]);
  });
  beforeEach(() => {
    db = MasaDb.open(join(dir.path, `masa-${++n}.db`));
    clock = new ManualClock(Date.now());
  });
  afterEach(() => db.close());
  after(() => dir?.remove());

  describe('nonced vouchers (RFC 8995 §5.5, cBRSKI pinning rule 1)', () => {
    it('sales-channel owner: proximity voucher, nonce echoed, lowest domain CA pinned, MASA chain in the unprotected x5bag', () => {
      db.addOwner(P(1).serialNumber, domainRootA());
      const r = post(authority(), buildRvr(pki, P(1)), COSE, COSE);
      const v = voucherOf(r);
      expect(v).to.deep.include({ assertion: 'proximity', serialNumber: 'PLEDGE-0001', domainCertRevocationChecks: false, createdOn: formatDateAndTime(new Date(clock.now())) });
      expect(v.nonce).to.deep.equal(NONCE);
      expect(v.expiresOn).to.equal(undefined);
      expect(v.pinnedDomainCert, 'the domain issuing CA').to.deep.equal(certificateDer(pki.domain.issuingCa.certificate));
      const p = parseVoucherCose(r.body);
      expect(p.x5bag).to.deep.equal([certificateDer(pki.manufacturer.masa.certificate), certificateDer(pki.manufacturer.rootCa.certificate)]);
      // What the registrar forwards to the pledge still verifies.
      verifyVoucherCose(parseVoucherCose(stripUnprotectedCertificates(p)), pki.manufacturer.masa.certificate);
      const log = db.auditLog('PLEDGE-0001', 10);
      expect(log.total).to.equal(1);
      expect(log.entries[0]).to.deep.include({ assertion: 'proximity', format: 'cose', domainId: Buffer.from(domainIdOf(pki.domain.issuingCa.certificate)).toString('base64') });
      expect(log.entries[0]!.voucher).to.deep.equal(r.body);
    });

    it('proximity may name the registrar by certificate, SPKI or SPKI SHA-256; the owner by any CA of the chain', () => {
      db.addOwner(P(1).serialNumber, sha(pki.domain.issuingCa));
      const a = authority();
      for (const proximity of ['cert', 'pubk', 'sha256'] as const) {
        const rvr = buildRvr(pki, P(1), { pvr: buildPvr(P(1), pki.domain.registrar.certificate, { proximity }) });
        expect(voucherOf(post(a, rvr)).assertion, proximity).to.equal('proximity');
      }
    });

    it('CMS in, CMS out (application/voucher-cms+json, RFC 8995)', () => {
      db.addOwner(P(2).serialNumber, domainRootA());
      const rvr = buildRvr(pki, P(2), { format: 'cms', pvr: buildPvr(P(2), pki.domain.registrar.certificate, { format: 'cms', proximity: 'cert' }) });
      const r = post(authority(), rvr, MEDIA_TYPE_VOUCHER_CMS_JSON, `${MEDIA_TYPE_VOUCHER_CMS_JSON}, application/json;q=0.5`);
      expect(r.status, r.reason).to.equal(200);
      expect(r.contentType).to.equal(MEDIA_TYPE_VOUCHER_CMS_JSON);
      const p = parseVoucherCms(r.body, 'voucher');
      expect(verifyVoucherCms(p).subject).to.equal(pki.manufacturer.masa.certificate.subject);
      expect(p.artifact).to.deep.include({ assertion: 'proximity', serialNumber: 'PLEDGE-0002' });
      expect(p.artifact.pinnedDomainCert).to.deep.equal(certificateDer(pki.domain.issuingCa.certificate));
    });

    it('an Ed25519 manufacturer signs EdDSA vouchers', async () => {
      const ed = await initTestPki(join(dir.path, 'ed'), { pledges: 1, keyAlgorithm: 'Ed25519' });
      db.addOwner(ed.pledges[0]!.serialNumber, certificateSha256Hex(ed.domain.rootCa.certificate));
      const r = post(authority({}, ed), buildRvr(ed, ed.pledges[0]!));
      expect(r.status, r.reason).to.equal(200);
      const p = parseVoucherCose(r.body, 'voucher');
      expect(p.alg).to.equal(COSE_ALG_EDDSA);
      verifyVoucherCose(p, ed.manufacturer.masa.certificate);
    });
  });

  describe('ownership: allow list, first claim, transfer', () => {
    it('no owner and no first claim: 403', () => {
      expectRefused(post(authority(), buildRvr(pki, P(3))), 403, /no owner is registered for PLEDGE-0003/);
    });

    it('first claim: the first domain wins, a second domain is refused, a transfer moves the pledge', () => {
      const a = authority({ firstClaim: true });
      const first = post(a, buildRvr(pki, P(3)));
      expect(voucherOf(first).assertion).to.equal('proximity');
      expect(first.fields.firstClaim).to.equal(true);
      expect(db.owner('PLEDGE-0003')).to.deep.include({ source: 'first-claim', domainCaSha256: domainRootA() });
      expect(voucherOf(post(a, buildRvr(pki, P(3)))).assertion, 'the owner asks again').to.equal('proximity');
      expectRefused(post(a, rvrFromB(3)), 403, /not the owner of PLEDGE-0003/);

      db.transferOwner('PLEDGE-0003', domainRootB(), certificateDer(other.domain.rootCa.certificate), 'resold');
      const moved = post(a, rvrFromB(3));
      expect(voucherOf(moved).pinnedDomainCert).to.deep.equal(certificateDer(other.domain.issuingCa.certificate));
      expectRefused(post(a, buildRvr(pki, P(3))), 403, /not the owner/);
      // Both domains owned it once: both may read the audit log.
      expect(a.requestAuditLog({ body: buildRvr(pki, P(3)), contentType: COSE }).status).to.equal(200);
      expect(a.requestAuditLog({ body: rvrFromB(3), contentType: COSE }).status).to.equal(200);
    });

    it('a first claim needs a nonced request with a verified proximity PVR', () => {
      expectRefused(post(authority({ firstClaim: true }), buildRvr(pki, P(4), { pvr: null })), 403, /first claim needs a nonced request/);
      expect(db.owner('PLEDGE-0004')).to.equal(undefined);
    });

    it('an RVR without the domain CAs in its x5bag cannot show ownership', () => {
      db.addOwner(P(1).serialNumber, domainRootA());
      const bag = [pki.domain.registrar.certificate, ...P(1).chain];
      expectRefused(post(authority(), buildRvr(pki, P(1), { x5bag: bag })), 403, /not the owner/);
    });
  });

  describe('nonceless vouchers (RFC 8995 §5.5.4, cBRSKI pinning rule 2)', () => {
    it('expires after the configured days, pins the owner CA, assertion verified; renewed after expiry', () => {
      db.addOwner(P(1).serialNumber, domainRootA(), certificateDer(pki.domain.rootCa.certificate));
      const a = authority({ noncelessValidityDays: 7 });
      const v = voucherOf(post(a, buildRvr(pki, P(1), { pvr: null })));
      expect(v.nonce).to.equal(undefined);
      expect(v.assertion).to.equal('verified');
      expect(v.pinnedDomainCert, 'the highest CA the policy allows: the owner root').to.deep.equal(certificateDer(pki.domain.rootCa.certificate));
      expect(parseDateAndTime(v.expiresOn!).getTime() - parseDateAndTime(v.createdOn!).getTime()).to.equal(7 * DAY);
      expect(isVoucherExpired(v, new Date(clock.now()))).to.equal(false);
      clock.advance(7 * DAY);
      expect(isVoucherExpired(v, new Date(clock.now()))).to.equal(true);
      const renewed = voucherOf(post(a, buildRvr(pki, P(1), { pvr: null })));
      expect(parseDateAndTime(renewed.expiresOn!).getTime()).to.equal(parseDateAndTime(v.expiresOn!).getTime() + 7 * DAY);
      expect(db.auditLog('PLEDGE-0001', 10).entries.map((e) => e.nonce)).to.deep.equal([undefined, undefined]);
    });

    it('a lifetime in milliseconds (--nonceless-validity-seconds) replaces the days', () => {
      db.addOwner(P(1).serialNumber, domainRootA(), certificateDer(pki.domain.rootCa.certificate));
      const v = voucherOf(post(authority({ noncelessValidityDays: 7, noncelessValidityMs: 90_000 }), buildRvr(pki, P(1), { pvr: null })));
      expect(parseDateAndTime(v.expiresOn!).getTime() - parseDateAndTime(v.createdOn!).getTime()).to.equal(90_000);
    });

    it('never outlives the pinned certificate', () => {
      db.addOwner(P(1).serialNumber, sha(pki.domain.registrar));
      const v = voucherOf(post(authority({ noncelessValidityDays: 3650 }), buildRvr(pki, P(1), { pvr: null })));
      expect(v.pinnedDomainCert).to.deep.equal(certificateDer(pki.domain.registrar.certificate));
      expect(parseDateAndTime(v.expiresOn!).getTime()).to.equal(Math.floor(pki.domain.registrar.certificate.notAfter.getTime() / 1000) * 1000);
    });

    it('a first-claim owner gets assertion logged', () => {
      const a = authority({ firstClaim: true });
      voucherOf(post(a, buildRvr(pki, P(2))));
      expect(voucherOf(post(a, buildRvr(pki, P(2), { pvr: null }))).assertion).to.equal('logged');
    });
  });

  describe('refusals', () => {
    beforeEach(() => {
      for (const i of [1, 2]) db.addOwner(P(i).serialNumber, domainRootA());
    });

    it('415 unknown media type, 406 unacceptable Accept, 400 malformed or not an RVR', () => {
      const a = authority();
      const rvr = buildRvr(pki, P(1));
      expectRefused(post(a, rvr, 'application/cbor'), 415, /Content-Type/);
      expectRefused(post(a, rvr, COSE, 'application/voucher-cms+json'), 406, /Accept/);
      expectRefused(post(a, rvr, COSE, `${COSE};q=0`), 406, /Accept/);
      expectRefused(post(a, new Uint8Array([0xd2, 0x84, 1]), COSE), 400, /COSE_Sign1/);
      expectRefused(post(a, buildPvr(P(1), pki.domain.registrar.certificate), COSE), 400, /registrar voucher-request must not carry proximity-registrar-pubk/);
      expect(post(a, rvr, `${COSE}; charset=binary`, '*/*').status).to.equal(200);
    });

    it('404 for a pledge the MASA does not know', () => {
      expectRefused(post(authority(), buildRvr(pki, P(1), { pvr: null, serialNumber: 'PLEDGE-9999' })), 404, /unknown pledge PLEDGE-9999/);
    });

    it('403 for a wrong serial number: RVR for one pledge, PVR of another', () => {
      expectRefused(post(authority(), buildRvr(pki, P(1), { serialNumber: 'PLEDGE-0002', idevidIssuer: null })), 403, /PVR is for serial-number PLEDGE-0001, the RVR for PLEDGE-0002/);
      // A PVR claiming another serial, signed with PLEDGE-0001's key.
      const lying = buildPvr(P(1), pki.domain.registrar.certificate, { serialNumber: 'PLEDGE-0002' });
      expectRefused(post(authority(), buildRvr(pki, P(1), { pvr: lying, serialNumber: 'PLEDGE-0002' })), 403, /does not verify with an IDevID of PLEDGE-0002/);
    });

    it('403 for an RVR signature no carried certificate verifies (untrusted registrar)', () => {
      const r = post(authority(), buildRvr(pki, P(1), { signingKey: generateKeyPairSync('P-256').privateKey }));
      expectRefused(r, 403, /RVR signature does not verify/);
    });

    it('403 for a signer without id-kp-cmcRA (a pledge posing as registrar)', () => {
      const pledge2 = P(2);
      const rvr = buildRvr(pki, P(1), { registrar: pledge2, pvr: buildPvr(P(1), pledge2.certificate), x5bag: [...pledge2.chain, ...P(1).chain] });
      expectRefused(post(authority(), rvr), 403, /lacks id-kp-cmcRA/);
    });

    it('403 when the PVR does not match: nonce, proximity registrar, idevid-issuer; 403 for a nonced RVR without PVR', () => {
      const a = authority();
      expectRefused(post(a, buildRvr(pki, P(1), { nonce: new Uint8Array(12).fill(9) })), 403, /nonce differs/);
      const pvrForB = buildPvr(P(1), other.domain.registrar.certificate);
      expectRefused(post(a, buildRvr(pki, P(1), { pvr: pvrForB })), 403, /proximity-registrar-\* names no certificate/);
      expectRefused(post(a, buildRvr(pki, P(1), { idevidIssuer: new Uint8Array([4, 2, 0, 0]) })), 403, /idevid-issuer does not match/);
      expectRefused(post(a, buildRvr(pki, P(1), { pvr: null, nonce: NONCE })), 403, /must carry the prior-signed-voucher-request/);
    });

    it('403 for another domain while the pledge is owned', () => {
      expectRefused(post(authority(), rvrFromB(1)), 403, /not the owner of PLEDGE-0001/);
    });

    it('nothing refused is logged in the audit log', () => {
      const a = authority();
      post(a, rvrFromB(1));
      post(a, buildRvr(pki, P(1), { signingKey: generateKeyPairSync('P-256').privateKey }));
      expect(db.auditLog('PLEDGE-0001', 10).total).to.equal(0);
    });
  });

  describe('audit log (RFC 8995 §5.8.1)', () => {
    it('lists the vouchers newest first, with domainID, nonce (or null) and assertion', () => {
      db.addOwner(P(1).serialNumber, domainRootA());
      const a = authority({ maxAuditEvents: 2 });
      for (const pvr of [undefined, null, undefined] as const) {
        expect(post(a, buildRvr(pki, P(1), pvr === null ? { pvr: null } : {})).status).to.equal(200);
        clock.advance(1000);
      }
      const r = a.requestAuditLog({ body: buildRvr(pki, P(1)), contentType: COSE, accept: 'application/json' });
      expect(r.status, r.reason).to.equal(200);
      expect(r.contentType).to.equal('application/json');
      const log = JSON.parse(fromUtf8(r.body));
      expect(log.version).to.equal(1);
      expect(log.events).to.have.length(2);
      expect(log.events[0]).to.deep.include({ nonce: Buffer.from(NONCE).toString('base64'), assertion: 'proximity', domainID: Buffer.from(domainIdOf(pki.domain.issuingCa.certificate)).toString('base64') });
      expect(log.events[1]).to.deep.include({ nonce: null, assertion: 'verified', domainID: Buffer.from(domainIdOf(pki.domain.rootCa.certificate)).toString('base64') });
      expect(parseDateAndTime(log.events[0].date).getTime()).to.be.greaterThan(parseDateAndTime(log.events[1].date).getTime());
      expect(log.truncation).to.deep.equal({ arbitrary: 1 });
    });

    it('404 for a domain that never owned the pledge, 406 when JSON is not accepted', () => {
      db.addOwner(P(1).serialNumber, domainRootA());
      const a = authority();
      expectRefused(a.requestAuditLog({ body: rvrFromB(1), contentType: COSE }), 404, /never owned PLEDGE-0001/);
      expectRefused(a.requestAuditLog({ body: buildRvr(pki, P(1)), contentType: COSE, accept: COSE }), 406, /Accept/);
    });
  });
});
