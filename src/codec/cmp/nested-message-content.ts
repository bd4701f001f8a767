import * as asn1js from 'asn1js';
import { AsnArray, AsnParser, AsnSerializer, type IAsnConvertible } from '@peculiar/asn1-schema';
import type { PKIMessage } from './pki-message.ts';

// PKIBody -> nested -> PKIMessage -> PKIBody is a cycle; pki-message.ts binds its class here
// once it is defined, so that this module need not import it at load time.
let messageType: (new () => PKIMessage) | undefined;

/** Called by pki-message.ts; not part of the public API. */
export function bindNestedMessageType(type: new () => PKIMessage): void {
  messageType = type;
}

/**
 * ```asn1
 * NestedMessageContent ::= PKIMessages
 * PKIMessages ::= SEQUENCE SIZE (1..MAX) OF PKIMessage
 * ```
 * (RFC 9810 §5.1.3.4; the nested body an RA uses to add its protection, RFC 9483 §5.2.2)
 */
export class NestedMessageContent extends AsnArray<PKIMessage> implements IAsnConvertible {
  constructor(items?: PKIMessage[]) {
    super(items);
    Object.setPrototypeOf(this, NestedMessageContent.prototype);
  }

  fromASN(asn: asn1js.AsnType): this {
    if (!(asn instanceof asn1js.Sequence)) throw new TypeError('NestedMessageContent is not a SEQUENCE');
    if (!messageType) throw new TypeError('PKIMessage type not bound (import pki-message.ts)');
    const out = new NestedMessageContent();
    for (const element of asn.valueBlock.value) out.push(AsnParser.fromASN(element, messageType));
    return out as this;
  }

  toASN(): asn1js.AsnType {
    return new asn1js.Sequence({ value: Array.from(this, (m) => AsnSerializer.toASN(m) as asn1js.BaseBlock) });
  }

  toSchema(name: string): asn1js.BaseBlock {
    return new asn1js.Sequence({ name });
  }
}
