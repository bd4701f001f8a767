/**
 * The EDHOC Responder as a CoAP resource (RFC 9528 Appendix A.2, forward message flow), and the
 * server side of the EDHOC + OSCORE combined request (RFC 9668 §3.3).
 *
 *   POST /.well-known/edhoc   Content-Format 65 (application/cid-edhoc+cbor-seq)
 *     payload  true ‖ message_1        → 2.04, CF 64, message_2      (a half-open session keyed by C_R)
 *     payload  C_R  ‖ message_3        → 2.04 (empty, or message_4)  (OSCORE context registered)
 *     payload  C_R  ‖ error            → 2.04 (the Initiator aborted; the session is dropped)
 *     any failure                      → 4.00 (client error) / 5.00 (server error) / 5.03 (full),
 *                                        CF 64, an EDHOC error message (RFC 9528 §6, App. A.2.3)
 *
 * Between parse and verify of message_3 the application judges the Initiator's credential
 * (`judgeInitiator`: e.g. "the IDevID chains to a manufacturer trust anchor"); a rejection is
 * answered with error code 1 (or 3, unknown credential) and no security context is made.
 *
 * Half-open sessions (message_2 sent, message_3 awaited) live in a table keyed by C_R, bounded by
 * `maxHalfOpen` and expiring `halfOpenLifetimeMs` after message_2 (time from the injected Clock).
 * C_R is chosen unique (RFC 9668 §4.1.2): not C_I, not a C_R of another session, and not the
 * Recipient ID of a registered OSCORE context without ID Context; one-byte identifiers first.
 *
 * On completion the OSCORE Security Context (RFC 9528 A.1: oscoreFromEdhoc, then
 * SecurityContext.derive) is added to the registry the OscoreLayer reads, and the authenticated
 * peer (its credential, the x5chain certificates, the 802.1AR serial number, what the judge said)
 * is attached to that context: handlers read it with `edhocPeer(req)` (or `edhocPeerOf(context)`,
 * with the context from `oscoreInfo(req)`).
 *
 * Combined request: `resource.combinedLayer()` is an endpoint layer for `[blockwise, combined,
 * oscore]`; a request with the EDHOC option (21) has its leading message_3 processed against the
 * half-open session named by the OSCORE 'kid' (= C_R) before the OscoreLayer verifies the rest.
 *
 * This file also holds what the Initiator side (edhoc-client.ts) shares: the candidate/verdict
 * types of the credential judge, `x5chainJudge`, and the context → peer association.
 */
import { channel } from 'node:diagnostics_channel';
import { encodeCbor } from '../codec/cbor/cbor.ts';
import type { KeyObject } from 'node:crypto';
import { Code } from '../codec/coap/numbers/codes.ts';
import { Opt } from '../codec/coap/numbers/options.ts';
import { findOption, hasOption, uintOpt } from '../codec/coap/option-value.ts';
import { bytesEqual, toHex } from '../core/bytes.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { StackError, isStackError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { cryptoRandom, type Random } from '../core/random.ts';
import { certificateDer, certificatePublicKey, parseCertificate, readSubjectSerialNumber, verifyChain, type Certificate, type CertificateInput } from '../pki/index.ts';
import { ExpiringMap } from '../protocol/coap/expiring-map.ts';
import { firstItemLength } from '../protocol/edhoc/cbor-items.ts';
import {
  CF_CID_EDHOC_CBOR_SEQ,
  CF_EDHOC_CBOR_SEQ,
  EDHOC_RESOURCE_TYPE,
  EDHOC_WELL_KNOWN_PATH,
  EdhocError,
  ResponderStart,
  credentialFromIdCred,
  localCredential,
  x509Credential,
  encodeErrorMessage,
  isErrorMessage,
  oscoreFromEdhoc,
  parseEdhocRequest,
  unspecifiedError,
  decodeErrorMessage,
  type ConnectionId,
  type EadItem,
  type EdhocCredential,
  type EdhocLocalCredential,
  type EdhocMethod,
  type IdCred,
  type ResponderDone,
  type ResponderProcessingM1,
  type ResponderWaitM3,
} from '../protocol/edhoc/index.ts';
import type { SecurityContextRegistry } from '../protocol/oscore/context-registry.ts';
import { contextKey } from '../protocol/oscore/ids.ts';
import { decodeOscoreOption } from '../protocol/oscore/oscore-option.ts';
import { SecurityContext } from '../protocol/oscore/security-context.ts';
import { formatPeer, type PeerAddress } from '../transport/transport.ts';
import { response, type CoapResponse, type Layer, type ServerNext, type ServerRequest } from './exchange.ts';
import { oscoreInfo } from './oscore-layer.ts';
import type { ResourceDef, RoutedRequest } from './router.ts';

