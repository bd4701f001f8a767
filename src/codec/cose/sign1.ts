/**
 * COSE_Sign1 (RFC 9052 §4.2) with ES256 (raw r‖s, 64 bytes; RFC 9053 §2.1) and EdDSA on Ed25519
 * (RFC 9053 §2.2).
 *
 *   COSE_Sign1 = [ protected : empty_or_serialized_map, unprotected : header_map,
 *                  payload : bstr / nil, signature : bstr ]        ; optionally tag 18
 *   Sig_structure = [ "Signature1", body_protected : bstr, external_aad : bstr, payload : bstr ]
 */
import { sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { StackError, hexPrefix } from '../../core/errors.ts';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../cbor/cbor.ts';
import { COSE_ALG_EDDSA, COSE_ALG_ES256, isSignatureAlgorithm, type CoseSignatureAlgorithm } from './algorithms.ts';
import { COSE_HEADER_ALG, type HeaderMap } from './header-parameters.ts';
import { asHeaderMap, decodeProtectedHeader, encodeProtectedHeader, headerParameter } from './headers.ts';
import { curveOf } from './key.ts';

/** RFC 9052 §4.2 CBOR tag of COSE_Sign1. */
export const COSE_SIGN1_TAG = 18;

const EMPTY = new Uint8Array(0);

/** The ToBeSigned bytes: the CBOR encoding of Sig_structure for "Signature1" (RFC 9052 §4.4). */
export function sigStructure1(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, externalAad, payload]);
}

/** The signature algorithm a key is used with: ES256 for P-256, EdDSA for Ed25519. */
export function signatureAlgorithmForKey(key: KeyObject): CoseSignatureAlgorithm {
  const curve = curveOf(key);
  if (curve === 'P-256') return COSE_ALG_ES256;
  if (curve === 'Ed25519') return COSE_ALG_EDDSA;
  throw new StackError('ERR_COSE', `a ${curve} key cannot sign`);
}

function checkKeyFits(alg: CoseSignatureAlgorithm, key: KeyObject): void {
  const fits = signatureAlgorithmForKey(key);
  if (fits !== alg) throw new StackError('ERR_COSE', `COSE algorithm ${alg} does not fit a ${curveOf(key)} key`, { alg });
}

