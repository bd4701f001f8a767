import { AsnArray, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { InfoTypeAndValue } from './info-type-and-value.ts';

/**
 * ```asn1
 * GenMsgContent ::= SEQUENCE OF InfoTypeAndValue
 * ```
 * (RFC 9810 §5.3.19; the genm body)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })
export class GenMsgContent extends AsnArray<InfoTypeAndValue> {
  constructor(items?: InfoTypeAndValue[]) {
    super(items);
    Object.setPrototypeOf(this, GenMsgContent.prototype);
  }
}

/**
 * ```asn1
 * GenRepContent ::= SEQUENCE OF InfoTypeAndValue
 * ```
 * (RFC 9810 §5.3.20; the genp body)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })
export class GenRepContent extends AsnArray<InfoTypeAndValue> {
  constructor(items?: InfoTypeAndValue[]) {
    super(items);
    Object.setPrototypeOf(this, GenRepContent.prototype);
  }
}