// ---- shared with the Initiator side ------------------------------------------------------------

/** What the application is asked to judge: the peer's ID_CRED_x, and the credential when it came by value. */
export interface EdhocCandidate {
  /** The peer's EDHOC role. */
  readonly role: 'initiator' | 'responder';
  readonly idCred: IdCred;
  /** CRED_x carried by value (x5chain: the end-entity certificate; kccs: the CCS); undefined for kid / x5t. */
  readonly credential: EdhocCredential | undefined;
  /** The x5chain certificates (DER), end-entity first; empty when ID_CRED_x is no x5chain. */
  readonly chain: readonly Uint8Array[];
  /** The same certificates, parsed. */
  readonly certificates: readonly Certificate[];
  readonly method: EdhocMethod;
  readonly suite: number;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  /** EAD_3 (Initiator) or EAD_2 (Responder). */
  readonly ead: readonly EadItem[];
  /** The peer's transport address (a join proxy's, when one relays). */
  readonly address: PeerAddress;
}

/** Accept (with the credential, when ID_CRED_x was a reference, and what the application learnt), or reject. */
export type EdhocVerdict =
  | { readonly accept: true; readonly credential?: EdhocCredential; readonly identity?: EdhocIdentity }
  | { readonly accept: false; readonly reason?: string; readonly unknownCredential?: boolean };

/** What the application learnt about the peer (the judge's findings); kept with the OSCORE context. */
export interface EdhocIdentity {
  /** The 802.1AR serial number (subject serialNumber of the end-entity certificate). */
  readonly serialNumber?: string;
  readonly subject?: string;
  /** The validated certification path, end-entity first, trust anchor last. */
  readonly path?: readonly Certificate[];
  readonly [key: string]: unknown;
}

/** Judges a peer's credential between parse and verify (RFC 9528 §5.3.3 / §5.4.3). */
export type EdhocJudge = (candidate: EdhocCandidate) => boolean | EdhocVerdict | Promise<boolean | EdhocVerdict>;

/** The authenticated peer of an OSCORE Security Context that EDHOC established. */
export interface EdhocPeer {
  readonly role: 'initiator' | 'responder';
  /** CRED_x as verified by EDHOC. */
  readonly credential: EdhocCredential;
  /** The x5chain the peer sent, parsed, end-entity first (the IDevID chain); empty for other credentials. */
  readonly certificates: readonly Certificate[];
  /** The 802.1AR serial number: from the judge's identity, else from the end-entity certificate. */
  readonly serialNumber: string | undefined;
  /** The judge's findings. */
  readonly identity: EdhocIdentity | undefined;
  readonly method: EdhocMethod;
  readonly suite: number;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  readonly address: PeerAddress;
  /** Clock time (ms) of completion. */
  readonly establishedAt: number;
}

/** Context object → peer. A WeakMap: a context dropped from the registry takes its peer with it. */
const peers = new WeakMap<SecurityContext, EdhocPeer>();

/** @internal Attaches the authenticated peer to a context (both EDHOC roles use it). */
export function bindEdhocPeer(ctx: SecurityContext, peer: EdhocPeer): void {
  peers.set(ctx, peer);
}

/** The EDHOC-authenticated peer of a security context, or undefined when EDHOC did not make it. */
export function edhocPeerOf(ctx: SecurityContext | undefined): EdhocPeer | undefined {
  return ctx ? peers.get(ctx) : undefined;
}

/** The EDHOC-authenticated peer of an OSCORE-verified request (undefined for unprotected requests). */
export function edhocPeer(req: ServerRequest): EdhocPeer | undefined {
  return edhocPeerOf(oscoreInfo(req)?.context);
}

/** The verdict a judge's answer stands for. */
export function normaliseVerdict(v: boolean | EdhocVerdict): EdhocVerdict {
  return typeof v === 'boolean' ? (v ? { accept: true } : { accept: false }) : v;
}

/** The session facts a candidate is built from (a ResponderProcessingM3 or InitiatorProcessingM2 has them). */
export interface CandidateSource {
  readonly method: EdhocMethod;
  readonly suite: { readonly id: number };
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
}