/** A raw COSE signature over ToBeSigned bytes. */
export function createSignature(alg: CoseSignatureAlgorithm, privateKey: KeyObject, toBeSigned: Uint8Array): Uint8Array {
  if (privateKey.type !== 'private') throw new StackError('ERR_COSE', 'signing needs a private key');
  checkKeyFits(alg, privateKey);
  try {
    if (alg === COSE_ALG_ES256) return new Uint8Array(nodeSign('sha256', toBeSigned, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    return new Uint8Array(nodeSign(null, toBeSigned, privateKey));
  } catch (e) {
    throw new StackError('ERR_COSE', `signing with COSE algorithm ${alg} failed`, { alg }, e);
  }
}

/** True when `signature` is valid; a malformed signature is simply invalid. */
export function verifySignature(alg: CoseSignatureAlgorithm, publicKey: KeyObject, toBeSigned: Uint8Array, signature: Uint8Array): boolean {
  checkKeyFits(alg, publicKey);
  // ES256 on P-256 (r‖s) and Ed25519 signatures are both 64 bytes.
  if (signature.length !== 64) return false;
  try {
    if (alg === COSE_ALG_ES256) return nodeVerify('sha256', toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    return nodeVerify(null, toBeSigned, publicKey, signature);
  } catch {
    return false;
  }
}

export interface Sign1 {
  /** The protected header exactly as carried (the bstr contents). */
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: HeaderMap;
  readonly unprotectedHeader: HeaderMap;
  /** null when the payload is detached. */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
}

export interface SignSign1Options {
  readonly protectedHeader?: HeaderMap;
  readonly unprotectedHeader?: HeaderMap;
  readonly payload: Uint8Array;
  readonly privateKey: KeyObject;
  /** Default: the protected 'alg', else the algorithm that fits the key. */
  readonly alg?: CoseSignatureAlgorithm;
  readonly externalAad?: Uint8Array;
  /** Leave the payload out of the structure (nil), to be supplied to the verifier separately. */
  readonly detached?: boolean;
  /** Wrap in tag 18 (default false). */
  readonly tagged?: boolean;
}

/** Builds and signs a COSE_Sign1; returns its CBOR encoding. */
export function signSign1(opts: SignSign1Options): Uint8Array {
  const protectedHeader = opts.protectedHeader ?? new Map();
  const headerAlg = protectedHeader.get(COSE_HEADER_ALG) ?? opts.unprotectedHeader?.get(COSE_HEADER_ALG);
  let alg = opts.alg;
  if (alg === undefined && headerAlg !== undefined) {
    if (!isSignatureAlgorithm(headerAlg)) throw new StackError('ERR_COSE', `unsupported COSE signature algorithm ${String(headerAlg)}`);
    alg = headerAlg;
  }
  alg ??= signatureAlgorithmForKey(opts.privateKey);
  if (headerAlg !== undefined && headerAlg !== alg) throw new StackError('ERR_COSE', `alg ${alg} disagrees with the header alg ${String(headerAlg)}`);
  const protectedBytes = encodeProtectedHeader(protectedHeader);
  const signature = createSignature(alg, opts.privateKey, sigStructure1(protectedBytes, opts.externalAad ?? EMPTY, opts.payload));
  return encodeSign1(
    { protectedBytes, protectedHeader, unprotectedHeader: opts.unprotectedHeader ?? new Map(), payload: opts.detached ? null : opts.payload, signature },
    opts.tagged ?? false,
  );
}

export function encodeSign1(s: Sign1, tagged = false): Uint8Array {
  const arr: CborValue[] = [s.protectedBytes, s.unprotectedHeader, s.payload, s.signature];
  return encodeCbor(tagged ? new CborTag(COSE_SIGN1_TAG, arr) : arr);
}

/** Decodes a COSE_Sign1, tagged (18) or not; `requireTag` rejects the untagged form. */
export function decodeSign1(bytes: Uint8Array, requireTag = false): Sign1 {
  let v: CborValue;
  try {
    v = decodeCbor(bytes);
  } catch (e) {
    throw new StackError('ERR_COSE', 'COSE_Sign1 is not valid CBOR', { inputHex: hexPrefix(bytes) }, e);
  }
  if (v instanceof CborTag) {
    if (v.tag !== COSE_SIGN1_TAG) throw new StackError('ERR_COSE', `expected tag 18 (COSE_Sign1), found tag ${v.tag}`, { inputHex: hexPrefix(bytes) });
    v = v.value;
  } else if (requireTag) {
    throw new StackError('ERR_COSE', 'COSE_Sign1 lacks tag 18', { inputHex: hexPrefix(bytes) });
  }
  if (!Array.isArray(v) || v.length !== 4) throw new StackError('ERR_COSE', 'COSE_Sign1 is not an array of 4', { inputHex: hexPrefix(bytes) });
  const [p, u, payload, signature] = v;
  if (!(p instanceof Uint8Array)) throw new StackError('ERR_COSE', 'COSE_Sign1 protected header is not a bstr');
  if (!(payload instanceof Uint8Array) && payload !== null) throw new StackError('ERR_COSE', 'COSE_Sign1 payload is neither bstr nor nil');
  if (!(signature instanceof Uint8Array)) throw new StackError('ERR_COSE', 'COSE_Sign1 signature is not a bstr');
  return { protectedBytes: p, protectedHeader: decodeProtectedHeader(p), unprotectedHeader: asHeaderMap(u!, 'COSE_Sign1 unprotected header'), payload, signature };
}

export interface VerifySign1Options {
  readonly externalAad?: Uint8Array;
  /** The payload, when the structure carries nil. */
  readonly detachedPayload?: Uint8Array;
  /** The algorithm the verifier expects; the header 'alg' (if any) must agree. */
  readonly alg?: CoseSignatureAlgorithm;
}

/** Decodes (if needed) and verifies a COSE_Sign1; returns it, or throws ERR_COSE. */
export function verifySign1(input: Uint8Array | Sign1, publicKey: KeyObject, opts: VerifySign1Options = {}): Sign1 {
  const s = input instanceof Uint8Array ? decodeSign1(input) : input;
  const headerAlg = headerParameter(s.protectedHeader, s.unprotectedHeader, COSE_HEADER_ALG);
  if (headerAlg !== undefined && !isSignatureAlgorithm(headerAlg)) throw new StackError('ERR_COSE', `unsupported COSE signature algorithm ${String(headerAlg)}`);
  if (opts.alg !== undefined && headerAlg !== undefined && headerAlg !== opts.alg) {
    throw new StackError('ERR_COSE', `COSE_Sign1 alg ${String(headerAlg)} is not the expected ${opts.alg}`);
  }
  const alg = opts.alg ?? (headerAlg as CoseSignatureAlgorithm | undefined) ?? signatureAlgorithmForKey(publicKey);
  const payload = s.payload ?? opts.detachedPayload;
  if (!payload) throw new StackError('ERR_COSE', 'COSE_Sign1 payload is detached and none was supplied');
  if (s.payload && opts.detachedPayload) throw new StackError('ERR_COSE', 'COSE_Sign1 carries a payload, and a detached one was supplied too');
  if (!verifySignature(alg, publicKey, sigStructure1(s.protectedBytes, opts.externalAad ?? EMPTY, payload), s.signature)) {
    throw new StackError('ERR_COSE', 'COSE_Sign1 signature does not verify', { alg });
  }
  return s;
}
