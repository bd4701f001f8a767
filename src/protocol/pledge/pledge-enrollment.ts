/**
 * The pledge's certificate enrollment in BRSKI-AE with CMP (RFC 9733 §5.1, Lightweight CMP
 * Profile RFC 9483), as one flow over an injected CMP transfer (CoAP POST in the pledge emulator):
 *
 *   genm caCerts → genm certReqTemplate (both OPTIONAL, RFC 9733 §4.2.4 messages 1–4)
 *   → ir protected with the IDevID (proof of identity), POP with a key generated here
 *   → pollReq while the answer is "waiting", honouring checkAfter (RFC 9483 §4.4)
 *   → ip → the new certificate must chain to the domain trust anchor and carry this pledge's
 *     serial number, checked *before* certConf goes out → certConf → pkiConf.
 *
 * Persistence: before every pollReq (with the request's bytes, written ahead) and before every
 * poll wait the transaction (CmpClient.exportState + the new key) goes to the injected store, so
 * a restarted pledge resumes polling the same transaction. A pledge that died with a pollReq
 * under way first sends that pollReq's exact bytes again (same senderNonce): the registrar
 * answers a byte-identical request with its stored answer, so the recipNonce chain is kept
 * even when the answer was lost with the pledge. The store is told once the certificate is in
 * hand (`finish`), and drops the transaction when it cannot go on (`clear`).
 *
 * Transport failures (CoAP timeout, 5.xx, block-wise trouble) are retried with exponential
 * backoff until the deadline: from the saved transaction when there is one, else from the start.
 * Failures of the genm exchanges do not stop the pledge: it goes on with its defaults.
 */