/**
 * The candidate for a peer's ID_CRED_x: an x5chain is parsed once (its end-entity certificate
 * gives CRED_x), a kccs gives the CCS; references (kid, x5t) leave `credential` undefined.
 * Unreadable certificates or CCS are an EdhocError with reply code 1.
 */
export function edhocCandidate(role: 'initiator' | 'responder', idCred: IdCred, s: CandidateSource, ead: readonly EadItem[], address: PeerAddress): EdhocCandidate {
  const chain = idCred.x5chain ?? [];
  const certificates = chain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw EdhocError.unspecified(`x5chain certificate ${i} is not a readable X.509 certificate`, 'invalid certificate', { index: i }, e);
    }
  });
  let credential: EdhocCredential | undefined;
  if (certificates.length > 0) {
    try {
      credential = { cred: encodeCbor(chain[0]!), idCred, publicKey: certificatePublicKey(certificates[0]!) };
    } catch (e) {
      throw EdhocError.unspecified('the x5chain end-entity certificate has no usable public key', 'invalid certificate', {}, e);
    }
  } else {
    credential = credentialByValue(idCred);
  }
  return {
    role,
    idCred,
    credential,
    chain,
    certificates,
    method: s.method,
    suite: s.suite.id,
    connectionIdI: s.connectionIdI,
    connectionIdR: s.connectionIdR,
    ead,
    address,
  };
}

export interface X5chainJudgeOptions {
  /** The trust anchors the end-entity certificate must chain to (e.g. the manufacturers' IDevID roots). */
  readonly trustAnchors: readonly CertificateInput[];
  /** The validation time (default: now). */
  readonly at?: () => Date;
  /** Refuse an end-entity certificate without a subject serialNumber (an IDevID has one, RFC 8995 §2.3.1). */
  readonly requireSerialNumber?: boolean;
  /** An extendedKeyUsage the end-entity certificate must list. */
  readonly requireEku?: string;
  /** A further check of the validated path; a string rejects with that (local) reason. */
  readonly check?: (path: readonly Certificate[]) => true | string;
}

/**
 * A judge for credentials sent by value as x5chain: the chain must validate to one of the trust
 * anchors (RFC 5280 path validation by src/pki verifyChain). References (x5t, kid) are answered
 * "unknown credential" (error code 3). The identity carries the serial number, subject and path.
 */
export function x5chainJudge(options: X5chainJudgeOptions): EdhocJudge {
  if (options.trustAnchors.length === 0) throw new StackError('ERR_CONFIG', 'x5chainJudge needs at least one trust anchor');
  return (c) => {
    if (c.certificates.length === 0) return { accept: false, unknownCredential: true, reason: 'ID_CRED is not an x5chain' };
    let path: Certificate[];
    try {
      path = verifyChain(c.certificates[0]!, c.certificates.slice(1), options.trustAnchors, {
        ...(options.at && { at: options.at() }),
        ...(options.requireEku !== undefined && { requireEku: options.requireEku }),
      });
    } catch (e) {
      if (isStackError(e, 'ERR_CERT_CHAIN')) return { accept: false, reason: `certificate chain: ${e.message} (${String(e.details['reason'])})` };
      throw e;
    }
    const leaf = path[0]!;
    let serialNumber: string | undefined;
    try {
      serialNumber = readSubjectSerialNumber(leaf);
    } catch (e) {
      return { accept: false, reason: isStackError(e) ? e.message : 'unreadable subject serialNumber' };
    }
    if (options.requireSerialNumber && serialNumber === undefined) return { accept: false, reason: `${leaf.subject} has no subject serialNumber` };
    const extra = options.check?.(path);
    if (typeof extra === 'string') return { accept: false, reason: extra };
    return { accept: true, identity: { ...(serialNumber !== undefined && { serialNumber }), subject: leaf.subject, path } };
  };
}

/** A certificate, its private key and its chain as src/pki loads them (chain: leaf first, root excluded). */
export interface X509KeyCredential {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  /** Leaf first (the leaf may be left out), intermediates after it, the root excluded. */
  readonly chain?: readonly Certificate[];
}

/**
 * One's own X.509 credential for EDHOC, sent by value as x5chain (end-entity certificate, then the
 * intermediates): what a pledge sends with its IDevID and the registrar with its domain certificate.
 */
export function x5chainCredential(c: X509KeyCredential): EdhocLocalCredential {
  const leafDer = certificateDer(c.certificate);
  const rest = (c.chain ?? []).filter((x) => !bytesEqual(certificateDer(x), leafDer));
  return localCredential(x509Credential(c.certificate, { idCred: 'x5chain', chain: rest }), c.privateKey);
}

