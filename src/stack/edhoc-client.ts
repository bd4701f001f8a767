/**
 * The EDHOC Initiator over a CoAP Endpoint (RFC 9528 Appendix A.2, forward message flow), ending
 * in an OSCORE Security Context (Appendix A.1):
 *
 *   POST /.well-known/edhoc  CF 65  true ‖ message_1   → 2.04 CF 64 message_2
 *        parse message_2, judge the Responder's credential (`judgeResponder`), verify
 *   POST /.well-known/edhoc  CF 65  C_R ‖ message_3    → 2.04 (empty, or message_4)
 *
 * or, with `combined: true` (RFC 9668 §3.2), message_3 rides in front of the first OSCORE request:
 * `establishOscore` returns after message_2 and the first `request()` sends
 * message_3 ‖ OSCORE ciphertext with the EDHOC option (21) — two round trips in all.
 *
 * Errors are typed: an EDHOC error message from the Responder is an EdhocError with `received`
 * (its code and info) and details { stage, responseCode }; a Responder the judge refuses is an
 * EdhocError with details.reason; CoAP failures (timeouts, non-EDHOC answers) are StackErrors.
 * After an error code 2 (wrong selected suite) the handshake is retried once with a suite both
 * support, as RFC 9528 §6.3 describes.
 */
import { Code, formatCode } from '../codec/coap/numbers/codes.ts';
import { Opt } from '../codec/coap/numbers/options.ts';
import { hasOption, sortOptions, uintOpt, uintOption } from '../codec/coap/option-value.ts';
import { pathOptions } from '../codec/coap/uri.ts';
import { concatBytes, toHex } from '../core/bytes.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { StackError, isStackError } from '../core/errors.ts';
import { cryptoRandom, type Random } from '../core/random.ts';
import {
  CF_CID_EDHOC_CBOR_SEQ,
  CF_EDHOC_CBOR_SEQ,
  EDHOC_ERR_WRONG_SELECTED_SUITE,
  EDHOC_WELL_KNOWN_PATH,
  EdhocError,
  InitiatorStart,
  decodeErrorMessage,
  frameMessage1,
  frameWithConnectionId,
  isErrorMessage,
  oscoreFromEdhoc,
  type ConnectionId,
  type EadItem,
  type EdhocLocalCredential,
  type EdhocMethod,
  type InitiatorDone,
  type InitiatorProcessingM2,
} from '../protocol/edhoc/index.ts';
import type { SecurityContextRegistry } from '../protocol/oscore/context-registry.ts';
import { contextKey } from '../protocol/oscore/ids.ts';
import { protectRequest, verifyResponse } from '../protocol/oscore/message-protection.ts';
import { SecurityContext } from '../protocol/oscore/security-context.ts';
import { peerKey, type PeerAddress } from '../transport/transport.ts';
import {
  bindEdhocPeer,
  edhocCandidate,
  normaliseVerdict,
  x5chainCredential,
  type EdhocJudge,
  type EdhocPeer,
  type X509KeyCredential,
} from './edhoc-resource.ts';
import type { Endpoint } from './endpoint.ts';
import type { ClientRequest, CoapResponse } from './exchange.ts';
import { withOscore } from './oscore-layer.ts';

export interface EstablishOscoreOptions {
  /** Own credential: an EdhocLocalCredential, or certificate + key + chain (sent as x5chain). */
  readonly credential: EdhocLocalCredential | X509KeyCredential;
  /** Judges the Responder's credential between parseMessage2 and verifyMessage2. */
  readonly judgeResponder: EdhocJudge;
  /** EDHOC method (default 0: signatures both ways). */
  readonly method?: EdhocMethod;
  /** The cipher suite to select (default 2). */
  readonly suite?: number;
  /** Suites supported, most preferred first, for a retry after error code 2 (default [suite]). */
  readonly suites?: readonly number[];
  /** RFC 9668: carry message_3 in the first OSCORE request (default false). */
  readonly combined?: boolean;
  /** EDHOC resource path (default /.well-known/edhoc). */
  readonly path?: string;
  /**
   * The client's OSCORE registry: C_I is chosen so that it is no Recipient ID of a context there
   * (RFC 9668 §4.1.1), and the new context is added to it.
   */
  readonly contexts?: SecurityContextRegistry;
  /** C_I (default: chosen as above). */
  readonly connectionId?: Uint8Array;
  readonly ead1?: readonly EadItem[];
  readonly ead3?: readonly EadItem[];
  readonly understoodEad?: readonly number[];
  /** OSCORE replay window of the new context (default 32). */
  readonly replayWindow?: number;
  /** Per-request CoAP options. */
  readonly blockSize?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly random?: Random;
  readonly clock?: Clock;
}

