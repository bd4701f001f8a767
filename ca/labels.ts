/**
 * Names shared by the CA's configuration and policy, kept apart from both so that the operator
 * commands (approve, reject, list) load neither the CMP codec nor the PKI library.
 */
import type { KeyAlgorithm } from '../src/pki/key-pair.ts';

/** The label of requests that arrive without one (`/.well-known/cmp`). */
export const DEFAULT_LABEL = 'default';

/** What genm certReqTemplate answers for a label (RFC 9483 §4.3.3). */
export interface CertReqTemplateSpec {
  /** Subject pattern, DER order, e.g. "O=Example, CN={serial}"; attributes with a placeholder go out empty. */
  readonly subject: string;
  readonly keyType: KeyAlgorithm;
  /** Extended key usages as OIDs. */
  readonly eku: readonly string[];
}
