/**
 * CoAP message codec (RFC 7252 §3). Pure: bytes in, value out, or one typed StackError that
 * carries what the endpoint needs to answer (message ID, token, CON or not, RST or drop).
 *
 *   0                   1                   2                   3
 *   |Ver| T |  TKL  |      Code     |          Message ID           |
 *   |   Token (if any, TKL bytes) ...
 *   |   Options (if any) ...
 *   |1 1 1 1 1 1 1 1|    Payload (if any) ...
 */
import { StackError, hexPrefix } from '../../core/errors.ts';
import { CON, type MessageType } from './numbers/types.ts';

export interface CoapOption {
  readonly number: number;
  readonly value: Uint8Array;
}

export interface CoapMessage {
  readonly type: MessageType;
  readonly code: number;
  readonly messageId: number;
  readonly token: Uint8Array;
  /** In ascending option-number order; repeated options keep their order. */
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);
export const RFC7252_S3_MAX_TOKEN_LENGTH = 8;
/** Largest option value this codec encodes: 65535 + 269 (two-byte extended length). */
export const RFC7252_S3_1_MAX_OPTION_LENGTH = 65535 + 269;

function malformed(msg: string, input: Uint8Array, offset: number, head?: { mid: number; token: Uint8Array; type: number }): StackError {
  const confirmable = head?.type === CON;
  return new StackError('ERR_COAP_MALFORMED', `${msg} at offset ${offset}`, {
    offset,
    messageId: head?.mid,
    token: head?.token,
    confirmable,
    // RFC 7252 §4.2/§4.3: a CON with a format error is rejected (RST); anything else is ignored.
    answer: { kind: head && confirmable ? 'rst' : 'drop' },
    inputHex: hexPrefix(input),
  });
}

export function decodeMessage(input: Uint8Array): CoapMessage {
  const len = input.length;
  if (len < 4) throw malformed(`message of ${len} bytes is shorter than the 4-byte header`, input, 0);
  const b0 = input[0]!;
  const version = b0 >> 6;
  if (version !== 1) {
    // §3: unknown versions are silently ignored.
    throw new StackError('ERR_COAP_MALFORMED', `unknown CoAP version ${version}`, {
      offset: 0,
      answer: { kind: 'drop' },
      inputHex: hexPrefix(input),
    });
  }
  const type = ((b0 >> 4) & 3) as MessageType;
  const tkl = b0 & 0x0f;
  const code = input[1]!;
  const mid = (input[2]! << 8) | input[3]!;
  const headOnly = { mid, token: EMPTY, type };
  if (tkl > RFC7252_S3_MAX_TOKEN_LENGTH) throw malformed(`token length ${tkl} is reserved (9-15)`, input, 0, headOnly);
  if (4 + tkl > len) throw malformed(`token of ${tkl} bytes runs past the end (${len} bytes)`, input, 4, headOnly);
  const token = tkl === 0 ? EMPTY : input.subarray(4, 4 + tkl);
  const head = { mid, token, type };
  if (code === 0 && len !== 4 + tkl) {
    throw malformed('empty message (code 0.00) with bytes after the header', input, 4, head);
  }
  if (code === 0 && tkl !== 0) throw malformed('empty message (code 0.00) with a token', input, 0, head);

  const options: CoapOption[] = [];
  let pos = 4 + tkl;
  let number = 0;
  let payload: Uint8Array = EMPTY;
  while (pos < len) {
    const byte = input[pos]!;
    if (byte === 0xff) {
      if (pos + 1 >= len) throw malformed('payload marker followed by no payload', input, pos, head);
      payload = input.subarray(pos + 1);
      break;
    }
    const optStart = pos;
    pos++;
    let delta = byte >> 4;
    let olen = byte & 0x0f;
    if (delta === 15) throw malformed('option delta nibble 15 without the payload marker', input, optStart, head);
    if (olen === 15) throw malformed('option length nibble 15 is reserved', input, optStart, head);
    if (delta === 13) {
      if (pos >= len) throw malformed('option delta extension runs past the end', input, pos, head);
      delta = input[pos++]! + 13;
    } else if (delta === 14) {
      if (pos + 1 >= len) throw malformed('option delta extension runs past the end', input, pos, head);
      delta = ((input[pos]! << 8) | input[pos + 1]!) + 269;
      pos += 2;
    }
    if (olen === 13) {
      if (pos >= len) throw malformed('option length extension runs past the end', input, pos, head);
      olen = input[pos++]! + 13;
    } else if (olen === 14) {
      if (pos + 1 >= len) throw malformed('option length extension runs past the end', input, pos, head);
      olen = ((input[pos]! << 8) | input[pos + 1]!) + 269;
      pos += 2;
    }
    number += delta;
    if (number > 0xffff) throw malformed(`option number ${number} exceeds 65535`, input, optStart, head);
    if (pos + olen > len) {
      throw malformed(`option ${number} value of ${olen} bytes runs past the end (${len - pos} left)`, input, pos, head);
    }
    options.push({ number, value: input.subarray(pos, pos + olen) });
    pos += olen;
  }
  return { type, code, messageId: mid, token, options, payload };
}

