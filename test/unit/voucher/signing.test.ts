/**
 * COSE_Sign1 (application/voucher+cose) and CMS (application/voucher-cms+json) signing and
 * verification of voucher artifacts, with ES256 / EdDSA (COSE) and ECDSA, Ed25519, RSA (CMS),
 * and the refusals of tampered or unsigned artifacts.
 */
import { expect } from 'chai';
import { fromHex } from '../../../src/core/bytes.ts';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../../../src/codec/cbor/cbor.ts';
import { COSE_ALG_EDDSA, COSE_ALG_ES256, decodeSign1, encodeSign1, signSign1 } from '../../../src/codec/cose/index.ts';
import {
  encodeVoucherCbor,
  findCoseSigner,
  isVoucherError,
  OID_CT_ANIMA_JSON_VOUCHER,
  parseVoucherCms,
  parseVoucherCose,
  signVoucherCms,
  signVoucherCose,
  stripUnprotectedCertificates,
  verifyVoucherCms,
  verifyVoucherCose,
  type Voucher,
  type VoucherErrorReason,
  type VoucherRequest,
} from '../../../src/codec/voucher/index.ts';
import { certificateDer, generateKeyPairSync, issueCertificate, type Certificate, type KeyAlgorithm, type KeyPair } from '../../../src/pki/index.ts';

const voucher: Voucher = {
  kind: 'voucher',
  assertion: 'logged',
  createdOn: '2026-03-04T05:06:07Z',
  nonce: fromHex('00112233445566778899'),
  pinnedDomainCert: fromHex('30820101'),
  serialNumber: 'PLEDGE-0001',
};
const pvr: VoucherRequest = {
  kind: 'voucher-request',
  assertion: 'proximity',
  nonce: fromHex('0011223344556677'),
  proximityRegistrarPubkSha256: new Uint8Array(32).fill(1),
  serialNumber: 'PLEDGE-0001',
};

function rejects(fn: () => unknown, reason: VoucherErrorReason): void {
  try {
    fn();
  } catch (e) {
    expect(isVoucherError(e), String(e)).to.equal(true);
    expect((e as { reason: string }).reason, (e as Error).message).to.equal(reason);
    return;
  }
  expect.fail(`expected VoucherError(${reason})`);
}

async function selfSigned(alg: KeyAlgorithm): Promise<{ keys: KeyPair; cert: Certificate }> {
  const keys = generateKeyPairSync(alg);
  const cert = await issueCertificate({ subject: [{ type: 'CN', value: `MASA ${alg}` }], publicKey: keys.publicKey, signingKey: keys.privateKey, keyUsage: ['digitalSignature'] });
  return { keys, cert };
}

