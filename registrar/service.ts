/**
 * Wiring of the registrar: test PKI + journal + Local RA engine + upstream HTTP client + CoAP
 * endpoint (block-wise) with the CMP resources. Used by `brski registrar serve` and by tests that
 * want the service in-process (with a memory transport and an in-process upstream).
 */
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../src/core/clock.ts';
import { StackError } from '../src/core/errors.ts';
import { silentLogger, type Logger } from '../src/core/logger.ts';
import { cryptoRandom, type Random } from '../src/core/random.ts';
import { CMPCertificate, CaCertsValue, decodeAsn1, encodeAsn1 } from '../src/codec/cmp/index.ts';
import { certificateDer, loadPki, parseCertificate, parseCertificates, type Certificate, type TestPki } from '../src/pki/index.ts';
import { LocalRa, allowListAuthorizer, type Authorizer, type Upstream } from '../src/protocol/registrar/local-ra.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { Endpoint, type Tracer } from '../src/stack/endpoint.ts';
import { Router } from '../src/stack/router.ts';
import { RegistrarJournal } from '../src/store/registrar-journal.ts';
import { RegistrarStateStore } from '../src/store/registrar-state.ts';
import { HttpCmpClient } from '../src/transport/http-cmp.ts';
import { formatPeer, type Transport } from '../src/transport/transport.ts';
import { UdpTransport } from '../src/transport/udp.ts';
import { installCmpResource } from './cmp-resource.ts';
import type { RegistrarServeConfig } from './config.ts';

/** registrar_meta key: the domain trust anchors, for offline tools run without --pki. */
export const META_DOMAIN_ANCHORS = 'domainTrustAnchors';

export interface RegistrarStore {
  readonly journal: RegistrarJournal;
  readonly state: RegistrarStateStore;
  close(): void;
}

export function openRegistrarStore(
  dbPath: string,
  limits: { maxOpenPerPledge?: number; maxOpen?: number; retryBaseMs?: number; retryMaxMs?: number } = {},
  clock: Clock = systemClock,
): RegistrarStore {
  const journal = RegistrarJournal.open(dbPath, limits, clock);
  try {
    const state = new RegistrarStateStore(journal, () => clock.now());
    return { journal, state, close: () => journal.close() };
  } catch (e) {
    journal.close();
    throw e;
  }
}

export function saveDomainAnchors(state: RegistrarStateStore, anchors: readonly Certificate[]): void {
  state.putMeta(META_DOMAIN_ANCHORS, encodeAsn1(new CaCertsValue(anchors.map((c) => CMPCertificate.fromDer(certificateDer(c)))), 'CaCertsValue'));
}

export function loadDomainAnchors(state: RegistrarStateStore): Certificate[] {
  const m = state.getMeta(META_DOMAIN_ANCHORS);
  if (!m) return [];
  return [...decodeAsn1(m.value, CaCertsValue, { what: 'stored trust anchors' })].map((c) => parseCertificate(c.der));
}

export interface RegistrarService {
  readonly url: string;
  readonly port: number;
  readonly ra: LocalRa;
  readonly store: RegistrarStore;
  readonly endpoint: Endpoint;
  readonly pki: TestPki;
  close(): Promise<void>;
}

export interface RegistrarServiceDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: Random;
  /** An already loaded PKI (tests); otherwise config.pkiDir is loaded. */
  readonly pki?: TestPki;
  /** The datagram transport (tests: a memory transport); default UDP on config.host:port. */
  readonly transport?: Transport;
  /** The link to the RA/CA (tests); default HTTP to config.caUrl. */
  readonly upstream?: Upstream;
  /** Replaces the allow list (e.g. a voucher check). */
  readonly authorize?: Authorizer;
  readonly tracer?: Tracer;
  /** Do not run the outbox and cache timers (tests drive them). */
  readonly manual?: boolean;
}

export async function startRegistrarService(config: RegistrarServeConfig, deps: RegistrarServiceDeps = {}): Promise<RegistrarService> {
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? cryptoRandom;
  const pki = deps.pki ?? (await loadPki(config.pkiDir));
  const extraAnchors = config.trustAnchorFiles.flatMap((f) => {
    try {
      return parseCertificates(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new StackError('ERR_CONFIG', `cannot read trust anchors ${f}: ${(e as Error).message}`, {}, e);
    }
  });
  const store = openRegistrarStore(
    config.dbPath,
    { maxOpenPerPledge: config.maxOpenPerPledge, maxOpen: config.maxOpen, retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs },
    clock,
  );
  let transport: Transport | undefined;
  try {
    const domainAnchors = [pki.domain.rootCa.certificate];
    saveDomainAnchors(store.state, domainAnchors);
    const upstream = deps.upstream ?? (config.caUrl ? new HttpCmpClient({ url: config.caUrl }) : undefined);
    const registrar = pki.domain.registrar;
    const ra = new LocalRa({
      journal: store.journal,
      state: store.state,
      signer: { privateKey: registrar.privateKey, certificate: registrar.certificate, chain: registrar.chain },
      pledgeTrustAnchors: [pki.manufacturer.rootCa.certificate, ...extraAnchors],
      domainTrustAnchors: domainAnchors,
      ...(upstream ? { upstream } : {}),
      authorize: deps.authorize ?? allowListAuthorizer({ allowAny: config.allowAny, serials: config.allow }),
      checkAfterSeconds: config.checkAfterSeconds,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      retryBaseMs: config.retryBaseMs,
      localCertConf: config.localCertConf,
      ...(config.label !== undefined ? { label: config.label } : {}),
      maxClockSkewMs: config.maxClockSkewSeconds * 1000,
      cacheRefreshMs: config.cacheRefreshSeconds * 1000,
      clock,
      random,
      logger,
    });

    transport = deps.transport ?? (await UdpTransport.bind({ host: config.host, port: config.port, logger, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 }));
    const blockwise = new BlockwiseLayer({ preferredBlockSize: config.blockSize, maxBodySize: config.maxBodyBytes }, clock, random);
    const endpoint = new Endpoint(transport, [blockwise], { logger: logger.child({ component: 'coap' }), clock, random, ...(deps.tracer ? { tracer: deps.tracer } : {}) });
    const router = new Router();
    installCmpResource(router, { ra, maxBodyBytes: config.maxBodyBytes, logger: logger.child({ component: 'cmp' }), ...(config.label ? { label: config.label } : {}), now: () => clock.now() });
    endpoint.setHandler(router.handle);
    if (!deps.manual) ra.start();
    const local = transport.localAddress();
    let closed = false;
    return {
      url: `coap://${formatPeer(local)}`,
      port: local.port,
      ra,
      store,
      endpoint,
      pki,
      async close() {
        if (closed) return;
        closed = true;
        await endpoint.close();
        await ra.stop();
        store.close();
      },
    };
  } catch (e) {
    await transport?.close();
    store.close();
    throw e;
  }
}
