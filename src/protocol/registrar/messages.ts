/**
 * The CMP messages a registrar acting as Local RA (RFC 9733 §5.1, RFC 9483 §5) builds itself:
 *
 *  - answers to the pledge that it protects with its own key: ip/cp/kup "waiting", pollRep,
 *    pkiConf, error messages, genp from its cache, and the CA's final answer re-protected for a
 *    transaction it held while the CA was out of reach (RFC 9483 §5: an RA may answer on its own
 *    authority; the pledge validates with the domain trust anchor, RFC 9733 §5.1);
 *  - its own requests to the CA for held transactions: pollReq and certConf, and genm to fill
 *    its cache;
 *  - the nested wrapper that carries a message upstream with the registrar's consent
 *    (RFC 9483 §5.2.2.1: transactionID and senderNonce are those of the inner message).
 *
 * Pure: key, clock and randomness come in through RegistrarSigner.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Random } from '../../core/random.ts';
import {
  CertProfileValue,
  ID_IT_CERT_PROFILE,
  PKIStatus,
  PVNO,
  bodyTypeOf,
  decodeAsn1,
  decodePkiMessage,
  encodePkiMessage,
  infoTypeAndValue,
  nullDn,
  type CertRepMessage,
  type CertResponse,
  type InfoTypeAndValue,
  type PKIBody,
  type PKIMessage,
  type PKIStatusInfo,
} from '../../codec/cmp/index.ts';
import type { GeneralName } from '@peculiar/asn1-x509';
import type { Certificate } from '../../pki/index.ts';
import { cmpFailure, errorMessageBody, statusInfo } from '../cmp/failure.ts';
import {
  buildHeader,
  certConfBody,
  certResponseBody,
  directoryName,
  errorBody,
  genmBody,
  genpBody,
  hasImplicitConfirm,
  nestedBody,
  newNonce,
  pkiConfBody,
  pollRepBody,
  pollReqBody,
  p10crBody,
  responseKindFor,
  type CertRequestKind,
} from '../cmp/message-builder.ts';
import { extraCertificates, protectMessage, verifyProtection, type ProtectionInfo, type SignatureProtection } from '../cmp/protection.ts';

/** The registrar's protection credentials and the injected clock and randomness. */
export interface RegistrarSigner {
  readonly privateKey: KeyObject;
  readonly certificate: Certificate;
  /** Intermediate CA certificates up to (not including) the root; the certificate itself may come first. */
  readonly chain: readonly Certificate[];
  readonly clock: Clock;
  readonly random: Random;
}

export interface BuiltMessage {
  readonly msg: PKIMessage;
  readonly der: Uint8Array;
  readonly senderNonce: Uint8Array;
}

function protection(s: RegistrarSigner): SignatureProtection {
  return { kind: 'signature', privateKey: s.privateKey, certificate: s.certificate, chain: s.chain };
}

/** pvno of an answer: 3 only when the request used it (RFC 9810 §7). */
function answerPvno(request: PKIMessage | undefined): number {
  return request?.header.pvno === PVNO.cmp2021 ? PVNO.cmp2021 : PVNO.cmp2000;
}

export interface AnswerOptions {
  readonly implicitConfirm?: boolean;
  /** Certificates after the registrar's own chain in extraCerts. */
  readonly extraCerts?: readonly Certificate[];
}

/**
 * A registrar-protected answer to `request` (RFC 9483 §3.1): same transactionID, recipNonce =
 * the request's senderNonce, a fresh senderNonce, recipient = the request's sender.
 */
export function answerMessage(request: PKIMessage, body: PKIBody, s: RegistrarSigner, o: AnswerOptions = {}): BuiltMessage {
  const h = request.header;
  const senderNonce = newNonce(s.random);
  const header = buildHeader({
    pvno: answerPvno(request),
    sender: directoryName(s.certificate),
    recipient: h.sender,
    messageTime: new Date(s.clock.now()),
    ...(h.transactionID ? { transactionId: h.transactionID } : {}),
    senderNonce,
    ...(h.senderNonce ? { recipNonce: h.senderNonce } : {}),
    ...(o.implicitConfirm ? { implicitConfirm: true } : {}),
  });
  const msg = protectMessage(header, body, protection(s), { random: s.random, extraCerts: o.extraCerts ?? [] });
  return { msg, der: encodePkiMessage(msg), senderNonce };
}

