/**
 * The MASA's decisions, without HTTP: take a registrar voucher-request (RVR), check it, decide on
 * ownership, and issue, log and return a voucher; or serve the audit log. The HTTPS server
 * (https-server.ts) only moves bytes to and from here.
 *
 * Request processing (RFC 8995 §5.5, cBRSKI §6 / §7.2):
 *
 *   1. media type: application/voucher+cose or application/voucher-cms+json, else 415; an Accept
 *      header must allow the same format, else 406 (the voucher comes back in the request's format,
 *      since the pledge parses only that: cBRSKI §6.1).
 *   2. parse the RVR and check it as an RVR (400 when it is no valid RVR).
 *   3. the signer: the certificate among the x5bag / CMS certificates (and the TLS client
 *      certificate) whose key verifies the RVR signature, else 403; it must be an end entity with
 *      id-kp-cmcRA (RFC 8995 §5.5.4), else 403.
 *   4. the domain chain: from the signer up through the carried certificates (signatures, validity,
 *      CA flags checked; the top is a temporary trust anchor, RFC 8995 §5.5.2), else 403.
 *   5. the pledge must be known: manufactured (its IDevID is on record) or has an owner, else 404.
 *   6. prior-signed-voucher-request (RFC 8995 §5.5.5/§5.5.6): verified with the pledge's IDevID
 *      (from the x5bag, chained to the manufacturer CA, or the manufacturing record); its
 *      serial-number and nonce must equal the RVR's; idevid-issuer, when sent, must match; the
 *      proximity-registrar-cert / -pubk / -pubk-sha256 must name a certificate of the signer's chain.
 *      Any failure: 403. A nonced RVR without a prior-signed-voucher-request: 403 (the nonce could
 *      not be checked).
 *   7. ownership: the owner on record must be one of the chain's certificates (by SHA-256), else
 *      403. Without an owner: with --first-claim, a nonced request with a verified PVR claims the
 *      pledge for the top certificate of the chain; otherwise 403.
 *   8. the voucher: nonced → assertion proximity (logged when the PVR did not assert proximity),
 *      the nonce, and the lowest CA of the chain pinned (cBRSKI §6.5 rule 1; the registrar EE when
 *      the chain has no CA); nonceless → expires-on = now + the nonceless validity (never past the
 *      pinned certificate's notAfter), the owner's CA pinned (rule 2: the highest CA the policy
 *      allows for this domain), assertion verified for sales-channel owners, logged for first claims.
 *   9. signed by the MASA key (COSE with the MASA chain in an unprotected x5bag, or CMS with the
 *      chain), appended to the audit log, answered with 200.
 *
 * The audit log request (RFC 8995 §5.8) repeats steps 1–5, then needs the chain's domain to own or
 * to have owned the pledge (else 404), and answers the §5.8.1 JSON.
 */
import type { KeyObject } from 'node:crypto';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { bytesEqual, utf8 } from '../src/core/bytes.ts';
import { systemClock, type Clock } from '../src/core/clock.ts';
import { isStackError } from '../src/core/errors.ts';
import type { LogFields } from '../src/core/logger.ts';
import {
  certificateSha256Hex,
  checkPledgeVoucherRequest,
  domainIdOf,
  findCoseSigner,
  formatDateAndTime,
  idevidIssuerOf,
  isVoucherError,
  mediaTypeOfVoucherFormat,
  MEDIA_TYPE_AUDIT_LOG,
  parseVoucherCms,
  parseVoucherCose,
  signVoucherCms,
  signVoucherCose,
  spkiSha256,
  subjectPublicKeyInfoDer,
  verifyVoucherCms,
  verifyVoucherCose,
  voucherFormatOfMediaType,
  type Assertion,
  type Voucher,
  type VoucherFormat,
  type VoucherRequest,
} from '../src/codec/voucher/index.ts';
import {
  certificateDer,
  certificatePublicKey,
  isSelfIssued,
  issuerNameDer,
  parseCertificate,
  readBasicConstraints,
  readExtendedKeyUsage,
  readSubjectSerialNumber,
  sameCertificate,
  subjectNameDer,
  verifyChain,
  OID_KP_CMC_RA,
  type Certificate,
} from '../src/pki/index.ts';
import type { MasaDb, Owner } from '../src/store/masa-db.ts';

