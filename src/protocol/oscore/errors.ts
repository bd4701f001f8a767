/**
 * The OSCORE processing errors of RFC 8613 §8.2 and §7.4, as StackErrors that carry their
 * (unprotected) CoAP answer. The diagnostic payloads are the strings the RFC suggests.
 */
import { Code } from '../../codec/coap/numbers/codes.ts';
import { toHex } from '../../core/bytes.ts';
import { StackError, hexPrefix } from '../../core/errors.ts';

export const RFC8613_S8_2_DECODE_FAILED = 'Failed to decode COSE';
export const RFC8613_S8_2_CONTEXT_NOT_FOUND = 'Security context not found';
export const RFC8613_S8_2_DECRYPTION_FAILED = 'Decryption failed';
export const RFC8613_S7_4_REPLAY_DETECTED = 'Replay detected';

/** §8.2 step 2, first case: 4.02 (Bad Option). */
export function cannotDecode(msg: string, input?: Uint8Array, cause?: unknown): StackError {
  return new StackError(
    'ERR_COAP_BAD_OPTION',
    `OSCORE: ${msg}`,
    { option: 9, ...(input && { inputHex: hexPrefix(input) }), answer: { kind: 'response', code: Code.BAD_OPTION, payload: RFC8613_S8_2_DECODE_FAILED } },
    cause,
  );
}

/**
 * §8.2 step 2, second case: 4.01 (Unauthorized). There is no OSCORE-specific code for this;
 * ERR_NOT_FOUND is the closest (an ERR_OSCORE_CONTEXT_NOT_FOUND would be clearer).
 */
export function contextNotFound(kid: Uint8Array, kidContext: Uint8Array | undefined): StackError {
  const where = kidContext === undefined ? '' : ` and kid context ${toHex(kidContext)}`;
  return new StackError('ERR_NOT_FOUND', `OSCORE: no security context for kid ${toHex(kid) || "''"}${where}`, {
    kid: toHex(kid),
    ...(kidContext && { kidContext: toHex(kidContext) }),
    answer: { kind: 'response', code: Code.UNAUTHORIZED, payload: RFC8613_S8_2_CONTEXT_NOT_FOUND },
  });
}

/** §7.4: 4.01 (Unauthorized). */
export function replayDetected(seq: number, verdict: string): StackError {
  return new StackError('ERR_OSCORE_REPLAY', `OSCORE: request with sequence number ${seq} rejected (${verdict})`, {
    sequence: seq,
    answer: { kind: 'response', code: Code.UNAUTHORIZED, payload: RFC8613_S7_4_REPLAY_DETECTED },
  });
}

/** §8.2 step 6: 4.00 (Bad Request). Also used for a plaintext that decrypts but does not parse. */
export function decryptionFailed(msg: string, cause?: unknown): StackError {
  return new StackError('ERR_OSCORE_DECRYPT', `OSCORE: ${msg}`, { answer: { kind: 'response', code: Code.BAD_REQUEST, payload: RFC8613_S8_2_DECRYPTION_FAILED } }, cause);
}

/** §8.4 step 8: the client stops processing the response (no answer on the wire). */
export function responseRejected(msg: string, cause?: unknown): StackError {
  return new StackError('ERR_OSCORE_DECRYPT', `OSCORE response: ${msg}`, { answer: { kind: 'drop' } }, cause);
}
