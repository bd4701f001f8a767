/**
 * The registrar's voucher handling (RFC 8995 §5.3–§5.7, cBRSKI §5.5/§6/§7.2) behind the
 * /.well-known/brski resources (src/stack/brski-resources.ts):
 *
 *   PVR (COSE_Sign1, from the EDHOC-authenticated pledge)
 *     - signed by the IDevID EDHOC authenticated (the x5chain's end entity), else 4.03;
 *     - proximity-registrar-cert / -pubk / -pubk-sha256 names the registrar's own EDHOC
 *       credential, else 4.03; serial-number is the IDevID's, else 4.03.
 *   RVR signed with the registrar key: prior-signed-voucher-request, idevid-issuer, nonce, serial,
 *     created-on; x5bag = registrar chain + domain root + the pledge's IDevID chain.
 *   MASA: HTTPS POST to <id-pe-masa-url>/requestvoucher (or --masa-url), TLS client auth with the
 *     registrar credential, the MASA's TLS certificate checked against the manufacturer root.
 *     200 → the voucher is checked before it is relayed (MASA signature by a certificate chaining
 *     to the manufacturer root, serial-number, our nonce, pinned-domain-cert one of this
 *     registrar's chain), unprotected x5bag/x5chain stripped, 2.04; 403 → 4.03, 404 → 4.04 (the
 *     diagnostic starts with "MASA"), unreachable / 5xx / an unusable voucher → 5.03 + Max-Age.
 *   Audit log (RFC 8995 §5.8), after a nonced voucher unless --audit-policy off: the same RVR to
 *     /requestauditlog; events whose domainID is not one of this registrar's chain are logged
 *     (warn) or refused with 4.03 (refuse; then an audit log that cannot be had gives 5.03).
 *   Nonceless vouchers (--prefetch): fetched ahead with an RVR that has neither nonce nor
 *     prior-signed-voucher-request, checked as above plus expires-on, stored (prefetched-vouchers.ts)
 *     and renewed when half their lifetime is gone. When the MASA cannot be reached, a pledge with
 *     a stored, unexpired voucher gets it; the others get 5.03 + Max-Age. After an unreachable
 *     MASA, it is not asked again for Max-Age seconds (pledges are answered at once meanwhile).
 *
 * Per pledge the registrar DB (registrar_meta, one JSON record under META_BRSKI_PLEDGES) keeps
 * when a voucher was delivered, the last refusal, and the last /vs and /es telemetry; with
 * --require-voucher the enrollment authorizer asks `hasVoucher`.
 */
import { request } from 'node:https';
import { readBoundedBody } from '../src/transport/http-body.ts';
import { bytesEqual, fromUtf8, toHex } from '../src/core/bytes.ts';
import type { Clock, TimerHandle } from '../src/core/clock.ts';
import { decodeCbor, type CborValue } from '../src/codec/cbor/cbor.ts';
import { Code } from '../src/codec/coap/numbers/codes.ts';
import {
  domainIdOf,
  findCoseSigner,
  formatDateAndTime,
  MEDIA_TYPE_AUDIT_LOG,
  idevidIssuerOf,
  isVoucherError,
  MEDIA_TYPE_VOUCHER_COSE,
  parseVoucherCose,
  signVoucherCose,
  spkiSha256,
  stripUnprotectedCertificates,
  subjectPublicKeyInfoDer,
  verifyVoucherCose,
  type ParsedCoseVoucher,
  type Voucher,
  type VoucherRequest,
} from '../src/codec/voucher/index.ts';
import type { Logger } from '../src/core/logger.ts';
import {
  certificateDer,
  certificatePem,
  certificatesPem,
  exportPrivateKeyPem,
  parseCertificate,
  readMasaUrl,
  verifyChain,
  type Certificate,
  type Credential,
} from '../src/pki/index.ts';
import type { VoucherOutcome } from '../src/stack/brski-resources.ts';
import type { EdhocPeer } from '../src/stack/edhoc-resource.ts';
import type { RegistrarStateStore } from '../src/store/registrar-state.ts';
import { PrefetchedVouchers } from './prefetched-vouchers.ts';
import type { AuditPolicy } from './config.ts';

export const META_BRSKI_PLEDGES = 'brskiPledges';

/** The largest MASA answer read (a voucher or an audit log); a larger one counts as a failed request. */
const MAX_MASA_ANSWER_BYTES = 256 * 1024;

export interface MasaAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: Uint8Array;
}

