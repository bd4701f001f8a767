/**
 * The pledge emulator: N pledges, each with its own UDP socket and CoAP endpoint (block-wise at
 * the configured size, optionally behind an emulated link that all of them share), enrolling
 * through the registrar with the flow of src/protocol/pledge. Traffic is counted per pledge at the
 * CoAP layer (UDP payloads) and, with link emulation, as link-layer frames on air.
 */
import { isIP } from 'node:net';
import { isStackError, StackError } from '../src/core/errors.ts';
import type { Logger } from '../src/core/logger.ts';
import type { PKIBodyType } from '../src/codec/cmp/index.ts';
import { formatName, verifyChain, type Certificate, type PledgeCredential } from '../src/pki/index.ts';
import { enrollPledge, isRetryableHandshakeFailure, obtainVoucher, PledgeVoucherError, statusTelemetry, type PledgeEnrollmentResult, type RvAnswer } from '../src/protocol/pledge/index.ts';
import { randomBytes } from 'node:crypto';
import { ContentFormat } from '../src/codec/coap/numbers/content-formats.ts';
import { Code } from '../src/codec/coap/numbers/codes.ts';
import { Opt } from '../src/codec/coap/numbers/options.ts';
import { stringOpt, uintOpt, uintOption } from '../src/codec/coap/option-value.ts';
import type { CoapOption } from '../src/codec/coap/message.ts';
import { SecurityContextRegistry } from '../src/protocol/oscore/context-registry.ts';
import { enrollEst, type EstRequest, type EstResponse } from '../src/protocol/pledge/est-enrollment.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { establishOscore } from '../src/stack/edhoc-client.ts';
import { x5chainJudge } from '../src/stack/edhoc-resource.ts';
import { Endpoint } from '../src/stack/endpoint.ts';
import type { ClientRequest, CoapResponse, Layer } from '../src/stack/exchange.ts';
import { OscoreLayer } from '../src/stack/oscore-layer.ts';
import { LinkEmulator, type LinkMedium, type LinkProfile } from '../src/transport/link-emulator.ts';
import type { PeerAddress, Transport } from '../src/transport/transport.ts';
import { UdpTransport } from '../src/transport/udp.ts';
import { coapCmpTransfer } from './coap-transfer.ts';
import { CountingTransport } from './counting-transport.ts';
import { PledgeStateDir } from './state-dir.ts';

export interface PledgeEmulatorConfig {
  /** The registrar URI as given (recorded with saved transactions). */
  readonly registrar: string;
  readonly peer: PeerAddress;
  readonly uriHost?: string;
  readonly path: readonly string[];
  readonly blockSize: number;
  readonly stateRoot: string;
  /** Per pledge, from its start to its certificate. */
  readonly timeoutMs: number;
  /** Loss probability per datagram in each direction (used when `link` is absent; 0: no emulation). */
  readonly linkLoss: number;
  /**
   * The emulated link: every pledge's transport is wrapped in a LinkEmulator on this medium
   * (shared serialisation queues), with `profile` per pledge (e.g. its loss). Absent: linkLoss only.
   */
  readonly link?: { readonly medium: LinkMedium; readonly profile?: LinkProfile };
  /** RFC 7252 §4.8 ACK_TIMEOUT and MAX_RETRANSMIT (defaults 2000 ms and 4). */
  readonly ackTimeoutMs?: number;
  readonly maxRetransmit?: number;
  readonly retryBaseMs: number;
  /** Upper bound for one CoAP exchange (all blocks of one CMP message). */
  readonly exchangeTimeoutMs: number;
  readonly trustAnchors: readonly Certificate[];
  readonly logger: Logger;
  /** 'oscore': EDHOC with the IDevID, then every request over OSCORE (default 'none'). */
  readonly security?: 'none' | 'oscore';
  /** 'est': EST-oscore /sen instead of CMP (needs security 'oscore'; default 'cmp'). */
  readonly enroll?: 'cmp' | 'est';
  /**
   * With security 'oscore': 'required' a voucher (PVR to /.well-known/brski/rv) must pin the
   * registrar; 'auto' the same, but a registrar without /rv (4.04) is accepted when its chain
   * validates to trustAnchors; 'off' no voucher (registrar judged by trustAnchors). Default 'off'.
   */
  readonly voucher?: 'required' | 'auto' | 'off';
  /** The pledge's built-in MASA trust anchor (the MASA signing certificate). */
  readonly masaAnchor?: Certificate;
}

