import { AsnProp } from '@peculiar/asn1-schema';
import { taggedChoiceSlot } from './asn1-support.ts';
import { CertRequest } from './cert-request.ts';
import { AttributeTypeAndValue } from './controls.ts';
import { PROOF_OF_POSSESSION_TAGS, ProofOfPossession } from './proof-of-possession.ts';

/**
 * ```asn1
 * CertReqMsg ::= SEQUENCE {
 *   certReq   CertRequest,
 *   popo      ProofOfPossession  OPTIONAL,
 *   regInfo   SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue OPTIONAL }
 * ```
 * (RFC 4211 §3)
 */
export class CertReqMsg {
  @AsnProp({ type: CertRequest })
  certReq = new CertRequest();

  // Matched by its context tags only, so that an absent popo does not swallow regInfo.
  @AsnProp({ type: taggedChoiceSlot(ProofOfPossession, PROOF_OF_POSSESSION_TAGS), optional: true })
  popo?: ProofOfPossession;

  @AsnProp({ type: AttributeTypeAndValue, repeated: 'sequence', optional: true })
  regInfo?: AttributeTypeAndValue[];

  constructor(params: Partial<CertReqMsg> = {}) {
    Object.assign(this, params);
  }
}
