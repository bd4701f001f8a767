import * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer, type IAsnConvertible } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { RawDerBlock, encodingOf } from './asn1-support.ts';
import { decodeAsn1 } from './der-codec.ts';

/**
 * The PKCS#10 request of a p10cr body, kept as the exact DER it arrived in (its self-signature
 * is the proof of possession) together with its parsed form.
 *
 * ```asn1
 * p10cr [4] CertificationRequest  -- imported from PKCS #10 (RFC 2986)
 * CertificationRequest ::= SEQUENCE {
 *   certificationRequestInfo CertificationRequestInfo,
 *   signatureAlgorithm       AlgorithmIdentifier,
 *   signature                BIT STRING }
 * ```
 */
export class CertificationRequestDer implements IAsnConvertible {
  /** The request's DER, written back unchanged on encode. */
  der: Uint8Array = new Uint8Array(0);
  /** The parsed request (a view: changing it does not change `der`). */
  request: CertificationRequest = new CertificationRequest();

  /** From DER bytes; throws StackError ERR_CMP_MALFORMED if they are not one PKCS#10 request. */
  static fromDer(der: Uint8Array): CertificationRequestDer {
    return decodeAsn1(der, CertificationRequestDer);
  }

  /** From a parsed request (encoded once, here). */
  static fromRequest(request: CertificationRequest): CertificationRequestDer {
    const c = new CertificationRequestDer();
    c.request = request;
    c.der = new Uint8Array(AsnSerializer.serialize(request));
    return c;
  }

  fromASN(asn: asn1js.AsnType): this {
    const c = new CertificationRequestDer();
    c.der = encodingOf(asn);
    c.request = AsnParser.fromASN(asn, CertificationRequest);
    return c as this;
  }

  toASN(): asn1js.AsnType {
    return new RawDerBlock(this.der);
  }

  toSchema(name: string): asn1js.BaseBlock {
    return new asn1js.Sequence({ name });
  }
}
