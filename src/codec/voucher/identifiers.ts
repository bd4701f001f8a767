/**
 * Identifiers derived from certificates that voucher artifacts and the audit log carry:
 *
 * - idevid-issuer (RFC 8366bis §5.3 "Clarifications on the format of idevid-issuer"): the whole
 *   AuthorityKeyIdentifier extnValue OCTET STRING of the IDevID, DER, tag and length included
 *   (`04 18 30 16 80 14 <keyIdentifier>` for a 20-byte key identifier); when the IDevID has no AKI,
 *   the same structure built around the SHA-1 of the IDevID's public key (RFC 5280 §4.2.1.2 (1)).
 * - domainID (RFC 8995 §5.8.2): the SubjectKeyIdentifier of the pinned-domain-cert, or else the
 *   SPKI fingerprint (SHA-256 of the SubjectPublicKeyInfo, RFC 7469 §2.4).
 * - the SHA-256 of a SubjectPublicKeyInfo, as pinned-domain-pubk-sha256 and
 *   proximity-registrar-pubk-sha256 carry it.
 */
import { createHash } from 'node:crypto';
import { certificateDer, type Certificate } from '../../pki/certificate.ts';
import { findExtension, readSubjectKeyIdentifier } from '../../pki/extensions.ts';
import { keyIdentifierFromSpki } from '../../pki/key-identifier.ts';
import { OID_CE_AUTHORITY_KEY_IDENTIFIER } from '../../pki/oids.ts';

function derHeader(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length];
  const bytes: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [tag, 0x80 | bytes.length, ...bytes];
}

function wrap(tag: number, content: Uint8Array): Uint8Array {
  return Uint8Array.from([...derHeader(tag, content.length), ...content]);
}

/** The SubjectPublicKeyInfo DER of a certificate. */
export function subjectPublicKeyInfoDer(cert: Certificate): Uint8Array {
  return new Uint8Array(cert.publicKey.rawData.slice(0));
}

/** SHA-256 of a SubjectPublicKeyInfo (pinned-domain-pubk-sha256, proximity-registrar-pubk-sha256). */
export function spkiSha256(spkiDer: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(spkiDer).digest());
}

/** SHA-256 of a certificate's DER, lower-case hex (how the MASA names a domain CA). */
export function certificateSha256Hex(cert: Certificate | Uint8Array): string {
  const der = cert instanceof Uint8Array ? cert : certificateDer(cert);
  return createHash('sha256').update(der).digest('hex');
}

/** The idevid-issuer value for an IDevID (see the module comment). */
export function idevidIssuerOf(idevid: Certificate): Uint8Array {
  const aki = findExtension(idevid, OID_CE_AUTHORITY_KEY_IDENTIFIER);
  if (aki) return wrap(0x04, new Uint8Array(aki.value));
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, … }
  const keyId = keyIdentifierFromSpki(subjectPublicKeyInfoDer(idevid));
  return wrap(0x04, wrap(0x30, wrap(0x80, keyId)));
}

/** RFC 8995 §5.8.2 domainID of a pinned certificate: SKI, else SHA-256 SPKI fingerprint. */
export function domainIdOf(pinned: Certificate): Uint8Array {
  return readSubjectKeyIdentifier(pinned) ?? spkiSha256(subjectPublicKeyInfoDer(pinned));
}
