/**
 * The operator RA/CA's decisions (CmpResponderPolicy): who may enroll under which label, what an
 * LDevID looks like, manual approval, revocation, and the answers to general messages.
 *
 * - Authorization: the requester's 802.1AR serial number (the subject serialNumber of its IDevID,
 *   or of its LDevID for kur; for MAC protection the senderKID read as text) must be allowed for
 *   the request's label in the inventory (`--allow-any` admits every requester whose signature and chain verify).
 *   Refused: notAuthorized. A request without any serial number to check: badRequest.
 * - LDevID: issued by the domain issuing CA; subject = the requested one (or one built from the
 *   subject pattern), always carrying the IDevID's serialNumber; EKU clientAuth + serverAuth,
 *   keyUsage digitalSignature; SAN copied from the request or built from configured patterns.
 *   kur: the same subject (and SAN) as the certificate being updated.
 * - Exactly one certificate per (transactionID, certReqId): a repeated request gets the stored one.
 * - Manual approval: an approval row is written and the request answered `waiting`; polls keep
 *   answering `waiting` until `brski ca approve|reject <id>` decides in the database.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, Extension, Extensions, Name, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { bytesEqual, fromUtf8, toHex } from '../src/core/bytes.ts';
import { isStackError } from '../src/core/errors.ts';
import { systemClock, type Clock } from '../src/core/clock.ts';
import { silentLogger, type Logger } from '../src/core/logger.ts';
import { cryptoRandom, type Random } from '../src/core/random.ts';
import {
  AttributeTypeAndValue,
  CMPCertificate,
  CaCertsValue,
  CertReqTemplateContent,
  CertTemplate,
  Controls,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_ROOT_CA_CERT,
  ID_IT_ROOT_CA_KEY_UPDATE,
  ID_REG_CTRL_ALG_ID,
  ID_REG_CTRL_RSA_KEY_LEN,
  decodeAsn1,
  infoTypeAndValue,
  type FailureInfoName,
  type InfoTypeAndValue,
} from '../src/codec/cmp/index.ts';
import {
  OID_AT_SERIAL_NUMBER,
  OID_EC_PUBLIC_KEY,
  OID_ED25519,
  OID_KP_CLIENT_AUTH,
  OID_KP_CMC_RA,
  readExtendedKeyUsage,
  OID_KP_SERVER_AUTH,
  OID_SECP256R1,
  OID_SECP384R1,
  attributeOid,
  buildName,
  certificateDer,
  certificateSerialHex,
  extendedKeyUsageExtension,
  findExtension,
  formatName,
  issueCertificate,
  keyAlgorithmOf,
  parseCertificate,
  parseNameString,
  readSubjectSerialNumber,
  samePublicKey,
  type Certificate,
  type KeyAlgorithm,
  type NameAttribute,
  type RawExtension,
} from '../src/pki/index.ts';
import type {
  CertRequestInfo,
  CmpResponderPolicy,
  IssueDecision,
  RequesterIdentity,
} from '../src/protocol/cmp/responder.ts';
import { normalizeSerialHex, type Approval, type CaDb, type IssuedCertificate } from '../src/store/ca-db.ts';
import { DEFAULT_LABEL, type CertReqTemplateSpec } from './labels.ts';

export { DEFAULT_LABEL, type CertReqTemplateSpec } from './labels.ts';

export interface CaPolicyOptions {
  readonly db: CaDb;
  /** The CA issuing LDevIDs (domain issuing CA): key, certificate, chain without the root. */
  readonly issuer: { readonly privateKey: KeyObject; readonly certificate: Certificate; readonly chain: readonly Certificate[] };
  /** The domain root CA (caPubs, caCerts, rootCaCert). */
  readonly rootCa: Certificate;
  readonly manualApproval: boolean;
  readonly checkAfterSeconds: number;
  readonly allowAny: boolean;
  readonly validityDays: number;
  /** Subject of LDevIDs when the request names none; placeholders {serial} and {label}. */
  readonly subjectPattern: string;
  /** DNS SAN patterns ({serial}, {label}); when empty, a SAN in the request is copied. */
  readonly sanDns: readonly string[];
  readonly copyRequestedSan: boolean;
  /** Send the domain root in caPubs of ip/cp/kup (BRSKI-AE: SHOULD). */
  readonly caPubs: boolean;
  /** Per-label certificate request templates; `default` applies to every other label. */
  readonly templates: Readonly<Record<string, CertReqTemplateSpec>>;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

