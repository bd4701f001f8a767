import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { SafeIntegerConverter } from './asn1-support.ts';
import { CertTemplate } from './cert-template.ts';
import { Controls } from './controls.ts';

/**
 * ```asn1
 * CertRequest ::= SEQUENCE {
 *   certReqId     INTEGER,       -- ID for matching request and reply
 *   certTemplate  CertTemplate,  -- Selected fields of cert to be issued
 *   controls      Controls OPTIONAL }
 * ```
 * (RFC 4211 §5.) The POP signature (POPOSigningKey without poposkInput) is over the DER
 * of this SEQUENCE.
 */
export class CertRequest {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SafeIntegerConverter })
  certReqId = 0;

  @AsnProp({ type: CertTemplate })
  certTemplate = new CertTemplate();

  @AsnProp({ type: Controls, optional: true })
  controls?: Controls;

  constructor(params: Partial<CertRequest> = {}) {
    Object.assign(this, params);
  }
}
