/**
 * COSE_Key (RFC 9052 §7, RFC 9053 §7) for the curves used here, to and from node:crypto
 * KeyObjects:
 *
 *   EC2 (kty 2), crv P-256 (1):  x, y (32 bytes each), d
 *   OKP (kty 1), crv X25519 (4) or Ed25519 (6):  x (32 bytes), d
 *
 * Also raw-key helpers: a private key from its raw scalar or seed, a public key from raw x (and y),
 * with P-256 points given by x alone decompressed (RFC 9528 Appendix B compact representation).
 */
import { createECDH, createPrivateKey, createPublicKey, ECDH, type JsonWebKey, type KeyObject } from 'node:crypto';
import { StackError } from '../../core/errors.ts';
import type { CborValue } from '../cbor/cbor.ts';

/** RFC 9052 §7.1 common parameters. */
export const COSE_KEY_KTY = 1;
export const COSE_KEY_KID = 2;
export const COSE_KEY_ALG = 3;
export const COSE_KEY_OPS = 4;
/** RFC 9053 §7.1 / §7.2 key-type parameters (EC2 and OKP share crv, x, d). */
export const COSE_KEY_CRV = -1;
export const COSE_KEY_X = -2;
export const COSE_KEY_Y = -3;
export const COSE_KEY_D = -4;

/** RFC 9053 §7 key types. */
export const COSE_KTY_OKP = 1;
export const COSE_KTY_EC2 = 2;
/** RFC 9053 §7.1 curves. */
export const COSE_CRV_P256 = 1;
export const COSE_CRV_X25519 = 4;
export const COSE_CRV_ED25519 = 6;

export type CoseCurve = 'P-256' | 'X25519' | 'Ed25519';

export type CoseKey = Map<CborValue, CborValue>;

const CRV_IDS: Record<CoseCurve, number> = { 'P-256': COSE_CRV_P256, X25519: COSE_CRV_X25519, Ed25519: COSE_CRV_ED25519 };

// PKCS#8 prefixes for a raw 32-byte X25519 / Ed25519 private key (RFC 8410 §7).
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Order n of the P-256 group (SEC 2 §2.4.2). */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

function unb64u(s: string | undefined, what: string): Uint8Array {
  if (typeof s !== 'string') throw new StackError('ERR_COSE', `key lacks ${what}`);
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function need32(b: Uint8Array, what: string): void {
  if (b.length !== 32) throw new StackError('ERR_COSE', `${what} must be 32 bytes, got ${b.length}`);
}

/** Which of the supported curves a key (private or public) is on; ERR_COSE otherwise. */
export function curveOf(key: KeyObject): CoseCurve {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const c = key.asymmetricKeyDetails?.namedCurve;
      if (c === 'prime256v1' || c === 'P-256') return 'P-256';
      throw new StackError('ERR_COSE', `unsupported EC curve ${c}`);
    }
    case 'x25519':
      return 'X25519';
    case 'ed25519':
      return 'Ed25519';
    default:
      throw new StackError('ERR_COSE', `unsupported key type ${key.asymmetricKeyType ?? key.type}`);
  }
}

/** True when d is a valid P-256 private scalar (1 ≤ d < n). */
export function isValidP256Scalar(d: Uint8Array): boolean {
  if (d.length !== 32) return false;
  const v = BigInt(`0x${Buffer.from(d).toString('hex')}`);
  return v > 0n && v < P256_N;
}

/** A private key from its raw form: the P-256 scalar d, or the 32-byte X25519 / Ed25519 private key. */
export function privateKeyFromRaw(curve: CoseCurve, d: Uint8Array): KeyObject {
  need32(d, `${curve} private key`);
  try {
    if (curve === 'P-256') {
      if (!isValidP256Scalar(d)) throw new StackError('ERR_COSE', 'P-256 private scalar out of range');
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(d);
      const pub = ecdh.getPublicKey();
      const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)), d: b64u(d) };
      return createPrivateKey({ key: jwk, format: 'jwk' });
    }
    const prefix = curve === 'X25519' ? PKCS8_X25519 : PKCS8_ED25519;
    return createPrivateKey({ key: Buffer.concat([prefix, d]), format: 'der', type: 'pkcs8' });
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw new StackError('ERR_COSE', `invalid ${curve} private key`, {}, e);
  }
}

/**
 * A public key from raw coordinates. For P-256, y may be omitted: the point is then
 * decompressed with the even y (RFC 9528 Appendix B; either root gives the same ECDH x-coordinate).
 * Points not on the curve, or with coordinates out of range, fail with ERR_COSE.
 */
export function publicKeyFromRaw(curve: CoseCurve, x: Uint8Array, y?: Uint8Array): KeyObject {
  need32(x, `${curve} x-coordinate`);
  try {
    if (curve === 'P-256') {
      let point: Buffer;
      if (y) {
        need32(y, 'P-256 y-coordinate');
        point = Buffer.concat([Buffer.from([4]), x, y]);
      } else {
        point = Buffer.concat([Buffer.from([2]), x]);
      }
      // convertKey decodes (and so validates) the point.
      const full = ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
      const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: b64u(full.subarray(1, 33)), y: b64u(full.subarray(33, 65)) };
      return createPublicKey({ key: jwk, format: 'jwk' });
    }
    return createPublicKey({ key: { kty: 'OKP', crv: curve, x: b64u(x) }, format: 'jwk' });
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw new StackError('ERR_COSE', `invalid ${curve} public key`, {}, e);
  }
}

