import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { SafeIntegerConverter } from './asn1-support.ts';
import { PKIFreeText } from './pki-free-text.ts';
import { PKIStatusInfo } from './pki-status-info.ts';

/**
 * ```asn1
 * ErrorMsgContent ::= SEQUENCE {
 *   pKIStatusInfo  PKIStatusInfo,
 *   errorCode      INTEGER      OPTIONAL,  -- implementation-specific
 *   errorDetails   PKIFreeText  OPTIONAL }
 * ```
 * (RFC 9810 §5.3.21)
 */
export class ErrorMsgContent {
  @AsnProp({ type: PKIStatusInfo })
  pKIStatusInfo = new PKIStatusInfo();

  @AsnProp({ type: AsnPropTypes.Integer, optional: true, converter: SafeIntegerConverter })
  errorCode?: number;

  @AsnProp({ type: PKIFreeText, optional: true })
  errorDetails?: PKIFreeText;

  constructor(params: Partial<ErrorMsgContent> = {}) {
    Object.assign(this, params);
  }
}
