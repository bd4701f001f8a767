import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * ```asn1
 * InfoTypeAndValue ::= SEQUENCE {
 *   infoType   OBJECT IDENTIFIER,
 *   infoValue  ANY DEFINED BY infoType OPTIONAL }
 * ```
 * (RFC 9810 §5.3.19.) `infoValue` is the DER of the value element: `undefined` when absent
 * (e.g. a genm asking for id-it-caCerts), `null` for an ASN.1 NULL (id-it-implicitConfirm).
 * `decodeInfoValue` / `infoTypeAndValue` in index.ts convert typed values.
 */
export class InfoTypeAndValue {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  infoType = '';

  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  infoValue?: ArrayBuffer | null;

  constructor(params: Partial<InfoTypeAndValue> = {}) {
    Object.assign(this, params);
  }
}
