/**
 * application/multipart-core (CoAP Content-Format 62, RFC 8710 §2): a CBOR array of alternating
 * Content-Format (uint) and representation (byte string, or null for an absent part).
 */
import { decodeCbor, encodeCbor, type CborValue } from '../cbor/cbor.ts';
import { StackError } from '../../core/errors.ts';

export interface MultipartPart {
  readonly contentFormat: number;
  readonly payload: Uint8Array | null;
}

export function encodeMultipartCore(parts: readonly MultipartPart[]): Uint8Array {
  const arr: CborValue[] = [];
  for (const p of parts) arr.push(p.contentFormat, p.payload);
  return encodeCbor(arr);
}

export function decodeMultipartCore(bytes: Uint8Array): MultipartPart[] {
  let v: CborValue;
  try {
    v = decodeCbor(bytes);
  } catch (e) {
    throw new StackError('ERR_CBOR_MALFORMED', 'multipart-core is not CBOR', {}, e);
  }
  if (!Array.isArray(v) || v.length % 2 !== 0) throw new StackError('ERR_CBOR_MALFORMED', 'multipart-core must be an array of even length');
  const out: MultipartPart[] = [];
  for (let i = 0; i < v.length; i += 2) {
    const cf = v[i];
    const body = v[i + 1];
    if (typeof cf !== 'number' || !Number.isInteger(cf) || cf < 0 || cf > 0xffff) throw new StackError('ERR_CBOR_MALFORMED', `multipart-core part ${i / 2}: bad content-format`);
    if (body !== null && !(body instanceof Uint8Array)) throw new StackError('ERR_CBOR_MALFORMED', `multipart-core part ${i / 2}: not a byte string or null`);
    out.push({ contentFormat: cf, payload: body });
  }
  return out;
}