/** The MASA's own credentials and its manufacturing records. */
export interface MasaCredentials {
  /** Voucher-signing key and certificate. */
  readonly signingKey: KeyObject;
  readonly signingCertificate: Certificate;
  /** CA certificates above the signing certificate (carried with every voucher). */
  readonly signingChain: readonly Certificate[];
  /** Trust anchors of the manufacturer's IDevID PKI. */
  readonly manufacturerAnchors: readonly Certificate[];
  /** IDevIDs on record, by 802.1AR serial number (the pledges this MASA knows). */
  readonly idevids: ReadonlyMap<string, Certificate>;
}

export interface MasaPolicy {
  /** Give an unowned pledge to the first domain that asks with a verified nonced request. */
  readonly firstClaim: boolean;
  /** Lifetime of nonceless vouchers. */
  readonly noncelessValidityDays: number;
  /** Replaces noncelessValidityDays when set. */
  readonly noncelessValidityMs?: number;
  /** Most events in one audit-log response (older ones are counted as "arbitrary" truncation). */
  readonly maxAuditEvents: number;
}

export const DEFAULT_MASA_POLICY: MasaPolicy = Object.freeze({ firstClaim: false, noncelessValidityDays: 14, maxAuditEvents: 1024 });

export interface MasaHttpRequest {
  readonly body: Uint8Array;
  readonly contentType?: string;
  readonly accept?: string;
  /** DER of the TLS client certificate, when the registrar presented one. */
  readonly tlsClientCertificate?: Uint8Array;
}

export interface MasaHttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  /** For a refusal: the text of the body. */
  readonly reason?: string;
  /** Facts for the service's log line. */
  readonly fields: LogFields;
}

/** A decision to refuse, with its HTTP status (RFC 8995 §5.6). */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: LogFields = {},
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;

/** The verified facts of an RVR. */
interface VerifiedRequest {
  readonly format: VoucherFormat;
  readonly rvr: VoucherRequest;
  readonly signer: Certificate;
  /** Signer first, then its CAs upward. */
  readonly chain: readonly Certificate[];
  readonly chainHashes: readonly string[];
  readonly serial: string;
  readonly tlsClientSha256?: string;
  readonly fields: Record<string, unknown>;
  readonly parsed: ParsedRequest;
}

interface ParsedRequest {
  readonly rvr: VoucherRequest;
  readonly certificates: readonly Certificate[];
  /** Finds the signer among candidates. */
  signer(candidates: readonly Certificate[]): Certificate | undefined;
}

const sha256Hex = (der: Uint8Array): string => certificateSha256Hex(der);

/** Most certificates an RVR may carry (registrar chain + pledge chain fit well within it). */
const MAX_CARRIED_CERTIFICATES = 16;

function parseCerts(ders: readonly Uint8Array[]): Certificate[] {
  if (ders.length > MAX_CARRIED_CERTIFICATES) throw new Refusal(400, `the RVR carries ${ders.length} certificates, at most ${MAX_CARRIED_CERTIFICATES} are accepted`);
  const out: Certificate[] = [];
  for (const d of ders) {
    try {
      out.push(parseCertificate(d));
    } catch {
      throw new Refusal(400, 'the x5bag carries something that is not an X.509 certificate');
    }
  }
  return out;
}

function acceptAllows(accept: string | undefined, mediaType: string): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  const [type] = mediaType.split('/');
  return accept.split(',').some((part) => {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) return false;
    return range === mediaType || range === '*/*' || range === `${type}/*`;
  });
}

