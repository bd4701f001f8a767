/**
 * Building CMP messages as the Lightweight CMP Profile shapes them (RFC 9483 §3.1 headers,
 * §4 request and response bodies). Pure: randomness and time come in as arguments.
 *
 * Header rules (RFC 9483 §3.1): pvno 2, or 3 only where v3 syntax is used (hashAlg in certConf);
 * sender = subject of the protection certificate, or a directoryName chosen for MAC; recipient =
 * the CA's name if known, else NULL-DN; messageTime; transactionID and senderNonce of 128 random
 * bits; recipNonce = the senderNonce of the message answered; senderKID set by protection;
 * implicitConfirm (value NULL) in generalInfo.
 */
import { createHash, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, BitString, OctetString } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import {
  AlgorithmIdentifier,
  Attribute,
  Certificate as AsnCertificate,
  Extension,
  Extensions,
  GeneralName,
  Name,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { StackError } from '../../core/errors.ts';
import type { Random } from '../../core/random.ts';
import {
  AttributeTypeAndValue,
  CMPCertificate,
  CertConfirmContent,
  CertId,
  CertOrEncCert,
  CertRepMessage,
  CertifiedKeyPair,
  CertReqMessages,
  CertReqMsg,
  CertRequest,
  CertResponse,
  CertStatus,
  CertTemplate,
  CertificationRequestDer,
  Controls,
  ErrorMsgContent,
  GenMsgContent,
  GenRepContent,
  ID_IT_IMPLICIT_CONFIRM,
  ID_REG_CTRL_OLD_CERT_ID,
  ID_SHA1,
  ID_SHA256,
  ID_SHA384,
  ID_SHA512,
  InfoTypeAndValue,
  NestedMessageContent,
  PKIBody,
  PKIFreeText,
  PKIHeader,
  PKIStatus,
  POPOSigningKey,
  PVNO,
  PollRepContent,
  PollRepContentEntry,
  PollReqContent,
  PollReqContentEntry,
  ProofOfPossession,
  RevDetails,
  RevRepContent,
  RevReqContent,
  encodeAsn1,
  infoTypeAndValue,
  nullDn,
  type FailureInfoName,
  type PKIMessage,
  type PKIStatusInfo,
} from '../../codec/cmp/index.ts';
import {
  buildName,
  certificateDer,
  exportPublicKeyDer,
  issuerNameDer,
  signData,
  signatureAlgorithmIdentifier,
  subjectNameDer,
  type Certificate,
  type NameSpec,
  type RawExtension,
} from '../../pki/index.ts';
import { statusInfo } from './failure.ts';
import type { ProtectionCredentials } from './protection.ts';

/** Length of transactionID and nonces: 128 bits (RFC 9483 §3.1). */
export const RFC9483_NONCE_LENGTH = 16;
/** certReqId of the one request in ir/cr/kur (RFC 9483 §4.1.1) and of the answer to a p10cr (§4.1.4). */
export const CERT_REQ_ID = 0;
export const P10CR_CERT_REQ_ID = -1;
/** pkcs-9-at-extensionRequest (RFC 2985 §5.4.2). */
export const ID_PKCS9_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
/** id-ce-cRLReasons (RFC 5280 §5.3.1). */
export const ID_CE_CRL_REASONS = '2.5.29.21';

export type CertRequestKind = 'ir' | 'cr' | 'kur';
export type CertResponseKind = 'ip' | 'cp' | 'kup';

/** The response body type that answers a certificate request body type. */
export function responseKindFor(kind: CertRequestKind | 'p10cr'): CertResponseKind {
  return kind === 'ir' ? 'ip' : kind === 'kur' ? 'kup' : 'cp';
}

// --- names --------------------------------------------------------------------------------

/** A Name (asn1-x509) from DER, a spec ("O=Acme, CN=x"), or a certificate's subject. */
export function toName(input: Name | Uint8Array | NameSpec | Certificate): Name {
  if (input instanceof Name) return input;
  if (input instanceof Uint8Array) return AsnConvert.parse(input, Name);
  if (typeof input === 'object' && 'subjectName' in input) return AsnConvert.parse(subjectNameDer(input), Name);
  return AsnConvert.parse(buildName(input as NameSpec).toArrayBuffer(), Name);
}

/** GeneralName directoryName. */
export function directoryName(input: Name | Uint8Array | NameSpec | Certificate): GeneralName {
  return new GeneralName({ directoryName: toName(input) });
}

/** The sender name RFC 9483 §3.1 asks for: the protection certificate's subject, or the MAC sender (default NULL-DN). */
export function senderNameFor(creds: ProtectionCredentials, macSender?: GeneralName): GeneralName {
  return creds.kind === 'signature' ? directoryName(creds.certificate) : (macSender ?? nullDn());
}

// --- header -------------------------------------------------------------------------------

export interface HeaderOptions {
  /** Default 2 (cmp2000). */
  readonly pvno?: number;
  readonly sender: GeneralName;
  /** Default NULL-DN. */
  readonly recipient?: GeneralName;
  /** Truncated to whole seconds; omit for a clock-less sender. */
  readonly messageTime?: Date;
  /** Absent only in an error message answering a request whose transactionID could not be read. */
  readonly transactionId?: Uint8Array;
  readonly senderNonce: Uint8Array;
  readonly recipNonce?: Uint8Array;
  readonly senderKid?: Uint8Array;
  readonly implicitConfirm?: boolean;
  readonly generalInfo?: readonly InfoTypeAndValue[];
  readonly freeText?: readonly string[];
}

export function buildHeader(o: HeaderOptions): PKIHeader {
  const generalInfo = [...(o.implicitConfirm ? [infoTypeAndValue(ID_IT_IMPLICIT_CONFIRM, null)] : []), ...(o.generalInfo ?? [])];
  return new PKIHeader({
    pvno: o.pvno ?? PVNO.cmp2000,
    sender: o.sender,
    recipient: o.recipient ?? nullDn(),
    ...(o.messageTime ? { messageTime: new Date(Math.floor(o.messageTime.getTime() / 1000) * 1000) } : {}),
    ...(o.senderKid ? { senderKID: o.senderKid } : {}),
    ...(o.transactionId ? { transactionID: o.transactionId } : {}),
    senderNonce: o.senderNonce,
    ...(o.recipNonce ? { recipNonce: o.recipNonce } : {}),
    ...(o.freeText && o.freeText.length > 0 ? { freeText: new PKIFreeText([...o.freeText]) } : {}),
    ...(generalInfo.length > 0 ? { generalInfo } : {}),
  });
}

/** 16 random octets for a transactionID or nonce. */
export function newNonce(random: Random): Uint8Array {
  return random.bytes(RFC9483_NONCE_LENGTH);
}

/** True when generalInfo holds id-it-implicitConfirm. */
export function hasImplicitConfirm(header: PKIHeader): boolean {
  return (header.generalInfo ?? []).some((i) => i.infoType === ID_IT_IMPLICIT_CONFIRM);
}

// --- certificate requests -----------------------------------------------------------------

export interface CertTemplateSpec {
  readonly subject?: Name | Uint8Array | NameSpec;
  /** The new public key (a private key gives its public half) or its SPKI DER. */
  readonly publicKey: KeyObject | Uint8Array;
  /** Extensions as a list, or the DER of Extensions. */
  readonly extensions?: readonly RawExtension[] | Uint8Array;
}

function spkiDerOf(key: KeyObject | Uint8Array): Uint8Array {
  return key instanceof Uint8Array ? key : exportPublicKeyDer(key);
}

/** Extensions (asn1-x509) from a list or DER. */
export function toExtensions(ext: readonly RawExtension[] | Uint8Array): Extensions {
  if (ext instanceof Uint8Array) return AsnConvert.parse(ext, Extensions);
  return new Extensions(
    ext.map((e) => new Extension({ extnID: e.oid, critical: e.critical ?? false, extnValue: new OctetString(Uint8Array.from(e.value)) })),
  );
}

export function buildCertTemplate(spec: CertTemplateSpec): CertTemplate {
  const hasExtensions = spec.extensions !== undefined && (spec.extensions instanceof Uint8Array || spec.extensions.length > 0);
  return new CertTemplate({
    ...(spec.subject !== undefined ? { subject: toName(spec.subject) } : {}),
    publicKey: AsnConvert.parse(spkiDerOf(spec.publicKey), SubjectPublicKeyInfo),
    ...(hasExtensions ? { extensions: toExtensions(spec.extensions!) } : {}),
  });
}

export interface CertReqMsgOptions {
  readonly template: CertTemplate;
  readonly certReqId?: number;
  readonly controls?: readonly AttributeTypeAndValue[];
  /** The new private key: signature POP over DER(CertRequest) (RFC 4211 §4.1, RFC 9483 §4.1.1). */
  readonly popKey?: KeyObject;
  /** POP raVerified instead (an RA that checked POP itself, RFC 9483 §5.2.3.2). */
  readonly raVerified?: boolean;
}

export function buildCertReqMsg(o: CertReqMsgOptions): CertReqMsg {
  const certReq = new CertRequest({
    certReqId: o.certReqId ?? CERT_REQ_ID,
    certTemplate: o.template,
    ...(o.controls && o.controls.length > 0 ? { controls: new Controls([...o.controls]) } : {}),
  });
  let popo: ProofOfPossession | undefined;
  if (o.raVerified) {
    popo = new ProofOfPossession({ raVerified: null });
  } else if (o.popKey) {
    popo = new ProofOfPossession({
      signature: new POPOSigningKey({
        algorithmIdentifier: signatureAlgorithmIdentifier(o.popKey),
        signature: new BitString(signData(o.popKey, encodeAsn1(certReq, 'CertRequest'))),
      }),
    });
  }
  return new CertReqMsg({ certReq, ...(popo ? { popo } : {}) });
}

/** ir / cr / kur body with the given CertReqMsgs (the profile allows exactly one). */
export function certRequestBody(kind: CertRequestKind, msgs: readonly CertReqMsg[]): PKIBody {
  return new PKIBody({ [kind]: new CertReqMessages([...msgs]) });
}

/** id-regCtrl-oldCertID control naming `cert` (RFC 4211 §6.5; kur, RFC 9483 §4.1.3). */
export function oldCertIdControl(cert: Certificate): AttributeTypeAndValue {
  const id = new CertId({ issuer: directoryName(issuerNameDer(cert)), serialNumber: serialOctets(cert) });
  return new AttributeTypeAndValue({ type: ID_REG_CTRL_OLD_CERT_ID, value: toBuffer(encodeAsn1(id, 'CertId')) });
}

/** The serial number's INTEGER content octets, as in the certificate. */
export function serialOctets(cert: Certificate): Uint8Array<ArrayBuffer> {
  const asn = AsnConvert.parse(certificateDer(cert), AsnCertificate);
  return new Uint8Array(asn.tbsCertificate.serialNumber);
}

export interface Pkcs10Options {
  readonly privateKey: KeyObject;
  readonly subject: Name | Uint8Array | NameSpec;
  readonly extensions?: readonly RawExtension[] | Uint8Array;
}

/** DER of a PKCS#10 CertificationRequest (RFC 2986) signed with `privateKey`; extensions go in extensionRequest. */
export function buildPkcs10(o: Pkcs10Options): Uint8Array {
  const attrs: Attribute[] = [];
  if (o.extensions !== undefined && (o.extensions instanceof Uint8Array || o.extensions.length > 0)) {
    attrs.push(new Attribute({ type: ID_PKCS9_EXTENSION_REQUEST, values: [toBuffer(encodeAsn1(toExtensions(o.extensions), 'Extensions'))] }));
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject: toName(o.subject),
    subjectPKInfo: AsnConvert.parse(exportPublicKeyDer(o.privateKey), SubjectPublicKeyInfo),
    attributes: new Attributes(attrs),
  });
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: signatureAlgorithmIdentifier(o.privateKey),
    signature: toBuffer(signData(o.privateKey, encodeAsn1(info, 'CertificationRequestInfo'))),
  });
  return encodeAsn1(csr, 'CertificationRequest');
}

