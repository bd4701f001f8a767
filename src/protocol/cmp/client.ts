/**
 * The CMP client side of the Lightweight CMP Profile (RFC 9483 §4): enrollment (ir/cr/kur/p10cr
 * with certConf/pkiConf or implicit confirmation), delayed delivery by polling (§4.4), revocation
 * (§4.2) and general messages (§4.3). Transport, clock, randomness and logging are injected;
 * the in-flight enrollment can be exported as JSON and resumed by a restarted client.
 *
 * Every failure is a StackError: an error message or a rejecting response from the server
 * becomes ERR_CMP_REJECTED (a CmpFailure carrying the server's failInfo and text).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { GeneralName, Name } from '@peculiar/asn1-x509';
import { bytesEqual, copyBytes, fromHex, toHex } from '../../core/bytes.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { StackError, isStackError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import {
  CaCertsValue,
  CertReqTemplateContent,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_ROOT_CA_CERT,
  ID_IT_ROOT_CA_KEY_UPDATE,
  PKIStatus,
  PVNO,
  RootCaKeyUpdateContent,
  CMPCertificate,
  bodyTypeOf,
  decodeInfoValue,
  decodePkiMessage,
  encodePkiMessage,
  infoTypeAndValue,
  type CertRepMessage,
  type InfoTypeAndValue,
  type PKIBody,
  type PKIBodyType,
  type PKIMessage,
} from '../../codec/cmp/index.ts';
import {
  certificateDer,
  certificatePublicKey,
  exportPublicKeyDer,
  parseCertificate,
  sameCertificate,
  subjectNameDer,
  issuerNameDer,
  type Certificate,
  type NameSpec,
  type RawExtension,
} from '../../pki/index.ts';
import { CmpFailure, cmpFailure, errorFromErrorMessage, rejectedBy } from './failure.ts';
import {
  CERT_REQ_ID,
  P10CR_CERT_REQ_ID,
  buildCertReqMsg,
  buildCertTemplate,
  buildHeader,
  buildPkcs10,
  certConfBody,
  certRequestBody,
  directoryName,
  genmBody,
  hasImplicitConfirm,
  newNonce,
  oldCertIdControl,
  p10crBody,
  pollReqBody,
  responseKindFor,
  revocationRequestBody,
  senderNameFor,
  type CertRequestKind,
} from './message-builder.ts';
import { extraCertificates, protectMessage, verifyProtection, type ProtectionCredentials, type ProtectionInfo } from './protection.ts';

export interface CmpClientOptions {
  /** Sends one DER PKIMessage and resolves to the DER response (HTTP POST, CoAP POST, a file…). */
  readonly transfer: (reqDer: Uint8Array) => Promise<Uint8Array>;
  /** How requests are protected: the IDevID (signature), or a shared secret (MAC). */
  readonly credentials: ProtectionCredentials;
  /** Trust anchors for signature-protected responses (BRSKI-AE: the voucher's pinned-domain-cert). */
  readonly trustAnchors: readonly Certificate[];
  /** Extra certificates for building the responder's path. */
  readonly untrusted?: readonly Certificate[];
  /** The recipient (the CA or RA) if known; default NULL-DN. */
  readonly recipient?: Name | Uint8Array | NameSpec | Certificate;
  /** Sender name for MAC protection (default NULL-DN; then senderKID names the secret). */
  readonly macSender?: Name | Uint8Array | NameSpec;
  /** Added to every request's generalInfo (e.g. id-it-certProfile). */
  readonly generalInfo?: readonly InfoTypeAndValue[];
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Longest total time spent polling one transaction before giving up (default 10 minutes). */
  readonly maxPollWaitMs?: number;
  /** Most pollReq messages per transaction (default 100). */
  readonly maxPolls?: number;
  /** Include messageTime in requests (default true; a clock-less pledge turns it off). */
  readonly sendMessageTime?: boolean;
}

