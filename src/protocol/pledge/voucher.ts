/**
 * The pledge's voucher exchange (RFC 8995 §5.2/§5.6.1, cBRSKI §5.5/§7), over an injected
 * request function (OSCORE-protected CoAP after EDHOC):
 *
 *   1. PVR: assertion proximity, a fresh nonce, the IDevID's serial number and
 *      proximity-registrar-cert = the registrar's EDHOC end-entity certificate; COSE_Sign1 with the
 *      IDevID key, no x5bag (cBRSKI §7.2.2). POST /.well-known/brski/rv, CF 836.
 *   2. The voucher: COSE signature by the built-in MASA key, nonce and serial-number equal to the
 *      PVR's, and the registrar's EDHOC certificate chain must validate to pinned-domain-cert
 *      (or its key be pinned-domain-pubk / -pubk-sha256).
 *   3. The pinned domain certificate is the trust anchor of the enrollment that follows.
 *
 * A voucher without a nonce (fetched ahead by the registrar while the MASA was reachable) is
 * accepted only with an expires-on still ahead. A 5.03 from /rv (the registrar cannot reach the
 * MASA and holds no voucher for us) is retried after its Max-Age, within `unavailableWaitMs`.
 *
 * A failed check throws a PledgeVoucherError (a StackError, code ERR_VOUCHER_SIGNATURE for
 * signature and pinning failures, ERR_CMP_REJECTED for the registrar's refusals); the pledge stops.
 */
import { bytesEqual, fromUtf8 } from '../../core/bytes.ts';
import { StackError, type StackErrorCode } from '../../core/errors.ts';
import { encodeCbor } from '../../codec/cbor/cbor.ts';
import {
  parseVoucherCose,
  signVoucherCose,
  spkiSha256,
  subjectPublicKeyInfoDer,
  verifyVoucherCose,
  type Voucher,
  type VoucherRequest,
} from '../../codec/voucher/index.ts';
import { certificateDer, parseCertificate, verifyChain, type Certificate, type PledgeCredential } from '../../pki/index.ts';
import type { KeyObject } from 'node:crypto';

export type PledgeVoucherFailure =
  | 'no-voucher-service'
  | 'refused'
  | 'unavailable'
  | 'malformed'
  | 'signature'
  | 'nonce'
  | 'serial-number'
  | 'pinning'
  | 'expired';

export class PledgeVoucherError extends StackError {
  constructor(
    readonly failure: PledgeVoucherFailure,
    message: string,
    code: StackErrorCode = 'ERR_VOUCHER_SIGNATURE',
    cause?: unknown,
  ) {
    super(code, `voucher: ${message}`, { failure }, cause);
  }
}

export function isPledgeVoucherError(e: unknown, failure?: PledgeVoucherFailure): e is PledgeVoucherError {
  return e instanceof PledgeVoucherError && (failure === undefined || e.failure === failure);
}

/** The answer of /rv as the pledge sees it (CoAP code as class*32+detail). */
export interface RvAnswer {
  readonly code: number;
  readonly contentFormat?: number;
  readonly maxAge?: number;
  readonly payload: Uint8Array;
}

export interface PledgeVoucherOptions {
  readonly identity: PledgeCredential;
  /** The registrar's EDHOC x5chain, end entity first. */
  readonly registrarChain: readonly Certificate[];
  /** The built-in MASA trust: the MASA signing certificate or its key. */
  readonly masaAnchor: Certificate | KeyObject;
  /** Posts the PVR to /.well-known/brski/rv. */
  readonly postPvr: (pvr: Uint8Array) => Promise<RvAnswer>;
  readonly nonce: Uint8Array;
  readonly now?: () => Date;
  /**
   * A nonceless voucher (one the registrar fetched ahead of time) is
   * accepted when it carries an expires-on that is still in the future by this pledge's clock;
   * false refuses every voucher without our nonce. Default true.
   */
  readonly acceptNonceless?: boolean;
  /**
   * How long to keep asking while the registrar answers 5.03 (it cannot reach the MASA): the PVR is
   * posted again after each Max-Age (default 60 s, at least 1 s) until this much time has passed.
   * Default 0: the first 5.03 fails.
   */
  readonly unavailableWaitMs?: number;
  /** Called before each wait for a 5.03 (for logs). */
  readonly onUnavailable?: (maxAgeSeconds: number, diagnostic: string) => void;
  /** Waits (tests inject a manual clock's); default setTimeout, cut short by `signal`. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface PledgeVoucherResult {
  readonly voucher: Voucher;
  /** The pinned domain certificate (trust anchor for enrollment), when the voucher pins a certificate. */
  readonly pinnedDomainCert?: Certificate;
  readonly pvrBytes: number;
  readonly voucherBytes: number;
  /** The voucher had no nonce (it was accepted for its expires-on). */
  readonly nonceless: boolean;
  /** Times the registrar answered 5.03 before the voucher came. */
  readonly unavailable: number;
}

const CHANGED = 0x44; // 2.04
const CF_VOUCHER_COSE = 836;

export function buildPledgeVoucherRequest(identity: PledgeCredential, registrar: Certificate, nonce: Uint8Array): Uint8Array {
  const pvr: VoucherRequest = {
    kind: 'voucher-request',
    assertion: 'proximity',
    nonce,
    proximityRegistrarCert: certificateDer(registrar),
    serialNumber: identity.serialNumber,
  };
  return signVoucherCose(pvr, { privateKey: identity.privateKey, role: 'pvr' });
}