export function p10crBody(csrDer: Uint8Array): PKIBody {
  return new PKIBody({ p10cr: CertificationRequestDer.fromDer(csrDer) });
}

/** The DER of CertificationRequestInfo inside a PKCS#10 request (the signed part). */
export function pkcs10SignedPart(csrDer: Uint8Array): Uint8Array {
  const parsed = asn1js.fromBER(csrDer);
  const seq = parsed.result;
  if (parsed.offset === -1 || !(seq instanceof asn1js.Sequence) || !seq.valueBlock.value[0]) {
    throw new StackError('ERR_CMP_MALFORMED', 'PKCS#10 request is not a SEQUENCE');
  }
  return Uint8Array.prototype.slice.call(seq.valueBlock.value[0].valueBeforeDecodeView);
}

// --- certConf ------------------------------------------------------------------------------

const HASH_BY_SIGNATURE_OID: Readonly<Record<string, { readonly name: string; readonly oid: string }>> = {
  '1.2.840.10045.4.1': { name: 'sha1', oid: ID_SHA1 }, // ecdsa-with-SHA1
  '1.2.840.10045.4.3.2': { name: 'sha256', oid: ID_SHA256 },
  '1.2.840.10045.4.3.3': { name: 'sha384', oid: ID_SHA384 },
  '1.2.840.10045.4.3.4': { name: 'sha512', oid: ID_SHA512 },
  '1.2.840.113549.1.1.5': { name: 'sha1', oid: ID_SHA1 }, // sha1WithRSAEncryption
  '1.2.840.113549.1.1.11': { name: 'sha256', oid: ID_SHA256 },
  '1.2.840.113549.1.1.12': { name: 'sha384', oid: ID_SHA384 },
  '1.2.840.113549.1.1.13': { name: 'sha512', oid: ID_SHA512 },
};
const HASH_NAME_BY_OID: Readonly<Record<string, string>> = {
  [ID_SHA1]: 'sha1',
  [ID_SHA256]: 'sha256',
  [ID_SHA384]: 'sha384',
  [ID_SHA512]: 'sha512',
};
/** Ed25519 certificates are hashed with SHA-512 (RFC 9481 §2), named in hashAlg (RFC 9480 §2.10). */
const ED25519_SIGNATURE = '1.3.101.112';

