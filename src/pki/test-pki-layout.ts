/**
 * The on-disk layout of a generated test PKI (documented in docs/pki-layout.md). Every path here
 * is relative to the PKI directory; pki.json lists them all, so tools never guess file names.
 *
 *   pki.json
 *   manufacturer/{root-ca,issuing-ca,masa,masa-tls}.{pem,der,key}  + <name>-chain.pem
 *   domain/{root-ca,issuing-ca,registrar,ra-ca}.{pem,der,key}      + <name>-chain.pem
 *   pledges/PLEDGE-0001/{idevid.pem,idevid.der,idevid.key,chain.pem}
 */
import type { KeyAlgorithm } from './key-pair.ts';

export const PKI_MANIFEST_FILE = 'pki.json';
export const PKI_MANIFEST_FORMAT = 'brski-ae-test-pki/1';

/** The top-level entries initTestPki creates (and, with force, removes first). */
export const PKI_TOP_LEVEL = [PKI_MANIFEST_FILE, 'manufacturer', 'domain', 'pledges'] as const;

/** Files of one credential, relative to the PKI directory. */
export interface CredentialFiles {
  /** Certificate, PEM. */
  readonly cert: string;
  /** Certificate, DER. */
  readonly certDer: string;
  /** PKCS#8 private key, PEM, mode 0600. */
  readonly key: string;
  /** The certificate followed by its intermediate CA certificates (no root), PEM. */
  readonly chain: string;
}

export type ManufacturerCredential = 'rootCa' | 'issuingCa' | 'masa' | 'masaTls';
export type DomainCredential = 'rootCa' | 'issuingCa' | 'registrar' | 'raCa';

function credentialFiles(folder: string, base: string): CredentialFiles {
  return {
    cert: `${folder}/${base}.pem`,
    certDer: `${folder}/${base}.der`,
    key: `${folder}/${base}.key`,
    chain: `${folder}/${base}-chain.pem`,
  };
}

export const MANUFACTURER_FILES: Readonly<Record<ManufacturerCredential, CredentialFiles>> = {
  rootCa: credentialFiles('manufacturer', 'root-ca'),
  issuingCa: credentialFiles('manufacturer', 'issuing-ca'),
  masa: credentialFiles('manufacturer', 'masa'),
  masaTls: credentialFiles('manufacturer', 'masa-tls'),
};

export const DOMAIN_FILES: Readonly<Record<DomainCredential, CredentialFiles>> = {
  rootCa: credentialFiles('domain', 'root-ca'),
  issuingCa: credentialFiles('domain', 'issuing-ca'),
  registrar: credentialFiles('domain', 'registrar'),
  raCa: credentialFiles('domain', 'ra-ca'),
};

/** The 802.1AR serial number of the i-th pledge (1-based): PLEDGE-0001, PLEDGE-0002, … */
export function pledgeSerialNumber(i: number): string {
  return `PLEDGE-${String(i).padStart(4, '0')}`;
}

export function pledgeFiles(serialNumber: string): CredentialFiles {
  const dir = `pledges/${serialNumber}`;
  return { cert: `${dir}/idevid.pem`, certDer: `${dir}/idevid.der`, key: `${dir}/idevid.key`, chain: `${dir}/chain.pem` };
}

/** What pki.json records for one credential. */
export interface ManifestCredential extends CredentialFiles {
  readonly subject: string;
  readonly issuer: string;
  /** Certificate serial number, hex. */
  readonly certSerial: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface ManifestPledge extends ManifestCredential {
  /** The 802.1AR device serial number (subject serialNumber attribute). */
  readonly serialNumber: string;
}

/** pki.json */
export interface PkiManifest {
  readonly format: typeof PKI_MANIFEST_FORMAT;
  readonly created: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly masaUrl: string;
  readonly manufacturer: Readonly<Record<ManufacturerCredential, ManifestCredential>>;
  readonly domain: Readonly<Record<DomainCredential, ManifestCredential>>;
  readonly pledges: readonly ManifestPledge[];
  /** Every file written, pki.json included, sorted. */
  readonly files: readonly string[];
}
