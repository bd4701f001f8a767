import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { CertId } from './cert-id.ts';
import { PKIStatusInfo } from './pki-status-info.ts';

/**
 * ```asn1
 * RevRepContent ::= SEQUENCE {
 *   status    SEQUENCE SIZE (1..MAX) OF PKIStatusInfo,
 *   revCerts  [0] SEQUENCE SIZE (1..MAX) OF CertId OPTIONAL,
 *   crls      [1] SEQUENCE SIZE (1..MAX) OF CertificateList OPTIONAL }
 * ```
 * (RFC 9810 §5.3.10, EXPLICIT tags; the rp body. crls is kept as the DER of the SEQUENCE OF.)
 */
export class RevRepContent {
  @AsnProp({ type: PKIStatusInfo, repeated: 'sequence' })
  status: PKIStatusInfo[] = [];

  @AsnProp({ type: CertId, context: 0, repeated: 'sequence', optional: true })
  revCerts?: CertId[];

  /** DER of the SEQUENCE OF CertificateList. */
  @AsnProp({ type: AsnPropTypes.Any, context: 1, optional: true })
  crls?: ArrayBuffer;

  constructor(params: Partial<RevRepContent> = {}) {
    Object.assign(this, params);
  }
}
