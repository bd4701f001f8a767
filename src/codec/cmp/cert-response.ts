import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { OctetBytesConverter, SafeIntegerConverter } from './asn1-support.ts';
import { CertifiedKeyPair } from './certified-key-pair.ts';
import { PKIStatusInfo } from './pki-status-info.ts';

/**
 * ```asn1
 * CertResponse ::= SEQUENCE {
 *   certReqId         INTEGER,
 *   status            PKIStatusInfo,
 *   certifiedKeyPair  CertifiedKeyPair  OPTIONAL,
 *   rspInfo           OCTET STRING      OPTIONAL }
 * ```
 * (RFC 9810 §5.3.4; certReqId is -1 in the answer to a p10cr)
 */
export class CertResponse {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  certReqId = 0;

  @AsnProp({ type: PKIStatusInfo })
  status = new PKIStatusInfo();

  @AsnProp({ type: CertifiedKeyPair, optional: true })
  certifiedKeyPair?: CertifiedKeyPair;

  @AsnProp({ type: AsnPropTypes.OctetString, optional: true, converter: OctetBytesConverter })
  rspInfo?: Uint8Array;

  constructor(params: Partial<CertResponse> = {}) {
    Object.assign(this, params);
  }
}
