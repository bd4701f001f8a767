/**
 * Voucher data (draft-ietf-anima-rfc8366bis §8, module ietf-voucher) and voucher-request data
 * (§9, module ietf-voucher-request, which adds the request-only leaves), as plain values, and the
 * checks each artifact must pass.
 *
 *   voucher              MASA → registrar → pledge
 *   voucher-request      PVR (pledge → registrar, RFC 8995 §5.2) or RVR (registrar → MASA, §5.5)
 *
 * Dates are kept as the RFC 3339 text they arrived in (see date-time.ts); binary leaves as bytes.
 * `checkLeaves` enforces the schema (types, nonce length 8..32, SHA-256 lengths, RFC 3339 dates,
 * URIs) and is applied by every decoder; `checkVoucher`, `checkPledgeVoucherRequest` and
 * `checkRegistrarVoucherRequest` add the rules of each role:
 *
 *   voucher  serial-number, assertion, created-on (RFC 8366 §5.3 mandatory), and one of the
 *            pinned-domain-* leaves (RFC 8366bis §8: the pinning is the voucher's purpose);
 *            last-renewal-date needs expires-on (YANG `must`); expires-on after created-on.
 *   PVR      serial-number, assertion, nonce (RFC 8995 §5.2 MUST) and one of the
 *            proximity-registrar-* leaves; no prior-signed-voucher-request.
 *   RVR      serial-number; no proximity-registrar-* leaf (RFC 8995 §5.5 MUST NOT).
 */
import type { StackErrorCode } from '../../core/errors.ts';
import { tryParseDateAndTime } from './date-time.ts';
import { isAssertion, schemaOf, type ArtifactKind, type Assertion, type LeafDefinition, type LeafField } from './sid.ts';
import { VoucherError } from './voucher-error.ts';

export type { Assertion, ArtifactKind } from './sid.ts';

/** The leaves of ietf-voucher (every one of them also exists in ietf-voucher-request). */
export interface VoucherLeaves {
  readonly assertion?: Assertion;
  readonly createdOn?: string;
  readonly domainCertRevocationChecks?: boolean;
  readonly expiresOn?: string;
  /** The AuthorityKeyIdentifier extnValue OCTET STRING, DER, tag and length included (8366bis §5.3). */
  readonly idevidIssuer?: Uint8Array;
  readonly lastRenewalDate?: string;
  readonly nonce?: Uint8Array;
  /** DER X.509 certificate. */
  readonly pinnedDomainCert?: Uint8Array;
  /** SubjectPublicKeyInfo DER (RFC 7250 §3). */
  readonly pinnedDomainPubk?: Uint8Array;
  /** SHA-256 of the SubjectPublicKeyInfo DER. */
  readonly pinnedDomainPubkSha256?: Uint8Array;
  readonly serialNumber: string;
  readonly additionalConfigurationUrl?: string;
  readonly estDomain?: string;
  readonly manufacturerProprietary?: Uint8Array;
  /** Extension SIDs (CBOR) or names (JSON). */
  readonly extensions?: readonly (number | string)[];
}

/** The leaves of ietf-voucher-request. */
export interface VoucherRequestLeaves extends VoucherLeaves {
  /** The signed PVR, exactly as received (COSE_Sign1 or CMS bytes). */
  readonly priorSignedVoucherRequest?: Uint8Array;
  readonly proximityRegistrarCert?: Uint8Array;
  readonly proximityRegistrarPubk?: Uint8Array;
  readonly proximityRegistrarPubkSha256?: Uint8Array;
  readonly agentProvidedProximityRegistrarCert?: Uint8Array;
  readonly agentSignCert?: Uint8Array;
  readonly agentSignedData?: Uint8Array;
}

export interface Voucher extends VoucherLeaves {
  readonly kind: 'voucher';
}

export interface VoucherRequest extends VoucherRequestLeaves {
  readonly kind: 'voucher-request';
}

export type VoucherArtifact = Voucher | VoucherRequest;

/** The role-specific checks: a voucher, a pledge voucher-request, a registrar voucher-request. */
export type ArtifactRole = 'voucher' | 'pvr' | 'rvr';

/** RFC 8366bis YANG: `nonce` is `binary { length "8..32"; }`. */
export const NONCE_MIN_BYTES = 8;
export const NONCE_MAX_BYTES = 32;
const SHA256_BYTES = 32;