export interface EnrollOptions {
  readonly kind: 'ir' | 'cr' | 'kur' | 'p10cr';
  /** The new key pair's private key (POP is signed with it; the certificate must hold its public key). */
  readonly newKey: KeyObject;
  readonly subject?: Name | Uint8Array | NameSpec;
  readonly extensions?: readonly RawExtension[] | Uint8Array;
  /** Ask for implicit confirmation (no certConf when the server grants it). */
  readonly implicitConfirm?: boolean;
  /** kur: the certificate being updated (default the signature credential's certificate), named in oldCertID. */
  readonly oldCert?: Certificate;
}

export interface EnrollResult {
  readonly certificate: Certificate;
  /** caPubs of the response: trust anchors the CA offers (RFC 9733 §5.1 SHOULD). */
  readonly caPubs: readonly Certificate[];
  /** extraCerts of the response. */
  readonly extraCerts: readonly Certificate[];
  /** The new certificate's chain as found among extraCerts and caPubs (by name, unvalidated), leaf first. */
  readonly chain: readonly Certificate[];
  readonly implicitConfirmGranted: boolean;
  readonly transactionId: Uint8Array;
  /** Who protected the final response. */
  readonly responder: ProtectionInfo;
}

export interface RootCaUpdate {
  readonly newWithNew: Certificate;
  readonly newWithOld?: Certificate;
  readonly oldWithNew?: Certificate;
}

export interface GeneralMessageResult {
  /** Every InfoTypeAndValue of the genp, as received. */
  readonly itavs: readonly InfoTypeAndValue[];
  /** id-it-caCerts: the certificates ([] when the value is absent). */
  readonly caCerts?: readonly Certificate[];
  /** id-it-certReqTemplate: the template, or null when the CA has none (value absent). */
  readonly certReqTemplate?: CertReqTemplateContent | null;
  /** id-it-rootCaKeyUpdate: the update, or null when there is none. */
  readonly rootCaKeyUpdate?: RootCaUpdate | null;
}

/**
 * The in-flight enrollment as plain JSON: a restarted pledge passes it to `resume()` to go on
 * polling the same transaction (RFC 9483 §4.4). Holds no private key.
 */
export interface CmpClientState {
  readonly version: 1;
  readonly bodyType: EnrollOptions['kind'];
  readonly transactionId: string;
  readonly certReqId: number;
  /** senderNonce of the last response: the next request's recipNonce. */
  readonly recipNonce: string;
  readonly publicKeySpki: string;
  readonly implicitConfirmRequested: boolean;
  /** Clock time (ms) the transaction started; polling is bounded from here. */
  readonly startedAt: number;
  readonly polls: number;
  /** Seconds the server last asked to wait. */
  readonly checkAfterSeconds: number;
  /** Clock time (ms) of the last response. */
  readonly lastResponseAt: number;
}

interface Transaction {
  readonly bodyType: EnrollOptions['kind'];
  readonly transactionId: Uint8Array;
  readonly certReqId: number;
  recipNonce: Uint8Array;
  readonly publicKeySpki: Uint8Array;
  readonly implicitConfirmRequested: boolean;
  readonly startedAt: number;
  polls: number;
  checkAfterSeconds: number;
  lastResponseAt: number;
}

const DEFAULT_MAX_POLL_WAIT_MS = 10 * 60 * 1000;
const DEFAULT_MAX_POLLS = 100;

export class CmpClient {
  private readonly transfer: CmpClientOptions['transfer'];
  private readonly creds: ProtectionCredentials;
  private readonly trustAnchors: readonly Certificate[];
  private readonly untrusted: readonly Certificate[];
  private readonly sender: GeneralName;
  private readonly recipient: GeneralName | undefined;
  private readonly generalInfo: readonly InfoTypeAndValue[];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly maxPollWaitMs: number;
  private readonly maxPolls: number;
  private readonly sendMessageTime: boolean;
  private inFlight: Transaction | undefined;
  private running = false;

