/**
 * The AEAD and HKDF of an OSCORE context. Only the mandatory algorithms are implemented:
 * AES-CCM-16-64-128 (COSE algorithm 10: 128-bit key, 13-byte nonce, 8-byte tag; RFC 9053 §4.2)
 * and HKDF SHA-256 (RFC 5869), both from node:crypto.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { StackError } from '../../core/errors.ts';

export interface AeadAlgorithm {
  /** COSE algorithm value, as it appears in the HKDF info and the external_aad. */
  readonly cose: number;
  readonly name: string;
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;
  /** Largest plaintext the nonce length allows (CCM with L = 15 - nonceLength bytes of length). */
  readonly maxPlaintext: number;
}

/** RFC 9053 §4.2 / RFC 8152 §10.2: AES-CCM-16-64-128, the OSCORE default (RFC 8613 §3.2). */
export const AES_CCM_16_64_128: AeadAlgorithm = Object.freeze({
  cose: 10,
  name: 'AES-CCM-16-64-128',
  keyLength: 16,
  nonceLength: 13,
  tagLength: 8,
  maxPlaintext: 0xffff,
});

export function aeadAlgorithm(cose: number): AeadAlgorithm {
  if (cose === AES_CCM_16_64_128.cose) return AES_CCM_16_64_128;
  throw new StackError('ERR_CONFIG', `AEAD algorithm ${cose} is not supported (only 10, AES-CCM-16-64-128)`);
}

/** HKDF-SHA-256(salt, IKM, info, L) = HKDF-Expand(HKDF-Extract(salt, IKM), info, L) (RFC 5869 §2). */
export function hkdfSha256(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  try {
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
  } catch (cause) {
    throw new StackError('ERR_CONFIG', `HKDF-SHA-256 failed for L = ${length}`, {}, cause);
  }
}

function ccm(alg: AeadAlgorithm): 'aes-128-ccm' {
  if (alg.cose !== AES_CCM_16_64_128.cose) throw new StackError('ERR_CONFIG', `AEAD ${alg.name} is not supported`);
  return 'aes-128-ccm';
}

/** Ciphertext with the tag appended (COSE_Encrypt0 'ciphertext', RFC 9052 §5.3). */
export function aeadSeal(alg: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length > alg.maxPlaintext) {
    throw new StackError('ERR_BODY_TOO_LARGE', `plaintext of ${plaintext.length} bytes exceeds ${alg.maxPlaintext} for ${alg.name}`);
  }
  const cipher = createCipheriv(ccm(alg), key, nonce, { authTagLength: alg.tagLength });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(body.length + tag.length);
  out.set(body, 0);
  out.set(tag, body.length);
  return out;
}

/** The plaintext, or undefined when the tag does not verify (or the input is shorter than a tag). */
export function aeadOpen(alg: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  const n = ciphertext.length - alg.tagLength;
  if (n < 0 || n > alg.maxPlaintext) return undefined;
  try {
    const decipher = createDecipheriv(ccm(alg), key, nonce, { authTagLength: alg.tagLength });
    decipher.setAuthTag(ciphertext.subarray(n));
    decipher.setAAD(aad, { plaintextLength: n });
    const body = decipher.update(ciphertext.subarray(0, n));
    decipher.final();
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  } catch {
    return undefined;
  }
}