export interface RawPublicKey {
  readonly curve: CoseCurve;
  readonly x: Uint8Array;
  /** P-256 only. */
  readonly y?: Uint8Array;
}

/** The raw coordinates of a key's public half. */
export function rawPublicKey(key: KeyObject): RawPublicKey {
  const curve = curveOf(key);
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  const x = unb64u(jwk.x, 'x');
  if (curve === 'P-256') return { curve, x, y: unb64u(jwk.y, 'y') };
  return { curve, x };
}

/** The raw private key: the P-256 scalar d or the 32-byte OKP private key. */
export function rawPrivateKey(key: KeyObject): Uint8Array {
  if (key.type !== 'private') throw new StackError('ERR_COSE', 'not a private key');
  curveOf(key);
  return unb64u(key.export({ format: 'jwk' }).d, 'd');
}

export interface CoseKeyOptions {
  readonly kid?: Uint8Array;
  readonly alg?: number;
  /** Include the private part 'd' (default false). */
  readonly includePrivate?: boolean;
}

/** A COSE_Key map for a key; labels are emitted in deterministic order by the CBOR encoder. */
export function coseKeyFromKeyObject(key: KeyObject, options: CoseKeyOptions = {}): CoseKey {
  const raw = rawPublicKey(key);
  const m: CoseKey = new Map();
  m.set(COSE_KEY_KTY, raw.curve === 'P-256' ? COSE_KTY_EC2 : COSE_KTY_OKP);
  if (options.kid) m.set(COSE_KEY_KID, options.kid);
  if (options.alg !== undefined) m.set(COSE_KEY_ALG, options.alg);
  m.set(COSE_KEY_CRV, CRV_IDS[raw.curve]);
  m.set(COSE_KEY_X, raw.x);
  if (raw.y) m.set(COSE_KEY_Y, raw.y);
  if (options.includePrivate) m.set(COSE_KEY_D, rawPrivateKey(key));
  return m;
}

function bytesParam(m: CoseKey, label: number, what: string): Uint8Array | undefined {
  const v = m.get(label);
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) throw new StackError('ERR_COSE', `COSE_Key ${what} is not a byte string`);
  return v;
}

/**
 * A KeyObject from a COSE_Key: the private key when 'd' is present and `wantPrivate` is set,
 * otherwise the public key. An EC2 key may carry y as a boolean sign bit or omit it (then x alone
 * is decompressed, which suffices for ECDH and is what EDHOC ephemeral keys do).
 */
export function keyObjectFromCoseKey(m: CoseKey, wantPrivate = false): KeyObject {
  if (!(m instanceof Map)) throw new StackError('ERR_COSE', 'COSE_Key is not a map');
  const kty = m.get(COSE_KEY_KTY);
  const crv = m.get(COSE_KEY_CRV);
  const x = bytesParam(m, COSE_KEY_X, 'x');
  const d = bytesParam(m, COSE_KEY_D, 'd');
  let curve: CoseCurve;
  if (kty === COSE_KTY_EC2 && crv === COSE_CRV_P256) curve = 'P-256';
  else if (kty === COSE_KTY_OKP && crv === COSE_CRV_X25519) curve = 'X25519';
  else if (kty === COSE_KTY_OKP && crv === COSE_CRV_ED25519) curve = 'Ed25519';
  else throw new StackError('ERR_COSE', `unsupported COSE_Key kty ${String(kty)} crv ${String(crv)}`);
  if (wantPrivate) {
    if (!d) throw new StackError('ERR_COSE', 'COSE_Key has no private part d');
    const key = privateKeyFromRaw(curve, d);
    if (x) {
      const pub = rawPublicKey(key);
      if (Buffer.compare(Buffer.from(pub.x), Buffer.from(x)) !== 0) throw new StackError('ERR_COSE', 'COSE_Key d does not match x');
    }
    return key;
  }
  if (!x) throw new StackError('ERR_COSE', 'COSE_Key has no x');
  const yv = m.get(COSE_KEY_Y);
  if (curve === 'P-256' && yv instanceof Uint8Array) return publicKeyFromRaw(curve, x, yv);
  if (curve === 'P-256' && typeof yv === 'boolean') {
    try {
      const full = ECDH.convertKey(Buffer.concat([Buffer.from([yv ? 3 : 2]), x]), 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
      return publicKeyFromRaw(curve, full.subarray(1, 33), full.subarray(33, 65));
    } catch (e) {
      if (e instanceof StackError) throw e;
      throw new StackError('ERR_COSE', 'invalid P-256 public key', {}, e);
    }
  }
  if (yv !== undefined && curve === 'P-256') throw new StackError('ERR_COSE', 'COSE_Key y is neither bytes nor a sign bit');
  return publicKeyFromRaw(curve, x);
}
