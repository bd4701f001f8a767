import { AsnArray, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CertReqMsg } from './cert-req-msg.ts';

/**
 * ```asn1
 * CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg
 * ```
 * (RFC 4211 §3; the body of ir, cr, kur, krr and ccr)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertReqMsg })
export class CertReqMessages extends AsnArray<CertReqMsg> {
  constructor(items?: CertReqMsg[]) {
    super(items);
    Object.setPrototypeOf(this, CertReqMessages.prototype);
  }
}
