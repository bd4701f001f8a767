/**
 * The JPY message of the stateless Join Proxy (draft-ietf-anima-constrained-join-proxy-20 §4.5.2):
 *
 *   jpy_message = [ jpy_header : bstr, jpy_content : bstr ]
 *
 * The header is the proxy's opaque per-pledge state (SHOULD be at most 32 bytes), reflected unchanged
 * by the registrar; the content is the relayed UDP payload. A receiver MUST accept an array of two
 * or more elements and uses the first two (§4.5.7). Messages we write are the deterministic
 * encoding (definite lengths, shortest length arguments).
 *
 * The decoder is written out here rather than going through the general CBOR decoder: it is on the
 * relay's hot path, it must accept indefinite lengths (which cbor-x refuses for byte strings), and
 * it still checks that the datagram is exactly one well-formed CBOR item (RFC 8949 Appendix C),
 * elements after the first two included.
 */
import { StackError, hexPrefix } from '../../core/errors.ts';

/** draft-ietf-anima-constrained-join-proxy-20 §4.5.2: the header state data SHOULD be at most 32 bytes. */
export const JP_S4_5_2_HEADER_MAX = 32;
/** §4.5.4: CBOR overhead (3..6 bytes) plus a header of up to 32 bytes: the budget below the MTU. */
export const JP_S4_5_4_MAX_OVERHEAD = 38;

export interface JpyMessage {
  /** Opaque proxy state, returned unchanged by the registrar. */
  readonly header: Uint8Array;
  /** The relayed UDP payload. */
  readonly content: Uint8Array;
}

const MT_BSTR = 2;
const MT_ARRAY = 4;

function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeHead(out: Uint8Array, off: number, major: number, n: number): number {
  const mt = major << 5;
  if (n < 24) {
    out[off] = mt | n;
    return off + 1;
  }
  if (n < 0x100) {
    out[off] = mt | 24;
    out[off + 1] = n;
    return off + 2;
  }
  if (n < 0x10000) {
    out[off] = mt | 25;
    out[off + 1] = n >> 8;
    out[off + 2] = n & 0xff;
    return off + 3;
  }
  out[off] = mt | 26;
  out[off + 1] = n >>> 24;
  out[off + 2] = (n >> 16) & 0xff;
  out[off + 3] = (n >> 8) & 0xff;
  out[off + 4] = n & 0xff;
  return off + 5;
}

/** Encodes `[header, content]` (one allocation, deterministic CBOR). */
export function encodeJpyMessage(msg: JpyMessage): Uint8Array {
  const { header, content } = msg;
  const out = new Uint8Array(1 + headLength(header.length) + header.length + headLength(content.length) + content.length);
  let off = writeHead(out, 0, MT_ARRAY, 2);
  off = writeHead(out, off, MT_BSTR, header.length);
  out.set(header, off);
  off += header.length;
  off = writeHead(out, off, MT_BSTR, content.length);
  out.set(content, off);
  return out;
}

function malformed(input: Uint8Array, message: string, offset?: number, cause?: unknown): StackError {
  return new StackError('ERR_CBOR_MALFORMED', `JPY message: ${message}`, { offset, inputHex: hexPrefix(input), protocol: 'jpy' }, cause);
}

/** Reads the argument of the head at `off`: a definite value, or 'indefinite' (additional information 31). */
function readArgument(input: Uint8Array, off: number): { value: number; next: number } | 'indefinite' {
  const ai = input[off]! & 0x1f;
  if (ai < 24) return { value: ai, next: off + 1 };
  if (ai === 31) return 'indefinite';
  const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
  if (size === 0) throw malformed(input, `reserved additional information ${ai} at offset ${off}`, off);
  if (off + 1 + size > input.length) throw malformed(input, `length argument of ${size} bytes at offset ${off} runs past the end (${input.length} bytes)`, off);
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + input[off + 1 + i]!;
  return { value, next: off + 1 + size };
}

function need(input: Uint8Array, off: number, what: string): void {
  if (off >= input.length) throw malformed(input, `${what} expected at offset ${off}, but the datagram ends`, off);
}

