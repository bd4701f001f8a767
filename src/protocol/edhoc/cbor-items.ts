/**
 * Strict reading of EDHOC CBOR Sequences (RFC 9528 §3.1, Appendix C.1): every data item must use
 * the preferred serialization, so a message has one encoding only. This walks the encoded items
 * (definite lengths, shortest heads, no indefinite-length items) and returns each item's bytes
 * beside its decoded value. Map key order is not checked: RFC 9528 §3.5.3 lets ID_CRED maps list
 * their labels in any order, which is also why the raw bytes of every item are kept.
 */
import { decodeCbor, type CborValue } from '../../codec/cbor/cbor.ts';
import { hexPrefix } from '../../core/errors.ts';
import { EdhocError } from './edhoc-error.ts';

/** Deepest nesting accepted (a CCS inside an ID_CRED map needs 4). */
export const MAX_CBOR_DEPTH = 16;

export interface CborItem {
  readonly raw: Uint8Array;
  readonly value: CborValue;
  readonly offset: number;
}

/** Decrypted plaintexts (they carry ID_CRED_x) never go into error details. */
const SENSITIVE = new Set(['PLAINTEXT_2', 'PLAINTEXT_3', 'PLAINTEXT_4']);

function inputDetails(what: string, input: Uint8Array): { inputHex?: string } {
  return SENSITIVE.has(what) ? {} : { inputHex: hexPrefix(input) };
}

function fail(what: string, input: Uint8Array, offset: number, message: string): never {
  throw EdhocError.malformed(what, `${message} at offset ${offset}`, { offset, ...inputDetails(what, input) });
}

/** Returns the offset just past the item starting at `off`. */
function skipItem(b: Uint8Array, off: number, depth: number, what: string): number {
  if (depth > MAX_CBOR_DEPTH) fail(what, b, off, `CBOR nesting deeper than ${MAX_CBOR_DEPTH}`);
  if (off >= b.length) fail(what, b, off, 'truncated CBOR item');
  const ib = b[off]!;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  let p = off + 1;
  let arg: number;
  if (ai < 24) {
    arg = ai;
  } else if (ai <= 27) {
    const n = 1 << (ai - 24);
    if (p + n > b.length) fail(what, b, off, 'truncated CBOR head');
    if (major === 7 && ai >= 25) return p + n; // half/single/double float: no argument semantics
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[p + i]!;
    const min = ai === 24 ? 24 : ai === 25 ? 0x100 : ai === 26 ? 0x10000 : 0x100000000;
    if (v < min) fail(what, b, off, 'CBOR head not in its shortest form');
    if (major === 7 && v < 32) fail(what, b, off, 'simple value in a two-byte encoding');
    arg = v;
    p += n;
  } else if (ai === 31) {
    fail(what, b, off, 'indefinite-length CBOR item');
  } else {
    fail(what, b, off, `reserved CBOR additional information ${ai}`);
  }
  switch (major) {
    case 0:
    case 1:
    case 7:
      return p;
    case 2:
    case 3:
      if (arg > b.length - p) fail(what, b, off, `CBOR string of ${arg} bytes exceeds the ${b.length - p} left`);
      return p + arg;
    case 4:
      for (let i = 0; i < arg; i++) p = skipItem(b, p, depth + 1, what);
      return p;
    case 5:
      for (let i = 0; i < arg * 2; i++) p = skipItem(b, p, depth + 1, what);
      return p;
    default: // 6: tag
      return skipItem(b, p, depth + 1, what);
  }
}

/** The length of the first encoded item in `input` (checked like every item here). */
export function firstItemLength(input: Uint8Array, what: string): number {
  return skipItem(input, 0, 0, what);
}

/** Splits and decodes a CBOR Sequence; throws EdhocError (reply: error code 1) when malformed. */
export function readSequence(input: Uint8Array, what: string): CborItem[] {
  const items: CborItem[] = [];
  let off = 0;
  while (off < input.length) {
    const end = skipItem(input, off, 0, what);
    const raw = input.subarray(off, end);
    let value: CborValue;
    try {
      value = decodeCbor(raw);
    } catch (e) {
      throw EdhocError.malformed(what, `undecodable CBOR item at offset ${off}`, { offset: off, ...inputDetails(what, input) }, SENSITIVE.has(what) ? undefined : e);
    }
    items.push({ raw, value, offset: off });
    off = end;
  }
  return items;
}