/** The credential ID_CRED_x carries by value (EdhocError, reply code 1, when it is unreadable). */
export function credentialByValue(idCred: IdCred): EdhocCredential | undefined {
  try {
    return credentialFromIdCred(idCred);
  } catch (e) {
    if (e instanceof EdhocError) throw e;
    throw EdhocError.unspecified('ID_CRED carries an unreadable credential', 'invalid credential', {}, e);
  }
}

function serialOf(cert: Certificate | undefined): string | undefined {
  if (!cert) return undefined;
  try {
    return readSubjectSerialNumber(cert);
  } catch {
    return undefined;
  }
}

/** Published on 'brski-ae:edhoc:session' as sessions start, complete, fail or are dropped. */
export interface EdhocSessionEvent {
  readonly event: 'message_1' | 'established' | 'rejected' | 'failed' | 'evicted' | 'refused' | 'unknown-session' | 'aborted-by-peer';
  readonly peer: string;
  readonly connectionIdR?: string;
  readonly serialNumber?: string;
  readonly reason?: string;
  readonly combined?: boolean;
}

export const edhocSessionChannel = channel('brski-ae:edhoc:session');

// ---- the Responder resource --------------------------------------------------------------------

export interface EdhocResourceConfig {
  /** The Responder's credential and private key, or a choice per session (method and suite). */
  readonly credential: EdhocLocalCredential | ((m1: ResponderProcessingM1) => EdhocLocalCredential);
  /** The registry the OscoreLayer looks Recipient Contexts up in; completed sessions are added here. */
  readonly contexts: SecurityContextRegistry;
  /** Judges the Initiator's credential between parseMessage3 and verifyMessage3. */
  readonly judgeInitiator: EdhocJudge;
  /** Cipher suites (default [2]). */
  readonly suites?: readonly number[];
  /** Methods (default all four). */
  readonly methods?: readonly EdhocMethod[];
  /** |ead_label| values the application processes. */
  readonly understoodEad?: readonly number[];
  /** Resource path (default /.well-known/edhoc). */
  readonly path?: string;
  /** Half-open sessions kept at most (default 64). */
  readonly maxHalfOpen?: number;
  /** How long a half-open session waits for message_3 (default 60 s). */
  readonly halfOpenLifetimeMs?: number;
  /** When the table is full: drop the oldest half-open session (default) or refuse message_1 with 5.03. */
  readonly whenFull?: 'evict-oldest' | 'refuse';
  /** Max-Age of a 5.03 refusal (default 10 s). */
  readonly retryAfterS?: number;
  /** Send message_4 in the response to message_3 (default false: 2.04 without payload). */
  readonly sendMessage4?: boolean;
  /** OSCORE replay window of the derived contexts (default 32). */
  readonly replayWindow?: number;
  /** Told about every established context. */
  readonly onEstablished?: (ctx: SecurityContext, peer: EdhocPeer) => void;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

export interface EdhocResourceStats {
  message1: number;
  established: number;
  combined: number;
  rejected: number;
  failed: number;
  unknownSession: number;
  evicted: number;
  refused: number;
  abortedByPeer: number;
}

interface HalfOpen {
  readonly state: ResponderWaitM3;
  readonly address: PeerAddress;
}

/** What finishing message_3 produced. */
export interface EdhocCompletion {
  readonly context: SecurityContext;
  readonly peer: EdhocPeer;
  readonly session: ResponderDone;
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: CoapResponse };

/** RFC 8613 §3.3: Sender/Recipient IDs are at most nonce length − 6 = 7 bytes for AES-CCM-16-64-128. */
const MAX_ID_LENGTH = 7;
const EMPTY = new Uint8Array(0);

/** The 48 one-byte identifiers sent as one-byte CBOR integers (RFC 9528 §3.3.2), then the other 208. */
const ONE_BYTE_IDS: readonly number[] = (() => {
  const compact: number[] = [];
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) ((b <= 0x17 || (b >= 0x20 && b <= 0x37)) ? compact : rest).push(b);
  return Object.freeze([...compact, ...rest]);
})();
const COMPACT_COUNT = 48;