/** The outcome: the client's OSCORE context and the authenticated Responder. */
export interface OscoreEstablishment {
  readonly context: SecurityContext;
  /** The Responder: its credential and x5chain (for pinning once the voucher arrives), the judge's identity. */
  readonly peer: EdhocPeer;
  readonly session: InitiatorDone;
  /** True until the combined request has carried message_3 (combined mode only). */
  readonly pending: boolean;
  /** Sends an OSCORE-protected request with the new context (the first one carries message_3 in combined mode). */
  request(req: ClientRequest): Promise<CoapResponse>;
}

/**
 * message_1 exchanges in progress per endpoint and Responder. The BlockwiseLayer keys the Block2
 * follow-ups of a POST response by peer and Uri-Path only, so two message_2 downloads from one
 * endpoint to one Responder would fetch each other's blocks (the ETag check catches it); they are
 * therefore run one after the other. Block1 uploads (message_3) get a Request-Tag and may overlap.
 */
const message1Locks = new WeakMap<Endpoint, Map<string, Promise<unknown>>>();

async function serialised<T>(endpoint: Endpoint, peer: PeerAddress, f: () => Promise<T>): Promise<T> {
  let locks = message1Locks.get(endpoint);
  if (!locks) message1Locks.set(endpoint, (locks = new Map()));
  const key = peerKey(peer);
  const before = locks.get(key) ?? Promise.resolve();
  const run = before.then(f, f);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  try {
    return await run;
  } finally {
    if (locks.get(key) === tail) locks.delete(key);
  }
}

/** C_I values in use by handshakes still running, per registry. */
const inFlight = new WeakMap<SecurityContextRegistry, Set<string>>();
const EMPTY = new Uint8Array(0);
const MAX_ID_LENGTH = 7;