  constructor(opts: CmpClientOptions) {
    this.transfer = opts.transfer;
    this.creds = opts.credentials;
    this.trustAnchors = [...opts.trustAnchors];
    this.untrusted = [...(opts.untrusted ?? [])];
    this.sender = senderNameFor(opts.credentials, opts.macSender !== undefined ? directoryName(opts.macSender) : undefined);
    this.recipient = opts.recipient !== undefined ? directoryName(opts.recipient) : undefined;
    this.generalInfo = [...(opts.generalInfo ?? [])];
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.log = (opts.logger ?? silentLogger).child({ component: 'cmp-client' });
    this.maxPollWaitMs = opts.maxPollWaitMs ?? DEFAULT_MAX_POLL_WAIT_MS;
    this.maxPolls = opts.maxPolls ?? DEFAULT_MAX_POLLS;
    this.sendMessageTime = opts.sendMessageTime ?? true;
    if (!(this.maxPollWaitMs >= 0) || !Number.isInteger(this.maxPolls) || this.maxPolls < 0) {
      throw new StackError('ERR_CONFIG', 'maxPollWaitMs and maxPolls must be non-negative');
    }
  }

  // --- enrollment -------------------------------------------------------------------------

  /** One enrollment transaction: request, polling while waiting, certConf/pkiConf. */
  enroll(o: EnrollOptions): Promise<EnrollResult> {
    return this.exclusive(() => this.enrollNow(o));
  }

  private async enrollNow(o: EnrollOptions): Promise<EnrollResult> {
    if (o.newKey.type !== 'private') throw new StackError('ERR_INVALID_ARGUMENT', 'enroll: newKey must be the new private key (for POP)');
    const transactionId = newNonce(this.random);
    const senderNonce = newNonce(this.random);
    const spki = exportPublicKeyDer(o.newKey);
    let body: PKIBody;
    let certReqId: number;
    const refCert = o.kind === 'kur' ? (o.oldCert ?? this.signatureCertificate()) : this.signatureCertificate();
    // RFC 4211 §4.1: POP without poposkInput needs subject and publicKey in the template. Without a
    // subject given, use the one of the certificate being updated (kur) or of the protection
    // certificate (ir/cr/p10cr, as openssl does), else NULL-DN.
    const subject = o.subject ?? (refCert ? subjectNameDer(refCert) : EMPTY_NAME_DER);
    if (o.kind === 'p10cr') {
      certReqId = P10CR_CERT_REQ_ID;
      body = p10crBody(buildPkcs10({ privateKey: o.newKey, subject, ...(o.extensions ? { extensions: o.extensions } : {}) }));
    } else {
      certReqId = CERT_REQ_ID;
      const controls = [];
      if (o.kind === 'kur') {
        if (!refCert) throw new StackError('ERR_INVALID_ARGUMENT', 'kur needs oldCert (or signature credentials holding the certificate to update)');
        controls.push(oldCertIdControl(refCert));
      }
      const template = buildCertTemplate({
        subject,
        publicKey: spki,
        ...(o.extensions ? { extensions: o.extensions } : {}),
      });
      body = certRequestBody(o.kind as CertRequestKind, [buildCertReqMsg({ template, certReqId, controls, popKey: o.newKey })]);
    }
    const implicitConfirm = o.implicitConfirm ?? false;
    const req = this.message(body, { transactionId, senderNonce, implicitConfirm });
    this.log.info('enroll: sending', { type: o.kind, transactionId });
    const startedAt = this.clock.now();
    const rsp = await this.exchange(req, [responseKindFor(o.kind)]);
    const tx: Transaction = {
      bodyType: o.kind,
      transactionId,
      certReqId,
      recipNonce: rsp.msg.header.senderNonce!,
      publicKeySpki: spki,
      implicitConfirmRequested: implicitConfirm,
      startedAt,
      polls: 0,
      checkAfterSeconds: 0,
      lastResponseAt: this.clock.now(),
    };
    return this.continueEnrollment(tx, rsp);
  }

  /** The in-flight enrollment (while it waits or polls), or undefined. */
  exportState(): CmpClientState | undefined {
    const t = this.inFlight;
    if (!t) return undefined;
    return {
      version: 1,
      bodyType: t.bodyType,
      transactionId: toHex(t.transactionId),
      certReqId: t.certReqId,
      recipNonce: toHex(t.recipNonce),
      publicKeySpki: toHex(t.publicKeySpki),
      implicitConfirmRequested: t.implicitConfirmRequested,
      startedAt: t.startedAt,
      polls: t.polls,
      checkAfterSeconds: t.checkAfterSeconds,
      lastResponseAt: t.lastResponseAt,
    };
  }

