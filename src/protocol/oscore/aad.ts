/**
 * Additional Authenticated Data (RFC 8613 §5.4):
 *
 *   aad_array = [ oscore_version: uint, algorithms: [alg_aead], request_kid: bstr,
 *                 request_piv: bstr, options: bstr ]
 *   external_aad = bstr .cbor aad_array
 *   AAD = Enc_structure = [ "Encrypt0", h'', external_aad ]        (RFC 9052 §5.3)
 *
 * The same shape serves requests and responses: request_kid and request_piv always come from the
 * request, which is what binds a response to its request (§7.1).
 */
import { encodeCbor } from '../../codec/cbor/cbor.ts';
import type { CoapOption } from '../../codec/coap/message.ts';
import type { Kid, PartialIv } from './ids.ts';
import { encodeOptionList } from './plaintext.ts';

/** RFC 8613 §5.4: implementations of RFC 8613 set oscore_version to 1. */
export const RFC8613_S5_4_OSCORE_VERSION = 1;

/** The CBOR encoding of aad_array. `classI` are Class I options (none are defined today). */
export function encodeAadArray(algAead: number, requestKid: Kid, requestPiv: PartialIv, classI: readonly CoapOption[] = []): Uint8Array {
  return encodeCbor([RFC8613_S5_4_OSCORE_VERSION, [algAead], requestKid, requestPiv, encodeOptionList(classI)]);
}

/** The Enc_structure with the aad_array wrapped as external_aad: the AEAD's associated data. */
export function buildAad(algAead: number, requestKid: Kid, requestPiv: PartialIv, classI: readonly CoapOption[] = []): Uint8Array {
  return encodeCbor(['Encrypt0', new Uint8Array(0), encodeAadArray(algAead, requestKid, requestPiv, classI)]);
}
