/**
 * Server side of CMP transactions (RFC 9810, profiled by RFC 9483 §5): the RA/CA answers
 * ir/cr/kur/p10cr, certConf, pollReq, rr, genm and nested messages. No sockets and no storage:
 * transactions go to an injected CmpTransactionStore and every decision to an injected policy.
 *
 * CONTRACT: the operator RA/CA service (ca/) is written against the exported names below.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { bytesEqual, copyBytes, toHex } from '../../core/bytes.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { StackError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import {
  CertId,
  ID_IT_CRLS,
  ID_IT_CRL_STATUS_LIST,
  ID_IT_IMPLICIT_CONFIRM,
  ID_IT_ROOT_CA_CERT,
  ID_IT_ROOT_CA_KEY_UPDATE,
  ID_KP_CMC_RA,
  ID_REG_CTRL_OLD_CERT_ID,
  PKIStatus,
  PVNO,
  bodyTypeOf,
  decodeAsn1,
  decodePkiMessage,
  encodeAsn1,
  encodePkiMessage,
  infoTypeAndValue,
  type CertStatus,
  type FailureInfoName,
  type InfoTypeAndValue,
  type PKIBody,
  type PKIBodyType,
  type PKIMessage,
} from '../../codec/cmp/index.ts';
import {
  certificateDer,
  issuerNameDer,
  parseCertificate,
  readSubjectSerialNumber,
  verifyChain,
  verifyData,
  type Certificate,
} from '../../pki/index.ts';
import { cmpFailure, errorMessageBody, failInfoOf, statusInfo, summarizeStatus } from './failure.ts';
import {
  CERT_REQ_ID,
  ID_PKCS9_EXTENSION_REQUEST,
  P10CR_CERT_REQ_ID,
  buildHeader,
  certHashMatches,
  certResponseBody,
  directoryName,
  errorBody,
  genpBody,
  nestedBody,
  newNonce,
  pkcs10SignedPart,
  pkiConfBody,
  pollRepBody,
  responseKindFor,
  revocationResponseBody,
  serialOctets,
} from './message-builder.ts';
import {
  macProtectionLike,
  protectMessage,
  verifyProtection,
  type ProtectionCredentials,
  type ProtectionInfo,
  type SignatureProtection,
} from './protection.ts';

/** Who protected a request. */
export interface RequesterIdentity {
  readonly kind: 'signature' | 'mac';
  readonly certificate?: Certificate;
  readonly chain?: readonly Certificate[];
  readonly senderKid?: Uint8Array;
  /** Subject serialNumber of the signer certificate. */
  readonly serialNumber?: string;
  /** The outer signer when the request came nested. */
  readonly raCertificate?: Certificate;
}

export interface CertRequestInfo {
  readonly bodyType: 'ir' | 'cr' | 'kur' | 'p10cr';
  readonly certReqId: number;
  readonly transactionId: Uint8Array;
  readonly subjectDer?: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  readonly publicKeyDer: Uint8Array;
  readonly extensionsDer?: Uint8Array;
  readonly requester: RequesterIdentity;
  readonly oldCertificate?: Certificate;
  readonly implicitConfirm: boolean;
  readonly label?: string;
  /** The whole (inner) PKIMessage. */
  readonly requestDer: Uint8Array;
}

export type IssueDecision =
  | { kind: 'issued'; certificate: Certificate; caPubs?: readonly Certificate[]; extraCerts?: readonly Certificate[] }
  | { kind: 'waiting'; checkAfterSeconds: number; reason?: string }
  | { kind: 'rejected'; failInfo: readonly FailureInfoName[]; text: string };

export interface TransactionRecord {
  transactionId: Uint8Array;
  state: 'waiting' | 'issued' | 'confirmed' | 'rejected' | 'revoked' | 'answered';
  bodyType: string;
  certReqId?: number;
  ourNonce: Uint8Array;
  peerNonce: Uint8Array;
  certificateDer?: Uint8Array;
  lastRequestDer?: Uint8Array;
  lastResponseDer?: Uint8Array;
  label?: string;
  updatedAt: number;
}

export interface CmpTransactionStore {
  get(transactionId: Uint8Array): Promise<TransactionRecord | undefined>;
  put(record: TransactionRecord): Promise<void>;
}