describe('voucher artifacts: COSE_Sign1 (cBRSKI §7.2)', () => {
  for (const alg of ['P-256', 'Ed25519'] as const) {
    it(`signs and verifies with ${alg === 'P-256' ? 'ES256' : 'EdDSA'}`, () => {
      const k = generateKeyPairSync(alg);
      const bytes = signVoucherCose(voucher, { privateKey: k.privateKey, role: 'voucher' });
      expect(bytes[0]).to.equal(0xd2); // tag 18
      const p = parseVoucherCose(bytes, 'voucher');
      expect(p.alg).to.equal(alg === 'P-256' ? COSE_ALG_ES256 : COSE_ALG_EDDSA);
      expect(Buffer.from(p.sign1.protectedBytes).toString('hex')).to.equal(alg === 'P-256' ? 'a10126' : 'a10127');
      expect(p.artifact).to.deep.equal(voucher);
      verifyVoucherCose(p, k.publicKey);
      rejects(() => verifyVoucherCose(p, generateKeyPairSync(alg).publicKey), 'signature');
    });
  }

  it('carries an x5bag (unprotected by default) and finds the signer in it', async () => {
    const reg = await selfSigned('P-256');
    const other = await selfSigned('P-256');
    const bytes = signVoucherCose(pvr, { privateKey: reg.keys.privateKey, x5bag: [certificateDer(other.cert), certificateDer(reg.cert)], kid: fromHex('59ab3e') });
    const p = parseVoucherCose(bytes, 'pvr');
    expect(p.x5bag).to.have.length(2);
    expect(p.kid).to.deep.equal(fromHex('59ab3e'));
    expect(findCoseSigner(p, p.x5bag)!.subject).to.equal(reg.cert.subject);
    expect(findCoseSigner(p, [certificateDer(other.cert)])).to.equal(undefined);
    const stripped = parseVoucherCose(stripUnprotectedCertificates(p));
    expect(stripped.x5bag).to.have.length(0);
    verifyVoucherCose(stripped, reg.cert); // the unprotected bag was not signed
    const prot = parseVoucherCose(signVoucherCose(pvr, { privateKey: reg.keys.privateKey, x5bag: [certificateDer(reg.cert)], x5bagProtected: true }));
    expect(prot.sign1.protectedHeader.get(32)).to.be.instanceOf(Uint8Array);
    expect(stripUnprotectedCertificates(prot)).to.equal(prot.bytes);
  });

  it('refuses a tampered payload, a missing alg, an unsupported alg, a detached payload', () => {
    const k = generateKeyPairSync('P-256');
    const bytes = signVoucherCose(voucher, { privateKey: k.privateKey });
    const s = decodeSign1(bytes);
    const other = encodeVoucherCbor({ ...voucher, serialNumber: 'PLEDGE-0002' });
    rejects(() => verifyVoucherCose(parseVoucherCose(encodeSign1({ ...s, payload: other }, true)), k.publicKey), 'signature');
    const noAlg = signSign1({ payload: s.payload!, privateKey: k.privateKey, tagged: true });
    rejects(() => parseVoucherCose(noAlg), 'malformed');
    const es384 = encodeCbor(new CborTag(18, [encodeCbor(new Map<CborValue, CborValue>([[1, -35]])), new Map(), s.payload, new Uint8Array(96)]));
    rejects(() => parseVoucherCose(es384), 'unsupported-algorithm');
    rejects(() => parseVoucherCose(encodeSign1({ ...s, payload: null }, true)), 'malformed');
    rejects(() => parseVoucherCose(new Uint8Array([0xd2, 0x80])), 'malformed');
    rejects(() => verifyVoucherCose(parseVoucherCose(bytes), generateKeyPairSync('Ed25519').publicKey), 'unsupported-algorithm');
  });

  it('checks the role before signing and after parsing', () => {
    const k = generateKeyPairSync('P-256');
    rejects(() => signVoucherCose({ ...pvr, nonce: undefined } as unknown as VoucherRequest, { privateKey: k.privateKey, role: 'pvr' }), 'missing-leaf');
    rejects(() => parseVoucherCose(signVoucherCose(pvr, { privateKey: k.privateKey }), 'rvr'), 'forbidden-leaf');
    rejects(() => parseVoucherCose(signVoucherCose(voucher, { privateKey: k.privateKey }), 'pvr'), 'wrong-kind');
  });

  it('keys by YANG names when asked (as the cBRSKI §7.1.2 RVR example does)', () => {
    const k = generateKeyPairSync('P-256');
    const p = parseVoucherCose(signVoucherCose(pvr, { privateKey: k.privateKey, keys: 'name' }));
    const data = decodeCbor(p.payload) as Map<CborValue, CborValue>;
    expect([...data.keys()]).to.deep.equal(['ietf-voucher-request:voucher']);
    expect(p.artifact).to.deep.equal(pvr);
  });
});

describe('voucher artifacts: CMS SignedData (application/voucher-cms+json)', () => {
  for (const alg of ['P-256', 'P-384', 'Ed25519', 'RSA-2048'] as const) {
    it(`signs and verifies with a ${alg} signer`, async function () {
      this.timeout(20_000);
      const s = await selfSigned(alg);
      const der = signVoucherCms(voucher, { privateKey: s.keys.privateKey, certificate: s.cert, signingTime: new Date('2026-03-04T05:06:07Z'), role: 'voucher' });
      const p = parseVoucherCms(der, 'voucher');
      expect(p.eContentType).to.equal(OID_CT_ANIMA_JSON_VOUCHER);
      expect(p.artifact).to.deep.equal(voucher);
      expect(p.certificates).to.have.length(1);
      expect(verifyVoucherCms(p).subject).to.equal(s.cert.subject);
      const stranger = await selfSigned(alg);
      rejects(() => verifyVoucherCms(p, [stranger.cert]), 'no-signer');
    });
  }

  it('refuses tampered content, a foreign signature and a missing signed-attributes set', async () => {
    const s = await selfSigned('P-256');
    const der = signVoucherCms(voucher, { privateKey: s.keys.privateKey, certificate: s.cert });
    // Flip one byte of the JSON serial number inside the eContent.
    const text = Buffer.from(der).toString('latin1');
    const at = text.indexOf('PLEDGE-0001');
    const tampered = Uint8Array.from(der);
    tampered[at + 10] = '2'.charCodeAt(0);
    rejects(() => verifyVoucherCms(parseVoucherCms(tampered)), 'signature');
    // A signature by another key with the first signer's identifiers.
    const t = await selfSigned('P-256');
    const forged = signVoucherCms(voucher, { privateKey: t.keys.privateKey, certificate: s.cert });
    rejects(() => verifyVoucherCms(parseVoucherCms(forged)), 'signature');
    // Without signed attributes (SignerInfo built by hand).
    const p = parseVoucherCms(der);
    const bare = { ...p, signerInfo: Object.assign(Object.create(Object.getPrototypeOf(p.signerInfo)), p.signerInfo, { signedAttrs: undefined }) };
    rejects(() => verifyVoucherCms(bare), 'signature');
  });

  it('refuses what is not a CMS voucher', () => {
    rejects(() => parseVoucherCms(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), 'malformed');
    rejects(() => parseVoucherCms(new Uint8Array([1, 2, 3])), 'malformed');
  });
});