type Rejected = Extract<IssueDecision, { kind: 'rejected' }>;

const reject = (failInfo: FailureInfoName | readonly FailureInfoName[], text: string): Rejected => ({
  kind: 'rejected',
  failInfo: typeof failInfo === 'string' ? [failInfo] : failInfo,
  text,
});

/** What the CA needs to issue: from a live request or from a stored approval. */
interface IssueSpec {
  readonly transactionId: Uint8Array;
  readonly certReqId: number;
  readonly bodyType: string;
  readonly label: string;
  readonly pledgeSerial: string | undefined;
  readonly subject: readonly NameAttribute[];
  readonly publicKeyDer: Uint8Array;
  readonly extensionsDer?: Uint8Array;
  readonly oldCertificate?: Certificate;
}

const DAY_MS = 24 * 3600 * 1000;
/** notBefore is backdated a little so that pledges with a slightly late clock accept the LDevID. */
const BACKDATE_MS = 5 * 60 * 1000;

export class CaPolicy implements CmpResponderPolicy {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  /** Issuance in progress per transaction, so concurrent retries sign once. */
  private readonly inFlight = new Map<string, Promise<IssueDecision>>();

  constructor(private readonly opts: CaPolicyOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.logger = opts.logger ?? silentLogger;
  }

  async issue(req: CertRequestInfo): Promise<IssueDecision> {
    const label = req.label ?? DEFAULT_LABEL;
    const log = this.logger.child({ transactionId: req.transactionId, label, bodyType: req.bodyType });
    const stored = this.opts.db.issuedForTransaction(req.transactionId, req.certReqId);
    if (stored) {
      log.info('request repeated: answering with the certificate issued before', { serial: stored.serial });
      return this.issuedDecision(parseCertificate(stored.der));
    }

    // An RA that signs the request itself (e.g. the registrar turning an EST-oscore CSR into a
    // p10cr, RFC 9483 §5.2.3.2) asserts the pledge it authenticated through the serialNumber of
    // the requested subject; otherwise the requester's own serial number is authorized.
    const who = actsForPledge(req) ? requestedSerial(req.subjectDer) : requesterSerial(req.requester);
    let oldCertificate: Certificate | undefined;
    if (req.bodyType === 'kur') {
      const old = this.checkKeyUpdate(req);
      if ('kind' in old) return this.refuse(log, old);
      oldCertificate = old.certificate;
    }
    const pledgeSerial = oldCertificate ? (readSubjectSerialNumber(oldCertificate) ?? who) : who;
    const denied = this.authorize(label, pledgeSerial);
    if (denied) return this.refuse(log, denied);

    let subject: NameAttribute[];
    try {
      subject = oldCertificate ? nameAttributes(subjectNameDerOf(oldCertificate)) : this.subjectFor(req.subjectDer, pledgeSerial, label, req.requester.certificate);
    } catch (e) {
      return this.refuse(log, reject('badCertTemplate', `subject not acceptable: ${(e as Error).message}`));
    }
    const spec: IssueSpec = {
      transactionId: req.transactionId,
      certReqId: req.certReqId,
      bodyType: req.bodyType,
      label,
      pledgeSerial,
      subject,
      publicKeyDer: req.publicKeyDer,
      ...(req.extensionsDer ? { extensionsDer: req.extensionsDer } : {}),
      ...(oldCertificate ? { oldCertificate } : {}),
    };
    const keyProblem = checkPublicKey(spec.publicKeyDer);
    if (keyProblem) return this.refuse(log, keyProblem);

    if (this.opts.manualApproval) {
      const { approval, created } = this.opts.db.createApproval({
        transactionId: req.transactionId,
        certReqId: req.certReqId,
        bodyType: req.bodyType,
        label,
        ...(pledgeSerial !== undefined ? { pledgeSerial } : {}),
        subject: subjectText(subject),
        subjectDer: new Uint8Array(buildName(subject).toArrayBuffer()),
        publicKeyDer: req.publicKeyDer,
        ...(req.extensionsDer ? { extensionsDer: req.extensionsDer } : {}),
        ...(oldCertificate ? { oldCertificateDer: certificateDer(oldCertificate) } : {}),
        requestDer: req.requestDer,
      });
      if (created) log.info('waiting for approval', { approvalId: approval.id, pledgeSerial, subject: approval.subject });
      return this.fromApproval(approval);
    }
    return this.issueOnce(spec);
  }

