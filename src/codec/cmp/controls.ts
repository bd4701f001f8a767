import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';

/**
 * CRMF's attribute pair (not the X.500 one of the same name in @peculiar/asn1-x509).
 *
 * ```asn1
 * AttributeTypeAndValue ::= SEQUENCE {
 *   type   OBJECT IDENTIFIER,
 *   value  ANY DEFINED BY type }
 * ```
 * (RFC 4211 §5; `value` is the DER of the value element, kept as is.)
 */
export class AttributeTypeAndValue {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  type = '';

  /** DER of the value (asn1-schema ANY: `null` stands for an ASN.1 NULL). */
  @AsnProp({ type: AsnPropTypes.Any })
  value: ArrayBuffer | null = null;

  constructor(params: Partial<AttributeTypeAndValue> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * Controls ::= SEQUENCE SIZE (1..MAX) OF AttributeTypeAndValue
 * ```
 * (RFC 4211 §6; also the type of CertReqTemplateContent.keySpec, RFC 9480 §2.16)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AttributeTypeAndValue })
export class Controls extends AsnArray<AttributeTypeAndValue> {
  constructor(items?: AttributeTypeAndValue[]) {
    super(items);
    Object.setPrototypeOf(this, Controls.prototype);
  }
}