  /**
   * Goes on polling an exported transaction (e.g. after a restart). The polling bound starts
   * again from now; the first pollReq waits out whatever remains of the last checkAfter.
   */
  resume(state: CmpClientState): Promise<EnrollResult> {
    return this.exclusive(() => this.resumeNow(state), state?.transactionId);
  }

  private async resumeNow(state: CmpClientState): Promise<EnrollResult> {
    if (state?.version !== 1) throw new StackError('ERR_INVALID_ARGUMENT', 'not a CmpClientState (version 1)');
    let tx: Transaction;
    try {
      tx = {
        bodyType: state.bodyType,
        transactionId: fromHex(state.transactionId),
        certReqId: state.certReqId,
        recipNonce: fromHex(state.recipNonce),
        publicKeySpki: fromHex(state.publicKeySpki),
        implicitConfirmRequested: state.implicitConfirmRequested,
        startedAt: this.clock.now(),
        polls: state.polls,
        checkAfterSeconds: state.checkAfterSeconds,
        lastResponseAt: state.lastResponseAt,
      };
    } catch (e) {
      throw new StackError('ERR_INVALID_ARGUMENT', 'CmpClientState holds invalid hex', {}, e);
    }
    this.inFlight = tx;
    try {
      const remaining = Math.max(0, tx.lastResponseAt + tx.checkAfterSeconds * 1000 - this.clock.now());
      const rsp = await this.poll(tx, remaining, [responseKindFor(tx.bodyType)]);
      return await this.finishEnrollment(tx, rsp);
    } catch (e) {
      this.keepStateOnlyWhileWaiting(e);
      throw e;
    }
  }

  private async continueEnrollment(tx: Transaction, first: Exchanged): Promise<EnrollResult> {
    this.inFlight = tx;
    try {
      let rsp = first;
      if (this.certResponseOf(tx, rsp.msg).waiting) {
        rsp = await this.poll(tx, 0, [responseKindFor(tx.bodyType)]);
      }
      return await this.finishEnrollment(tx, rsp);
    } catch (e) {
      this.keepStateOnlyWhileWaiting(e);
      throw e;
    }
  }

  /** After a failure, keep the state only when the transaction is still waiting on the server. */
  private keepStateOnlyWhileWaiting(e: unknown): void {
    if (!(isStackError(e) && e.details.reason === 'poll-timeout')) this.inFlight = undefined;
  }

  /** Certificate in hand: check it, then confirm (or not, with implicitConfirm granted). */
  private async finishEnrollment(tx: Transaction, rsp: Exchanged): Promise<EnrollResult> {
    const { certificate, rep } = this.certResponseOf(tx, rsp.msg);
    if (!certificate) throw new StackError('ERR_CMP_TRANSACTION', 'certificate response still waiting after polling');
    tx.recipNonce = rsp.msg.header.senderNonce!;
    const extraCerts = extraCertificates(rsp.msg);
    const caPubs = (rep.caPubs ?? []).map((c) => readCert(c, 'caPubs'));
    const requested = createPublicKey({ key: Buffer.from(tx.publicKeySpki), format: 'der', type: 'spki' });
    const keyMatches = certificatePublicKey(certificate).equals(requested);
    const granted = tx.implicitConfirmRequested && hasImplicitConfirm(rsp.msg.header);

    if (!keyMatches) {
      if (!granted) {
        await this.confirm(tx, certificate, false, 'the certificate does not hold the requested public key');
      }
      this.inFlight = undefined;
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertTemplate', 'issued certificate does not hold the requested public key', { reason: 'wrong-key' });
    }
    let responder = rsp.info;
    if (!granted) responder = await this.confirm(tx, certificate, true);
    this.inFlight = undefined;
    this.log.info('enroll: done', { transactionId: tx.transactionId, implicitConfirm: granted, serial: certificate.serialNumber });
    return {
      certificate,
      caPubs,
      extraCerts,
      chain: chainByName(certificate, [...extraCerts, ...caPubs]),
      implicitConfirmGranted: granted,
      transactionId: tx.transactionId,
      responder,
    };
  }

