/**
 * One error type for the whole library, with a stable code to switch on
 * (the shape of jose's JOSEError). Decoders and state machines throw only this.
 */

export type StackErrorCode =
  // CoAP wire format and stack
  | 'ERR_COAP_MALFORMED'
  | 'ERR_COAP_BAD_OPTION'
  | 'ERR_COAP_TIMEOUT'
  | 'ERR_COAP_RESET'
  | 'ERR_COAP_CANCELLED'
  | 'ERR_COAP_TOO_MANY_EXCHANGES'
  | 'ERR_COAP_RESPONSE'
  | 'ERR_BLOCK_OUT_OF_ORDER'
  | 'ERR_BLOCK_MALFORMED'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_BLOCK_ETAG_CHANGED'
  | 'ERR_LINK_FORMAT'
  | 'ERR_URI'
  // transports
  | 'ERR_TRANSPORT_CLOSED'
  | 'ERR_DATAGRAM_TOO_LARGE'
  // configuration and use
  | 'ERR_CONFIG'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NOT_FOUND'
  | 'ERR_IO'
  // later protocols (reserved here so that codes stay in one place)
  | 'ERR_ASN1_MALFORMED'
  | 'ERR_CBOR_MALFORMED'
  | 'ERR_COSE'
  | 'ERR_CMP_MALFORMED'
  | 'ERR_CMP_PROTECTION'
  | 'ERR_CMP_POP_FAILED'
  | 'ERR_CMP_REJECTED'
  | 'ERR_CMP_TRANSACTION'
  | 'ERR_CMP_UNSUPPORTED'
  | 'ERR_PKI'
  | 'ERR_CERT_CHAIN'
  | 'ERR_OSCORE_REPLAY'
  | 'ERR_OSCORE_DECRYPT'
  | 'ERR_EDHOC'
  | 'ERR_VOUCHER_SIGNATURE'
  | 'ERR_STORE';

/** CoAP response codes are written as class * 32 + detail, e.g. 4.02 = 130. */
export interface CoapAnswer {
  /** Reset the message (format errors in a CON), or answer with this response code. */
  readonly kind: 'rst' | 'response' | 'drop';
  readonly code?: number;
  readonly payload?: string;
}

export interface StackErrorDetails {
  /** Where in the input the problem was found. */
  readonly offset?: number;
  /** For CoAP decode errors: what is needed to answer on the wire. */
  readonly messageId?: number;
  readonly token?: Uint8Array;
  readonly confirmable?: boolean;
  readonly answer?: CoapAnswer;
  /** A bounded hex prefix of the offending input (never key material). */
  readonly inputHex?: string;
  /** Free-form extra facts (numbers and short strings only). */
  readonly [key: string]: unknown;
}

export class StackError extends Error {
  override readonly name = 'StackError';
  readonly code: StackErrorCode;
  readonly details: StackErrorDetails;

  constructor(code: StackErrorCode, message: string, details: StackErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

export function isStackError(e: unknown, code?: StackErrorCode): e is StackError {
  return e instanceof StackError && (code === undefined || e.code === code);
}

/** Hex of at most `max` bytes of `input`, for error details. */
export function hexPrefix(input: Uint8Array, max = 32): string {
  const n = Math.min(input.length, max);
  let s = '';
  for (let i = 0; i < n; i++) s += input[i]!.toString(16).padStart(2, '0');
  return input.length > max ? `${s}…` : s;
}
