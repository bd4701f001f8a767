/**
 * COSE-signed voucher artifacts, media type `application/voucher+cose` (CoAP Content-Format 836),
 * cBRSKI §7.2 ("Signing Voucher and Voucher Request Artifacts with COSE"):
 *
 *   18([ h'A10126' (protected {1: -7} ES256, or {1: -8} EdDSA), {unprotected}, bstr .cbor voucher-data, signature ])
 *
 * - PVR: signed with the IDevID key; no kid, no x5bag by default (cBRSKI §7.2.2).
 * - RVR: signed with the registrar key; MUST carry `x5bag` (32) with the registrar's signing chain
 *   and the pledge's IDevID chain (cBRSKI §7.2.1).
 * - Voucher: signed by the MASA; the MASA's signing chain goes in an *unprotected* x5bag for the
 *   registrar, which strips it before forwarding (cBRSKI §7.2.3, §5.8).
 *
 * Parsing and verifying are separate steps (STYLE §3): `parseVoucherCose` decodes and checks the
 * schema; the caller picks the key (pledge: built-in MASA key; MASA: a certificate of the x5bag)
 * and calls `verifyVoucherCose`.
 */
import type { KeyObject } from 'node:crypto';
import { hexPrefix, isStackError } from '../../core/errors.ts';
import type { CborValue } from '../cbor/cbor.ts';
import { isSignatureAlgorithm, type CoseSignatureAlgorithm } from '../cose/algorithms.ts';
import { COSE_HEADER_ALG, COSE_HEADER_KID, COSE_HEADER_X5BAG, COSE_HEADER_X5CHAIN, type HeaderMap } from '../cose/header-parameters.ts';
import { headerParameter } from '../cose/headers.ts';
import { decodeSign1, encodeSign1, signSign1, signatureAlgorithmForKey, verifySign1, type Sign1 } from '../cose/sign1.ts';
import { decodeCoseX509, encodeCoseX509 } from '../cose/x509-headers.ts';
import { certificatePublicKey, parseCertificate, type Certificate } from '../../pki/certificate.ts';
import { decodeVoucherCbor, encodeVoucherCbor, type CborKeyStyle } from './cbor-voucher.ts';
import { checkArtifact, type ArtifactRole, type VoucherArtifact } from './voucher-data.ts';
import { VoucherError } from './voucher-error.ts';

export interface SignVoucherCoseOptions {
  readonly privateKey: KeyObject;
  /** Default: ES256 for a P-256 key, EdDSA for an Ed25519 key. */
  readonly alg?: CoseSignatureAlgorithm;
  /** DER certificates for an x5bag (RVR: registrar chain + pledge chain; voucher: MASA chain). */
  readonly x5bag?: readonly Uint8Array[];
  /** Put the x5bag in the protected header (default: unprotected). */
  readonly x5bagProtected?: boolean;
  readonly kid?: Uint8Array;
  /** Map keys of the voucher data (default SIDs). */
  readonly keys?: CborKeyStyle;
  /** Check the artifact against the rules of this role before signing. */
  readonly role?: ArtifactRole;
}

/** Signs voucher data as a tagged COSE_Sign1. */
export function signVoucherCose(a: VoucherArtifact, opts: SignVoucherCoseOptions): Uint8Array {
  if (opts.role) checkArtifact(a, opts.role);
  const payload = encodeVoucherCbor(a, opts.keys ? { keys: opts.keys } : {});
  const alg = opts.alg ?? signatureAlgorithmForKey(opts.privateKey);
  const protectedHeader: HeaderMap = new Map<CborValue, CborValue>([[COSE_HEADER_ALG, alg]]);
  const unprotectedHeader: HeaderMap = new Map();
  if (opts.x5bag && opts.x5bag.length > 0) (opts.x5bagProtected ? protectedHeader : unprotectedHeader).set(COSE_HEADER_X5BAG, encodeCoseX509(opts.x5bag));
  if (opts.kid) unprotectedHeader.set(COSE_HEADER_KID, opts.kid);
  return signSign1({ protectedHeader, unprotectedHeader, payload, privateKey: opts.privateKey, alg, tagged: true });
}

export interface ParsedCoseVoucher {
  /** The bytes as received. */
  readonly bytes: Uint8Array;
  readonly sign1: Sign1;
  /** The voucher data bytes (COSE payload). */
  readonly payload: Uint8Array;
  readonly artifact: VoucherArtifact;
  readonly alg: CoseSignatureAlgorithm;
  /** Certificates of x5bag (protected or unprotected), DER. */
  readonly x5bag: readonly Uint8Array[];
  /** Certificates of x5chain (leaf first), DER. */
  readonly x5chain: readonly Uint8Array[];
  readonly kid?: Uint8Array;
}

