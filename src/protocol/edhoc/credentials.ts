/**
 * Authentication credentials (RFC 9528 §3.5.2): CRED_x is the credential as one CBOR data item —
 * an X.509 certificate is its DER wrapped in a bstr (RFC 9360), a raw public key is a CWT Claims
 * Set (CCS, RFC 8392) with the COSE_Key in 'cnf' (RFC 8747). ID_CRED_x names it by reference
 * (x5t, kid) or carries it by value (x5chain, kccs).
 *
 * The application resolves the peer's ID_CRED_x to an EdhocCredential and judges it (trust anchors,
 * identity); EDHOC then checks that the peer holds its key.
 */
import type { KeyObject } from 'node:crypto';
import { decodeCbor, encodeCbor, type CborValue } from '../../codec/cbor/cbor.ts';
import { certHashMatches } from '../../codec/cose/x509-headers.ts';
import { coseKeyFromKeyObject, keyObjectFromCoseKey, rawPublicKey, COSE_KEY_KID } from '../../codec/cose/key.ts';
import { bytesEqual } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import { certificateDer, certificatePublicKey, parseCertificate, type Certificate } from '../../pki/certificate.ts';
import { IdCred } from './id-cred.ts';

/** RFC 8392 §3.1.2 'sub' and RFC 8747 §3.1 'cnf' claim keys; RFC 8747 §3.2 cnf 'COSE_Key'. */
export const CWT_CLAIM_SUB = 2;
export const CWT_CLAIM_CNF = 8;
export const CNF_COSE_KEY = 1;

export interface EdhocCredential {
  /** CRED_x: the credential as one encoded CBOR data item. */
  readonly cred: Uint8Array;
  /** ID_CRED_x: how the credential is identified (or carried) in the EDHOC message. */
  readonly idCred: IdCred;
  /** The authentication key: a signature key (Ed25519, P-256) or a static DH key (X25519, P-256). */
  readonly publicKey: KeyObject;
}

/** One's own credential, with the private authentication key. */
export interface EdhocLocalCredential extends EdhocCredential {
  readonly privateKey: KeyObject;
}

export interface X509CredentialOptions {
  /** How ID_CRED_x refers to it: by hash (x5t, the default) or by value (x5chain). */
  readonly idCred?: 'x5t' | 'x5chain';
  /** For x5chain: the certificates after the end-entity one (intermediates), in chain order. */
  readonly chain?: readonly (Uint8Array | Certificate)[];
  /** For x5t: the COSE hash algorithm (default −15, SHA-256/64). */
  readonly hashAlg?: number;
}

function der(c: Uint8Array | Certificate): Uint8Array {
  return c instanceof Uint8Array ? c : certificateDer(c);
}

/** An X.509 credential: CRED_x = bstr of the DER certificate. */
export function x509Credential(cert: Uint8Array | Certificate, options: X509CredentialOptions = {}): EdhocCredential {
  const leaf = der(cert);
  const parsed = cert instanceof Uint8Array ? parseCertificate(cert) : cert;
  const idCred =
    (options.idCred ?? 'x5t') === 'x5chain' ? IdCred.byX5chain([leaf, ...(options.chain ?? []).map(der)]) : IdCred.byX5t(leaf, options.hashAlg);
  return { cred: encodeCbor(leaf), idCred, publicKey: certificatePublicKey(parsed) };
}