export interface CertHash {
  readonly hash: Uint8Array;
  /** Set when the certificate's signature algorithm names no hash: then certConf needs pvno 3. */
  readonly hashAlg?: AlgorithmIdentifier;
}

/** The signature algorithm OID of a certificate. */
export function certificateSignatureOid(cert: Certificate): string {
  return AsnConvert.parse(certificateDer(cert), AsnCertificate).signatureAlgorithm.algorithm;
}

/**
 * certHash for certConf (RFC 9810 §5.3.18): the hash of the certificate's DER with the hash of
 * its signature algorithm; for algorithms without one (Ed25519) SHA-512 named in hashAlg, and for
 * ones we do not know SHA-256 named in hashAlg.
 */
export function certHashFor(cert: Certificate): CertHash {
  const der = certificateDer(cert);
  const sigOid = certificateSignatureOid(cert);
  const known = HASH_BY_SIGNATURE_OID[sigOid];
  if (known) return { hash: Uint8Array.from(createHash(known.name).update(der).digest()) };
  const oid = sigOid === ED25519_SIGNATURE ? ID_SHA512 : ID_SHA256;
  return { hash: Uint8Array.from(createHash(HASH_NAME_BY_OID[oid]!).update(der).digest()), hashAlg: new AlgorithmIdentifier({ algorithm: oid }) };
}

