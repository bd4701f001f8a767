import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { SafeIntegerConverter } from './asn1-support.ts';
import { PKIFreeText } from './pki-free-text.ts';

/** The unnamed element SEQUENCE of PollRepContent. */
export class PollRepContentEntry {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  certReqId = 0;

  /** Seconds the client should wait before polling again. */
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  checkAfter = 0;

  @AsnProp({ type: PKIFreeText, optional: true })
  reason?: PKIFreeText;

  constructor(params: Partial<PollRepContentEntry> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * PollRepContent ::= SEQUENCE OF SEQUENCE {
 *   certReqId   INTEGER,
 *   checkAfter  INTEGER,  -- time in seconds
 *   reason      PKIFreeText OPTIONAL }
 * ```
 * (RFC 9810 §5.3.22)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: PollRepContentEntry })
export class PollRepContent extends AsnArray<PollRepContentEntry> {
  constructor(items?: PollRepContentEntry[]) {
    super(items);
    Object.setPrototypeOf(this, PollRepContent.prototype);
  }
}
