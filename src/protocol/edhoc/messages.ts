/**
 * EDHOC message codecs (RFC 9528 §5, Appendix C.2):
 *
 *   message_1   = ( METHOD : int, SUITES_I : suites, G_X : bstr, C_I : bstr / −24..23, ? EAD_1 )
 *   suites      = [ 2* int ] / int
 *   message_2   = ( G_Y_CIPHERTEXT_2 : bstr )
 *   PLAINTEXT_2 = ( C_R, ID_CRED_R : map / bstr / −24..23, Signature_or_MAC_2 : bstr, ? EAD_2 )
 *   message_3   = ( CIPHERTEXT_3 : bstr )
 *   PLAINTEXT_3 = ( ID_CRED_I : map / bstr / −24..23, Signature_or_MAC_3 : bstr, ? EAD_3 )
 *   message_4   = ( CIPHERTEXT_4 : bstr )
 *   PLAINTEXT_4 = ( ? EAD_4 )
 *   error       = ( ERR_CODE : int, ERR_INFO : any )
 *
 * Decoders accept only the preferred CBOR serialization and throw only EdhocError (a StackError).
 */
import { encodeCbor, encodeCborSequence } from '../../codec/cbor/cbor.ts';
import { concatBytes } from '../../core/bytes.ts';
import { readSequence, type CborItem } from './cbor-items.ts';
import { encodeEad, parseEad, type EadItem } from './ead.ts';
import { EDHOC_ERR_UNKNOWN_CREDENTIAL, EDHOC_ERR_UNSPECIFIED, EDHOC_ERR_WRONG_SELECTED_SUITE, EdhocError, type EdhocErrorMessage } from './edhoc-error.ts';
import { IdCred } from './id-cred.ts';
import { connectionIdFromCbor, encodeIdentifier, type ConnectionId } from './identifiers.ts';

const EMPTY = new Uint8Array(0);

// ---- message_1 ------------------------------------------------------------------------------

export interface Message1 {
  readonly method: number;
  /** SUITES_I in the Initiator's order of preference; the last one is the selected suite. */
  readonly suitesI: readonly number[];
  readonly gX: Uint8Array;
  readonly cI: ConnectionId;
  readonly ead1: readonly EadItem[];
}

function encodeSuites(suites: readonly number[]): number | number[] {
  return suites.length === 1 ? suites[0]! : [...suites];
}

