import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OctetBytesConverter, SafeIntegerConverter } from './asn1-support.ts';

/**
 * Parameters of PasswordBasedMac (protectionAlg 1.2.840.113533.7.66.13).
 *
 * ```asn1
 * PBMParameter ::= SEQUENCE {
 *   salt            OCTET STRING,
 *   owf             AlgorithmIdentifier,  -- one-way function, e.g. SHA-256
 *   iterationCount  INTEGER,
 *   mac             AlgorithmIdentifier } -- e.g. HMAC-SHA256
 * ```
 * (RFC 9810 §5.1.3.1, RFC 9481 §6.1.1)
 */
export class PBMParameter {
  @AsnProp({ type: AsnPropTypes.OctetString, converter: OctetBytesConverter })
  salt = new Uint8Array(0);

  @AsnProp({ type: AlgorithmIdentifier })
  owf = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  iterationCount = 0;

  @AsnProp({ type: AlgorithmIdentifier })
  mac = new AlgorithmIdentifier();

  constructor(params: Partial<PBMParameter> = {}) {
    Object.assign(this, params);
  }
}
