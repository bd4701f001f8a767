import { AsnProp, BitString } from '@peculiar/asn1-schema';
import { CMPCertificate } from './cmp-certificate.ts';
import { bindNestedMessageType } from './nested-message-content.ts';
import { PKIBody } from './pki-body.ts';
import { PKIHeader } from './pki-header.ts';

/**
 * ```asn1
 * PKIMessage ::= SEQUENCE {
 *   header      PKIHeader,
 *   body        PKIBody,
 *   protection  [0] PKIProtection OPTIONAL,
 *   extraCerts  [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL }
 * PKIProtection ::= BIT STRING
 * ```
 * (RFC 9810 §5.1, EXPLICIT tags.) `protection` is the signature or MAC over the DER of
 * ProtectedPart { header, body }; extraCerts[0] is the protection certificate (RFC 9483 §3.3).
 */
export class PKIMessage {
  @AsnProp({ type: PKIHeader })
  header = new PKIHeader();

  @AsnProp({ type: PKIBody })
  body = new PKIBody();

  @AsnProp({ type: BitString, context: 0, optional: true })
  protection?: BitString;

  @AsnProp({ type: CMPCertificate, context: 1, repeated: 'sequence', optional: true })
  extraCerts?: CMPCertificate[];

  constructor(params: Partial<PKIMessage> = {}) {
    Object.assign(this, params);
  }
}

bindNestedMessageType(PKIMessage);
