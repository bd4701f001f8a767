/**
 * The OSCORE plaintext (RFC 8613 §5.3, Figure 9): the original Code, the Class E options encoded as
 * in RFC 7252 §3.1 (deltas between inner options only), and the payload after 0xFF if there is one.
 *
 *   | Code | Class E options ... | 0xFF | Payload ... |
 *
 * The option encoding is the CoAP message codec's, minus the 4-byte header.
 */
import { decodeMessage, encodeMessage, type CoapOption } from '../../codec/coap/message.ts';
import { CON } from '../../codec/coap/numbers/types.ts';
import { StackError, hexPrefix, isStackError } from '../../core/errors.ts';

export interface CoapParts {
  readonly code: number;
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function encodePlaintext(parts: CoapParts): Uint8Array {
  const m = encodeMessage({ type: CON, code: parts.code, messageId: 0, token: EMPTY, options: parts.options, payload: parts.payload });
  const out = m.subarray(3);
  out[0] = parts.code;
  return out;
}

/** Throws StackError('ERR_COAP_MALFORMED') naming the offset in the plaintext. */
export function decodePlaintext(plaintext: Uint8Array): CoapParts {
  if (plaintext.length === 0) throw new StackError('ERR_COAP_MALFORMED', 'OSCORE plaintext is empty (no Code)', { offset: 0 });
  const code = plaintext[0]!;
  if (code === 0) throw new StackError('ERR_COAP_MALFORMED', 'OSCORE plaintext carries Code 0.00', { offset: 0, inputHex: hexPrefix(plaintext) });
  const framed = new Uint8Array(plaintext.length + 3);
  framed[0] = 0x40; // version 1, CON, no token; the Message ID bytes stay 0
  framed[1] = code;
  framed.set(plaintext.subarray(1), 4);
  try {
    const m = decodeMessage(framed);
    return { code: m.code, options: m.options, payload: m.payload };
  } catch (e) {
    const offset = isStackError(e) && typeof e.details.offset === 'number' ? e.details.offset - 3 : undefined;
    throw new StackError('ERR_COAP_MALFORMED', `malformed OSCORE plaintext${offset === undefined ? '' : ` at offset ${offset}`}`, { offset, inputHex: hexPrefix(plaintext) }, e);
  }
}

/** Options alone, encoded as in RFC 7252 §3.1 (for the 'options' field of the AAD). */
export function encodeOptionList(options: readonly CoapOption[]): Uint8Array {
  if (options.length === 0) return EMPTY;
  return encodePlaintext({ code: 1, options, payload: EMPTY }).subarray(1);
}
