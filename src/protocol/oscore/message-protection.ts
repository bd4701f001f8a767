/**
 * Protecting and verifying OSCORE requests and responses (RFC 8613 §8.1-§8.4). Pure functions on
 * a message's code, options and payload; the CoAP header (type, Message ID, token) is untouched
 * (Class U, Figure 6).
 *
 *   client: protectRequest(ctx, req)        -> { message, binding }    §8.1
 *   server: verifyRequest(lookup, message)  -> { request, binding }    §8.2
 *   server: protectResponse(binding, res)   -> message                 §8.3
 *   client: verifyResponse(binding, message) -> response               §8.4
 *
 * The binding is the association (Token -> security context, request kid, request Partial IV)
 * that §8 asks both ends to keep until the response is done.
 */
import type { CoapOption } from '../../codec/coap/message.ts';
import { Code, isRequestCode, isResponseCode } from '../../codec/coap/numbers/codes.ts';
import { Opt } from '../../codec/coap/numbers/options.ts';
import { bytesEqual, toHex } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import { buildAad } from './aad.ts';
import { cannotDecode, contextNotFound, decryptionFailed, replayDetected, responseRejected } from './errors.ts';
import { decodePartialIv, encodePartialIv, type IdContext, type Kid, type PartialIv } from './ids.ts';
import { decodeOscoreOption, encodeOscoreOption, type OscoreOption } from './oscore-option.ts';
import { mergeOptions, splitOptions } from './option-classes.ts';
import { decodePlaintext, encodePlaintext, type CoapParts } from './plaintext.ts';
import type { SecurityContext } from './security-context.ts';

export type { CoapParts };

/** The request facts a response is protected and verified with (§7.1, §8). */
export class RequestBinding {
  readonly #nonce: Uint8Array;
  #requestNonceUsed = false;

  constructor(
    readonly context: SecurityContext,
    /** 'kid' of the request: the client's Sender ID. */
    readonly requestKid: Kid,
    readonly requestPiv: PartialIv,
    readonly kidContext: IdContext | undefined,
    /** The request was an Observe registration or cancellation. */
    readonly observe: boolean,
    nonce: Uint8Array,
  ) {
    this.#nonce = nonce;
  }

  get sequenceNumber(): number {
    return decodePartialIv(this.requestPiv);
  }

  /** The request's AEAD nonce (secret-derived: for test vectors only). */
  exportNonce(): Uint8Array {
    return this.#nonce.slice();
  }

  /** @internal The request nonce, for the one response that may reuse it (§5.2, §8.3 step 3). */
  takeRequestNonce(): Uint8Array {
    if (this.#requestNonceUsed) {
      throw new StackError('ERR_INVALID_ARGUMENT', 'the request nonce was already used for a response; later responses need their own Partial IV');
    }
    this.#requestNonceUsed = true;
    return this.#nonce;
  }

  /** @internal */
  requestNonce(): Uint8Array {
    return this.#nonce;
  }

  toJSON(): Record<string, string> {
    return { requestKid: toHex(this.requestKid), requestPiv: toHex(this.requestPiv), context: this.context.key };
  }
}

export interface ProtectedRequest {
  readonly message: CoapParts;
  readonly binding: RequestBinding;
}

export interface VerifiedRequest {
  readonly request: CoapParts;
  readonly binding: RequestBinding;
}

/** Where the server finds Recipient Contexts: a registry's `find`, or a function like it. */
export type ContextLookup = { find(kid: Kid, kidContext?: IdContext): readonly SecurityContext[] } | ((kid: Kid, kidContext?: IdContext) => readonly SecurityContext[]);

const sorted = (o: CoapOption[]): CoapOption[] => o.sort((a, b) => a.number - b.number);

function hasObserve(options: readonly CoapOption[]): boolean {
  return options.some((o) => o.number === Opt.OBSERVE);
}