/** An error message (RFC 9483 §3.6.4) for `err`; answers `request` when it could be read. */
export function errorAnswer(request: PKIMessage | undefined, err: unknown, s: RegistrarSigner): Uint8Array {
  const body = errorBody(errorMessageBody(err));
  if (request) {
    try {
      return answerMessage(request, body, s).der;
    } catch {
      // The request's header cannot be echoed (e.g. an unencodable sender): answer without it.
    }
  }
  const header = buildHeader({ sender: directoryName(s.certificate), messageTime: new Date(s.clock.now()), senderNonce: newNonce(s.random) });
  return encodePkiMessage(protectMessage(header, body, protection(s), { random: s.random }));
}

/** ip/cp/kup with one CertResponse of status waiting (RFC 9483 §4.4): the CA is not reachable now. */
export function waitingAnswer(request: PKIMessage, requestType: CertRequestKind | 'p10cr', certReqId: number, s: RegistrarSigner, reason?: string): BuiltMessage {
  const body = certResponseBody(responseKindFor(requestType), { certReqId, status: statusInfo(PKIStatus.waiting, reason) });
  return answerMessage(request, body, s);
}

export function pollRepAnswer(request: PKIMessage, certReqId: number, checkAfterSeconds: number, s: RegistrarSigner, reason?: string): BuiltMessage {
  return answerMessage(request, pollRepBody(certReqId, checkAfterSeconds, reason), s);
}

export function pkiConfAnswer(request: PKIMessage, s: RegistrarSigner): BuiltMessage {
  return answerMessage(request, pkiConfBody(), s);
}

export function genpAnswer(request: PKIMessage, items: readonly InfoTypeAndValue[], s: RegistrarSigner): BuiltMessage {
  return answerMessage(request, genpBody(items), s);
}

/**
 * The CA's final answer (ip/cp/kup with the certificate or a rejection, or an error message)
 * delivered in a new message protected by the registrar, answering the pledge's `request`
 * (its pollReq): the body is the CA's, unchanged (status, certificate, caPubs); implicitConfirm is
 * passed on when the CA granted it; extraCerts = the registrar's chain, then the CA's extraCerts
 * (which carry the chain of the new certificate).
 */
export function reprotectedAnswer(request: PKIMessage, caAnswer: PKIMessage, s: RegistrarSigner): BuiltMessage {
  const type = bodyTypeOf(caAnswer);
  const granted = (type === 'ip' || type === 'cp' || type === 'kup') && hasImplicitConfirm(caAnswer.header);
  let extra: Certificate[] = [];
  try {
    extra = extraCertificates(caAnswer);
  } catch {
    extra = [];
  }
  return answerMessage(request, caAnswer.body, s, { implicitConfirm: granted, extraCerts: extra });
}

// --- the registrar's own requests ---------------------------------------------------------

export interface OwnRequestOptions {
  readonly transactionId: Uint8Array;
  /** senderNonce of the CA's last answer. */
  readonly recipNonce: Uint8Array;
  /** The CA's name (the sender of its last answer), or NULL-DN. */
  readonly recipient?: GeneralName;
}

/**
 * The registrar's pollReq for a held transaction. No messageTime: the same bytes may be sent
 * again much later (a retransmission the CA recognizes), and the CA checks a messageTime.
 */
export function ownPollReq(o: OwnRequestOptions & { certReqId: number }, s: RegistrarSigner): BuiltMessage {
  return ownRequest(pollReqBody(o.certReqId), PVNO.cmp2000, o, s);
}