export interface CmpResponderPolicy {
  issue(req: CertRequestInfo): Promise<IssueDecision>;
  poll(transactionId: Uint8Array, certReqId: number): Promise<IssueDecision>;
  confirm(transactionId: Uint8Array, accepted: boolean): Promise<void>;
  revoke(
    serialNumber: Uint8Array,
    issuerDer: Uint8Array | undefined,
    requester: RequesterIdentity,
  ): Promise<{ ok: true } | { ok: false; failInfo: readonly FailureInfoName[]; text: string }>;
  generalInfo(infoTypeOid: string, label: string | undefined): Promise<InfoTypeAndValue | undefined | 'unsupported'>;
}

export interface CmpResponderOptions {
  signer: { privateKey: KeyObject; certificate: Certificate; chain: readonly Certificate[] };
  /** For end-entity signers: manufacturer roots, domain roots. */
  trustAnchors: readonly Certificate[];
  /** For outer (nested) RA signers; the RA certificate must carry id-kp-cmcRA. */
  raTrustAnchors?: readonly Certificate[];
  macSecret?: (senderKid: Uint8Array | undefined) => Uint8Array | undefined;
  store: CmpTransactionStore;
  policy: CmpResponderPolicy;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  maxClockSkewMs?: number;
  allowImplicitConfirm?: boolean;
}

const DEFAULT_MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;
/** Bounds on peer-chosen sizes kept in state. */
const MAX_ID_LENGTH = 64;
const MIN_NONCE_LENGTH = 16;
const MAX_NESTED_MESSAGES = 100;
const MAX_NESTING_DEPTH = 2;

const CERT_REQUEST_TYPES = ['ir', 'cr', 'kur', 'p10cr'] as const;
type CertRequestType = (typeof CERT_REQUEST_TYPES)[number];

function isCertRequestType(t: string): t is CertRequestType {
  return (CERT_REQUEST_TYPES as readonly string[]).includes(t);
}

/** The genp infoType that answers a genm infoType (RFC 9483 §4.3). */
function answeringInfoType(requested: string): string {
  if (requested === ID_IT_ROOT_CA_CERT) return ID_IT_ROOT_CA_KEY_UPDATE;
  if (requested === ID_IT_CRL_STATUS_LIST) return ID_IT_CRLS;
  return requested;
}

/** What one verified request carries along while it is handled. */
interface Incoming {
  readonly msg: PKIMessage;
  readonly der: Uint8Array;
  readonly type: PKIBodyType;
  readonly transactionId: Uint8Array;
  readonly label: string | undefined;
  readonly requester: RequesterIdentity;
  /** How the answer is protected (MAC answers MAC, RFC 9483 §3.2). */
  readonly answerWith: ProtectionCredentials;
  readonly pvno: number;
}

export class CmpResponder {
  private readonly signer: SignatureProtection;
  private readonly opts: Readonly<CmpResponderOptions>;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly maxClockSkewMs: number;
  private readonly allowImplicitConfirm: boolean;
  /** Requests of one transaction are handled one at a time (a retransmission waits for the original). */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(opts: CmpResponderOptions) {
    if (!opts?.signer?.privateKey || !opts.signer.certificate) throw new StackError('ERR_CONFIG', 'CmpResponder needs signer.privateKey and signer.certificate');
    if (!opts.store || !opts.policy) throw new StackError('ERR_CONFIG', 'CmpResponder needs a store and a policy');
    this.opts = Object.freeze({ ...opts, trustAnchors: [...opts.trustAnchors], ...(opts.raTrustAnchors ? { raTrustAnchors: [...opts.raTrustAnchors] } : {}) });
    this.signer = { kind: 'signature', privateKey: opts.signer.privateKey, certificate: opts.signer.certificate, chain: [...opts.signer.chain] };
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.log = (opts.logger ?? silentLogger).child({ component: 'cmp-responder' });
    this.maxClockSkewMs = opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.allowImplicitConfirm = opts.allowImplicitConfirm ?? false;
  }

  /**
   * Always resolves to a DER PKIMessage: a CMP error message on any failure. A nested message
   * has its outer protection verified (the RA's consent), then each inner message is handled and
   * the inner responses are answered nested.
   */
  async handle(requestDer: Uint8Array, ctx?: { label?: string }): Promise<Uint8Array> {
    const der = copyBytes(requestDer);
    let msg: PKIMessage;
    try {
      msg = decodePkiMessage(der);
    } catch (e) {
      this.log.warn('cmp: undecodable request', { error: e, bytes: der.length });
      return this.errorMessage(undefined, e, this.signer, PVNO.cmp2000);
    }
    const label = ctx?.label;
    try {
      if (bodyTypeOf(msg) === 'nested') return await this.handleNested(msg, label, 0);
      return await this.handleOne(msg, der, label, undefined);
    } catch (e) {
      this.log.error('cmp: unexpected failure', { error: e });
      return this.errorMessage(msg, e, this.signer, responsePvno(msg.header.pvno));
    }
  }