/** An EDHOC error message as a CoAP error response (RFC 9528 Appendix A.2.3). */
export function edhocErrorResponse(code: number, errorMessage: Uint8Array, extra: readonly { number: number; value: Uint8Array }[] = []): CoapResponse {
  return response(code, errorMessage, [uintOpt(Opt.CONTENT_FORMAT, CF_EDHOC_CBOR_SEQ), ...extra].sort((a, b) => a.number - b.number));
}

function clientError(text: string): CoapResponse {
  return edhocErrorResponse(Code.BAD_REQUEST, encodeErrorMessage(unspecifiedError(text)));
}

function serverError(text = 'internal error'): CoapResponse {
  return edhocErrorResponse(Code.INTERNAL_SERVER_ERROR, encodeErrorMessage(unspecifiedError(text)));
}

export class EdhocResource {
  readonly stats: EdhocResourceStats = {
    message1: 0,
    established: 0,
    combined: 0,
    rejected: 0,
    failed: 0,
    unknownSession: 0,
    evicted: 0,
    refused: 0,
    abortedByPeer: 0,
  };
  readonly path: string;
  private readonly responder: ResponderStart;
  private readonly credential: EdhocResourceConfig['credential'];
  private readonly contexts: SecurityContextRegistry;
  private readonly judge: EdhocJudge;
  private readonly sessions: ExpiringMap<string, HalfOpen>;
  /** C_R values whose message_3 is being processed (taken out of `sessions`, not yet registered). */
  private readonly completing = new Set<string>();
  /**
   * C_Rs of sessions evicted by the bound, kept out of use for a half-open lifetime: the evicted
   * initiator may still send message_3 with it, which must not take out a newer session.
   */
  private readonly retired: ExpiringMap<string, true>;
  private readonly maxHalfOpen: number;
  private readonly whenFull: 'evict-oldest' | 'refuse';
  private readonly retryAfterS: number;
  private readonly sendMessage4: boolean;
  private readonly replayWindow: number | undefined;
  private readonly onEstablished: EdhocResourceConfig['onEstablished'];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;

  constructor(config: EdhocResourceConfig) {
    this.maxHalfOpen = config.maxHalfOpen ?? 64;
    const lifetime = config.halfOpenLifetimeMs ?? 60_000;
    if (!(Number.isInteger(this.maxHalfOpen) && this.maxHalfOpen > 0)) throw new StackError('ERR_CONFIG', `maxHalfOpen must be a positive integer, got ${this.maxHalfOpen}`);
    if (!(lifetime > 0 && Number.isFinite(lifetime))) throw new StackError('ERR_CONFIG', `halfOpenLifetimeMs must be a positive number, got ${lifetime}`);
    this.path = config.path ?? `/${EDHOC_WELL_KNOWN_PATH.join('/')}`;
    this.responder = new ResponderStart({
      suites: config.suites ?? [2],
      ...(config.methods && { methods: config.methods }),
      ...(config.understoodEad && { understoodEad: config.understoodEad }),
      ...(config.random && { random: config.random }),
    });
    this.credential = config.credential;
    this.contexts = config.contexts;
    this.judge = config.judgeInitiator;
    this.sessions = new ExpiringMap(lifetime, this.maxHalfOpen);
    this.retired = new ExpiringMap(lifetime, Math.max(1024, 4 * this.maxHalfOpen));
    this.whenFull = config.whenFull ?? 'evict-oldest';
    this.retryAfterS = config.retryAfterS ?? 10;
    this.sendMessage4 = config.sendMessage4 ?? false;
    this.replayWindow = config.replayWindow;
    this.onEstablished = config.onEstablished;
    this.clock = config.clock ?? systemClock;
    this.random = config.random ?? cryptoRandom;
    this.logger = config.logger ?? silentLogger;
  }

  /** The Router entry: POST only, CF 65 requests, CF 64 responses, rt="core.edhoc". */
  resourceDef(): ResourceDef {
    return {
      path: this.path,
      methods: { [Code.POST]: (req: RoutedRequest) => this.handle(req) },
      accepts: [CF_CID_EDHOC_CBOR_SEQ],
      produces: [CF_EDHOC_CBOR_SEQ],
      attrs: { rt: EDHOC_RESOURCE_TYPE },
    };
  }

  /** The endpoint layer for RFC 9668 combined requests; place it between block-wise and OSCORE. */
  combinedLayer(): EdhocCombinedLayer {
    return new EdhocCombinedLayer(this);
  }

  /** True when message_3 is answered with message_4 (then RFC 9668 combined requests are refused). */
  get usesMessage4(): boolean {
    return this.sendMessage4;
  }

