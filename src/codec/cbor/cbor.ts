/**
 * CBOR (RFC 8949) through cbor-x, set up for deterministic encoding (§4.2): preferred (shortest)
 * integer and length encodings, definite lengths, no record or typed-array tag extensions, map
 * keys in bytewise order of their encodings. Decoding returns Maps for maps and Uint8Arrays for
 * byte strings, and throws only StackError('ERR_CBOR_MALFORMED').
 */
import { Decoder, Encoder } from 'cbor-x';
import { StackError, hexPrefix } from '../../core/errors.ts';

export type CborValue = number | bigint | string | boolean | null | undefined | Uint8Array | CborValue[] | Map<CborValue, CborValue> | CborTag;

/** A tagged item (e.g. tag 24 for embedded CBOR, or COSE_Sign1's tag 18). */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  useFloat32: 0,
  largeBigIntToFloat: false,
  structuredClone: false,
  pack: false,
});

const decoder = new Decoder({ useRecords: false, mapsAsObjects: false, structuredClone: false, int64AsType: 'number' } as ConstructorParameters<typeof Decoder>[0]);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Rewrites values so cbor-x emits them deterministically (sorted map keys, tags as cbor-x tags). */
function prepare(v: CborValue): unknown {
  if (v instanceof Map) {
    const entries = [...v.entries()].map(([k, val]) => ({ k: prepare(k), enc: encoder.encode(prepare(k)), val: prepare(val) }));
    entries.sort((x, y) => compareBytes(x.enc, y.enc));
    return new Map(entries.map((e) => [e.k, e.val]));
  }
  if (Array.isArray(v)) return v.map(prepare);
  if (v instanceof CborTag) return new CborXTag(prepare(v.value), v.tag);
  if (v instanceof Uint8Array && !(v instanceof Buffer)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new StackError('ERR_INVALID_ARGUMENT', `floating-point value ${v} is not used in these protocols`);
    // cbor-x writes integers beyond 32 bits as floats; as BigInt they get major type 0/1.
    if (v > 0xffffffff || v < -0x100000000) return BigInt(v);
  }
  return v;
}

// cbor-x exposes its Tag class on the package; imported lazily to keep types simple.
import { Tag as CborXTag } from 'cbor-x';

export function encodeCbor(value: CborValue): Uint8Array {
  const out = encoder.encode(prepare(value));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Concatenated encodings of a CBOR Sequence (RFC 8742). */
export function encodeCborSequence(values: readonly CborValue[]): Uint8Array {
  const parts = values.map(encodeCbor);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function normalize(v: unknown): CborValue {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) {
    const m = new Map<CborValue, CborValue>();
    for (const [k, val] of v) m.set(normalize(k), normalize(val));
    return m;
  }
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  if (v instanceof CborXTag) return new CborTag((v as { tag: number }).tag, normalize((v as { value: unknown }).value));
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  throw new StackError('ERR_CBOR_MALFORMED', `unsupported CBOR item (${Object.prototype.toString.call(v)})`);
}

function malformed(input: Uint8Array, cause: unknown): StackError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new StackError('ERR_CBOR_MALFORMED', `invalid CBOR: ${msg}`, { inputHex: hexPrefix(input) }, cause);
}

/** Decodes exactly one CBOR item; trailing bytes are an error. */
export function decodeCbor(input: Uint8Array): CborValue {
  const items = decodeCborSequence(input);
  if (items.length !== 1) throw new StackError('ERR_CBOR_MALFORMED', `expected one CBOR item, found ${items.length}`, { inputHex: hexPrefix(input) });
  return items[0]!;
}

/** Decodes a CBOR Sequence (RFC 8742) into its items. */
export function decodeCborSequence(input: Uint8Array): CborValue[] {
  if (input.length === 0) return [];
  let raw: unknown[];
  try {
    raw = decoder.decodeMultiple(Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as unknown[];
  } catch (e) {
    throw malformed(input, e);
  }
  return raw.map(normalize);
}
