/**
 * Published CMS voucher artifacts (application/voucher-cms+json):
 * - RFC 8995 Appendix C (anima-wg/anima-bootstrap examples/, regenerated 2021-04-13): PVR (C.1),
 *   RVR (C.2, "parboiled") and voucher (C.3), device 00-D0-E5-F2-00-02;
 * - the RFC 8366bis repository examples (anima-wg/voucher examples/, 2022-07, from Minerva).
 * Provenance in test/fixtures/voucher/SOURCE.md. They use eContentType id-data (not
 * id-ct-animaJSONVoucher) and base64url nonces; both are accepted on input.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { id_data } from '@peculiar/asn1-cms';
import {
  checkPledgeVoucherRequest,
  checkRegistrarVoucherRequest,
  checkVoucher,
  isVoucherError,
  parseDateAndTime,
  parseVoucherCms,
  verifyVoucherCms,
  type Voucher,
  type VoucherRequest,
} from '../../../src/codec/voucher/index.ts';
import { certificateDer, certificatePublicKey, parseCertificate, readSubjectSerialNumber, verifyChain } from '../../../src/pki/index.ts';
import { REPO_ROOT } from '../../helpers/processes.ts';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'voucher');
const b64 = (f: string): Uint8Array => new Uint8Array(Buffer.from(readFileSync(join(DIR, f), 'utf8'), 'base64'));
const pem = (f: string) => parseCertificate(readFileSync(join(DIR, f), 'utf8'));

describe('RFC 8995 Appendix C CMS examples (anima-wg/anima-bootstrap)', () => {
  const masa = pem('rfc8995/masa.crt');
  const idevid = pem('rfc8995/idevid_00-D0-E5-F2-00-02.crt');
  const jrc = pem('rfc8995/jrc_prime256v1.crt');

  it('C.1 PVR: signed by the IDevID, proximity-registrar-cert is the registrar', () => {
    const p = parseVoucherCms(b64('rfc8995/vr_00-D0-E5-F2-00-02.b64'));
    expect(p.eContentType).to.equal(id_data);
    const signer = verifyVoucherCms(p);
    expect(signer.subject).to.equal(idevid.subject);
    // The published IDevID file was reissued on 2021-04-27 (new certificate serial, same key).
    expect(certificatePublicKey(signer).equals(certificatePublicKey(idevid))).to.equal(true);
    expect(() => verifyVoucherCms(p, [idevid])).to.throw().that.satisfies((e: unknown) => isVoucherError(e, 'no-signer'));
    checkPledgeVoucherRequest(p.artifact);
    const pvr = p.artifact as VoucherRequest;
    expect(pvr).to.deep.include({ assertion: 'proximity', createdOn: '2021-04-13T17:43:23.747-04:00', serialNumber: '00-D0-E5-F2-00-02' });
    expect(readSubjectSerialNumber(idevid)).to.equal(pvr.serialNumber);
    expect(Buffer.from(pvr.nonce!).toString('base64url')).to.equal('-_XE9zK9q8Ll1qylMtLKeg');
    expect(parseCertificate(pvr.proximityRegistrarCert!).subject).to.match(/fountain-test\.example\.com$/);
  });

  it('C.2 RVR: signed by the registrar (with its chain), wraps the C.1 PVR byte for byte', () => {
    const p = parseVoucherCms(b64('rfc8995/parboiled_vr_00-D0-E5-F2-00-02.b64'));
    const signer = verifyVoucherCms(p);
    expect(signer.subject).to.match(/CN=fountain-test\.example\.com$/);
    expect(p.certificates.length).to.be.greaterThan(1);
    checkRegistrarVoucherRequest(p.artifact);
    const rvr = p.artifact as VoucherRequest;
    expect(rvr.priorSignedVoucherRequest).to.deep.equal(b64('rfc8995/vr_00-D0-E5-F2-00-02.b64'));
    const inner = parseVoucherCms(rvr.priorSignedVoucherRequest!);
    expect(certificatePublicKey(verifyVoucherCms(inner)).equals(certificatePublicKey(idevid))).to.equal(true);
    expect(inner.artifact.nonce).to.deep.equal(rvr.nonce);
    // The registrar named in the PVR signed the RVR.
    expect((inner.artifact as VoucherRequest).proximityRegistrarCert).to.deep.equal(certificateDer(signer));
    // The published registrar certificate is the one that signed.
    expect(certificateDer(verifyVoucherCms(p, [jrc]))).to.deep.equal(certificateDer(signer));
  });

  it('C.3 voucher: signed by the MASA, pins the registrar, echoes the nonce', () => {
    const p = parseVoucherCms(b64('rfc8995/voucher_00-D0-E5-F2-00-02.b64'), 'voucher');
    expect(verifyVoucherCms(p, [masa]).subject).to.equal('CN=highway-test.example.com MASA');
    const v = p.artifact as Voucher;
    checkVoucher(v);
    expect(v).to.deep.include({ assertion: 'logged', serialNumber: '00-D0-E5-F2-00-02' });
    const pvr = parseVoucherCms(b64('rfc8995/vr_00-D0-E5-F2-00-02.b64')).artifact as VoucherRequest;
    expect(v.nonce).to.deep.equal(pvr.nonce);
    expect(v.pinnedDomainCert).to.deep.equal(pvr.proximityRegistrarCert);
    // The MASA certificate chains to the vendor CA at the time the voucher was made.
    verifyChain(masa, [], [pem('rfc8995/vendor.crt')], { at: parseDateAndTime(v.createdOn!) });
  });

  it('a changed byte of the JSON breaks the messageDigest', () => {
    const der = Uint8Array.from(b64('rfc8995/voucher_00-D0-E5-F2-00-02.b64'));
    const at = Buffer.from(der).indexOf('00-D0-E5-F2-00-02');
    der[at + 16] = '3'.charCodeAt(0);
    const p = parseVoucherCms(der);
    expect(p.artifact.serialNumber).to.equal('00-D0-E5-F2-00-03');
    expect(() => verifyVoucherCms(p, [masa])).to.throw(/messageDigest/);
  });
});

describe('RFC 8366bis repository CMS examples (anima-wg/voucher, Minerva)', () => {
  it('voucher: signed by the MASA', () => {
    const p = parseVoucherCms(b64('rfc8366bis/voucher_00-D0-E5-F2-00-02.b64'), 'voucher');
    expect(verifyVoucherCms(p, [pem('rfc8366bis/masa-00-D0-E5-F2-00-02.crt')]).subject).to.equal('CN=highway-test.example.com MASA');
    expect(p.artifact).to.deep.include({ assertion: 'logged', serialNumber: '00-D0-E5-F2-00-02' });
  });

  it('PVR: signed by the IDevID 00-D0-E5-F2-00-02', () => {
    const p = parseVoucherCms(b64('rfc8366bis/vr_00-D0-E5-F2-00-02.b64'), 'pvr');
    const idevid = pem('rfc8366bis/00-D0-E5-F2-00-02.crt');
    expect(verifyVoucherCms(p, [idevid]).subject).to.equal(idevid.subject);
  });
});
