/** Small builders for PKI tests: a CA hierarchy made of fresh keys, issued in one line each. */
import {
  generateKeyPairSync,
  issueCertificate,
  type Certificate,
  type IssueCertificateOptions,
  type KeyAlgorithm,
  type KeyPair,
} from '../../../src/pki/index.ts';

export interface TestCredential {
  readonly keys: KeyPair;
  readonly cert: Certificate;
}

type Extra = Partial<Omit<IssueCertificateOptions, 'publicKey' | 'signingKey' | 'issuerCertificate'>>;

const DAY = 24 * 3600 * 1000;
export const T0 = new Date('2030-06-01T00:00:00Z');

export async function makeRoot(cn: string, extra: Extra = {}, alg: KeyAlgorithm = 'P-256'): Promise<TestCredential> {
  const keys = generateKeyPairSync(alg);
  const cert = await issueCertificate({
    subject: `O=Test, CN=${cn}`,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notBefore: new Date(T0.getTime() - 365 * DAY),
    notAfter: new Date(T0.getTime() + 3650 * DAY),
    basicConstraints: { ca: true },
    keyUsage: ['keyCertSign', 'cRLSign'],
    ...extra,
  });
  return { keys, cert };
}

export async function makeCa(cn: string, issuer: TestCredential, extra: Extra = {}, alg: KeyAlgorithm = 'P-256'): Promise<TestCredential> {
  return makeCert(cn, issuer, { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'], ...extra }, alg);
}

export async function makeCert(cn: string, issuer: TestCredential, extra: Extra = {}, alg: KeyAlgorithm = 'P-256'): Promise<TestCredential> {
  const keys = generateKeyPairSync(alg);
  const cert = await issueCertificate({
    subject: `O=Test, CN=${cn}`,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    issuerCertificate: issuer.cert,
    notBefore: new Date(T0.getTime() - 30 * DAY),
    notAfter: new Date(T0.getTime() + 365 * DAY),
    keyUsage: ['digitalSignature'],
    ...extra,
  });
  return { keys, cert };
}
