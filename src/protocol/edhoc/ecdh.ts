/**
 * Ephemeral keys and ECDH for EDHOC (RFC 9528 §3.7, §9.2, Appendix B). G_X and G_Y are the
 * x-coordinate alone (P-256) or the X25519 public key. Ephemeral private keys are drawn from the
 * injected Random, so tests can replay the RFC 9529 traces; the shared secret is the
 * x-coordinate (P-256) or the X25519 output, which must not be all zeros (RFC 7748 §6.1).
 */
import { diffieHellman, type KeyObject } from 'node:crypto';
import { isValidP256Scalar, privateKeyFromRaw, publicKeyFromRaw, rawPublicKey } from '../../codec/cose/key.ts';
import { StackError } from '../../core/errors.ts';
import type { Random } from '../../core/random.ts';
import { EdhocError } from './edhoc-error.ts';
import type { EdhocCurve } from './suites.ts';

export interface EphemeralKey {
  readonly privateKey: KeyObject;
  /** G_X or G_Y: the 32-byte x-coordinate / X25519 public key. */
  readonly publicKey: Uint8Array;
}

const MAX_DRAWS = 16;

/** A fresh ephemeral key pair whose private key comes from `random.bytes(32)`. */
export function generateEphemeralKey(curve: EdhocCurve, random: Random): EphemeralKey {
  for (let i = 0; i < MAX_DRAWS; i++) {
    const d = random.bytes(32);
    if (curve === 'P-256' && !isValidP256Scalar(d)) continue;
    const privateKey = privateKeyFromRaw(curve, d);
    return { privateKey, publicKey: rawPublicKey(privateKey).x };
  }
  throw new StackError('ERR_EDHOC', `no valid ${curve} private key in ${MAX_DRAWS} draws from the random source`);
}

/**
 * The peer's public key from its compact form (validated: the point must be on the curve).
 * Throws EdhocError (reply: error code 1) when it is not a valid key.
 */
export function peerPublicKey(curve: EdhocCurve, raw: Uint8Array, what: string): KeyObject {
  if (raw.length !== 32) throw EdhocError.malformed(what, `${curve} public key must be 32 bytes, got ${raw.length}`);
  try {
    return publicKeyFromRaw(curve, raw);
  } catch (e) {
    throw EdhocError.unspecified(`${what} is not a valid ${curve} public key`, `invalid ${what}`, {}, e);
  }
}

function keyCurve(key: KeyObject): EdhocCurve | undefined {
  if (key.asymmetricKeyType === 'x25519') return 'X25519';
  if (key.asymmetricKeyType === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    if (c === 'prime256v1' || c === 'P-256') return 'P-256';
  }
  return undefined;
}

/** True when a key can be used for ECDH on this curve. */
export function isDhKeyFor(curve: EdhocCurve, key: KeyObject): boolean {
  return keyCurve(key) === curve;
}

/** The ECDH shared secret of a private key and a peer public key (KeyObject or compact bytes). */
export function ecdh(curve: EdhocCurve, privateKey: KeyObject, peer: KeyObject | Uint8Array, what: string): Uint8Array {
  const publicKey = peer instanceof Uint8Array ? peerPublicKey(curve, peer, what) : peer;
  if (keyCurve(privateKey) !== curve || keyCurve(publicKey) !== curve) {
    throw EdhocError.unspecified(`${what}: keys are not on ${curve}`, 'authentication key does not fit the cipher suite');
  }
  let secret: Uint8Array;
  try {
    secret = new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (e) {
    throw EdhocError.unspecified(`${what}: ECDH failed`, `invalid public key in ${what}`, {}, e);
  }
  if (secret.every((b) => b === 0)) throw EdhocError.unspecified(`${what}: ECDH output is all zeros`, `invalid public key in ${what}`);
  return secret;
}
