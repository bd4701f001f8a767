/**
 * Detached signatures over arbitrary bytes with the supported keys: what CMP message protection
 * (RFC 9483 §3.2) and CRMF proof of possession (RFC 4211 §4.1) need.
 *
 * ECDSA signatures are DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5480 §2.2
 * via RFC 3279 §2.2.3) unless `dsaEncoding: 'ieee-p1363'` asks for raw r‖s (as COSE wants).
 * RSA is PKCS#1 v1.5 with SHA-256; Ed25519 is PureEdDSA (RFC 8032).
 */
import { KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { StackError } from '../core/errors.ts';
import { certificatePublicKey, type Certificate } from './certificate.ts';
import {
  keyFamilyOf,
  signatureAlgorithmFor,
  signatureAlgorithmFromOid,
  type SignatureAlgorithm,
} from './signature-algorithm.ts';

export interface SignatureOptions {
  /** The algorithm, as a descriptor or an OID; default: the one signatureAlgorithmFor(key) picks. */
  readonly algorithm?: SignatureAlgorithm | string;
  /** ECDSA only: 'der' (default) or 'ieee-p1363' (raw r‖s). */
  readonly dsaEncoding?: 'der' | 'ieee-p1363';
}

/** Sign `data` with a private key. */
export function signData(privateKey: KeyObject, data: Uint8Array, options: SignatureOptions = {}): Uint8Array {
  if (privateKey.type !== 'private') throw new StackError('ERR_INVALID_ARGUMENT', 'signData needs a private key');
  const alg = resolve(privateKey, options.algorithm);
  try {
    return Uint8Array.from(nodeSign(alg.hash, data, { key: privateKey, dsaEncoding: options.dsaEncoding ?? 'der' }));
  } catch (e) {
    throw new StackError('ERR_PKI', `signing with ${alg.name} failed`, { algorithm: alg.oid }, e);
  }
}

/**
 * True when `signature` is a valid signature over `data` by the key (or the certificate's key).
 * A malformed signature is simply invalid (false); an algorithm that does not fit the key, or is
 * not supported, throws ERR_PKI.
 */
export function verifyData(
  signer: Certificate | KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  options: SignatureOptions = {},
): boolean {
  const publicKey = signer instanceof KeyObject ? signer : certificatePublicKey(signer);
  const alg = resolve(publicKey, options.algorithm);
  try {
    return nodeVerify(alg.hash, data, { key: publicKey, dsaEncoding: options.dsaEncoding ?? 'der' }, signature);
  } catch {
    return false;
  }
}

function resolve(key: KeyObject, algorithm: SignatureAlgorithm | string | undefined): SignatureAlgorithm {
  if (algorithm === undefined) return signatureAlgorithmFor(key);
  const alg = typeof algorithm === 'string' ? signatureAlgorithmFromOid(algorithm) : algorithm;
  const family = keyFamilyOf(key);
  if (alg.keyFamily !== family) {
    throw new StackError('ERR_PKI', `signature algorithm ${alg.name} does not fit a ${family} key`, {
      algorithm: alg.oid,
      keyFamily: family,
    });
  }
  return alg;
}
