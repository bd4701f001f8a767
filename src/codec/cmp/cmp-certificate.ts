import * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer, type IAsnConvertible } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { RawDerBlock, encodingOf } from './asn1-support.ts';
import { decodeAsn1 } from './der-codec.ts';

/**
 * A certificate as carried in CMP, kept as the exact DER it arrived in (a signed object must
 * not be re-encoded) together with its parsed form.
 *
 * ```asn1
 * CMPCertificate ::= CHOICE { x509v3PKCert Certificate, ... }
 * ```
 * (RFC 9810 §5.1; only the X.509 alternative exists.)
 */
export class CMPCertificate implements IAsnConvertible {
  /** The certificate's DER, written back unchanged on encode. */
  der: Uint8Array = new Uint8Array(0);
  /** The parsed certificate (a view: changing it does not change `der`). */
  certificate: Certificate = new Certificate();

  /** From DER bytes; throws StackError ERR_CMP_MALFORMED if they are not one certificate. */
  static fromDer(der: Uint8Array): CMPCertificate {
    return decodeAsn1(der, CMPCertificate);
  }

  /** From a parsed certificate (encoded once, here). */
  static fromCertificate(certificate: Certificate): CMPCertificate {
    const c = new CMPCertificate();
    c.certificate = certificate;
    c.der = new Uint8Array(AsnSerializer.serialize(certificate));
    return c;
  }

  fromASN(asn: asn1js.AsnType): this {
    // A fresh object per element: asn1-schema reuses one converter for a whole SEQUENCE OF.
    const c = new CMPCertificate();
    c.der = encodingOf(asn);
    c.certificate = AsnParser.fromASN(asn, Certificate);
    return c as this;
  }

  toASN(): asn1js.AsnType {
    return new RawDerBlock(this.der);
  }

  toSchema(name: string): asn1js.BaseBlock {
    return new asn1js.Sequence({ name });
  }
}