/** A byte string at `off` (definite, or indefinite made of definite chunks, RFC 8949 §3.2.3). */
function readBstr(input: Uint8Array, off: number, name: string): { bytes: Uint8Array; next: number } {
  need(input, off, name);
  if (input[off]! >> 5 !== MT_BSTR) throw malformed(input, `${name} is not a byte string (major type ${input[off]! >> 5} at offset ${off})`, off);
  const len = readArgument(input, off);
  if (len !== 'indefinite') {
    const end = len.next + len.value;
    if (end > input.length) throw malformed(input, `byte string of ${len.value} bytes at offset ${off} runs past the end (${input.length} bytes)`, off);
    return { bytes: input.subarray(len.next, end), next: end };
  }
  const chunks: Uint8Array[] = [];
  let p = off + 1;
  for (;;) {
    need(input, p, 'a chunk or break');
    if (input[p] === BREAK) break;
    if (input[p]! >> 5 !== MT_BSTR || (input[p]! & 0x1f) === 31) throw malformed(input, `chunk of ${name} at offset ${p} is not a definite byte string`, p);
    const c = readBstr(input, p, name);
    chunks.push(c.bytes);
    p = c.next;
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  return { bytes, next: p + 1 };
}

const BREAK = 0xff;
const MAX_DEPTH = 16;

/** Checks one well-formed data item at `off` (RFC 8949 Appendix C) and returns the offset after it. */
function skipItem(input: Uint8Array, off: number, depth: number): number {
  need(input, off, 'a data item');
  if (depth > MAX_DEPTH) throw malformed(input, `items nested deeper than ${MAX_DEPTH} at offset ${off}`, off);
  const ib = input[off]!;
  const major = ib >> 5;
  const arg = readArgument(input, off);
  if (arg === 'indefinite') {
    if (major === 0 || major === 1 || major === 6) throw malformed(input, `indefinite length on major type ${major} at offset ${off}`, off);
    if (major === 7) throw malformed(input, `unexpected break at offset ${off}`, off);
    let p = off + 1;
    for (;;) {
      need(input, p, 'an item or break');
      if (input[p] === BREAK) return p + 1;
      if ((major === 2 || major === 3) && (input[p]! >> 5 !== major || (input[p]! & 0x1f) === 31)) {
        throw malformed(input, `chunk at offset ${p} is not a definite string of major type ${major}`, p);
      }
      p = skipItem(input, p, depth + 1);
      if (major === 5) p = skipItem(input, p, depth + 1);
    }
  }
  switch (major) {
    case 0:
    case 1:
    case 7:
      if (major === 7 && (ib & 0x1f) === 24 && arg.value < 32) throw malformed(input, `simple value ${arg.value} in two bytes at offset ${off}`, off);
      return arg.next;
    case 2:
    case 3:
      if (arg.next + arg.value > input.length) throw malformed(input, `string of ${arg.value} bytes at offset ${off} runs past the end (${input.length} bytes)`, off);
      return arg.next + arg.value;
    case 4:
    case 5: {
      let p = arg.next;
      const items = major === 5 ? arg.value * 2 : arg.value;
      if (items > input.length - p) throw malformed(input, `container of ${arg.value} items at offset ${off} is longer than the datagram`, off);
      for (let i = 0; i < items; i++) p = skipItem(input, p, depth + 1);
      return p;
    }
    default:
      return skipItem(input, arg.next, depth + 1); // tag
  }
}

/**
 * Decodes a JPY message. Throws ERR_CBOR_MALFORMED (details.protocol = 'jpy') when the datagram is
 * not exactly one well-formed CBOR array of at least two elements whose first two are byte
 * strings. The returned header and content are views into `input` (copies for indefinite-length
 * strings); copy them to keep them past the datagram's life.
 */
export function decodeJpyMessage(input: Uint8Array): JpyMessage {
  if (input.length === 0) throw malformed(input, 'empty datagram', 0);
  if (input[0]! >> 5 !== MT_ARRAY) throw malformed(input, `expected a CBOR array, found major type ${input[0]! >> 5}`, 0);
  const count = readArgument(input, 0);
  const first = count === 'indefinite' ? 1 : count.next;
  if (count !== 'indefinite' && count.value < 2) throw malformed(input, `array of ${count.value} element(s), at least 2 expected`, 0);
  if (count === 'indefinite' && input[first] === BREAK) throw malformed(input, 'array of 0 element(s), at least 2 expected', 0);
  const header = readBstr(input, first, 'jpy_header');
  if (count === 'indefinite' && input[header.next] === BREAK) throw malformed(input, 'array of 1 element(s), at least 2 expected', 0);
  const content = readBstr(input, header.next, 'jpy_content');
  let p = content.next;
  if (count === 'indefinite') {
    for (;;) {
      need(input, p, 'an element or break');
      if (input[p] === BREAK) break;
      p = skipItem(input, p, 1);
    }
    p++;
  } else {
    for (let i = 2; i < count.value; i++) p = skipItem(input, p, 1);
  }
  if (p !== input.length) throw malformed(input, `${input.length - p} byte(s) after the array`, p);
  return { header: header.bytes, content: content.bytes };
}
