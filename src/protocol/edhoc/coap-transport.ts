/**
 * EDHOC over CoAP (RFC 9528 Appendix A.2): POST to /.well-known/edhoc, answered with 2.04.
 * Requests from the client carry a prefix so the server can correlate them: message_1 is preceded
 * by CBOR `true` (0xf5); later messages (message_3, or an error) by the connection identifier the
 * server chose (C_R in the forward flow), in its §3.3.2 representation. Responses carry no prefix.
 *
 * Content-Formats (§10.9): 64 application/edhoc+cbor-seq, 65 application/cid-edhoc+cbor-seq.
 * Error messages sent as responses use an error code (4.00 for client errors, 5.00 for server
 * errors) with Content-Format 64 (Appendix A.2.3).
 */
import { ContentFormat } from '../../codec/coap/numbers/content-formats.ts';
import { concatBytes } from '../../core/bytes.ts';
import { firstItemLength } from './cbor-items.ts';
import { decodeCbor } from '../../codec/cbor/cbor.ts';
import { EdhocError } from './edhoc-error.ts';
import { connectionIdFromCbor, encodeIdentifier, type ConnectionId } from './identifiers.ts';

/** Uri-Path segments of the EDHOC resource (RFC 9528 §10.7). */
export const EDHOC_WELL_KNOWN_PATH: readonly string[] = Object.freeze(['.well-known', 'edhoc']);
/** Resource type of the EDHOC resource (RFC 9528 §10.10). */
export const EDHOC_RESOURCE_TYPE = 'core.edhoc';
/** application/edhoc+cbor-seq */
export const CF_EDHOC_CBOR_SEQ = ContentFormat.EDHOC_CBOR_SEQ;
/** application/cid-edhoc+cbor-seq */
export const CF_CID_EDHOC_CBOR_SEQ = ContentFormat.CID_EDHOC_CBOR_SEQ;
/** CBOR `true`, prefixed to message_1 to mark a new session. */
export const MESSAGE_1_PREFIX = 0xf5;

/** The request payload for message_1: 0xf5 ‖ message_1 (Content-Format 65). */
export function frameMessage1(message1: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(MESSAGE_1_PREFIX), message1);
}

/** The request payload for a later message: the peer's connection identifier ‖ message (Content-Format 65). */
export function frameWithConnectionId(peerConnectionId: Uint8Array, message: Uint8Array): Uint8Array {
  return concatBytes(encodeIdentifier(peerConnectionId), message);
}

export type EdhocRequestPayload =
  | { readonly kind: 'message_1'; readonly message: Uint8Array }
  | { readonly kind: 'correlated'; readonly connectionId: ConnectionId; readonly message: Uint8Array };

/** Splits a request payload into its prefix and the EDHOC message (server side). */
export function parseEdhocRequest(payload: Uint8Array): EdhocRequestPayload {
  if (payload.length === 0) throw EdhocError.malformed('EDHOC request', 'empty payload');
  if (payload[0] === MESSAGE_1_PREFIX) return { kind: 'message_1', message: payload.slice(1) };
  const n = firstItemLength(payload, 'EDHOC request');
  let v;
  try {
    v = decodeCbor(payload.subarray(0, n));
  } catch (e) {
    throw EdhocError.malformed('EDHOC request', 'undecodable connection identifier', {}, e);
  }
  return { kind: 'correlated', connectionId: connectionIdFromCbor(v, 'connection identifier prefix'), message: payload.slice(n) };
}