/** True when `status.certHash` (with its hashAlg, if any) is the hash of `cert`. */
export function certHashMatches(status: CertStatus, cert: Certificate): boolean {
  const der = certificateDer(cert);
  let name: string | undefined;
  if (status.hashAlg) {
    name = HASH_NAME_BY_OID[status.hashAlg.algorithm];
  } else {
    const expected = certHashFor(cert);
    if (expected.hashAlg) return false; // a hashAlg is required for this certificate
    name = HASH_BY_SIGNATURE_OID[certificateSignatureOid(cert)]?.name;
  }
  if (!name) return false;
  const h = createHash(name).update(der).digest();
  return Buffer.compare(h, Buffer.from(status.certHash)) === 0;
}

export interface CertConfOptions {
  readonly certificate: Certificate;
  readonly certReqId: number;
  /** Default true. A rejection carries statusInfo rejection with failInfo and text. */
  readonly accept?: boolean;
  readonly failInfo?: readonly FailureInfoName[];
  readonly text?: string;
}

/** The certConf body and the pvno it needs (3 when hashAlg is present, RFC 9483 §3.1). */
export function certConfBody(o: CertConfOptions): { body: PKIBody; pvno: number } {
  const { hash, hashAlg } = certHashFor(o.certificate);
  const status = new CertStatus({
    certHash: Uint8Array.from(hash),
    certReqId: o.certReqId,
    ...(o.accept === false ? { statusInfo: statusInfo(PKIStatus.rejection, o.text, o.failInfo ?? []) } : {}),
    ...(hashAlg ? { hashAlg } : {}),
  });
  return { body: new PKIBody({ certConf: new CertConfirmContent([status]) }), pvno: hashAlg ? PVNO.cmp2021 : PVNO.cmp2000 };
}

