import { AsnProp, AsnType, AsnTypeTypes, BitString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * PKMACValue ::= SEQUENCE {
 *   algId  AlgorithmIdentifier,  -- PasswordBasedMac or PBMAC1
 *   value  BIT STRING }
 * ```
 * (RFC 4211 §4.1, RFC 9810 §5.2.8)
 */
export class PKMACValue {
  @AsnProp({ type: AlgorithmIdentifier })
  algId = new AlgorithmIdentifier();

  @AsnProp({ type: BitString })
  value = new BitString();

  constructor(params: Partial<PKMACValue> = {}) {
    Object.assign(this, params);
  }
}

/**
 * The unnamed CHOICE of POPOSigningKeyInput.authInfo.
 *
 * ```asn1
 * authInfo CHOICE {
 *   sender        [0] GeneralName,  -- authenticated sender (EXPLICIT: GeneralName is a CHOICE)
 *   publicKeyMAC  PKMACValue }      -- password-based MAC over the DER of publicKey
 * ```
 * (RFC 4211 §4.1)
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class AuthInfo {
  @AsnProp({ type: GeneralName, context: 0 })
  sender?: GeneralName;

  @AsnProp({ type: PKMACValue })
  publicKeyMAC?: PKMACValue;

  constructor(params: Partial<AuthInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * POPOSigningKeyInput ::= SEQUENCE {
 *   authInfo   CHOICE { sender [0] GeneralName, publicKeyMAC PKMACValue },
 *   publicKey  SubjectPublicKeyInfo }  -- from CertTemplate
 * ```
 * (RFC 4211 §4.1)
 */
export class POPOSigningKeyInput {
  @AsnProp({ type: AuthInfo })
  authInfo = new AuthInfo();

  @AsnProp({ type: SubjectPublicKeyInfo })
  publicKey = new SubjectPublicKeyInfo();

  constructor(params: Partial<POPOSigningKeyInput> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * POPOSigningKey ::= SEQUENCE {
 *   poposkInput          [0] POPOSigningKeyInput OPTIONAL,
 *   algorithmIdentifier  AlgorithmIdentifier,
 *   signature            BIT STRING }
 * ```
 * (RFC 4211 §4.1, IMPLICIT: [0] replaces the SEQUENCE tag.) Without poposkInput the
 * signature is over the DER of CertReqMsg.certReq.
 */
export class POPOSigningKey {
  @AsnProp({ type: POPOSigningKeyInput, context: 0, implicit: true, optional: true })
  poposkInput?: POPOSigningKeyInput;

  @AsnProp({ type: AlgorithmIdentifier })
  algorithmIdentifier = new AlgorithmIdentifier();

  @AsnProp({ type: BitString })
  signature = new BitString();

  constructor(params: Partial<POPOSigningKey> = {}) {
    Object.assign(this, params);
  }
}
