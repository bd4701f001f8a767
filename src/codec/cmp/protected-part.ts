import { AsnProp } from '@peculiar/asn1-schema';
import { PKIBody } from './pki-body.ts';
import { PKIHeader } from './pki-header.ts';

/**
 * ```asn1
 * ProtectedPart ::= SEQUENCE {
 *   header  PKIHeader,
 *   body    PKIBody }
 * ```
 * (RFC 9810 §5.1.3: the DER of this is what PKIMessage.protection signs or MACs)
 */
export class ProtectedPart {
  @AsnProp({ type: PKIHeader })
  header = new PKIHeader();

  @AsnProp({ type: PKIBody })
  body = new PKIBody();

  constructor(params: Partial<ProtectedPart> = {}) {
    Object.assign(this, params);
  }
}
