/**
 * COSE algorithm identifiers used here (RFC 9053, IANA "COSE Algorithms") and the parameters the
 * AEAD ones need: key, nonce and tag lengths, and the node:crypto cipher behind them.
 */
import { StackError } from '../../core/errors.ts';

/** RFC 9053 §4.1 AES-GCM mode w/ 128-bit key, 128-bit tag. */
export const COSE_ALG_A128GCM = 1;
/** RFC 9053 §4.2 AES-CCM mode 128-bit key, 64-bit tag, 13-byte nonce. */
export const COSE_ALG_AES_CCM_16_64_128 = 10;
/** RFC 9053 §4.2 AES-CCM mode 128-bit key, 128-bit tag, 13-byte nonce. */
export const COSE_ALG_AES_CCM_16_128_128 = 30;
/** RFC 9053 §2.1 ECDSA w/ SHA-256 (signature is r‖s, 64 bytes on P-256). */
export const COSE_ALG_ES256 = -7;
/** RFC 9053 §2.2 EdDSA (here: Ed25519). */
export const COSE_ALG_EDDSA = -8;
/** RFC 9054 §2 SHA-256. */
export const COSE_ALG_SHA_256 = -16;
/** RFC 9054 §2 SHA-256 truncated to 64 bits (used by x5t). */
export const COSE_ALG_SHA_256_64 = -15;

export interface AeadAlgorithm {
  readonly id: number;
  readonly name: string;
  readonly cipher: 'aes-128-ccm' | 'aes-128-gcm';
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;
}

const AEADS: readonly AeadAlgorithm[] = Object.freeze([
  Object.freeze({ id: COSE_ALG_AES_CCM_16_64_128, name: 'AES-CCM-16-64-128', cipher: 'aes-128-ccm', keyLength: 16, nonceLength: 13, tagLength: 8 }),
  Object.freeze({ id: COSE_ALG_AES_CCM_16_128_128, name: 'AES-CCM-16-128-128', cipher: 'aes-128-ccm', keyLength: 16, nonceLength: 13, tagLength: 16 }),
  Object.freeze({ id: COSE_ALG_A128GCM, name: 'A128GCM', cipher: 'aes-128-gcm', keyLength: 16, nonceLength: 12, tagLength: 16 }),
] as const);

/** The AEAD algorithm with this COSE identifier; ERR_COSE when it is not supported. */
export function aeadAlgorithm(id: number): AeadAlgorithm {
  const alg = AEADS.find((a) => a.id === id);
  if (!alg) throw new StackError('ERR_COSE', `unsupported COSE AEAD algorithm ${id}`, { alg: id });
  return alg;
}

export function isAeadAlgorithm(id: unknown): id is number {
  return typeof id === 'number' && AEADS.some((a) => a.id === id);
}

export type CoseSignatureAlgorithm = typeof COSE_ALG_ES256 | typeof COSE_ALG_EDDSA;

export function isSignatureAlgorithm(id: unknown): id is CoseSignatureAlgorithm {
  return id === COSE_ALG_ES256 || id === COSE_ALG_EDDSA;
}
