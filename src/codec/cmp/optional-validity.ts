import { AsnProp } from '@peculiar/asn1-schema';
import { Time } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * OptionalValidity ::= SEQUENCE {
 *   notBefore  [0] Time OPTIONAL,
 *   notAfter   [1] Time OPTIONAL }  -- at least one MUST be present
 * ```
 * (RFC 4211 §5, IMPLICIT TAGS module; Time is a CHOICE, so both tags are in effect EXPLICIT.)
 */
export class OptionalValidity {
  @AsnProp({ type: Time, context: 0, optional: true })
  notBefore?: Time;

  @AsnProp({ type: Time, context: 1, optional: true })
  notAfter?: Time;

  constructor(params: Partial<OptionalValidity> = {}) {
    Object.assign(this, params);
  }
}