const PINNED: readonly LeafField[] = ['pinnedDomainCert', 'pinnedDomainPubk', 'pinnedDomainPubkSha256'];
const PROXIMITY: readonly LeafField[] = ['proximityRegistrarCert', 'proximityRegistrarPubk', 'proximityRegistrarPubkSha256'];

type AnyLeaves = Partial<Record<LeafField, unknown>>;

function leafValue(a: VoucherArtifact, field: LeafField): unknown {
  return (a as AnyLeaves)[field];
}

/** The leaves that are set on an artifact, in schema order. */
export function presentLeaves(a: VoucherArtifact): LeafDefinition[] {
  return schemaOf(a.kind).leaves.filter((l) => leafValue(a, l.field) !== undefined);
}

/**
 * Schema checks for one leaf value: type, and the value rules of the YANG types. `code` chooses
 * the error code (ERR_CBOR_MALFORMED while decoding CBOR, ERR_INVALID_ARGUMENT otherwise).
 */
export function checkLeafValue(leaf: LeafDefinition, v: unknown, code: StackErrorCode = 'ERR_INVALID_ARGUMENT'): void {
  const fail = (reason: 'leaf-type' | 'leaf-value' | 'date-time' | 'nonce-length', what: string): never => {
    throw new VoucherError(reason, `${leaf.name}: ${what}`, { leaf: leaf.name }, undefined, code);
  };
  switch (leaf.type) {
    case 'assertion':
      if (!isAssertion(v)) fail('leaf-type', `not one of verified, logged, proximity, agent-proximity`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') fail('leaf-type', 'not a boolean');
      return;
    case 'date-and-time':
      if (typeof v !== 'string') fail('leaf-type', 'not a text string');
      if (!tryParseDateAndTime(v as string)) fail('date-time', `${JSON.stringify(v)} is not an RFC 3339 date-and-time`);
      return;
    case 'string':
      if (typeof v !== 'string') fail('leaf-type', 'not a text string');
      if ((v as string).length === 0) fail('leaf-value', 'empty');
      return;
    case 'uri':
      if (typeof v !== 'string') fail('leaf-type', 'not a text string');
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(v as string)) fail('leaf-value', `${JSON.stringify(v)} is not a URI`);
      return;
    case 'extensions':
      if (!Array.isArray(v) || v.some((x) => !(typeof x === 'string' ? x.length > 0 : Number.isSafeInteger(x) && x >= 0))) {
        fail('leaf-type', 'not a list of extension SIDs or names');
      }
      return;
    case 'binary': {
      if (!(v instanceof Uint8Array)) fail('leaf-type', 'not a byte string');
      const n = (v as Uint8Array).length;
      if (leaf.field === 'nonce' && (n < NONCE_MIN_BYTES || n > NONCE_MAX_BYTES)) {
        fail('nonce-length', `${n} bytes, must be ${NONCE_MIN_BYTES} to ${NONCE_MAX_BYTES}`);
      }
      if ((leaf.field === 'pinnedDomainPubkSha256' || leaf.field === 'proximityRegistrarPubkSha256') && n !== SHA256_BYTES) {
        fail('leaf-value', `${n} bytes, a SHA-256 hash has ${SHA256_BYTES}`);
      }
      if (n === 0 && leaf.field !== 'manufacturerProprietary') fail('leaf-value', 'empty');
      return;
    }
  }
}

/** Schema checks of a whole artifact: known leaves only, each of the right type, serial-number present. */
export function checkLeaves(a: VoucherArtifact, code: StackErrorCode = 'ERR_INVALID_ARGUMENT'): void {
  if (a.kind !== 'voucher' && a.kind !== 'voucher-request') {
    throw new VoucherError('wrong-kind', `unknown artifact kind ${JSON.stringify((a as { kind: unknown }).kind)}`, {}, undefined, code);
  }
  const schema = schemaOf(a.kind);
  for (const key of Object.keys(a)) {
    if (key === 'kind') continue;
    const leaf = schema.leaves.find((l) => l.field === key);
    if (!leaf) {
      const v = (a as unknown as Record<string, unknown>)[key];
      if (v === undefined) continue;
      throw new VoucherError('unknown-leaf', `${a.kind} has no leaf ${key}`, { leaf: key }, undefined, code);
    }
    const v = leafValue(a, leaf.field);
    if (v !== undefined) checkLeafValue(leaf, v, code);
  }
  if (a.serialNumber === undefined) throw new VoucherError('missing-leaf', `${a.kind} lacks serial-number (YANG mandatory)`, { leaf: 'serial-number' }, undefined, code);
  if (a.lastRenewalDate !== undefined && a.expiresOn === undefined) {
    throw new VoucherError('inconsistent', 'last-renewal-date without expires-on (YANG must ../expires-on)', { leaf: 'last-renewal-date' }, undefined, code);
  }
}

