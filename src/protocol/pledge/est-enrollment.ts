/**
 * The pledge's EST-oscore enrollment (RFC 9148 over an OSCORE channel from EDHOC): GET /crts for
 * the domain CA certificates, a new P-256 key, POST /sen with its PKCS#10 (CF 286, Accept 281),
 * 5.03 + Max-Age → wait that long and send the same request again (RFC 9148 §4.7), then check the
 * certificate (its key is ours; it chains to the domain trust anchor) and store it.
 *
 * Transport-free: `exchange` sends one request over the established OSCORE context.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Code, formatCode } from '../../codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../codec/coap/numbers/content-formats.ts';
import { decodeCertsOnly } from '../../codec/est/certs-only.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { StackError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { certificatePublicKey, generateKeyPair, parseCertificate, verifyChain, type Certificate, type PledgeCredential } from '../../pki/index.ts';
import { buildPkcs10 } from '../cmp/message-builder.ts';
import type { PledgeStateStore } from './pledge-enrollment.ts';

export const EST_PATH = '/.well-known/est';

export interface EstRequest {
  readonly method: 'GET' | 'POST';
  /** e.g. /.well-known/est/sen */
  readonly path: string;
  readonly payload?: Uint8Array;
  readonly contentFormat?: number;
  readonly accept?: number;
}

export interface EstResponse {
  readonly code: number;
  readonly contentFormat: number | undefined;
  readonly maxAge: number | undefined;
  readonly payload: Uint8Array;
}

export interface EstEnrollOptions {
  readonly identity: PledgeCredential;
  readonly exchange: (r: EstRequest) => Promise<EstResponse>;
  readonly trustAnchors: readonly Certificate[];
  readonly store: Pick<PledgeStateStore, 'finish'>;
  /** Longest wait honoured from one Max-Age (s), default 300. */
  readonly maxWaitSeconds?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface EstEnrollResult {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
  readonly path: readonly Certificate[];
  /** 5.03 answers waited out. */
  readonly polls: number;
}

function fail(stage: string, r: EstResponse): never {
  const text = Buffer.from(r.payload.subarray(0, 120)).toString('utf8');
  throw new StackError('ERR_COAP_RESPONSE', `${stage}: registrar answered ${formatCode(r.code)}${text ? `: ${text}` : ''}`, { coapCode: r.code });
}

function certsOf(r: EstResponse): Certificate[] {
  if (r.contentFormat === ContentFormat.PKIX_CERT) return [parseCertificate(r.payload)];
  if (r.contentFormat === ContentFormat.PKCS7_CERTS_ONLY || r.contentFormat === undefined) return decodeCertsOnly(r.payload).map((d) => parseCertificate(d));
  throw new StackError('ERR_COAP_RESPONSE', `unexpected content-format ${r.contentFormat} for certificates`);
}

export async function enrollEst(o: EstEnrollOptions): Promise<EstEnrollResult> {
  const clock = o.clock ?? systemClock;
  const log = o.logger ?? silentLogger;
  const crts = await o.exchange({ method: 'GET', path: `${EST_PATH}/crts`, accept: ContentFormat.PKCS7_CERTS_ONLY });
  if (crts.code !== Code.CONTENT) fail('/crts', crts);
  const caCerts = certsOf(crts);
  // The CA certificates must themselves chain to our (voucher-pinned) domain trust anchor.
  for (const c of caCerts) verifyChain(c, caCerts, o.trustAnchors);

  const { privateKey } = await generateKeyPair('P-256');
  const serial = o.identity.serialNumber;
  const csr = buildPkcs10({ privateKey, subject: `CN=${serial},serialNumber=${serial}` });
  let polls = 0;
  for (;;) {
    o.signal?.throwIfAborted();
    const r = await o.exchange({ method: 'POST', path: `${EST_PATH}/sen`, payload: csr, contentFormat: ContentFormat.PKCS10, accept: ContentFormat.PKCS7_CERTS_ONLY });
    if (r.code === Code.SERVICE_UNAVAILABLE) {
      const wait = Math.min(r.maxAge ?? 60, o.maxWaitSeconds ?? 300);
      polls++;
      log.info('enrollment pending; retrying after Max-Age', { seconds: wait });
      await sleep(clock, wait * 1000, o.signal);
      continue;
    }
    if (r.code !== Code.CHANGED) fail('/sen', r);
    const [certificate] = certsOf(r);
    const ours = certificatePublicKey(certificate!).export({ format: 'der', type: 'spki' });
    const mine = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    if (Buffer.compare(ours, mine) !== 0) throw new StackError('ERR_PKI', 'the certificate from /sen does not certify the key of our request');
    const path = verifyChain(certificate!, caCerts, o.trustAnchors);
    await o.store.finish({ certificate: certificate!, privateKey, path });
    return { certificate: certificate!, privateKey, path, polls };
  }
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