  async poll(transactionId: Uint8Array, certReqId: number): Promise<IssueDecision> {
    const approval = this.opts.db.approvalForTransaction(transactionId);
    if (!approval) {
      const stored = this.opts.db.issuedForTransaction(transactionId, certReqId) ?? this.opts.db.allIssuedForTransaction(transactionId)[0];
      if (stored) return this.issuedDecision(parseCertificate(stored.der));
      return reject('badRequest', 'no request of this transaction is waiting');
    }
    return this.fromApproval(approval);
  }

  async confirm(transactionId: Uint8Array, accepted: boolean): Promise<void> {
    if (accepted) {
      this.logger.info('certificate confirmed', { transactionId });
      return;
    }
    // RFC 9483 §4.1.1: a rejected certificate should be revoked by the CA.
    for (const c of this.opts.db.allIssuedForTransaction(transactionId)) {
      const r = this.opts.db.revoke(c.serial, 'certConf rejection', this.clock.now());
      this.logger.warn('certificate rejected by the requester; revoked', { transactionId, serial: c.serial, result: r });
    }
  }

  async revoke(
    serialNumber: Uint8Array,
    issuerDer: Uint8Array | undefined,
    requester: RequesterIdentity,
  ): Promise<{ ok: true } | { ok: false; failInfo: readonly FailureInfoName[]; text: string }> {
    const serial = normalizeSerialHex(toHex(serialNumber));
    if (issuerDer && !bytesEqual(issuerDer, issuerNameDerOfCa(this.opts.issuer.certificate))) {
      return { ok: false, failInfo: ['badCertId'], text: 'the certificate was not issued by this CA' };
    }
    const cert = this.opts.db.issuedBySerial(serial);
    if (!cert) return { ok: false, failInfo: ['badCertId'], text: `no certificate with serial number ${serial} was issued by this CA` };
    if (!this.mayRevoke(cert, requester)) {
      return { ok: false, failInfo: ['notAuthorized'], text: 'the requester may not revoke this certificate' };
    }
    const r = this.opts.db.revoke(serial, 'revocation request', this.clock.now());
    if (r === 'already') return { ok: false, failInfo: ['certRevoked'], text: `certificate ${serial} is already revoked` };
    if (r === 'unknown') return { ok: false, failInfo: ['badCertId'], text: `no certificate with serial number ${serial}` };
    this.logger.info('certificate revoked', { serial, pledgeSerial: cert.pledgeSerial });
    return { ok: true };
  }

  async generalInfo(infoTypeOid: string, label: string | undefined): Promise<InfoTypeAndValue | undefined | 'unsupported'> {
    switch (infoTypeOid) {
      case ID_IT_CA_CERTS:
        // RFC 9483 §4.3.1: the CA certificates the EE may need: the domain root and the issuing CA.
        return infoTypeAndValue(ID_IT_CA_CERTS, new CaCertsValue(this.caCertificates().map((c) => CMPCertificate.fromDer(certificateDer(c)))));
      case ID_IT_ROOT_CA_CERT:
        // RFC 9483 §4.3.2: no root CA key update is available; genp rootCaKeyUpdate without value.
        return infoTypeAndValue(ID_IT_ROOT_CA_KEY_UPDATE);
      case ID_IT_CERT_REQ_TEMPLATE: {
        const spec = this.opts.templates[label ?? DEFAULT_LABEL] ?? this.opts.templates[DEFAULT_LABEL];
        return spec ? infoTypeAndValue(ID_IT_CERT_REQ_TEMPLATE, certReqTemplate(spec)) : infoTypeAndValue(ID_IT_CERT_REQ_TEMPLATE);
      }
      default:
        return 'unsupported';
    }
  }

  /** Domain root and the issuing CA chain, without duplicates. */
  caCertificates(): Certificate[] {
    const out: Certificate[] = [this.opts.rootCa];
    for (const c of this.opts.issuer.chain) if (!out.some((o) => bytesEqual(certificateDer(o), certificateDer(c)))) out.push(c);
    return out;
  }

  // --- internals ----------------------------------------------------------------------------

  private refuse(log: Logger, r: Rejected): Rejected {
    log.warn('request refused', { failInfo: r.failInfo, reason: r.text });
    return r;
  }

