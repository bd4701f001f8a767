/**
 * EDHOC cipher suites (RFC 9528 §3.6, §10.2). Implemented: 0, 1, 2, 3 and 6. All use SHA-256 as
 * EDHOC and application hash.
 *
 *   suite  EDHOC AEAD            MAC  curve   signature  app AEAD
 *     0    AES-CCM-16-64-128      8   X25519  EdDSA      AES-CCM-16-64-128
 *     1    AES-CCM-16-128-128    16   X25519  EdDSA      AES-CCM-16-64-128
 *     2    AES-CCM-16-64-128      8   P-256   ES256      AES-CCM-16-64-128
 *     3    AES-CCM-16-128-128    16   P-256   ES256      AES-CCM-16-64-128
 *     6    A128GCM               16   X25519  ES256      A128GCM
 */
import {
  aeadAlgorithm,
  COSE_ALG_A128GCM,
  COSE_ALG_AES_CCM_16_128_128,
  COSE_ALG_AES_CCM_16_64_128,
  COSE_ALG_EDDSA,
  COSE_ALG_ES256,
  COSE_ALG_SHA_256,
  type AeadAlgorithm,
  type CoseSignatureAlgorithm,
} from '../../codec/cose/algorithms.ts';

export type EdhocCurve = 'X25519' | 'P-256';

export interface EdhocSuite {
  readonly id: number;
  readonly aead: AeadAlgorithm;
  /** node:crypto hash name of the EDHOC hash algorithm. */
  readonly hash: 'sha256';
  readonly hashLength: number;
  /** EDHOC MAC length for static DH authentication. */
  readonly macLength: number;
  readonly curve: EdhocCurve;
  readonly signatureAlg: CoseSignatureAlgorithm;
  /** Application AEAD (COSE id) and its key length. */
  readonly appAead: number;
  readonly appKeyLength: number;
  /** Application hash (COSE id). */
  readonly appHash: number;
}

function suite(id: number, aead: number, macLength: number, curve: EdhocCurve, signatureAlg: CoseSignatureAlgorithm, appAead: number): EdhocSuite {
  return Object.freeze({
    id,
    aead: aeadAlgorithm(aead),
    hash: 'sha256',
    hashLength: 32,
    macLength,
    curve,
    signatureAlg,
    appAead,
    appKeyLength: aeadAlgorithm(appAead).keyLength,
    appHash: COSE_ALG_SHA_256,
  });
}

export const EDHOC_SUITES: ReadonlyMap<number, EdhocSuite> = new Map([
  [0, suite(0, COSE_ALG_AES_CCM_16_64_128, 8, 'X25519', COSE_ALG_EDDSA, COSE_ALG_AES_CCM_16_64_128)],
  [1, suite(1, COSE_ALG_AES_CCM_16_128_128, 16, 'X25519', COSE_ALG_EDDSA, COSE_ALG_AES_CCM_16_64_128)],
  [2, suite(2, COSE_ALG_AES_CCM_16_64_128, 8, 'P-256', COSE_ALG_ES256, COSE_ALG_AES_CCM_16_64_128)],
  [3, suite(3, COSE_ALG_AES_CCM_16_128_128, 16, 'P-256', COSE_ALG_ES256, COSE_ALG_AES_CCM_16_64_128)],
  [6, suite(6, COSE_ALG_A128GCM, 16, 'X25519', COSE_ALG_ES256, COSE_ALG_A128GCM)],
]);

export const SUPPORTED_SUITES: readonly number[] = Object.freeze([...EDHOC_SUITES.keys()]);

export function edhocSuite(id: number): EdhocSuite | undefined {
  return EDHOC_SUITES.get(id);
}

/** Length of G_X / G_Y on a curve (RFC 9528 §3.7: the x-coordinate only). */
export function publicKeyLength(curve: EdhocCurve): number {
  // X25519 keys and P-256 x-coordinates are both 32 bytes.
  void curve;
  return 32;
}

/** EDHOC methods (§3.2): 0 sig/sig, 1 sig/static DH, 2 static DH/sig, 3 static DH/static DH (I/R). */
export type EdhocMethod = 0 | 1 | 2 | 3;

export function isEdhocMethod(m: unknown): m is EdhocMethod {
  return m === 0 || m === 1 || m === 2 || m === 3;
}

/** True when the Initiator authenticates with a static DH key (methods 2, 3). */
export function initiatorUsesStaticDh(method: EdhocMethod): boolean {
  return method === 2 || method === 3;
}

/** True when the Responder authenticates with a static DH key (methods 1, 3). */
export function responderUsesStaticDh(method: EdhocMethod): boolean {
  return method === 1 || method === 3;
}
