import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OctetBytesConverter, SafeIntegerConverter } from './asn1-support.ts';
import { PKIStatusInfo } from './pki-status-info.ts';

/**
 * ```asn1
 * CertStatus ::= SEQUENCE {
 *   certHash    OCTET STRING,
 *   certReqId   INTEGER,
 *   statusInfo  PKIStatusInfo OPTIONAL,
 *   hashAlg     [0] AlgorithmIdentifier{DIGEST-ALGORITHM, {...}} OPTIONAL }
 * ```
 * (RFC 9810 §5.3.18, hashAlg from RFC 9480 §2.10: only with pvno cmp2021, for certificates
 * whose signature algorithm names no hash, e.g. EdDSA. EXPLICIT tag.)
 */
export class CertStatus {
  @AsnProp({ type: AsnPropTypes.OctetString, converter: OctetBytesConverter })
  certHash = new Uint8Array(0);

  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  certReqId = 0;

  @AsnProp({ type: PKIStatusInfo, optional: true })
  statusInfo?: PKIStatusInfo;

  @AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })
  hashAlg?: AlgorithmIdentifier;

  constructor(params: Partial<CertStatus> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertConfirmContent ::= SEQUENCE OF CertStatus
 * ```
 * (RFC 9810 §5.3.18; the certConf body)
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertStatus })
export class CertConfirmContent extends AsnArray<CertStatus> {
  constructor(items?: CertStatus[]) {
    super(items);
    Object.setPrototypeOf(this, CertConfirmContent.prototype);
  }
}