  // --- one (inner) message ----------------------------------------------------------------

  private async handleOne(msg: PKIMessage, der: Uint8Array, label: string | undefined, ra: Certificate | undefined): Promise<Uint8Array> {
    const pvno = responsePvno(msg.header.pvno);
    let answerWith: ProtectionCredentials = this.signer;
    try {
      const type = bodyTypeOf(msg);
      this.checkHeader(msg);
      const transactionId = msg.header.transactionID!;
      return await this.serialized(transactionId, async () => {
        const record = await this.opts.store.get(transactionId);
        if (record?.lastRequestDer && record.lastResponseDer && bytesEqual(record.lastRequestDer, der)) {
          this.log.info('cmp: retransmitted request, answering with the stored response', { transactionId, type });
          return copyBytes(record.lastResponseDer);
        }
        // An inner message of a nested one may have waited in an RA's store-and-forward queue for
        // hours (RFC 9733 §5.1 asynchronous enrollment): the RA's fresh outer messageTime, checked
        // in handleNested, vouches for it; only stand-alone messages must be fresh themselves.
        if (!ra) this.checkMessageTime(msg);
        const prot = verifyProtection(msg, {
          trustAnchors: this.opts.trustAnchors,
          at: new Date(this.clock.now()),
          ...(this.opts.macSecret ? { macSecret: this.opts.macSecret } : {}),
        });
        if (prot.kind === 'mac') answerWith = macProtectionLike(msg.header.protectionAlg!, prot.secret);
        const requester = requesterOf(prot, msg, ra);
        const inc: Incoming = { msg, der, type, transactionId, label, requester, answerWith, pvno };
        this.log.debug('cmp: request', { type, transactionId, requester: requester.certificate?.subject ?? 'mac', label });

        if (isCertRequestType(type) || type === 'rr' || type === 'genm') {
          if (record) {
            throw cmpFailure('ERR_CMP_TRANSACTION', 'transactionIdInUse', `transactionID is already in use (by a ${record.bodyType} transaction)`, {
              transactionId: toHex(transactionId),
            });
          }
          if (isCertRequestType(type)) return await this.onCertRequest(inc, type, prot);
          if (type === 'rr') return await this.onRevocation(inc);
          return await this.onGeneralMessage(inc);
        }
        if (type === 'certConf' || type === 'pollReq') {
          if (!record) {
            throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `${type} for an unknown transaction`, { transactionId: toHex(transactionId) });
          }
          if (!isCertRequestType(record.bodyType)) {
            throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `${type} in a ${record.bodyType} transaction`);
          }
          if (!msg.header.recipNonce || !bytesEqual(msg.header.recipNonce, record.ourNonce)) {
            throw cmpFailure('ERR_CMP_TRANSACTION', 'badRecipientNonce', `${type}: recipNonce is not the senderNonce of our last response`);
          }
          return type === 'certConf' ? await this.onCertConf(inc, record) : await this.onPollReq(inc, record);
        }
        throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `${type} messages are not supported here`);
      });
    } catch (e) {
      this.log.warn('cmp: request refused', { error: e, failInfo: failInfoOf(e) });
      return this.errorMessage(msg, e, answerWith, pvno);
    }
  }

  /** Runs `fn` after every earlier request of the same transaction has been handled. */
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

  /** pvno, transactionID and senderNonce (RFC 9483 §3.1 / §3.5). */
  private checkHeader(msg: PKIMessage): void {
    const h = msg.header;
    if (h.pvno !== PVNO.cmp2000 && h.pvno !== PVNO.cmp2021) {
      throw cmpFailure('ERR_CMP_UNSUPPORTED', 'unsupportedVersion', `pvno ${h.pvno} is not supported (2 or 3)`);
    }
    if (!h.transactionID || h.transactionID.length === 0) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', 'transactionID is missing');
    if (h.transactionID.length > MAX_ID_LENGTH) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `transactionID longer than ${MAX_ID_LENGTH} octets`);
    if (!h.senderNonce || h.senderNonce.length < MIN_NONCE_LENGTH || h.senderNonce.length > MAX_ID_LENGTH) {
      throw cmpFailure('ERR_CMP_MALFORMED', 'badSenderNonce', `senderNonce missing or not ${MIN_NONCE_LENGTH}..${MAX_ID_LENGTH} octets`);
    }
  }

  private checkMessageTime(msg: PKIMessage): void {
    const t = msg.header.messageTime;
    if (!t) return;
    const skew = Math.abs(t.getTime() - this.clock.now());
    if (skew > this.maxClockSkewMs) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badTime', `messageTime ${t.toISOString()} is ${Math.round(skew / 1000)} s off our clock`, {
        maxClockSkewMs: this.maxClockSkewMs,
      });
    }
  }

  // --- certificate requests ---------------------------------------------------------------

  private async onCertRequest(inc: Incoming, type: CertRequestType, prot: ProtectionInfo): Promise<Uint8Array> {
    const implicitRequested = readImplicitConfirm(inc.msg.header);
    const parsed = type === 'p10cr' ? this.parseP10cr(inc) : this.parseCrmf(inc, type, prot);
    const info: CertRequestInfo = {
      bodyType: type,
      certReqId: parsed.certReqId,
      transactionId: inc.transactionId,
      ...(parsed.subjectDer ? { subjectDer: parsed.subjectDer } : {}),
      publicKeyDer: parsed.publicKeyDer,
      ...(parsed.extensionsDer ? { extensionsDer: parsed.extensionsDer } : {}),
      requester: inc.requester,
      ...(parsed.oldCertificate ? { oldCertificate: parsed.oldCertificate } : {}),
      implicitConfirm: implicitRequested,
      ...(inc.label !== undefined ? { label: inc.label } : {}),
      requestDer: inc.der,
    };
    const decision = await this.opts.policy.issue(info);
    return this.answerDecision(inc, type, parsed.certReqId, decision, implicitRequested && this.allowImplicitConfirm);
  }

  /** ip/cp/kup (or pollRep when polled and still waiting) for a policy decision; stores the transaction. */
  private async answerDecision(
    inc: Incoming,
    requestType: CertRequestType,
    certReqId: number,
    decision: IssueDecision,
    grantImplicit: boolean,
    viaPoll = false,
  ): Promise<Uint8Array> {
    const kind = responseKindFor(requestType);
    let body: PKIBody;
    let state: TransactionRecord['state'];
    let certificateDer: Uint8Array | undefined;
    let extraCerts: readonly Certificate[] = [];
    let granted = false;
    switch (decision.kind) {
      case 'issued':
        granted = grantImplicit;
        body = certResponseBody(kind, {
          certReqId,
          status: statusInfo(PKIStatus.accepted),
          certificate: decision.certificate,
          ...(decision.caPubs ? { caPubs: decision.caPubs } : {}),
        });
        state = granted ? 'confirmed' : 'issued';
        certificateDer = certificateDerOf(decision.certificate);
        extraCerts = decision.extraCerts ?? [];
        break;
      case 'waiting':
        body = viaPoll
          ? pollRepBody(certReqId, decision.checkAfterSeconds, decision.reason)
          : certResponseBody(kind, { certReqId, status: statusInfo(PKIStatus.waiting, decision.reason) });
        state = 'waiting';
        break;
      case 'rejected':
        body = certResponseBody(kind, { certReqId, status: statusInfo(PKIStatus.rejection, decision.text, decision.failInfo) });
        state = 'rejected';
        break;
      default:
        throw new StackError('ERR_CONFIG', `policy returned an unknown decision ${(decision as { kind?: unknown })?.kind}`);
    }
    const { der, senderNonce } = this.respond(inc, body, { implicitConfirm: granted, extraCerts });
    await this.opts.store.put({
      transactionId: inc.transactionId,
      state,
      bodyType: requestType,
      certReqId,
      ourNonce: senderNonce,
      peerNonce: inc.msg.header.senderNonce!,
      ...(certificateDer ? { certificateDer } : {}),
      lastRequestDer: inc.der,
      lastResponseDer: der,
      ...(inc.label !== undefined ? { label: inc.label } : {}),
      updatedAt: this.clock.now(),
    });
    this.log.info('cmp: certificate request answered', { transactionId: inc.transactionId, type: requestType, decision: decision.kind, implicitConfirm: granted });
    if (granted) {
      try {
        await this.opts.policy.confirm(inc.transactionId, true);
      } catch (e) {
        this.log.error('cmp: policy.confirm failed after implicit confirmation', { transactionId: inc.transactionId, error: e });
      }
    }
    return der;
  }

  /** ir/cr/kur: one CertReqMsg, certReqId 0, a public key in the template, and a valid POP (RFC 9483 §4.1.1). */
  private parseCrmf(inc: Incoming, type: 'ir' | 'cr' | 'kur', prot: ProtectionInfo): ParsedRequest {
    const msgs = inc.msg.body[type]!;
    if (msgs.length !== 1) throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `${type} must hold exactly one CertReqMsg, holds ${msgs.length}`);
    const crm = msgs[0]!;
    const certReq = crm.certReq;
    if (certReq.certReqId !== CERT_REQ_ID) {
      throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', `certReqId must be ${CERT_REQ_ID}, is ${certReq.certReqId}`);
    }
    const t = certReq.certTemplate;
    if (!t.publicKey) throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badCertTemplate', 'the template has no public key (central key generation is not supported)');
    const publicKeyDer = encodeAsn1(t.publicKey, 'SubjectPublicKeyInfo');
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
    } catch (e) {
      throw cmpFailure('ERR_CMP_MALFORMED', 'badCertTemplate', 'the template public key cannot be read', {}, e);
    }

    let oldCertificate: Certificate | undefined;
    if (type === 'kur') {
      // RFC 9483 §4.1.3: protected with the certificate being updated.
      if (prot.kind !== 'signature') throw cmpFailure('ERR_CMP_PROTECTION', 'notAuthorized', 'kur must be signature-protected with the certificate being updated');
      oldCertificate = prot.certificate;
      const oldId = (certReq.controls ?? []).find((c) => c.type === ID_REG_CTRL_OLD_CERT_ID);
      if (oldId) {
        const id = readOldCertId(oldId.value);
        const issuerOk = id.issuer.directoryName !== undefined && bytesEqual(encodeAsn1(id.issuer.directoryName), issuerNameDer(oldCertificate));
        if (!issuerOk || !bytesEqual(stripInteger(id.serialNumber), stripInteger(serialOctets(oldCertificate)))) {
          throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', 'oldCertID does not name the certificate that protects the kur');
        }
      }
    }

    const popo = crm.popo;
    if (!popo) throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'no proof of possession');
    if (popo.raVerified !== undefined) {
      if (type === 'kur' || !this.isAuthorizedRa(inc.requester.certificate, inc.requester.chain ?? [])) {
        throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'POP raVerified is accepted only from an authorized RA, and never for kur');
      }
    } else if (popo.signature) {
      const sig = popo.signature;
      if (sig.poposkInput) throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'POP with poposkInput is not supported (RFC 9483 §4.1.1)');
      let ok = false;
      try {
        ok = verifyData(publicKey, encodeAsn1(certReq, 'CertRequest'), new Uint8Array(sig.signature.value), { algorithm: sig.algorithmIdentifier.algorithm });
      } catch (e) {
        throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', `POP algorithm ${sig.algorithmIdentifier.algorithm} does not fit the template key`, {}, e);
      }
      if (!ok) throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'POP signature over CertRequest does not verify with the template public key');
    } else {
      throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'only signature POP (or raVerified from an RA) is supported');
    }

    return {
      certReqId: CERT_REQ_ID,
      publicKeyDer,
      ...(t.subject ? { subjectDer: encodeAsn1(t.subject, 'Name') } : {}),
      ...(t.extensions && t.extensions.length > 0 ? { extensionsDer: encodeAsn1(t.extensions, 'Extensions') } : {}),
      ...(oldCertificate ? { oldCertificate } : {}),
    };
  }

  /** p10cr: the PKCS#10 self-signature is the POP (RFC 9483 §4.1.4); answered with certReqId -1. */
  private parseP10cr(inc: Incoming): ParsedRequest {
    const csr = inc.msg.body.p10cr!;
    const info = csr.request.certificationRequestInfo;
    const publicKeyDer = encodeAsn1(info.subjectPKInfo, 'SubjectPublicKeyInfo');
    let ok = false;
    try {
      const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
      ok = verifyData(key, pkcs10SignedPart(csr.der), new Uint8Array(csr.request.signature), { algorithm: csr.request.signatureAlgorithm.algorithm });
    } catch (e) {
      throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'PKCS#10 self-signature cannot be checked', {}, e);
    }
    if (!ok) throw cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'PKCS#10 self-signature does not verify');
    const extReq = (info.attributes ?? []).find((a) => a.type === ID_PKCS9_EXTENSION_REQUEST);
    const extValue = extReq?.values[0];
    return {
      certReqId: P10CR_CERT_REQ_ID,
      publicKeyDer,
      subjectDer: encodeAsn1(info.subject, 'Name'),
      ...(extValue ? { extensionsDer: new Uint8Array(extValue) } : {}),
    };
  }

  /** The signer is an RA: its certificate chains to the RA trust anchors and carries id-kp-cmcRA. */
  private isAuthorizedRa(cert: Certificate | undefined, intermediates: readonly Certificate[]): boolean {
    if (!cert) return false;
    try {
      verifyChain(cert, intermediates, this.opts.raTrustAnchors ?? this.opts.trustAnchors, { at: new Date(this.clock.now()), requireEku: ID_KP_CMC_RA });
      return true;
    } catch {
      return false;
    }
  }

  // --- follow-up messages -----------------------------------------------------------------

  private async onPollReq(inc: Incoming, record: TransactionRecord): Promise<Uint8Array> {
    const entries = inc.msg.body.pollReq!;
    if (entries.length !== 1) throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', `pollReq must hold one entry, holds ${entries.length}`);
    const certReqId = entries[0]!.certReqId;
    if (record.state !== 'waiting') {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `pollReq, but the transaction is ${record.state}, not waiting`);
    }
    if (certReqId !== record.certReqId) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', `pollReq for certReqId ${certReqId}, the waiting request is ${record.certReqId}`);
    }
    const decision = await this.opts.policy.poll(inc.transactionId, certReqId);
    // Implicit confirmation is not granted after polling: the original request is no longer at hand.
    return this.answerDecision(inc, record.bodyType as CertRequestType, certReqId, decision, false, true);
  }

  private async onCertConf(inc: Incoming, record: TransactionRecord): Promise<Uint8Array> {
    if (record.state === 'confirmed' || (record.state === 'rejected' && record.certificateDer)) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'certConfirmed', 'the certificate of this transaction has already been confirmed');
    }
    if (record.state !== 'issued' || !record.certificateDer) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `certConf, but the transaction is ${record.state}`);
    }
    const statuses = [...inc.msg.body.certConf!];
    const certificate = parseCertificate(record.certificateDer);
    let accepted: boolean;
    let status: CertStatus | undefined;
    if (statuses.length === 0) {
      accepted = false; // no CertStatus: nothing is accepted
    } else {
      status = statuses.find((s) => s.certReqId === record.certReqId);
      if (!status || statuses.length !== 1) {
        throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', `certConf must hold one CertStatus for certReqId ${record.certReqId}`);
      }
      if (!certHashMatches(status, certificate)) {
        throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', 'certConf certHash does not match the issued certificate');
      }
      const s = status.statusInfo?.status;
      accepted = s === undefined || s === PKIStatus.accepted || s === PKIStatus.grantedWithMods;
    }
    await this.opts.policy.confirm(inc.transactionId, accepted);
    const { der, senderNonce } = this.respond(inc, pkiConfBody());
    await this.opts.store.put({
      ...record,
      state: accepted ? 'confirmed' : 'rejected',
      ourNonce: senderNonce,
      peerNonce: inc.msg.header.senderNonce!,
      lastRequestDer: inc.der,
      lastResponseDer: der,
      updatedAt: this.clock.now(),
    });
    this.log.info('cmp: certConf', { transactionId: inc.transactionId, accepted, ...(status?.statusInfo ? { reason: summarizeStatus(status.statusInfo).text } : {}) });
    return der;
  }

  // --- revocation and general messages ----------------------------------------------------

  private async onRevocation(inc: Incoming): Promise<Uint8Array> {
    const content = inc.msg.body.rr!;
    if (content.length !== 1) throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `rr must hold exactly one RevDetails, holds ${content.length}`);
    const details = content[0]!.certDetails;
    if (!details.serialNumber) throw cmpFailure('ERR_CMP_MALFORMED', 'badCertTemplate', 'rr: certDetails has no serialNumber');
    if (!details.issuer) throw cmpFailure('ERR_CMP_MALFORMED', 'badCertTemplate', 'rr: certDetails has no issuer');
    const result = await this.opts.policy.revoke(details.serialNumber, encodeAsn1(details.issuer, 'Name'), inc.requester);
    const status = result.ok ? statusInfo(PKIStatus.accepted) : statusInfo(PKIStatus.rejection, result.text, result.failInfo);
    const { der, senderNonce } = this.respond(inc, revocationResponseBody([status]));
    await this.storeFinal(inc, result.ok ? 'revoked' : 'rejected', der, senderNonce);
    this.log.info('cmp: rr', { transactionId: inc.transactionId, ok: result.ok, serial: toHex(details.serialNumber) });
    return der;
  }

  private async onGeneralMessage(inc: Incoming): Promise<Uint8Array> {
    const items = [...inc.msg.body.genm!];
    if (items.length === 0) throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', 'genm without InfoTypeAndValue');
    const answers: InfoTypeAndValue[] = [];
    for (const item of items) {
      const answer = await this.opts.policy.generalInfo(item.infoType, inc.label);
      if (answer === 'unsupported') {
        throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `genm infoType ${item.infoType} is not supported`, { infoType: item.infoType });
      }
      answers.push(answer ?? infoTypeAndValue(answeringInfoType(item.infoType)));
    }
    const { der, senderNonce } = this.respond(inc, genpBody(answers));
    await this.storeFinal(inc, 'answered', der, senderNonce);
    return der;
  }

  private async storeFinal(inc: Incoming, state: TransactionRecord['state'], der: Uint8Array, senderNonce: Uint8Array): Promise<void> {
    await this.opts.store.put({
      transactionId: inc.transactionId,
      state,
      bodyType: inc.type,
      ourNonce: senderNonce,
      peerNonce: inc.msg.header.senderNonce!,
      lastRequestDer: inc.der,
      lastResponseDer: der,
      ...(inc.label !== undefined ? { label: inc.label } : {}),
      updatedAt: this.clock.now(),
    });
  }

  // --- nested -----------------------------------------------------------------------------

  /**
   * RFC 9483 §5.2.2: an RA wraps requests in `nested`, signed with its certificate (id-kp-cmcRA,
   * validated against raTrustAnchors) to convey its consent; each inner message is handled as
   * usual (its own protection stays the end entity's) and the answers go back nested.
   */
  private async handleNested(msg: PKIMessage, label: string | undefined, depth: number): Promise<Uint8Array> {
    let ra: Certificate;
    try {
      this.checkHeader(msg);
      this.checkMessageTime(msg);
      const prot = verifyProtection(msg, {
        trustAnchors: this.opts.raTrustAnchors ?? this.opts.trustAnchors,
        at: new Date(this.clock.now()),
        requireEku: ID_KP_CMC_RA,
      });
      if (prot.kind !== 'signature') throw cmpFailure('ERR_CMP_PROTECTION', 'notAuthorized', 'nested messages must be signed by an RA');
      ra = prot.certificate;
      const inner = msg.body.nested!;
      if (inner.length === 0 || inner.length > MAX_NESTED_MESSAGES) {
        throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', `nested holds ${inner.length} messages (1..${MAX_NESTED_MESSAGES})`);
      }
      if (depth >= MAX_NESTING_DEPTH && inner.some((m) => bodyTypeOf(m) === 'nested')) {
        throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `nesting deeper than ${MAX_NESTING_DEPTH} levels`);
      }
    } catch (e) {
      this.log.warn('cmp: nested request refused', { error: e, failInfo: failInfoOf(e) });
      return this.errorMessage(msg, e, this.signer, responsePvno(msg.header.pvno));
    }
    const answers: PKIMessage[] = [];
    for (const m of msg.body.nested!) {
      const innerDer = encodePkiMessage(m);
      const answer = bodyTypeOf(m) === 'nested' ? await this.handleNested(m, label, depth + 1) : await this.handleOne(m, innerDer, label, ra);
      answers.push(decodePkiMessage(answer));
    }
    const inc = { msg, answerWith: this.signer as ProtectionCredentials, pvno: responsePvno(msg.header.pvno) };
    return this.respond(inc, nestedBody(answers)).der;
  }

  // --- building answers -------------------------------------------------------------------

  /** The protected response to `inc.msg` (RFC 9483 §3.1 header: same transactionID, recipNonce = its senderNonce). */
  private respond(
    inc: Pick<Incoming, 'msg' | 'answerWith' | 'pvno'>,
    body: PKIBody,
    o: { implicitConfirm?: boolean; extraCerts?: readonly Certificate[] } = {},
  ): { der: Uint8Array; senderNonce: Uint8Array } {
    const h = inc.msg.header;
    const senderNonce = newNonce(this.random);
    const header = buildHeader({
      pvno: inc.pvno,
      sender: directoryName(this.signer.certificate),
      recipient: h.sender,
      messageTime: new Date(this.clock.now()),
      ...(h.transactionID ? { transactionId: h.transactionID } : {}),
      senderNonce,
      ...(h.senderNonce ? { recipNonce: h.senderNonce } : {}),
      ...(o.implicitConfirm ? { implicitConfirm: true } : {}),
    });
    const extra = inc.answerWith.kind === 'mac' ? [this.signer.certificate, ...(o.extraCerts ?? [])] : [...(o.extraCerts ?? [])];
    const m = protectMessage(header, body, inc.answerWith, { random: this.random, extraCerts: extra });
    return { der: encodePkiMessage(m), senderNonce };
  }

  /** An error message (RFC 9483 §3.6.4) for `err`, answering `msg` if it could be read. */
  private errorMessage(msg: PKIMessage | undefined, err: unknown, answerWith: ProtectionCredentials, pvno: number): Uint8Array {
    const body = errorBody(errorMessageBody(err));
    try {
      if (msg) return this.respond({ msg, answerWith, pvno }, body).der;
      const header = buildHeader({
        sender: directoryName(this.signer.certificate),
        messageTime: new Date(this.clock.now()),
        senderNonce: newNonce(this.random),
      });
      return encodePkiMessage(protectMessage(header, body, this.signer, { random: this.random }));
    } catch (e) {
      // The request's header could not be echoed (e.g. an unencodable sender): answer without it.
      this.log.error('cmp: cannot answer in kind, sending a bare error message', { error: e });
      const header = buildHeader({ sender: directoryName(this.signer.certificate), messageTime: new Date(this.clock.now()), senderNonce: newNonce(this.random) });
      return encodePkiMessage(protectMessage(header, body, this.signer, { random: this.random }));
    }
  }
}

