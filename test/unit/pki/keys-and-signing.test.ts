import { expect } from 'chai';
import { generateKeyPairSync as nodeGenerateKeyPairSync } from 'node:crypto';
import { toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import {
  decodePem,
  decodePemBlocks,
  encodePem,
  encodeSignatureAlgorithmIdentifier,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  generateKeyPairSync,
  importPrivateKey,
  importPublicKey,
  KEY_ALGORITHMS,
  keyAlgorithmOf,
  OID_ECDSA_WITH_SHA256,
  OID_ECDSA_WITH_SHA384,
  OID_ED25519_SIGNATURE,
  OID_SHA256_WITH_RSA_ENCRYPTION,
  samePublicKey,
  SIG_ECDSA_WITH_SHA384,
  signatureAlgorithmFor,
  signatureAlgorithmFromOid,
  signData,
  verifyData,
  type KeyAlgorithm,
  type KeyPair,
} from '../../../src/pki/index.ts';
import { makeCert, makeRoot } from './helpers.ts';

const data = new TextEncoder().encode('CMP PKIHeader || PKIBody');

describe('pki keys and signatures', () => {
  const pairs = new Map<KeyAlgorithm, KeyPair>();
  before(async () => {
    for (const alg of KEY_ALGORITHMS) pairs.set(alg, await generateKeyPair(alg));
  });

  describe('PEM (RFC 7468)', () => {
    it('round-trips DER through PEM with 64-character lines', () => {
      const der = Uint8Array.from({ length: 100 }, (_, i) => i);
      const pem = encodePem('CERTIFICATE', der);
      expect(pem.split('\n')[1]).to.have.length(64);
      expect(decodePem(`junk before\n${pem}junk after`, 'CERTIFICATE')).to.deep.equal(der);
    });
    it('rejects mismatched labels and bad base64 with ERR_PKI', () => {
      expect(() => decodePemBlocks('-----BEGIN A-----\nAAAA\n-----END B-----')).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_PKI'));
      expect(() => decodePemBlocks('-----BEGIN A-----\nA*AA\n-----END A-----')).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_PKI'));
    });
  });

  for (const alg of KEY_ALGORITHMS) {
    describe(alg, () => {
      it('generates a key of that algorithm and round-trips it through PKCS#8 / SPKI PEM', () => {
        const { privateKey, publicKey } = pairs.get(alg)!;
        expect(keyAlgorithmOf(privateKey)).to.equal(alg);
        expect(keyAlgorithmOf(publicKey)).to.equal(alg);
        const back = importPrivateKey(exportPrivateKeyPem(privateKey));
        expect(samePublicKey(back, publicKey)).to.equal(true);
        expect(samePublicKey(importPublicKey(exportPublicKeyPem(publicKey)), publicKey)).to.equal(true);
      });

      it('signs and verifies; a changed message, signature or key does not verify', () => {
        const { privateKey, publicKey } = pairs.get(alg)!;
        const sig = signData(privateKey, data);
        expect(verifyData(publicKey, data, sig)).to.equal(true);
        const otherData = Uint8Array.from(data);
        otherData[0]! ^= 1;
        expect(verifyData(publicKey, otherData, sig)).to.equal(false);
        const badSig = Uint8Array.from(sig);
        badSig[badSig.length - 1]! ^= 1;
        expect(verifyData(publicKey, data, badSig)).to.equal(false);
        expect(verifyData(generateKeyPairSync(alg).publicKey, data, sig)).to.equal(false);
        expect(verifyData(publicKey, data, new Uint8Array(3))).to.equal(false);
      });

      it('verifies with a certificate holding the key, and with the algorithm given by OID', async () => {
        const root = await makeRoot(`root ${alg}`, {}, alg);
        const sig = signData(root.keys.privateKey, data);
        const oid = signatureAlgorithmFor(root.keys.privateKey).oid;
        expect(verifyData(root.cert, data, sig)).to.equal(true);
        expect(verifyData(root.cert, data, sig, { algorithm: oid })).to.equal(true);
      });
    });
  }

  it('maps each key to its signature AlgorithmIdentifier (RFC 5758, RFC 8410, RFC 4055)', () => {
    const ai = (alg: KeyAlgorithm): string => toHex(encodeSignatureAlgorithmIdentifier(pairs.get(alg)!.privateKey));
    expect(signatureAlgorithmFor(pairs.get('P-256')!.publicKey).oid).to.equal(OID_ECDSA_WITH_SHA256);
    expect(OID_ECDSA_WITH_SHA256).to.equal('1.2.840.10045.4.3.2');
    expect(signatureAlgorithmFor(pairs.get('P-384')!.publicKey).oid).to.equal(OID_ECDSA_WITH_SHA384);
    expect(signatureAlgorithmFor(pairs.get('Ed25519')!.publicKey).oid).to.equal(OID_ED25519_SIGNATURE);
    expect(signatureAlgorithmFor(pairs.get('RSA-2048')!.publicKey).oid).to.equal(OID_SHA256_WITH_RSA_ENCRYPTION);
    // parameters absent for ECDSA and Ed25519, NULL for RSA
    expect(ai('P-256')).to.equal('300a06082a8648ce3d040302');
    expect(ai('P-384')).to.equal('300a06082a8648ce3d040303');
    expect(ai('Ed25519')).to.equal('300506032b6570');
    expect(ai('RSA-2048')).to.equal('300d06092a864886f70d01010b0500');
  });

  it('ECDSA P-384 signatures use SHA-384 and verify with openssl-compatible DER', () => {
    const { privateKey, publicKey } = pairs.get('P-384')!;
    const sig = signData(privateKey, data);
    expect(sig[0]).to.equal(0x30); // DER SEQUENCE { r, s }
    expect(verifyData(publicKey, data, sig, { algorithm: SIG_ECDSA_WITH_SHA384 })).to.equal(true);
  });

  it('produces raw r||s for ECDSA when asked (ieee-p1363)', () => {
    const { privateKey, publicKey } = pairs.get('P-256')!;
    const sig = signData(privateKey, data, { dsaEncoding: 'ieee-p1363' });
    expect(sig).to.have.length(64);
    expect(verifyData(publicKey, data, sig, { dsaEncoding: 'ieee-p1363' })).to.equal(true);
  });

  it('refuses an algorithm that does not fit the key, and unknown OIDs, with ERR_PKI', () => {
    const { privateKey, publicKey } = pairs.get('P-256')!;
    expect(() => signData(privateKey, data, { algorithm: OID_ED25519_SIGNATURE })).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_PKI'));
    expect(() => verifyData(publicKey, data, new Uint8Array(8), { algorithm: OID_SHA256_WITH_RSA_ENCRYPTION })).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_PKI'));
    expect(() => signatureAlgorithmFromOid('1.2.840.113549.1.1.5')).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_PKI'));
  });

  it('refuses keys outside the supported set (P-521, RSA-1024) with ERR_PKI', () => {
    const p521 = nodeGenerateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey;
    const rsa1024 = nodeGenerateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    for (const key of [p521, rsa1024]) {
      expect(() => keyAlgorithmOf(key)).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_PKI'));
    }
  });

  it('verifies a signature made by an issued end-entity key through its certificate', async () => {
    const root = await makeRoot('root');
    const ee = await makeCert('ee', root);
    expect(verifyData(ee.cert, data, signData(ee.keys.privateKey, data))).to.equal(true);
    expect(verifyData(root.cert, data, signData(ee.keys.privateKey, data))).to.equal(false);
  });
});
