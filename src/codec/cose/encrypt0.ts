/**
 * COSE_Encrypt0 (RFC 9052 §5.2, §5.3) with the AEADs of algorithms.ts.
 *
 *   COSE_Encrypt0 = [ protected : empty_or_serialized_map, unprotected : header_map,
 *                     ciphertext : bstr / nil ]                    ; optionally tag 16
 *   Enc_structure = [ "Encrypt0", protected : empty_or_serialized_map, external_aad : bstr ]
 *
 * The nonce is passed in whole (EDHOC IV_3, OSCORE nonce); when it is not, the 'IV' header
 * parameter (label 5) is used.
 */
import { StackError, hexPrefix } from '../../core/errors.ts';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../cbor/cbor.ts';
import { aeadOpen, aeadSeal } from './aead.ts';
import { isAeadAlgorithm } from './algorithms.ts';
import { COSE_HEADER_ALG, COSE_HEADER_IV, type HeaderMap } from './header-parameters.ts';
import { asHeaderMap, decodeProtectedHeader, encodeProtectedHeader, headerParameter } from './headers.ts';

/** RFC 9052 §5.2 CBOR tag of COSE_Encrypt0. */
export const COSE_ENCRYPT0_TAG = 16;

const EMPTY = new Uint8Array(0);

/** The AEAD associated data: the CBOR encoding of Enc_structure for "Encrypt0" (RFC 9052 §5.3). */
export function encStructure0(protectedBytes: Uint8Array, externalAad: Uint8Array): Uint8Array {
  return encodeCbor(['Encrypt0', protectedBytes, externalAad]);
}

export interface Encrypt0 {
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: HeaderMap;
  readonly unprotectedHeader: HeaderMap;
  /** ciphertext ‖ tag; null when detached. */
  readonly ciphertext: Uint8Array | null;
}

function resolveAlg(p: HeaderMap, u: HeaderMap, given: number | undefined): number {
  const h = headerParameter(p, u, COSE_HEADER_ALG);
  if (h !== undefined && given !== undefined && h !== given) throw new StackError('ERR_COSE', `COSE_Encrypt0 alg ${String(h)} is not the expected ${given}`);
  const alg = given ?? h;
  if (!isAeadAlgorithm(alg)) throw new StackError('ERR_COSE', `unsupported or missing COSE AEAD algorithm ${String(alg)}`);
  return alg;
}

function resolveNonce(p: HeaderMap, u: HeaderMap, given: Uint8Array | undefined): Uint8Array {
  if (given) return given;
  const iv = headerParameter(p, u, COSE_HEADER_IV);
  if (!(iv instanceof Uint8Array)) throw new StackError('ERR_COSE', 'no nonce given and no IV header parameter');
  return iv;
}

export interface EncryptEncrypt0Options {
  readonly protectedHeader?: HeaderMap;
  readonly unprotectedHeader?: HeaderMap;
  readonly plaintext: Uint8Array;
  readonly key: Uint8Array;
  /** The full AEAD nonce; default: the 'IV' header parameter. */
  readonly nonce?: Uint8Array;
  /** Default: the header 'alg'. */
  readonly alg?: number;
  readonly externalAad?: Uint8Array;
  readonly tagged?: boolean;
}

/** The ciphertext ‖ tag alone (what EDHOC's CIPHERTEXT_3 / CIPHERTEXT_4 and OSCORE carry). */
export function encrypt0Ciphertext(opts: EncryptEncrypt0Options): Uint8Array {
  const p = opts.protectedHeader ?? new Map();
  const u = opts.unprotectedHeader ?? new Map();
  const alg = resolveAlg(p, u, opts.alg);
  const aad = encStructure0(encodeProtectedHeader(p), opts.externalAad ?? EMPTY);
  return aeadSeal(alg, opts.key, resolveNonce(p, u, opts.nonce), opts.plaintext, aad);
}

/** Builds and encrypts a COSE_Encrypt0; returns its CBOR encoding. */
export function encryptEncrypt0(opts: EncryptEncrypt0Options): Uint8Array {
  const protectedHeader = opts.protectedHeader ?? new Map();
  const ciphertext = encrypt0Ciphertext(opts);
  return encodeEncrypt0(
    { protectedBytes: encodeProtectedHeader(protectedHeader), protectedHeader, unprotectedHeader: opts.unprotectedHeader ?? new Map(), ciphertext },
    opts.tagged ?? false,
  );
}

export function encodeEncrypt0(e: Encrypt0, tagged = false): Uint8Array {
  const arr: CborValue[] = [e.protectedBytes, e.unprotectedHeader, e.ciphertext];
  return encodeCbor(tagged ? new CborTag(COSE_ENCRYPT0_TAG, arr) : arr);
}

export function decodeEncrypt0(bytes: Uint8Array, requireTag = false): Encrypt0 {
  let v: CborValue;
  try {
    v = decodeCbor(bytes);
  } catch (e) {
    throw new StackError('ERR_COSE', 'COSE_Encrypt0 is not valid CBOR', { inputHex: hexPrefix(bytes) }, e);
  }
  if (v instanceof CborTag) {
    if (v.tag !== COSE_ENCRYPT0_TAG) throw new StackError('ERR_COSE', `expected tag 16 (COSE_Encrypt0), found tag ${v.tag}`, { inputHex: hexPrefix(bytes) });
    v = v.value;
  } else if (requireTag) {
    throw new StackError('ERR_COSE', 'COSE_Encrypt0 lacks tag 16', { inputHex: hexPrefix(bytes) });
  }
  if (!Array.isArray(v) || v.length !== 3) throw new StackError('ERR_COSE', 'COSE_Encrypt0 is not an array of 3', { inputHex: hexPrefix(bytes) });
  const [p, u, c] = v;
  if (!(p instanceof Uint8Array)) throw new StackError('ERR_COSE', 'COSE_Encrypt0 protected header is not a bstr');
  if (!(c instanceof Uint8Array) && c !== null) throw new StackError('ERR_COSE', 'COSE_Encrypt0 ciphertext is neither bstr nor nil');
  return { protectedBytes: p, protectedHeader: decodeProtectedHeader(p), unprotectedHeader: asHeaderMap(u!, 'COSE_Encrypt0 unprotected header'), ciphertext: c };
}

export interface DecryptEncrypt0Options {
  readonly key: Uint8Array;
  readonly nonce?: Uint8Array;
  readonly alg?: number;
  readonly externalAad?: Uint8Array;
  /** The ciphertext, when the structure carries nil. */
  readonly detachedCiphertext?: Uint8Array;
}

/** Decodes (if needed), verifies and decrypts; returns the plaintext or throws ERR_COSE. */
export function decryptEncrypt0(input: Uint8Array | Encrypt0, opts: DecryptEncrypt0Options): Uint8Array {
  const e = input instanceof Uint8Array ? decodeEncrypt0(input) : input;
  const alg = resolveAlg(e.protectedHeader, e.unprotectedHeader, opts.alg);
  const ciphertext = e.ciphertext ?? opts.detachedCiphertext;
  if (!ciphertext) throw new StackError('ERR_COSE', 'COSE_Encrypt0 ciphertext is detached and none was supplied');
  const aad = encStructure0(e.protectedBytes, opts.externalAad ?? EMPTY);
  return aeadOpen(alg, opts.key, resolveNonce(e.protectedHeader, e.unprotectedHeader, opts.nonce), ciphertext, aad);
}
