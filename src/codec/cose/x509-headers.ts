/**
 * X.509 certificates in COSE headers (RFC 9360 §2):
 *
 *   COSE_X509 = bstr / [ 2*certs: bstr ]          ; x5bag (32), x5chain (33)
 *   COSE_CertHash = [ hashAlg: (int / tstr), hashValue: bstr ]   ; x5t (34)
 *
 * Hash algorithms supported for x5t: SHA-256/64 (-15) and SHA-256 (-16).
 */
import { createHash } from 'node:crypto';
import { bytesEqual } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import type { CborValue } from '../cbor/cbor.ts';
import { COSE_ALG_SHA_256, COSE_ALG_SHA_256_64 } from './algorithms.ts';

/** COSE_X509 for one or more DER certificates: one certificate is a bare bstr. */
export function encodeCoseX509(ders: readonly Uint8Array[]): CborValue {
  if (ders.length === 0) throw new StackError('ERR_COSE', 'COSE_X509 needs at least one certificate');
  return ders.length === 1 ? ders[0]! : [...ders];
}

/** The DER certificates of a COSE_X509 value. */
export function decodeCoseX509(v: CborValue): Uint8Array[] {
  if (v instanceof Uint8Array) return [v];
  if (Array.isArray(v) && v.length >= 2 && v.every((c) => c instanceof Uint8Array)) return v as Uint8Array[];
  throw new StackError('ERR_COSE', 'COSE_X509 is neither a bstr nor an array of at least 2 bstr');
}

export interface CertHash {
  readonly alg: number;
  readonly value: Uint8Array;
}

/** The hash of a DER certificate with a COSE hash algorithm (-15 SHA-256/64, -16 SHA-256). */
export function coseHash(alg: number, data: Uint8Array): Uint8Array {
  const full = new Uint8Array(createHash('sha256').update(data).digest());
  if (alg === COSE_ALG_SHA_256) return full;
  if (alg === COSE_ALG_SHA_256_64) return full.slice(0, 8);
  throw new StackError('ERR_COSE', `unsupported COSE hash algorithm ${alg}`, { alg });
}

/** COSE_CertHash of a DER certificate; SHA-256/64 by default (as in RFC 9529 trace 1). */
export function certHash(der: Uint8Array, alg: number = COSE_ALG_SHA_256_64): CertHash {
  return { alg, value: coseHash(alg, der) };
}

export function encodeCertHash(h: CertHash): CborValue {
  return [h.alg, h.value];
}

export function decodeCertHash(v: CborValue): CertHash {
  if (!Array.isArray(v) || v.length !== 2) throw new StackError('ERR_COSE', 'COSE_CertHash is not an array of 2');
  const [alg, value] = v;
  if (typeof alg !== 'number' || !Number.isInteger(alg)) throw new StackError('ERR_COSE', 'COSE_CertHash hashAlg is not an integer');
  if (!(value instanceof Uint8Array)) throw new StackError('ERR_COSE', 'COSE_CertHash hashValue is not a bstr');
  return { alg, value };
}

/** True when the certificate has this hash (an unsupported hash algorithm is simply no match). */
export function certHashMatches(h: CertHash, der: Uint8Array): boolean {
  if (h.alg !== COSE_ALG_SHA_256 && h.alg !== COSE_ALG_SHA_256_64) return false;
  return bytesEqual(coseHash(h.alg, der), h.value);
}
