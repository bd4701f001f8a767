/**
 * Certificate issuance: an X.509 v3 certificate (RFC 5280 §4.1) from a short description, signed
 * by the issuer's key with @peculiar/x509's generator.
 *
 * Defaults: a random 16-octet serial; notBefore now, notAfter one year later; SKI (method 1) and
 * AKI (the issuer's SKI, or the key identifier of the issuer's key) present; the signature
 * algorithm that signatureAlgorithmFor() picks for the issuer's key.
 */
import type { KeyObject } from 'node:crypto';
import { StackError } from '../core/errors.ts';
import type { Random } from '../core/random.ts';
import { certificatePublicKey, type Certificate } from './certificate.ts';
import { buildName, type NameSpec } from './distinguished-name.ts';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extendedKeyUsageExtension,
  keyUsageExtension,
  rawExtension,
  readSubjectKeyIdentifier,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  type BasicConstraints,
  type KeyUsage,
  type RawExtension,
  type SubjectAltNames,
} from './extensions.ts';
import { keyIdentifier } from './key-identifier.ts';
import { exportPublicKeyDer, keyAlgorithmOf, samePublicKey } from './key-pair.ts';
import { randomSerialNumber, serialNumberHex } from './serial-number.ts';
import { toWebCryptoSigningKey, webCryptoSignParams } from './webcrypto-key.ts';
import { x509 } from './x509-provider.ts';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

export interface IssueCertificateOptions {
  readonly subject: NameSpec;
  /** The subject's public key (a private key is accepted; its public half is used). */
  readonly publicKey: KeyObject;
  /** The issuing CA certificate; omit for a self-signed certificate. */
  readonly issuerCertificate?: Certificate;
  /** The issuer's private key (for a self-signed certificate: the subject's own private key). */
  readonly signingKey: KeyObject;
  readonly serialNumber?: Uint8Array;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: readonly KeyUsage[];
  /** Purposes as OIDs (see oids.ts OID_KP_*). */
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectAltName?: SubjectAltNames;
  /** Include subjectKeyIdentifier (default true). */
  readonly subjectKeyIdentifier?: boolean;
  /** Include authorityKeyIdentifier (default true). */
  readonly authorityKeyIdentifier?: boolean;
  /** Further extensions, appended after the ones above. */
  readonly extensions?: readonly RawExtension[];
  /** Source of the random serial number. */
  readonly random?: Random;
}

export async function issueCertificate(opts: IssueCertificateOptions): Promise<Certificate> {
  const { issuerCertificate, signingKey } = opts;
  if (signingKey.type !== 'private') throw new StackError('ERR_INVALID_ARGUMENT', 'signingKey must be a private key');
  if (issuerCertificate) {
    if (!samePublicKey(signingKey, certificatePublicKey(issuerCertificate))) {
      throw new StackError('ERR_INVALID_ARGUMENT', `signingKey does not belong to the issuer ${issuerCertificate.subject}`);
    }
  } else if (!samePublicKey(signingKey, opts.publicKey)) {
    throw new StackError('ERR_INVALID_ARGUMENT', 'a self-signed certificate must be signed with the subject key');
  }

  const subject = buildName(opts.subject);
  const issuer = issuerCertificate ? issuerCertificate.subjectName : subject;
  const notBefore = truncateToSeconds(opts.notBefore ?? new Date());
  const notAfter = truncateToSeconds(opts.notAfter ?? new Date(notBefore.getTime() + ONE_YEAR_MS));
  if (notAfter.getTime() < notBefore.getTime()) throw new StackError('ERR_INVALID_ARGUMENT', 'notAfter is before notBefore');

  const extensions: x509.Extension[] = [];
  if (opts.basicConstraints) extensions.push(basicConstraintsExtension(opts.basicConstraints));
  if (opts.keyUsage) extensions.push(keyUsageExtension(opts.keyUsage));
  if (opts.extendedKeyUsage) extensions.push(extendedKeyUsageExtension(opts.extendedKeyUsage));
  if (opts.subjectAltName) extensions.push(subjectAltNameExtension(opts.subjectAltName));
  const subjectKeyId = keyIdentifier(opts.publicKey);
  if (opts.subjectKeyIdentifier ?? true) extensions.push(subjectKeyIdentifierExtension(subjectKeyId));
  if (opts.authorityKeyIdentifier ?? true) {
    const authorityKeyId = issuerCertificate
      ? (readSubjectKeyIdentifier(issuerCertificate) ?? keyIdentifier(certificatePublicKey(issuerCertificate)))
      : subjectKeyId;
    extensions.push(authorityKeyIdentifierExtension(authorityKeyId));
  }
  for (const ext of opts.extensions ?? []) extensions.push(rawExtension(ext));
  const oids = extensions.map((e) => e.type);
  const dup = oids.find((oid, i) => oids.indexOf(oid) !== i);
  if (dup) throw new StackError('ERR_INVALID_ARGUMENT', `extension ${dup} given twice`);

  const serial = opts.serialNumber ?? randomSerialNumber(opts.random);
  try {
    return await x509.X509CertificateGenerator.create({
      serialNumber: serialNumberHex(serial),
      subject,
      issuer,
      notBefore,
      notAfter,
      publicKey: exportPublicKeyDer(opts.publicKey),
      signingKey: (await toWebCryptoSigningKey(signingKey)) as unknown as x509.X509CertificateCreateWithKeyParams['signingKey'],
      signingAlgorithm: webCryptoSignParams(keyAlgorithmOf(signingKey)),
      extensions,
    });
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw new StackError('ERR_PKI', `issuing the certificate for ${subject.toString()} failed`, {}, e);
  }
}

function truncateToSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