/** The DER certificate inside an X.509 CRED_x, or undefined when CRED_x is not a bstr. */
export function credentialCertificate(cred: Uint8Array): Uint8Array | undefined {
  try {
    const v = decodeCbor(cred);
    return v instanceof Uint8Array ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface CcsOptions {
  /** The 'sub' claim (e.g. an EUI-64 or a name). */
  readonly sub?: string;
  /** The COSE_Key 'kid'. */
  readonly kid?: Uint8Array;
}

/** A CWT Claims Set { 2: sub, 8: { 1: COSE_Key } } for a public key, deterministically encoded. */
export function buildCcs(publicKey: KeyObject, options: CcsOptions = {}): Uint8Array {
  const ccs = new Map<CborValue, CborValue>();
  if (options.sub !== undefined) ccs.set(CWT_CLAIM_SUB, options.sub);
  ccs.set(CWT_CLAIM_CNF, new Map([[CNF_COSE_KEY, coseKeyFromKeyObject(publicKey, { kid: options.kid })]]));
  return encodeCbor(ccs);
}

/** The public key in a CCS's cnf claim. */
export function ccsPublicKey(ccs: Map<CborValue, CborValue>): { publicKey: KeyObject; kid: Uint8Array | undefined } {
  const cnf = ccs.get(CWT_CLAIM_CNF);
  const coseKey = cnf instanceof Map ? cnf.get(CNF_COSE_KEY) : undefined;
  if (!(coseKey instanceof Map)) throw new StackError('ERR_EDHOC', 'CCS has no cnf COSE_Key');
  const kid = coseKey.get(COSE_KEY_KID);
  return { publicKey: keyObjectFromCoseKey(coseKey), kid: kid instanceof Uint8Array ? kid : undefined };
}

export interface CcsCredentialOptions {
  /** How ID_CRED_x refers to it: by kid (default) or by value (kccs). */
  readonly idCred?: 'kid' | 'kccs';
  /** The kid; default: the COSE_Key's kid. */
  readonly kid?: Uint8Array;
}

/** A raw-public-key credential: CRED_x = the CCS as given (its bytes are used unchanged). */
export function ccsCredential(ccs: Uint8Array, options: CcsCredentialOptions = {}): EdhocCredential {
  const v = decodeCbor(ccs);
  if (!(v instanceof Map)) throw new StackError('ERR_EDHOC', 'CCS is not a map');
  const { publicKey, kid } = ccsPublicKey(v);
  let idCred: IdCred;
  if ((options.idCred ?? 'kid') === 'kccs') {
    idCred = IdCred.byKccs(v);
  } else {
    const k = options.kid ?? kid;
    if (!k) throw new StackError('ERR_INVALID_ARGUMENT', 'a CCS identified by kid needs a kid');
    idCred = IdCred.byKid(k);
  }
  return { cred: Uint8Array.prototype.slice.call(ccs), idCred, publicKey };
}

/** Adds the private key to one's own credential, checking that the two belong together. */
export function localCredential(credential: EdhocCredential, privateKey: KeyObject): EdhocLocalCredential {
  if (privateKey.type !== 'private') throw new StackError('ERR_INVALID_ARGUMENT', 'localCredential needs a private key');
  const a = rawPublicKey(privateKey);
  const b = rawPublicKey(credential.publicKey);
  if (a.curve !== b.curve || !bytesEqual(a.x, b.x)) throw new StackError('ERR_INVALID_ARGUMENT', 'the private key does not belong to the credential');
  return { ...credential, privateKey };
}

/**
 * The credential an ID_CRED_x carries by value (x5chain: the end-entity certificate; kccs: the CCS),
 * or undefined for references (kid, x5t), which the application must look up.
 */
export function credentialFromIdCred(idCred: IdCred): EdhocCredential | undefined {
  const chain = idCred.x5chain;
  if (chain) {
    const parsed = parseCertificate(chain[0]!);
    return { cred: encodeCbor(chain[0]!), idCred, publicKey: certificatePublicKey(parsed) };
  }
  const kccs = idCred.kccs;
  if (kccs) return { cred: encodeCbor(kccs), idCred, publicKey: ccsPublicKey(kccs).publicKey };
  return undefined;
}

/**
 * False when ID_CRED_x evidently names another credential: an x5t hash or x5chain end-entity
 * certificate that differs from CRED_x. Other identifiers (kid) cannot be checked and pass.
 */
export function idCredMatchesCredential(idCred: IdCred, cred: Uint8Array): boolean {
  const x5t = idCred.x5t;
  const chain = idCred.x5chain;
  if (!x5t && !chain) return true;
  const certDer = credentialCertificate(cred);
  if (!certDer) return false;
  if (x5t && !certHashMatches(x5t, certDer)) return false;
  if (chain && !bytesEqual(chain[0]!, certDer)) return false;
  return true;
}
