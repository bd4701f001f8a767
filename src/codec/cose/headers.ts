/**
 * Protected header encoding shared by COSE_Sign1 and COSE_Encrypt0 (RFC 9052 §3):
 * `empty_or_serialized_map = bstr .cbor header_map / bstr .size 0`.
 */
import { StackError, hexPrefix } from '../../core/errors.ts';
import { decodeCbor, encodeCbor, type CborValue } from '../cbor/cbor.ts';
import type { HeaderMap } from './header-parameters.ts';

/** The bstr contents for a protected header: zero-length when there are no parameters. */
export function encodeProtectedHeader(h: HeaderMap | undefined): Uint8Array {
  if (!h || h.size === 0) return new Uint8Array(0);
  return encodeCbor(h);
}

export function decodeProtectedHeader(bytes: Uint8Array): HeaderMap {
  if (bytes.length === 0) return new Map();
  const v = decodeCbor(bytes);
  if (!(v instanceof Map)) throw new StackError('ERR_COSE', 'protected header is not a map', { inputHex: hexPrefix(bytes) });
  return v;
}

export function asHeaderMap(v: CborValue, what: string): HeaderMap {
  if (!(v instanceof Map)) throw new StackError('ERR_COSE', `${what} is not a map`);
  return v;
}

/** A parameter looked up in protected, then unprotected header (RFC 9052 §3: never both). */
export function headerParameter(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap, label: number): CborValue {
  const p = protectedHeader.get(label);
  const u = unprotectedHeader.get(label);
  if (p !== undefined && u !== undefined) throw new StackError('ERR_COSE', `header parameter ${label} is both protected and unprotected`);
  return p ?? u;
}
