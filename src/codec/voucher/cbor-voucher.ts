/**
 * The CBOR serialization of voucher data (RFC 9254 YANG-CBOR, SIDs per RFC 8366bis, cBRSKI §7):
 *
 *   { 2451: { 1: assertion-int, 2: "created-on", …, 11: "serial-number" } }      voucher
 *   { 2501: { 1: assertion-int, …, 13: "serial-number" } }                          voucher-request
 *
 * The container key is the absolute SID, the leaf keys are SID deltas (child − container). Names
 * may stand in for SIDs (cBRSKI §7.1.2 shows an RVR keyed by "ietf-voucher-request:voucher" and
 * leaf names), and a key tagged 47 is an absolute SID (RFC 9254 §4.2.1); decoding accepts all
 * three and refuses any SID or name the schema does not define. Enumerations are CBOR integers
 * (RFC 9254 §6.6), binary leaves bstr, dates tstr.
 *
 * Encoding is deterministic (src/codec/cbor: shortest forms, keys in bytewise order), so the
 * cBRSKI example payloads re-encode to the same bytes.
 */
import { hexPrefix } from '../../core/errors.ts';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../cbor/cbor.ts';
import {
  CBOR_TAG_ABSOLUTE_SID,
  LEGACY_CONTAINER_SIDS,
  VOUCHER_REQUEST_SCHEMA,
  VOUCHER_SCHEMA,
  assertionFromInt,
  assertionToInt,
  schemaOf,
  type ArtifactSchema,
  type Assertion,
  type LeafDefinition,
} from './sid.ts';
import { checkLeafValue, checkLeaves, presentLeaves, type VoucherArtifact } from './voucher-data.ts';
import { VoucherError } from './voucher-error.ts';

/** How map keys are written: SIDs (absolute container, delta leaves; the compact default) or YANG names. */
export type CborKeyStyle = 'sid' | 'name';

export interface EncodeVoucherCborOptions {
  readonly keys?: CborKeyStyle;
}

function leafToCbor(leaf: LeafDefinition, v: unknown): CborValue {
  if (leaf.type === 'assertion') return assertionToInt(v as Assertion);
  if (leaf.type === 'extensions') return [...(v as (number | string)[])];
  return v as CborValue;
}

/** The CBOR map of an artifact (checked against the schema first). */
export function voucherToCborValue(a: VoucherArtifact, opts: EncodeVoucherCborOptions = {}): Map<CborValue, CborValue> {
  checkLeaves(a);
  const schema = schemaOf(a.kind);
  const byName = opts.keys === 'name';
  const inner = new Map<CborValue, CborValue>();
  for (const leaf of presentLeaves(a)) {
    const key = byName ? leaf.name : schema.sidOf(leaf) - schema.containerSid;
    inner.set(key, leafToCbor(leaf, (a as unknown as Record<string, unknown>)[leaf.field]));
  }
  return new Map<CborValue, CborValue>([[byName ? schema.containerName : schema.containerSid, inner]]);
}

/** Encodes voucher or voucher-request data as deterministic CBOR. */
export function encodeVoucherCbor(a: VoucherArtifact, opts: EncodeVoucherCborOptions = {}): Uint8Array {
  return encodeCbor(voucherToCborValue(a, opts));
}

const CBOR_CODE = 'ERR_CBOR_MALFORMED' as const;

function fail(reason: 'malformed' | 'unknown-container' | 'unknown-leaf' | 'leaf-type', message: string, input?: Uint8Array, extra: Record<string, unknown> = {}): never {
  throw new VoucherError(reason, message, { ...(input ? { inputHex: hexPrefix(input) } : {}), ...extra }, undefined, CBOR_CODE);
}

/**
 * The unsigned integer key of a one-entry top-level map, read from the bytes without decoding the
 * rest (to name the container of an artifact whose body we cannot decode, e.g. one using the
 * early-draft SIDs and tag-1 dates).
 */
export function peekContainerSid(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2 || bytes[0] !== 0xa1) return undefined;
  const head = bytes[1]!;
  if (head >> 5 !== 0) return undefined;
  const info = head & 0x1f;
  if (info < 24) return info;
  const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
  if (n === 0 || bytes.length < 2 + n) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + bytes[2 + i]!;
  return v;
}

