/**
 * The registrar as Local RA for BRSKI-AE with CMP (RFC 9733 §5.1; RFC 9483 §4.4, §5): the
 * store-and-forward heart of DESIGN.md §3. For every pledge request it
 *
 *  1. checks what it can locally — DER, header, the pledge's signature protection with the
 *     IDevID chained to a manufacturer trust anchor (kur: the domain anchor), the authorization
 *     (serial number allowed; later: a valid voucher) — so that nothing forged goes upstream;
 *  2. commits the request to the journal before any answer (RegistrarJournal + RegistrarStateStore);
 *  3. forwards it, wrapped in a nested message the registrar signs (its consent), to the RA/CA
 *     within the upstream timeout and relays the answer unchanged; or, when the RA/CA is out of
 *     reach, answers "waiting" itself and holds the transaction: the outbox forwards with backoff,
 *     pollReq gets pollRep, the CA's answer is delivered re-protected, certConf is acknowledged
 *     locally and confirmed upstream by the registrar;
 *  4. answers genm caCerts / certReqTemplate from a cache filled while the CA was reachable.
 *
 * Offline transfer: exportBatch() gives the pending upstream messages as one PKIMessages,
 * importBatch() records the CA's answers from such a file. The decisions themselves are the pure
 * functions of lra.ts; this class runs them against the store and the upstream link.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { bytesEqual, copyBytes, toHex } from '../../core/bytes.ts';
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.ts';
import { StackError, isStackError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import {
  CMPCertificate,
  CaCertsValue,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  InfoTypeAndValue,
  PKIStatus,
  PVNO,
  bodyTypeOf,
  decodeAsn1,
  decodePkiMessage,
  decodePkiMessages,
  encodeAsn1,
  encodePkiMessage,
  encodePkiMessages,
  infoTypeAndValue,
  type FailureInfoName,
  type PKIMessage,
} from '../../codec/cmp/index.ts';
import {
  certificateDer,
  parseCertificate,
  readSubjectSerialNumber,
  sameCertificate,
  type Certificate,
} from '../../pki/index.ts';
import type { JournalEntry, RegistrarJournal } from '../../store/registrar-journal.ts';
import type { RegistrarStateStore, RegistrarTx, TxOutcome } from '../../store/registrar-state.ts';
import { CmpFailure, cmpFailure, failInfoOf } from '../cmp/failure.ts';
import { P10CR_CERT_REQ_ID, certHashMatches } from '../cmp/message-builder.ts';
import { verifyProtection, type ProtectionInfo } from '../cmp/protection.ts';
import { isCertRequestType, phasesAccepting, routeFollowUp, upstreamEffect, type CertRequestType } from './lra.ts';
import {
  errorAnswer,
  genpAnswer,
  nestedWrapper,
  ownCertConf,
  ownGenm,
  ownPollReq,
  pkiConfAnswer,
  pollRepAnswer,
  readUpstreamAnswer,
  reprotectedAnswer,
  waitingAnswer,
  type RegistrarSigner,
  type UpstreamMessage,
} from './messages.ts';

/** The link to the RA/CA: POST one DER PKIMessage, resolve to the DER answer. */
export interface Upstream {
  send(der: Uint8Array, o: { readonly label?: string; readonly timeoutMs: number }): Promise<Uint8Array>;
}

/** Who asks, as the registrar's authorization sees it. */
export interface PledgeIdentity {
  readonly serialNumber: string | undefined;
  readonly certificate: Certificate;
  readonly requestType: string;
  readonly transactionId: Uint8Array;
  readonly label?: string;
}

export type AuthorizationResult = { readonly ok: true } | { readonly ok: false; readonly failInfo: FailureInfoName; readonly text: string };
export type Authorizer = (p: PledgeIdentity) => AuthorizationResult | Promise<AuthorizationResult>;

export interface AllowListOptions {
  readonly allowAny: boolean;
  readonly serials?: readonly string[];
  /**
   * The hook for the voucher check (RFC 8995 §5.3: the registrar's part in the join decision):
   * when given, a pledge must also have a valid voucher.
   */
  readonly hasValidVoucher?: (serialNumber: string) => boolean | Promise<boolean>;
}

/** Authorization by the pledge's 802.1AR serial number (subject serialNumber of the IDevID). */
export function allowListAuthorizer(o: AllowListOptions): Authorizer {
  const allowed = new Set(o.serials ?? []);
  return async (p) => {
    if (p.serialNumber === undefined) return { ok: false, failInfo: 'badRequest', text: 'the protection certificate has no subject serialNumber' };
    if (!o.allowAny && !allowed.has(p.serialNumber)) return { ok: false, failInfo: 'notAuthorized', text: `pledge ${p.serialNumber} is not on the registrar's allow list` };
    if (o.hasValidVoucher && !(await o.hasValidVoucher(p.serialNumber))) {
      return { ok: false, failInfo: 'notAuthorized', text: `pledge ${p.serialNumber} has no valid voucher` };
    }
    return { ok: true };
  };
}

export interface RegistrarCredentials {
  readonly privateKey: KeyObject;
  readonly certificate: Certificate;
  readonly chain: readonly Certificate[];
}

