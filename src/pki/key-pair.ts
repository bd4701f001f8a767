/**
 * Asymmetric keys as node:crypto KeyObjects: generation, type detection, PEM/DER import and
 * export. The supported set is what BRSKI-AE deployments use for IDevIDs, LDevIDs and CMP
 * protection: ECDSA on P-256 (the default) and P-384, Ed25519, and RSA-2048.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as nodeGenerateKeyPair,
  generateKeyPairSync as nodeGenerateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { StackError } from '../core/errors.ts';
import { decodePem, encodePem, isPem, PEM_PRIVATE_KEY, PEM_PUBLIC_KEY } from './pem.ts';

export type KeyAlgorithm = 'P-256' | 'P-384' | 'Ed25519' | 'RSA-2048';

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['P-256', 'P-384', 'Ed25519', 'RSA-2048'];

export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const generateAsync = promisify(nodeGenerateKeyPair);

export function isKeyAlgorithm(s: string): s is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(s);
}

/** A fresh key pair (on libuv's thread pool, so RSA does not block the event loop). */
export async function generateKeyPair(algorithm: KeyAlgorithm = 'P-256'): Promise<KeyPair> {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  switch (algorithm) {
    case 'P-256':
    case 'P-384':
      pair = await generateAsync('ec', { namedCurve: algorithm });
      break;
    case 'Ed25519':
      pair = await generateAsync('ed25519', {});
      break;
    case 'RSA-2048':
      pair = await generateAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      break;
    default:
      throw unsupported(String(algorithm));
  }
  return { algorithm, ...pair };
}

/** The synchronous twin of generateKeyPair, for tests and small tools. */
export function generateKeyPairSync(algorithm: KeyAlgorithm = 'P-256'): KeyPair {
  switch (algorithm) {
    case 'P-256':
    case 'P-384':
      return { algorithm, ...nodeGenerateKeyPairSync('ec', { namedCurve: algorithm }) };
    case 'Ed25519':
      return { algorithm, ...nodeGenerateKeyPairSync('ed25519') };
    case 'RSA-2048':
      return { algorithm, ...nodeGenerateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 }) };
    default:
      throw unsupported(String(algorithm));
  }
}

/** Which of the supported algorithms a private or public key belongs to; ERR_PKI otherwise. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.type === 'secret') throw new StackError('ERR_PKI', 'a secret key is not an asymmetric key');
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details.namedCurve === 'prime256v1' || details.namedCurve === 'P-256') return 'P-256';
      if (details.namedCurve === 'secp384r1' || details.namedCurve === 'P-384') return 'P-384';
      throw unsupported(`EC curve ${details.namedCurve}`);
    case 'ed25519':
      return 'Ed25519';
    case 'rsa':
      if (details.modulusLength === 2048) return 'RSA-2048';
      throw unsupported(`RSA modulus of ${details.modulusLength} bits`);
    default:
      throw unsupported(`key type ${key.asymmetricKeyType}`);
  }
}

/** The public half of a private key; a public key is returned as it is. */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** PKCS#8 PEM ("PRIVATE KEY") of a private key. */
export function exportPrivateKeyPem(key: KeyObject): string {
  return encodePem(PEM_PRIVATE_KEY, exportPrivateKeyDer(key));
}

/** PKCS#8 DER of a private key. */
export function exportPrivateKeyDer(key: KeyObject): Uint8Array {
  if (key.type !== 'private') throw new StackError('ERR_INVALID_ARGUMENT', 'not a private key');
  return Uint8Array.from(key.export({ format: 'der', type: 'pkcs8' }));
}

/** SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) of a public key, or of a private key's public half. */
export function exportPublicKeyDer(key: KeyObject): Uint8Array {
  return Uint8Array.from(publicKeyOf(key).export({ format: 'der', type: 'spki' }));
}

/** SubjectPublicKeyInfo PEM ("PUBLIC KEY"). */
export function exportPublicKeyPem(key: KeyObject): string {
  return encodePem(PEM_PUBLIC_KEY, exportPublicKeyDer(key));
}

/** A private key from PKCS#8 (or SEC1 / PKCS#1) PEM, or from PKCS#8 DER. */
export function importPrivateKey(input: string | Uint8Array): KeyObject {
  try {
    const key = isPem(input)
      ? createPrivateKey({ key: typeof input === 'string' ? input : Buffer.from(input).toString('latin1'), format: 'pem' })
      : createPrivateKey({ key: Buffer.from(input as Uint8Array), format: 'der', type: 'pkcs8' });
    keyAlgorithmOf(key);
    return key;
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw new StackError('ERR_PKI', 'cannot read private key', {}, e);
  }
}

/** A public key from SubjectPublicKeyInfo PEM or DER. */
export function importPublicKey(input: string | Uint8Array): KeyObject {
  try {
    const key = isPem(input)
      ? createPublicKey({ key: decodePemText(input), format: 'pem' })
      : createPublicKey({ key: Buffer.from(input as Uint8Array), format: 'der', type: 'spki' });
    keyAlgorithmOf(key);
    return key;
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw new StackError('ERR_PKI', 'cannot read public key', {}, e);
  }
}

function decodePemText(input: string | Uint8Array): string {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  decodePem(text, PEM_PUBLIC_KEY); // throws a clear error when the block is missing
  return text;
}

/** True when both keys (private or public) have the same public half. */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return publicKeyOf(a).equals(publicKeyOf(b));
}

function unsupported(what: string): StackError {
  return new StackError('ERR_PKI', `unsupported key: ${what} (supported: ${KEY_ALGORITHMS.join(', ')})`);
}

