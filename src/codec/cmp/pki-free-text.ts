import { AsnArray, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';

/**
 * ```asn1
 * PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
 * ```
 * (RFC 9810 §5.1.1; the RFC asks for RFC 1766 language tags, which nobody sends.)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })
export class PKIFreeText extends AsnArray<string> {
  constructor(items?: string[]) {
    super(items);
    Object.setPrototypeOf(this, PKIFreeText.prototype);
  }
}