export interface LocalRaOptions {
  readonly journal: RegistrarJournal;
  readonly state: RegistrarStateStore;
  /** The registrar's key and certificate; offline tools without them can record answers only. */
  readonly signer?: RegistrarCredentials;
  /** Trust anchors for pledge IDevIDs (manufacturer roots): ir, cr, p10cr. */
  readonly pledgeTrustAnchors: readonly Certificate[];
  /** The domain trust anchors: kur signers (LDevIDs) and the RA/CA's answers. */
  readonly domainTrustAnchors: readonly Certificate[];
  readonly upstream?: Upstream;
  readonly authorize: Authorizer;
  /** checkAfter (s) in the registrar's own pollRep. */
  readonly checkAfterSeconds: number;
  /** How long a pledge's request waits for the RA/CA before the registrar answers "waiting". */
  readonly upstreamTimeoutMs: number;
  /** Timeout of outbox attempts and cache refreshes (default max(upstreamTimeoutMs, 10 s)). */
  readonly backgroundTimeoutMs?: number;
  /** After an upstream failure, new requests are answered "waiting" at once for this long. */
  readonly retryBaseMs?: number;
  /** Acknowledge certConf of relayed transactions locally (and confirm upstream later). */
  readonly localCertConf: boolean;
  /** Profile label used upstream for every request (else the one in the pledge's path). */
  readonly label?: string;
  /** messageTime of pledge requests may be this far off our clock (default 10 min). */
  readonly maxClockSkewMs?: number;
  /** How often the outbox runs when started (default 1 s). */
  readonly outboxIntervalMs?: number;
  /** How often the genp cache is refreshed when started (default 1 h). */
  readonly cacheRefreshMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

export interface HandleContext {
  /** The label in the pledge's path (/.well-known/cmp/p/<label>). */
  readonly label?: string;
  /** The pledge's address, for the journal and logs. */
  readonly peer?: string;
  /**
   * The IDevID the request's OSCORE channel was authenticated with (EDHOC). When given, the CMP
   * signer must be that pledge: the same certificate for ir/cr/p10cr, the same subject
   * serialNumber for kur; otherwise notAuthorized.
   */
  readonly oscorePeer?: OscorePeerIdentity;
  /**
   * EST-oscore: the request is the registrar's own p10cr carrying a pledge's PKCS#10, signed by
   * the registrar on behalf of this EDHOC-authenticated pledge (who is then the one authorized).
   */
  readonly onBehalfOf?: OscorePeerIdentity;
}

/** A pledge identity proven by EDHOC (its IDevID). */
export interface OscorePeerIdentity {
  readonly certificate: Certificate;
  readonly serialNumber: string | undefined;
}

export interface OutboxReport {
  attempted: number;
  answered: number;
  failed: number;
}

export interface ImportReport {
  messages: number;
  recorded: number;
  duplicates: number;
  unmatched: number;
  refused: string[];
}

const MIN_NONCE_LENGTH = 16;
const MAX_ID_LENGTH = 64;
const RECENT_ANSWERS = 1024;
const RECENT_TTL_MS = 5 * 60 * 1000;
const META_GENP = 'genp:';
/** How often the outbox looks for held transactions without a queued poll (e.g. after an import without --pki). */
const RECONCILE_EVERY_MS = 15_000;
const LOCAL_INFO_TYPES = new Set([ID_IT_CA_CERTS, ID_IT_CERT_REQ_TEMPLATE]);

type AttemptResult = { readonly kind: 'answered'; readonly inner: UpstreamMessage } | { readonly kind: 'failed'; readonly transport: boolean; readonly error: string };

export class LocalRa {
  private readonly opts: LocalRaOptions;
  private readonly journal: RegistrarJournal;
  private readonly state: RegistrarStateStore;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly signer: RegistrarSigner | undefined;
  private readonly backgroundTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly maxClockSkewMs: number;
  private readonly busy = new Map<string, Promise<unknown>>();
  /** Answers to requests without durable state (refusals, genm): by request hash. */
  private readonly recent = new Map<string, { der: Uint8Array; at: number }>();
  private downUntil = 0;
  private lastReconcile = 0;
  private lastUpstreamOk: number | undefined;
  private outboxRun: Promise<OutboxReport> | undefined;
  private timer: TimerHandle | undefined;
  private refreshTimer: TimerHandle | undefined;
  private started = false;

  constructor(opts: LocalRaOptions) {
    this.opts = Object.freeze({ ...opts });
    this.journal = opts.journal;
    this.state = opts.state;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.log = (opts.logger ?? silentLogger).child({ component: 'lra' });
    this.signer = opts.signer ? { ...opts.signer, clock: this.clock, random: this.random } : undefined;
    this.backgroundTimeoutMs = opts.backgroundTimeoutMs ?? Math.max(opts.upstreamTimeoutMs, 10_000);
    this.retryBaseMs = opts.retryBaseMs ?? 2000;
    this.maxClockSkewMs = opts.maxClockSkewMs ?? 10 * 60 * 1000;
  }

  /** The registrar's signing credentials (EST-oscore builds its own requests with them). */
  get registrarSigner(): RegistrarSigner {
    return this.signerOrFail();
  }

  /** A transaction by transactionID, as the state store holds it. */
  transaction(transactionId: Uint8Array): RegistrarTx | undefined {
    return this.state.getTx(transactionId);
  }

  /** True while the last upstream exchange succeeded (undefined before the first). */
  get upstreamOnline(): boolean | undefined {
    return this.lastUpstreamOk === undefined ? undefined : this.downUntil <= this.clock.now();
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Recovers rows left in flight, then runs the outbox and the cache refresh on timers. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const recovered = this.journal.recoverInFlight();
    if (recovered > 0) this.log.info('outbox: rows left in flight are queued again', { count: recovered });
    this.reconcile();
    this.scheduleOutbox(0);
    const refreshEvery = this.opts.cacheRefreshMs ?? 3600_000;
    const refresh = (): void => {
      this.refreshTimer = undefined;
      void this.refreshCache()
        .catch((e: unknown) => this.log.warn('genp cache refresh failed', { error: e }))
        .finally(() => {
          if (this.started) this.refreshTimer = this.clock.setTimeout(refresh, refreshEvery);
        });
    };
    this.refreshTimer = this.clock.setTimeout(refresh, 0);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.refreshTimer) this.clock.clearTimeout(this.refreshTimer);
    this.timer = this.refreshTimer = undefined;
    await this.outboxRun?.catch(() => undefined);
    await Promise.allSettled([...this.busy.values()]);
  }

  /** Runs the outbox soon (after a new row was queued). */
  private kick(): void {
    if (this.started && this.opts.upstream) this.scheduleOutbox(0);
  }