function isCa(cert: Certificate): boolean {
  try {
    return readBasicConstraints(cert)?.ca === true;
  } catch {
    return false;
  }
}

function issuedBy(child: Certificate, issuer: Certificate): boolean {
  if (!bytesEqual(issuerNameDer(child), subjectNameDer(issuer))) return false;
  try {
    return new NodeX509Certificate(certificateDer(child)).verify(certificatePublicKey(issuer));
  } catch {
    return false;
  }
}

function serialOf(cert: Certificate): string | undefined {
  try {
    return readSubjectSerialNumber(cert);
  } catch {
    return undefined;
  }
}

export interface MasaVoucherAuthorityOptions {
  readonly credentials: MasaCredentials;
  readonly db: MasaDb;
  readonly policy?: Partial<MasaPolicy>;
  readonly clock?: Clock;
}

export class MasaVoucherAuthority {
  private readonly credentials: MasaCredentials;
  private readonly db: MasaDb;
  readonly policy: MasaPolicy;
  private readonly clock: Clock;

  constructor(opts: MasaVoucherAuthorityOptions) {
    this.credentials = opts.credentials;
    this.db = opts.db;
    this.policy = Object.freeze({ ...DEFAULT_MASA_POLICY, ...opts.policy });
    this.clock = opts.clock ?? systemClock;
  }

  /** POST /.well-known/brski/requestvoucher */
  requestVoucher(req: MasaHttpRequest): MasaHttpResponse {
    const fields: Record<string, unknown> = { op: 'requestvoucher', requestBytes: req.body.length };
    try {
      const v = this.verifyRequest(req, fields, 'voucher');
      return this.issue(v);
    } catch (e) {
      return this.refusal(e, fields);
    }
  }

  /** POST /.well-known/brski/requestauditlog */
  requestAuditLog(req: MasaHttpRequest): MasaHttpResponse {
    const fields: Record<string, unknown> = { op: 'requestauditlog', requestBytes: req.body.length };
    try {
      const v = this.verifyRequest(req, fields, 'auditlog');
      if (!v.chainHashes.some((h) => this.db.wasOwner(v.serial, h))) {
        throw new Refusal(404, `the requesting domain never owned ${v.serial}`);
      }
      return this.auditLog(v);
    } catch (e) {
      return this.refusal(e, fields);
    }
  }

  private refusal(e: unknown, fields: Record<string, unknown>): MasaHttpResponse {
    let status: number;
    let reason: string;
    if (e instanceof Refusal) {
      status = e.status;
      reason = e.message;
      Object.assign(fields, e.fields);
    } else if (isVoucherError(e)) {
      status = e.reason === 'unsupported-algorithm' ? 406 : e.reason === 'signature' || e.reason === 'no-signer' ? 403 : 400;
      reason = e.message;
      fields.voucherError = e.reason;
    } else if (isStackError(e, 'ERR_CERT_CHAIN')) {
      status = 403;
      reason = `registrar certificate chain: ${e.message}`;
      fields.chainFailure = e.details.reason;
    } else {
      throw e;
    }
    return { status, contentType: 'text/plain; charset=utf-8', body: utf8(`${reason}\n`), reason, fields: { ...fields, status, reason } };
  }

  private parse(format: VoucherFormat, body: Uint8Array): ParsedRequest {
    if (format === 'cose') {
      const p = parseVoucherCose(body, 'rvr');
      return {
        rvr: p.artifact as VoucherRequest,
        certificates: parseCerts([...p.x5bag, ...p.x5chain]),
        signer: (candidates) => findCoseSigner(p, candidates),
      };
    }
    const p = parseVoucherCms(body, 'rvr');
    const verifyWith = (c: Certificate): boolean => {
      try {
        verifyVoucherCms(p, [c]);
        return true;
      } catch {
        return false;
      }
    };
    if (p.certificates.length > MAX_CARRIED_CERTIFICATES) throw new Refusal(400, `the RVR carries ${p.certificates.length} certificates, at most ${MAX_CARRIED_CERTIFICATES} are accepted`);
    return { rvr: p.artifact as VoucherRequest, certificates: p.certificates, signer: (candidates) => candidates.find(verifyWith) };
  }