function coseError(message: string, bytes: Uint8Array, cause?: unknown): VoucherError {
  return new VoucherError('malformed', message, { inputHex: hexPrefix(bytes) }, cause, 'ERR_COSE');
}

/**
 * Decodes a COSE_Sign1 voucher artifact and its voucher data (schema-checked; `role`, if given,
 * adds the rules of that role). Does not verify the signature.
 */
export function parseVoucherCose(bytes: Uint8Array, role?: ArtifactRole): ParsedCoseVoucher {
  let sign1: Sign1;
  try {
    sign1 = decodeSign1(bytes);
  } catch (e) {
    throw coseError(`not a COSE_Sign1: ${(e as Error).message}`, bytes, e);
  }
  if (sign1.payload === null) throw coseError('COSE_Sign1 voucher has a detached payload', bytes);
  let alg: CborValue;
  let bag: CborValue;
  let chain: CborValue;
  let kid: CborValue;
  try {
    alg = sign1.protectedHeader.get(COSE_HEADER_ALG);
    bag = headerParameter(sign1.protectedHeader, sign1.unprotectedHeader, COSE_HEADER_X5BAG);
    chain = headerParameter(sign1.protectedHeader, sign1.unprotectedHeader, COSE_HEADER_X5CHAIN);
    kid = headerParameter(sign1.protectedHeader, sign1.unprotectedHeader, COSE_HEADER_KID);
  } catch (e) {
    throw coseError((e as Error).message, bytes, e);
  }
  if (alg === undefined) throw coseError('COSE_Sign1 voucher lacks a protected alg (cBRSKI §7.2)', bytes);
  if (!isSignatureAlgorithm(alg)) {
    throw new VoucherError('unsupported-algorithm', `COSE algorithm ${String(alg)} is not supported for vouchers (ES256 -7, EdDSA -8)`, { alg: String(alg) });
  }
  let x5bag: Uint8Array[] = [];
  let x5chain: Uint8Array[] = [];
  try {
    if (bag !== undefined) x5bag = decodeCoseX509(bag);
    if (chain !== undefined) x5chain = decodeCoseX509(chain);
  } catch (e) {
    throw coseError(`x5bag/x5chain: ${(e as Error).message}`, bytes, e);
  }
  if (kid !== undefined && !(kid instanceof Uint8Array)) throw coseError('kid is not a bstr', bytes);
  const artifact = decodeVoucherCbor(sign1.payload);
  if (role) checkArtifact(artifact, role);
  return {
    bytes,
    sign1,
    payload: sign1.payload,
    artifact,
    alg,
    x5bag,
    x5chain,
    ...(kid instanceof Uint8Array ? { kid } : {}),
  };
}

/** Verifies the COSE signature with a key or a certificate's key; VoucherError('signature') otherwise. */
export function verifyVoucherCose(parsed: ParsedCoseVoucher, signer: KeyObject | Certificate): void {
  const key = 'rawData' in signer ? certificatePublicKey(signer) : signer;
  try {
    verifySign1(parsed.sign1, key, { alg: parsed.alg });
  } catch (e) {
    if (isStackError(e, 'ERR_COSE') && /does not fit/.test(e.message)) {
      throw new VoucherError('unsupported-algorithm', `the signer's key does not fit COSE algorithm ${parsed.alg}`, { alg: parsed.alg }, e);
    }
    throw new VoucherError('signature', `the ${parsed.artifact.kind} signature does not verify with the given key`, { alg: parsed.alg }, e);
  }
}

/**
 * The certificate, among `candidates` (DER or parsed), whose key verifies the signature; undefined
 * when none does. Candidates that are not certificates or do not fit the algorithm are skipped.
 */
export function findCoseSigner(parsed: ParsedCoseVoucher, candidates: readonly (Uint8Array | Certificate)[]): Certificate | undefined {
  for (const c of candidates) {
    let cert: Certificate;
    try {
      cert = c instanceof Uint8Array ? parseCertificate(c) : c;
      verifyVoucherCose(parsed, cert);
      return cert;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/**
 * The artifact with the unprotected x5bag and x5chain removed (what a registrar forwards to the
 * pledge, cBRSKI §5.8); the signature stays valid since those headers are not signed.
 */
export function stripUnprotectedCertificates(parsed: ParsedCoseVoucher): Uint8Array {
  const u = new Map(parsed.sign1.unprotectedHeader);
  const hadBag = u.delete(COSE_HEADER_X5BAG);
  const hadChain = u.delete(COSE_HEADER_X5CHAIN);
  if (!hadBag && !hadChain) return parsed.bytes;
  return encodeSign1({ ...parsed.sign1, unprotectedHeader: u }, true);
}