/** Runs EDHOC as Initiator against `peer` and returns the OSCORE context it yields. */
export async function establishOscore(endpoint: Endpoint, peer: PeerAddress, o: EstablishOscoreOptions): Promise<OscoreEstablishment> {
  const method = o.method ?? 0;
  const suite = o.suite ?? 2;
  const suites = o.suites ?? [suite];
  const random = o.random ?? cryptoRandom;
  const clock = o.clock ?? systemClock;
  const credI = 'certificate' in o.credential ? x5chainCredential(o.credential) : o.credential;
  const path = pathOptions(o.path ?? `/${EDHOC_WELL_KNOWN_PATH.join('/')}`);
  const post = (payload: Uint8Array): Promise<CoapResponse> =>
    endpoint.request({
      method: Code.POST,
      options: sortOptions([...path, uintOpt(Opt.CONTENT_FORMAT, CF_CID_EDHOC_CBOR_SEQ)]),
      payload,
      peer,
      confirmable: true,
      ...(o.blockSize !== undefined && { blockSize: o.blockSize }),
      ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }),
      ...(o.signal && { signal: o.signal }),
    });

  const cI = o.connectionId ? Uint8Array.prototype.slice.call(o.connectionId) : allocateInitiatorId(o.contexts, random);
  const reserved = o.contexts ? reserve(o.contexts, cI) : undefined;
  try {
    // message_1 → message_2, with one retry after error code 2.
    let start = new InitiatorStart({
      method,
      suites,
      selectedSuite: suite,
      connectionId: cI,
      ...(o.ead1 && { ead1: o.ead1 }),
      ...(o.understoodEad && { understoodEad: o.understoodEad }),
      random,
    });
    let pm2: InitiatorProcessingM2 | undefined;
    for (let attempt = 0; !pm2; attempt++) {
      const waitM2 = start.prepareMessage1();
      const res = await serialised(endpoint, peer, () => post(frameMessage1(waitM2.message1)));
      if (res.code !== Code.CHANGED) {
        const err = errorFromResponse(res, 'message_1');
        if (attempt === 0 && err instanceof EdhocError && err.received?.code === EDHOC_ERR_WRONG_SELECTED_SUITE) {
          start = waitM2.retryWithSuitesR(err);
          continue;
        }
        throw err;
      }
      pm2 = waitM2.parseMessage2(res.payload);
    }
    const cR = pm2.connectionIdR;

    // The application's judgement of the Responder.
    let credR;
    let identity;
    let certificates;
    try {
      const candidate = edhocCandidate('responder', pm2.idCredR, pm2, pm2.ead2, peer);
      certificates = candidate.certificates;
      const verdict = normaliseVerdict(await o.judgeResponder(candidate));
      credR = verdict.accept ? (verdict.credential ?? candidate.credential) : undefined;
      if (!verdict.accept || !credR) {
        const unknown = verdict.accept || verdict.unknownCredential === true;
        const reason = verdict.accept ? 'no credential for ID_CRED_R' : (verdict.reason ?? 'credential not accepted');
        await abort(post, cR, unknown ? pm2.unknownCredential() : pm2.reject());
        throw new EdhocError(`Responder credential not accepted: ${reason}`, { details: { stage: 'message_2', reason } });
      }
      identity = verdict.identity;
    } catch (e) {
      if (e instanceof EdhocError && e.replyMessage && !pm2.used) await abort(post, cR, e.replyMessage);
      throw e;
    }

    let done: InitiatorDone;
    try {
      done = pm2.verifyMessage2(credR).prepareMessage3(credI, { ...(o.ead3 && { ead3: o.ead3 }) });
    } catch (e) {
      if (e instanceof EdhocError && e.replyMessage) await abort(post, cR, e.replyMessage);
      throw e;
    }

    const context = SecurityContext.derive({ ...oscoreFromEdhoc(done), ...(o.replayWindow !== undefined && { replayWindow: o.replayWindow }) });
    const responder: EdhocPeer = Object.freeze({
      role: 'responder' as const,
      credential: credR,
      certificates,
      serialNumber: identity?.serialNumber,
      identity,
      method: done.method,
      suite: done.suite.id,
      connectionIdI: done.connectionIdI,
      connectionIdR: done.connectionIdR,
      address: peer,
      establishedAt: clock.now(),
    });
    bindEdhocPeer(context, responder);

    if (o.combined) {
      o.contexts?.add(context);
      return new CombinedEstablishment(endpoint, context, responder, done, o.contexts);
    }

    // message_3 → 2.04 (or message_4).
    const res3 = await post(frameWithConnectionId(cR, done.message3));
    if (res3.code !== Code.CHANGED) throw errorFromResponse(res3, 'message_3');
    if (res3.payload.length > 0) done.processMessage4(res3.payload);
    o.contexts?.add(context);
    return {
      context,
      peer: responder,
      session: done,
      pending: false,
      request: (req) => endpoint.request(withOscore(req, context)),
    };
  } finally {
    if (reserved) reserved.delete(toHex(cI));
  }
}

/** RFC 9668 §3.2.1: the first request carries message_3 and the EDHOC option. */
class CombinedEstablishment implements OscoreEstablishment {
  #first: Promise<void> | undefined;
  #pending = true;

  constructor(
    private readonly endpoint: Endpoint,
    readonly context: SecurityContext,
    readonly peer: EdhocPeer,
    readonly session: InitiatorDone,
    private readonly contexts: SecurityContextRegistry | undefined,
  ) {}

  get pending(): boolean {
    return this.#pending;
  }

  async request(req: ClientRequest): Promise<CoapResponse> {
    if (this.#first) {
      // Later requests wait until the server holds the context (and fail with the first one).
      await this.#first;
      return this.endpoint.request(withOscore(req, this.context));
    }
    let settle!: (err?: unknown) => void;
    this.#first = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    this.#first.catch(() => {});
    try {
      const res = await this.sendCombined(req);
      this.#pending = false;
      settle();
      return res;
    } catch (e) {
      settle(e);
      if (e instanceof EdhocError) this.contexts?.delete(this.context.key);
      throw e;
    }
  }