  /** Steps 1–5 (see the module comment). */
  private verifyRequest(req: MasaHttpRequest, fields: Record<string, unknown>, purpose: 'voucher' | 'auditlog'): VerifiedRequest {
    const format = voucherFormatOfMediaType(req.contentType);
    if (!format) throw new Refusal(415, `Content-Type ${JSON.stringify(req.contentType ?? '')} is not application/voucher+cose or application/voucher-cms+json`);
    fields.format = format;
    const answerType = purpose === 'voucher' ? mediaTypeOfVoucherFormat(format) : MEDIA_TYPE_AUDIT_LOG;
    if (!acceptAllows(req.accept, answerType)) throw new Refusal(406, `Accept ${JSON.stringify(req.accept)} does not allow ${answerType}`);

    const parsed = this.parse(format, req.body);
    const rvr = parsed.rvr;
    fields.serial = rvr.serialNumber;

    let tlsCert: Certificate | undefined;
    if (req.tlsClientCertificate) {
      try {
        tlsCert = parseCertificate(req.tlsClientCertificate);
      } catch {
        tlsCert = undefined;
      }
    }
    const pool = [...parsed.certificates, ...(tlsCert ? [tlsCert] : [])];
    const signer = parsed.signer(pool.filter((c) => !isCa(c)));
    if (!signer) throw new Refusal(403, 'the RVR signature does not verify with any certificate it carries (x5bag) or the TLS client certificate');
    fields.registrar = signer.subject;
    if (tlsCert) fields.tlsClientIsSigner = sameCertificate(tlsCert, signer);
    const eku = readExtendedKeyUsage(signer) ?? [];
    if (!eku.includes(OID_KP_CMC_RA)) throw new Refusal(403, `the RVR signer ${signer.subject} lacks id-kp-cmcRA (RFC 8995 §5.5.4)`);

    const at = new Date(this.clock.now());
    const chain = this.domainChain(signer, pool, at);
    fields.chain = chain.length;

    const serial = rvr.serialNumber;
    if (!this.credentials.idevids.has(serial) && !this.db.owner(serial)) throw new Refusal(404, `unknown pledge ${serial}`);
    return {
      format,
      rvr,
      signer,
      chain,
      chainHashes: chain.map((c) => sha256Hex(certificateDer(c))),
      serial,
      ...(tlsCert ? { tlsClientSha256: sha256Hex(certificateDer(tlsCert)) } : {}),
      fields,
      parsed,
    };
  }

  /** The signer and its issuers found among `pool`, validated with the top one as a temporary anchor. */
  private domainChain(signer: Certificate, pool: readonly Certificate[], at: Date): Certificate[] {
    const chain = [signer];
    for (let cur = signer; !isSelfIssued(cur) && chain.length < 8; ) {
      const issuer = pool.find((c) => !chain.some((x) => sameCertificate(x, c)) && issuedBy(cur, c));
      if (!issuer) break;
      chain.push(issuer);
      cur = issuer;
    }
    if (chain.length === 1) {
      if (at < signer.notBefore || at > signer.notAfter) throw new Refusal(403, `the registrar certificate ${signer.subject} is not valid now`);
      return chain;
    }
    verifyChain(signer, chain.slice(1, -1), [chain[chain.length - 1]!], { at, requireEku: OID_KP_CMC_RA });
    return chain;
  }