export type PledgeOutcome = 'enrolled' | 'existing' | 'failed';

export interface PledgeReport {
  readonly serialNumber: string;
  readonly result: PledgeOutcome;
  /** The LDevID's certificate serial number (hex). */
  readonly ldevidSerial?: string;
  /** The LDevID's subject DN. */
  readonly ldevidSubject?: string;
  readonly keyAlgorithm?: string;
  readonly transactionId?: string;
  readonly polls: number;
  readonly resumed: boolean;
  readonly retries: number;
  readonly timeMs: number;
  /** CoAP messages sent and received (UDP payload bytes and datagrams), retransmissions included. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly datagramsSent: number;
  readonly datagramsReceived: number;
  readonly retransmissions: number;
  readonly largestDatagram: number;
  /** Link-layer frames on air sent and received (lost ones included); only with link emulation. */
  readonly framesSent?: number;
  readonly framesReceived?: number;
  /** The voucher had no nonce (the registrar fetched it ahead of time); only with a voucher. */
  readonly voucherNonceless?: boolean;
  /** Times the registrar answered 5.03 (no voucher yet) before the voucher came. */
  readonly voucherUnavailable?: number;
  readonly messages?: readonly PKIBodyType[];
  /** Bytes of the signed PVR sent and of the voucher received (COSE, as on the wire). */
  readonly pvrBytes?: number;
  readonly voucherBytes?: number;
  /** DER bytes of the CMP messages themselves (no CoAP framing, no retransmissions). */
  readonly cmpBytesSent?: number;
  readonly cmpBytesReceived?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface PledgeEvents {
  onStart?(serial: string): void;
  onRequest?(serial: string, type: PKIBodyType): void;
  onDone?(report: PledgeReport): void;
}

/** Runs one pledge to its end; never rejects (a failure is a report with result 'failed'). */
export async function runPledge(identity: PledgeCredential, cfg: PledgeEmulatorConfig, events: PledgeEvents = {}): Promise<PledgeReport> {
  const serial = identity.serialNumber;
  const started = Date.now();
  const log = cfg.logger.child({ pledge: serial });
  events.onStart?.(serial);
  let counting: CountingTransport | undefined;
  let link: LinkEmulator | undefined;
  let endpoint: Endpoint | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polls = 0;
  /** Handshakes started over (the CMP phase counts its own retries). */
  let retries = 0;
  /** Posts the enrollment status to /es (set once a voucher came through this registrar). */
  let enrollStatus: ((ok: boolean, reason?: string) => Promise<void>) | undefined;
  let voucherFacts: Pick<PledgeReport, 'pvrBytes' | 'voucherBytes' | 'voucherNonceless' | 'voucherUnavailable'> | undefined;
  const frames = (): Pick<PledgeReport, 'framesSent' | 'framesReceived'> => {
    if (!link) return {};
    const c = link.counters;
    return { framesSent: c.up.frames, framesReceived: c.down.frames };
  };
  const base = (): Omit<PledgeReport, 'result'> => ({
    serialNumber: serial,
    ...(voucherFacts ?? {}),
    polls,
    resumed: false,
    retries,
    timeMs: Date.now() - started,
    bytesSent: counting?.counters.bytesSent ?? 0,
    bytesReceived: counting?.counters.bytesReceived ?? 0,
    datagramsSent: counting?.counters.datagramsSent ?? 0,
    datagramsReceived: counting?.counters.datagramsReceived ?? 0,
    retransmissions: endpoint?.stats.retransmissions ?? 0,
    largestDatagram: counting?.counters.largestDatagram ?? 0,
    ...frames(),
  });
  let report: PledgeReport;
  try {
    const store = new PledgeStateDir(cfg.stateRoot, serial);
    const existing = await store.existing();
    if (existing) {
      verifyChain(existing.certificate, existing.chain, cfg.trustAnchors);
      log.info('already enrolled', { ldevidSerial: existing.certificate.serialNumber });
      report = { ...base(), result: 'existing', ldevidSerial: existing.certificate.serialNumber, ldevidSubject: existing.certificate.subject };
    } else {
      const udp = await UdpTransport.bind({ host: isIP(cfg.peer.address) === 6 ? '::' : '0.0.0.0', port: 0, logger: log });
      if (cfg.link) {
        link = new LinkEmulator(udp, { medium: cfg.link.medium, ...(cfg.link.profile ? { up: cfg.link.profile, down: cfg.link.profile } : {}) });
      } else if (cfg.linkLoss > 0) {
        link = new LinkEmulator(udp, { up: { loss: cfg.linkLoss }, down: { loss: cfg.linkLoss } });
      }
      const wire: Transport = link ?? udp;
      counting = new CountingTransport(wire);
      const oscore = cfg.security === 'oscore';
      // A BRSKI registrar does block-wise (RFC 9148 §5): ask for small blocks from the first answer on.
      const layers: Layer[] = [new BlockwiseLayer({ preferredBlockSize: cfg.blockSize, alwaysNegotiateBlock2: true })];
      if (oscore) layers.push(new OscoreLayer({ contexts: new SecurityContextRegistry() }));
      const coap = {
        ...(cfg.ackTimeoutMs !== undefined ? { ackTimeoutMs: cfg.ackTimeoutMs } : {}),
        ...(cfg.maxRetransmit !== undefined ? { maxRetransmit: cfg.maxRetransmit } : {}),
      };
      endpoint = new Endpoint(counting, layers, { logger: log, config: coap });
      const ep = endpoint;
      const abort = new AbortController();
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new StackError('ERR_COAP_CANCELLED', `not enrolled after ${Math.round(cfg.timeoutMs / 1000)} s (--timeout)`, { reason: 'timeout' });
          abort.abort(e);
          reject(e);
        }, cfg.timeoutMs);
      });
      // With --security oscore: EDHOC with the IDevID. Without a voucher the registrar is accepted
      // when its certificate chains to the domain root from --pki; with one (cBRSKI §5.5) it is
      // accepted provisionally, and the voucher's pinned-domain-cert decides and becomes the
      // trust anchor of the enrollment.
      const voucherMode = oscore ? (cfg.voucher ?? 'off') : 'off';
      let trustAnchors: readonly Certificate[] = cfg.trustAnchors;
      const channel = async (): Promise<((r: ClientRequest) => Promise<CoapResponse>) | undefined> => {
        if (!oscore) return undefined;
        const est = await establishOscore(ep, cfg.peer, {
          credential: identity,
          judgeResponder:
            voucherMode === 'off'
              ? x5chainJudge({ trustAnchors: cfg.trustAnchors })
              : (c) => (c.certificates.length > 0 ? { accept: true } : { accept: false, unknownCredential: true, reason: 'the registrar sent no x5chain' }),
          blockSize: cfg.blockSize,
          timeoutMs: cfg.exchangeTimeoutMs,
          signal: abort.signal,
        });
        log.info('OSCORE established', { registrar: est.peer.certificates[0]?.subject });
        const send = (r: ClientRequest): Promise<CoapResponse> => est.request(r);
        if (voucherMode !== 'off') {
          if (!cfg.masaAnchor) throw new StackError('ERR_CONFIG', 'the pledge has no MASA trust anchor for the voucher');
          const post = (path: string, cf: number, payload: Uint8Array, accept?: number): Promise<CoapResponse> =>
            send(brskiRequest(path, cf, payload, cfg, accept));
          try {
            const v = await obtainVoucher({
              identity,
              registrarChain: est.peer.certificates,
              masaAnchor: cfg.masaAnchor,
              nonce: new Uint8Array(randomBytes(16)),
              signal: abort.signal,
              // A registrar that cannot reach the MASA answers 5.03 Max-Age: ask again for as long
              // as this pledge has left.
              unavailableWaitMs: Math.max(0, cfg.timeoutMs - (Date.now() - started)),
              onUnavailable: (maxAge, diag) => log.info('voucher unavailable, retrying', { maxAge, diag }),
              postPvr: async (pvr): Promise<RvAnswer> => {
                const res = await post('rv', ContentFormat.VOUCHER_COSE, pvr, ContentFormat.VOUCHER_COSE);
                const contentFormat = uintOption(res, Opt.CONTENT_FORMAT);
                const maxAge = uintOption(res, Opt.MAX_AGE);
                return { code: res.code, payload: res.payload, ...(contentFormat !== undefined ? { contentFormat } : {}), ...(maxAge !== undefined ? { maxAge } : {}) };
              },
            });
            voucherFacts = { pvrBytes: v.pvrBytes, voucherBytes: v.voucherBytes, voucherNonceless: v.nonceless, voucherUnavailable: v.unavailable };
            if (v.pinnedDomainCert) trustAnchors = [v.pinnedDomainCert];
            log.info('voucher accepted', {
              pinned: v.pinnedDomainCert?.subject ?? 'public key',
              pvrBytes: v.pvrBytes,
              voucherBytes: v.voucherBytes,
              nonceless: v.nonceless,
              unavailable: v.unavailable,
            });
            await post('vs', ContentFormat.CBOR, statusTelemetry(true)).catch(() => undefined);
            // RFC 8995 §5.9.4 / cBRSKI §5.5: the enrollment's outcome goes to /es at the end.
            enrollStatus = async (ok, reason) => {
              const r = { ...brskiRequest('es', ContentFormat.CBOR, statusTelemetry(ok, reason), cfg), timeoutMs: Math.min(cfg.exchangeTimeoutMs, 10_000) };
              await send(r).catch(() => undefined);
            };
          } catch (e) {
            if (voucherMode === 'auto' && e instanceof PledgeVoucherError && e.failure === 'no-voucher-service') {
              verifyChain(est.peer.certificates[0]!, est.peer.certificates.slice(1), cfg.trustAnchors);
              log.warn('the registrar offers no voucher; accepted by the domain root from --pki');
            } else {
              if (e instanceof PledgeVoucherError && e.failure !== 'no-voucher-service' && e.failure !== 'unavailable') {
                await post('vs', ContentFormat.CBOR, statusTelemetry(false, e.message)).catch(() => undefined);
              }
              throw e;
            }
          }
        }
        return send;
      };
      // A handshake lost on the way (timeouts, a busy or forgetful responder, e.g. behind a full
      // join proxy) starts over after a backoff, as long as this pledge has time left.
      const channelWithRetries = async (): Promise<((r: ClientRequest) => Promise<CoapResponse>) | undefined> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await channel();
          } catch (e) {
            const wait = Math.min(30_000, cfg.retryBaseMs * 2 ** attempt) * (0.5 + Math.random());
            if (abort.signal.aborted || !isRetryableHandshakeFailure(e) || Date.now() - started + wait >= cfg.timeoutMs) throw e;
            retries++;
            log.info('handshake failed, starting over', { attempt: attempt + 1, waitMs: Math.round(wait), err: e as Error });
            await new Promise((r) => setTimeout(r, wait));
          }
        }
      };
      if (cfg.enroll === 'est') {
        const estRun = (async () => {
          const send = await channelWithRetries();
          if (!send) throw new StackError('ERR_CONFIG', 'EST-oscore needs security oscore');
          return enrollEst({
            identity,
            exchange: (r) => send(estRequest(r, cfg)).then(estResponse),
            trustAnchors,
            store,
            signal: abort.signal,
            logger: log,
          });
        })();
        estRun.catch(() => {});
        const r = await Promise.race([estRun, timedOut]);
        await enrollStatus?.(true);
        polls = r.polls;
        report = { ...base(), result: 'enrolled', ldevidSerial: r.certificate.serialNumber, ldevidSubject: formatName(r.certificate.subjectName), keyAlgorithm: 'P-256' };
        events.onDone?.(report);
        return report;
      }
      const send = await Promise.race([channelWithRetries(), timedOut]);
      const enrolling = enrollPledge({
        identity,
        registrar: cfg.registrar,
        transfer: coapCmpTransfer(ep, {
          peer: cfg.peer,
          path: cfg.path,
          ...(cfg.uriHost ? { uriHost: cfg.uriHost } : {}),
          blockSize: cfg.blockSize,
          timeoutMs: cfg.exchangeTimeoutMs,
          ...(send ? { send } : {}),
        }),
        trustAnchors,
        store,
        logger: log,
        timeoutMs: cfg.timeoutMs,
        retryBaseMs: cfg.retryBaseMs,
        signal: abort.signal,
        onRequest: (type) => {
          if (type === 'pollReq') polls++;
          events.onRequest?.(serial, type);
        },
      });
      enrolling.catch(() => {}); // after a timeout nobody waits for it any more
      const r: PledgeEnrollmentResult = await Promise.race([enrolling, timedOut]);
      await enrollStatus?.(true);
      report = {
        ...base(),
        result: 'enrolled',
        ldevidSerial: r.certificate.serialNumber,
        ldevidSubject: formatName(r.certificate.subjectName),
        keyAlgorithm: r.keyAlgorithm,
        transactionId: r.transactionId,
        polls: r.polls,
        resumed: r.resumed,
        retries: retries + r.retries,
        messages: r.messages,
        cmpBytesSent: r.cmpBytesSent,
        cmpBytesReceived: r.cmpBytesReceived,
      };
    }
  } catch (e) {
    const err = isStackError(e) ? { code: e.code, message: e.message } : { code: 'ERR_INTERNAL', message: (e as Error)?.message ?? String(e) };
    log.error('enrollment failed', { err: e as Error });
    if (enrollStatus && !(isStackError(e, 'ERR_COAP_CANCELLED') && (e as StackError).details?.reason === 'timeout')) await enrollStatus(false, err.message);
    report = { ...base(), result: 'failed', error: err };
  } finally {
    if (timer) clearTimeout(timer);
    await endpoint?.close();
  }
  events.onDone?.(report);
  return report;
}