/** POSTs an RVR to a MASA URL (Accept: the voucher format, or `accept`); rejects when the MASA cannot be reached. */
export type MasaClient = (url: string, rvr: Uint8Array, accept?: string) => Promise<MasaAnswer>;

export interface PledgeBrskiRecord {
  voucherAt?: string;
  voucherBytes?: number;
  /** The voucher delivered last was a prefetched nonceless one (expiring then). */
  noncelessExpiresOn?: string;
  /** Domains other than ours in the MASA audit log at the last check. */
  auditOtherDomains?: number;
  masaUrl?: string;
  refusedAt?: string;
  refusal?: string;
  voucherStatus?: { at: string; value: unknown };
  enrollStatus?: { at: string; value: unknown };
}

export interface VoucherServiceOptions {
  readonly registrar: Credential;
  readonly domainRoot: Certificate;
  /** Trust anchors for the MASA's TLS certificate (the manufacturer root). */
  readonly masaTlsAnchors: readonly Certificate[];
  /** Replaces the IDevID's id-pe-masa-url. */
  readonly masaUrl?: string;
  readonly state: RegistrarStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Max-Age of a 5.03 when the MASA is unreachable. */
  readonly retryAfterSeconds: number;
  readonly masa?: MasaClient;
  readonly timeoutMs?: number;
  /** What the MASA audit log is used for (default warn). */
  readonly auditPolicy?: AuditPolicy;
}

/** The request URL for a MASA base: `…/.well-known/brski` gets `/requestvoucher`, a bare origin the whole path. */
export function requestVoucherUrl(base: string): string {
  const u = new URL(base);
  const path = u.pathname.replace(/\/+$/, '');
  if (path === '') u.pathname = '/.well-known/brski/requestvoucher';
  else if (path.endsWith('/.well-known/brski')) u.pathname = `${path}/requestvoucher`;
  return u.toString();
}

/** The default MASA client: node:https with the registrar's certificate chain and key for TLS client auth. */
export function httpsMasaClient(o: { registrar: Credential; anchors: readonly Certificate[]; timeoutMs: number }): MasaClient {
  const cert = certificatesPem([...o.registrar.chain]);
  const key = exportPrivateKeyPem(o.registrar.privateKey);
  const ca = o.anchors.map((a) => certificatePem(a));
  return (url, rvr, accept = MEDIA_TYPE_VOUCHER_COSE) =>
    new Promise<MasaAnswer>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          cert,
          key,
          ca,
          timeout: o.timeoutMs,
          headers: { 'Content-Type': MEDIA_TYPE_VOUCHER_COSE, Accept: accept, 'Content-Length': String(rvr.length) },
        },
        (res) => {
          readBoundedBody(res, MAX_MASA_ANSWER_BYTES).then(
            (body) => resolve({ status: res.statusCode ?? 0, ...(res.headers['content-type'] ? { contentType: res.headers['content-type'] } : {}), body }),
            reject,
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from the MASA within ${o.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(rvr);
    });
}

/** Why a MASA's answer cannot be relayed (the registrar answers 5.03: the MASA may do better later). */
class UnusableVoucher extends Error {}

export interface PrefetchRound {
  readonly fetched: number;
  readonly kept: number;
  readonly failed: number;
  /** The MASA could not be reached (the round stopped there). */
  readonly unreachable: boolean;
}

export class RegistrarVoucherService {
  private readonly masa: MasaClient;
  readonly prefetched: PrefetchedVouchers;
  /** Until then the MASA is taken as unreachable (clock ms). */
  private masaDownUntil = 0;
  private prefetchTimer: TimerHandle | undefined;
  private prefetchRunning: Promise<PrefetchRound> | undefined;
  private stopped = false;
  /** base64 domainIDs (RFC 8995 §5.8.1) of this registrar's chain and domain root. */
  private readonly ownDomainIds: Set<string>;
  /** Byte sizes of the last exchange (PVR, RVR, voucher as returned to the pledge). */
  lastSizes: { pvr: number; rvr: number; voucher: number } | undefined;

  constructor(private readonly o: VoucherServiceOptions) {
    this.masa = o.masa ?? httpsMasaClient({ registrar: o.registrar, anchors: o.masaTlsAnchors, timeoutMs: o.timeoutMs ?? 10_000 });
    this.prefetched = new PrefetchedVouchers(o.state, o.clock, o.logger);
    this.ownDomainIds = new Set(this.ownChain().map((c) => Buffer.from(domainIdOf(c)).toString('base64')));
  }