  /** Half-open sessions currently held (expired ones are swept first). */
  get halfOpen(): number {
    this.sessions.sweep(this.clock.now());
    return this.sessions.size;
  }

  /** The peer of a context this resource (or any EDHOC run) established. */
  peerOf(x: SecurityContext | ServerRequest): EdhocPeer | undefined {
    return x instanceof SecurityContext ? edhocPeerOf(x) : edhocPeer(x);
  }

  /** The request handler (also usable without a Router). */
  async handle(req: ServerRequest): Promise<CoapResponse> {
    let parsed;
    try {
      parsed = parseEdhocRequest(req.payload);
    } catch (e) {
      return this.fail(e, req.peer, undefined);
    }
    if (parsed.kind === 'message_1') return this.onMessage1(parsed.message, req.peer);
    const key = toHex(parsed.connectionId);
    const taken = this.take(key, req.peer, false);
    if (!taken.ok) return taken.response;
    try {
      if (isErrorMessage(parsed.message)) return this.onPeerError(parsed.message, key, req.peer);
      const done = await this.complete(taken.value, parsed.message, req.peer, false);
      if (!done.ok) return done.response;
      const session = done.value.session;
      if (this.sendMessage4) return response(Code.CHANGED, session.prepareMessage4(), [uintOpt(Opt.CONTENT_FORMAT, CF_EDHOC_CBOR_SEQ)]);
      return response(Code.CHANGED);
    } finally {
      this.completing.delete(key);
    }
  }

  // ---- message_1 -------------------------------------------------------------------------------

  private onMessage1(message1: Uint8Array, address: PeerAddress): CoapResponse {
    this.stats.message1++;
    const now = this.clock.now();
    this.sessions.sweep(now);
    if (this.whenFull === 'refuse' && this.sessions.size >= this.maxHalfOpen) {
      this.stats.refused++;
      this.publish({ event: 'refused', peer: formatPeer(address), reason: `${this.sessions.size} half-open sessions` });
      return edhocErrorResponse(Code.SERVICE_UNAVAILABLE, encodeErrorMessage(unspecifiedError('too many sessions, try later')), [uintOpt(Opt.MAX_AGE, this.retryAfterS)]);
    }
    let waitM3: ResponderWaitM3;
    try {
      const m1 = this.responder.processMessage1(message1);
      const cR = this.allocateConnectionId(m1.connectionIdI, now);
      if (!cR) {
        this.stats.refused++;
        return edhocErrorResponse(Code.SERVICE_UNAVAILABLE, encodeErrorMessage(unspecifiedError('no connection identifier free')), [uintOpt(Opt.MAX_AGE, this.retryAfterS)]);
      }
      const credential = typeof this.credential === 'function' ? this.credential(m1) : this.credential;
      waitM3 = m1.prepareMessage2({ credential, connectionId: cR });
    } catch (e) {
      return this.fail(e, address, undefined);
    }
    const key = toHex(waitM3.connectionIdR);
    const evicted = this.sessions.set(key, { state: waitM3, address }, now);
    for (const old of evicted ?? []) {
      this.stats.evicted++;
      this.retired.set(toHex(old.state.connectionIdR), true, now);
      this.publish({ event: 'evicted', peer: formatPeer(old.address), connectionIdR: toHex(old.state.connectionIdR) });
    }
    this.publish({ event: 'message_1', peer: formatPeer(address), connectionIdR: key });
    return response(Code.CHANGED, waitM3.message2, [uintOpt(Opt.CONTENT_FORMAT, CF_EDHOC_CBOR_SEQ)]);
  }

  /**
   * A C_R free for this session (RFC 9668 §4.1.2): not C_I, not held by a half-open or completing
   * session, not the Recipient ID of a registered context without ID Context. Compact one-byte
   * identifiers first (from a random start), then the other one-byte values, then random longer ones.
   */
  private allocateConnectionId(cI: Uint8Array, now: number): ConnectionId | undefined {
    const free = (id: Uint8Array): boolean => {
      if (bytesEqual(id, cI)) return false;
      const key = toHex(id);
      return (
        !this.completing.has(key) &&
        this.sessions.get(key, now) === undefined &&
        this.retired.get(key, now) === undefined &&
        this.contexts.peek(contextKey(undefined, id)) === undefined
      );
    };
    const start = this.random.int(COMPACT_COUNT);
    for (let i = 0; i < ONE_BYTE_IDS.length; i++) {
      const idx = i < COMPACT_COUNT ? (start + i) % COMPACT_COUNT : i;
      const id = Uint8Array.of(ONE_BYTE_IDS[idx]!);
      if (free(id)) return id as ConnectionId;
    }
    for (let len = 2; len <= MAX_ID_LENGTH; len++) {
      for (let attempt = 0; attempt < 16; attempt++) {
        const id = this.random.bytes(len);
        if (free(id)) return id as ConnectionId;
      }
    }
    return undefined;
  }

