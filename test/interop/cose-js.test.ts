/**
 * COSE_Sign1 voucher artifacts against an independent implementation, cose-js 0.9 (elliptic for
 * ECDSA, the `cbor` package for CBOR), in both directions:
 *   - what signVoucherCose produces (PVR, RVR with x5bag, voucher) verifies in cose-js;
 *   - what cose-js signs over our voucher data (with and without x5chain) parses and verifies here;
 *   - cose-js verifies the published cBRSKI PVR / RVR / voucher with the published certificates.
 * cose-js 0.9 knows ES256/384/512 and RSA but not EdDSA; our EdDSA is covered by the unit tests and
 * node:crypto only, and the last test records that cose-js refuses alg -8.
 */
import { expect } from 'chai';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fromHex } from '../../src/core/bytes.ts';
import {
  encodeVoucherCbor,
  parseVoucherCose,
  signVoucherCose,
  subjectPublicKeyInfoDer,
  verifyVoucherCose,
  type Voucher,
  type VoucherRequest,
} from '../../src/codec/voucher/index.ts';
import { certificateDer, certificatePublicKey, generateKeyPairSync, issueCertificate, parseCertificate } from '../../src/pki/index.ts';
import { REPO_ROOT } from '../helpers/processes.ts';

interface CoseJsKey {
  key: { d?: Buffer; x?: Buffer; y?: Buffer };
}
interface CoseJs {
  sign: {
    create(headers: { p?: Record<string, unknown>; u?: Record<string, unknown> }, payload: Buffer, signer: CoseJsKey, options?: { excludetag?: boolean }): Promise<Buffer>;
    verifySync(message: Uint8Array, verifier: CoseJsKey): Buffer;
    verify(message: Uint8Array, verifier: CoseJsKey): Promise<Buffer>;
  };
}
const cose = createRequire(import.meta.url)('cose-js') as CoseJs;

function jwk(key: KeyObject): { d?: Buffer; x: Buffer; y: Buffer } {
  const j = key.export({ format: 'jwk' });
  return {
    x: Buffer.from(j.x!, 'base64url'),
    y: Buffer.from(j.y!, 'base64url'),
    ...(j.d ? { d: Buffer.from(j.d, 'base64url') } : {}),
  };
}
const verifier = (key: KeyObject): CoseJsKey => {
  const { x, y } = jwk(key);
  return { key: { x, y } };
};

const pvr: VoucherRequest = {
  kind: 'voucher-request',
  assertion: 'proximity',
  nonce: fromHex('a1b2c3d4e5f60718'),
  proximityRegistrarPubk: new Uint8Array(91).fill(3),
  serialNumber: 'PLEDGE-0001',
};
const voucher: Voucher = {
  kind: 'voucher',
  assertion: 'proximity',
  createdOn: '2026-05-06T07:08:09Z',
  nonce: fromHex('a1b2c3d4e5f60718'),
  pinnedDomainCert: fromHex('3082'),
  serialNumber: 'PLEDGE-0001',
};

