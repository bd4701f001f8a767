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
 *     200 → the voucher, unprotected x5bag/x5chain stripped, 2.04; 403 → 4.03, 404 → 4.04 (the
 *     diagnostic starts with "MASA"), unreachable / 5xx → 5.03 + Max-Age.
 *
 * Per pledge the registrar DB (registrar_meta, one JSON record under META_BRSKI_PLEDGES) keeps
 * when a voucher was delivered, the last refusal, and the last /vs and /es telemetry; with
 * --require-voucher the enrollment authorizer asks `hasVoucher`.
 */
import { request } from 'node:https';
import { bytesEqual, fromUtf8, toHex } from '../src/core/bytes.ts';
import type { Clock } from '../src/core/clock.ts';
import { decodeCbor, type CborValue } from '../src/codec/cbor/cbor.ts';
import { Code } from '../src/codec/coap/numbers/codes.ts';
import {
  formatDateAndTime,
  idevidIssuerOf,
  isVoucherError,
  MEDIA_TYPE_VOUCHER_COSE,
  parseVoucherCose,
  signVoucherCose,
  spkiSha256,
  stripUnprotectedCertificates,
  subjectPublicKeyInfoDer,
  verifyVoucherCose,
  type VoucherRequest,
} from '../src/codec/voucher/index.ts';
import type { Logger } from '../src/core/logger.ts';
import { certificateDer, certificatePem, certificatesPem, exportPrivateKeyPem, readMasaUrl, type Certificate, type Credential } from '../src/pki/index.ts';
import type { VoucherOutcome } from '../src/stack/brski-resources.ts';
import type { EdhocPeer } from '../src/stack/edhoc-resource.ts';
import type { RegistrarStateStore } from '../src/store/registrar-state.ts';

export const META_BRSKI_PLEDGES = 'brskiPledges';

export interface MasaAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: Uint8Array;
}

/** POSTs an RVR to a MASA URL; rejects when the MASA cannot be reached. */
export type MasaClient = (url: string, rvr: Uint8Array) => Promise<MasaAnswer>;

export interface PledgeBrskiRecord {
  voucherAt?: string;
  voucherBytes?: number;
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
  return (url, rvr) =>
    new Promise<MasaAnswer>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          cert,
          key,
          ca,
          timeout: o.timeoutMs,
          headers: { 'Content-Type': MEDIA_TYPE_VOUCHER_COSE, Accept: MEDIA_TYPE_VOUCHER_COSE, 'Content-Length': String(rvr.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, ...(res.headers['content-type'] ? { contentType: res.headers['content-type'] } : {}), body: new Uint8Array(Buffer.concat(chunks)) }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from the MASA within ${o.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(rvr);
    });
}

export class RegistrarVoucherService {
  private readonly masa: MasaClient;
  /** Byte sizes of the last exchange (PVR, RVR, voucher as returned to the pledge). */
  lastSizes: { pvr: number; rvr: number; voucher: number } | undefined;

  constructor(private readonly o: VoucherServiceOptions) {
    this.masa = o.masa ?? httpsMasaClient({ registrar: o.registrar, anchors: o.masaTlsAnchors, timeoutMs: o.timeoutMs ?? 10_000 });
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
    this.o.state.putMeta(META_BRSKI_PLEDGES, new TextEncoder().encode(JSON.stringify(all)));
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

    const rvr: VoucherRequest = {
      kind: 'voucher-request',
      assertion: 'proximity',
      createdOn: formatDateAndTime(new Date(this.o.clock.now())),
      idevidIssuer: idevidIssuerOf(idevid),
      ...(vr.nonce ? { nonce: vr.nonce } : {}),
      priorSignedVoucherRequest: pvrBytes,
      serialNumber: serial,
    };
    const x5bag = [...this.o.registrar.chain, this.o.domainRoot, ...peer.certificates].map((c) => certificateDer(c));
    const rvrBytes = signVoucherCose(rvr, { privateKey: this.o.registrar.privateKey, x5bag: uniqueDer(x5bag), role: 'rvr' });

    let url: string;
    try {
      const base = this.o.masaUrl ?? readMasaUrl(idevid);
      if (!base) return this.refuse(serial, Code.FORBIDDEN, `the IDevID of ${serial} has no id-pe-masa-url and no --masa-url is configured`);
      url = requestVoucherUrl(base);
    } catch (e) {
      return this.refuse(serial, Code.FORBIDDEN, `unusable MASA URL: ${(e as Error).message}`);
    }
    let answer: MasaAnswer;
    try {
      answer = await this.masa(url, rvrBytes);
    } catch (e) {
      this.o.logger.warn('MASA unreachable', { pledge: serial, masa: url, error: e as Error });
      return { kind: 'unavailable', retryAfterSeconds: this.o.retryAfterSeconds, text: `the MASA is unreachable: ${(e as Error).message}` };
    }
    if (answer.status !== 200) {
      const text = `MASA ${answer.status}: ${fromUtf8(answer.body.subarray(0, 160)).trim()}`;
      if (answer.status === 404) return this.refuse(serial, Code.NOT_FOUND, text);
      if (answer.status >= 500) {
        this.o.logger.warn('MASA failed', { pledge: serial, masa: url, status: answer.status });
        return { kind: 'unavailable', retryAfterSeconds: this.o.retryAfterSeconds, text };
      }
      return this.refuse(serial, Code.FORBIDDEN, text);
    }
    let voucher: Uint8Array;
    try {
      const parsed = parseVoucherCose(answer.body, 'voucher');
      if (parsed.artifact.serialNumber !== serial) throw new Error(`the voucher is for ${parsed.artifact.serialNumber}`);
      voucher = stripUnprotectedCertificates(parsed);
    } catch (e) {
      const why = isVoucherError(e) ? e.message : (e as Error).message;
      this.o.logger.warn('MASA answered an unusable voucher', { pledge: serial, masa: url, error: why });
      return { kind: 'unavailable', retryAfterSeconds: this.o.retryAfterSeconds, text: `the MASA's voucher is unusable: ${why}` };
    }
    this.lastSizes = { pvr: pvrBytes.length, rvr: rvrBytes.length, voucher: voucher.length };
    this.update(serial, (r) => {
      r.voucherAt = this.now();
      r.voucherBytes = voucher.length;
      r.masaUrl = url;
    });
    this.o.logger.info('voucher delivered', { pledge: serial, masa: url, pvrBytes: pvrBytes.length, rvrBytes: rvrBytes.length, voucherBytes: voucher.length });
    return { kind: 'voucher', voucher };
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
  const m = state.getMeta(META_BRSKI_PLEDGES);
  if (!m) return {};
  try {
    return JSON.parse(fromUtf8(m.value)) as Record<string, PledgeBrskiRecord>;
  } catch {
    return {};
  }
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
