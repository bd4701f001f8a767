/**
 * YANG Schema Item iDentifiers (SIDs, RFC 9595) of the voucher and voucher-request modules, as
 * assigned by draft-ietf-anima-rfc8366bis (SID files ietf-voucher@2025-12-18.sid and
 * ietf-voucher-request@2025-12-18.sid, which the draft calls normative; re-checked against the
 * anima-wg/voucher repository at commit 29133f9, 2026-08-19).
 *
 * In the CBOR serialization (RFC 9254 §4.2) the container is keyed by its absolute SID and each
 * leaf by the delta between its SID and the container's SID.
 *
 *   ietf-voucher          module 2450, container /ietf-voucher:voucher          2451
 *   ietf-voucher-request  module 2500, container /ietf-voucher-request:voucher  2501
 *
 * Earlier cBRSKI drafts (2019–2021) used SIDs from the experimental 1001xxx range; those numbers
 * are listed in LEGACY_CONTAINER_SIDS only to name them in error messages, never to decode them.
 */

export const SID_MODULE_IETF_VOUCHER = 2450;
/** /ietf-voucher:voucher */
export const SID_VOUCHER = 2451;
export const SID_MODULE_IETF_VOUCHER_REQUEST = 2500;
/** /ietf-voucher-request:voucher */
export const SID_VOUCHER_REQUEST = 2501;

/** RFC 9254 §4.2.1: a map key tagged 47 is an absolute SID. */
export const CBOR_TAG_ABSOLUTE_SID = 47;

/** The names of the containers in the JSON (RFC 7951) and string-keyed CBOR serializations. */
export const VOUCHER_CONTAINER_NAME = 'ietf-voucher:voucher';
export const VOUCHER_REQUEST_CONTAINER_NAME = 'ietf-voucher-request:voucher';

/** Top-level SIDs seen in pre-8366bis cBRSKI examples (e.g. examples/voucher_00-D0-E5-F2-00-03.vch, 2019). */
export const LEGACY_CONTAINER_SIDS: ReadonlyMap<number, string> = new Map([
  [1001100, 'voucher container of the early cBRSKI drafts (experimental 1001xxx SID range)'],
  [1001104, 'ietf-cwt-voucher:voucher of the early cBRSKI drafts'],
  [1001154, 'voucher-request container of the early cBRSKI drafts (experimental 1001xxx SID range)'],
]);

/** The YANG type of a leaf, as far as encoding and checking go. */
export type LeafType = 'assertion' | 'date-and-time' | 'boolean' | 'binary' | 'string' | 'uri' | 'extensions';

/** Leaf names as in the YANG modules. */
export type LeafName =
  | 'assertion'
  | 'created-on'
  | 'domain-cert-revocation-checks'
  | 'expires-on'
  | 'idevid-issuer'
  | 'last-renewal-date'
  | 'nonce'
  | 'pinned-domain-cert'
  | 'pinned-domain-pubk'
  | 'pinned-domain-pubk-sha256'
  | 'serial-number'
  | 'additional-configuration-url'
  | 'est-domain'
  | 'manufacturer-proprietary'
  | 'extensions'
  | 'prior-signed-voucher-request'
  | 'proximity-registrar-cert'
  | 'proximity-registrar-pubk-sha256'
  | 'proximity-registrar-pubk'
  | 'agent-provided-proximity-registrar-cert'
  | 'agent-sign-cert'
  | 'agent-signed-data';

/** The property of VoucherRequestLeaves (camelCase) that holds a leaf. */
export type LeafField =
  | 'assertion'
  | 'createdOn'
  | 'domainCertRevocationChecks'
  | 'expiresOn'
  | 'idevidIssuer'
  | 'lastRenewalDate'
  | 'nonce'
  | 'pinnedDomainCert'
  | 'pinnedDomainPubk'
  | 'pinnedDomainPubkSha256'
  | 'serialNumber'
  | 'additionalConfigurationUrl'
  | 'estDomain'
  | 'manufacturerProprietary'
  | 'extensions'
  | 'priorSignedVoucherRequest'
  | 'proximityRegistrarCert'
  | 'proximityRegistrarPubkSha256'
  | 'proximityRegistrarPubk'
  | 'agentProvidedProximityRegistrarCert'
  | 'agentSignCert'
  | 'agentSignedData';

export interface LeafDefinition {
  readonly name: LeafName;
  readonly field: LeafField;
  readonly type: LeafType;
  /** SID in ietf-voucher, when the leaf exists in a voucher. */
  readonly voucherSid?: number;
  /** SID in ietf-voucher-request (every leaf exists there). */
  readonly requestSid: number;
}

