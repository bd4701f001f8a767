/**
 * OSCORE (RFC 8613) as an endpoint layer, for both roles. It sits above the block-wise layer
 * (`[blockwise, oscore]`): block-wise then works on the protected message (outer block-wise,
 * §4.1.3.4.2), reassembling it before OSCORE verifies it (§8.2.1, §8.4.1).
 *
 * Server: a request with the OSCORE option is verified and decrypted (§8.2) and passed up as the
 * inner request with `context.oscore` (see `oscoreInfo`); the handler's response is protected
 * (§8.3), errors of the handler included. OSCORE's own errors (§8.2 steps 2, 3, 6) are answered
 * unprotected with Outer Max-Age 0 (§4.1.3.1). A request without OSCORE goes up unchanged, or is
 * refused with 4.01 where the `require` policy says so.
 * Client: a request carrying `oscore` (a SecurityContext, or a registry key) is protected (§8.1)
 * and its response verified (§8.4); an unprotected response to it is an error, never a result.
 */
import { channel } from 'node:diagnostics_channel';
import type { CoapOption } from '../codec/coap/message.ts';
import { Code, formatCode } from '../codec/coap/numbers/codes.ts';
import { Opt, isCritical, optionName } from '../codec/coap/numbers/options.ts';
import { hasOption, uintOpt } from '../codec/coap/option-value.ts';
import { StackError, isStackError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import type { SecurityContextRegistry } from '../protocol/oscore/context-registry.ts';
import type { IdContext, Kid, PartialIv } from '../protocol/oscore/ids.ts';
import { protectRequest, protectResponse, verifyRequest, verifyResponse, type RequestBinding, type VerifiedRequest } from '../protocol/oscore/message-protection.ts';
import type { SecurityContext } from '../protocol/oscore/security-context.ts';
import { formatPeer } from '../transport/transport.ts';
import { errorResponse, response, type ClientNext, type ClientRequest, type CoapResponse, type Layer, type ServerNext, type ServerRequest } from './exchange.ts';

/** What the layer tells the handler about a verified request (`req.context.oscore`). */
export interface OscoreRequestInfo {
  /** The client's Sender ID (our Recipient ID). */
  readonly kid: Kid;
  readonly kidContext: IdContext | undefined;
  readonly partialIv: PartialIv;
  readonly sequenceNumber: number;
  /** Registry key of the security context used. */
  readonly contextKey: string;
  readonly context: SecurityContext;
}

/** The OSCORE facts of a request the layer verified, or undefined for an unprotected request. */
export function oscoreInfo(req: ServerRequest): OscoreRequestInfo | undefined {
  return req.context['oscore'] as OscoreRequestInfo | undefined;
}

/** A security context, or its key in the layer's registry. */
export type OscoreSelection = SecurityContext | string;

/** A client request the layer protects. */
export interface OscoreClientRequest extends ClientRequest {
  readonly oscore?: OscoreSelection;
}

export function withOscore(req: ClientRequest, oscore: OscoreSelection): OscoreClientRequest {
  return { ...req, oscore };
}

/** true: every request must be protected; a function decides per (unprotected) request, e.g. by Uri-Path. */
export type OscoreRequirePolicy = boolean | ((req: ServerRequest) => boolean);

export interface OscoreLayerConfig {
  /** Where the server looks up Recipient Contexts, and where client string selections are resolved. */
  readonly contexts: SecurityContextRegistry;
  /** Whether a request without OSCORE is refused with 4.01 (default false: passed up unchanged). */
  readonly require?: OscoreRequirePolicy;
  /** Makes a context for an unknown kid (e.g. from finished EDHOC state); it is added to `contexts`. */
  readonly resolveContext?: (kid: Kid, kidContext: IdContext | undefined) => SecurityContext | undefined;
  /** Protect responses with their own Partial IV instead of the request nonce (default false). */
  readonly responsePartialIv?: boolean;
  /**
   * MAX_UNFRAGMENTED_SIZE (§4.1.3.4.2): the largest (reassembled) OSCORE payload accepted; the
   * default is the largest AES-CCM-16-64-128 ciphertext.
   */
  readonly maxUnfragmentedSize?: number;
  /** Critical Inner options the handlers understand, besides Uri-Host/-Port/-Path/-Query and Accept. */
  readonly innerCriticalOptions?: readonly number[];
  readonly logger?: Logger;
}

export interface OscoreLayerStats {
  verified: number;
  rejected: number;
  unprotectedRefused: number;
  responsesVerified: number;
  responsesRejected: number;
}

/** Published on 'brski-ae:oscore:reject' for every request or response OSCORE refuses. */
export interface OscoreRejectEvent {
  readonly direction: 'request' | 'response';
  readonly peer: string;
  readonly code: string;
  readonly message: string;
}

const rejectChannel = channel('brski-ae:oscore:reject');
const BASE_INNER_CRITICAL = [Opt.URI_HOST, Opt.URI_PORT, Opt.URI_PATH, Opt.URI_QUERY, Opt.ACCEPT];
/** 65535 bytes of plaintext plus the 8-byte tag. */
const DEFAULT_MAX_UNFRAGMENTED = 0xffff + 8;
const MAX_AGE_ZERO: CoapOption = uintOpt(Opt.MAX_AGE, 0);

export class OscoreLayer implements Layer {
  readonly name = 'oscore';
  readonly criticalOptions = [Opt.OSCORE];
  readonly stats: OscoreLayerStats = { verified: 0, rejected: 0, unprotectedRefused: 0, responsesVerified: 0, responsesRejected: 0 };
  private readonly contexts: SecurityContextRegistry;
  private readonly require: OscoreRequirePolicy;
  private readonly resolveContext: OscoreLayerConfig['resolveContext'];
  private readonly responsePartialIv: boolean;
  private readonly maxUnfragmented: number;
  private readonly innerCritical: ReadonlySet<number>;
  private readonly logger: Logger;

  constructor(config: OscoreLayerConfig) {
    this.contexts = config.contexts;
    this.require = config.require ?? false;
    this.resolveContext = config.resolveContext;
    this.responsePartialIv = config.responsePartialIv ?? false;
    this.maxUnfragmented = config.maxUnfragmentedSize ?? DEFAULT_MAX_UNFRAGMENTED;
    if (!(Number.isInteger(this.maxUnfragmented) && this.maxUnfragmented > 0)) {
      throw new StackError('ERR_CONFIG', `oscore maxUnfragmentedSize must be a positive integer, got ${this.maxUnfragmented}`);
    }
    this.innerCritical = new Set([...BASE_INNER_CRITICAL, ...(config.innerCriticalOptions ?? [])]);
    this.logger = config.logger ?? silentLogger;
  }

  // ---- server side -----------------------------------------------------------------------------

  async handleRequest(req: ServerRequest, next: ServerNext): Promise<CoapResponse> {
    if (!hasOption(req, Opt.OSCORE)) {
      const required = typeof this.require === 'function' ? this.require(req) : this.require;
      if (!required) return next(req);
      this.stats.unprotectedRefused++;
      this.reject('request', req, 'ERR_OSCORE_REQUIRED', 'unprotected request to a protected resource');
      return response(Code.UNAUTHORIZED, 'OSCORE required', [MAX_AGE_ZERO]);
    }
    if (req.payload.length > this.maxUnfragmented) {
      this.stats.rejected++;
      this.reject('request', req, 'ERR_BODY_TOO_LARGE', `OSCORE payload of ${req.payload.length} bytes`);
      return response(Code.REQUEST_ENTITY_TOO_LARGE, undefined, [MAX_AGE_ZERO, uintOpt(Opt.SIZE1, this.maxUnfragmented)]);
    }
    let verified: VerifiedRequest;
    try {
      // Synchronous from the replay check to the window update (§7.4: atomic).
      verified = verifyRequest((kid, kidContext) => this.lookup(kid, kidContext), { code: req.method, options: req.options, payload: req.payload });
    } catch (e) {
      if (!isStackError(e)) throw e;
      this.stats.rejected++;
      this.reject('request', req, e.code, e.message);
      const answer = e.details.answer;
      return response(answer?.code ?? Code.BAD_REQUEST, answer?.payload ?? '', [MAX_AGE_ZERO]);
    }
    this.stats.verified++;
    const { request, binding } = verified;
    const info: OscoreRequestInfo = {
      kid: binding.requestKid,
      kidContext: binding.kidContext,
      partialIv: binding.requestPiv,
      sequenceNumber: binding.sequenceNumber,
      contextKey: binding.context.key,
      context: binding.context,
    };
    const inner: ServerRequest = { ...req, method: request.code, options: request.options, payload: request.payload, context: { ...req.context, oscore: info } };
    const unknown = request.options.find((o) => isCritical(o.number) && !this.innerCritical.has(o.number));
    let res: CoapResponse;
    if (unknown) {
      res = response(Code.BAD_OPTION, `unrecognized critical option ${optionName(unknown.number)}`);
    } else {
      try {
        res = await next(inner);
      } catch (e) {
        if (!isStackError(e)) this.logger.error('request handler failed', { err: e, stack: (e as Error)?.stack });
        res = errorResponse(isStackError(e) ? e : undefined, Code.INTERNAL_SERVER_ERROR, 'internal error');
      }
    }
    return this.protect(binding, res);
  }

  private lookup(kid: Kid, kidContext: IdContext | undefined): readonly SecurityContext[] {
    const found = this.contexts.find(kid, kidContext);
    if (found.length > 0 || !this.resolveContext) return found;
    const made = this.resolveContext(kid, kidContext);
    if (!made) return [];
    this.contexts.add(made);
    return [made];
  }

  private protect(binding: RequestBinding, res: CoapResponse): CoapResponse {
    try {
      return protectResponse(binding, res, { partialIv: this.responsePartialIv });
    } catch (e) {
      // The handler's response cannot be protected (too large, carries OSCORE, ...): say so, protected.
      this.logger.warn('OSCORE response protection failed', { err: e });
      const fallback = response(Code.INTERNAL_SERVER_ERROR, 'response could not be protected');
      try {
        return protectResponse(binding, fallback, { partialIv: this.responsePartialIv });
      } catch {
        return { ...fallback, options: [MAX_AGE_ZERO] };
      }
    }
  }

  private reject(direction: 'request' | 'response', req: { readonly peer: ServerRequest['peer'] }, code: string, message: string): void {
    this.logger.debug('OSCORE rejected a message', { direction, peer: formatPeer(req.peer), code, message });
    if (rejectChannel.hasSubscribers) {
      const event: OscoreRejectEvent = { direction, peer: formatPeer(req.peer), code, message };
      rejectChannel.publish(event);
    }
  }

  // ---- client side -----------------------------------------------------------------------------

  async sendRequest(req: ClientRequest, next: ClientNext): Promise<CoapResponse> {
    const { oscore: selection, ...plain } = req as OscoreClientRequest;
    if (selection === undefined) return next(req);
    const ctx = typeof selection === 'string' ? this.contexts.get(selection) : selection;
    if (!ctx) throw new StackError('ERR_NOT_FOUND', `no OSCORE security context ${String(selection)}`);
    const { message, binding } = protectRequest(ctx, { code: req.method, options: req.options, payload: req.payload });
    const res = await next({ ...plain, method: message.code, options: message.options, payload: message.payload });
    if (!hasOption(res, Opt.OSCORE)) {
      this.stats.responsesRejected++;
      const diagnostic = printable(res.payload);
      this.reject('response', req, 'ERR_COAP_RESPONSE', `unprotected ${formatCode(res.code)}`);
      // No OSCORE-specific code for this; ERR_COAP_RESPONSE carries the (unauthenticated) answer.
      throw new StackError('ERR_COAP_RESPONSE', `unprotected ${formatCode(res.code)} response to an OSCORE request${diagnostic ? `: ${diagnostic}` : ''}`, {
        responseCode: res.code,
        // The key every ERR_COAP_RESPONSE carries its code under (pledges judge retries by it).
        coapCode: res.code,
        diagnostic,
      });
    }
    try {
      const inner = verifyResponse(binding, res);
      this.stats.responsesVerified++;
      return inner;
    } catch (e) {
      this.stats.responsesRejected++;
      if (isStackError(e)) this.reject('response', req, e.code, e.message);
      throw e;
    }
  }
}

/** A short printable rendering of an unauthenticated diagnostic payload. */
function printable(payload: Uint8Array): string {
  let s = '';
  for (let i = 0; i < payload.length && s.length < 80; i++) {
    const c = payload[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}
