/**
 * Connection identifiers and the byte-string identifier representation (RFC 9528 §3.3.2):
 * a one-byte byte string whose value is the one-byte CBOR encoding of an integer in −24..23 is
 * sent as that integer; every other byte string is sent as a CBOR bstr. The same rule applies to
 * a compact 'kid' in ID_CRED_x (§3.5.3.2).
 */
import type { CborValue } from '../../codec/cbor/cbor.ts';
import { encodeCbor } from '../../codec/cbor/cbor.ts';
import { fromHex, toHex } from '../../core/bytes.ts';
import { EdhocError } from './edhoc-error.ts';

/** C_I or C_R: a byte string, branded so that it cannot be mixed up with a kid or token. */
export type ConnectionId = Uint8Array & { readonly __brand: 'EdhocConnectionId' };

/** Brands bytes (or hex) as a connection identifier. */
export function connectionId(id: Uint8Array | string): ConnectionId {
  const b = typeof id === 'string' ? fromHex(id) : Uint8Array.prototype.slice.call(id);
  return b as ConnectionId;
}

/** True for a byte that is the one-byte CBOR encoding of an integer (0x00–0x17, 0x20–0x37). */
export function isOneByteInt(byte: number): boolean {
  return (byte >= 0x00 && byte <= 0x17) || (byte >= 0x20 && byte <= 0x37);
}

/** The CBOR value that represents a byte-string identifier on the wire (§3.3.2). */
export function identifierToCbor(id: Uint8Array): CborValue {
  if (id.length === 1 && isOneByteInt(id[0]!)) {
    const b = id[0]!;
    return b <= 0x17 ? b : -1 - (b - 0x20);
  }
  return Uint8Array.prototype.slice.call(id);
}

/** The encoded identifier, e.g. for prepending to a CoAP payload (Appendix A.2). */
export function encodeIdentifier(id: Uint8Array): Uint8Array {
  return encodeCbor(identifierToCbor(id));
}

/** The byte string an on-the-wire identifier stands for; EdhocError when it is not one. */
export function identifierFromCbor(v: CborValue, what: string): Uint8Array {
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (v >= 0 && v <= 23) return Uint8Array.of(v);
    if (v >= -24 && v < 0) return Uint8Array.of(0x20 + (-1 - v));
    throw EdhocError.malformed(what, `integer ${v} is outside −24..23`);
  }
  if (v instanceof Uint8Array) {
    if (v.length === 1 && isOneByteInt(v[0]!)) throw EdhocError.malformed(what, `byte string h'${toHex(v)}' must be sent as an integer`);
    return v;
  }
  throw EdhocError.malformed(what, 'neither a byte string nor an integer in −24..23');
}

/** A connection identifier decoded from the wire. */
export function connectionIdFromCbor(v: CborValue, what: string): ConnectionId {
  return identifierFromCbor(v, what) as ConnectionId;
}