function missing(role: ArtifactRole, what: string): never {
  throw new VoucherError('missing-leaf', `${roleName(role)} lacks ${what}`, { role });
}

function forbidden(role: ArtifactRole, leaf: string, why: string): never {
  throw new VoucherError('forbidden-leaf', `${roleName(role)} must not carry ${leaf} (${why})`, { role, leaf });
}

function roleName(role: ArtifactRole): string {
  return role === 'voucher' ? 'voucher' : role === 'pvr' ? 'pledge voucher-request' : 'registrar voucher-request';
}

function expectKind(a: VoucherArtifact, kind: ArtifactKind, role: ArtifactRole): void {
  if (a.kind !== kind) throw new VoucherError('wrong-kind', `expected a ${roleName(role)}, got a ${a.kind}`, { role });
}

/** A voucher as the MASA must issue it and a pledge may accept it (schema + role rules above). */
export function checkVoucher(a: VoucherArtifact): asserts a is Voucher {
  expectKind(a, 'voucher', 'voucher');
  checkLeaves(a);
  if (a.assertion === undefined) missing('voucher', 'assertion');
  if (a.createdOn === undefined) missing('voucher', 'created-on');
  if (!PINNED.some((f) => leafValue(a, f) !== undefined)) missing('voucher', 'a pinned-domain-cert, pinned-domain-pubk or pinned-domain-pubk-sha256');
  if (a.expiresOn !== undefined) {
    const created = tryParseDateAndTime(a.createdOn!)!;
    const expires = tryParseDateAndTime(a.expiresOn)!;
    if (expires.getTime() <= created.getTime()) {
      throw new VoucherError('inconsistent', `expires-on ${a.expiresOn} is not after created-on ${a.createdOn}`, { leaf: 'expires-on' });
    }
  }
}

/** A pledge voucher-request (RFC 8995 §5.2, cBRSKI §7.1.1). */
export function checkPledgeVoucherRequest(a: VoucherArtifact): asserts a is VoucherRequest {
  expectKind(a, 'voucher-request', 'pvr');
  checkLeaves(a);
  const vr = a as VoucherRequest;
  if (vr.assertion === undefined) missing('pvr', 'assertion');
  if (vr.nonce === undefined) missing('pvr', 'nonce');
  if (!PROXIMITY.some((f) => leafValue(vr, f) !== undefined)) {
    missing('pvr', 'a proximity-registrar-cert, proximity-registrar-pubk or proximity-registrar-pubk-sha256');
  }
  if (vr.priorSignedVoucherRequest !== undefined) forbidden('pvr', 'prior-signed-voucher-request', 'only a registrar wraps a prior request');
}

/** A registrar voucher-request (RFC 8995 §5.5, cBRSKI §6.2). */
export function checkRegistrarVoucherRequest(a: VoucherArtifact): asserts a is VoucherRequest {
  expectKind(a, 'voucher-request', 'rvr');
  checkLeaves(a);
  const vr = a as VoucherRequest;
  for (const f of PROXIMITY) {
    if (leafValue(vr, f) !== undefined) forbidden('rvr', schemaOf('voucher-request').leaves.find((l) => l.field === f)!.name, 'RFC 8995 §5.5');
  }
}

/** Applies the checks of a role. */
export function checkArtifact(a: VoucherArtifact, role: ArtifactRole): void {
  if (role === 'voucher') checkVoucher(a);
  else if (role === 'pvr') checkPledgeVoucherRequest(a);
  else checkRegistrarVoucherRequest(a);
}

/** True when a voucher with expires-on has expired at `now` (a voucher without one never does). */
export function isVoucherExpired(v: Voucher, now: Date): boolean {
  if (v.expiresOn === undefined) return false;
  return tryParseDateAndTime(v.expiresOn)!.getTime() <= now.getTime();
}