import type { KeyObject } from 'node:crypto';
import { bytesEqual, fromHex, toHex } from '../../core/bytes.ts';
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.ts';
import { StackError, isStackError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import { Code, codeClass } from '../../codec/coap/numbers/codes.ts';
import { bodyTypeOf, decodePkiMessage, type CertRepMessage, type PKIBodyType, type PKIMessage } from '../../codec/cmp/index.ts';
import {
  certificateDer,
  certificatePublicKey,
  exportPrivateKeyPem,
  exportPublicKeyDer,
  generateKeyPair,
  importPrivateKey,
  isSelfIssued,
  keyAlgorithmOf,
  parseCertificate,
  readSubjectSerialNumber,
  samePublicKey,
  subjectAttributes,
  verifyChain,
  type Certificate,
  type KeyAlgorithm,
} from '../../pki/index.ts';
import { CmpClient, errorFromErrorMessage, extraCertificates, verifyProtection, type CmpClientState, type EnrollResult } from '../cmp/index.ts';
import { applyCertReqTemplate, type AppliedCertReqTemplate } from './cert-req-template.ts';
import { PLEDGE_TRANSACTION_STATE_VERSION, type OutstandingCertConf, type OutstandingRequest, type PledgeTransactionState } from './transaction-state.ts';

/** The pledge's manufacturer identity (802.1AR IDevID). */
export interface PledgeIdentity {
  readonly serialNumber: string;
  readonly privateKey: KeyObject;
  readonly certificate: Certificate;
  /** IDevID chain (the IDevID and its intermediates; roots may be left out). */
  readonly chain: readonly Certificate[];
}

/** Where the in-flight transaction and the final credentials go (a directory, in the emulator). */
export interface PledgeStateStore {
  load(): Promise<PledgeTransactionState | undefined>;
  save(state: PledgeTransactionState): Promise<void>;
  /** The transaction cannot be continued: forget it. */
  clear(): Promise<void>;
  /** The certificate is in hand and checked: keep the credentials, then forget the transaction. */
  finish(credentials: PledgeCredentials): Promise<void>;
}

export interface PledgeCredentials {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  /** The validated path: the certificate, its intermediates, the trust anchor last. */
  readonly path: readonly Certificate[];
}

export interface PledgeEnrollmentOptions {
  readonly identity: PledgeIdentity;
  /** The registrar's URI (recorded with the saved transaction; a state for another registrar is dropped). */
  readonly registrar: string;
  /** One CMP request → its response (DER). */
  readonly transfer: (reqDer: Uint8Array) => Promise<Uint8Array>;
  /** Domain trust anchors (BRSKI: the voucher's pinned-domain-cert; here the domain root). */
  readonly trustAnchors: readonly Certificate[];
  readonly store: PledgeStateStore;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Give up after this long in total (ms, default 10 minutes). */
  readonly timeoutMs?: number;
  readonly maxPolls?: number;
  /** How long a genm may be answered "waiting" before the pledge goes on without it (default 10 s). */
  readonly genmMaxWaitMs?: number;
  /** First backoff after a transport failure (default 1000 ms), doubled up to `retryMaxMs` (default 30 s). */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Key type when the template names none (default P-256). */
  readonly defaultKeyAlgorithm?: KeyAlgorithm;
  readonly generateKey?: (alg: KeyAlgorithm) => Promise<KeyObject>;
  /** The certificate's subject serialNumber must be the pledge's (default true). */
  readonly requireSerialNumber?: boolean;
  readonly signal?: AbortSignal;
  /** Sees every request type as it is sent (for progress displays). */
  readonly onRequest?: (type: PKIBodyType) => void;
}

export interface PledgeEnrollmentResult {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  readonly keyAlgorithm: KeyAlgorithm;
  /** The validated path, certificate first, trust anchor last. */
  readonly path: readonly Certificate[];
  readonly transactionId: string;
  /** pollReq messages sent (this run). */
  readonly polls: number;
  /** Request body types sent (this run), in order. */
  readonly messages: readonly PKIBodyType[];
  /** DER bytes of the CMP requests sent and responses received (this run), without transport framing. */
  readonly cmpBytesSent: number;
  readonly cmpBytesReceived: number;
  /** The run went on with a transaction saved by an earlier one. */
  readonly resumed: boolean;
  /** Transport failures retried. */
  readonly retries: number;
  readonly template?: AppliedCertReqTemplate;
  /** genm exchanges that failed without stopping the pledge. */
  readonly skipped: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_GENM_WAIT_MS = 10_000;

/** Runs one pledge's enrollment to the end (resolves) or to a failure (rejects with a StackError). */
export function enrollPledge(o: PledgeEnrollmentOptions): Promise<PledgeEnrollmentResult> {
  return new PledgeEnrollment(o).run();
}

/**
 * Failures of the EDHOC handshake (or the voucher exchange after it) worth a new handshake: the
 * transient ones, a responder that is busy (5.xx), and one that no longer holds our half-open
 * session (it expired or was pushed out by others while our message_3 was on its way).
 */
export function isRetryableHandshakeFailure(e: unknown): boolean {
  if (isTransientFailure(e)) return true;
  if (!isStackError(e, 'ERR_EDHOC')) return false;
  const code = e.details.responseCode;
  return (typeof code === 'number' && codeClass(code) === 5) || /unknown or expired EDHOC session/.test(e.message);
}

/** Failures worth another try: the registrar was not reachable or answered at the transport level only. */
export function isTransientFailure(e: unknown): boolean {
  if (!isStackError(e)) return false;
  switch (e.code) {
    case 'ERR_COAP_TIMEOUT':
    case 'ERR_COAP_RESET':
    case 'ERR_COAP_TOO_MANY_EXCHANGES':
    case 'ERR_BLOCK_OUT_OF_ORDER':
    case 'ERR_BLOCK_MALFORMED':
    case 'ERR_BLOCK_ETAG_CHANGED':
    case 'ERR_IO':
      return true;
    case 'ERR_COAP_RESPONSE': {
      const code = e.details.coapCode;
      // 5.xx and 4.08 (a block went missing) may go away; other 4.xx will not.
      return typeof code === 'number' && (codeClass(code) === 5 || code === Code.REQUEST_ENTITY_INCOMPLETE);
    }
    default:
      return false;
  }
}

/**
 * Failures after which the saved transaction is of no use: the server refused or ended it, or the
 * certificate is not acceptable. Anything else (transport trouble, a timeout, a crash) keeps it
 * for the next run.
 */
function endsTransaction(e: unknown): boolean {
  if (!isStackError(e)) return false;
  if (e.code === 'ERR_CMP_TRANSACTION') return e.details.reason !== 'poll-timeout';
  return e.code === 'ERR_CMP_REJECTED' || e.code === 'ERR_CERT_CHAIN';
}

/** The saved transaction was refused by the registrar (it no longer knows it, or it ended). */
function isRefusedResume(e: unknown): boolean {
  return isStackError(e) && (e.code === 'ERR_CMP_REJECTED' || e.code === 'ERR_CMP_TRANSACTION') && e.details.reason !== 'poll-timeout';
}

class PledgeEnrollment {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly startedAt: number;
  private readonly deadline: number;
  private readonly messages: PKIBodyType[] = [];
  private polls = 0;
  private retries = 0;
  private cmpBytesSent = 0;
  private cmpBytesReceived = 0;
  private resumed = false;
  private readonly skipped: string[] = [];
  private template: AppliedCertReqTemplate | undefined;
  private caCerts: Certificate[] = [];
  /** The transaction currently being run: its client, the new key and its type. */
  private current: { client: CmpClient; key: KeyObject; alg: KeyAlgorithm } | undefined;
  /** The last state written to the store (to resume from after a transport failure). */
  private lastSaved: PledgeTransactionState | undefined;
  /** A pollReq to send again, byte for byte, in place of the resumed client's first one. */
  private replay: { der: Uint8Array; senderNonce: Uint8Array } | undefined;
  /** The senderNonce the resumed client's first pollReq must carry (the replayed one's). */
  private forcedNonce: Uint8Array | undefined;
  /** The Random the CMP clients use: ours, except for a forced nonce after a restart. */
  private readonly clientRandom: Random;
  /** The last certificate response (ip/cp) carrying a certificate, for the check before certConf. */
  private lastCertResponse: { certificate: Certificate; pool: Certificate[] } | undefined;

  constructor(private readonly o: PledgeEnrollmentOptions) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? cryptoRandom;
    this.log = (o.logger ?? silentLogger).child({ pledge: o.identity.serialNumber });
    this.startedAt = this.clock.now();
    this.deadline = this.startedAt + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const random = this.random;
    this.clientRandom = {
      bytes: (n) => {
        const forced = this.forcedNonce;
        if (forced && n === forced.length) {
          this.forcedNonce = undefined;
          return forced.slice();
        }
        return random.bytes(n);
      },
      float: () => random.float(),
      int: (max) => random.int(max),
    };
    if (o.trustAnchors.length === 0) throw new StackError('ERR_CONFIG', 'the pledge needs at least one domain trust anchor');
  }

  async run(): Promise<PledgeEnrollmentResult> {
    let saved = await this.o.store.load();
    if (saved && (saved.serialNumber !== this.o.identity.serialNumber || saved.registrar !== this.o.registrar)) {
      this.log.warn('saved transaction is for another pledge or registrar: starting over', { savedFor: saved.serialNumber, registrar: saved.registrar });
      await this.o.store.clear();
      saved = undefined;
    }
    this.lastSaved = saved;
    let refusedOnce = false;
    for (;;) {
      this.checkAborted();
      let result: EnrollResult;
      try {
        result = this.lastSaved ? await this.resume(this.lastSaved) : await this.fresh();
      } catch (e) {
        if (isTransientFailure(e) && this.clock.now() < this.deadline) {
          this.retries++;
          const delay = this.backoff(e, this.retries);
          this.log.warn('transport failure, trying again', { err: e as Error, inMs: delay, from: this.lastSaved ? 'saved transaction' : 'start' });
          await this.sleep(delay);
          continue;
        }
        if (this.lastSaved && isRefusedResume(e) && !refusedOnce && this.resumed) {
          refusedOnce = true;
          this.log.warn('the registrar refused the saved transaction: starting over', { err: e as Error });
          await this.o.store.clear();
          this.lastSaved = undefined;
          this.resumed = false;
          continue;
        }
        if (isStackError(e) && e.details.reason === 'poll-timeout') {
          // Still waiting on the server: keep the newest nonce for the next run.
          await this.saveCurrent();
        } else if (endsTransaction(e) && !this.o.signal?.aborted) {
          await this.o.store.clear();
        }
        throw e;
      }
      return this.complete(result);
    }
  }

  // --- the two ways in ---------------------------------------------------------------------

  private async fresh(): Promise<EnrollResult> {
    this.replay = undefined;
    this.forcedNonce = undefined;
    await this.generalMessages();
    const applied = this.template ?? applyCertReqTemplate(null, this.templateInput());
    const key = this.o.generateKey ? await this.o.generateKey(applied.keyAlgorithm) : (await generateKeyPair(applied.keyAlgorithm)).privateKey;
    const client = this.client(this.deadline - this.clock.now());
    this.current = { client, key, alg: applied.keyAlgorithm };
    this.log.info('sending ir', { keyAlgorithm: applied.keyAlgorithm, subject: applied.subject?.map((a) => `${a.type}=${a.value}`).join(', ') });
    return client.enroll({ kind: 'ir', newKey: key, ...(applied.subject ? { subject: applied.subject } : {}) });
  }

  private async resume(state: PledgeTransactionState): Promise<EnrollResult> {
    const key = importPrivateKey(state.newKeyPem);
    if (!bytesEqual(exportPublicKeyDer(key), fromHex(state.cmp.publicKeySpki))) {
      throw new StackError('ERR_CONFIG', 'saved transaction: the key does not match the requested public key');
    }
    const client = this.client(this.deadline - this.clock.now());
    this.current = { client, key, alg: state.keyAlgorithm };
    this.resumed = true;
    if (state.outstanding?.type === 'certConf') return this.confirmAgain(state, state.outstanding);
    if (state.outstanding) {
      this.replay = { der: fromHex(state.outstanding.requestDer), senderNonce: fromHex(state.outstanding.senderNonce) };
      this.forcedNonce = fromHex(state.outstanding.senderNonce);
    } else {
      this.replay = undefined;
      this.forcedNonce = undefined;
    }
    this.log.info('resuming the saved transaction', { transactionId: state.cmp.transactionId, polls: state.cmp.polls, repeating: state.outstanding ? 'pollReq' : 'none' });
    return client.resume(state.cmp);
  }

  /**
   * The pledge died with its certConf under way: send those bytes again. The registrar repeats
   * its stored pkiConf, or says the certificate is confirmed already (certConfirmed); either way
   * the certificate saved with the certConf is ours.
   */
  private async confirmAgain(state: PledgeTransactionState, o: OutstandingCertConf): Promise<EnrollResult> {
    const certificate = parseCertificate(fromHex(o.certificate));
    const pool = o.pool.map((c) => parseCertificate(fromHex(c)));
    const key = this.current!.key;
    if (!samePublicKey(certificatePublicKey(certificate), key)) {
      throw new StackError('ERR_CONFIG', 'saved transaction: the certificate does not hold the saved key');
    }
    this.log.info('sending the certConf that was under way before the restart again', { transactionId: state.cmp.transactionId });
    const der = fromHex(o.requestDer);
    this.messages.push('certConf');
    this.o.onRequest?.('certConf');
    this.cmpBytesSent += der.length;
    const rspDer = await this.o.transfer(der);
    this.cmpBytesReceived += rspDer.length;
    const rsp = decodePkiMessage(rspDer);
    const tid = fromHex(state.cmp.transactionId);
    if (!rsp.header.transactionID || !bytesEqual(rsp.header.transactionID, tid) || !rsp.header.recipNonce || !bytesEqual(rsp.header.recipNonce, fromHex(o.senderNonce))) {
      throw new StackError('ERR_CMP_TRANSACTION', 'the answer to the repeated certConf is for another message', { reason: 'repeated-certconf' });
    }
    const responder = verifyProtection(rsp, { trustAnchors: this.o.trustAnchors, untrusted: pool, at: new Date(this.clock.now()) });
    const type = bodyTypeOf(rsp);
    if (type === 'error') {
      const e = errorFromErrorMessage(rsp.body.error!, { protected: true, transactionId: state.cmp.transactionId });
      if (!e.failInfo.includes('certConfirmed')) throw e;
      this.log.info('the certificate was confirmed already', { transactionId: state.cmp.transactionId });
    } else if (type !== 'pkiconf') {
      throw new StackError('ERR_CMP_TRANSACTION', `expected pkiconf in answer to the repeated certConf, got ${type}`);
    }
    return { certificate, caPubs: [], extraCerts: pool, chain: [certificate], implicitConfirmGranted: false, transactionId: tid, responder };
  }

  /** genm caCerts and certReqTemplate; each may fail without stopping the pledge (except transport failures). */
  private async generalMessages(): Promise<void> {
    const genm = this.client(Math.min(this.o.genmMaxWaitMs ?? DEFAULT_GENM_WAIT_MS, this.deadline - this.clock.now()), false);
    try {
      this.caCerts = await genm.getCaCerts();
    } catch (e) {
      if (isTransientFailure(e)) throw e;
      this.skipped.push('caCerts');
      this.log.warn('genm caCerts failed: going on without the CA certificates', { err: e as Error });
    }
    let template = null;
    try {
      template = await this.client(Math.min(this.o.genmMaxWaitMs ?? DEFAULT_GENM_WAIT_MS, this.deadline - this.clock.now()), false).getCertReqTemplate();
    } catch (e) {
      if (isTransientFailure(e)) throw e;
      this.skipped.push('certReqTemplate');
      this.log.warn('genm certReqTemplate failed: going on with the defaults', { err: e as Error });
    }
    this.template = applyCertReqTemplate(template, this.templateInput());
  }

  private templateInput() {
    const cert = this.o.identity.certificate;
    return {
      serialNumber: this.o.identity.serialNumber,
      idevidAttribute: (oid: string) => subjectAttributes(cert, oid),
      ...(this.o.defaultKeyAlgorithm ? { defaultKeyAlgorithm: this.o.defaultKeyAlgorithm } : {}),
    };
  }

  // --- the end -------------------------------------------------------------------------------

  private async complete(result: EnrollResult): Promise<PledgeEnrollmentResult> {
    const cur = this.current!;
    const path = this.checkCertificate(result.certificate, [...result.extraCerts, ...result.caPubs, ...result.chain]);
    await this.o.store.finish({ certificate: result.certificate, privateKey: cur.key, path });
    this.log.info('enrolled', { ldevidSerial: result.certificate.serialNumber, polls: this.polls, resumed: this.resumed });
    return {
      certificate: result.certificate,
      privateKey: cur.key,
      keyAlgorithm: keyAlgorithmOf(cur.key),
      path,
      transactionId: toHex(result.transactionId),
      polls: this.polls,
      messages: [...this.messages],
      cmpBytesSent: this.cmpBytesSent,
      cmpBytesReceived: this.cmpBytesReceived,
      resumed: this.resumed,
      retries: this.retries,
      ...(this.template ? { template: this.template } : {}),
      skipped: [...this.skipped],
    };
  }

  /** The new certificate chains to a domain trust anchor and names this pledge; returns the path. */
  private checkCertificate(cert: Certificate, pool: readonly Certificate[]): Certificate[] {
    const path = verifyChain(cert, [...pool, ...this.caCerts], this.o.trustAnchors, { at: new Date(this.clock.now()) });
    if (this.o.requireSerialNumber ?? true) {
      const serial = readSubjectSerialNumber(cert);
      if (serial !== this.o.identity.serialNumber) {
        throw new StackError('ERR_CERT_CHAIN', `the issued certificate names serialNumber ${serial ?? '(none)'}, not ${this.o.identity.serialNumber}`, {
          reason: 'serial-number',
        });
      }
    }
    return path;
  }

  // --- the CMP client and its wire ------------------------------------------------------------

  private client(maxPollWaitMs: number, persist = true): CmpClient {
    const clock = persist ? persistingClock(this.clock, () => this.saveCurrent()) : this.clock;
    return new CmpClient({
      transfer: (der) => this.observe(der),
      credentials: { kind: 'signature', privateKey: this.o.identity.privateKey, certificate: this.o.identity.certificate, chain: this.o.identity.chain },
      trustAnchors: this.o.trustAnchors,
      clock,
      random: this.clientRandom,
      logger: this.log,
      maxPollWaitMs: Math.max(0, maxPollWaitMs),
      maxPolls: this.o.maxPolls ?? 10_000,
    });
  }

  /**
   * Every CMP exchange passes here: it records the message types, saves the transaction before
   * the first pollReq, and checks a new certificate before certConf confirms it.
   */
  private async observe(der: Uint8Array): Promise<Uint8Array> {
    this.checkAborted();
    const msg = decodePkiMessage(der);
    const type = bodyTypeOf(msg);
    this.messages.push(type);
    this.o.onRequest?.(type);
    let wire = der;
    if (type === 'pollReq') {
      this.polls++;
      const replay = this.replay;
      this.replay = undefined;
      if (replay) {
        if (msg.header.senderNonce && bytesEqual(msg.header.senderNonce, replay.senderNonce)) {
          wire = replay.der;
          this.log.info('sending the pollReq that was under way before the restart again');
        } else {
          this.log.warn('cannot repeat the pollReq of before the restart (the client chose another nonce)');
        }
      }
      // Written ahead: a pledge that dies now repeats exactly this request.
      await this.saveCurrent({ type: 'pollReq', requestDer: toHex(wire), senderNonce: toHex(decodePkiMessage(wire).header.senderNonce!) });
    }
    if (type === 'certConf' && this.lastCertResponse) {
      // A certificate that does not chain to the domain or names another pledge is never confirmed.
      const { certificate, pool } = this.lastCertResponse;
      this.checkCertificate(certificate, pool);
      await this.saveCurrent({
        type: 'certConf',
        requestDer: toHex(der),
        senderNonce: toHex(msg.header.senderNonce!),
        certificate: toHex(certificateDer(certificate)),
        pool: pool.map((c) => toHex(certificateDer(c))),
      });
    }
    this.cmpBytesSent += wire.length;
    const rsp = await this.o.transfer(wire);
    this.cmpBytesReceived += rsp.length;
    if (type === 'ir' || type === 'pollReq') this.noteCertResponse(rsp);
    return rsp;
  }

  private noteCertResponse(rspDer: Uint8Array): void {
    let msg: PKIMessage;
    try {
      msg = decodePkiMessage(rspDer);
    } catch {
      return; // the client reports it
    }
    const type = bodyTypeOf(msg);
    if (type !== 'ip' && type !== 'cp') return;
    const rep = (msg.body as unknown as Record<string, CertRepMessage | undefined>)[type];
    const c = rep?.response[0]?.certifiedKeyPair?.certOrEncCert.certificate;
    if (!c) return;
    try {
      const pool = [...extraCertificates(msg), ...(rep!.caPubs ?? []).map((x) => parseCertificate(x.der))];
      this.lastCertResponse = { certificate: parseCertificate(c.der), pool };
    } catch {
      // unreadable: the client rejects the message itself
    }
  }

  private async saveCurrent(outstanding?: OutstandingRequest): Promise<void> {
    const cur = this.current;
    const cmp: CmpClientState | undefined = cur?.client.exportState();
    if (!cur || !cmp) return;
    const state: PledgeTransactionState = {
      version: PLEDGE_TRANSACTION_STATE_VERSION,
      serialNumber: this.o.identity.serialNumber,
      registrar: this.o.registrar,
      keyAlgorithm: cur.alg,
      newKeyPem: exportPrivateKeyPem(cur.key),
      cmp,
      ...(outstanding ? { outstanding } : {}),
      savedAt: new Date().toISOString(),
    };
    try {
      await this.o.store.save(state);
      this.lastSaved = state;
    } catch (e) {
      // Going on is better than stopping: only a restart would need the state.
      this.log.error('cannot save the transaction; a restart would start over', { err: e as Error });
    }
  }

  // --- time -------------------------------------------------------------------------------------

  private backoff(e: unknown, n: number): number {
    const base = this.o.retryBaseMs ?? 1000;
    const max = this.o.retryMaxMs ?? 30_000;
    const hinted = isStackError(e) && typeof e.details.maxAgeSeconds === 'number' ? e.details.maxAgeSeconds * 1000 : 0;
    const exp = Math.min(max, base * 2 ** Math.min(n - 1, 16));
    const jittered = exp * (0.75 + 0.5 * this.random.float());
    return Math.max(0, Math.min(Math.max(jittered, hinted), this.deadline - this.clock.now()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.o.signal;
      let handle: TimerHandle | undefined = undefined;
      const onAbort = (): void => {
        if (handle) this.clock.clearTimeout(handle);
        reject(abortError(signal));
      };
      handle = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private checkAborted(): void {
    if (this.o.signal?.aborted) throw abortError(this.o.signal);
  }
}

function abortError(signal: AbortSignal | undefined): StackError {
  const reason = signal?.reason;
  return isStackError(reason) ? reason : new StackError('ERR_COAP_CANCELLED', 'enrollment aborted', { reason: 'aborted' });
}

/**
 * The CmpClient sleeps only through its clock, and only to wait out checkAfter before a pollReq
 * (RFC 9483 §4.4). This clock runs `beforeWait` when such a wait starts and lets the timer fire
 * only after it completed, so the saved state is on disk before the pledge sits waiting.
 */
export function persistingClock(inner: Clock, beforeWait: () => Promise<void>): Clock {
  return {
    now: () => inner.now(),
    clearTimeout: (h) => inner.clearTimeout(h),
    setTimeout: (fn, ms) => {
      const saved = beforeWait().catch(() => {});
      return inner.setTimeout(() => {
        void saved.then(fn);
      }, ms);
    },
  };
}

/** The certificates of a path that go into chain.pem: all but a self-issued trust anchor at the end. */
export function chainForStorage(path: readonly Certificate[]): Certificate[] {
  const last = path[path.length - 1];
  return path.length > 1 && last && isSelfIssued(last) ? path.slice(0, -1) : [...path];
}
