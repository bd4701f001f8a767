import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { SafeIntegerConverter } from './asn1-support.ts';

/** The unnamed element SEQUENCE of PollReqContent. */
export class PollReqContentEntry {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  certReqId = 0;

  constructor(params: Partial<PollReqContentEntry> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * PollReqContent ::= SEQUENCE OF SEQUENCE {
 *   certReqId  INTEGER }
 * ```
 * (RFC 9810 §5.3.22; certReqId of the waiting CertResponse, or -1 for a whole non-certificate
 * response, e.g. a genp)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: PollReqContentEntry })
export class PollReqContent extends AsnArray<PollReqContentEntry> {
  constructor(items?: PollReqContentEntry[]) {
    super(items);
    Object.setPrototypeOf(this, PollReqContent.prototype);
  }
}