/** Runs every pledge, at most `concurrency` at once; reports in the order of `identities`. */
export async function runPledges(
  identities: readonly PledgeCredential[],
  cfg: PledgeEmulatorConfig,
  concurrency: number,
  events: PledgeEvents = {},
): Promise<PledgeReport[]> {
  const reports: PledgeReport[] = new Array(identities.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= identities.length) return;
      reports[i] = await runPledge(identities[i]!, cfg, events);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, identities.length)) }, worker));
  return reports;
}

function estRequest(r: EstRequest, cfg: PledgeEmulatorConfig): ClientRequest {
  const options: CoapOption[] = [
    ...(cfg.uriHost ? [stringOpt(Opt.URI_HOST, cfg.uriHost)] : []),
    ...r.path.split('/').filter(Boolean).map((s) => stringOpt(Opt.URI_PATH, s)),
    ...(r.contentFormat !== undefined ? [uintOpt(Opt.CONTENT_FORMAT, r.contentFormat)] : []),
    ...(r.accept !== undefined ? [uintOpt(Opt.ACCEPT, r.accept)] : []),
  ];
  return {
    method: r.method === 'GET' ? Code.GET : Code.POST,
    options,
    payload: r.payload ?? new Uint8Array(0),
    peer: cfg.peer,
    confirmable: true,
    blockSize: cfg.blockSize,
    timeoutMs: cfg.exchangeTimeoutMs,
  };
}

function brskiRequest(name: string, cf: number, payload: Uint8Array, cfg: PledgeEmulatorConfig, accept?: number): ClientRequest {
  const options: CoapOption[] = [
    ...(cfg.uriHost ? [stringOpt(Opt.URI_HOST, cfg.uriHost)] : []),
    ...['.well-known', 'brski', name].map((s) => stringOpt(Opt.URI_PATH, s)),
    uintOpt(Opt.CONTENT_FORMAT, cf),
    ...(accept !== undefined ? [uintOpt(Opt.ACCEPT, accept)] : []),
  ];
  return { method: Code.POST, options, payload, peer: cfg.peer, confirmable: true, blockSize: cfg.blockSize, timeoutMs: cfg.exchangeTimeoutMs };
}

function estResponse(res: CoapResponse): EstResponse {
  return { code: res.code, contentFormat: uintOption(res, Opt.CONTENT_FORMAT), maxAge: uintOption(res, Opt.MAX_AGE), payload: res.payload };
}