// --- other requests -----------------------------------------------------------------------

export function pollReqBody(certReqId: number): PKIBody {
  return new PKIBody({ pollReq: new PollReqContent([new PollReqContentEntry({ certReqId })]) });
}

/**
 * rr body for one certificate (RFC 9483 §4.2): issuer and serialNumber in certDetails, the CRL
 * reason (RFC 5280 §5.3.1 CRLReason) in crlEntryDetails.
 */
export function revocationRequestBody(cert: Certificate, reason?: number): PKIBody {
  const details = new RevDetails({
    certDetails: new CertTemplate({ issuer: toName(issuerNameDer(cert)), serialNumber: serialOctets(cert) }),
    ...(reason !== undefined ? { crlEntryDetails: new Extensions([crlReasonExtension(reason)]) } : {}),
  });
  return new PKIBody({ rr: new RevReqContent([details]) });
}

function crlReasonExtension(reason: number): Extension {
  if (!Number.isInteger(reason) || reason < 0 || reason > 10 || reason === 7) {
    throw new StackError('ERR_INVALID_ARGUMENT', `CRL reason ${reason} is not a CRLReason value`);
  }
  // CRLReason ::= ENUMERATED: tag 0x0a, length 1, the value.
  return new Extension({ extnID: ID_CE_CRL_REASONS, critical: false, extnValue: new OctetString(new Uint8Array([0x0a, 0x01, reason])) });
}

/** The CRL reason code in crlEntryDetails, if any. */
export function readCrlReason(details: RevDetails): number | undefined {
  const ext = details.crlEntryDetails?.find((e) => e.extnID === ID_CE_CRL_REASONS);
  if (!ext) return undefined;
  const v = new Uint8Array(ext.extnValue.buffer);
  return v.length === 3 && v[0] === 0x0a && v[1] === 0x01 ? v[2] : undefined;
}

/** genm body; each entry is an InfoTypeAndValue, or an infoType OID for one without a value. */
export function genmBody(items: readonly (InfoTypeAndValue | string)[]): PKIBody {
  return new PKIBody({ genm: new GenMsgContent(items.map((i) => (typeof i === 'string' ? infoTypeAndValue(i) : i))) });
}

export function pkiConfBody(): PKIBody {
  return new PKIBody({ pkiconf: null });
}

export function errorBody(content: ErrorMsgContent): PKIBody {
  return new PKIBody({ error: content });
}

export function nestedBody(messages: readonly PKIMessage[]): PKIBody {
  return new PKIBody({ nested: new NestedMessageContent([...messages]) });
}

// --- responses ----------------------------------------------------------------------------

export interface CertResponseOptions {
  readonly certReqId: number;
  readonly status: PKIStatusInfo;
  readonly certificate?: Certificate;
  readonly caPubs?: readonly Certificate[];
}

/** ip / cp / kup with one CertResponse (RFC 9483 §4.1.1): certificate when accepted, none when waiting or rejected. */
export function certResponseBody(kind: CertResponseKind, o: CertResponseOptions): PKIBody {
  const response = new CertResponse({
    certReqId: o.certReqId,
    status: o.status,
    ...(o.certificate
      ? { certifiedKeyPair: new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: CMPCertificate.fromDer(certificateDer(o.certificate)) }) }) }
      : {}),
  });
  const rep = new CertRepMessage({
    response: [response],
    ...(o.caPubs && o.caPubs.length > 0 ? { caPubs: o.caPubs.map((c) => CMPCertificate.fromDer(certificateDer(c))) } : {}),
  });
  return new PKIBody({ [kind]: rep });
}

export function pollRepBody(certReqId: number, checkAfterSeconds: number, reason?: string): PKIBody {
  return new PKIBody({
    pollRep: new PollRepContent([
      new PollRepContentEntry({ certReqId, checkAfter: Math.max(0, Math.ceil(checkAfterSeconds)), ...(reason ? { reason: new PKIFreeText([reason]) } : {}) }),
    ]),
  });
}

export function genpBody(items: readonly InfoTypeAndValue[]): PKIBody {
  return new PKIBody({ genp: new GenRepContent([...items]) });
}

export function revocationResponseBody(status: readonly PKIStatusInfo[]): PKIBody {
  return new PKIBody({ rp: new RevRepContent({ status: [...status] }) });
}

function toBuffer(u8: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(u8.byteLength);
  new Uint8Array(out).set(u8);
  return out;
}
