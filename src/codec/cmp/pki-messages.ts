import { AsnArray, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { PKIMessage } from './pki-message.ts';

/**
 * ```asn1
 * PKIMessages ::= SEQUENCE SIZE (1..MAX) OF PKIMessage
 * ```
 * (RFC 9810 §5.1; a batch of messages, e.g. offline transfer files)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: PKIMessage })
export class PKIMessages extends AsnArray<PKIMessage> {
  constructor(items?: PKIMessage[]) {
    super(items);
    Object.setPrototypeOf(this, PKIMessages.prototype);
  }
}