  private authorize(label: string, pledgeSerial: string | undefined): Rejected | undefined {
    if (pledgeSerial === undefined) {
      return this.opts.allowAny ? undefined : reject('badRequest', 'the requester has no serial number to authorize (no subject serialNumber, no senderKID)');
    }
    const decision = this.opts.db.inventoryDecision(label, pledgeSerial);
    if (decision === true || (decision === undefined && this.opts.allowAny)) return undefined;
    return reject('notAuthorized', `pledge ${pledgeSerial} is not in the inventory for label ${label}`);
  }

  /** kur: the certificate being updated must be one this CA issued, still valid and not revoked. */
  private checkKeyUpdate(req: CertRequestInfo): { certificate: Certificate } | Rejected {
    const old = req.oldCertificate ?? req.requester.certificate;
    if (!old) return reject('badRequest', 'kur without the certificate to update');
    if (req.requester.certificate && req.oldCertificate && !bytesEqual(certificateDer(req.requester.certificate), certificateDer(req.oldCertificate))) {
      return reject('notAuthorized', 'kur must be protected with the certificate being updated');
    }
    const row = this.opts.db.issuedBySerial(certificateSerialHex(old));
    if (!row || !bytesEqual(row.der, certificateDer(old))) return reject('notAuthorized', 'the certificate to update was not issued by this CA');
    if (row.revokedAt !== undefined) return reject('certRevoked', 'the certificate to update is revoked');
    if (row.notAfter < this.clock.now()) return reject('badRequest', 'the certificate to update has expired');
    return { certificate: old };
  }

  private mayRevoke(cert: IssuedCertificate, requester: RequesterIdentity): boolean {
    if (requester.certificate && bytesEqual(certificateDer(requester.certificate), cert.der)) return true;
    const who = requesterSerial(requester);
    if (who !== undefined && cert.pledgeSerial !== undefined && who === cert.pledgeSerial) return true;
    return this.opts.allowAny && who === undefined && requester.kind === 'mac';
  }

  /**
   * The requested subject with the pledge serial number kept in it, or one built from the pattern
   * when none is requested, or when the request merely repeats the requester's own (IDevID)
   * subject: a pledge without the certificate request template fills in what it knows, and the
   * domain names its devices itself.
   */
  private subjectFor(subjectDer: Uint8Array | undefined, pledgeSerial: string | undefined, label: string, requesterCert?: Certificate): NameAttribute[] {
    const repeatsRequester = subjectDer !== undefined && requesterCert !== undefined && bytesEqual(subjectDer, subjectNameDerOf(requesterCert));
    let attrs = subjectDer && subjectDer.length > 2 && !repeatsRequester ? nameAttributes(subjectDer) : [];
    if (attrs.length === 0) {
      attrs = parseNameString(fillPattern(this.opts.subjectPattern, pledgeSerial, label));
    }
    const serials = attrs.filter((a) => attributeOid(a.type) === OID_AT_SERIAL_NUMBER);
    if (pledgeSerial !== undefined) {
      if (serials.some((a) => a.value !== pledgeSerial)) {
        throw new Error(`serialNumber ${serials.map((a) => a.value).join(',')} differs from the requester's ${pledgeSerial}`);
      }
      if (serials.length === 0) attrs = [...attrs, { type: 'serialNumber', value: pledgeSerial }];
    }
    buildName(attrs); // throws for unusable values
    return attrs;
  }

  private async fromApproval(approval: Approval): Promise<IssueDecision> {
    switch (approval.state) {
      case 'pending':
        return { kind: 'waiting', checkAfterSeconds: this.opts.checkAfterSeconds, reason: `waiting for operator approval (request ${approval.id})` };
      case 'rejected':
        return reject('notAuthorized', `rejected by the operator${approval.reason ? `: ${approval.reason}` : ''}`);
      case 'approved': {
        const stored = this.opts.db.issuedForTransaction(approval.transactionId, approval.certReqId);
        if (stored) return this.issuedDecision(parseCertificate(stored.der));
        const label = approval.label ?? DEFAULT_LABEL;
        return this.issueOnce({
          transactionId: approval.transactionId,
          certReqId: approval.certReqId,
          bodyType: approval.bodyType,
          label,
          pledgeSerial: approval.pledgeSerial,
          subject: nameAttributes(approval.subjectDer!),
          publicKeyDer: approval.publicKeyDer,
          ...(approval.extensionsDer ? { extensionsDer: approval.extensionsDer } : {}),
          ...(approval.oldCertificateDer ? { oldCertificate: parseCertificate(approval.oldCertificateDer) } : {}),
        });
      }
    }
  }

