import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CMPCertificate } from './cmp-certificate.ts';
import { CertTemplate } from './cert-template.ts';
import { Controls } from './controls.ts';

/**
 * ```asn1
 * CaCertsValue ::= SEQUENCE SIZE (1..MAX) OF CMPCertificate
 * ```
 * (genp value of id-it-caCerts, RFC 9480 §2.14, RFC 9483 §4.3.1)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CMPCertificate })
export class CaCertsValue extends AsnArray<CMPCertificate> {
  constructor(items?: CMPCertificate[]) {
    super(items);
    Object.setPrototypeOf(this, CaCertsValue.prototype);
  }
}

/**
 * ```asn1
 * RootCaKeyUpdateContent ::= SEQUENCE {
 *   newWithNew  CMPCertificate,
 *   newWithOld  [0] CMPCertificate OPTIONAL,
 *   oldWithNew  [1] CMPCertificate OPTIONAL }
 * ```
 * (genp value of id-it-rootCaKeyUpdate, RFC 9480 §2.15; CMP module, EXPLICIT tags)
 */
export class RootCaKeyUpdateContent {
  @AsnProp({ type: CMPCertificate })
  newWithNew = new CMPCertificate();

  @AsnProp({ type: CMPCertificate, context: 0, optional: true })
  newWithOld?: CMPCertificate;

  @AsnProp({ type: CMPCertificate, context: 1, optional: true })
  oldWithNew?: CMPCertificate;

  constructor(params: Partial<RootCaKeyUpdateContent> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertReqTemplateContent ::= SEQUENCE {
 *   certTemplate  CertTemplate,
 *   keySpec       Controls OPTIONAL }
 * ```
 * (genp value of id-it-certReqTemplate, RFC 9480 §2.16; keySpec holds id-regCtrl-algId /
 * id-regCtrl-rsaKeyLen controls)
 */
export class CertReqTemplateContent {
  @AsnProp({ type: CertTemplate })
  certTemplate = new CertTemplate();

  @AsnProp({ type: Controls, optional: true })
  keySpec?: Controls;

  constructor(params: Partial<CertReqTemplateContent> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String
 * ```
 * (generalInfo value of id-it-certProfile, RFC 9480 §2.4)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })
export class CertProfileValue extends AsnArray<string> {
  constructor(items?: string[]) {
    super(items);
    Object.setPrototypeOf(this, CertProfileValue.prototype);
  }
}
