/**
 * Reading a generated test PKI back: pki.json, then every certificate, chain and key it lists.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StackError } from '../core/errors.ts';
import { parseCertificate, parseCertificates, certificatePublicKey, type Certificate } from './certificate.ts';
import { importPrivateKey, samePublicKey } from './key-pair.ts';
import {
  PKI_MANIFEST_FILE,
  PKI_MANIFEST_FORMAT,
  type CredentialFiles,
  type DomainCredential,
  type ManifestCredential,
  type ManufacturerCredential,
  type PkiManifest,
} from './test-pki-layout.ts';

export interface Credential {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  /** The certificate and its intermediate CAs, leaf first, root excluded. */
  readonly chain: readonly Certificate[];
  /** Absolute paths of the files. */
  readonly files: CredentialFiles;
}

export interface PledgeCredential extends Credential {
  /** The 802.1AR serial number, e.g. PLEDGE-0001. */
  readonly serialNumber: string;
}

export interface TestPki {
  /** Absolute path of the PKI directory. */
  readonly dir: string;
  readonly manifest: PkiManifest;
  readonly manufacturer: Readonly<Record<ManufacturerCredential, Credential>>;
  readonly domain: Readonly<Record<DomainCredential, Credential>>;
  readonly pledges: readonly PledgeCredential[];
}

export async function loadPki(dir: string): Promise<TestPki> {
  const root = resolve(dir);
  const manifest = await readManifest(root);
  const load = (c: ManifestCredential): Promise<Credential> => loadCredential(root, c);
  const [mRoot, mIssuing, masa, masaTls, dRoot, dIssuing, registrar, raCa, pledges] = await Promise.all([
    load(manifest.manufacturer.rootCa),
    load(manifest.manufacturer.issuingCa),
    load(manifest.manufacturer.masa),
    load(manifest.manufacturer.masaTls),
    load(manifest.domain.rootCa),
    load(manifest.domain.issuingCa),
    load(manifest.domain.registrar),
    load(manifest.domain.raCa),
    Promise.all(manifest.pledges.map(async (p) => ({ ...(await load(p)), serialNumber: p.serialNumber }))),
  ]);
  return {
    dir: root,
    manifest,
    manufacturer: { rootCa: mRoot, issuingCa: mIssuing, masa, masaTls },
    domain: { rootCa: dRoot, issuingCa: dIssuing, registrar, raCa },
    pledges,
  };
}

/** pki.json of a PKI directory, checked for its format tag. */
export async function readManifest(dir: string): Promise<PkiManifest> {
  const path = join(dir, PKI_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new StackError('ERR_NOT_FOUND', `no test PKI at ${dir} (cannot read ${PKI_MANIFEST_FILE})`, {}, e);
  }
  let manifest: PkiManifest;
  try {
    manifest = JSON.parse(text) as PkiManifest;
  } catch (e) {
    throw new StackError('ERR_CONFIG', `${path} is not JSON`, {}, e);
  }
  if (manifest?.format !== PKI_MANIFEST_FORMAT) {
    throw new StackError('ERR_CONFIG', `${path}: format is ${JSON.stringify(manifest?.format)}, expected ${PKI_MANIFEST_FORMAT}`);
  }
  return manifest;
}

async function loadCredential(dir: string, c: ManifestCredential): Promise<Credential> {
  const files: CredentialFiles = {
    cert: join(dir, c.cert),
    certDer: join(dir, c.certDer),
    key: join(dir, c.key),
    chain: join(dir, c.chain),
  };
  const [certText, keyText, chainText] = await Promise.all([
    readText(files.cert),
    readText(files.key),
    readText(files.chain),
  ]);
  const certificate = parseCertificate(certText);
  const privateKey = importPrivateKey(keyText);
  if (!samePublicKey(privateKey, certificatePublicKey(certificate))) {
    throw new StackError('ERR_PKI', `${files.key} does not belong to ${files.cert}`);
  }
  return { certificate, privateKey, chain: parseCertificates(chainText), files };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new StackError('ERR_NOT_FOUND', `cannot read ${path}`, {}, e);
  }
}