describe('interop: COSE_Sign1 vouchers with cose-js', () => {
  it('cose-js verifies our ES256 PVR and returns our voucher data', () => {
    const k = generateKeyPairSync('P-256');
    const bytes = signVoucherCose(pvr, { privateKey: k.privateKey });
    const payload = cose.sign.verifySync(bytes, verifier(k.publicKey));
    expect(new Uint8Array(payload)).to.deep.equal(encodeVoucherCbor(pvr));
    const wrong = generateKeyPairSync('P-256');
    expect(() => cose.sign.verifySync(bytes, verifier(wrong.publicKey))).to.throw(/Signature missmatch/);
  });

  it('cose-js verifies our RVR with an unprotected x5bag and our voucher', async () => {
    const k = generateKeyPairSync('P-256');
    const cert = await issueCertificate({ subject: [{ type: 'CN', value: 'Registrar' }], publicKey: k.publicKey, signingKey: k.privateKey });
    const rvr: VoucherRequest = { kind: 'voucher-request', assertion: 'proximity', nonce: pvr.nonce!, priorSignedVoucherRequest: signVoucherCose(pvr, { privateKey: generateKeyPairSync('P-256').privateKey }), serialNumber: 'PLEDGE-0001' };
    const rvrBytes = signVoucherCose(rvr, { privateKey: k.privateKey, x5bag: [certificateDer(cert), certificateDer(cert)], role: 'rvr' });
    expect(new Uint8Array(await cose.sign.verify(rvrBytes, verifier(k.publicKey)))).to.deep.equal(encodeVoucherCbor(rvr));
    const vBytes = signVoucherCose(voucher, { privateKey: k.privateKey, role: 'voucher' });
    expect(new Uint8Array(cose.sign.verifySync(vBytes, verifier(k.publicKey)))).to.deep.equal(encodeVoucherCbor(voucher));
  });

  it('we parse and verify what cose-js signs (tagged and untagged, with an x5chain)', async () => {
    const k = generateKeyPairSync('P-256');
    const payload = Buffer.from(encodeVoucherCbor(voucher));
    const tagged = await cose.sign.create({ p: { alg: 'ES256' }, u: {} }, payload, { key: { d: jwk(k.privateKey).d! } });
    const p = parseVoucherCose(new Uint8Array(tagged), 'voucher');
    verifyVoucherCose(p, k.publicKey);
    expect(p.artifact).to.deep.equal(voucher);

    const cert = await issueCertificate({ subject: [{ type: 'CN', value: 'MASA' }], publicKey: k.publicKey, signingKey: k.privateKey });
    const withChain = await cose.sign.create({ p: { alg: 'ES256' }, u: { x5chain: Buffer.from(certificateDer(cert)) } }, payload, { key: { d: jwk(k.privateKey).d! } }, { excludetag: true });
    const q = parseVoucherCose(new Uint8Array(withChain));
    expect(q.x5chain).to.have.length(1);
    verifyVoucherCose(q, parseCertificate(q.x5chain[0]!));
    const other = generateKeyPairSync('P-256');
    expect(() => verifyVoucherCose(q, other.publicKey)).to.throw(/does not verify/);
  });

  it('cose-js verifies the published cBRSKI PVR, RVR and voucher with the published certificates', () => {
    const dir = join(REPO_ROOT, 'test', 'fixtures', 'voucher', 'cbrski-2022');
    const hex = (f: string) => fromHex(readFileSync(join(dir, f), 'utf8'));
    const key = (f: string) => certificatePublicKey(parseCertificate(new Uint8Array(readFileSync(join(dir, f)))));
    for (const [artifact, signer] of [['pvr.hex', 'pledge.der'], ['rvr.hex', 'registrar.der'], ['voucher.hex', 'masa_ca.der']]) {
      const payload = cose.sign.verifySync(hex(artifact!), verifier(key(signer!)));
      expect(new Uint8Array(payload), artifact).to.deep.equal(hex(artifact!.replace('.hex', '-nonsigned.hex')));
    }
    // The PVR's proximity-registrar-pubk is the registrar key cose-js just used.
    const registrar = parseCertificate(new Uint8Array(readFileSync(join(dir, 'registrar.der'))));
    expect((parseVoucherCose(hex('pvr.hex')).artifact as VoucherRequest).proximityRegistrarPubk).to.deep.equal(subjectPublicKeyInfoDer(registrar));
  });

  it('cose-js 0.9 has no EdDSA: it refuses our alg -8 vouchers (recorded, not a defect of ours)', () => {
    const k = generateKeyPairSync('Ed25519');
    const bytes = signVoucherCose(voucher, { privateKey: k.privateKey });
    expect(() => cose.sign.verifySync(bytes, { key: {} })).to.throw(/Unknown algorithm, -8/);
    verifyVoucherCose(parseVoucherCose(bytes), k.publicKey);
  });
});
