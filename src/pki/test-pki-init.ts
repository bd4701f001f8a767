/**
 * A complete test PKI for BRSKI-AE in one call:
 *
 *   manufacturer root CA ─┬─ manufacturer issuing CA ── IDevID of each pledge (802.1AR, never expires)
 *                         ├─ MASA voucher-signing certificate
 *                         └─ MASA TLS server certificate (localhost, 127.0.0.1)
 *   domain root CA ────── domain issuing CA (the LDevID issuer) ─┬─ registrar (cmcRA, serverAuth, clientAuth)
 *                                                                └─ RA/CA CMP service (cmcCA, cmcRA, serverAuth, clientAuth)
 *
 * Files and their names are in test-pki-layout.ts; the layout is described in docs/pki-layout.md.
 */
import { isIP } from 'node:net';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { StackError } from '../core/errors.ts';
import {
  certificateDer,
  certificatePem,
  certificatesPem,
  type Certificate,
} from './certificate.ts';
import { formatName, type NameSpec } from './distinguished-name.ts';
import type { KeyUsage } from './extensions.ts';
import { masaUrlExtension, NO_WELL_DEFINED_EXPIRATION } from './idevid.ts';
import { issueCertificate, type IssueCertificateOptions } from './issue-certificate.ts';
import { exportPrivateKeyPem, generateKeyPair, type KeyAlgorithm, type KeyPair } from './key-pair.ts';
import { OID_KP_CLIENT_AUTH, OID_KP_CMC_CA, OID_KP_CMC_RA, OID_KP_SERVER_AUTH } from './oids.ts';
import {
  DOMAIN_FILES,
  MANUFACTURER_FILES,
  PKI_MANIFEST_FILE,
  PKI_MANIFEST_FORMAT,
  PKI_TOP_LEVEL,
  pledgeFiles,
  pledgeSerialNumber,
  type CredentialFiles,
  type ManifestCredential,
  type ManifestPledge,
  type PkiManifest,
} from './test-pki-layout.ts';
import { loadPki, type TestPki } from './test-pki-load.ts';

export const DEFAULT_MASA_URL = 'https://localhost:9443/.well-known/brski';
export const MAX_TEST_PLEDGES = 10000;

export interface InitTestPkiOptions {
  /** Number of pledge IDevIDs, PLEDGE-0001 … (default 1, at most MAX_TEST_PLEDGES). */
  readonly pledges?: number;
  /** Replace an existing PKI in `dir` (removes only the entries of PKI_TOP_LEVEL). */
  readonly force?: boolean;
  /** Value of the id-pe-masa-url extension in every IDevID (default DEFAULT_MASA_URL). */
  readonly masaUrl?: string;
  /** Algorithm of every key (default P-256). */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Issuance time (default now); certificates are valid from one hour before it. */
  readonly now?: Date;
}

const MANUFACTURER_O = 'BRSKI-AE Test Manufacturer';
const DOMAIN_O = 'BRSKI-AE Test Domain';
const HOUR = 3600 * 1000;
const YEAR = 365 * 24 * HOUR;
const CA_KEY_USAGE: KeyUsage[] = ['keyCertSign', 'cRLSign'];
const LOCALHOST = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };

/** The MASA's TLS names: loopback, plus the host of the IDevIDs' MASA URL (so a remote registrar can reach it). */
function masaTlsNames(masaUrl: string): { dns: string[]; ip: string[] } {
  const dns = [...LOCALHOST.dns];
  const ip = [...LOCALHOST.ip];
  let host: string;
  try {
    host = new URL(masaUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return { dns, ip };
  }
  if (isIP(host) !== 0) {
    if (!ip.includes(host)) ip.push(host);
  } else if (host !== '' && !dns.includes(host.toLowerCase())) {
    dns.push(host.toLowerCase());
  }
  return { dns, ip };
}

interface Issued {
  readonly keys: KeyPair;
  readonly cert: Certificate;
  /** Leaf first, root excluded. */
  readonly chain: readonly Certificate[];
}

/** Generate the test PKI into `dir`, write pki.json, and return it loaded. */
export async function initTestPki(dir: string, options: InitTestPkiOptions = {}): Promise<TestPki & { created: string[] }> {
  const root = resolve(dir);
  const count = options.pledges ?? 1;
  if (!Number.isInteger(count) || count < 0 || count > MAX_TEST_PLEDGES) {
    throw new StackError('ERR_INVALID_ARGUMENT', `pledges must be an integer from 0 to ${MAX_TEST_PLEDGES}, got ${count}`);
  }
  const alg = options.keyAlgorithm ?? 'P-256';
  const masaUrl = options.masaUrl ?? DEFAULT_MASA_URL;
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - HOUR);
  const until = (ms: number): Date => new Date(now.getTime() + ms);

  await prepareDirectory(root, options.force ?? false);

  const keys = (n: number): Promise<KeyPair[]> => Promise.all(Array.from({ length: n }, () => generateKeyPair(alg)));
  const [[mRootK, mIssK, masaK, masaTlsK, dRootK, dIssK, regK, raK], pledgeKeys] = await Promise.all([keys(8), keys(count)]);

  const issue = async (
    k: KeyPair,
    issuer: Issued | undefined,
    o: Omit<IssueCertificateOptions, 'publicKey' | 'signingKey' | 'issuerCertificate' | 'notBefore'>,
  ): Promise<Issued> => {
    const cert = await issueCertificate({
      ...o,
      publicKey: k.publicKey,
      signingKey: issuer ? issuer.keys.privateKey : k.privateKey,
      ...(issuer ? { issuerCertificate: issuer.cert } : {}),
      notBefore,
    });
    // A chain stops below the self-signed root.
    const chain = issuer ? [cert, ...issuer.chain] : [cert];
    return { keys: k, cert, chain };
  };
  const withoutRoot = (i: Issued): Issued => ({ ...i, chain: i.chain.slice(0, -1) });
  const name = (o: string, cn: string): NameSpec => [
    { type: 'O', value: o },
    { type: 'CN', value: cn },
  ];

  // Manufacturer side. IDevID CAs never expire either, or IDevIDs would stop validating.
  const mRoot = await issue(mRootK!, undefined, {
    subject: name(MANUFACTURER_O, 'Manufacturer Root CA'),
    notAfter: NO_WELL_DEFINED_EXPIRATION,
    basicConstraints: { ca: true, pathLength: 1 },
    keyUsage: CA_KEY_USAGE,
  });
  const [mIssuing, masa, masaTls] = await Promise.all([
    issue(mIssK!, mRoot, {
      subject: name(MANUFACTURER_O, 'Manufacturer IDevID Issuing CA'),
      notAfter: NO_WELL_DEFINED_EXPIRATION,
      basicConstraints: { ca: true, pathLength: 0 },
      keyUsage: CA_KEY_USAGE,
    }),
    issue(masaK!, mRoot, {
      subject: name(MANUFACTURER_O, 'MASA Voucher Signing'),
      notAfter: until(10 * YEAR),
      keyUsage: ['digitalSignature'],
    }),
    issue(masaTlsK!, mRoot, {
      subject: name(MANUFACTURER_O, 'localhost'),
      notAfter: until(2 * YEAR),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID_KP_SERVER_AUTH],
      subjectAltName: masaTlsNames(masaUrl),
    }),
  ]);

  // Domain side.
  const dRoot = await issue(dRootK!, undefined, {
    subject: name(DOMAIN_O, 'Domain Root CA'),
    notAfter: until(20 * YEAR),
    basicConstraints: { ca: true, pathLength: 1 },
    keyUsage: CA_KEY_USAGE,
  });
  const dIssuing = await issue(dIssK!, dRoot, {
    subject: name(DOMAIN_O, 'Domain Issuing CA'),
    notAfter: until(10 * YEAR),
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: ['digitalSignature', ...CA_KEY_USAGE],
  });
  const [registrar, raCa] = await Promise.all([
    issue(regK!, dIssuing, {
      subject: name(DOMAIN_O, 'Registrar'),
      notAfter: until(2 * YEAR),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID_KP_CMC_RA, OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH],
      subjectAltName: LOCALHOST,
    }),
    issue(raK!, dIssuing, {
      subject: name(DOMAIN_O, 'RA/CA CMP Service'),
      notAfter: until(2 * YEAR),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID_KP_CMC_CA, OID_KP_CMC_RA, OID_KP_SERVER_AUTH, OID_KP_CLIENT_AUTH],
      subjectAltName: LOCALHOST,
    }),
  ]);

  // Pledges (IEEE 802.1AR IDevIDs, RFC 8995 §2.3).
  const pledges = await Promise.all(
    pledgeKeys.map(async (k, i) => {
      const serialNumber = pledgeSerialNumber(i + 1);
      const issued = await issue(k, mIssuing, {
        subject: [
          { type: 'O', value: MANUFACTURER_O },
          { type: 'CN', value: `Pledge ${serialNumber}` },
          { type: 'serialNumber', value: serialNumber },
        ],
        notAfter: NO_WELL_DEFINED_EXPIRATION,
        keyUsage: ['digitalSignature'],
        extensions: [masaUrlExtension(masaUrl)],
      });
      return { serialNumber, issued: withoutRoot(issued) };
    }),
  );

  // Write everything.
  const created: string[] = [];
  const put = async (rel: string, data: string | Uint8Array, mode: number): Promise<void> => {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data, { mode });
    await chmod(path, mode); // the umask may have narrowed or the file may have existed
    created.push(rel);
  };
  const save = async (files: CredentialFiles, i: Issued): Promise<ManifestCredential> => {
    await Promise.all([
      put(files.cert, certificatePem(i.cert), 0o644),
      put(files.certDer, certificateDer(i.cert), 0o644),
      put(files.key, exportPrivateKeyPem(i.keys.privateKey), 0o600),
      put(files.chain, certificatesPem(i.chain), 0o644),
    ]);
    return {
      ...files,
      subject: formatName(i.cert.subjectName),
      issuer: formatName(i.cert.issuerName),
      certSerial: i.cert.serialNumber.toLowerCase(),
      notBefore: i.cert.notBefore.toISOString(),
      notAfter: i.cert.notAfter.toISOString(),
    };
  };

  const [mfRootCa, mfIssuingCa, mfMasa, mfMasaTls, dmRootCa, dmIssuingCa, dmRegistrar, dmRaCa] = await Promise.all([
    save(MANUFACTURER_FILES.rootCa, mRoot),
    save(MANUFACTURER_FILES.issuingCa, withoutRoot(mIssuing)),
    save(MANUFACTURER_FILES.masa, withoutRoot(masa)),
    save(MANUFACTURER_FILES.masaTls, withoutRoot(masaTls)),
    save(DOMAIN_FILES.rootCa, dRoot),
    save(DOMAIN_FILES.issuingCa, withoutRoot(dIssuing)),
    save(DOMAIN_FILES.registrar, withoutRoot(registrar)),
    save(DOMAIN_FILES.raCa, withoutRoot(raCa)),
  ]);
  const manifestPledges: ManifestPledge[] = await Promise.all(
    pledges.map(async (p) => ({ serialNumber: p.serialNumber, ...(await save(pledgeFiles(p.serialNumber), p.issued)) })),
  );

  const manifest: PkiManifest = {
    format: PKI_MANIFEST_FORMAT,
    created: now.toISOString(),
    keyAlgorithm: alg,
    masaUrl,
    manufacturer: { rootCa: mfRootCa, issuingCa: mfIssuingCa, masa: mfMasa, masaTls: mfMasaTls },
    domain: { rootCa: dmRootCa, issuingCa: dmIssuingCa, registrar: dmRegistrar, raCa: dmRaCa },
    pledges: manifestPledges,
    files: [...created, PKI_MANIFEST_FILE].sort(),
  };
  await put(PKI_MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);

  return { ...(await loadPki(root)), created: [...manifest.files] };
}

/** Refuse to overwrite an existing PKI unless forced; with force remove only our own entries. */
async function prepareDirectory(root: string, force: boolean): Promise<void> {
  const present: string[] = [];
  for (const entry of PKI_TOP_LEVEL) {
    if (await exists(join(root, entry))) present.push(entry);
  }
  if (present.length > 0 && !force) {
    throw new StackError('ERR_CONFIG', `${root} already holds a test PKI (${present.join(', ')}); pass force (--force) to replace it`);
  }
  await Promise.all(present.map((entry) => rm(join(root, entry), { recursive: true, force: true })));
  await mkdir(root, { recursive: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