interface ParsedRequest {
  readonly certReqId: number;
  readonly publicKeyDer: Uint8Array;
  readonly subjectDer?: Uint8Array;
  readonly extensionsDer?: Uint8Array;
  readonly oldCertificate?: Certificate;
}

/** The pvno to answer with: the request's, when we speak it (RFC 9810 §7). */
function responsePvno(pvno: number): number {
  return pvno === PVNO.cmp2021 ? PVNO.cmp2021 : PVNO.cmp2000;
}

function requesterOf(prot: ProtectionInfo, msg: PKIMessage, ra: Certificate | undefined): RequesterIdentity {
  const kid = msg.header.senderKID;
  if (prot.kind === 'mac') return { kind: 'mac', ...(kid ? { senderKid: kid } : {}), ...(ra ? { raCertificate: ra } : {}) };
  let serialNumber: string | undefined;
  try {
    serialNumber = readSubjectSerialNumber(prot.certificate);
  } catch {
    serialNumber = undefined;
  }
  return {
    kind: 'signature',
    certificate: prot.certificate,
    chain: prot.chain,
    ...(kid ? { senderKid: kid } : {}),
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    ...(ra ? { raCertificate: ra } : {}),
  };
}

/** id-it-implicitConfirm in generalInfo; its value must be NULL (RFC 9810 §5.1.1.1), else badRequest. */
function readImplicitConfirm(header: PKIMessage['header']): boolean {
  const item = (header.generalInfo ?? []).find((i) => i.infoType === ID_IT_IMPLICIT_CONFIRM);
  if (!item) return false;
  if (item.infoValue !== null && item.infoValue !== undefined) {
    throw cmpFailure('ERR_CMP_MALFORMED', 'badRequest', 'implicitConfirm value is not NULL');
  }
  return true;
}

function readOldCertId(value: ArrayBuffer | null): CertId {
  if (!value) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', 'oldCertID control without a value');
  return decodeAsn1(new Uint8Array(value), CertId, { what: 'oldCertID' });
}

/** INTEGER content octets without redundant leading zero octets (for comparing serials). */
function stripInteger(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  return b.subarray(i);
}

function certificateDerOf(cert: Certificate): Uint8Array {
  return certificateDer(cert);
}

/** A simple in-memory CmpTransactionStore (tests, demos). Bounded: oldest records go first. */
export class MemoryTransactionStore implements CmpTransactionStore {
  private readonly records = new Map<string, TransactionRecord>();
  constructor(private readonly maxRecords = 10_000) {}

  async get(transactionId: Uint8Array): Promise<TransactionRecord | undefined> {
    const r = this.records.get(Buffer.from(transactionId).toString('hex'));
    return r ? { ...r } : undefined;
  }

  async put(record: TransactionRecord): Promise<void> {
    const key = Buffer.from(record.transactionId).toString('hex');
    this.records.delete(key);
    this.records.set(key, { ...record });
    while (this.records.size > this.maxRecords) {
      const oldest = this.records.keys().next().value as string;
      this.records.delete(oldest);
    }
  }
}