/** The registrar's certConf for the CA's transaction (positive, or carrying the pledge's refusal). */
export function ownCertConf(
  o: OwnRequestOptions & { certificate: Certificate; certReqId: number; accept: boolean; text?: string },
  s: RegistrarSigner,
): BuiltMessage {
  const { body, pvno } = certConfBody({
    certificate: o.certificate,
    certReqId: o.certReqId,
    accept: o.accept,
    ...(o.accept ? {} : { failInfo: ['badCertTemplate'] as const, ...(o.text ? { text: o.text } : {}) }),
  });
  return ownRequest(body, pvno, o, s);
}

function ownRequest(body: PKIBody, pvno: number, o: OwnRequestOptions, s: RegistrarSigner): BuiltMessage {
  const senderNonce = newNonce(s.random);
  const header = buildHeader({
    pvno,
    sender: directoryName(s.certificate),
    recipient: o.recipient ?? nullDn(),
    transactionId: o.transactionId,
    senderNonce,
    recipNonce: o.recipNonce,
  });
  const msg = protectMessage(header, body, protection(s), { random: s.random });
  return { msg, der: encodePkiMessage(msg), senderNonce };
}

/** genm from the registrar itself (a new transaction), e.g. to fill the caCerts cache. */
export function ownGenm(infoTypes: readonly string[], s: RegistrarSigner, label?: string): BuiltMessage {
  const senderNonce = newNonce(s.random);
  const header = buildHeader({
    sender: directoryName(s.certificate),
    messageTime: new Date(s.clock.now()),
    transactionId: newNonce(s.random),
    senderNonce,
    ...(label ? { generalInfo: [certProfileInfo(label)] } : {}),
  });
  const msg = protectMessage(header, genmBody(infoTypes), protection(s), { random: s.random });
  return { msg, der: encodePkiMessage(msg), senderNonce };
}

/** id-it-certProfile naming the profile label (RFC 9483 §3.1 generalInfo). */
export function certProfileInfo(label: string): InfoTypeAndValue {
  return infoTypeAndValue(ID_IT_CERT_PROFILE, new CertProfileValue([label]));
}

/** The first certProfile name in a header's generalInfo, if any. */
export function readCertProfile(msg: PKIMessage): string | undefined {
  const item = (msg.header.generalInfo ?? []).find((i) => i.infoType === ID_IT_CERT_PROFILE);
  if (!item?.infoValue) return undefined;
  try {
    return decodeAsn1(new Uint8Array(item.infoValue), CertProfileValue, { what: 'certProfile' })[0];
  } catch {
    return undefined;
  }
}

// --- nested -------------------------------------------------------------------------------

/**
 * `inner` wrapped in a nested message signed by the registrar (RFC 9483 §5.2.2.1, RFC 9733 §5.1
 * RECOMMENDED: conveys the registrar's consent and keeps the pledge's own protection): the
 * header takes transactionID, senderNonce and recipNonce of the inner message; recipient = the
 * inner message's recipient; no messageTime, so that the same bytes can go by network or in an
 * offline batch at any later time; id-it-certProfile names the label when there is one.
 */
export function nestedWrapper(inner: PKIMessage, s: RegistrarSigner, label?: string): Uint8Array {
  const h = inner.header;
  const header = buildHeader({
    sender: directoryName(s.certificate),
    recipient: h.recipient,
    ...(h.transactionID ? { transactionId: h.transactionID } : {}),
    senderNonce: h.senderNonce ?? newNonce(s.random),
    ...(h.recipNonce ? { recipNonce: h.recipNonce } : {}),
    ...(label ? { generalInfo: [certProfileInfo(label)] } : {}),
  });
  return encodePkiMessage(protectMessage(header, nestedBody([inner]), protection(s), { random: s.random }));
}

export interface UpstreamMessage {
  readonly msg: PKIMessage;
  readonly der: Uint8Array;
  readonly protection: ProtectionInfo;
}

