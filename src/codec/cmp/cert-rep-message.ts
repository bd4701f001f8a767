import { AsnProp } from '@peculiar/asn1-schema';
import { CMPCertificate } from './cmp-certificate.ts';
import { CertResponse } from './cert-response.ts';

/**
 * ```asn1
 * CertRepMessage ::= SEQUENCE {
 *   caPubs    [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL,
 *   response  SEQUENCE OF CertResponse }
 * ```
 * (RFC 9810 §5.3.4; the body of ip, cp, kup and ccp)
 */
export class CertRepMessage {
  @AsnProp({ type: CMPCertificate, context: 1, repeated: 'sequence', optional: true })
  caPubs?: CMPCertificate[];

  @AsnProp({ type: CertResponse, repeated: 'sequence' })
  response: CertResponse[] = [];

  constructor(params: Partial<CertRepMessage> = {}) {
    Object.assign(this, params);
  }
}
