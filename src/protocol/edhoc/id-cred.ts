/**
 * ID_CRED_I / ID_CRED_R (RFC 9528 §3.5.3): a COSE header map identifying (or carrying) the
 * authentication credential, e.g. { 4: kid }, { 34: COSE_CertHash } (x5t),
 * { 33: COSE_X509 } (x5chain), { 14: CCS } (kccs).
 *
 * In PLAINTEXT_2/3 the map { 4: kid } alone is replaced by kid, and kid by its integer
 * representation when it has one (§3.5.3.2); everywhere else (context_2/3, the protected header of
 * the signature) the map is used. A received map keeps its bytes, since its labels need not be in
 * deterministic order.
 */
import { encodeCbor, type CborValue } from '../../codec/cbor/cbor.ts';
import { COSE_HEADER_KCCS, COSE_HEADER_KID, COSE_HEADER_X5CHAIN, COSE_HEADER_X5T, type HeaderMap } from '../../codec/cose/header-parameters.ts';
import { certHash, decodeCertHash, decodeCoseX509, encodeCertHash, encodeCoseX509, type CertHash } from '../../codec/cose/x509-headers.ts';
import { COSE_ALG_SHA_256_64 } from '../../codec/cose/algorithms.ts';
import { isStackError } from '../../core/errors.ts';
import type { CborItem } from './cbor-items.ts';
import { EdhocError } from './edhoc-error.ts';
import { encodeIdentifier, identifierFromCbor } from './identifiers.ts';

export class IdCred {
  /** The header map. */
  readonly map: ReadonlyMap<CborValue, CborValue>;
  /** The map's CBOR encoding, as used in context_x and as the signature's protected header. */
  readonly encoded: Uint8Array;

  private constructor(map: HeaderMap, encoded: Uint8Array) {
    this.map = map;
    this.encoded = encoded;
  }

  static fromMap(map: HeaderMap): IdCred {
    if (map.size === 0) throw EdhocError.malformed('ID_CRED', 'empty header map');
    return new IdCred(new Map(map), encodeCbor(map));
  }

  /** { 4: kid } */
  static byKid(kid: Uint8Array): IdCred {
    return IdCred.fromMap(new Map([[COSE_HEADER_KID, Uint8Array.prototype.slice.call(kid)]]));
  }

  /** { 34: [alg, hash] } of a DER certificate (default SHA-256/64). */
  static byX5t(der: Uint8Array, hashAlg: number = COSE_ALG_SHA_256_64): IdCred {
    return IdCred.fromMap(new Map([[COSE_HEADER_X5T, encodeCertHash(certHash(der, hashAlg))]]));
  }

  /** { 33: COSE_X509 } with the end-entity certificate first. */
  static byX5chain(ders: readonly Uint8Array[]): IdCred {
    return IdCred.fromMap(new Map([[COSE_HEADER_X5CHAIN, encodeCoseX509(ders)]]));
  }

  /** { 14: CCS } carrying a CWT Claims Set by value. */
  static byKccs(ccs: HeaderMap): IdCred {
    return IdCred.fromMap(new Map([[COSE_HEADER_KCCS, ccs]]));
  }

  get kid(): Uint8Array | undefined {
    const v = this.map.get(COSE_HEADER_KID);
    return v instanceof Uint8Array ? v : undefined;
  }

  get x5t(): CertHash | undefined {
    const v = this.map.get(COSE_HEADER_X5T);
    return v === undefined ? undefined : wrap(() => decodeCertHash(v), 'x5t');
  }

  /** The DER certificates of an x5chain, end-entity first. */
  get x5chain(): Uint8Array[] | undefined {
    const v = this.map.get(COSE_HEADER_X5CHAIN);
    return v === undefined ? undefined : wrap(() => decodeCoseX509(v), 'x5chain');
  }

  /** The CWT Claims Set carried by value ('kccs'). */
  get kccs(): Map<CborValue, CborValue> | undefined {
    const v = this.map.get(COSE_HEADER_KCCS);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) throw EdhocError.malformed('ID_CRED', 'kccs is not a map');
    return v;
  }

  /** True when the map is { 4: kid } alone, which PLAINTEXT_x carries as just the kid. */
  get isCompactKid(): boolean {
    return this.map.size === 1 && this.kid !== undefined;
  }

  /** The encoded item in PLAINTEXT_2 / PLAINTEXT_3. */
  plaintextItem(): Uint8Array {
    return this.isCompactKid ? encodeIdentifier(this.kid!) : this.encoded;
  }

  /** ID_CRED_x from its PLAINTEXT_x item: a map, or a compact kid (bstr / int −24..23). */
  static fromPlaintextItem(item: CborItem, what: string): IdCred {
    const v = item.value;
    if (v instanceof Map) {
      if (v.size === 0) throw EdhocError.malformed(what, 'empty header map');
      const kid = v.get(COSE_HEADER_KID);
      if (v.size === 1 && kid !== undefined) throw EdhocError.malformed(what, 'a map holding only a kid must be sent as the kid alone');
      if (kid !== undefined && !(kid instanceof Uint8Array)) throw EdhocError.malformed(what, 'kid is not a byte string');
      return new IdCred(v, Uint8Array.prototype.slice.call(item.raw));
    }
    if (typeof v === 'number' || v instanceof Uint8Array) return IdCred.byKid(identifierFromCbor(v, what));
    throw EdhocError.malformed(what, 'neither a header map, a byte string nor an integer in −24..23');
  }
}

function wrap<T>(f: () => T, what: string): T {
  try {
    return f();
  } catch (e) {
    if (isStackError(e, 'ERR_COSE')) throw EdhocError.malformed('ID_CRED', `invalid ${what}`, {}, e);
    throw e;
  }
}