/**
 * Reads what the CA sent back: a nested message (its outer protection verified against the
 * domain trust anchors) whose inner messages are each verified too, or a single plain message.
 * Throws CmpFailure ERR_CMP_PROTECTION / ERR_CMP_MALFORMED when anything does not check.
 */
export function readUpstreamAnswer(der: Uint8Array, trustAnchors: readonly Certificate[], at: Date): { outer: UpstreamMessage; inner: UpstreamMessage[] } {
  const msg = decodePkiMessage(der);
  const outer: UpstreamMessage = { msg, der, protection: verifyProtection(msg, { trustAnchors, at }) };
  if (bodyTypeOf(msg) !== 'nested') return { outer, inner: [outer] };
  const inner = msg.body.nested!.map((m) => {
    const innerDer = encodePkiMessage(m);
    if (bodyTypeOf(m) === 'nested') throw cmpFailure('ERR_CMP_UNSUPPORTED', 'badRequest', 'the CA answered with doubly nested messages');
    return { msg: m, der: innerDer, protection: verifyProtection(m, { trustAnchors, at }) };
  });
  return { outer, inner };
}

// --- reading responses ----------------------------------------------------------------------

export interface CertResponseSummary {
  readonly kind: 'waiting' | 'issued' | 'rejected';
  readonly certReqId: number;
  readonly status: PKIStatusInfo;
  readonly certificateDer?: Uint8Array;
}

/** The one CertResponse of an ip/cp/kup (for certReqId, or the first). */
export function readCertResponse(msg: PKIMessage, certReqId?: number): CertResponseSummary {
  const type = bodyTypeOf(msg);
  const rep = (msg.body as unknown as Record<string, CertRepMessage | undefined>)[type];
  if (!rep || rep.response.length === 0) throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `${type} holds no CertResponse`);
  const r: CertResponse = rep.response.find((x) => x.certReqId === certReqId) ?? rep.response[0]!;
  const status = r.status.status;
  if (status === PKIStatus.waiting) return { kind: 'waiting', certReqId: r.certReqId, status: r.status };
  if (status === PKIStatus.accepted || status === PKIStatus.grantedWithMods) {
    const cert = r.certifiedKeyPair?.certOrEncCert.certificate;
    if (cert) return { kind: 'issued', certReqId: r.certReqId, status: r.status, certificateDer: cert.der };
  }
  return { kind: 'rejected', certReqId: r.certReqId, status: r.status };
}

// --- EST-oscore -----------------------------------------------------------------------------

/**
 * The registrar's own p10cr carrying a pledge's PKCS#10 (EST-oscore /sen, /sren): the pledge
 * cannot sign CMP there, so the registrar signs on its behalf; freeText records the pledge the
 * OSCORE channel was authenticated with. Implicit confirmation is asked for (EST has no certConf).
 */
export function ownP10cr(o: { transactionId: Uint8Array; csrDer: Uint8Array; onBehalfOf: string; label?: string }, s: RegistrarSigner): BuiltMessage {
  const senderNonce = newNonce(s.random);
  const header = buildHeader({
    sender: directoryName(s.certificate),
    messageTime: new Date(s.clock.now()),
    transactionId: o.transactionId,
    senderNonce,
    implicitConfirm: true,
    freeText: [`EST-oscore enrollment on behalf of pledge ${o.onBehalfOf} (IDevID authenticated by EDHOC)`],
    ...(o.label ? { generalInfo: [certProfileInfo(o.label)] } : {}),
  });
  const msg = protectMessage(header, p10crBody(o.csrDer), protection(s), { random: s.random });
  return { msg, der: encodePkiMessage(msg), senderNonce };
}

/** The registrar's certConf answering `answer` (a cert response to its own p10cr). */
export function ownCertConfFor(answer: PKIMessage, certificate: Certificate, certReqId: number, s: RegistrarSigner): BuiltMessage {
  const { body, pvno } = certConfBody({ certificate, certReqId });
  return ownRequest(body, pvno, { transactionId: answer.header.transactionID!, recipNonce: answer.header.senderNonce!, recipient: answer.header.sender }, s);
}
