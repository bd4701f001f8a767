import { AsnProp, AsnPropTypes, BitString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extensions, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { IntegerBytesConverter, SafeIntegerConverter } from './asn1-support.ts';
import { OptionalValidity } from './optional-validity.ts';

/**
 * ```asn1
 * CertTemplate ::= SEQUENCE {
 *   version      [0] Version               OPTIONAL,
 *   serialNumber [1] INTEGER               OPTIONAL,
 *   signingAlg   [2] AlgorithmIdentifier   OPTIONAL,
 *   issuer       [3] Name                  OPTIONAL,
 *   validity     [4] OptionalValidity      OPTIONAL,
 *   subject      [5] Name                  OPTIONAL,
 *   publicKey    [6] SubjectPublicKeyInfo  OPTIONAL,
 *   issuerUID    [7] UniqueIdentifier      OPTIONAL,
 *   subjectUID   [8] UniqueIdentifier      OPTIONAL,
 *   extensions   [9] Extensions            OPTIONAL }
 * ```
 * (RFC 4211 §5, IMPLICIT TAGS module.) Name is a CHOICE, so `issuer` [3] and `subject` [5]
 * are EXPLICIT on the wire (openssl: A3/A5 wrapping the RDNSequence 30); every other tag
 * replaces the inner tag, e.g. `publicKey` is A6 holding the SPKI's fields directly.
 */
export class CertTemplate {
  @AsnProp({ type: AsnPropTypes.Integer, context: 0, implicit: true, optional: true, converter: SafeIntegerConverter })
  version?: number;

  /** Two's-complement content octets of the serial number, as on the wire. */
  @AsnProp({ type: AsnPropTypes.Integer, context: 1, implicit: true, optional: true, converter: IntegerBytesConverter })
  serialNumber?: Uint8Array;

  @AsnProp({ type: AlgorithmIdentifier, context: 2, implicit: true, optional: true })
  signingAlg?: AlgorithmIdentifier;

  @AsnProp({ type: Name, context: 3, optional: true })
  issuer?: Name;

  @AsnProp({ type: OptionalValidity, context: 4, implicit: true, optional: true })
  validity?: OptionalValidity;

  @AsnProp({ type: Name, context: 5, optional: true })
  subject?: Name;

  @AsnProp({ type: SubjectPublicKeyInfo, context: 6, implicit: true, optional: true })
  publicKey?: SubjectPublicKeyInfo;

  @AsnProp({ type: BitString, context: 7, implicit: true, optional: true })
  issuerUID?: BitString;

  @AsnProp({ type: BitString, context: 8, implicit: true, optional: true })
  subjectUID?: BitString;

  @AsnProp({ type: Extensions, context: 9, implicit: true, optional: true })
  extensions?: Extensions;

  constructor(params: Partial<CertTemplate> = {}) {
    Object.assign(this, params);
  }
}
