/**
 * The one error type of the voucher codec: a StackError whose `reason` says what is wrong, so that
 * a MASA or registrar can pick its HTTP or CoAP answer with a `switch (err.reason)`.
 *
 * Codes: ERR_VOUCHER_SIGNATURE for a signature that does not verify (or no signer to verify
 * with), ERR_COSE / ERR_ASN1_MALFORMED for a broken COSE_Sign1 / CMS envelope, ERR_CBOR_MALFORMED
 * for CBOR that is not a voucher artifact, and ERR_INVALID_ARGUMENT for JSON voucher data (or a
 * constructed artifact) that breaks the schema or the rules of its role.
 */
import { StackError, type StackErrorCode, type StackErrorDetails } from '../../core/errors.ts';

export type VoucherErrorReason =
  /** Not CBOR / JSON / COSE_Sign1 / CMS at all, or the wrong shape. */
  | 'malformed'
  /** The top-level container is neither a voucher nor a voucher-request (unknown SID or name). */
  | 'unknown-container'
  /** A leaf SID or name the schema does not have. */
  | 'unknown-leaf'
  /** A leaf value of the wrong type (e.g. a tstr where a bstr belongs). */
  | 'leaf-type'
  /** A date-and-time that is not RFC 3339 (yang:date-and-time). */
  | 'date-time'
  /** A nonce outside 8..32 bytes. */
  | 'nonce-length'
  /** A leaf of wrong length or form (SHA-256 not 32 bytes, bad URI, empty serial-number). */
  | 'leaf-value'
  /** A leaf the artifact's role requires is missing. */
  | 'missing-leaf'
  /** A leaf the artifact's role forbids is present. */
  | 'forbidden-leaf'
  /** Leaves that contradict each other (expires-on before created-on, …). */
  | 'inconsistent'
  /** The wrong kind of artifact (a voucher where a voucher-request was expected, or v.v.). */
  | 'wrong-kind'
  /** A signature algorithm or digest we do not implement. */
  | 'unsupported-algorithm'
  /** The signature does not verify. */
  | 'signature'
  /** No certificate or key to verify the signature with. */
  | 'no-signer';

const DEFAULT_CODE: Record<VoucherErrorReason, StackErrorCode> = {
  malformed: 'ERR_CBOR_MALFORMED',
  'unknown-container': 'ERR_CBOR_MALFORMED',
  'unknown-leaf': 'ERR_CBOR_MALFORMED',
  'leaf-type': 'ERR_CBOR_MALFORMED',
  'date-time': 'ERR_INVALID_ARGUMENT',
  'nonce-length': 'ERR_INVALID_ARGUMENT',
  'leaf-value': 'ERR_INVALID_ARGUMENT',
  'missing-leaf': 'ERR_INVALID_ARGUMENT',
  'forbidden-leaf': 'ERR_INVALID_ARGUMENT',
  inconsistent: 'ERR_INVALID_ARGUMENT',
  'wrong-kind': 'ERR_INVALID_ARGUMENT',
  'unsupported-algorithm': 'ERR_VOUCHER_SIGNATURE',
  signature: 'ERR_VOUCHER_SIGNATURE',
  'no-signer': 'ERR_VOUCHER_SIGNATURE',
};

export class VoucherError extends StackError {
  readonly reason: VoucherErrorReason;

  constructor(reason: VoucherErrorReason, message: string, details: StackErrorDetails = {}, cause?: unknown, code?: StackErrorCode) {
    super(code ?? DEFAULT_CODE[reason], message, { ...details, reason }, cause);
    this.reason = reason;
  }
}

export function isVoucherError(e: unknown, reason?: VoucherErrorReason): e is VoucherError {
  return e instanceof VoucherError && (reason === undefined || e.reason === reason);
}
