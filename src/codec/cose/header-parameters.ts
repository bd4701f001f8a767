/**
 * COSE header parameter labels (RFC 9052 §3.1, RFC 9360 §2, RFC 9528 §10.6) and the shape of a
 * header map. Only integer labels are used in this project.
 */
import type { CborValue } from '../cbor/cbor.ts';

/** RFC 9052 §3.1 'alg'. */
export const COSE_HEADER_ALG = 1;
/** RFC 9052 §3.1 'crit'. */
export const COSE_HEADER_CRIT = 2;
/** RFC 9052 §3.1 'content type'. */
export const COSE_HEADER_CONTENT_TYPE = 3;
/** RFC 9052 §3.1 'kid'. */
export const COSE_HEADER_KID = 4;
/** RFC 9052 §3.1 'IV'. */
export const COSE_HEADER_IV = 5;
/** RFC 9052 §3.1 'Partial IV'. */
export const COSE_HEADER_PARTIAL_IV = 6;
/** RFC 8613 §6.1 / RFC 9528: 'kid context'. */
export const COSE_HEADER_KID_CONTEXT = 10;
/** RFC 9528 §10.6 'kcwt' (a CWT carrying the credential). */
export const COSE_HEADER_KCWT = 13;
/** RFC 9528 §10.6 'kccs' (a CWT Claims Set carrying the credential). */
export const COSE_HEADER_KCCS = 14;
/** RFC 9360 §2 'x5bag': an unordered bag of X.509 certificates. */
export const COSE_HEADER_X5BAG = 32;
/** RFC 9360 §2 'x5chain': an ordered chain, end-entity certificate first. */
export const COSE_HEADER_X5CHAIN = 33;
/** RFC 9360 §2 'x5t': COSE_CertHash = [hashAlg, hashValue] of the end-entity certificate. */
export const COSE_HEADER_X5T = 34;
/** RFC 9360 §2 'x5u': a URI of the certificate(s). */
export const COSE_HEADER_X5U = 35;

/** A COSE header map (RFC 9052 §3 `header_map`). */
export type HeaderMap = Map<CborValue, CborValue>;

export function emptyHeaderMap(): HeaderMap {
  return new Map();
}
