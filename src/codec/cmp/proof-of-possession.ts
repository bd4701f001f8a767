import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { POPOSigningKey } from './poposigning-key.ts';

/**
 * ```asn1
 * ProofOfPossession ::= CHOICE {
 *   raVerified       [0] NULL,            -- RA has verified possession
 *   signature        [1] POPOSigningKey,
 *   keyEncipherment  [2] POPOPrivKey,
 *   keyAgreement     [3] POPOPrivKey }
 * ```
 * (RFC 4211 §4, IMPLICIT TAGS.) POPOPrivKey is a CHOICE, so [2] and [3] are EXPLICIT;
 * their content is kept as DER (`ArrayBuffer`), as the Lightweight CMP Profile uses only
 * raVerified and signature.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class ProofOfPossession {
  @AsnProp({ type: AsnPropTypes.Null, context: 0, implicit: true })
  raVerified?: null;

  @AsnProp({ type: POPOSigningKey, context: 1, implicit: true })
  signature?: POPOSigningKey;

  /** DER of the POPOPrivKey. */
  @AsnProp({ type: AsnPropTypes.Any, context: 2 })
  keyEncipherment?: ArrayBuffer;

  /** DER of the POPOPrivKey. */
  @AsnProp({ type: AsnPropTypes.Any, context: 3 })
  keyAgreement?: ArrayBuffer;

  constructor(params: Partial<ProofOfPossession> = {}) {
    Object.assign(this, params);
  }
}

/** The context tags of ProofOfPossession's alternatives, [tag, constructed]. */
export const PROOF_OF_POSSESSION_TAGS = [
  [0, false],
  [1, true],
  [2, true],
  [3, true],
] as const;
