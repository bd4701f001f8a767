import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { GeneralName } from '@peculiar/asn1-x509';
import { IntegerBytesConverter } from './asn1-support.ts';

/**
 * ```asn1
 * CertId ::= SEQUENCE {
 *   issuer        GeneralName,
 *   serialNumber  INTEGER }
 * ```
 * (RFC 4211 §6.5; value of id-regCtrl-oldCertID, and RevRepContent.revCerts)
 */
export class CertId {
  @AsnProp({ type: GeneralName })
  issuer = new GeneralName();

  /** Two's-complement content octets of the serial number, as on the wire. */
  @AsnProp({ type: AsnPropTypes.Integer, converter: IntegerBytesConverter })
  serialNumber = new Uint8Array([0]);

  constructor(params: Partial<CertId> = {}) {
    Object.assign(this, params);
  }
}
