/** The request/response values that travel through the endpoint's layers. */
import type { CoapOption } from '../codec/coap/message.ts';
import { utf8 } from '../core/bytes.ts';
import type { StackError, StackErrorCode } from '../core/errors.ts';
import type { PeerAddress } from '../transport/transport.ts';

export interface CoapResponse {
  readonly code: number;
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
}

interface RequestBase {
  readonly method: number;
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
  readonly peer: PeerAddress;
  readonly confirmable: boolean;
}

/** A request received from a peer, on its way up to the handler. */
export interface ServerRequest extends RequestBase {
  readonly messageId: number;
  readonly token: Uint8Array;
  /** Facts that layers learn and pass up (e.g. the OSCORE security context). */
  readonly context: Readonly<Record<string, unknown>>;
}

/** A request of ours on its way down to the wire. */
export interface ClientRequest extends RequestBase {
  /** Preferred block size (16..1024) for Block1 and for early Block2 negotiation. */
  readonly blockSize?: number;
  /** Upper bound for the whole exchange, in ms (including a separate response). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export type ServerNext = (req: ServerRequest) => Promise<CoapResponse>;
export type ClientNext = (req: ClientRequest) => Promise<CoapResponse>;
export type RequestHandler = (req: ServerRequest) => CoapResponse | Promise<CoapResponse>;

/**
 * A layer of the endpoint (californium's stack, aiocoap's interfaces). Layers are listed from the
 * wire upwards: a received request passes layers[0] first; a sent request passes the last first.
 */
export interface Layer {
  readonly name: string;
  /** Critical options this layer understands (others in a request are answered with 4.02). */
  readonly criticalOptions?: readonly number[];
  handleRequest?(req: ServerRequest, next: ServerNext): Promise<CoapResponse>;
  sendRequest?(req: ClientRequest, next: ClientNext): Promise<CoapResponse>;
  close?(): void;
}

const EMPTY = new Uint8Array(0);

export function response(code: number, payload: Uint8Array | string = EMPTY, options: readonly CoapOption[] = []): CoapResponse {
  return { code, options, payload: typeof payload === 'string' ? utf8(payload) : payload };
}

/** Response codes for typed errors that do not name their own answer. */
const CODE_FOR_ERROR: Partial<Record<StackErrorCode, number>> = {
  ERR_COAP_BAD_OPTION: 130, // 4.02
  ERR_BLOCK_MALFORMED: 130, // 4.02
  ERR_COAP_MALFORMED: 128, // 4.00
  ERR_BODY_TOO_LARGE: 141, // 4.13
};

/** The CoAP answer a typed error asks for, the usual one for its code, or the fallback (5.00). */
export function errorResponse(err: StackError | undefined, fallback: number, diagnostic?: string): CoapResponse {
  const answer = err?.details.answer;
  const code = answer?.kind === 'response' && answer.code !== undefined ? answer.code : ((err && CODE_FOR_ERROR[err.code]) ?? fallback);
  const text = answer?.payload ?? diagnostic ?? err?.message ?? '';
  return response(code, text.slice(0, 120));
}
