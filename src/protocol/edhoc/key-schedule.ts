/**
 * The EDHOC key schedule and transcript (RFC 9528 §4, §5.3.2, §5.4.2), as pure functions of the
 * selected suite:
 *
 *   TH_2 = H( G_Y, H(message_1) )          TH_3 = H( TH_2, PLAINTEXT_2, CRED_R )
 *   TH_4 = H( TH_3, PLAINTEXT_3, CRED_I )  (inputs are CBOR Sequences; TH_x and G_Y as bstr)
 *
 *   KEYSTREAM_2 = EDHOC_KDF( PRK_2e,   0, TH_2,      plaintext_length )
 *   SALT_3e2m   = EDHOC_KDF( PRK_2e,   1, TH_2,      hash_length )
 *   MAC_2       = EDHOC_KDF( PRK_3e2m, 2, context_2, mac_length_2 )
 *   K_3 / IV_3  = EDHOC_KDF( PRK_3e2m, 3 / 4, TH_3,  key_length / iv_length )
 *   SALT_4e3m   = EDHOC_KDF( PRK_3e2m, 5, TH_3,      hash_length )
 *   MAC_3       = EDHOC_KDF( PRK_4e3m, 6, context_3, mac_length_3 )
 *   PRK_out     = EDHOC_KDF( PRK_4e3m, 7, TH_4,      hash_length )
 *   K_4 / IV_4  = EDHOC_KDF( PRK_4e3m, 8 / 9, TH_4,  key_length / iv_length )
 *   PRK_exporter = EDHOC_KDF( PRK_out, 10, h'',     hash_length )
 *   EDHOC_KeyUpdate: PRK_out' = EDHOC_KDF( PRK_out, 11, context, hash_length )  (Appendix H)
 */
import type { KeyObject } from 'node:crypto';
import { encodeCbor } from '../../codec/cbor/cbor.ts';
import { createSignature, sigStructure1, verifySignature } from '../../codec/cose/sign1.ts';
import { concatBytes } from '../../core/bytes.ts';
import { isStackError } from '../../core/errors.ts';
import { EdhocError } from './edhoc-error.ts';
import { edhocHash, edhocKdf } from './kdf.ts';
import type { EdhocSuite } from './suites.ts';

export const KDF_KEYSTREAM_2 = 0;
export const KDF_SALT_3E2M = 1;
export const KDF_MAC_2 = 2;
export const KDF_K_3 = 3;
export const KDF_IV_3 = 4;
export const KDF_SALT_4E3M = 5;
export const KDF_MAC_3 = 6;
export const KDF_PRK_OUT = 7;
export const KDF_K_4 = 8;
export const KDF_IV_4 = 9;
export const KDF_PRK_EXPORTER = 10;
export const KDF_KEY_UPDATE = 11;

const EMPTY = new Uint8Array(0);

export function hashMessage1(suite: EdhocSuite, message1: Uint8Array): Uint8Array {
  return edhocHash(suite, message1);
}

export function th2(suite: EdhocSuite, gY: Uint8Array, hMessage1: Uint8Array): Uint8Array {
  return edhocHash(suite, concatBytes(encodeCbor(gY), encodeCbor(hMessage1)));
}

/** TH_3 from TH_2, PLAINTEXT_2, CRED_R; TH_4 likewise from TH_3, PLAINTEXT_3, CRED_I. */
export function nextTh(suite: EdhocSuite, th: Uint8Array, plaintext: Uint8Array, cred: Uint8Array): Uint8Array {
  return edhocHash(suite, concatBytes(encodeCbor(th), plaintext, cred));
}

/**
 * KEYSTREAM_2 of any length: one EDHOC_KDF call up to 255 · hash_length bytes, beyond that the
 * parts OKM(i) = EDHOC_KDF( PRK_2e, −i, TH_2, length(P(i)) ) of RFC 9528 Appendix G.
 */
export function keystream2(suite: EdhocSuite, prk2e: Uint8Array, th2Value: Uint8Array, length: number): Uint8Array {
  const max = 255 * suite.hashLength;
  if (length <= max) return edhocKdf(suite, prk2e, KDF_KEYSTREAM_2, th2Value, length);
  const parts: Uint8Array[] = [];
  for (let i = 0, left = length; left > 0; i++) {
    const n = Math.min(left, max);
    parts.push(edhocKdf(suite, prk2e, i === 0 ? KDF_KEYSTREAM_2 : -i, th2Value, n));
    left -= n;
  }
  return concatBytes(...parts);
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** context_2 = << C_R, ID_CRED_R, TH_2, CRED_R, ? EAD_2 >> (the bstr contents). */
export function context2(cREncoded: Uint8Array, idCredR: Uint8Array, th2Value: Uint8Array, credR: Uint8Array, ead2: Uint8Array): Uint8Array {
  return concatBytes(cREncoded, idCredR, encodeCbor(th2Value), credR, ead2);
}

/** context_3 = << ID_CRED_I, TH_3, CRED_I, ? EAD_3 >>. */
export function context3(idCredI: Uint8Array, th3Value: Uint8Array, credI: Uint8Array, ead3: Uint8Array): Uint8Array {
  return concatBytes(idCredI, encodeCbor(th3Value), credI, ead3);
}

/** mac_length_x: the suite's MAC length for static DH authentication, else hash_length. */
export function macLength(suite: EdhocSuite, staticDh: boolean): number {
  return staticDh ? suite.macLength : suite.hashLength;
}

/**
 * Signature_or_MAC_x for a signature key: the signature of COSE_Sign1 with protected = << ID_CRED_x >>,
 * external_aad = << TH_x, CRED_x, ? EAD_x >>, payload = MAC_x.
 */
export function signMac(
  suite: EdhocSuite,
  privateKey: KeyObject,
  idCred: Uint8Array,
  th: Uint8Array,
  cred: Uint8Array,
  ead: Uint8Array,
  mac: Uint8Array,
): Uint8Array {
  const tbs = sigStructure1(idCred, concatBytes(encodeCbor(th), cred, ead), mac);
  try {
    return createSignature(suite.signatureAlg, privateKey, tbs);
  } catch (e) {
    if (isStackError(e, 'ERR_COSE')) throw new EdhocError(`cannot sign with this key in cipher suite ${suite.id}`, { cause: e });
    throw e;
  }
}

/** Verifies a Signature_or_MAC_x made with signMac; false when it does not verify. */
export function verifyMacSignature(
  suite: EdhocSuite,
  publicKey: KeyObject,
  idCred: Uint8Array,
  th: Uint8Array,
  cred: Uint8Array,
  ead: Uint8Array,
  mac: Uint8Array,
  signature: Uint8Array,
): boolean {
  const tbs = sigStructure1(idCred, concatBytes(encodeCbor(th), cred, ead), mac);
  try {
    return verifySignature(suite.signatureAlg, publicKey, tbs, signature);
  } catch (e) {
    if (isStackError(e, 'ERR_COSE')) {
      throw EdhocError.unspecified(`the peer's credential key does not fit cipher suite ${suite.id}`, 'credential does not fit the cipher suite', {}, e);
    }
    throw e;
  }
}

export function prkExporter(suite: EdhocSuite, prkOut: Uint8Array): Uint8Array {
  return edhocKdf(suite, prkOut, KDF_PRK_EXPORTER, EMPTY, suite.hashLength);
}

/** Constant-time comparison of equal-length byte strings (false when lengths differ). */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
