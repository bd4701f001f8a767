import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { SafeIntegerConverter } from './asn1-support.ts';
import { PKIFailureInfo } from './pki-failure-info.ts';
import { PKIFreeText } from './pki-free-text.ts';

/**
 * ```asn1
 * PKIStatusInfo ::= SEQUENCE {
 *   status        PKIStatus,
 *   statusString  PKIFreeText     OPTIONAL,
 *   failInfo      PKIFailureInfo  OPTIONAL }
 * ```
 * (RFC 9810 §5.2.3)
 */
export class PKIStatusInfo {
  /** A PKIStatus value (see `PKIStatus`). */
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  status = 0;

  @AsnProp({ type: PKIFreeText, optional: true })
  statusString?: PKIFreeText;

  @AsnProp({ type: PKIFailureInfo, optional: true })
  failInfo?: PKIFailureInfo;

  constructor(params: Partial<PKIStatusInfo> = {}) {
    Object.assign(this, params);
  }
}
