/**
 * Published cBRSKI COSE examples (anima-wg/constrained-voucher, examples/cose-examples, built from
 * interop code in 2022-12; provenance in test/fixtures/voucher/SOURCE.md): decode, verify with the
 * published certificates, and re-encode byte for byte.
 *
 * On the SID renumbering: these 2022 artifacts already key by the containers 2451 / 2501, and every
 * leaf delta they use (assertion 1, created-on 2, revocation-checks 3, idevid-issuer 5, nonce 7,
 * pinned-domain-cert 8, prior-signed-voucher-request 9, serial-number 11 / 13, proximity-registrar-pubk
 * 12) names the same leaf in the final ietf-voucher@2025-12-18 / ietf-voucher-request@2025-12-18 SID
 * files: the 2025 rework "fix[ed] up SID allocations to reflect previous IDs" (anima-wg/voucher
 * commit 3968258). The one leaf whose SID moved in between (2512, once proximity-registrar-pubk, now
 * -pubk-sha256) is not 12 here, and the 91-byte SPKI value could not pass as a 32-byte hash anyway.
 * The older 2019 examples use the experimental 1001xxx SIDs and tag-1 dates: their COSE signatures
 * still verify, and the voucher decoder refuses their payload with a typed 'unknown-container'
 * error naming the early-draft SID, rather than guessing a mapping.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { decodeSign1, verifySign1 } from '../../../src/codec/cose/index.ts';
import {
  decodeVoucherCbor,
  encodeVoucherCbor,
  findCoseSigner,
  idevidIssuerOf,
  isVoucherError,
  parseVoucherCose,
  signVoucherCose,
  stripUnprotectedCertificates,
  subjectPublicKeyInfoDer,
  verifyVoucherCose,
  type Voucher,
  type VoucherRequest,
} from '../../../src/codec/voucher/index.ts';
import { certificateDer, certificatePublicKey, generateKeyPairSync, parseCertificate, readSubjectSerialNumber } from '../../../src/pki/index.ts';
import { REPO_ROOT } from '../../helpers/processes.ts';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'voucher');
const hexFile = (f: string): Uint8Array => fromHex(readFileSync(join(DIR, 'cbrski-2022', f), 'utf8'));
const cert = (dir: string, f: string) => parseCertificate(new Uint8Array(readFileSync(join(DIR, dir, f))));

describe('cBRSKI Appendix C COSE examples (2022-12, anima-wg/constrained-voucher)', () => {
  const pledge = cert('cbrski-2022', 'pledge.der');
  const registrar = cert('cbrski-2022', 'registrar.der');
  const domainCa = cert('cbrski-2022', 'domain_ca.der');
  const masaCa = cert('cbrski-2022', 'masa_ca.der');

  it('PVR: 201 bytes, signed by the IDevID JADA123456789, SID keys, re-encodes byte for byte', () => {
    const bytes = hexFile('pvr.hex');
    expect(bytes.length, 'signed PVR size').to.equal(201);
    const p = parseVoucherCose(bytes, 'pvr');
    verifyVoucherCose(p, pledge);
    expect(readSubjectSerialNumber(pledge)).to.equal('JADA123456789');
    const pvr = p.artifact as VoucherRequest;
    expect(pvr).to.deep.include({ kind: 'voucher-request', assertion: 'proximity', serialNumber: 'JADA123456789' });
    expect(toHex(pvr.nonce!)).to.equal('23bfbbc9c2bcf213');
    expect(pvr.proximityRegistrarPubk, 'proximity-registrar-pubk is the registrar key').to.deep.equal(subjectPublicKeyInfoDer(registrar));
    expect(pvr.createdOn, 'no clock, no created-on').to.equal(undefined);
    expect(p.payload).to.deep.equal(hexFile('pvr-nonsigned.hex'));
    expect(encodeVoucherCbor(pvr), 're-encoded voucher data').to.deep.equal(p.payload);
  });

  it('RVR: 1604 bytes, signed by the registrar, x5bag {registrar, domain CA}, wraps the PVR', () => {
    const bytes = hexFile('rvr.hex');
    expect(bytes.length, 'signed RVR size').to.equal(1604);
    const p = parseVoucherCose(bytes, 'rvr');
    verifyVoucherCose(p, registrar);
    expect(p.x5bag).to.have.length(2);
    // The bag holds the 2022-12-06 issue of the registrar certificate; its key is the published one.
    const signer = findCoseSigner(p, p.x5bag)!;
    expect(subjectPublicKeyInfoDer(signer)).to.deep.equal(subjectPublicKeyInfoDer(registrar));
    const rvr = p.artifact as VoucherRequest;
    expect(rvr).to.deep.include({ assertion: 'proximity', createdOn: '2022-12-06T20:04:15.754Z', serialNumber: 'JADA123456789' });
    expect(rvr.priorSignedVoucherRequest, 'prior-signed-voucher-request is the PVR').to.deep.equal(hexFile('pvr.hex'));
    expect(rvr.idevidIssuer, 'idevid-issuer is the IDevID AKI extnValue OCTET STRING').to.deep.equal(idevidIssuerOf(pledge));
    expect(toHex(rvr.idevidIssuer!).slice(0, 12)).to.equal('041830168014');
    expect(rvr.nonce).to.deep.equal(fromHex('23bfbbc9c2bcf213'));
    expect(p.payload).to.deep.equal(hexFile('rvr-nonsigned.hex'));
    expect(encodeVoucherCbor(rvr)).to.deep.equal(p.payload);
    // What a MASA does not forward stays outside the signature.
    verifyVoucherCose(parseVoucherCose(stripUnprotectedCertificates(p)), registrar);
  });

  it('voucher: 724 bytes, signed by the MASA CA, pins the lowest domain CA of the RVR chain', () => {
    const bytes = hexFile('voucher.hex');
    expect(bytes.length, 'signed voucher size').to.equal(724);
    const p = parseVoucherCose(bytes, 'voucher');
    verifyVoucherCose(p, masaCa);
    const v = p.artifact as Voucher;
    expect(v).to.deep.include({ assertion: 'proximity', createdOn: '2022-12-06T20:23:30.708Z', domainCertRevocationChecks: false, serialNumber: 'JADA123456789' });
    expect(toHex(v.nonce!)).to.equal('57eed786ad404907');
    const pinned = parseCertificate(v.pinnedDomainCert!);
    expect(pinned.subject).to.equal(domainCa.subject);
    const rvrBag = parseVoucherCose(hexFile('rvr.hex')).x5bag;
    expect(v.pinnedDomainCert, 'cBRSKI pinning rule 1: the domain CA from the RVR x5bag').to.deep.equal(rvrBag[1]);
    expect(certificatePublicKey(pinned).equals(certificatePublicKey(domainCa))).to.equal(true);
    expect(p.payload).to.deep.equal(hexFile('voucher-nonsigned.hex'));
    expect(encodeVoucherCbor(v)).to.deep.equal(p.payload);
  });

  it('signing the published PVR data again gives the same size (ES256 signatures are 64 bytes)', () => {
    const pvr = parseVoucherCose(hexFile('pvr.hex')).artifact;
    const ours = signVoucherCose(pvr, { privateKey: generateKeyPairSync('P-256').privateKey, role: 'pvr' });
    expect(ours.length).to.equal(201);
    expect(toHex(ours.subarray(0, 7))).to.equal('d28443a10126a0'); // 18([h'A10126', {}, …
  });

  it('a changed byte in the payload breaks the published signature', () => {
    const bytes = Uint8Array.from(hexFile('voucher.hex'));
    const at = toHex(bytes).indexOf('57eed786ad404907') / 2; // the nonce, inside the payload
    bytes[at] ^= 1;
    expect(() => verifyVoucherCose(parseVoucherCose(bytes), masaCa)).to.throw().that.satisfies((e: unknown) => isVoucherError(e, 'signature'));
  });

  it('the certificates chain: registrar ← domain CA, pledge ← MASA CA', () => {
    expect(registrar.issuer).to.equal(domainCa.subject);
    expect(pledge.issuer).to.equal(masaCa.subject);
    expect(certificateDer(domainCa).length).to.be.within(500, 700);
  });
});

describe('cBRSKI examples from before the SID renumbering (2019-07)', () => {
  const raw = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, 'cbrski-2019', f)));
  const cases = [
    { file: 'voucher_00-D0-E5-F2-00-03.vch', signer: 'masa_00-D0-E5-F2-00-03.crt', sid: 1001100 },
    { file: 'vr_00-D0-E5-F2-00-03.vrq', signer: 'device_00-D0-E5-F2-00-03.crt', sid: 1001154 },
    { file: 'parboiled_vr_00-D0-E5-F2-00-03.vrq', signer: 'jrc-fountain-test.crt', sid: 1001154 },
  ];
  for (const c of cases) {
    it(`${c.file}: COSE signature verifies, voucher data refused as SID ${c.sid}`, () => {
      const bytes = raw(c.file);
      const s = decodeSign1(bytes);
      // No alg header (protected h'A0'): the key decides (ES256 on P-256).
      verifySign1(s, certificatePublicKey(parseCertificate(readFileSync(join(DIR, 'cbrski-2019', c.signer), 'utf8'))));
      expect(() => parseVoucherCose(bytes)).to.throw().that.satisfies((e: unknown) => isVoucherError(e, 'malformed') && (e as { code: string }).code === 'ERR_COSE');
      try {
        decodeVoucherCbor(s.payload!);
        expect.fail('decoded a pre-renumbering payload');
      } catch (e) {
        expect(isVoucherError(e, 'unknown-container'), String(e)).to.equal(true);
        expect((e as { details: { sid: number } }).details.sid).to.equal(c.sid);
        expect((e as Error).message).to.match(/early cBRSKI drafts/);
      }
    });
  }
});