  private issueOnce(spec: IssueSpec): Promise<IssueDecision> {
    const key = `${toHex(spec.transactionId)}/${spec.certReqId}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.issueNow(spec).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async issueNow(spec: IssueSpec): Promise<IssueDecision> {
    const log = this.logger.child({ transactionId: spec.transactionId, label: spec.label, bodyType: spec.bodyType });
    const publicKey = createPublicKey({ key: Buffer.from(spec.publicKeyDer), format: 'der', type: 'spki' });
    if (spec.oldCertificate && spec.bodyType === 'kur' && samePublicKey(publicKey, publicKeyOfCert(spec.oldCertificate))) {
      // RFC 9483 §4.1.3 expects a new key; re-certifying the same key is allowed but noted.
      log.info('kur re-certifies the key of the certificate being updated');
    }
    const now = this.clock.now();
    const notBefore = new Date(now - BACKDATE_MS);
    const notAfter = new Date(now + this.opts.validityDays * DAY_MS);
    const extensions: RawExtension[] = [];
    let san: { dns: string[] } | undefined;
    if (this.opts.sanDns.length > 0) {
      san = { dns: this.opts.sanDns.map((p) => fillPattern(p, spec.pledgeSerial, spec.label)) };
    } else {
      const copied = spec.oldCertificate ? sanOfCertificate(spec.oldCertificate) : undefined;
      const requested = this.opts.copyRequestedSan && spec.extensionsDer ? sanOfExtensions(spec.extensionsDer) : undefined;
      const sanExt = requested ?? copied;
      if (sanExt) extensions.push(sanExt);
    }
    let certificate: Certificate;
    try {
      certificate = await issueCertificate({
        subject: spec.subject,
        publicKey,
        issuerCertificate: this.opts.issuer.certificate,
        signingKey: this.opts.issuer.privateKey,
        notBefore,
        notAfter,
        keyUsage: ['digitalSignature'],
        extendedKeyUsage: [OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH],
        ...(san ? { subjectAltName: san } : {}),
        extensions,
        random: this.random,
      });
    } catch (e) {
      if (isStackError(e, 'ERR_INVALID_ARGUMENT')) return this.refuse(log, reject('badCertTemplate', e.message));
      throw e;
    }
    // Stored with its transaction before any response leaves; a concurrent or repeated request
    // of the same transaction gets this stored certificate (and ours is never sent).
    const { certificate: row, created } = this.opts.db.recordIssued({
      serial: certificateSerialHex(certificate),
      subject: formatName(certificate.subjectName),
      ...(spec.pledgeSerial !== undefined ? { pledgeSerial: spec.pledgeSerial } : {}),
      label: spec.label,
      transactionId: spec.transactionId,
      certReqId: spec.certReqId,
      bodyType: spec.bodyType,
      der: certificateDer(certificate),
      notBefore: certificate.notBefore.getTime(),
      notAfter: certificate.notAfter.getTime(),
      issuedAt: now,
    });
    if (!created) {
      log.info('another request of this transaction issued first; answering with its certificate', { serial: row.serial });
      return this.issuedDecision(parseCertificate(row.der));
    }
    log.info('certificate issued', { serial: row.serial, subject: row.subject, pledgeSerial: spec.pledgeSerial, notAfter: new Date(row.notAfter).toISOString() });
    return this.issuedDecision(certificate);
  }

  private issuedDecision(certificate: Certificate): IssueDecision {
    return {
      kind: 'issued',
      certificate,
      ...(this.opts.caPubs ? { caPubs: [this.opts.rootCa] } : {}),
      extraCerts: this.opts.issuer.chain,
    };
  }
}

// --- helpers ---------------------------------------------------------------------------------

/** The request is signed by an RA (id-kp-cmcRA) on its own key, not by the pledge. */
function actsForPledge(req: CertRequestInfo): boolean {
  const c = req.requester.certificate;
  if (!c || req.requester.kind !== 'signature') return false;
  try {
    return (readExtendedKeyUsage(c) ?? []).includes(OID_KP_CMC_RA);
  } catch {
    return false;
  }
}

/** The serialNumber attribute of a requested subject, if there is exactly one. */
function requestedSerial(subjectDer: Uint8Array | undefined): string | undefined {
  if (!subjectDer || subjectDer.length <= 2) return undefined;
  const serials = nameAttributes(subjectDer).filter((a) => attributeOid(a.type) === OID_AT_SERIAL_NUMBER);
  return serials.length === 1 ? serials[0]!.value : undefined;
}

/** The serial number a requester is authorized by. */
export function requesterSerial(r: RequesterIdentity): string | undefined {
  if (r.serialNumber) return r.serialNumber;
  if (r.certificate) {
    try {
      const s = readSubjectSerialNumber(r.certificate);
      if (s) return s;
    } catch {
      return undefined;
    }
  }
  if (r.kind === 'mac' && r.senderKid && r.senderKid.length > 0) {
    try {
      return fromUtf8(r.senderKid);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function fillPattern(pattern: string, serial: string | undefined, label: string): string {
  return pattern.replaceAll('{serial}', serial ?? 'unknown').replaceAll('{label}', label);
}

/** The attributes of a DER Name in DER order (multi-valued RDNs are flattened). */
export function nameAttributes(der: Uint8Array): NameAttribute[] {
  const name = decodeAsn1(der, Name, { what: 'subject Name' });
  const out: NameAttribute[] = [];
  for (const rdn of name) for (const atv of rdn) out.push({ type: atv.type, value: atv.value.toString() });
  return out;
}

function subjectNameDerOf(cert: Certificate): Uint8Array {
  return new Uint8Array(cert.subjectName.toArrayBuffer());
}

function issuerNameDerOfCa(caCert: Certificate): Uint8Array {
  // The issuer name of certificates this CA signs is its own subject name.
  return subjectNameDerOf(caCert);
}

function subjectText(attrs: readonly NameAttribute[]): string {
  return formatName(buildName(attrs));
}

function publicKeyOfCert(cert: Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
}

function checkPublicKey(spki: Uint8Array): Rejected | undefined {
  try {
    keyAlgorithmOf(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
    return undefined;
  } catch (e) {
    return reject('badAlg', `public key not acceptable: ${(e as Error).message}`);
  }
}

function sanOfExtensions(der: Uint8Array): RawExtension | undefined {
  let exts: Extensions;
  try {
    exts = decodeAsn1(der, Extensions, { what: 'requested extensions' });
  } catch {
    return undefined;
  }
  const san = exts.find((e) => e.extnID === id_ce_subjectAltName);
  return san ? { oid: san.extnID, critical: san.critical, value: new Uint8Array(san.extnValue.buffer) } : undefined;
}

function sanOfCertificate(cert: Certificate): RawExtension | undefined {
  const ext = findExtension(cert, id_ce_subjectAltName);
  return ext ? { oid: ext.type, critical: ext.critical, value: new Uint8Array(ext.value) } : undefined;
}

/** CertReqTemplateContent for a spec (RFC 9480 §2.16): empty values mark what the EE fills in. */
export function certReqTemplate(spec: CertReqTemplateSpec): CertReqTemplateContent {
  const attrs = parseNameString(spec.subject).map((a) => (/\{[a-z]+\}/.test(a.value) ? { type: a.type, value: '' } : a));
  const subject = AsnConvert.parse(buildName(attrs).toArrayBuffer(), Name);
  const eku = AsnConvert.parse(extendedKeyUsageExtension(spec.eku).rawData, Extension);
  return new CertReqTemplateContent({
    certTemplate: new CertTemplate({ subject, extensions: new Extensions([eku]) }),
    keySpec: new Controls([keySpecControl(spec.keyType)]),
  });
}

function keySpecControl(keyType: KeyAlgorithm): AttributeTypeAndValue {
  const alg = (algorithm: string, curve?: string): AttributeTypeAndValue =>
    new AttributeTypeAndValue({
      type: ID_REG_CTRL_ALG_ID,
      value: AsnConvert.serialize(
        new AlgorithmIdentifier({ algorithm, ...(curve ? { parameters: new asn1js.ObjectIdentifier({ value: curve }).toBER() } : {}) }),
      ),
    });
  switch (keyType) {
    case 'P-256':
      return alg(OID_EC_PUBLIC_KEY, OID_SECP256R1);
    case 'P-384':
      return alg(OID_EC_PUBLIC_KEY, OID_SECP384R1);
    case 'Ed25519':
      return alg(OID_ED25519);
    case 'RSA-2048':
      return new AttributeTypeAndValue({ type: ID_REG_CTRL_RSA_KEY_LEN, value: new asn1js.Integer({ value: 2048 }).toBER() });
  }
}