/** Every leaf, in the order of the ietf-voucher-request SID file. */
export const LEAVES: readonly LeafDefinition[] = Object.freeze([
  { name: 'assertion', field: 'assertion', type: 'assertion', voucherSid: 2452, requestSid: 2502 },
  { name: 'created-on', field: 'createdOn', type: 'date-and-time', voucherSid: 2453, requestSid: 2503 },
  { name: 'domain-cert-revocation-checks', field: 'domainCertRevocationChecks', type: 'boolean', voucherSid: 2454, requestSid: 2504 },
  { name: 'expires-on', field: 'expiresOn', type: 'date-and-time', voucherSid: 2455, requestSid: 2505 },
  { name: 'idevid-issuer', field: 'idevidIssuer', type: 'binary', voucherSid: 2456, requestSid: 2506 },
  { name: 'last-renewal-date', field: 'lastRenewalDate', type: 'date-and-time', voucherSid: 2457, requestSid: 2507 },
  { name: 'nonce', field: 'nonce', type: 'binary', voucherSid: 2458, requestSid: 2508 },
  { name: 'pinned-domain-cert', field: 'pinnedDomainCert', type: 'binary', voucherSid: 2459, requestSid: 2509 },
  { name: 'prior-signed-voucher-request', field: 'priorSignedVoucherRequest', type: 'binary', requestSid: 2510 },
  { name: 'proximity-registrar-cert', field: 'proximityRegistrarCert', type: 'binary', requestSid: 2511 },
  { name: 'proximity-registrar-pubk-sha256', field: 'proximityRegistrarPubkSha256', type: 'binary', requestSid: 2512 },
  { name: 'proximity-registrar-pubk', field: 'proximityRegistrarPubk', type: 'binary', requestSid: 2513 },
  { name: 'serial-number', field: 'serialNumber', type: 'string', voucherSid: 2462, requestSid: 2514 },
  { name: 'agent-provided-proximity-registrar-cert', field: 'agentProvidedProximityRegistrarCert', type: 'binary', requestSid: 2515 },
  { name: 'agent-sign-cert', field: 'agentSignCert', type: 'binary', requestSid: 2516 },
  { name: 'agent-signed-data', field: 'agentSignedData', type: 'binary', requestSid: 2517 },
  { name: 'pinned-domain-pubk', field: 'pinnedDomainPubk', type: 'binary', voucherSid: 2460, requestSid: 2518 },
  { name: 'pinned-domain-pubk-sha256', field: 'pinnedDomainPubkSha256', type: 'binary', voucherSid: 2461, requestSid: 2519 },
  { name: 'additional-configuration-url', field: 'additionalConfigurationUrl', type: 'uri', voucherSid: 2463, requestSid: 2520 },
  { name: 'est-domain', field: 'estDomain', type: 'uri', voucherSid: 2464, requestSid: 2521 },
  { name: 'extensions', field: 'extensions', type: 'extensions', voucherSid: 2466, requestSid: 2522 },
  { name: 'manufacturer-proprietary', field: 'manufacturerProprietary', type: 'binary', voucherSid: 2465, requestSid: 2523 },
] satisfies LeafDefinition[]);

/** The two artifact schemas: a voucher, and a voucher-request (PVR or RVR). */
export type ArtifactKind = 'voucher' | 'voucher-request';

export interface ArtifactSchema {
  readonly kind: ArtifactKind;
  readonly containerSid: number;
  readonly containerName: string;
  /** The module name, which may prefix leaf names in string-keyed CBOR. */
  readonly moduleName: string;
  readonly leaves: readonly LeafDefinition[];
  readonly bySid: ReadonlyMap<number, LeafDefinition>;
  readonly byName: ReadonlyMap<string, LeafDefinition>;
  sidOf(leaf: LeafDefinition): number;
}

function schema(kind: ArtifactKind): ArtifactSchema {
  const isVoucher = kind === 'voucher';
  const sidOf = (l: LeafDefinition): number => (isVoucher ? l.voucherSid! : l.requestSid);
  const leaves = LEAVES.filter((l) => !isVoucher || l.voucherSid !== undefined);
  return Object.freeze({
    kind,
    containerSid: isVoucher ? SID_VOUCHER : SID_VOUCHER_REQUEST,
    containerName: isVoucher ? VOUCHER_CONTAINER_NAME : VOUCHER_REQUEST_CONTAINER_NAME,
    moduleName: isVoucher ? 'ietf-voucher' : 'ietf-voucher-request',
    leaves,
    bySid: new Map(leaves.map((l) => [sidOf(l), l])),
    byName: new Map(leaves.map((l) => [l.name, l])),
    sidOf,
  });
}

export const VOUCHER_SCHEMA: ArtifactSchema = schema('voucher');
export const VOUCHER_REQUEST_SCHEMA: ArtifactSchema = schema('voucher-request');

export function schemaOf(kind: ArtifactKind): ArtifactSchema {
  return kind === 'voucher' ? VOUCHER_SCHEMA : VOUCHER_REQUEST_SCHEMA;
}

/** The 'assertion' enumeration and its CBOR integers (8366bis Table "assertion-enums"). */
export const ASSERTIONS = ['verified', 'logged', 'proximity', 'agent-proximity'] as const;
export type Assertion = (typeof ASSERTIONS)[number];

export function assertionToInt(a: Assertion): number {
  return ASSERTIONS.indexOf(a);
}

export function assertionFromInt(n: number): Assertion | undefined {
  return Number.isInteger(n) ? ASSERTIONS[n] : undefined;
}

export function isAssertion(s: unknown): s is Assertion {
  return typeof s === 'string' && (ASSERTIONS as readonly string[]).includes(s);
}
