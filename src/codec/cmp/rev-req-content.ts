import { AsnArray, AsnProp, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { Extensions } from '@peculiar/asn1-x509';
import { CertTemplate } from './cert-template.ts';

/**
 * ```asn1
 * RevDetails ::= SEQUENCE {
 *   certDetails      CertTemplate,
 *   crlEntryDetails  Extensions{{...}} OPTIONAL }
 * ```
 * (RFC 9810 §5.3.9; the Lightweight CMP Profile puts issuer and serialNumber in certDetails
 * and the CRL reason code in crlEntryDetails, RFC 9483 §4.2)
 */
export class RevDetails {
  @AsnProp({ type: CertTemplate })
  certDetails = new CertTemplate();

  @AsnProp({ type: Extensions, optional: true })
  crlEntryDetails?: Extensions;

  constructor(params: Partial<RevDetails> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * RevReqContent ::= SEQUENCE OF RevDetails
 * ```
 * (RFC 9810 §5.3.9; the rr body)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: RevDetails })
export class RevReqContent extends AsnArray<RevDetails> {
  constructor(items?: RevDetails[]) {
    super(items);
    Object.setPrototypeOf(this, RevReqContent.prototype);
  }
}