  private async sendCombined(req: ClientRequest): Promise<CoapResponse> {
    // Step 2: OSCORE-protect the original request; steps 3-5: COMB_PAYLOAD and the EDHOC option.
    const { message, binding } = protectRequest(this.context, { code: req.method, options: req.options, payload: req.payload });
    const options = sortOptions([...message.options, { number: Opt.EDHOC, value: EMPTY }]);
    const res = await this.endpoint.request({ ...req, method: message.code, options, payload: concatBytes(this.session.message3, message.payload) });
    if (!hasOption(res, Opt.OSCORE)) throw errorFromResponse(res, 'the EDHOC + OSCORE request');
    const inner = verifyResponse(binding, res);
    return { code: inner.code, options: inner.options, payload: inner.payload };
  }
}

/** Tells the Responder the session is aborted (RFC 9528 §6): C_R ‖ error message; failures to deliver are ignored. */
async function abort(post: (payload: Uint8Array) => Promise<CoapResponse>, cR: ConnectionId, errorMessage: Uint8Array): Promise<void> {
  try {
    await post(frameWithConnectionId(cR, errorMessage));
  } catch {
    // The session expires on the Responder anyway.
  }
}

/** The typed error for a non-2.04 answer: EdhocError when it carries an EDHOC error message, else ERR_COAP_RESPONSE. */
export function errorFromResponse(res: CoapResponse, stage: string): StackError {
  const cf = uintOptionLenient(res);
  if (cf === CF_EDHOC_CBOR_SEQ && isErrorMessage(res.payload)) {
    try {
      const m = decodeErrorMessage(res.payload);
      const text = typeof m.info === 'string' ? `: ${m.info}` : '';
      return new EdhocError(`Responder answered ${stage} with ${formatCode(res.code)} and EDHOC error ${m.code}${text}`, {
        received: m,
        details: { stage, errCode: m.code, responseCode: res.code },
      });
    } catch (e) {
      if (!isStackError(e)) throw e;
      return new EdhocError(`Responder answered ${stage} with ${formatCode(res.code)} and an undecodable EDHOC error message`, {
        details: { stage, responseCode: res.code },
        cause: e,
      });
    }
  }
  const diagnostic = printable(res.payload);
  return new StackError('ERR_COAP_RESPONSE', `Responder answered ${stage} with ${formatCode(res.code)}${diagnostic ? `: ${diagnostic}` : ''}`, {
    stage,
    responseCode: res.code,
    coapCode: res.code,
    diagnostic,
  });
}

function uintOptionLenient(res: CoapResponse): number | undefined {
  try {
    return uintOption(res, Opt.CONTENT_FORMAT);
  } catch {
    return undefined;
  }
}

function printable(payload: Uint8Array): string {
  let s = '';
  for (let i = 0; i < payload.length && s.length < 80; i++) {
    const c = payload[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}

/**
 * A C_I that is no Recipient ID of a context without ID Context in `contexts` and not used by a
 * running handshake on it (RFC 9668 §4.1.1); compact one-byte identifiers first.
 */
function allocateInitiatorId(contexts: SecurityContextRegistry | undefined, random: Random): Uint8Array {
  const busy = contexts ? inFlight.get(contexts) : undefined;
  const free = (id: Uint8Array): boolean => !busy?.has(toHex(id)) && contexts?.peek(contextKey(undefined, id)) === undefined;
  const start = random.int(48);
  for (let i = 0; i < 48; i++) {
    const k = (start + i) % 48;
    const id = Uint8Array.of(k < 24 ? k : 0x20 + (k - 24));
    if (free(id)) return id;
  }
  for (let len = 1; len <= MAX_ID_LENGTH; len++) {
    for (let attempt = 0; attempt < 16; attempt++) {
      const id = random.bytes(len);
      if (free(id)) return id;
    }
  }
  throw new StackError('ERR_CONFIG', 'no free EDHOC connection identifier C_I');
}

function reserve(contexts: SecurityContextRegistry, cI: Uint8Array): Set<string> {
  let set = inFlight.get(contexts);
  if (!set) inFlight.set(contexts, (set = new Set()));
  set.add(toHex(cI));
  return set;
}
