/**
 * The EDHOC key derivation (RFC 9528 §4.1): EDHOC_Extract = HKDF-Extract (RFC 5869 §2.2) and
 * EDHOC_Expand = HKDF-Expand (§2.3) with SHA-256, and EDHOC_KDF(PRK, label, context, length) =
 * EDHOC_Expand(PRK, info, length) where info is the CBOR Sequence (label, context, length).
 */
import { createHash, createHmac } from 'node:crypto';
import { encodeCborSequence } from '../../codec/cbor/cbor.ts';
import { StackError } from '../../core/errors.ts';
import type { EdhocSuite } from './suites.ts';

export function edhocHash(suite: EdhocSuite, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(suite.hash).update(data).digest());
}

/** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM). */
export function edhocExtract(suite: EdhocSuite, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(suite.hash, salt).update(ikm).digest());
}

/** HKDF-Expand(PRK, info, L), L ≤ 255 · HashLen. */
export function hkdfExpand(suite: EdhocSuite, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const n = Math.ceil(length / suite.hashLength);
  if (!Number.isInteger(length) || length < 0 || n > 255) {
    throw new StackError('ERR_INVALID_ARGUMENT', `HKDF-Expand length ${length} is outside 0..${255 * suite.hashLength}`);
  }
  const out = new Uint8Array(n * suite.hashLength);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= n; i++) {
    t = new Uint8Array(createHmac(suite.hash, prk).update(t).update(info).update(Uint8Array.of(i)).digest());
    out.set(t, (i - 1) * suite.hashLength);
  }
  return out.slice(0, length);
}

/** The info CBOR Sequence ( info_label : int, context : bstr, length : uint ). */
export function kdfInfo(label: number, context: Uint8Array, length: number): Uint8Array {
  return encodeCborSequence([label, context, length]);
}

/** EDHOC_KDF(PRK, info_label, context, length). */
export function edhocKdf(suite: EdhocSuite, prk: Uint8Array, label: number, context: Uint8Array, length: number): Uint8Array {
  return hkdfExpand(suite, prk, kdfInfo(label, context, length), length);
}
