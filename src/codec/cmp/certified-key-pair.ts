import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CMPCertificate } from './cmp-certificate.ts';

/**
 * ```asn1
 * CertOrEncCert ::= CHOICE {
 *   certificate    [0] CMPCertificate,
 *   encryptedCert  [1] EncryptedKey }
 * ```
 * (RFC 9810 §5.3.4, EXPLICIT tags: [0] wraps the Certificate SEQUENCE.) EncryptedKey is kept
 * as DER.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class CertOrEncCert {
  @AsnProp({ type: CMPCertificate, context: 0 })
  certificate?: CMPCertificate;

  /** DER of the EncryptedKey (EncryptedValue or [0] EnvelopedData). */
  @AsnProp({ type: AsnPropTypes.Any, context: 1 })
  encryptedCert?: ArrayBuffer;

  constructor(params: Partial<CertOrEncCert> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertifiedKeyPair ::= SEQUENCE {
 *   certOrEncCert    CertOrEncCert,
 *   privateKey       [0] EncryptedKey       OPTIONAL,
 *   publicationInfo  [1] PKIPublicationInfo OPTIONAL }
 * ```
 * (RFC 9810 §5.3.4.) privateKey (central key generation) and publicationInfo are kept as DER.
 */
export class CertifiedKeyPair {
  @AsnProp({ type: CertOrEncCert })
  certOrEncCert = new CertOrEncCert();

  /** DER of the EncryptedKey. */
  @AsnProp({ type: AsnPropTypes.Any, context: 0, optional: true })
  privateKey?: ArrayBuffer;

  /** DER of the PKIPublicationInfo. */
  @AsnProp({ type: AsnPropTypes.Any, context: 1, optional: true })
  publicationInfo?: ArrayBuffer;

  constructor(params: Partial<CertifiedKeyPair> = {}) {
    Object.assign(this, params);
  }
}