function codeText(code: number): string {
  return `${code >> 5}.${String(code & 31).padStart(2, '0')}`;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function obtainVoucher(o: PledgeVoucherOptions): Promise<PledgeVoucherResult> {
  const registrar = o.registrarChain[0];
  if (!registrar) throw new PledgeVoucherError('pinning', 'the registrar presented no certificate in EDHOC', 'ERR_CONFIG');
  const pvr = buildPledgeVoucherRequest(o.identity, registrar, o.nonce);
  const sleep = o.sleep ?? defaultSleep;
  let waited = 0;
  let unavailable = 0;
  let res: RvAnswer;
  for (;;) {
    res = await o.postPvr(pvr);
    if (res.code !== 0xa3) break;
    const diag = fromUtf8(res.payload.subarray(0, 200));
    const maxAge = Math.max(1, res.maxAge ?? 60);
    if (waited + maxAge * 1000 > (o.unavailableWaitMs ?? 0)) {
      throw new PledgeVoucherError('unavailable', `the registrar cannot get a voucher now (5.03, Max-Age ${maxAge}): ${diag}`, 'ERR_COAP_RESPONSE');
    }
    unavailable++;
    o.onUnavailable?.(maxAge, diag);
    await sleep(maxAge * 1000, o.signal);
    waited += maxAge * 1000;
  }
  if (res.code !== CHANGED) {
    const diag = fromUtf8(res.payload.subarray(0, 200));
    if (res.code === 0x84 && res.payload.length === 0) throw new PledgeVoucherError('no-voucher-service', 'the registrar has no /.well-known/brski/rv (4.04)', 'ERR_NOT_FOUND');
    throw new PledgeVoucherError('refused', `the registrar refused the voucher request (${codeText(res.code)}): ${diag}`, 'ERR_CMP_REJECTED');
  }
  if (res.contentFormat !== CF_VOUCHER_COSE) throw new PledgeVoucherError('malformed', `the voucher has Content-Format ${res.contentFormat ?? 'none'}, expected 836`, 'ERR_CBOR_MALFORMED');
  let parsed;
  try {
    parsed = parseVoucherCose(res.payload, 'voucher');
  } catch (e) {
    throw new PledgeVoucherError('malformed', (e as Error).message, 'ERR_CBOR_MALFORMED', e);
  }
  try {
    verifyVoucherCose(parsed, o.masaAnchor);
  } catch (e) {
    throw new PledgeVoucherError('signature', `not signed by the pledge's MASA: ${(e as Error).message}`, 'ERR_VOUCHER_SIGNATURE', e);
  }
  const v = parsed.artifact as Voucher;
  if (v.serialNumber !== o.identity.serialNumber) throw new PledgeVoucherError('serial-number', `the voucher is for ${v.serialNumber}, not ${o.identity.serialNumber}`);
  const now = o.now?.() ?? new Date();
  if (v.nonce !== undefined) {
    if (!bytesEqual(v.nonce, o.nonce)) throw new PledgeVoucherError('nonce', 'the voucher nonce is not the one of this PVR');
  } else {
    // RFC 8995 §5.6.1, RFC 8366 expires-on: without our nonce, only a voucher whose expires-on is still
    // ahead (by a clock the pledge trusts) may be accepted.
    if (o.acceptNonceless === false) throw new PledgeVoucherError('nonce', 'the voucher has no nonce and this pledge accepts only nonced vouchers');
    if (v.expiresOn === undefined) throw new PledgeVoucherError('nonce', 'the voucher has neither a nonce nor an expires-on');
    const until = Date.parse(v.expiresOn);
    if (!Number.isFinite(until)) throw new PledgeVoucherError('malformed', `expires-on ${v.expiresOn} is no date`, 'ERR_CBOR_MALFORMED');
    if (until <= now.getTime()) throw new PledgeVoucherError('expired', `the nonceless voucher expired on ${v.expiresOn} (now ${now.toISOString()})`);
  }
  let pinned: Certificate | undefined;
  if (v.pinnedDomainCert) {
    try {
      pinned = parseCertificate(v.pinnedDomainCert);
    } catch (e) {
      throw new PledgeVoucherError('malformed', `pinned-domain-cert is no certificate: ${(e as Error).message}`, 'ERR_CBOR_MALFORMED', e);
    }
    try {
      if (!bytesEqual(certificateDer(registrar), certificateDer(pinned))) {
        verifyChain(registrar, o.registrarChain.slice(1), [pinned], { at: now });
      }
    } catch (e) {
      throw new PledgeVoucherError('pinning', `the registrar's EDHOC certificate does not chain to the pinned-domain-cert: ${(e as Error).message}`, 'ERR_VOUCHER_SIGNATURE', e);
    }
  } else {
    const spki = subjectPublicKeyInfoDer(registrar);
    const ok = v.pinnedDomainPubk ? bytesEqual(v.pinnedDomainPubk, spki) : v.pinnedDomainPubkSha256 ? bytesEqual(v.pinnedDomainPubkSha256, spkiSha256(spki)) : false;
    if (!ok) throw new PledgeVoucherError('pinning', "the registrar's EDHOC key is not the pinned-domain-pubk");
  }
  return {
    voucher: v,
    ...(pinned ? { pinnedDomainCert: pinned } : {}),
    pvrBytes: pvr.length,
    voucherBytes: res.payload.length,
    nonceless: v.nonce === undefined,
    unavailable,
  };
}

/** Voucher / enroll status telemetry (RFC 8995 §5.7 fields) in CBOR (cBRSKI §5.5.1). */
export function statusTelemetry(ok: boolean, reason?: string): Uint8Array {
  const m = new Map<string, string | number | boolean>([['version', 1], ['status', ok]]);
  if (reason !== undefined) m.set('reason', reason.slice(0, 120));
  return encodeCbor(m);
}
