/**
 * The OSCORE option value (RFC 8613 §6.1, Figure 10), the compressed header of the COSE object:
 *
 *    0 1 2 3 4 5 6 7
 *   |0 0 0|h|k|  n  | Partial IV (n bytes) | s (1 byte) | kid context (s bytes) | kid ... |
 *
 * n = Partial IV length (6, 7 reserved), k = 'kid' present (it is the rest of the value),
 * h = 'kid context' present. The three high bits are reserved; set, they make the message
 * malformed (§6.1, §8.2 step 2). An empty value means all flags are zero.
 */
import { StackError, hexPrefix } from '../../core/errors.ts';
import { RFC8613_S6_1_MAX_PIV_LENGTH, type IdContext, type Kid, type PartialIv } from './ids.ts';

export const RFC8613_S6_1_FLAG_K = 0x08;
export const RFC8613_S6_1_FLAG_H = 0x10;
export const RFC8613_S6_1_RESERVED = 0xe0;
export const RFC8613_S6_1_N_MASK = 0x07;

/** The compressed COSE header parameters. */
export interface OscoreOption {
  readonly partialIv?: PartialIv;
  readonly kid?: Kid;
  readonly kidContext?: IdContext;
}

function bad(msg: string, input: Uint8Array, offset: number): StackError {
  return new StackError('ERR_COAP_BAD_OPTION', `OSCORE option: ${msg}`, {
    offset,
    option: 9,
    inputHex: hexPrefix(input),
    answer: { kind: 'response', code: 0x82, payload: 'Failed to decode COSE' },
  });
}

export function encodeOscoreOption(o: OscoreOption): Uint8Array {
  const piv = o.partialIv;
  if (piv && (piv.length < 1 || piv.length > RFC8613_S6_1_MAX_PIV_LENGTH)) {
    throw new StackError('ERR_INVALID_ARGUMENT', `Partial IV of ${piv.length} bytes (expected 1..5)`);
  }
  if (o.kidContext && o.kidContext.length > 255) {
    throw new StackError('ERR_INVALID_ARGUMENT', `kid context of ${o.kidContext.length} bytes exceeds 255`);
  }
  const n = piv?.length ?? 0;
  const flags = n | (o.kid ? RFC8613_S6_1_FLAG_K : 0) | (o.kidContext ? RFC8613_S6_1_FLAG_H : 0);
  // §2/§6.1: with no flag set the value is empty (the whole option shrinks to its header byte).
  if (flags === 0) return new Uint8Array(0);
  const size = 1 + n + (o.kidContext ? 1 + o.kidContext.length : 0) + (o.kid?.length ?? 0);
  const out = new Uint8Array(size);
  out[0] = flags;
  let pos = 1;
  if (piv) {
    out.set(piv, pos);
    pos += n;
  }
  if (o.kidContext) {
    out[pos++] = o.kidContext.length;
    out.set(o.kidContext, pos);
    pos += o.kidContext.length;
  }
  if (o.kid) out.set(o.kid, pos);
  return out;
}

/** Throws StackError('ERR_COAP_BAD_OPTION') whose answer is 4.02 "Failed to decode COSE". */
export function decodeOscoreOption(value: Uint8Array): OscoreOption {
  if (value.length === 0) return {};
  const flags = value[0]!;
  if (flags & RFC8613_S6_1_RESERVED) throw bad(`reserved flag bits set (0x${flags.toString(16).padStart(2, '0')})`, value, 0);
  const n = flags & RFC8613_S6_1_N_MASK;
  if (n > RFC8613_S6_1_MAX_PIV_LENGTH) throw bad(`Partial IV length ${n} is reserved`, value, 0);
  if (flags === 0) throw bad('a non-empty value with no flags set (the empty value must be used)', value, 0);
  let pos = 1;
  let partialIv: PartialIv | undefined;
  if (n > 0) {
    if (pos + n > value.length) throw bad(`Partial IV of ${n} bytes runs past the end (${value.length - pos} left)`, value, pos);
    partialIv = value.slice(pos, pos + n) as PartialIv;
    pos += n;
  }
  let kidContext: IdContext | undefined;
  if (flags & RFC8613_S6_1_FLAG_H) {
    if (pos >= value.length) throw bad('kid context length byte missing', value, pos);
    const s = value[pos++]!;
    if (pos + s > value.length) throw bad(`kid context of ${s} bytes runs past the end (${value.length - pos} left)`, value, pos);
    kidContext = value.slice(pos, pos + s) as IdContext;
    pos += s;
  }
  let kid: Kid | undefined;
  if (flags & RFC8613_S6_1_FLAG_K) kid = value.slice(pos) as Kid;
  else if (pos !== value.length) throw bad(`${value.length - pos} bytes after the last field, with no kid flag`, value, pos);
  return { ...(partialIv && { partialIv }), ...(kid && { kid }), ...(kidContext && { kidContext }) };
}
