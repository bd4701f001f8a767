/**
 * The AEAD primitive behind COSE_Encrypt0 (RFC 9053 §4): ciphertext = encrypted plaintext ‖ tag.
 * AES-CCM through node:crypto needs the plaintext length before the AAD, which is given here.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { StackError } from '../../core/errors.ts';
import { aeadAlgorithm, type AeadAlgorithm } from './algorithms.ts';

function resolve(alg: number | AeadAlgorithm): AeadAlgorithm {
  return typeof alg === 'number' ? aeadAlgorithm(alg) : alg;
}

function checkLengths(a: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== a.keyLength) {
    throw new StackError('ERR_COSE', `${a.name} key must be ${a.keyLength} bytes, got ${key.length}`, { alg: a.id });
  }
  if (nonce.length !== a.nonceLength) {
    throw new StackError('ERR_COSE', `${a.name} nonce must be ${a.nonceLength} bytes, got ${nonce.length}`, { alg: a.id });
  }
}

/** Encrypts and authenticates; returns ciphertext ‖ tag. */
export function aeadSeal(alg: number | AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const a = resolve(alg);
  checkLengths(a, key, nonce);
  try {
    if (a.cipher === 'aes-128-ccm') {
      const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: a.tagLength });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
    }
    const c = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: a.tagLength });
    c.setAAD(aad);
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
  } catch (e) {
    throw new StackError('ERR_COSE', `${a.name} encryption failed`, { alg: a.id }, e);
  }
}

/** Verifies and decrypts ciphertext ‖ tag; ERR_COSE when the tag does not verify. */
export function aeadOpen(alg: number | AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  const a = resolve(alg);
  checkLengths(a, key, nonce);
  if (ciphertext.length < a.tagLength) {
    throw new StackError('ERR_COSE', `${a.name} ciphertext of ${ciphertext.length} bytes is shorter than the ${a.tagLength}-byte tag`, {
      alg: a.id,
    });
  }
  const body = ciphertext.subarray(0, ciphertext.length - a.tagLength);
  const tag = ciphertext.subarray(ciphertext.length - a.tagLength);
  try {
    if (a.cipher === 'aes-128-ccm') {
      const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: a.tagLength });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: body.length });
      const out = d.update(body);
      d.final();
      return new Uint8Array(out);
    }
    const d = createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: a.tagLength });
    d.setAuthTag(tag);
    d.setAAD(aad);
    const out = Buffer.concat([d.update(body), d.final()]);
    return new Uint8Array(out);
  } catch (e) {
    throw new StackError('ERR_COSE', `${a.name} authentication failed`, { alg: a.id }, e);
  }
}
