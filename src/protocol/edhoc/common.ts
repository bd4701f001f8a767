/** Helpers the Initiator and Responder state machines share. */
import type { KeyObject } from 'node:crypto';
import { aeadOpen, aeadSeal } from '../../codec/cose/aead.ts';
import { COSE_ALG_EDDSA } from '../../codec/cose/algorithms.ts';
import { encStructure0 } from '../../codec/cose/encrypt0.ts';
import { bytesEqual, copyBytes } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import type { Random } from '../../core/random.ts';
import { EdhocError } from './edhoc-error.ts';
import { isDhKeyFor } from './ecdh.ts';
import { type ConnectionId } from './identifiers.ts';
import type { EdhocSuite } from './suites.ts';

const EMPTY = new Uint8Array(0);

/** Whether a key may authenticate in this role: a static DH key on the suite's curve, or a key for the suite's signature algorithm. */
export function authKeyFits(suite: EdhocSuite, staticDh: boolean, key: KeyObject): boolean {
  if (staticDh) return isDhKeyFor(suite.curve, key);
  if (suite.signatureAlg === COSE_ALG_EDDSA) return key.asymmetricKeyType === 'ed25519';
  const c = key.asymmetricKeyDetails?.namedCurve;
  return key.asymmetricKeyType === 'ec' && (c === 'prime256v1' || c === 'P-256');
}

export function requireOwnKeyFits(suite: EdhocSuite, staticDh: boolean, key: KeyObject, who: string): void {
  if (key.type !== 'private') throw new StackError('ERR_INVALID_ARGUMENT', `${who}: a private authentication key is needed`);
  if (!authKeyFits(suite, staticDh, key)) {
    throw new StackError('ERR_INVALID_ARGUMENT', `${who}: a ${key.asymmetricKeyType} key cannot authenticate by ${staticDh ? 'static DH' : 'signature'} in cipher suite ${suite.id}`);
  }
}

export function requirePeerKeyFits(suite: EdhocSuite, staticDh: boolean, key: KeyObject, what: string): void {
  if (!authKeyFits(suite, staticDh, key)) {
    throw EdhocError.unspecified(
      `${what}: a ${key.asymmetricKeyType} key cannot authenticate by ${staticDh ? 'static DH' : 'signature'} in cipher suite ${suite.id}`,
      'credential does not fit the method and cipher suite',
    );
  }
}

/**
 * Signature_or_MAC_x has a fixed length: the suite's MAC length for static DH, else 64 bytes
 * (ES256 r‖s on P-256 and Ed25519 signatures). RFC 9529 §4.2.5 shows a MAC that is too short.
 */
export function checkSignatureOrMacLength(suite: EdhocSuite, staticDh: boolean, value: Uint8Array, what: string): void {
  const expected = staticDh ? suite.macLength : 64;
  if (value.length !== expected) throw EdhocError.malformed(what, `${value.length} bytes, ${expected} expected`);
}

/** A random one-byte connection identifier with a one-byte encoding, different from `avoid`. */
export function randomConnectionId(random: Random, avoid?: Uint8Array): ConnectionId {
  for (;;) {
    const i = random.int(48);
    const id = Uint8Array.of(i < 24 ? i : 0x20 + (i - 24));
    if (!avoid || !bytesEqual(id, avoid)) return id as ConnectionId;
  }
}

/** CIPHERTEXT_3 / CIPHERTEXT_4: COSE_Encrypt0 with protected h'' and external_aad TH_x. */
export function encStructureFor(th: Uint8Array): Uint8Array {
  return encStructure0(EMPTY, th);
}

export function sealWithTh(suite: EdhocSuite, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, th: Uint8Array): Uint8Array {
  return aeadSeal(suite.aead, key, iv, plaintext, encStructureFor(th));
}

export function openWithTh(suite: EdhocSuite, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, th: Uint8Array, what: string): Uint8Array {
  try {
    return aeadOpen(suite.aead, key, iv, ciphertext, encStructureFor(th));
  } catch (e) {
    throw EdhocError.unspecified(`${what} does not decrypt`, `${what} authentication failed`, {}, e);
  }
}

export function copy(b: Uint8Array): Uint8Array {
  return copyBytes(b);
}
