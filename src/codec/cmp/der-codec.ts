/**
 * Strict DER decode and encode of any asn1-schema type, with the errors of DESIGN §6:
 * decode failures are StackError ERR_CMP_MALFORMED (offset where known, a hex prefix of the
 * input, the third-party error as cause), encode failures ERR_INVALID_ARGUMENT.
 *
 * Strict means: after decoding, the value is encoded again and must give the input back byte
 * for byte. CMP protection and POP signatures are over DER, so BER input, trailing bytes and
 * fields the schema does not know (which asn1-schema would silently drop) are refused.
 */
import type * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { StackError, hexPrefix } from '../../core/errors.ts';
import { Asn1ReadError, readElement } from './asn1-support.ts';

export interface DecodeOptions {
  /** Names the value in error messages (default: the type's name). */
  readonly what?: string;
  /** Parser limits (default BER_LIMITS: depth 64, 20000 nodes, 1 MiB per element). */
  readonly limits?: asn1js.FromBerOptions;
  /** Looks at the parsed element before the schema does; throws StackError to refuse it. */
  readonly precheck?: (root: asn1js.AsnType) => void;
}

/** Decodes `der` as `type`, strictly. */
export function decodeAsn1<T extends object>(der: Uint8Array, type: new () => T, options: DecodeOptions = {}): T {
  const { what = type.name, limits, precheck } = options;
  const malformed = (message: string, cause?: unknown, offset?: number): StackError =>
    new StackError('ERR_CMP_MALFORMED', `${what}: ${message}`, { ...(offset === undefined ? {} : { offset }), inputHex: hexPrefix(der) }, cause);

  let value: T;
  try {
    const root = readElement(der, limits);
    precheck?.(root);
    value = AsnParser.fromASN(root, type);
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw malformed(messageOf(e), e, e instanceof Asn1ReadError ? e.offset : undefined);
  }

  let again: Uint8Array;
  try {
    again = new Uint8Array(AsnSerializer.serialize(value));
  } catch (e) {
    throw malformed(`decoded value does not encode again: ${messageOf(e)}`, e);
  }
  const at = firstDifference(der, again);
  if (at !== -1) {
    throw malformed(
      `not DER, or holds fields this codec does not know: re-encoding differs at offset ${at} (${der.length} bytes in, ${again.length} out)`,
      undefined,
      at,
    );
  }
  return value;
}

/** DER of a schema value (of this module or of @peculiar/asn1-*); `what` names it in errors. */
export function encodeAsn1(value: object, what: string = value.constructor.name): Uint8Array {
  try {
    return new Uint8Array(AsnSerializer.serialize(value));
  } catch (e) {
    throw new StackError('ERR_INVALID_ARGUMENT', `cannot encode ${what}: ${messageOf(e)}`, {}, e);
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
