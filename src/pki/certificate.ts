/**
 * X.509 certificates (RFC 5280) as @peculiar/x509 X509Certificate objects, with the reading
 * helpers the rest of the stack needs: DER/PEM in and out, the public key as a KeyObject,
 * names as DER, subject attributes.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { bytesEqual, toHex } from '../core/bytes.ts';
import { StackError } from '../core/errors.ts';
import { decodePemBlocks, encodePem, isPem, PEM_CERTIFICATE } from './pem.ts';
import { x509 } from './x509-provider.ts';

export type Certificate = x509.X509Certificate;

/** Anything a certificate can be read from: an object, DER bytes, or PEM text. */
export type CertificateInput = Certificate | Uint8Array | string;

/** One certificate from DER bytes or PEM text (the first CERTIFICATE block). */
export function parseCertificate(input: Uint8Array | string): Certificate {
  if (isPem(input)) {
    const certs = parseCertificates(input);
    if (certs.length === 0) throw new StackError('ERR_PKI', 'no CERTIFICATE block in PEM text');
    return certs[0]!;
  }
  return fromDer(input as Uint8Array);
}

/** Every certificate in PEM text (a bundle), or the one in DER bytes. */
export function parseCertificates(input: Uint8Array | string): Certificate[] {
  if (!isPem(input)) return [fromDer(input as Uint8Array)];
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  return decodePemBlocks(text, PEM_CERTIFICATE).map((b) => fromDer(b.der));
}

export function toCertificate(input: CertificateInput): Certificate {
  return input instanceof x509.X509Certificate ? input : parseCertificate(input);
}

function fromDer(der: Uint8Array): Certificate {
  try {
    return new x509.X509Certificate(Uint8Array.from(der));
  } catch (e) {
    throw new StackError('ERR_PKI', 'not a DER X.509 certificate', { inputHex: toHex(der.subarray(0, 16)) }, e);
  }
}

/** DER of the certificate (a copy: changing it does not change the certificate). */
export function certificateDer(cert: Certificate): Uint8Array {
  return new Uint8Array(cert.rawData.slice(0));
}

export function certificatePem(cert: Certificate): string {
  return encodePem(PEM_CERTIFICATE, certificateDer(cert));
}

/** PEM bundle of several certificates, in the given order. */
export function certificatesPem(certs: readonly Certificate[]): string {
  return certs.map(certificatePem).join('');
}

const publicKeys = new WeakMap<Certificate, KeyObject>();

/** The subject public key as a node:crypto KeyObject. */
export function certificatePublicKey(cert: Certificate): KeyObject {
  let key = publicKeys.get(cert);
  if (!key) {
    try {
      key = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
    } catch (e) {
      throw new StackError('ERR_PKI', `cannot read the public key of ${cert.subject}`, {}, e);
    }
    publicKeys.set(cert, key);
  }
  return key;
}

/** Serial number as lower-case hex without leading zero octets. */
export function certificateSerialHex(cert: Certificate): string {
  return cert.serialNumber.toLowerCase();
}

/** DER of the subject Name. */
export function subjectNameDer(cert: Certificate): Uint8Array {
  return new Uint8Array(cert.subjectName.toArrayBuffer());
}

/** DER of the issuer Name. */
export function issuerNameDer(cert: Certificate): Uint8Array {
  return new Uint8Array(cert.issuerName.toArrayBuffer());
}

/** Subject and issuer are the same name (RFC 5280 §6.1: "self-issued"). */
export function isSelfIssued(cert: Certificate): boolean {
  return bytesEqual(subjectNameDer(cert), issuerNameDer(cert));
}

/** The two objects hold the same certificate (byte-identical DER). */
export function sameCertificate(a: Certificate, b: Certificate): boolean {
  return bytesEqual(certificateDer(a), certificateDer(b));
}

/** Values of one attribute type (e.g. OID_AT_SERIAL_NUMBER) in the subject, in order. */
export function subjectAttributes(cert: Certificate, oid: string): string[] {
  return cert.subjectName.getField(oid);
}
