/**
 * The JSON serialization of voucher data (RFC 8366 §5.3, RFC 8995 §3, RFC 7951 YANG-JSON):
 *
 *   {"ietf-voucher:voucher": {"assertion": "logged", "created-on": "…", "nonce": "<base64>", …}}
 *   {"ietf-voucher-request:voucher": {…}}
 *
 * Enumerations are their names, binary leaves base64 (RFC 7951 §6.6; manufacturer-proprietary is
 * base64url per RFC 8366bis), booleans JSON booleans. Decoding accepts either base64 alphabet for
 * binary leaves, because deployed MASAs (the RFC 8995 Appendix C examples among them) write the
 * nonce in base64url without padding; anything else that is not in the schema is refused.
 */
import { fromUtf8, utf8 } from '../../core/bytes.ts';
import { VOUCHER_REQUEST_SCHEMA, VOUCHER_SCHEMA, type ArtifactSchema, type LeafDefinition } from './sid.ts';
import { checkLeafValue, checkLeaves, presentLeaves, type VoucherArtifact } from './voucher-data.ts';
import { VoucherError } from './voucher-error.ts';

const JSON_CODE = 'ERR_INVALID_ARGUMENT' as const;

function toBase64(b: Uint8Array, url: boolean): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString(url ? 'base64url' : 'base64');
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const B64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

/** Base64 (RFC 4648 §4) or base64url (§5), padded or not; undefined for anything else. */
export function decodeBase64Strict(s: string): Uint8Array | undefined {
  if (B64.test(s)) return new Uint8Array(Buffer.from(s, 'base64'));
  if (B64URL.test(s)) return new Uint8Array(Buffer.from(s, 'base64url'));
  return undefined;
}

/** The JSON object of an artifact (checked against the schema first). */
export function voucherToJsonObject(a: VoucherArtifact): Record<string, Record<string, unknown>> {
  checkLeaves(a);
  const schema = a.kind === 'voucher' ? VOUCHER_SCHEMA : VOUCHER_REQUEST_SCHEMA;
  const inner: Record<string, unknown> = {};
  for (const leaf of presentLeaves(a)) {
    const v = (a as unknown as Record<string, unknown>)[leaf.field];
    inner[leaf.name] = v instanceof Uint8Array ? toBase64(v, leaf.field === 'manufacturerProprietary') : Array.isArray(v) ? v.map(String) : v;
  }
  return { [schema.containerName]: inner };
}

/** UTF-8 JSON text of voucher or voucher-request data (compact, leaves in schema order). */
export function encodeVoucherJson(a: VoucherArtifact): Uint8Array {
  return utf8(JSON.stringify(voucherToJsonObject(a)));
}

function fail(reason: 'malformed' | 'unknown-container' | 'unknown-leaf' | 'leaf-type', message: string, extra: Record<string, unknown> = {}): never {
  throw new VoucherError(reason, message, extra, undefined, JSON_CODE);
}

function leafFromJson(leaf: LeafDefinition, v: unknown): unknown {
  if (leaf.type === 'binary') {
    if (typeof v !== 'string') fail('leaf-type', `${leaf.name}: not a base64 string`, { leaf: leaf.name });
    const b = decodeBase64Strict(v as string);
    if (!b) fail('leaf-type', `${leaf.name}: not base64`, { leaf: leaf.name });
    return b;
  }
  if (leaf.type === 'extensions' && Array.isArray(v)) return Object.freeze([...v]);
  return v;
}

/** The artifact in a parsed JSON value (see decodeVoucherJson). */
export function voucherFromJsonObject(top: unknown): VoucherArtifact {
  if (typeof top !== 'object' || top === null || Array.isArray(top)) fail('malformed', 'voucher JSON is not an object');
  const keys = Object.keys(top as object);
  if (keys.length !== 1) fail('malformed', `voucher JSON must have exactly one member, has ${keys.length}`);
  const schema: ArtifactSchema | undefined = [VOUCHER_SCHEMA, VOUCHER_REQUEST_SCHEMA].find((s) => s.containerName === keys[0]);
  if (!schema) fail('unknown-container', `unknown voucher container ${JSON.stringify(keys[0])}`);
  const body = (top as Record<string, unknown>)[keys[0]!];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('malformed', `${schema.containerName} is not an object`);
  const out: Record<string, unknown> = { kind: schema.kind };
  for (const [name, v] of Object.entries(body as Record<string, unknown>)) {
    const prefix = `${schema.moduleName}:`;
    const leaf = schema.byName.get(name.startsWith(prefix) ? name.slice(prefix.length) : name);
    if (!leaf) fail('unknown-leaf', `${schema.containerName} has no leaf ${JSON.stringify(name)}`, { leaf: name });
    if (out[leaf.field] !== undefined) fail('malformed', `${leaf.name} appears twice`, { leaf: leaf.name });
    const value = leafFromJson(leaf, v);
    checkLeafValue(leaf, value, JSON_CODE);
    out[leaf.field] = value;
  }
  const a = Object.freeze(out) as unknown as VoucherArtifact;
  checkLeaves(a, JSON_CODE);
  return a;
}

/** Decodes JSON voucher or voucher-request data (UTF-8 bytes or text), checking the schema. */
export function decodeVoucherJson(input: Uint8Array | string): VoucherArtifact {
  let text: string;
  try {
    text = typeof input === 'string' ? input : fromUtf8(input);
  } catch (e) {
    throw new VoucherError('malformed', 'voucher JSON is not UTF-8', {}, e, JSON_CODE);
  }
  let top: unknown;
  try {
    top = JSON.parse(text);
  } catch (e) {
    throw new VoucherError('malformed', `voucher JSON does not parse: ${(e as Error).message}`, {}, e, JSON_CODE);
  }
  return voucherFromJsonObject(top);
}
