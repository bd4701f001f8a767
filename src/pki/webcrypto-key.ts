/**
 * Bridge from node:crypto KeyObjects to WebCrypto CryptoKeys, which @peculiar/x509 signs with.
 * The rest of the library keeps KeyObjects; only certificate building crosses this bridge.
 */
import type { KeyObject } from 'node:crypto';
import { keyAlgorithmOf, type KeyAlgorithm } from './key-pair.ts';
import { subtle } from './x509-provider.ts';

type WebCryptoKey = Awaited<ReturnType<typeof subtle.importKey>>;

/** WebCrypto import parameters for each key algorithm (RSA keys are bound to PKCS#1 v1.5 SHA-256). */
export function webCryptoImportParams(algorithm: KeyAlgorithm): { name: string; namedCurve?: string; hash?: string } {
  switch (algorithm) {
    case 'P-256':
    case 'P-384':
      return { name: 'ECDSA', namedCurve: algorithm };
    case 'Ed25519':
      return { name: 'Ed25519' };
    case 'RSA-2048':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
}

/** WebCrypto signing parameters matching signatureAlgorithmFor() (hash per curve for ECDSA). */
export function webCryptoSignParams(algorithm: KeyAlgorithm): { name: string; hash?: string } {
  switch (algorithm) {
    case 'P-256':
      return { name: 'ECDSA', hash: 'SHA-256' };
    case 'P-384':
      return { name: 'ECDSA', hash: 'SHA-384' };
    case 'Ed25519':
      return { name: 'Ed25519' };
    case 'RSA-2048':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
}

const cache = new WeakMap<KeyObject, Promise<WebCryptoKey>>();

/** A non-extractable WebCrypto signing key for a private KeyObject (memoised per KeyObject). */
export function toWebCryptoSigningKey(privateKey: KeyObject): Promise<WebCryptoKey> {
  let key = cache.get(privateKey);
  if (!key) {
    const params = webCryptoImportParams(keyAlgorithmOf(privateKey));
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    key = subtle.importKey('pkcs8', pkcs8, params, false, ['sign']);
    cache.set(privateKey, key);
  }
  return key;
}