/** The single OSCORE option of a message, or a 4.02 error. */
function oscoreOptionOf(options: readonly CoapOption[], onMissing: (msg: string) => StackError): OscoreOption {
  let value: Uint8Array | undefined;
  for (const o of options) {
    if (o.number !== Opt.OSCORE) continue;
    if (value !== undefined) throw onMissing('the OSCORE option is repeated');
    value = o.value;
  }
  if (value === undefined) throw onMissing('no OSCORE option');
  return decodeOscoreOption(value);
}

/** §8.1: protects a request with the Sender Context. Takes one Sender Sequence Number. */
export function protectRequest(ctx: SecurityContext, req: CoapParts): ProtectedRequest {
  if (!isRequestCode(req.code)) throw new StackError('ERR_INVALID_ARGUMENT', `code ${req.code} is not a request method`);
  const { inner, outer } = splitOptions(req.options, 'request');
  const plaintext = encodePlaintext({ code: req.code, options: inner, payload: req.payload });
  if (plaintext.length > ctx.aead.maxPlaintext) {
    throw new StackError('ERR_BODY_TOO_LARGE', `OSCORE plaintext of ${plaintext.length} bytes exceeds ${ctx.aead.maxPlaintext}`);
  }
  const piv = encodePartialIv(ctx.sequence.take());
  const kid = ctx.senderId;
  const aad = buildAad(ctx.aead.cose, kid, piv);
  const nonce = ctx.nonce(kid, piv);
  const ciphertext = ctx.seal(nonce, aad, plaintext);
  const kidContext = ctx.sendKidContext ? ctx.idContext : undefined;
  const option = encodeOscoreOption({ partialIv: piv, kid, ...(kidContext && { kidContext }) });
  const observe = hasObserve(req.options);
  const message: CoapParts = {
    code: observe ? Code.FETCH : Code.POST,
    options: sorted([...outer, { number: Opt.OSCORE, value: option }]),
    payload: ciphertext,
  };
  return { message, binding: new RequestBinding(ctx, kid, piv, kidContext, observe, nonce) };
}

/**
 * §8.2: verifies and decrypts a request (after outer block-wise reassembly, §8.2.1). Errors are
 * StackErrors whose `details.answer` is the unprotected response §8.2 describes: 4.02 when the
 * COSE object cannot be decoded, 4.01 for an unknown context or a replay, 4.00 when decryption
 * fails. The Replay Window moves only when decryption succeeds.
 */
export function verifyRequest(lookup: ContextLookup, message: CoapParts): VerifiedRequest {
  const header = oscoreOptionOf(message.options, (m) => cannotDecode(m));
  // §2: an OSCORE message has a payload; §5: requests carry 'Partial IV' and 'kid'.
  if (message.payload.length === 0) throw cannotDecode('OSCORE message without payload');
  const { partialIv: piv, kid, kidContext } = header;
  if (!piv) throw cannotDecode('request without Partial IV');
  if (!kid) throw cannotDecode('request without kid');
  const candidates = typeof lookup === 'function' ? lookup(kid, kidContext) : lookup.find(kid, kidContext);
  if (candidates.length === 0) throw contextNotFound(kid, kidContext);

  const seq = decodePartialIv(piv);
  let failure: StackError | undefined;
  for (const ctx of candidates) {
    const verdict = ctx.replayWindow.check(seq);
    if (verdict !== 'fresh') {
      failure ??= replayDetected(seq, verdict);
      continue;
    }
    const aad = buildAad(ctx.aead.cose, kid, piv);
    const nonce = ctx.nonce(kid, piv);
    const plaintext = ctx.open(nonce, aad, message.payload);
    if (!plaintext) {
      failure = decryptionFailed(`request ${seq} from kid ${toHex(kid) || "''"} does not verify`);
      continue;
    }
    // Authentic: the sequence number is spent whatever the plaintext holds (§7.4, atomic with the check).
    ctx.replayWindow.accept(seq);
    let inner: CoapParts;
    try {
      inner = decodePlaintext(plaintext);
    } catch (e) {
      throw decryptionFailed('the decrypted request is malformed', e);
    }
    if (!isRequestCode(inner.code)) throw decryptionFailed(`the decrypted code ${inner.code} is not a request method`);
    if (inner.options.some((o) => o.number === Opt.OSCORE)) throw decryptionFailed('the decrypted request carries an OSCORE option');
    return {
      request: { code: inner.code, options: mergeOptions(message.options, inner.options), payload: inner.payload },
      binding: new RequestBinding(ctx, kid, piv, kidContext, hasObserve(inner.options), nonce),
    };
  }
  throw failure!;
}