  /** One outbox timer at a time: the next run after `delayMs`, then every outboxIntervalMs. */
  private scheduleOutbox(delayMs: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runOutbox()
        .catch((e: unknown) => this.log.error('outbox run failed', { error: e }))
        .finally(() => {
          if (this.started && !this.timer) this.scheduleOutbox(this.opts.outboxIntervalMs ?? 1000);
        });
    }, delayMs);
  }

  // --- the pledge side ----------------------------------------------------------------------

  /**
   * Answers one DER request from a pledge. Always resolves to a DER PKIMessage: the relayed CA
   * answer, the registrar's own answer, or a CMP error message (protected by the registrar).
   */
  async handle(requestDer: Uint8Array, ctx: HandleContext = {}): Promise<Uint8Array> {
    const der = copyBytes(requestDer);
    const key = hashKey(der);
    const memo = this.recent.get(key);
    if (memo && this.clock.now() - memo.at < RECENT_TTL_MS) return memo.der;
    let msg: PKIMessage | undefined;
    try {
      try {
        msg = decodePkiMessage(der);
      } catch (e) {
        throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', 'the request is not a DER PKIMessage', {}, e);
      }
      const m = msg;
      this.checkHeader(m);
      const tid = m.header.transactionID!;
      const stored = this.state.findAnswer(tid, der);
      if (stored) return stored;
      return await this.serialized(tid, async () => {
        const again = this.state.findAnswer(tid, der);
        if (again) {
          this.log.debug('retransmitted request, answering with the stored answer', { transactionId: tid });
          return again;
        }
        const type = bodyTypeOf(m);
        if (isCertRequestType(type)) return await this.onCertRequest(m, der, type, ctx);
        if (type === 'pollReq' || type === 'certConf') return await this.onFollowUp(m, der, type);
        if (type === 'genm') return this.remember(key, await this.onGeneralMessage(m, ctx));
        if (type === 'rr') return this.remember(key, await this.onRevocation(m, ctx));
        throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `${type} messages are not accepted by the registrar`);
      });
    } catch (e) {
      return this.remember(key, this.refuse(msg, e));
    }
  }

  private remember(key: string, der: Uint8Array): Uint8Array {
    if (this.recent.size >= RECENT_ANSWERS) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { der, at: this.clock.now() });
    return der;
  }

  private refuse(msg: PKIMessage | undefined, e: unknown): Uint8Array {
    const err = this.asCmpError(e);
    this.log.warn('request refused', {
      error: err,
      failInfo: failInfoOf(err),
      ...(msg?.header.transactionID ? { transactionId: msg.header.transactionID } : {}),
    });
    if (!this.signer) throw new StackError('ERR_CONFIG', 'the registrar has no signing key');
    return errorAnswer(msg, err, this.signer);
  }

  /** Store limits become systemUnavail, other typed errors keep their failInfo. */
  private asCmpError(e: unknown): unknown {
    if (isStackError(e, 'ERR_STORE')) {
      const reason = e.details.reason;
      if (reason === 'full' || reason === 'pledge-full') return cmpFailure('ERR_STORE', 'systemUnavail', `the registrar cannot take more requests now: ${e.message}`, { reason }, e);
      return cmpFailure('ERR_STORE', 'systemUnavail', 'the registrar cannot store the request now', {}, e);
    }
    if (isStackError(e, 'ERR_CMP_TRANSACTION') && e.details.reason === 'transactionIdInUse' && !(e instanceof CmpFailure)) {
      return cmpFailure('ERR_CMP_TRANSACTION', 'transactionIdInUse', e.message, {}, e);
    }
    return e;
  }

  /** pvno, transactionID, senderNonce and messageTime (RFC 9483 §3.1, §3.5). */
  private checkHeader(msg: PKIMessage): void {
    const h = msg.header;
    if (h.pvno !== PVNO.cmp2000 && h.pvno !== PVNO.cmp2021) throw cmpFailure('ERR_CMP_UNSUPPORTED', 'unsupportedVersion', `pvno ${h.pvno} is not supported (2 or 3)`);
    if (!h.transactionID || h.transactionID.length === 0) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', 'transactionID is missing');
    if (h.transactionID.length > MAX_ID_LENGTH) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `transactionID longer than ${MAX_ID_LENGTH} octets`);
    if (!h.senderNonce || h.senderNonce.length < MIN_NONCE_LENGTH || h.senderNonce.length > MAX_ID_LENGTH) {
      throw cmpFailure('ERR_CMP_MALFORMED', 'badSenderNonce', `senderNonce missing or not ${MIN_NONCE_LENGTH}..${MAX_ID_LENGTH} octets`);
    }
    if (h.messageTime) {
      const skew = Math.abs(h.messageTime.getTime() - this.clock.now());
      if (skew > this.maxClockSkewMs) throw cmpFailure('ERR_CMP_TRANSACTION', 'badTime', `messageTime is ${Math.round(skew / 1000)} s off the registrar's clock`);
    }
  }

  private async serialized<T>(transactionId: Uint8Array, fn: () => Promise<T>): Promise<T> {
    const key = toHex(transactionId);
    const before = this.busy.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.busy.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.busy.get(key) === tail) this.busy.delete(key);
    }
  }

  private signerOrFail(): RegistrarSigner {
    if (!this.signer) throw new StackError('ERR_CONFIG', 'the registrar has no signing key (give --pki)');
    return this.signer;
  }

  private verifyWith(msg: PKIMessage, trustAnchors: readonly Certificate[], untrusted: readonly Certificate[] = []): ProtectionInfo {
    const prot = verifyProtection(msg, { trustAnchors, untrusted, at: new Date(this.clock.now()) });
    if (prot.kind !== 'signature') throw cmpFailure('ERR_CMP_PROTECTION', 'wrongIntegrity', 'signature protection expected');
    return prot;
  }

  // --- certificate requests -----------------------------------------------------------------

  private async onCertRequest(msg: PKIMessage, der: Uint8Array, type: CertRequestType, ctx: HandleContext): Promise<Uint8Array> {
    const tid = msg.header.transactionID!;
    const existing = this.state.getTx(tid);
    if (existing) {
      if (!bytesEqual(existing.requestDer, der)) {
        throw cmpFailure('ERR_CMP_TRANSACTION', 'transactionIdInUse', `transactionID is already in use (by a ${existing.requestType} transaction)`);
      }
      return this.answerRepeatedRequest(existing, msg, der);
    }
    // 1. Verify locally: a forged or untrusted request never reaches the CA.
    const onBehalf = ctx.onBehalfOf !== undefined;
    const anchors = type === 'kur' || onBehalf ? this.opts.domainTrustAnchors : this.opts.pledgeTrustAnchors;
    const prot = this.verifyWith(msg, anchors) as Extract<ProtectionInfo, { kind: 'signature' }>;
    if (onBehalf && (type !== 'p10cr' || !sameCertificate(prot.certificate, this.signerOrFail().certificate))) {
      throw cmpFailure('ERR_CMP_PROTECTION', 'notAuthorized', 'a request on behalf of a pledge must be a p10cr signed by this registrar');
    }
    let serialNumber: string | undefined;
    try {
      serialNumber = onBehalf ? ctx.onBehalfOf!.serialNumber : readSubjectSerialNumber(prot.certificate);
    } catch {
      serialNumber = undefined;
    }
    if (ctx.oscorePeer && !onBehalf) {
      const same =
        type === 'kur'
          ? serialNumber !== undefined && serialNumber === ctx.oscorePeer.serialNumber
          : sameCertificate(prot.certificate, ctx.oscorePeer.certificate);
      if (!same) {
        throw cmpFailure('ERR_CMP_PROTECTION', 'notAuthorized', `the CMP signer (${serialNumber ?? 'no serialNumber'}) is not the pledge authenticated by EDHOC (${ctx.oscorePeer.serialNumber ?? '-'})`);
      }
    }
    const label = this.opts.label ?? ctx.label;
    const auth = await this.opts.authorize({
      serialNumber,
      certificate: onBehalf ? ctx.onBehalfOf!.certificate : prot.certificate,
      requestType: type,
      transactionId: tid,
      ...(label !== undefined ? { label } : {}),
    });
    if (!auth.ok) throw cmpFailure('ERR_CMP_REJECTED', auth.failInfo, auth.text, { pledge: serialNumber ?? '-' });
    const certReqId = type === 'p10cr' ? P10CR_CERT_REQ_ID : (msg.body[type]?.[0]?.certReq.certReqId ?? 0);
    const signer = this.signerOrFail();

    // 2. Commit before any answer.
    const nested = nestedWrapper(msg, signer, label);
    let row!: JournalEntry;
    let tx!: RegistrarTx;
    this.state.atomically(() => {
      row = this.journal.receive({
        transactionId: tid,
        step: type,
        requestDer: der,
        requestNonce: msg.header.senderNonce!,
        upstreamDer: nested,
        ...(serialNumber !== undefined ? { pledgeSerial: serialNumber } : {}),
        ...(ctx.peer !== undefined ? { peer: ctx.peer } : {}),
      }).entry;
      tx = this.state.createTx({
        transactionId: tid,
        requestType: type,
        certReqId,
        ...(serialNumber !== undefined ? { pledgeSerial: serialNumber } : {}),
        ...(ctx.peer !== undefined ? { peer: ctx.peer } : {}),
        ...(label !== undefined ? { label } : {}),
        signerDer: certificateDer(prot.certificate),
        requestDer: der,
      });
    });
    this.log.info('request committed', { transactionId: tid, type, pledge: serialNumber, label });

    // 3. Forward within the upstream timeout, or answer waiting.
    return this.forwardOrWait(tx, row, msg, der);
  }

  private async forwardOrWait(tx: RegistrarTx, row: JournalEntry, msg: PKIMessage, der: Uint8Array): Promise<Uint8Array> {
    const tid = tx.transactionId;
    if (this.upstreamUsable() && row.state === 'received') {
      const r = await this.attempt(row, this.opts.upstreamTimeoutMs, tx.label);
      if (r.kind === 'answered') {
        const applied = this.applyAnswer(row, r.inner, true);
        if (applied) {
          this.state.putAnswer(tid, der, r.inner.der);
          this.log.info('relayed the RA/CA answer', { transactionId: tid, answer: bodyTypeOf(r.inner.msg), effect: applied });
          return r.inner.der;
        }
      } else {
        this.log.info('RA/CA not reachable; holding the transaction', { transactionId: tid, error: r.error });
      }
    }
    return this.answerWaiting(tx, msg, der);
  }

  /** The registrar's "waiting" (ip/cp/kup status waiting) for a held transaction. */
  private answerWaiting(tx: RegistrarTx, msg: PKIMessage, der: Uint8Array): Uint8Array {
    const reason = `the registrar forwards the request when the RA/CA is reachable; poll after ${this.opts.checkAfterSeconds} s`;
    const w = waitingAnswer(msg, tx.requestType as CertRequestType, tx.certReqId, this.signerOrFail(), reason);
    this.state.atomically(() => {
      this.state.updateTx(tx.transactionId, { ourNonce: w.senderNonce });
      this.state.putAnswer(tx.transactionId, der, w.der);
    });
    return w.der;
  }

  /** The same request bytes again, but no stored answer (lost with a crash, or pruned). */
  private async answerRepeatedRequest(tx: RegistrarTx, msg: PKIMessage, der: Uint8Array): Promise<Uint8Array> {
    if (tx.phase === 'forwarding' && tx.mode === 'held') {
      const row = this.journal.find(tx.transactionId, tx.requestType);
      if (row) return this.forwardOrWait(tx, row, msg, der);
      return this.answerWaiting(tx, msg, der);
    }
    if (tx.phase === 'waiting') {
      if (tx.mode === 'relayed') this.convertToHeld(tx);
      return this.answerWaiting(tx, msg, der);
    }
    if (tx.phase === 'answered') return this.deliver(this.state.getTx(tx.transactionId)!, msg, der);
    throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `the request was answered already (transaction ${tx.phase})`);
  }

  /** A relayed transaction the registrar takes over: it polls the CA itself from now on. */
  private convertToHeld(tx: RegistrarTx): void {
    this.state.atomically(() => {
      const updated = this.state.updateTx(tx.transactionId, { mode: 'held' });
      if (updated && updated.phase === 'waiting') this.enqueueOwnPoll(updated, 0);
    });
    this.log.info('transaction held by the registrar from now on', { transactionId: tx.transactionId });
  }

  // --- pollReq and certConf -----------------------------------------------------------------

  private async onFollowUp(msg: PKIMessage, der: Uint8Array, type: 'pollReq' | 'certConf'): Promise<Uint8Array> {
    const tid = msg.header.transactionID!;
    const tx = this.state.getTx(tid);
    if (!tx) throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `${type} for an unknown transaction`, { transactionId: toHex(tid) });
    // Only the pledge that made the request may go on with it: its own certificate as the anchor.
    const signerCert = parseCertificate(tx.signerDer);
    const prot = this.verifyWith(msg, [signerCert], [signerCert]);
    if (prot.kind !== 'signature' || !sameCertificate(prot.certificate, signerCert)) {
      throw cmpFailure('ERR_CMP_PROTECTION', 'notAuthorized', `${type} is not protected by the certificate that made the request`);
    }
    const route = routeFollowUp(tx, msg, { localCertConf: this.opts.localCertConf });
    switch (route.kind) {
      case 'refuse':
        throw cmpFailure('ERR_CMP_TRANSACTION', route.failInfo, route.text);
      case 'poll-pending': {
        this.checkPollReq(tx, msg);
        const p = pollRepAnswer(msg, tx.certReqId, this.opts.checkAfterSeconds, this.signerOrFail(), 'the RA/CA has not answered yet');
        this.state.atomically(() => {
          this.state.updateTx(tid, { ourNonce: p.senderNonce });
          this.state.putAnswer(tid, der, p.der);
        });
        return p.der;
      }
      case 'poll-deliver':
        this.checkPollReq(tx, msg);
        return this.deliver(tx, msg, der);
      case 'poll-relay':
        return this.relayFollowUp(tx, msg, der, 'pollReq');
      case 'confirm-relay':
        return this.relayFollowUp(tx, msg, der, 'certConf');
      case 'confirm-local':
        return this.confirmLocally(tx, msg, der, route.upstream);
    }
  }

  private checkPollReq(tx: RegistrarTx, msg: PKIMessage): void {
    const entries = msg.body.pollReq!;
    if (entries.length !== 1) throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', `pollReq must hold one entry, holds ${entries.length}`);
    const id = entries[0]!.certReqId;
    if (id !== tx.certReqId && id !== -1) throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', `pollReq for certReqId ${id}, the request has ${tx.certReqId}`);
  }

  /** The CA's final answer, re-protected by the registrar, answering `msg`. */
  private deliver(tx: RegistrarTx, msg: PKIMessage, der: Uint8Array): Uint8Array {
    if (!tx.answerDer) throw new StackError('ERR_STORE', `transaction ${toHex(tx.transactionId)} is answered but holds no answer`);
    const caAnswer = decodePkiMessage(tx.answerDer);
    const built = reprotectedAnswer(msg, caAnswer, this.signerOrFail());
    const awaitConf = tx.outcome === 'issued' && !tx.implicitConfirm;
    this.state.atomically(() => {
      this.state.updateTx(tx.transactionId, { ourNonce: built.senderNonce, phase: awaitConf ? 'delivered' : 'closed' }, ['answered']);
      this.state.putAnswer(tx.transactionId, der, built.der);
      if (!awaitConf) this.closeRows(tx.transactionId, tx.outcome ?? 'error');
    });
    this.log.info('delivered the RA/CA answer', { transactionId: tx.transactionId, outcome: tx.outcome, answer: bodyTypeOf(caAnswer) });
    return built.der;
  }

  private async relayFollowUp(tx: RegistrarTx, msg: PKIMessage, der: Uint8Array, type: 'pollReq' | 'certConf'): Promise<Uint8Array> {
    const tid = tx.transactionId;
    const signer = this.signerOrFail();
    if (this.upstreamUsable()) {
      const r = await this.exchangeDirect(nestedWrapper(msg, signer, tx.label), msg, this.opts.upstreamTimeoutMs, tx.label);
      if (r.kind === 'answered') {
        const eff = upstreamEffect(type, r.inner.msg, r.inner.der, 'relayed', this.opts.checkAfterSeconds);
        if (eff.kind !== 'unexpected') {
          this.state.atomically(() => {
            const updated = this.state.updateTx(tid, eff.patch, phasesAccepting(type === 'certConf' ? 'certConf' : 'pollReq'));
            if (updated && eff.close) this.closeTx(tid, eff.close);
            this.state.putAnswer(tid, der, r.inner.der);
          });
          this.log.info('relayed the RA/CA answer', { transactionId: tid, request: type, answer: bodyTypeOf(r.inner.msg) });
          return r.inner.der;
        }
        this.log.warn('unexpected RA/CA answer; the registrar takes over', { transactionId: tid, text: eff.text });
      } else {
        this.log.info('RA/CA not reachable; the registrar takes over the transaction', { transactionId: tid, request: type, error: r.error });
      }
    }
    if (type === 'certConf') return this.confirmLocally(tx, msg, der, 'pledge');
    // The pledge's own pollReq goes upstream later: the CA then either answers it or, had it
    // seen it already, repeats its answer; either way the registrar learns the CA's nonce.
    const p = pollRepAnswer(msg, tx.certReqId, this.opts.checkAfterSeconds, signer, 'the RA/CA is not reachable now');
    this.state.atomically(() => {
      this.journal.requeue({
        transactionId: tid,
        step: 'pollReq',
        requestDer: der,
        requestNonce: msg.header.senderNonce!,
        upstreamDer: nestedWrapper(msg, signer, tx.label),
        ...(tx.pledgeSerial !== undefined ? { pledgeSerial: tx.pledgeSerial } : {}),
      });
      this.state.updateTx(tid, { mode: 'held', ourNonce: p.senderNonce });
      this.state.putAnswer(tid, der, p.der);
    });
    this.kick();
    return p.der;
  }

  /**
   * certConf acknowledged by the registrar (pkiConf under its own protection) after checking
   * certHash against the certificate delivered; the confirmation goes upstream through the
   * outbox: the pledge's certConf itself (relayed: it answers the CA's message) or the
   * registrar's own (held), carrying the pledge's acceptance or refusal.
   */
  private confirmLocally(tx: RegistrarTx, msg: PKIMessage, der: Uint8Array, upstream: 'pledge' | 'own'): Uint8Array {
    const tid = tx.transactionId;
    const signer = this.signerOrFail();
    const { accepted, text } = checkCertConf(tx, msg);
    const ack = pkiConfAnswer(msg, signer);
    let up: { msg: PKIMessage; der: Uint8Array; nonce: Uint8Array } | undefined;
    if (upstream === 'pledge') up = { msg, der, nonce: msg.header.senderNonce! };
    else if (!tx.implicitConfirm) {
      if (!tx.upstreamNonce) throw new StackError('ERR_STORE', `transaction ${toHex(tid)} has no RA/CA nonce to confirm against`);
      const own = ownCertConf(
        {
          transactionId: tid,
          recipNonce: tx.upstreamNonce,
          certificate: parseCertificate(tx.certificateDer!),
          certReqId: tx.certReqId,
          accept: accepted,
          ...(text ? { text } : {}),
        },
        signer,
      );
      up = { msg: own.msg, der: own.der, nonce: own.senderNonce };
    }
    this.state.atomically(() => {
      if (up) {
        this.journal.requeue({
          transactionId: tid,
          step: 'certConf',
          requestDer: up.der,
          requestNonce: up.nonce,
          upstreamDer: nestedWrapper(up.msg, signer, tx.label),
          ...(tx.pledgeSerial !== undefined ? { pledgeSerial: tx.pledgeSerial } : {}),
        });
        this.state.updateTx(tid, { phase: 'confirming' }, ['delivered']);
      } else {
        this.state.updateTx(tid, { phase: 'closed' }, ['delivered']);
        this.closeRows(tid, 'issued');
      }
      this.state.putAnswer(tid, der, ack.der);
    });
    this.log.info('certConf acknowledged by the registrar', { transactionId: tid, accepted, upstream: up ? 'queued' : 'none' });
    this.kick();
    return ack.der;
  }

  // --- genm and rr --------------------------------------------------------------------------

  private async onGeneralMessage(msg: PKIMessage, ctx: HandleContext): Promise<Uint8Array> {
    this.verifyWith(msg, [...this.opts.pledgeTrustAnchors, ...this.opts.domainTrustAnchors]);
    const items = [...msg.body.genm!];
    if (items.length === 0) throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', 'genm without InfoTypeAndValue');
    if (items.every((i) => LOCAL_INFO_TYPES.has(i.infoType))) {
      const answers = items.map((i) => this.cachedInfo(i.infoType));
      return genpAnswer(msg, answers, this.signerOrFail()).der;
    }
    return this.relayPlain(msg, ctx);
  }

  private async onRevocation(msg: PKIMessage, ctx: HandleContext): Promise<Uint8Array> {
    this.verifyWith(msg, [...this.opts.domainTrustAnchors, ...this.opts.pledgeTrustAnchors]);
    return this.relayPlain(msg, ctx);
  }

  /** A request that is only relayed online (nested), never held: systemUnavail when offline. */
  private async relayPlain(msg: PKIMessage, ctx: HandleContext): Promise<Uint8Array> {
    const label = this.opts.label ?? ctx.label;
    if (this.opts.upstream && this.signer) {
      const r = await this.exchangeDirect(nestedWrapper(msg, this.signer, label), msg, this.opts.upstreamTimeoutMs, label);
      if (r.kind === 'answered') return r.inner.der;
      throw cmpFailure('ERR_CMP_TRANSACTION', 'systemUnavail', `the RA/CA is not reachable now: ${r.error}`);
    }
    throw cmpFailure('ERR_CMP_TRANSACTION', 'systemUnavail', 'the RA/CA is not reachable now');
  }

  /** The cached genp value for an infoType (caCerts falls back to the CA certificates the registrar knows). */
  private cachedInfo(infoType: string): InfoTypeAndValue {
    const m = this.state.getMeta(META_GENP + infoType);
    if (m) return decodeAsn1(m.value, InfoTypeAndValue, { what: 'cached InfoTypeAndValue' });
    if (infoType === ID_IT_CA_CERTS) {
      const signer = this.signerOrFail();
      const cas = [...signer.chain.filter((c) => !sameCertificate(c, signer.certificate)), ...this.opts.domainTrustAnchors];
      return infoTypeAndValue(ID_IT_CA_CERTS, new CaCertsValue(cas.map((c) => CMPCertificate.fromDer(certificateDer(c)))));
    }
    throw cmpFailure('ERR_CMP_TRANSACTION', 'systemUnavail', 'no certificate request template is cached and the RA/CA is not reachable');
  }

  /** Asks the CA for caCerts and certReqTemplate (one genm each) and caches the answers. */
  async refreshCache(): Promise<boolean> {
    if (!this.opts.upstream || !this.signer) return false;
    let ok = true;
    for (const infoType of LOCAL_INFO_TYPES) {
      const g = ownGenm([infoType], this.signer, this.opts.label);
      const r = await this.exchangeDirect(g.der, g.msg, this.backgroundTimeoutMs, this.opts.label);
      if (r.kind !== 'answered' || bodyTypeOf(r.inner.msg) !== 'genp') {
        ok = false;
        this.log.info('genp cache not refreshed', { infoType, error: r.kind === 'failed' ? r.error : `answer ${bodyTypeOf(r.inner.msg)}` });
        if (r.kind === 'failed' && r.transport) break;
        continue;
      }
      for (const itav of r.inner.msg.body.genp!) {
        if (LOCAL_INFO_TYPES.has(itav.infoType)) this.state.putMeta(META_GENP + itav.infoType, encodeAsn1(itav, 'InfoTypeAndValue'));
      }
    }
    if (ok) this.log.info('genp cache refreshed', {});
    return ok;
  }

  // --- upstream -----------------------------------------------------------------------------

  private upstreamUsable(): boolean {
    return this.opts.upstream !== undefined && this.signer !== undefined && this.clock.now() >= this.downUntil;
  }

  private noteDown(): void {
    this.downUntil = this.clock.now() + this.retryBaseMs;
  }

  private noteUp(): void {
    this.downUntil = 0;
    this.lastUpstreamOk = this.clock.now();
  }

  /**
   * Sends `upstreamDer` and finds the (verified) inner answer to `inner` in what comes back:
   * same transactionID, recipNonce = its senderNonce.
   */
  private async exchangeDirect(upstreamDer: Uint8Array, inner: PKIMessage, timeoutMs: number, label: string | undefined): Promise<AttemptResult> {
    const upstream = this.opts.upstream;
    if (!upstream) return { kind: 'failed', transport: true, error: 'no upstream configured' };
    let rsp: Uint8Array;
    try {
      rsp = await upstream.send(upstreamDer, { ...(label !== undefined ? { label } : {}), timeoutMs });
    } catch (e) {
      this.noteDown();
      return { kind: 'failed', transport: true, error: (e as Error)?.message ?? String(e) };
    }
    return this.matchAnswer(rsp, inner.header.transactionID!, inner.header.senderNonce!);
  }

  private matchAnswer(rsp: Uint8Array, tid: Uint8Array, nonce: Uint8Array): AttemptResult {
    let read;
    try {
      read = readUpstreamAnswer(rsp, this.opts.domainTrustAnchors, new Date(this.clock.now()));
    } catch (e) {
      this.noteUp();
      return { kind: 'failed', transport: false, error: `the RA/CA answer is not acceptable: ${(e as Error).message}` };
    }
    this.noteUp();
    const found = read.inner.find((m) => {
      const h = m.msg.header;
      return h.transactionID !== undefined && bytesEqual(h.transactionID, tid) && h.recipNonce !== undefined && bytesEqual(h.recipNonce, nonce);
    });
    if (found) return { kind: 'answered', inner: found };
    const first = read.inner[0]!;
    const text = bodyTypeOf(first.msg) === 'error' ? errorText(first.msg) : `a ${bodyTypeOf(first.msg)} that answers something else`;
    return { kind: 'failed', transport: false, error: `the RA/CA did not answer the message: ${text}` };
  }

  /** One upstream attempt for a journal row (marks it forwarded; a failure goes back to the outbox). */
  private async attempt(row: JournalEntry, timeoutMs: number, label: string | undefined): Promise<AttemptResult> {
    const upstreamDer = row.upstreamDer ?? nestedWrapper(decodePkiMessage(row.requestDer), this.signerOrFail(), label);
    try {
      this.journal.markForwarded(row.id, upstreamDer);
    } catch (e) {
      // Changed meanwhile (e.g. `brski registrar import` recorded its answer): nothing to send.
      if (isStackError(e, 'ERR_STORE')) return { kind: 'failed', transport: false, error: `row ${row.id} changed: ${e.message}` };
      throw e;
    }
    const inner = decodePkiMessage(row.requestDer);
    const r = await this.exchangeDirect(upstreamDer, inner, timeoutMs, label);
    if (r.kind === 'failed') {
      try {
        const next = this.journal.recordAttemptFailure(row.id, r.error);
        this.log.info('upstream attempt failed', { transactionId: row.transactionId, step: row.step, error: r.error, retryAt: new Date(next).toISOString() });
      } catch (e) {
        if (!isStackError(e, 'ERR_STORE')) throw e;
        this.log.info('upstream attempt failed, but the row was answered meanwhile', { transactionId: row.transactionId, step: row.step });
      }
      if (!r.transport) this.log.error('the RA/CA refused the registrar\'s message', { transactionId: row.transactionId, step: row.step, error: r.error });
    }
    return r;
  }

  /**
   * Records the CA's answer to a journal row and moves the transaction on. `relay`: the answer
   * goes to the pledge unchanged (the transaction becomes relayed). Returns what the CA said, or
   * undefined when the answer no longer fits the transaction.
   */
  private applyAnswer(row: JournalEntry, inner: UpstreamMessage, relay: boolean): string | undefined {
    const tid = row.transactionId;
    return this.state.atomically(() => {
      const current = this.journal.get(row.id);
      if (!current || current.state === 'confirmed' || current.state === 'failed') {
        this.log.info('answer for a finished journal row ignored', { transactionId: tid, step: row.step });
        return undefined;
      }
      const tx = this.state.getTx(tid);
      this.journal.recordAnswer(row.id, inner.der);
      if (!tx) {
        this.journal.markFailed(row.id, 'no transaction for this answer');
        return undefined;
      }
      const sent = isCertRequestType(row.step) ? row.step : row.step === 'certConf' ? 'certConf' : 'pollReq';
      const mode = relay ? 'relayed' : tx.mode;
      const eff = upstreamEffect(sent, inner.msg, inner.der, mode, this.opts.checkAfterSeconds);
      if (eff.kind === 'unexpected') {
        this.log.warn('unexpected RA/CA answer', { transactionId: tid, step: row.step, text: eff.text });
        this.journal.markFailed(row.id, eff.text ?? 'unexpected answer');
        return undefined;
      }
      const updated = this.state.updateTx(tid, { ...eff.patch, ...(relay ? { mode: 'relayed' as const } : {}) }, phasesAccepting(sent));
      if (!updated) {
        this.log.info('late RA/CA answer ignored', { transactionId: tid, step: row.step, phase: tx.phase });
        return undefined;
      }
      // The request row keeps the latest answer to the transaction's request.
      if (!isCertRequestType(row.step) && sent !== 'certConf') {
        const req = this.journal.find(tid, tx.requestType);
        if (req && req.state !== 'confirmed' && req.state !== 'failed') this.journal.recordAnswer(req.id, inner.der);
      }
      if (eff.pollAfterMs !== undefined) this.enqueueOwnPoll(updated, eff.pollAfterMs);
      else if (sent === 'pollReq') this.journal.markConfirmed(row.id);
      if (eff.close) this.closeTx(tid, eff.close);
      this.log.info('RA/CA answer recorded', { transactionId: tid, step: row.step, answer: bodyTypeOf(inner.msg), effect: eff.kind, mode, phase: updated.phase });
      if (eff.text && (eff.kind === 'rejected' || eff.kind === 'error')) this.log.info('RA/CA refusal', { transactionId: tid, text: eff.text });
      return eff.kind;
    });
  }

  /** Queues the registrar's own pollReq for a held transaction the CA answered "waiting". */
  private enqueueOwnPoll(tx: RegistrarTx, delayMs: number): boolean {
    if (!this.signer || !tx.upstreamNonce) return false;
    const p = ownPollReq({ transactionId: tx.transactionId, recipNonce: tx.upstreamNonce, certReqId: tx.certReqId }, this.signer);
    this.journal.requeue({
      transactionId: tx.transactionId,
      step: 'pollReq',
      requestDer: p.der,
      requestNonce: p.senderNonce,
      upstreamDer: nestedWrapper(p.msg, this.signer, tx.label),
      ...(tx.pledgeSerial !== undefined ? { pledgeSerial: tx.pledgeSerial } : {}),
      notBefore: this.clock.now() + Math.max(0, delayMs),
    });
    return true;
  }

  private closeTx(tid: Uint8Array, outcome: TxOutcome): void {
    this.state.updateTx(tid, { phase: 'closed' });
    this.closeRows(tid, outcome);
  }

  /** Every open journal row of a finished transaction: confirmed when issued, failed otherwise. */
  private closeRows(tid: Uint8Array, outcome: TxOutcome): void {
    for (const r of this.journal.transaction(tid)) {
      if (r.state === 'confirmed' || r.state === 'failed') continue;
      if (r.state === 'answered' && outcome === 'issued') this.journal.markConfirmed(r.id);
      else this.journal.markFailed(r.id, r.state === 'answered' ? `transaction ended: ${outcome}` : 'transaction ended before this message went upstream');
    }
  }

  /**
   * Makes sure every held transaction the CA answered "waiting" has a pollReq queued (answers
   * imported without the registrar's key leave that to the service). Returns how many it queued.
   */
  reconcile(): number {
    if (!this.signer) return 0;
    let n = 0;
    for (const tx of this.state.listTx(['waiting'], 'held')) {
      const row = this.journal.find(tx.transactionId, 'pollReq');
      if (row && (row.state === 'received' || row.state === 'forwarded')) continue;
      if (!tx.upstreamNonce) continue; // still waiting for the first answer: the request row is queued
      const req = this.journal.find(tx.transactionId, tx.requestType);
      if (req && (req.state === 'received' || req.state === 'forwarded')) continue;
      if (this.state.atomically(() => this.enqueueOwnPoll(tx, 0))) n++;
    }
    if (n > 0) this.log.info('queued polls for held transactions', { count: n });
    return n;
  }

  // --- the outbox ---------------------------------------------------------------------------

  /** Forwards due rows, oldest first; stops at the first transport failure (the RA/CA is down). */
  runOutbox(limit = 64): Promise<OutboxReport> {
    if (this.outboxRun) return this.outboxRun;
    const run = (async (): Promise<OutboxReport> => {
      const report: OutboxReport = { attempted: 0, answered: 0, failed: 0 };
      if (!this.opts.upstream || !this.signer) return report;
      if (this.clock.now() - this.lastReconcile >= RECONCILE_EVERY_MS) {
        this.lastReconcile = this.clock.now();
        this.reconcile();
      }
      for (const due of this.journal.due(limit)) {
        let outcome: Awaited<ReturnType<LocalRa['forwardRow']>>;
        try {
          outcome = await this.serialized(due.transactionId, () => this.forwardRow(due.id));
        } catch (e) {
          this.log.error('outbox: forwarding a row failed', { transactionId: due.transactionId, step: due.step, error: e });
          outcome = 'failed';
        }
        if (outcome === 'skipped') continue;
        report.attempted++;
        if (outcome === 'answered') report.answered++;
        else report.failed++;
        if (outcome === 'down') break;
      }
      return report;
    })();
    this.outboxRun = run;
    return run.finally(() => {
      this.outboxRun = undefined;
    });
  }

  private async forwardRow(id: number): Promise<'answered' | 'failed' | 'down' | 'skipped'> {
    const row = this.journal.get(id);
    if (!row || row.state !== 'received' || row.nextAttemptAt > this.clock.now()) return 'skipped';
    const tx = this.state.getTx(row.transactionId);
    if (!tx || tx.phase === 'closed') {
      this.journal.markFailed(row.id, 'transaction closed');
      return 'skipped';
    }
    const r = await this.attempt(row, this.backgroundTimeoutMs, tx.label);
    if (r.kind === 'failed') return r.transport ? 'down' : 'failed';
    this.applyAnswer(this.journal.get(row.id)!, r.inner, false);
    return 'answered';
  }

  // --- offline transfer ---------------------------------------------------------------------

  /**
   * Every pending upstream message (journal rows not yet answered), each the registrar-signed
   * nested message that would go over the network, as one DER PKIMessages. Rows stay queued.
   */
  exportBatch(): { der: Uint8Array; rows: JournalEntry[] } {
    const rows = this.journal.pending();
    const msgs = rows.map((r) => {
      if (r.upstreamDer) return decodePkiMessage(r.upstreamDer);
      const tx = this.state.getTx(r.transactionId);
      const wrapped = nestedWrapper(decodePkiMessage(r.requestDer), this.signerOrFail(), tx?.label);
      this.journal.setUpstream(r.id, wrapped);
      return decodePkiMessage(wrapped);
    });
    return { der: encodePkiMessages(msgs), rows };
  }

  /** Records the CA's answers from a PKIMessages file (the answers to an exported batch). */
  async importBatch(der: Uint8Array): Promise<ImportReport> {
    const batch = decodePkiMessages(der);
    const report: ImportReport = { messages: batch.length, recorded: 0, duplicates: 0, unmatched: 0, refused: [] };
    for (const m of batch) {
      const mder = encodePkiMessage(m);
      let read;
      try {
        read = readUpstreamAnswer(mder, this.opts.domainTrustAnchors, new Date(this.clock.now()));
      } catch (e) {
        report.refused.push(`answer not accepted: ${(e as Error).message}`);
        continue;
      }
      for (const inner of read.inner) {
        const h = inner.msg.header;
        const row = h.transactionID && h.recipNonce ? this.journal.findByRequestNonce(h.transactionID, h.recipNonce) : undefined;
        if (!row) {
          if (bodyTypeOf(inner.msg) === 'error' && h.transactionID) {
            // The CA refused the nested message itself (e.g. the registrar's certificate).
            report.refused.push(`transaction ${toHex(h.transactionID)}: ${errorText(inner.msg)}`);
          } else report.unmatched++;
          continue;
        }
        if (row.state === 'answered' || row.state === 'confirmed' || row.state === 'failed') {
          report.duplicates++;
          continue;
        }
        const applied = await this.serialized(row.transactionId, async () => this.applyAnswer(this.journal.get(row.id)!, inner, false));
        if (applied) report.recorded++;
        else report.duplicates++;
      }
    }
    if (this.signer) this.reconcile();
    return report;
  }
}