  private ownChain(): Certificate[] {
    const out: Certificate[] = [];
    for (const c of [...this.o.registrar.chain, this.o.domainRoot]) if (!out.some((x) => bytesEqual(certificateDer(x), certificateDer(c)))) out.push(c);
    return out;
  }

  records(): Record<string, PledgeBrskiRecord> {
    return readBrskiRecords(this.o.state);
  }

  hasVoucher(serial: string): boolean {
    return this.records()[serial]?.voucherAt !== undefined;
  }

  private update(serial: string, f: (r: PledgeBrskiRecord) => void): void {
    const all = this.records();
    const r = all[serial] ?? {};
    f(r);
    all[serial] = r;
    this.o.state.putMetaJson(META_BRSKI_PLEDGES, all);
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  private refuse(serial: string, code: number, text: string): VoucherOutcome {
    this.o.logger.warn('voucher refused', { pledge: serial, code: `${code >> 5}.${String(code & 31).padStart(2, '0')}`, reason: text });
    this.update(serial, (r) => {
      r.refusedAt = this.now();
      r.refusal = text;
    });
    return { kind: 'refused', code, text };
  }

  private unavailable(text: string): VoucherOutcome {
    return { kind: 'unavailable', retryAfterSeconds: this.o.retryAfterSeconds, text };
  }

  private masaBase(idevid: Certificate | undefined, serial: string): string {
    const base = this.o.masaUrl ?? (idevid ? readMasaUrl(idevid) : undefined);
    if (!base) throw new Error(`the IDevID of ${serial} has no id-pe-masa-url and no --masa-url is configured`);
    return base;
  }

  private signRvr(rvr: VoucherRequest, pledgeChain: readonly Certificate[]): Uint8Array {
    const x5bag = [...this.ownChain(), ...pledgeChain].map((c) => certificateDer(c));
    return signVoucherCose(rvr, { privateKey: this.o.registrar.privateKey, x5bag: uniqueDer(x5bag), role: 'rvr' });
  }

  /** One MASA request; `undefined` when the MASA cannot be reached (it is then left alone for Max-Age). */
  private async post(url: string, rvr: Uint8Array, serial: string, accept?: string): Promise<MasaAnswer | undefined> {
    try {
      const a = await this.masa(url, rvr, accept);
      if (a.status >= 500) {
        this.o.logger.warn('MASA failed', { pledge: serial, masa: url, status: a.status });
        this.masaDownUntil = this.o.clock.now() + this.o.retryAfterSeconds * 1000;
        return undefined;
      }
      this.masaDownUntil = 0;
      return a;
    } catch (e) {
      this.o.logger.warn('MASA unreachable', { pledge: serial, masa: url, error: e as Error });
      this.masaDownUntil = this.o.clock.now() + this.o.retryAfterSeconds * 1000;
      return undefined;
    }
  }

  /**
   * Checks a voucher from the MASA before anyone relies on it: signed by a certificate (x5bag /
   * x5chain, or an anchor itself) that chains to the MASA anchors; for `serial`; nonced with
   * `nonce`, or (nonce undefined) nonceless with an expires-on still ahead; pinning this
   * registrar's domain. Returns the voucher with the unprotected certificates stripped.
   */
  private acceptMasaVoucher(body: Uint8Array, serial: string, nonce: Uint8Array | undefined): { bytes: Uint8Array; voucher: Voucher } {
    let parsed: ParsedCoseVoucher;
    try {
      parsed = parseVoucherCose(body, 'voucher');
    } catch (e) {
      throw new UnusableVoucher(isVoucherError(e) ? e.message : (e as Error).message);
    }
    const carried = [...parsed.x5chain, ...parsed.x5bag].flatMap((d) => {
      try {
        return [parseCertificate(d)];
      } catch {
        return [];
      }
    });
    const anchors = this.o.masaTlsAnchors;
    const signer = findCoseSigner(parsed, [...carried, ...anchors]);
    if (!signer) throw new UnusableVoucher('the voucher signature verifies with no certificate it carries');
    const at = new Date(this.o.clock.now());
    if (!anchors.some((a) => bytesEqual(certificateDer(a), certificateDer(signer)))) {
      try {
        verifyChain(signer, carried, anchors, { at });
      } catch (e) {
        throw new UnusableVoucher(`the voucher signer ${signer.subject} does not chain to the manufacturer trust anchors: ${(e as Error).message}`);
      }
    }
    const v = parsed.artifact as Voucher;
    if (v.serialNumber !== serial) throw new UnusableVoucher(`the voucher is for ${v.serialNumber}`);
    if (nonce !== undefined) {
      if (!v.nonce || !bytesEqual(v.nonce, nonce)) throw new UnusableVoucher('the voucher does not carry the nonce of the request');
    } else {
      if (v.nonce !== undefined) throw new UnusableVoucher('a nonce in a voucher for a nonceless request');
      if (v.expiresOn === undefined) throw new UnusableVoucher('a nonceless voucher without expires-on');
      if (!(Date.parse(v.expiresOn) > at.getTime())) throw new UnusableVoucher(`the nonceless voucher expired on ${v.expiresOn} already`);
    }
    if (v.pinnedDomainCert) {
      const pinned = v.pinnedDomainCert;
      const own = this.ownChain();
      if (!own.some((c) => bytesEqual(certificateDer(c), pinned))) {
        try {
          verifyChain(this.o.registrar.certificate, this.o.registrar.chain.slice(1), [parseCertificate(pinned)], { at });
        } catch (e) {
          throw new UnusableVoucher(`the voucher pins a certificate this registrar does not chain to: ${(e as Error).message}`);
        }
      }
    }
    return { bytes: stripUnprotectedCertificates(parsed), voucher: v };
  }

  async requestVoucher(pvrBytes: Uint8Array, peer: EdhocPeer): Promise<VoucherOutcome> {
    const idevid = peer.certificates[0];
    const serial = peer.serialNumber;
    if (!idevid || serial === undefined) return { kind: 'refused', code: Code.FORBIDDEN, text: 'the EDHOC peer has no IDevID with a serial number' };
    let pvr;
    try {
      pvr = parseVoucherCose(pvrBytes, 'pvr');
    } catch (e) {
      return this.refuse(serial, Code.BAD_REQUEST, `not a valid PVR: ${(e as Error).message}`);
    }
    try {
      verifyVoucherCose(pvr, idevid);
    } catch (e) {
      return this.refuse(serial, Code.FORBIDDEN, `the PVR is not signed by the IDevID EDHOC authenticated (${(e as Error).message})`);
    }
    const vr = pvr.artifact as VoucherRequest;
    const own = this.o.registrar.certificate;
    const spki = subjectPublicKeyInfoDer(own);
    const proximityOk =
      vr.proximityRegistrarCert !== undefined
        ? bytesEqual(vr.proximityRegistrarCert, certificateDer(own))
        : vr.proximityRegistrarPubk !== undefined
          ? bytesEqual(vr.proximityRegistrarPubk, spki)
          : vr.proximityRegistrarPubkSha256 !== undefined && bytesEqual(vr.proximityRegistrarPubkSha256, spkiSha256(spki));
    if (!proximityOk) return this.refuse(serial, Code.FORBIDDEN, 'the PVR names another registrar (proximity-registrar-* is not this registrar’s EDHOC credential)');
    if (vr.serialNumber !== serial) return this.refuse(serial, Code.FORBIDDEN, `the PVR serial-number ${vr.serialNumber} is not the IDevID's ${serial}`);

    let url: string;
    try {
      url = requestVoucherUrl(this.masaBase(idevid, serial));
    } catch (e) {
      return this.refuse(serial, Code.FORBIDDEN, `unusable MASA URL: ${(e as Error).message}`);
    }
    // Only without the MASA is a stored nonceless voucher looked at (and an expired one reported).
    const offline = (why: string): VoucherOutcome => {
      const stored = this.prefetched.usable(serial);
      if (stored.kind === 'usable') return this.servePrefetched(serial, stored.voucher, stored.expiresOn, pvrBytes.length, why);
      const expired = stored.kind === 'expired' ? `; the prefetched nonceless voucher expired on ${stored.expiresOn}` : '';
      return this.unavailable(`${why}${expired}`);
    };
    if (this.o.clock.now() < this.masaDownUntil) return offline('the MASA was unreachable moments ago');

    const rvr: VoucherRequest = {
      kind: 'voucher-request',
      assertion: 'proximity',
      createdOn: formatDateAndTime(new Date(this.o.clock.now())),
      idevidIssuer: idevidIssuerOf(idevid),
      ...(vr.nonce ? { nonce: vr.nonce } : {}),
      priorSignedVoucherRequest: pvrBytes,
      serialNumber: serial,
    };
    const rvrBytes = this.signRvr(rvr, peer.certificates);
    const answer = await this.post(url, rvrBytes, serial);
    if (!answer) return offline('the MASA is unreachable');
    if (answer.status !== 200) {
      const text = `MASA ${answer.status}: ${fromUtf8(answer.body.subarray(0, 160)).trim()}`;
      if (answer.status === 404) return this.refuse(serial, Code.NOT_FOUND, text);
      return this.refuse(serial, Code.FORBIDDEN, text);
    }
    let voucher: Uint8Array;
    try {
      voucher = this.acceptMasaVoucher(answer.body, serial, vr.nonce).bytes;
    } catch (e) {
      if (!(e instanceof UnusableVoucher)) throw e;
      this.o.logger.warn('MASA answered an unusable voucher', { pledge: serial, masa: url, error: e.message });
      return offline(`the MASA's voucher is unusable: ${e.message}`);
    }
    const audit = await this.checkAuditLog(url, rvrBytes, serial);
    if (audit) return audit;
    this.lastSizes = { pvr: pvrBytes.length, rvr: rvrBytes.length, voucher: voucher.length };
    this.update(serial, (r) => {
      r.voucherAt = this.now();
      r.voucherBytes = voucher.length;
      r.masaUrl = url;
      delete r.noncelessExpiresOn;
    });
    this.o.logger.info('voucher delivered', { pledge: serial, masa: url, pvrBytes: pvrBytes.length, rvrBytes: rvrBytes.length, voucherBytes: voucher.length });
    return { kind: 'voucher', voucher };
  }

  private servePrefetched(serial: string, voucher: Uint8Array, expiresOn: string, pvrBytes: number, why: string): VoucherOutcome {
    this.prefetched.markServed(serial);
    this.update(serial, (r) => {
      r.voucherAt = this.now();
      r.voucherBytes = voucher.length;
      r.noncelessExpiresOn = expiresOn;
    });
    this.o.logger.info('prefetched nonceless voucher delivered', { pledge: serial, expiresOn, reason: why, pvrBytes, voucherBytes: voucher.length });
    return { kind: 'voucher', voucher };
  }

  /**
   * RFC 8995 §5.8: the pledge's audit log from the MASA, and the policy on it. Returns an outcome
   * to answer instead of the voucher, or undefined to go on.
   */
  private async checkAuditLog(voucherUrl: string, rvrBytes: Uint8Array, serial: string): Promise<VoucherOutcome | undefined> {
    const policy = this.o.auditPolicy ?? 'warn';
    if (policy === 'off') return undefined;
    const url = voucherUrl.replace(/requestvoucher$/, 'requestauditlog');
    const problem = (text: string): VoucherOutcome | undefined => {
      this.o.logger.warn('MASA audit log unavailable', { pledge: serial, masa: url, reason: text, policy });
      return policy === 'refuse' ? this.unavailable(`the MASA audit log is needed and unavailable: ${text}`) : undefined;
    };
    const a = await this.post(url, rvrBytes, serial, MEDIA_TYPE_AUDIT_LOG);
    if (!a) return problem('the MASA is unreachable');
    if (a.status !== 200) return problem(`MASA ${a.status}`);
    let events: { domainID?: unknown }[];
    try {
      const log = JSON.parse(fromUtf8(a.body)) as { events?: unknown };
      if (!Array.isArray(log.events)) throw new Error('no "events" list');
      events = log.events as { domainID?: unknown }[];
    } catch (e) {
      return problem(`not an audit log: ${(e as Error).message}`);
    }
    const others = [...new Set(events.map((e) => String(e.domainID)).filter((d) => !this.ownDomainIds.has(d)))];
    this.update(serial, (r) => {
      r.auditOtherDomains = others.length;
    });
    if (others.length === 0) {
      this.o.logger.debug('MASA audit log checked', { pledge: serial, events: events.length });
      return undefined;
    }
    const text = `the MASA audit log shows ${others.length} other domain(s) for ${serial}`;
    if (policy === 'refuse') return this.refuse(serial, Code.FORBIDDEN, text);
    this.o.logger.warn('MASA audit log shows other domains', { pledge: serial, events: events.length, otherDomains: others.length });
    return undefined;
  }

  /**
   * One prefetch round: a nonceless voucher for every serial that has none or whose voucher has
   * less than half of its lifetime (or less than `minRemainingMs`) left. Stops at the first
   * unreachable MASA.
   */
  async prefetch(serials: readonly string[], minRemainingMs = 0): Promise<PrefetchRound> {
    let fetched = 0;
    let kept = 0;
    let failed = 0;
    const before = this.prefetched.all();
    for (const serial of serials) {
      if (this.stopped) break;
      const stored = before[serial];
      if (stored) {
        const left = Date.parse(stored.expiresOn) - this.o.clock.now();
        const life = Date.parse(stored.expiresOn) - Date.parse(stored.fetchedAt);
        if (left > Math.max(life / 2, minRemainingMs)) {
          kept++;
          continue;
        }
      }
      let url: string;
      try {
        url = requestVoucherUrl(this.masaBase(undefined, serial));
      } catch (e) {
        failed++;
        this.o.logger.warn('nonceless voucher not prefetched', { pledge: serial, reason: (e as Error).message });
        continue;
      }
      const rvr: VoucherRequest = { kind: 'voucher-request', createdOn: formatDateAndTime(new Date(this.o.clock.now())), serialNumber: serial };
      const answer = await this.post(url, this.signRvr(rvr, []), serial);
      if (!answer) return { fetched, kept, failed: failed + 1, unreachable: true };
      if (answer.status !== 200) {
        failed++;
        this.o.logger.warn('nonceless voucher not prefetched', { pledge: serial, masa: url, status: answer.status, reason: fromUtf8(answer.body.subarray(0, 160)).trim() });
        continue;
      }
      try {
        const { bytes, voucher } = this.acceptMasaVoucher(answer.body, serial, undefined);
        this.prefetched.put(serial, bytes, voucher.expiresOn!);
        fetched++;
      } catch (e) {
        if (!(e instanceof UnusableVoucher)) throw e;
        failed++;
        this.o.logger.warn('MASA answered an unusable nonceless voucher', { pledge: serial, masa: url, error: e.message });
      }
    }
    return { fetched, kept, failed, unreachable: false };
  }

  /**
   * Keeps nonceless vouchers for `serials` fetched: a round now, then every `refreshMs` (sooner,
   * after Max-Age, while the MASA is unreachable).
   */
  startPrefetch(serials: readonly string[], refreshMs: number): void {
    if (serials.length === 0 || this.prefetchTimer || this.stopped) return;
    const round = async (): Promise<void> => {
      this.prefetchTimer = undefined;
      let next = refreshMs;
      try {
        this.prefetchRunning = this.prefetch(serials, 2 * refreshMs);
        const r = await this.prefetchRunning;
        this.o.logger.info('nonceless vouchers prefetched', { ...r, pledges: serials.length });
        if (r.unreachable || r.failed > 0) next = Math.min(refreshMs, Math.max(1, this.o.retryAfterSeconds) * 1000);
      } catch (e) {
        this.o.logger.error('prefetch round failed', { error: e as Error });
      } finally {
        this.prefetchRunning = undefined;
      }
      if (!this.stopped) this.prefetchTimer = this.o.clock.setTimeout(() => void round(), next);
    };
    this.prefetchTimer = this.o.clock.setTimeout(() => void round(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.prefetchTimer) this.o.clock.clearTimeout(this.prefetchTimer);
    this.prefetchTimer = undefined;
    await this.prefetchRunning?.catch(() => undefined);
  }

  /** /vs and /es: CBOR telemetry (RFC 8995 §5.7 / §5.9.4 fields), stored per pledge. */
  status(kind: 'vs' | 'es', payload: Uint8Array, peer: EdhocPeer): string | undefined {
    const serial = peer.serialNumber;
    if (serial === undefined) return 'the EDHOC peer has no serial number';
    let v: CborValue;
    try {
      v = decodeCbor(payload);
    } catch (e) {
      return `not CBOR: ${(e as Error).message}`;
    }
    if (!(v instanceof Map) || typeof v.get('status') !== 'boolean') return 'telemetry must be a CBOR map with a boolean "status"';
    const value = plain(v);
    this.update(serial, (r) => {
      const entry = { at: this.now(), value };
      if (kind === 'vs') r.voucherStatus = entry;
      else r.enrollStatus = entry;
    });
    this.o.logger.info(kind === 'vs' ? 'voucher status' : 'enroll status', { pledge: serial, status: v.get('status') as boolean, reason: String(v.get('reason') ?? '') });
    return undefined;
  }
}

export function readBrskiRecords(state: RegistrarStateStore): Record<string, PledgeBrskiRecord> {
  return state.getMetaJson<Record<string, PledgeBrskiRecord>>(META_BRSKI_PLEDGES) ?? {};
}

function plain(v: CborValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function uniqueDer(list: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of list) if (!out.some((o) => bytesEqual(o, d))) out.push(d);
  return out;
}