  /** Step 6: the pledge's prior-signed-voucher-request. Returns whether proximity was shown. */
  private checkPrior(v: VerifiedRequest): { proximity: boolean } {
    const prior = v.rvr.priorSignedVoucherRequest!;
    const pvrParsed = v.format === 'cose' ? parseVoucherCose(prior) : parseVoucherCms(prior);
    const pvr = pvrParsed.artifact;
    try {
      checkPledgeVoucherRequest(pvr);
    } catch (e) {
      throw new Refusal(400, `prior-signed-voucher-request: ${(e as Error).message}`);
    }
    if (pvr.serialNumber !== v.serial) throw new Refusal(403, `the PVR is for serial-number ${pvr.serialNumber}, the RVR for ${v.serial}`);

    // The pledge's IDevID: carried certificates that chain to the manufacturer, or the record.
    const carried = [...v.parsed.certificates, ...('certificates' in pvrParsed ? pvrParsed.certificates : [])];
    const candidates: Certificate[] = [];
    for (const c of carried) {
      if (serialOf(c) !== v.serial || isCa(c)) continue;
      try {
        verifyChain(c, carried, this.credentials.manufacturerAnchors, { at: new Date(this.clock.now()) });
        candidates.push(c);
      } catch {
        // not one of our IDevIDs
      }
    }
    const record = this.credentials.idevids.get(v.serial);
    if (record) candidates.push(record);
    const verifies = (c: Certificate): boolean => {
      try {
        if ('sign1' in pvrParsed) verifyVoucherCose(pvrParsed, c);
        else verifyVoucherCms(pvrParsed, [c]);
        return true;
      } catch {
        return false;
      }
    };
    const idevid = candidates.find(verifies);
    if (!idevid) throw new Refusal(403, `the prior-signed-voucher-request does not verify with an IDevID of ${v.serial}`);

    const rvr = v.rvr;
    if (rvr.idevidIssuer !== undefined && !bytesEqual(rvr.idevidIssuer, idevidIssuerOf(idevid))) {
      throw new Refusal(403, 'idevid-issuer does not match the IDevID that signed the PVR');
    }
    if (rvr.nonce !== undefined && !bytesEqual(rvr.nonce, pvr.nonce!)) throw new Refusal(403, 'the RVR nonce differs from the PVR nonce');

    // Proximity: the PVR names a certificate (or key) of the chain that signed the RVR.
    const spkis = v.chain.map(subjectPublicKeyInfoDer);
    const match =
      (pvr.proximityRegistrarCert !== undefined && v.chain.some((c) => bytesEqual(certificateDer(c), pvr.proximityRegistrarCert!))) ||
      (pvr.proximityRegistrarPubk !== undefined && spkis.some((s) => bytesEqual(s, pvr.proximityRegistrarPubk!))) ||
      (pvr.proximityRegistrarPubkSha256 !== undefined && spkis.some((s) => bytesEqual(spkiSha256(s), pvr.proximityRegistrarPubkSha256!)));
    if (!match) throw new Refusal(403, 'the PVR proximity-registrar-* names no certificate of the chain that signed the RVR');
    return { proximity: pvr.assertion === 'proximity' };
  }