  // ---- message_3 -------------------------------------------------------------------------------

  /** @internal Takes the half-open session C_R out of the table (one attempt per session). */
  take(key: string, address: PeerAddress, combined: boolean): Outcome<HalfOpen> {
    const entry = this.sessions.get(key, this.clock.now());
    if (!entry) {
      this.stats.unknownSession++;
      this.publish({ event: 'unknown-session', peer: formatPeer(address), connectionIdR: key, combined });
      return { ok: false, response: clientError('unknown or expired EDHOC session') };
    }
    this.sessions.delete(key);
    this.completing.add(key);
    return { ok: true, value: entry };
  }

  /** @internal */
  release(key: string): void {
    this.completing.delete(key);
  }

  private onPeerError(message: Uint8Array, key: string, address: PeerAddress): CoapResponse {
    let reason = 'error message';
    try {
      const m = decodeErrorMessage(message);
      reason = `error code ${m.code}${typeof m.info === 'string' ? `: ${m.info}` : ''}`;
    } catch {
      reason = 'undecodable error message';
    }
    this.stats.abortedByPeer++;
    this.publish({ event: 'aborted-by-peer', peer: formatPeer(address), connectionIdR: key, reason });
    this.logger.info('EDHOC Initiator aborted the session', { peer: formatPeer(address), connectionIdR: key, reason });
    return response(Code.CHANGED);
  }

  /**
   * @internal Processes message_3 of a taken session: parse, judge, verify, derive and register
   * the OSCORE context. A failure is the CoAP error response carrying the EDHOC error message.
   */
  async complete(entry: HalfOpen, message3: Uint8Array, address: PeerAddress, combined: boolean): Promise<Outcome<EdhocCompletion>> {
    const peerText = formatPeer(address);
    const cRHex = toHex(entry.state.connectionIdR);
    try {
      const pm3 = entry.state.parseMessage3(message3);
      const candidate = edhocCandidate('initiator', pm3.idCredI, pm3, pm3.ead3, address);
      const verdict = normaliseVerdict(await this.judge(candidate));
      const credential = verdict.accept ? (verdict.credential ?? candidate.credential) : undefined;
      if (!verdict.accept || !credential) {
        const unknown = verdict.accept || verdict.unknownCredential === true;
        const reason = verdict.accept ? 'no credential for ID_CRED_I' : (verdict.reason ?? 'credential not accepted');
        this.stats.rejected++;
        this.publish({ event: 'rejected', peer: peerText, connectionIdR: cRHex, reason, combined });
        this.logger.warn('EDHOC Initiator credential rejected', { peer: peerText, connectionIdR: cRHex, reason });
        // The reason stays local (RFC 9528 §9.5: error messages must not reveal sensitive information).
        return { ok: false, response: edhocErrorResponse(Code.BAD_REQUEST, unknown ? pm3.unknownCredential() : pm3.reject()) };
      }
      const session = pm3.verifyMessage3(credential);
      const params = oscoreFromEdhoc(session);
      const context = SecurityContext.derive({ ...params, ...(this.replayWindow !== undefined && { replayWindow: this.replayWindow }) });
      const identity = verdict.identity;
      const peer: EdhocPeer = Object.freeze({
        role: 'initiator' as const,
        credential,
        certificates: candidate.certificates,
        serialNumber: identity?.serialNumber ?? serialOf(candidate.certificates[0]),
        identity,
        method: session.method,
        suite: session.suite.id,
        connectionIdI: session.connectionIdI,
        connectionIdR: session.connectionIdR,
        address,
        establishedAt: this.clock.now(),
      });
      bindEdhocPeer(context, peer);
      this.contexts.add(context);
      this.stats.established++;
      if (combined) this.stats.combined++;
      this.publish({ event: 'established', peer: peerText, connectionIdR: cRHex, ...(peer.serialNumber !== undefined && { serialNumber: peer.serialNumber }), combined });
      this.logger.info('EDHOC session established', { peer: peerText, connectionIdR: cRHex, serialNumber: peer.serialNumber, combined });
      this.onEstablished?.(context, peer);
      return { ok: true, value: { context, peer, session } };
    } catch (e) {
      return { ok: false, response: this.fail(e, address, cRHex, combined) };
    }
  }

