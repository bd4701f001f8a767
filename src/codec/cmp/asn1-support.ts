/**
 * Small pieces that make @peculiar/asn1-schema fit CMP: converters for the value shapes we
 * want (Uint8Array, safe integers), a block that writes stored DER verbatim, and a property
 * type for an OPTIONAL CHOICE that asn1-schema would otherwise match as ANY.
 */
import * as asn1js from 'asn1js';
import { AsnParser, type IAsnConverter, type IAsnConvertible } from '@peculiar/asn1-schema';

/** An ArrayBuffer holding exactly the bytes of `u8` (asn1js and asn1-schema want ArrayBuffers). */
export function toArrayBuffer(u8: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(u8.byteLength);
  new Uint8Array(out).set(u8);
  return out;
}

/** Limits for one untrusted message (asn1js defaults are depth 100, 10000 nodes, 16 MiB). */
export const BER_LIMITS: asn1js.FromBerOptions = { maxDepth: 64, maxNodes: 20_000, maxContentLength: 1 << 20 };

/** Thrown for encodings asn1js cannot read; carries the offset where known. */
export class Asn1ReadError extends Error {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.offset = offset;
  }
}

/** One BER/DER element spanning all of `der`; throws Asn1ReadError otherwise. */
export function readElement(der: Uint8Array, limits: asn1js.FromBerOptions = BER_LIMITS): asn1js.AsnType {
  if (der.byteLength === 0) throw new Asn1ReadError('empty input', 0);
  const parsed = asn1js.fromBER(der, limits);
  if (parsed.offset === -1 || parsed.result.error) {
    throw new Asn1ReadError(`not valid DER: ${parsed.result.error || 'unreadable element'}`);
  }
  if (parsed.offset !== der.byteLength) {
    throw new Asn1ReadError(`${der.byteLength - parsed.offset} bytes after the end of the element`, parsed.offset);
  }
  return parsed.result;
}

/** The original encoding of a parsed asn1js block, as an owned copy. */
export function encodingOf(block: asn1js.AsnType): Uint8Array {
  return Uint8Array.prototype.slice.call((block as asn1js.BaseBlock).valueBeforeDecodeView);
}

/**
 * An asn1js block that serializes to stored DER unchanged. Used for signed objects
 * (certificates, PKCS#10 requests) whose bytes must survive a decode/encode cycle exactly.
 */
export class RawDerBlock extends asn1js.BaseBlock {
  readonly #der: Uint8Array;

  constructor(der: Uint8Array) {
    super({});
    this.#der = der;
  }

  override toBER(_sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    const buf = toArrayBuffer(this.#der);
    if (writer) {
      writer.write(buf);
      return new ArrayBuffer(0);
    }
    return buf;
  }
}

/** INTEGER <-> number, refusing values outside Number.MAX_SAFE_INTEGER (ids, status, seconds). */
export const SafeIntegerConverter: IAsnConverter<number, asn1js.Integer> = {
  fromASN(value: asn1js.Integer): number {
    if (value.valueBlock.valueHexView.byteLength > 7) {
      throw new RangeError(`INTEGER of ${value.valueBlock.valueHexView.byteLength} bytes is too large here`);
    }
    const n = Number(value.toBigInt());
    if (!Number.isSafeInteger(n)) throw new RangeError(`INTEGER ${n} is not a safe integer`);
    return n;
  },
  toASN(value: number): asn1js.Integer {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
    return asn1js.Integer.fromBigInt(BigInt(value));
  },
};

/** INTEGER <-> its two's-complement content octets, unchanged (serial numbers). */
export const IntegerBytesConverter: IAsnConverter<Uint8Array, asn1js.Integer> = {
  fromASN(value: asn1js.Integer): Uint8Array {
    return Uint8Array.prototype.slice.call(value.valueBlock.valueHexView);
  },
  toASN(value: Uint8Array): asn1js.Integer {
    return new asn1js.Integer({ valueHex: toArrayBuffer(value) });
  },
};

/** OCTET STRING <-> Uint8Array (asn1-schema's default gives ArrayBuffer). */
export const OctetBytesConverter: IAsnConverter<Uint8Array, asn1js.OctetString> = {
  fromASN(value: asn1js.OctetString): Uint8Array {
    if (value.valueBlock.isConstructed) throw new TypeError('constructed OCTET STRING is not DER');
    return Uint8Array.prototype.slice.call(value.valueBlock.valueHexView);
  },
  toASN(value: Uint8Array): asn1js.OctetString {
    return new asn1js.OctetString({ valueHex: toArrayBuffer(value) });
  },
};

/** The context tags of a CHOICE's alternatives: [tag number, constructed]. */
export type ChoiceTags = readonly (readonly [number, boolean])[];

/**
 * A property type for `field CHOICE OPTIONAL` when every alternative has a context tag.
 * asn1-schema builds an OPTIONAL CHOICE as ANY, which also matches (and swallows) the next
 * field when the CHOICE is absent. This slot matches only the given tags and parses into
 * `type`; the value stored on the object is a plain `type` instance, serialized as usual.
 */
export function taggedChoiceSlot<T extends object>(type: new () => T, tags: ChoiceTags): new () => IAsnConvertible {
  return class TaggedChoiceSlot implements IAsnConvertible {
    fromASN(asn: asn1js.AsnType): this {
      return AsnParser.fromASN(asn, type) as unknown as this;
    }

    toASN(): asn1js.AsnType {
      throw new TypeError(`${type.name} slot is only a schema`);
    }

    toSchema(name: string): asn1js.BaseBlock {
      const value = tags.map(([tagNumber, constructed]) => {
        const params = { name, idBlock: { tagClass: 3, tagNumber } };
        return constructed ? new asn1js.Constructed(params) : new asn1js.Primitive(params);
      });
      return new asn1js.Choice({ value }) as unknown as asn1js.BaseBlock;
    }
  };
}
