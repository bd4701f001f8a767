import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OctetBytesConverter, SafeIntegerConverter } from './asn1-support.ts';
import { ID_HMAC_WITH_SHA1 } from './oids.ts';

/**
 * Parameters of id-PBKDF2 (RFC 8018 §A.2), as RFC 9481 §6.1.2 uses them inside PBMAC1.
 *
 * ```asn1
 * PBKDF2-params ::= SEQUENCE {
 *   salt CHOICE {
 *     specified    OCTET STRING,
 *     otherSource  AlgorithmIdentifier {{PBKDF2-SaltSources}} },
 *   iterationCount  INTEGER (1..MAX),
 *   keyLength       INTEGER (1..MAX) OPTIONAL,
 *   prf             AlgorithmIdentifier {{PBKDF2-PRFs}} DEFAULT algid-hmacWithSHA1 }
 * ```
 * Only the `specified` salt is supported (RFC 9481 requires it).
 */
export class PBKDF2Params {
  /** The `specified` salt. */
  @AsnProp({ type: AsnPropTypes.OctetString, converter: OctetBytesConverter })
  salt = new Uint8Array(0);

  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  iterationCount = 1;

  /** Length of the derived key in octets (RFC 9481: MUST be present). */
  @AsnProp({ type: AsnPropTypes.Integer, optional: true, converter: SafeIntegerConverter })
  keyLength?: number;

  @AsnProp({ type: AlgorithmIdentifier, defaultValue: new AlgorithmIdentifier({ algorithm: ID_HMAC_WITH_SHA1, parameters: null }) })
  prf = new AlgorithmIdentifier({ algorithm: ID_HMAC_WITH_SHA1, parameters: null });

  constructor(params: Partial<PBKDF2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * Parameters of id-PBMAC1 (RFC 8018 §A.5, RFC 9481 §6.1.2).
 *
 * ```asn1
 * PBMAC1-params ::= SEQUENCE {
 *   keyDerivationFunc  AlgorithmIdentifier {{PBMAC1-KDFs}},  -- id-PBKDF2 + PBKDF2-params
 *   messageAuthScheme  AlgorithmIdentifier {{PBMAC1-MACs}} } -- e.g. id-hmacWithSHA256
 * ```
 */
export class PBMAC1Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  messageAuthScheme = new AlgorithmIdentifier();

  constructor(params: Partial<PBMAC1Params> = {}) {
    Object.assign(this, params);
  }
}