export interface ProtectResponseOptions {
  /** Use a fresh Partial IV from the Sender Sequence Number instead of the request's nonce (§8.3 step 3). */
  readonly partialIv?: boolean;
}

/**
 * §8.3: protects the response to a verified request. Without `partialIv` the request nonce is
 * used, which is allowed once per request; a second response (a notification) needs a Partial IV.
 */
export function protectResponse(binding: RequestBinding, res: CoapParts, opts: ProtectResponseOptions = {}): CoapParts {
  if (!isResponseCode(res.code)) throw new StackError('ERR_INVALID_ARGUMENT', `code ${res.code} is not a response code`);
  const ctx = binding.context;
  const { inner, outer } = splitOptions(res.options, 'response');
  const plaintext = encodePlaintext({ code: res.code, options: inner, payload: res.payload });
  if (plaintext.length > ctx.aead.maxPlaintext) {
    throw new StackError('ERR_BODY_TOO_LARGE', `OSCORE plaintext of ${plaintext.length} bytes exceeds ${ctx.aead.maxPlaintext}`);
  }
  const aad = buildAad(ctx.aead.cose, binding.requestKid, binding.requestPiv);
  let nonce: Uint8Array;
  let option: Uint8Array;
  if (opts.partialIv) {
    const piv = encodePartialIv(ctx.sequence.take());
    nonce = ctx.nonce(ctx.senderId, piv);
    option = encodeOscoreOption({ partialIv: piv });
  } else {
    nonce = binding.takeRequestNonce();
    option = encodeOscoreOption({});
  }
  const ciphertext = ctx.seal(nonce, aad, plaintext);
  return {
    code: hasObserve(res.options) ? Code.CONTENT : Code.CHANGED,
    options: sorted([...outer, { number: Opt.OSCORE, value: option }]),
    payload: ciphertext,
  };
}

/** §8.4: verifies and decrypts the response to our request. Errors are ERR_OSCORE_DECRYPT (or 4.02-style decode errors). */
export function verifyResponse(binding: RequestBinding, message: CoapParts): CoapParts {
  const ctx = binding.context;
  let header: OscoreOption;
  try {
    header = oscoreOptionOf(message.options, (m) => responseRejected(m));
  } catch (e) {
    throw e instanceof StackError && e.code === 'ERR_OSCORE_DECRYPT' ? e : responseRejected('the OSCORE option does not decode', e);
  }
  if (message.payload.length === 0) throw responseRejected('OSCORE message without payload');
  if (header.kid && !bytesEqual(header.kid, ctx.recipientId)) throw responseRejected(`kid ${toHex(header.kid)} is not the server's Sender ID`);
  const nonce = header.partialIv ? ctx.nonce(ctx.recipientId, header.partialIv) : binding.requestNonce();
  const aad = buildAad(ctx.aead.cose, binding.requestKid, binding.requestPiv);
  const plaintext = ctx.open(nonce, aad, message.payload);
  if (!plaintext) throw responseRejected('decryption failed');
  let inner: CoapParts;
  try {
    inner = decodePlaintext(plaintext);
  } catch (e) {
    throw responseRejected('the decrypted response is malformed', e);
  }
  if (!isResponseCode(inner.code)) throw responseRejected(`the decrypted code ${inner.code} is not a response code`);
  if (inner.options.some((o) => o.number === Opt.OSCORE)) throw responseRejected('the decrypted response carries an OSCORE option');
  // §4.1.3.5.2: an Inner Observe in the response to a non-Observe request stops processing.
  if (!binding.observe && hasObserve(inner.options)) throw responseRejected('Inner Observe in the response to a request without Observe');
  return { code: inner.code, options: mergeOptions(message.options, inner.options), payload: inner.payload };
}
