/**
 * The pledge emulator: N pledges, each with its own UDP socket and CoAP endpoint (block-wise at
 * the configured size, optionally behind a lossy link), enrolling through the registrar with the
 * flow of src/protocol/pledge. Traffic is counted per pledge at the CoAP layer (UDP payloads).
 */
import { isIP } from 'node:net';
import { isStackError, StackError } from '../src/core/errors.ts';
import type { Logger } from '../src/core/logger.ts';
import type { PKIBodyType } from '../src/codec/cmp/index.ts';
import { verifyChain, type Certificate, type PledgeCredential } from '../src/pki/index.ts';
import { enrollPledge, type PledgeEnrollmentResult } from '../src/protocol/pledge/index.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { Endpoint } from '../src/stack/endpoint.ts';
import { LinkEmulator } from '../src/transport/link-emulator.ts';
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
  /** Loss probability per datagram in each direction (0: no link emulation). */
  readonly linkLoss: number;
  readonly retryBaseMs: number;
  /** Upper bound for one CoAP exchange (all blocks of one CMP message). */
  readonly exchangeTimeoutMs: number;
  readonly trustAnchors: readonly Certificate[];
  readonly logger: Logger;
}

export type PledgeOutcome = 'enrolled' | 'existing' | 'failed';

export interface PledgeReport {
  readonly serialNumber: string;
  readonly result: PledgeOutcome;
  /** The LDevID's certificate serial number (hex). */
  readonly ldevidSerial?: string;
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
  readonly messages?: readonly PKIBodyType[];
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
  let endpoint: Endpoint | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polls = 0;
  const base = (): Omit<PledgeReport, 'result'> => ({
    serialNumber: serial,
    polls,
    resumed: false,
    retries: 0,
    timeMs: Date.now() - started,
    bytesSent: counting?.counters.bytesSent ?? 0,
    bytesReceived: counting?.counters.bytesReceived ?? 0,
    datagramsSent: counting?.counters.datagramsSent ?? 0,
    datagramsReceived: counting?.counters.datagramsReceived ?? 0,
    retransmissions: endpoint?.stats.retransmissions ?? 0,
    largestDatagram: counting?.counters.largestDatagram ?? 0,
  });
  let report: PledgeReport;
  try {
    const store = new PledgeStateDir(cfg.stateRoot, serial);
    const existing = await store.existing();
    if (existing) {
      verifyChain(existing.certificate, existing.chain, cfg.trustAnchors);
      log.info('already enrolled', { ldevidSerial: existing.certificate.serialNumber });
      report = { ...base(), result: 'existing', ldevidSerial: existing.certificate.serialNumber };
    } else {
      const udp = await UdpTransport.bind({ host: isIP(cfg.peer.address) === 6 ? '::' : '0.0.0.0', port: 0, logger: log });
      const link: Transport = cfg.linkLoss > 0 ? new LinkEmulator(udp, { up: { loss: cfg.linkLoss }, down: { loss: cfg.linkLoss } }) : udp;
      counting = new CountingTransport(link);
      endpoint = new Endpoint(counting, [new BlockwiseLayer({ preferredBlockSize: cfg.blockSize })], { logger: log });
      const ep = endpoint;
      const abort = new AbortController();
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new StackError('ERR_COAP_CANCELLED', `not enrolled after ${Math.round(cfg.timeoutMs / 1000)} s (--timeout)`, { reason: 'timeout' });
          abort.abort(e);
          reject(e);
        }, cfg.timeoutMs);
      });
      const enrolling = enrollPledge({
        identity,
        registrar: cfg.registrar,
        transfer: coapCmpTransfer(ep, {
          peer: cfg.peer,
          path: cfg.path,
          ...(cfg.uriHost ? { uriHost: cfg.uriHost } : {}),
          blockSize: cfg.blockSize,
          timeoutMs: cfg.exchangeTimeoutMs,
        }),
        trustAnchors: cfg.trustAnchors,
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
      report = {
        ...base(),
        result: 'enrolled',
        ldevidSerial: r.certificate.serialNumber,
        keyAlgorithm: r.keyAlgorithm,
        transactionId: r.transactionId,
        polls: r.polls,
        resumed: r.resumed,
        retries: r.retries,
        messages: r.messages,
        cmpBytesSent: r.cmpBytesSent,
        cmpBytesReceived: r.cmpBytesReceived,
      };
    }
  } catch (e) {
    const err = isStackError(e) ? { code: e.code, message: e.message } : { code: 'ERR_INTERNAL', message: (e as Error)?.message ?? String(e) };
    log.error('enrollment failed', { err: e as Error });
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