  /** The CoAP answer to a failure: the EDHOC error message the state machine asked for (4.00), else 5.00. */
  private fail(e: unknown, address: PeerAddress, cRHex: string | undefined, combined = false): CoapResponse {
    const peerText = formatPeer(address);
    if (e instanceof EdhocError && e.replyMessage) {
      this.stats.failed++;
      this.publish({ event: 'failed', peer: peerText, ...(cRHex && { connectionIdR: cRHex }), reason: e.message, combined });
      this.logger.info('EDHOC message refused', { peer: peerText, connectionIdR: cRHex, err: e });
      return edhocErrorResponse(Code.BAD_REQUEST, e.replyMessage);
    }
    this.stats.failed++;
    this.publish({ event: 'failed', peer: peerText, ...(cRHex && { connectionIdR: cRHex }), reason: e instanceof Error ? e.message : String(e), combined });
    this.logger.error('EDHOC processing failed', { peer: peerText, connectionIdR: cRHex, err: e });
    return serverError();
  }

  private publish(event: EdhocSessionEvent): void {
    if (edhocSessionChannel.hasSubscribers) edhocSessionChannel.publish(event);
  }
}

// ---- RFC 9668: the EDHOC + OSCORE request, server side ------------------------------------------

/**
 * Handles requests carrying the EDHOC option (RFC 9668 §3.3.1): COMB_PAYLOAD = message_3 ‖ OSCORE
 * ciphertext, C_R = the OSCORE 'kid'. EDHOC is finished and the context registered first; the
 * request then goes up without the EDHOC option and with the OSCORE ciphertext alone, for the
 * OscoreLayer to verify. Outer block-wise reassembly happens below (step A of §3.3.2).
 */
export class EdhocCombinedLayer implements Layer {
  readonly name = 'edhoc-combined';
  readonly criticalOptions = [Opt.EDHOC];

  constructor(private readonly resource: EdhocResource) {}

  async handleRequest(req: ServerRequest, next: ServerNext): Promise<CoapResponse> {
    if (!hasOption(req, Opt.EDHOC)) return next(req);
    // Step 1: the OSCORE option and COMB_PAYLOAD's format, else 4.00.
    const oscore = findOption(req, Opt.OSCORE);
    if (oscore === undefined) return response(Code.BAD_REQUEST, 'EDHOC option without OSCORE option');
    let kid: Uint8Array | undefined;
    try {
      kid = decodeOscoreOption(oscore).kid;
    } catch {
      return response(Code.BAD_REQUEST, 'undecodable OSCORE option');
    }
    if (kid === undefined) return response(Code.BAD_REQUEST, 'EDHOC + OSCORE request without kid');
    const payload = req.payload;
    // message_3 is one CBOR byte string (major type 2); the OSCORE ciphertext follows it.
    if (payload.length === 0 || payload[0]! >> 5 !== 2) return response(Code.BAD_REQUEST, 'COMB_PAYLOAD does not start with message_3');
    let split: number;
    try {
      split = firstItemLength(payload, 'COMB_PAYLOAD');
    } catch {
      return response(Code.BAD_REQUEST, 'COMB_PAYLOAD does not start with message_3');
    }
    if (split >= payload.length) return response(Code.BAD_REQUEST, 'COMB_PAYLOAD has no OSCORE ciphertext');
    const message3 = payload.slice(0, split);
    const ciphertext = payload.slice(split);
    // Steps 3-5: the session named by C_R = kid, EDHOC processing, the new context.
    const key = toHex(kid);
    const taken = this.resource.take(key, req.peer, true);
    if (!taken.ok) return taken.response;
    if (this.resource.usesMessage4) {
      // Step 4: a profile with message_4 cannot use the combined request; the session fails.
      this.resource.release(key);
      return clientError('combined request not applicable');
    }
    try {
      const done = await this.resource.complete(taken.value, message3, req.peer, true);
      if (!done.ok) return done.response;
    } finally {
      this.resource.release(key);
    }
    // Steps 6-8: the rebuilt OSCORE request, verified above us.
    return next({ ...req, options: req.options.filter((o) => o.number !== Opt.EDHOC), payload: ciphertext.length ? ciphertext : EMPTY });
  }
}