function containerOf(key: CborValue, input: Uint8Array): ArtifactSchema {
  const sid = typeof key === 'number' ? key : key instanceof CborTag && key.tag === CBOR_TAG_ABSOLUTE_SID && typeof key.value === 'number' ? key.value : undefined;
  for (const s of [VOUCHER_SCHEMA, VOUCHER_REQUEST_SCHEMA]) {
    if (sid === s.containerSid || key === s.containerName) return s;
  }
  if (sid !== undefined) {
    const legacy = LEGACY_CONTAINER_SIDS.get(sid);
    fail('unknown-container', legacy ? `container SID ${sid} is the ${legacy}, not an RFC 8366bis SID (2451 voucher, 2501 voucher-request)` : `unknown container SID ${sid} (expected 2451 voucher or 2501 voucher-request)`, input, { sid });
  }
  fail('unknown-container', `unknown container key ${typeof key === 'string' ? JSON.stringify(key) : String(key)}`, input);
}

function leafOf(schema: ArtifactSchema, key: CborValue, input: Uint8Array): LeafDefinition {
  let leaf: LeafDefinition | undefined;
  let shown: string;
  if (typeof key === 'number') {
    leaf = schema.bySid.get(schema.containerSid + key);
    shown = `SID delta ${key} (SID ${schema.containerSid + key})`;
  } else if (key instanceof CborTag && key.tag === CBOR_TAG_ABSOLUTE_SID && typeof key.value === 'number') {
    leaf = schema.bySid.get(key.value);
    shown = `absolute SID ${key.value}`;
  } else if (typeof key === 'string') {
    const prefix = `${schema.moduleName}:`;
    leaf = schema.byName.get(key.startsWith(prefix) ? key.slice(prefix.length) : key);
    shown = `leaf name ${JSON.stringify(key)}`;
  } else {
    shown = 'a key that is neither a SID nor a name';
  }
  if (!leaf) fail('unknown-leaf', `${schema.containerName} has no ${shown}`, input, { key: typeof key === 'number' || typeof key === 'string' ? key : undefined });
  return leaf;
}

function leafFromCbor(leaf: LeafDefinition, v: CborValue, input: Uint8Array): unknown {
  if (leaf.type === 'assertion') {
    const a = typeof v === 'number' ? assertionFromInt(v) : undefined;
    if (a === undefined) fail('leaf-type', `assertion ${String(v)} is not one of the enum integers 0..3`, input);
    return a;
  }
  if (leaf.type === 'extensions' && Array.isArray(v)) return Object.freeze([...v]);
  return v;
}

/** The artifact in a decoded CBOR value (see decodeVoucherCbor). */
export function voucherFromCborValue(top: CborValue, input: Uint8Array = new Uint8Array(0)): VoucherArtifact {
  if (!(top instanceof Map) || top.size !== 1) fail('malformed', 'voucher data is not a map with exactly one container', input);
  const [[key, body]] = [...top.entries()] as [[CborValue, CborValue]];
  const schema = containerOf(key, input);
  if (!(body instanceof Map)) fail('malformed', `${schema.containerName} is not a map`, input);
  const out: Record<string, unknown> = { kind: schema.kind };
  for (const [k, v] of body) {
    const leaf = leafOf(schema, k, input);
    if (out[leaf.field] !== undefined) fail('malformed', `${leaf.name} appears twice`, input, { leaf: leaf.name });
    const value = leafFromCbor(leaf, v, input);
    checkLeafValue(leaf, value, CBOR_CODE);
    out[leaf.field] = value;
  }
  const a = Object.freeze(out) as unknown as VoucherArtifact;
  checkLeaves(a, CBOR_CODE);
  return a;
}

/**
 * Decodes CBOR voucher or voucher-request data, checking the schema (known SIDs or names only,
 * leaf types, nonce length, RFC 3339 dates). Role rules are left to checkVoucher & co.
 */
export function decodeVoucherCbor(bytes: Uint8Array): VoucherArtifact {
  let top: CborValue;
  try {
    top = decodeCbor(bytes);
  } catch (e) {
    const sid = peekContainerSid(bytes);
    const legacy = sid === undefined ? undefined : LEGACY_CONTAINER_SIDS.get(sid);
    throw new VoucherError(
      legacy ? 'unknown-container' : 'malformed',
      legacy ? `voucher data uses container SID ${sid}, the ${legacy}, and does not decode as RFC 8366bis voucher data` : 'voucher data is not valid CBOR',
      { inputHex: hexPrefix(bytes), ...(sid !== undefined ? { sid } : {}) },
      e,
      CBOR_CODE,
    );
  }
  return voucherFromCborValue(top, bytes);
}