export function encodeMessage1(m: Message1): Uint8Array {
  if (m.suitesI.length === 0) throw new EdhocError('SUITES_I is empty');
  return concatBytes(encodeCborSequence([m.method, encodeSuites(m.suitesI), m.gX]), encodeIdentifier(m.cI), encodeEad(m.ead1));
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** SUITES_I / SUITES_R: an int, or an array of at least two ints. */
export function decodeSuites(v: unknown, what: string): number[] {
  if (isInt(v)) return [v];
  if (Array.isArray(v) && v.length >= 2 && v.every(isInt)) return v as number[];
  throw EdhocError.malformed(what, 'suites is neither an int nor an array of at least two ints');
}

export function decodeMessage1(bytes: Uint8Array): Message1 {
  const items = readSequence(bytes, 'message_1');
  if (items.length < 4) throw EdhocError.malformed('message_1', `${items.length} CBOR items, at least 4 expected`);
  const [method, suites, gX, cI] = items;
  if (!isInt(method!.value)) throw EdhocError.malformed('message_1', 'METHOD is not an integer');
  const suitesI = decodeSuites(suites!.value, 'message_1');
  if (!(gX!.value instanceof Uint8Array)) throw EdhocError.malformed('message_1', 'G_X is not a byte string');
  return {
    method: method!.value,
    suitesI,
    gX: gX!.value,
    cI: connectionIdFromCbor(cI!.value, 'C_I'),
    ead1: parseEad(items.slice(4), 'EAD_1'),
  };
}

// ---- message_2 / 3 / 4: one bstr ------------------------------------------------------------

function decodeSingleBstr(bytes: Uint8Array, what: string): Uint8Array {
  const items = readSequence(bytes, what);
  if (items.length !== 1) throw EdhocError.malformed(what, `${items.length} CBOR items, exactly 1 expected`);
  const v = items[0]!.value;
  if (!(v instanceof Uint8Array)) throw EdhocError.malformed(what, 'not a byte string');
  return v;
}

export function encodeMessage2(gY: Uint8Array, ciphertext2: Uint8Array): Uint8Array {
  return encodeCbor(concatBytes(gY, ciphertext2));
}

/** Splits G_Y_CIPHERTEXT_2 at the public key length. */
export function decodeMessage2(bytes: Uint8Array, publicKeyLength: number): { gY: Uint8Array; ciphertext2: Uint8Array } {
  const v = decodeSingleBstr(bytes, 'message_2');
  if (v.length <= publicKeyLength) throw EdhocError.malformed('message_2', `G_Y_CIPHERTEXT_2 of ${v.length} bytes leaves no CIPHERTEXT_2`);
  return { gY: v.slice(0, publicKeyLength), ciphertext2: v.slice(publicKeyLength) };
}

export function encodeMessage3(ciphertext3: Uint8Array): Uint8Array {
  return encodeCbor(ciphertext3);
}

export function decodeMessage3(bytes: Uint8Array): Uint8Array {
  return decodeSingleBstr(bytes, 'message_3');
}

export function encodeMessage4(ciphertext4: Uint8Array): Uint8Array {
  return encodeCbor(ciphertext4);
}

export function decodeMessage4(bytes: Uint8Array): Uint8Array {
  return decodeSingleBstr(bytes, 'message_4');
}

// ---- plaintexts -----------------------------------------------------------------------------

export interface Plaintext2 {
  readonly cR: ConnectionId;
  readonly idCredR: IdCred;
  readonly signatureOrMac2: Uint8Array;
  readonly ead2: readonly EadItem[];
  /** The encoded C_R item and EAD_2 items as carried (for context_2). */
  readonly cRRaw: Uint8Array;
  readonly ead2Raw: Uint8Array;
}

export function encodePlaintext2(cR: Uint8Array, idCredR: IdCred, signatureOrMac2: Uint8Array, ead2Raw: Uint8Array): Uint8Array {
  return concatBytes(encodeIdentifier(cR), idCredR.plaintextItem(), encodeCbor(signatureOrMac2), ead2Raw);
}

function rawOf(items: readonly CborItem[]): Uint8Array {
  return items.length === 0 ? EMPTY : concatBytes(...items.map((i) => i.raw));
}

export function decodePlaintext2(bytes: Uint8Array): Plaintext2 {
  const items = readSequence(bytes, 'PLAINTEXT_2');
  if (items.length < 3) throw EdhocError.malformed('PLAINTEXT_2', `${items.length} CBOR items, at least 3 expected`);
  const [cR, idCred, sig] = items;
  if (!(sig!.value instanceof Uint8Array)) throw EdhocError.malformed('PLAINTEXT_2', 'Signature_or_MAC_2 is not a byte string');
  return {
    cR: connectionIdFromCbor(cR!.value, 'C_R'),
    idCredR: IdCred.fromPlaintextItem(idCred!, 'ID_CRED_R'),
    signatureOrMac2: sig!.value,
    ead2: parseEad(items.slice(3), 'EAD_2'),
    cRRaw: Uint8Array.prototype.slice.call(cR!.raw),
    ead2Raw: rawOf(items.slice(3)),
  };
}

export interface Plaintext3 {
  readonly idCredI: IdCred;
  readonly signatureOrMac3: Uint8Array;
  readonly ead3: readonly EadItem[];
  readonly ead3Raw: Uint8Array;
}

export function encodePlaintext3(idCredI: IdCred, signatureOrMac3: Uint8Array, ead3Raw: Uint8Array): Uint8Array {
  return concatBytes(idCredI.plaintextItem(), encodeCbor(signatureOrMac3), ead3Raw);
}

export function decodePlaintext3(bytes: Uint8Array): Plaintext3 {
  const items = readSequence(bytes, 'PLAINTEXT_3');
  if (items.length < 2) throw EdhocError.malformed('PLAINTEXT_3', `${items.length} CBOR items, at least 2 expected`);
  const [idCred, sig] = items;
  if (!(sig!.value instanceof Uint8Array)) throw EdhocError.malformed('PLAINTEXT_3', 'Signature_or_MAC_3 is not a byte string');
  return {
    idCredI: IdCred.fromPlaintextItem(idCred!, 'ID_CRED_I'),
    signatureOrMac3: sig!.value,
    ead3: parseEad(items.slice(2), 'EAD_3'),
    ead3Raw: rawOf(items.slice(2)),
  };
}

export function decodePlaintext4(bytes: Uint8Array): readonly EadItem[] {
  return parseEad(readSequence(bytes, 'PLAINTEXT_4'), 'EAD_4');
}

// ---- error ----------------------------------------------------------------------------------

/** True when bytes start like an error message (an int) rather than message_2/3/4 (a bstr). */
export function isErrorMessage(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0]! >> 5 <= 1;
}

export function decodeErrorMessage(bytes: Uint8Array): EdhocErrorMessage {
  const items = readSequence(bytes, 'error');
  if (items.length !== 2) throw EdhocError.malformed('error', `${items.length} CBOR items, exactly 2 expected`);
  const [code, info] = items;
  if (!isInt(code!.value)) throw EdhocError.malformed('error', 'ERR_CODE is not an integer');
  const c = code!.value;
  const i = info!.value;
  if (c === EDHOC_ERR_UNSPECIFIED && typeof i !== 'string') throw EdhocError.malformed('error', 'ERR_INFO of error code 1 is not a text string');
  if (c === EDHOC_ERR_WRONG_SELECTED_SUITE) decodeSuites(i, 'error');
  if (c === EDHOC_ERR_UNKNOWN_CREDENTIAL && i !== true) throw EdhocError.malformed('error', 'ERR_INFO of error code 3 is not true');
  return { code: c, info: i };
}