  private async confirm(tx: Transaction, certificate: Certificate, accept: boolean, text?: string): Promise<ProtectionInfo> {
    const { body, pvno } = certConfBody({
      certificate,
      certReqId: tx.certReqId,
      accept,
      ...(accept ? {} : { failInfo: ['badCertTemplate'] as const, ...(text ? { text } : {}) }),
    });
    const req = this.message(body, { transactionId: tx.transactionId, senderNonce: newNonce(this.random), recipNonce: tx.recipNonce, pvno });
    const rsp = await this.exchange(req, ['pkiconf']);
    return rsp.info;
  }

  /** Reads the CertResponse for our certReqId: waiting, or the certificate; throws on rejection. */
  private certResponseOf(tx: Transaction, msg: PKIMessage): { waiting: boolean; certificate?: Certificate; rep: CertRepMessage } {
    const type = bodyTypeOf(msg);
    const rep = (msg.body as unknown as Record<string, CertRepMessage | undefined>)[type];
    if (!rep) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `${type} has no CertRepMessage`);
    const accepted = tx.bodyType === 'p10cr' ? [P10CR_CERT_REQ_ID, CERT_REQ_ID] : [tx.certReqId];
    const response = rep.response.find((r) => accepted.includes(r.certReqId));
    if (!response) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badCertId', `${type} has no CertResponse for certReqId ${tx.certReqId}`, {
        certReqIds: rep.response.map((r) => r.certReqId).join(','),
      });
    }
    const status = response.status.status;
    if (status === PKIStatus.waiting) return { waiting: true, rep };
    if (status !== PKIStatus.accepted && status !== PKIStatus.grantedWithMods) {
      throw rejectedBy(response.status, `${type}:`, { transactionId: toHex(tx.transactionId) });
    }
    const cert = response.certifiedKeyPair?.certOrEncCert.certificate;
    if (!cert) {
      if (response.certifiedKeyPair?.certOrEncCert.encryptedCert) {
        throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', `${type} carries an encrypted certificate, which this client does not support`);
      }
      throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `${type} accepts the request but carries no certificate`);
    }
    return { waiting: false, certificate: readCert(cert, type), rep };
  }

  /**
   * pollReq until a final answer of one of `finalTypes` arrives (RFC 9483 §4.4), honouring
   * checkAfter through the clock, within maxPollWaitMs and maxPolls.
   */
  private async poll(tx: Transaction, firstDelayMs: number, finalTypes: readonly PKIBodyType[]): Promise<Exchanged> {
    let delay = firstDelayMs;
    for (;;) {
      const elapsed = this.clock.now() - tx.startedAt;
      if (elapsed + delay > this.maxPollWaitMs || tx.polls >= this.maxPolls) {
        throw new StackError(
          'ERR_CMP_TRANSACTION',
          `gave up polling after ${tx.polls} polls and ${Math.round(elapsed / 1000)} s (server asks to wait ${Math.ceil(delay / 1000)} s more)`,
          { reason: 'poll-timeout', polls: tx.polls, checkAfterSeconds: Math.ceil(delay / 1000), transactionId: toHex(tx.transactionId) },
        );
      }
      if (delay > 0) await this.sleep(delay);
      tx.polls++;
      const req = this.message(pollReqBody(tx.certReqId), { transactionId: tx.transactionId, senderNonce: newNonce(this.random), recipNonce: tx.recipNonce });
      const rsp = await this.exchange(req, ['pollRep', ...finalTypes]);
      tx.recipNonce = rsp.msg.header.senderNonce!;
      tx.lastResponseAt = this.clock.now();
      const type = bodyTypeOf(rsp.msg);
      if (type === 'pollRep') {
        const entry = rsp.msg.body.pollRep!.find((e) => e.certReqId === tx.certReqId) ?? rsp.msg.body.pollRep![0];
        if (!entry) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', 'empty pollRep');
        tx.checkAfterSeconds = Math.max(0, entry.checkAfter);
        delay = tx.checkAfterSeconds * 1000;
        this.log.debug('poll: waiting', { transactionId: tx.transactionId, checkAfter: entry.checkAfter, polls: tx.polls });
        continue;
      }
      if ((type === 'ip' || type === 'cp' || type === 'kup') && this.certResponseOf(tx, rsp.msg).waiting) {
        // Still waiting but no checkAfter given: wait a second before asking again.
        tx.checkAfterSeconds = 1;
        delay = 1000;
        continue;
      }
      return rsp;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.clock.setTimeout(resolve, ms);
    });
  }

  // --- revocation and general messages -----------------------------------------------------

  /** rr → rp (RFC 9483 §4.2); resolves when revoked, throws ERR_CMP_REJECTED otherwise. */
  revoke(cert: Certificate, reason?: number): Promise<void> {
    return this.exclusive(() => this.revokeNow(cert, reason));
  }

  private async revokeNow(cert: Certificate, reason?: number): Promise<void> {
    const transactionId = newNonce(this.random);
    const req = this.message(revocationRequestBody(cert, reason), { transactionId, senderNonce: newNonce(this.random) });
    const rsp = await this.exchangeOrPoll(req, transactionId, ['rp']);
    const status = rsp.msg.body.rp!.status[0];
    if (!status) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', 'rp without a status');
    const ok = [PKIStatus.accepted, PKIStatus.grantedWithMods, PKIStatus.revocationWarning, PKIStatus.revocationNotification] as number[];
    if (!ok.includes(status.status)) throw rejectedBy(status, 'rp:', { transactionId: toHex(transactionId) });
  }

  /**
   * genm → genp (RFC 9483 §4.3). Items are infoType OIDs (no value) or InfoTypeAndValues.
   * CA certificates, the certificate request template and a root CA update are decoded.
   */
  generalMessage(items: readonly (string | InfoTypeAndValue)[]): Promise<GeneralMessageResult> {
    return this.exclusive(() => this.generalMessageNow(items));
  }

  private async generalMessageNow(items: readonly (string | InfoTypeAndValue)[]): Promise<GeneralMessageResult> {
    const transactionId = newNonce(this.random);
    const req = this.message(genmBody(items), { transactionId, senderNonce: newNonce(this.random) });
    const rsp = await this.exchangeOrPoll(req, transactionId, ['genp']);
    const itavs = [...rsp.msg.body.genp!];
    let caCerts: Certificate[] | undefined;
    let certReqTemplate: CertReqTemplateContent | null | undefined;
    let rootCaKeyUpdate: RootCaUpdate | null | undefined;
    for (const itav of itavs) {
      try {
        if (itav.infoType === ID_IT_CA_CERTS) {
          const v = decodeInfoValue(itav, CaCertsValue);
          caCerts = v ? [...v].map((c) => readCert(c, 'caCerts')) : [];
        } else if (itav.infoType === ID_IT_CERT_REQ_TEMPLATE) {
          certReqTemplate = decodeInfoValue(itav, CertReqTemplateContent) ?? null;
        } else if (itav.infoType === ID_IT_ROOT_CA_KEY_UPDATE) {
          const v = decodeInfoValue(itav, RootCaKeyUpdateContent);
          rootCaKeyUpdate = v
            ? {
                newWithNew: readCert(v.newWithNew, 'newWithNew'),
                ...(v.newWithOld ? { newWithOld: readCert(v.newWithOld, 'newWithOld') } : {}),
                ...(v.oldWithNew ? { oldWithNew: readCert(v.oldWithNew, 'oldWithNew') } : {}),
              }
            : null;
        }
      } catch (e) {
        if (e instanceof CmpFailure) throw e;
        throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `genp: cannot read the value of ${itav.infoType}`, {}, e);
      }
    }
    return {
      itavs,
      ...(caCerts !== undefined ? { caCerts } : {}),
      ...(certReqTemplate !== undefined ? { certReqTemplate } : {}),
      ...(rootCaKeyUpdate !== undefined ? { rootCaKeyUpdate } : {}),
    };
  }

  /** genm id-it-caCerts (RFC 9483 §4.3.1). */
  async getCaCerts(): Promise<Certificate[]> {
    return [...((await this.generalMessage([ID_IT_CA_CERTS])).caCerts ?? [])];
  }

  /** genm id-it-certReqTemplate (RFC 9483 §4.3.3); null when the CA has no template. */
  async getCertReqTemplate(): Promise<CertReqTemplateContent | null> {
    return (await this.generalMessage([ID_IT_CERT_REQ_TEMPLATE])).certReqTemplate ?? null;
  }

  /** genm id-it-rootCaCert [old root] → id-it-rootCaKeyUpdate (RFC 9483 §4.3.2); null when no update. */
  async getRootCaUpdate(oldRoot?: Certificate): Promise<RootCaUpdate | null> {
    const item = oldRoot ? infoTypeAndValue(ID_IT_ROOT_CA_CERT, CMPCertificate.fromDer(certificateDer(oldRoot))) : ID_IT_ROOT_CA_CERT;
    return (await this.generalMessage([item])).rootCaKeyUpdate ?? null;
  }

  /**
   * One request whose answer may be delayed: an error message with status waiting is answered
   * with pollReq certReqId -1 until the final answer arrives (RFC 9810 §5.3.22).
   */
  private async exchangeOrPoll(req: PKIMessage, transactionId: Uint8Array, finalTypes: readonly PKIBodyType[]): Promise<Exchanged> {
    try {
      return await this.exchange(req, finalTypes);
    } catch (e) {
      if (!(e instanceof CmpFailure && e.code === 'ERR_CMP_REJECTED' && e.status === PKIStatus.waiting && e.details.responseNonce instanceof Uint8Array)) throw e;
      const tx: Transaction = {
        bodyType: 'ir',
        transactionId,
        certReqId: P10CR_CERT_REQ_ID,
        recipNonce: e.details.responseNonce,
        publicKeySpki: new Uint8Array(0),
        implicitConfirmRequested: false,
        startedAt: this.clock.now(),
        polls: 0,
        checkAfterSeconds: 0,
        lastResponseAt: this.clock.now(),
      };
      return this.poll(tx, 0, finalTypes);
    }
  }

  // --- one exchange -----------------------------------------------------------------------

  private message(
    body: PKIBody,
    h: { transactionId: Uint8Array; senderNonce: Uint8Array; recipNonce?: Uint8Array; implicitConfirm?: boolean; pvno?: number },
  ): PKIMessage {
    const header = buildHeader({
      ...(h.pvno !== undefined ? { pvno: h.pvno } : {}),
      sender: this.sender,
      ...(this.recipient ? { recipient: this.recipient } : {}),
      ...(this.sendMessageTime ? { messageTime: new Date(this.clock.now()) } : {}),
      transactionId: h.transactionId,
      senderNonce: h.senderNonce,
      ...(h.recipNonce ? { recipNonce: h.recipNonce } : {}),
      ...(h.implicitConfirm ? { implicitConfirm: true } : {}),
      generalInfo: this.generalInfo,
    });
    return protectMessage(header, body, this.creds, { random: this.random });
  }

  /**
   * Sends `req`, then checks the response: DER, pvno, transactionID, recipNonce = our
   * senderNonce, protection; an error body becomes ERR_CMP_REJECTED; any other unexpected
   * body ERR_CMP_TRANSACTION.
   */
  private async exchange(req: PKIMessage, expected: readonly PKIBodyType[]): Promise<Exchanged> {
    const reqType = bodyTypeOf(req);
    let rspDer: Uint8Array;
    try {
      rspDer = copyBytes(await this.transfer(encodePkiMessage(req)));
    } catch (e) {
      if (e instanceof StackError) throw e;
      throw new StackError('ERR_IO', `CMP transfer of ${reqType} failed: ${(e as Error)?.message ?? String(e)}`, {}, e);
    }
    const msg = decodePkiMessage(rspDer);
    const type = bodyTypeOf(msg);
    const h = msg.header;
    const tid = req.header.transactionID!;
    this.log.debug('cmp exchange', { request: reqType, response: type, transactionId: tid });

    if (type === 'error' && !msg.protection) {
      // RFC 9483 §3.6.4: an unprotected error message may still end the transaction; say so.
      throw errorFromErrorMessage(msg.body.error!, { protected: false, transactionId: toHex(tid) });
    }
    if (h.pvno !== PVNO.cmp2000 && h.pvno !== PVNO.cmp2021) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'unsupportedVersion', `response has pvno ${h.pvno}`);
    }
    if (!h.transactionID || !bytesEqual(h.transactionID, tid)) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', 'response transactionID differs from the request', {
        expected: toHex(tid),
        got: h.transactionID ? toHex(h.transactionID) : 'absent',
      });
    }
    if (!h.recipNonce || !bytesEqual(h.recipNonce, req.header.senderNonce!)) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badRecipientNonce', 'response recipNonce is not the senderNonce of the request');
    }
    if (!h.senderNonce || h.senderNonce.length < RFC9483_MIN_NONCE) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badSenderNonce', 'response senderNonce is missing or shorter than 128 bits');
    }
    let info: ProtectionInfo;
    try {
      info = verifyProtection(msg, {
        trustAnchors: this.trustAnchors,
        untrusted: this.untrusted,
        at: new Date(this.clock.now()),
        ...(this.creds.kind === 'mac' ? { macSecret: macSecretOf(this.creds.secret) } : {}),
      });
    } catch (e) {
      // An error message whose protection we cannot check still ends the transaction; report
      // what the server said, marked unverified (and never poll on it).
      if (type === 'error' && e instanceof CmpFailure) {
        throw errorFromErrorMessage(msg.body.error!, { protected: false, protectionError: e.message, transactionId: toHex(tid) });
      }
      throw e;
    }
    if (type === 'error') {
      throw errorFromErrorMessage(msg.body.error!, { protected: true, transactionId: toHex(tid), responseNonce: h.senderNonce });
    }
    if (!expected.includes(type)) {
      throw cmpFailure('ERR_CMP_TRANSACTION', 'badRequest', `expected ${expected.join(' or ')} in answer to ${reqType}, got ${type}`);
    }
    return { msg, info };
  }

  private signatureCertificate(): Certificate | undefined {
    return this.creds.kind === 'signature' ? this.creds.certificate : undefined;
  }

  /** One operation at a time per client; none while an exported enrollment still waits. */
  private async exclusive<T>(fn: () => Promise<T>, resuming?: string): Promise<T> {
    if (this.running) throw new StackError('ERR_CMP_TRANSACTION', 'another CMP operation of this client is running');
    if (!(resuming !== undefined && this.inFlight && toHex(this.inFlight.transactionId) === resuming)) this.assertIdle();
    this.running = true;
    try {
      return await fn();
    } finally {
      this.running = false;
    }
  }

  private assertIdle(): void {
    if (this.inFlight) {
      throw new StackError('ERR_CMP_TRANSACTION', 'an enrollment is in flight (waiting); resume() it or use a new client', {
        transactionId: toHex(this.inFlight.transactionId),
      });
    }
  }
}

interface Exchanged {
  readonly msg: PKIMessage;
  readonly info: ProtectionInfo;
}

const RFC9483_MIN_NONCE = 16;
/** DER of an empty RDNSequence (NULL-DN). */
const EMPTY_NAME_DER = new Uint8Array([0x30, 0x00]);

function macSecretOf(secret: Uint8Array): () => Uint8Array {
  return () => secret;
}

function readCert(c: CMPCertificate, where: string): Certificate {
  try {
    return parseCertificate(c.der);
  } catch (e) {
    throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `${where}: not a readable certificate`, {}, e);
  }
}

/** Leaf, then issuers found by name among `pool` (no signature checks: for display and storage). */
export function chainByName(leaf: Certificate, pool: readonly Certificate[]): Certificate[] {
  const chain = [leaf];
  for (let cur = leaf; chain.length < 10; ) {
    if (bytesEqual(subjectNameDer(cur), issuerNameDer(cur))) break;
    const next = pool.find((c) => bytesEqual(subjectNameDer(c), issuerNameDer(cur)) && !chain.some((x) => sameCertificate(x, c)));
    if (!next) break;
    chain.push(next);
    cur = next;
  }
  return chain;
}