  /** Steps 6–9 for a voucher. */
  private issue(v: VerifiedRequest): MasaHttpResponse {
    const { rvr, serial, fields } = v;
    const nonced = rvr.nonce !== undefined;
    let proximity = false;
    if (rvr.priorSignedVoucherRequest !== undefined) proximity = this.checkPrior(v).proximity;
    else if (nonced) throw new Refusal(403, 'a nonced RVR must carry the prior-signed-voucher-request (the nonce cannot be checked otherwise)');
    fields.nonced = nonced;

    // Step 7: ownership.
    let owner: Owner | undefined = this.db.owner(serial);
    if (!owner) {
      if (!this.policy.firstClaim) throw new Refusal(403, `no owner is registered for ${serial}`);
      if (!nonced || !proximity) throw new Refusal(403, `${serial} has no owner; a first claim needs a nonced request with a verified proximity PVR`);
      const top = v.chain[v.chain.length - 1]!;
      const claim = this.db.claimFirst(serial, v.chainHashes[v.chainHashes.length - 1]!, certificateDer(top));
      owner = claim.owner;
      fields.firstClaim = claim.kind === 'claimed';
    }
    const ownerIndex = v.chainHashes.indexOf(owner.domainCaSha256);
    if (ownerIndex < 0) throw new Refusal(403, `the registrar's domain is not the owner of ${serial}`, { owner: owner.domainCaSha256.slice(0, 16) });

    // Step 8: the voucher.
    const now = new Date(this.clock.now());
    const pinned = nonced ? v.chain[Math.min(1, v.chain.length - 1)]! : v.chain[ownerIndex]!;
    const assertion: Assertion = nonced ? (proximity ? 'proximity' : 'logged') : owner.source === 'first-claim' ? 'logged' : 'verified';
    let expiresOn: string | undefined;
    if (!nonced) {
      const until = Math.min(now.getTime() + (this.policy.noncelessValidityMs ?? this.policy.noncelessValidityDays * DAY_MS), pinned.notAfter.getTime());
      if (until <= now.getTime()) throw new Refusal(403, `the certificate to pin (${pinned.subject}) has expired`);
      expiresOn = formatDateAndTime(new Date(until));
    }
    const voucher: Voucher = {
      kind: 'voucher',
      assertion,
      createdOn: formatDateAndTime(now),
      domainCertRevocationChecks: false,
      ...(expiresOn ? { expiresOn } : {}),
      ...(nonced ? { nonce: rvr.nonce! } : {}),
      pinnedDomainCert: certificateDer(pinned),
      serialNumber: serial,
    };

    // Step 9: sign, log, answer.
    const c = this.credentials;
    const bytes =
      v.format === 'cose'
        ? signVoucherCose(voucher, {
            privateKey: c.signingKey,
            x5bag: [c.signingCertificate, ...c.signingChain].map(certificateDer),
            role: 'voucher',
          })
        : signVoucherCms(voucher, { privateKey: c.signingKey, certificate: c.signingCertificate, chain: c.signingChain, signingTime: now, role: 'voucher' });
    const entry = this.db.appendAudit({
      serial,
      date: voucher.createdOn!,
      domainId: Buffer.from(domainIdOf(pinned)).toString('base64'),
      ...(nonced ? { nonce: rvr.nonce! } : {}),
      assertion,
      ...(expiresOn ? { expiresOn } : {}),
      pinnedSha256: sha256Hex(certificateDer(pinned)),
      registrarSha256: v.chainHashes[0]!,
      ...(v.tlsClientSha256 ? { tlsClientSha256: v.tlsClientSha256 } : {}),
      format: v.format,
      voucher: bytes,
    });
    return {
      status: 200,
      contentType: mediaTypeOfVoucherFormat(v.format),
      body: bytes,
      fields: { ...fields, status: 200, assertion, pinned: pinned.subject, ...(expiresOn ? { expiresOn } : {}), voucherBytes: bytes.length, audit: entry.id },
    };
  }

  /** RFC 8995 §5.8.1 audit-log response. */
  private auditLog(v: VerifiedRequest): MasaHttpResponse {
    const { entries, total } = this.db.auditLog(v.serial, this.policy.maxAuditEvents);
    const arbitrary = total - entries.length;
    const log = {
      version: 1,
      events: entries.map((e) => ({
        date: e.date,
        domainID: e.domainId,
        nonce: e.nonce ? Buffer.from(e.nonce).toString('base64') : null,
        assertion: e.assertion,
      })),
      ...(arbitrary > 0 ? { truncation: { arbitrary: Math.min(arbitrary, 1024) } } : {}),
    };
    const body = utf8(JSON.stringify(log));
    return { status: 200, contentType: MEDIA_TYPE_AUDIT_LOG, body, fields: { ...v.fields, status: 200, events: entries.length } };
  }
}