/** certConf of the pledge checked against the delivered certificate (RFC 9483 §4.1.1). */
function checkCertConf(tx: RegistrarTx, msg: PKIMessage): { accepted: boolean; text?: string } {
  const statuses = [...msg.body.certConf!];
  if (statuses.length === 0) return { accepted: false, text: 'empty certConf' };
  const s = statuses[0]!;
  if (statuses.length !== 1 || s.certReqId !== tx.certReqId) {
    throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', `certConf must hold one CertStatus for certReqId ${tx.certReqId}`);
  }
  if (!tx.certificateDer || !certHashMatches(s, parseCertificate(tx.certificateDer))) {
    throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', 'certConf certHash does not match the delivered certificate');
  }
  const st = s.statusInfo?.status;
  const accepted = st === undefined || st === PKIStatus.accepted || st === PKIStatus.grantedWithMods;
  const text = s.statusInfo?.statusString ? [...s.statusInfo.statusString].join('; ') : undefined;
  return { accepted, ...(text ? { text } : {}) };
}

function errorText(msg: PKIMessage): string {
  const info = msg.body.error?.pKIStatusInfo;
  if (!info) return bodyTypeOf(msg);
  const bits = info.failInfo ? ` [${info.failInfo.names().join(', ')}]` : '';
  return `error${bits}${info.statusString ? `: ${[...info.statusString].join('; ')}` : ''}`;
}

function hashKey(der: Uint8Array): string {
  // A cheap, collision-resistant enough key for the in-memory answer cache.
  return `${der.length}:${toHex(requestDigest(der))}`;
}

function requestDigest(der: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(der).digest());
}