function nibble(n: number): number {
  return n < 13 ? n : n < 269 ? 13 : 14;
}

function extLen(n: number): number {
  return n < 13 ? 0 : n < 269 ? 1 : 2;
}

function invalid(msg: string): StackError {
  return new StackError('ERR_INVALID_ARGUMENT', msg);
}

/** Encodes a message; options are written in ascending number order (stable for repeats). */
export function encodeMessage(m: CoapMessage): Uint8Array {
  const tkl = m.token.length;
  if (tkl > RFC7252_S3_MAX_TOKEN_LENGTH) throw invalid(`token of ${tkl} bytes exceeds 8`);
  if (!Number.isInteger(m.messageId) || m.messageId < 0 || m.messageId > 0xffff) {
    throw invalid(`message ID ${m.messageId} is not a 16-bit unsigned integer`);
  }
  if (!Number.isInteger(m.code) || m.code < 0 || m.code > 255) throw invalid(`code ${m.code} is not one byte`);
  let options = m.options;
  for (let i = 1; i < options.length; i++) {
    if (options[i]!.number < options[i - 1]!.number) {
      options = [...options].sort((a, b) => a.number - b.number);
      break;
    }
  }
  let size = 4 + tkl;
  let prev = 0;
  for (const o of options) {
    const delta = o.number - prev;
    if (o.number < 0 || o.number > 0xffff) throw invalid(`option number ${o.number} out of range`);
    if (o.value.length > RFC7252_S3_1_MAX_OPTION_LENGTH) throw invalid(`option ${o.number} value too long`);
    size += 1 + extLen(delta) + extLen(o.value.length) + o.value.length;
    prev = o.number;
  }
  if (m.payload.length > 0) size += 1 + m.payload.length;
  const out = new Uint8Array(size);
  out[0] = 0x40 | (m.type << 4) | tkl;
  out[1] = m.code;
  out[2] = m.messageId >> 8;
  out[3] = m.messageId & 0xff;
  out.set(m.token, 4);
  let pos = 4 + tkl;
  prev = 0;
  for (const o of options) {
    const delta = o.number - prev;
    const l = o.value.length;
    out[pos++] = (nibble(delta) << 4) | nibble(l);
    if (delta >= 269) {
      out[pos++] = (delta - 269) >> 8;
      out[pos++] = (delta - 269) & 0xff;
    } else if (delta >= 13) out[pos++] = delta - 13;
    if (l >= 269) {
      out[pos++] = (l - 269) >> 8;
      out[pos++] = (l - 269) & 0xff;
    } else if (l >= 13) out[pos++] = l - 13;
    out.set(o.value, pos);
    pos += l;
    prev = o.number;
  }
  if (m.payload.length > 0) {
    out[pos++] = 0xff;
    out.set(m.payload, pos);
  }
  return out;
}
