import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralName, Name } from '@peculiar/asn1-x509';
import { OctetBytesConverter, SafeIntegerConverter } from './asn1-support.ts';
import { InfoTypeAndValue } from './info-type-and-value.ts';
import { PKIFreeText } from './pki-free-text.ts';

/** pvno values (RFC 9810 §5.1.1): cmp2000 unless v3 syntax is needed (RFC 9483 §3.1). */
export const PVNO = { cmp1999: 1, cmp2000: 2, cmp2021: 3 } as const;

/**
 * ```asn1
 * PKIHeader ::= SEQUENCE {
 *   pvno           INTEGER { cmp1999(1), cmp2000(2), cmp2021(3) },
 *   sender         GeneralName,
 *   recipient      GeneralName,
 *   messageTime    [0] GeneralizedTime          OPTIONAL,
 *   protectionAlg  [1] AlgorithmIdentifier      OPTIONAL,
 *   senderKID      [2] KeyIdentifier            OPTIONAL,
 *   recipKID       [3] KeyIdentifier            OPTIONAL,
 *   transactionID  [4] OCTET STRING             OPTIONAL,
 *   senderNonce    [5] OCTET STRING             OPTIONAL,
 *   recipNonce     [6] OCTET STRING             OPTIONAL,
 *   freeText       [7] PKIFreeText              OPTIONAL,
 *   generalInfo    [8] SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue OPTIONAL }
 * ```
 * (RFC 9810 §5.1.1, EXPLICIT TAGS: each [n] wraps the complete inner element.)
 */
export class PKIHeader {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  pvno: number = PVNO.cmp2000;

  @AsnProp({ type: GeneralName })
  sender = nullDn();

  @AsnProp({ type: GeneralName })
  recipient = nullDn();

  @AsnProp({ type: AsnPropTypes.GeneralizedTime, context: 0, optional: true })
  messageTime?: Date;

  @AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })
  protectionAlg?: AlgorithmIdentifier;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 2, optional: true, converter: OctetBytesConverter })
  senderKID?: Uint8Array;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 3, optional: true, converter: OctetBytesConverter })
  recipKID?: Uint8Array;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 4, optional: true, converter: OctetBytesConverter })
  transactionID?: Uint8Array;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 5, optional: true, converter: OctetBytesConverter })
  senderNonce?: Uint8Array;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 6, optional: true, converter: OctetBytesConverter })
  recipNonce?: Uint8Array;

  @AsnProp({ type: PKIFreeText, context: 7, optional: true })
  freeText?: PKIFreeText;

  @AsnProp({ type: InfoTypeAndValue, context: 8, repeated: 'sequence', optional: true })
  generalInfo?: InfoTypeAndValue[];

  constructor(params: Partial<PKIHeader> = {}) {
    Object.assign(this, params);
  }
}

/** The NULL-DN GeneralName (directoryName with an empty RDNSequence), RFC 9483 §3.1. */
export function nullDn(): GeneralName {
  return new GeneralName({ directoryName: new Name() });
}
