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
import { certificateDer, loadPki, parseCertificate, parseCertificates, readSubjectSerialNumber, type Certificate, type TestPki } from '../src/pki/index.ts';
import { LocalRa, allowListAuthorizer, type Authorizer, type Upstream } from '../src/protocol/registrar/local-ra.ts';
import { stringOptions } from '../src/codec/coap/option-value.ts';
import { Opt } from '../src/codec/coap/numbers/options.ts';
import { SecurityContextRegistry } from '../src/protocol/oscore/context-registry.ts';
import { EstEnrollment } from '../src/protocol/registrar/est-enrollment.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { EdhocResource, x5chainCredential, x5chainJudge } from '../src/stack/edhoc-resource.ts';
import { Endpoint, type Tracer } from '../src/stack/endpoint.ts';
import { EST_ROOT, installEstResources } from '../src/stack/est-resources.ts';
import type { Layer, ServerRequest } from '../src/stack/exchange.ts';
import { OscoreLayer } from '../src/stack/oscore-layer.ts';
import { Router } from '../src/stack/router.ts';
import { RegistrarJournal } from '../src/store/registrar-journal.ts';
import { RegistrarStateStore } from '../src/store/registrar-state.ts';
import { HttpCmpClient } from '../src/transport/http-cmp.ts';
import { formatPeer, type Transport } from '../src/transport/transport.ts';
import { UdpTransport } from '../src/transport/udp.ts';
import { MuxTransport } from '../src/transport/mux.ts';
import { JpyTransport } from '../src/stack/jpy-transport.ts';
import { RT_BRSKI, RT_BRSKI_RJP } from '../src/protocol/join-proxy/registrar-discovery.ts';
import { installBrskiResources } from '../src/stack/brski-resources.ts';
import { installCmpResource } from './cmp-resource.ts';
import { RegistrarVoucherService, type MasaClient } from './voucher-service.ts';
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
  /** jpy://HOST:PORT of the JPY socket (with --jpy-port). */
  readonly jpyUrl?: string;
  readonly jpy?: JpyTransport;
  readonly ra: LocalRa;
  readonly store: RegistrarStore;
  readonly endpoint: Endpoint;
  readonly pki: TestPki;
  /** The EDHOC responder (absent with --security none). */
  readonly edhoc?: EdhocResource;
  readonly oscore?: OscoreLayer;
  /** The voucher resources (with --masa-url or --require-voucher). */
  readonly vouchers?: RegistrarVoucherService;
  close(): Promise<void>;
}

/** Whether a request must come over OSCORE: EST always, CMP only with --security oscore. */
export function oscoreRequired(security: 'oscore' | 'both'): (req: ServerRequest) => boolean {
  const est = EST_ROOT.split('/').filter(Boolean);
  return (req) => {
    const path = stringOptions(req, Opt.URI_PATH);
    if (path[0] !== '.well-known') return security === 'oscore';
    if (path[1] === 'edhoc' || path[1] === 'core') return false;
    if (path[1] === est[1]) return true;
    return security === 'oscore';
  };
}

export interface RegistrarServiceDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: Random;
  /** An already loaded PKI (tests); otherwise config.pkiDir is loaded. */
  readonly pki?: TestPki;
  /** The datagram transport (tests: a memory transport); default UDP on config.host:port. */
  readonly transport?: Transport;
  /** The transport under the JPY socket (tests); default UDP on config.jpyHost:jpyPort. */
  readonly jpyTransport?: Transport;
  /** The link to the RA/CA (tests); default HTTP to config.caUrl. */
  readonly upstream?: Upstream;
  /** Replaces the allow list (e.g. a voucher check). */
  readonly authorize?: Authorizer;
  readonly tracer?: Tracer;
  /** Do not run the outbox and cache timers (tests drive them). */
  readonly manual?: boolean;
  /** The link to the MASA (tests); default HTTPS with the registrar's TLS client credential. */
  readonly masa?: MasaClient;
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
  let jpyInner: Transport | undefined;
  try {
    const domainAnchors = [pki.domain.rootCa.certificate];
    saveDomainAnchors(store.state, domainAnchors);
    const upstream = deps.upstream ?? (config.caUrl ? new HttpCmpClient({ url: config.caUrl }) : undefined);
    const registrar = pki.domain.registrar;
    const security = config.security ?? 'both';
    const vouchers =
      security !== 'none' && (config.masaUrl !== undefined || config.requireVoucher)
        ? new RegistrarVoucherService({
            registrar,
            domainRoot: pki.domain.rootCa.certificate,
            masaTlsAnchors: [pki.manufacturer.rootCa.certificate, ...extraAnchors],
            ...(config.masaUrl !== undefined ? { masaUrl: config.masaUrl } : {}),
            state: store.state,
            clock,
            logger: logger.child({ component: 'brski' }),
            retryAfterSeconds: Math.max(1, config.checkAfterSeconds),
            ...(deps.masa ? { masa: deps.masa } : {}),
            timeoutMs: config.masaTimeoutMs ?? 10_000,
            auditPolicy: config.auditPolicy ?? 'warn',
          })
        : undefined;
    const ra = new LocalRa({
      journal: store.journal,
      state: store.state,
      signer: { privateKey: registrar.privateKey, certificate: registrar.certificate, chain: registrar.chain },
      pledgeTrustAnchors: [pki.manufacturer.rootCa.certificate, ...extraAnchors],
      domainTrustAnchors: domainAnchors,
      ...(upstream ? { upstream } : {}),
      authorize:
        deps.authorize ??
        allowListAuthorizer({
          allowAny: config.allowAny,
          serials: config.allow,
          ...(config.requireVoucher && vouchers ? { hasValidVoucher: (serial: string) => vouchers.hasVoucher(serial) } : {}),
        }),
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
    let jpy: JpyTransport | undefined;
    let jpyUrl: string | undefined;
    if (config.jpyPort !== undefined) {
      const jpyHost = config.jpyHost ?? config.host;
      jpyInner =
        deps.jpyTransport ?? (await UdpTransport.bind({ host: jpyHost, port: config.jpyPort, logger, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 }));
      jpy = new JpyTransport(jpyInner, { maxPeers: Math.max(64, Math.min(config.maxOpen, 10_000)), clock, random, logger: logger.child({ component: 'jpy' }) });
      const announce = config.jpyAnnounce ?? (isWildcard(jpyHost) ? undefined : jpyHost);
      const port = jpyInner.localAddress().port;
      if (announce !== undefined) jpyUrl = `jpy://${announce.includes(':') ? `[${announce}]` : announce}:${port}`;
      else logger.warn('the JPY socket listens on a wildcard address and has no --jpy-announce: no rt=brski.rjp link', { port });
    }
    const datagrams: Transport = jpy
      ? new MuxTransport([{ transport: transport, owns: (p) => !JpyTransport.isSyntheticPeer(p) }, { transport: jpy, owns: JpyTransport.isSyntheticPeer }])
      : transport;
    const blockwise = new BlockwiseLayer({ preferredBlockSize: config.blockSize, maxBodySize: config.maxBodyBytes }, clock, random);
    const layers: Layer[] = [blockwise];
    const router = new Router();
    let edhoc: EdhocResource | undefined;
    let oscore: OscoreLayer | undefined;
    if (security !== 'none') {
      // The pledge leg: EDHOC with the IDevID (chaining to a manufacturer root, on the allow list), then OSCORE.
      const contexts = new SecurityContextRegistry({ maxContexts: Math.max(64, Math.min(config.maxOpen, 10_000)) });
      const allowed = new Set(config.allow);
      edhoc = new EdhocResource({
        credential: x5chainCredential(registrar),
        contexts,
        // Many pledges may start at once behind a join proxy: room for 1024 handshakes in flight.
        maxHalfOpen: Math.max(64, Math.min(config.maxOpen, 1024)),
        judgeInitiator: x5chainJudge({
          trustAnchors: [pki.manufacturer.rootCa.certificate, ...extraAnchors],
          at: () => new Date(clock.now()),
          requireSerialNumber: true,
          check: (path) => {
            if (config.allowAny) return true;
            const serial = path[0] ? readSerial(path[0]) : undefined;
            return serial !== undefined && allowed.has(serial) ? true : `pledge ${serial ?? '-'} is not on the registrar's allow list`;
          },
        }),
        clock,
        random,
        logger: logger.child({ component: 'edhoc' }),
      });
      oscore = new OscoreLayer({ contexts, require: oscoreRequired(security), logger: logger.child({ component: 'oscore' }) });
      layers.push(edhoc.combinedLayer(), oscore);
      router.add(edhoc.resourceDef());
      const est = new EstEnrollment(ra, { retryAfterSeconds: config.checkAfterSeconds, ...(config.label ? { label: config.label } : {}) });
      const caCerts = [pki.domain.rootCa.certificate, pki.domain.issuingCa.certificate].map((c) => certificateDer(c));
      installEstResources(router, {
        caCertificates: () => uniqueDer(caCerts),
        enroll: (csr, peer, req) =>
          est.enroll(csr, { certificate: peer.certificates[0]!, serialNumber: peer.serialNumber }, { peer: formatPeer(req.peer) }),
        logger: logger.child({ component: 'est' }),
      });
      if (vouchers) {
        installBrskiResources(router, {
          requestVoucher: (pvr, peer) => vouchers.requestVoucher(pvr, peer),
          status: (kind, payload, peer) => vouchers.status(kind, payload, peer),
        });
      }
    }
    // Join proxy discovery (draft-ietf-anima-constrained-join-proxy §5.1): rt=brski for stateful
    // proxies (this CoAP port), rt=brski.rjp for stateless ones (the JPY port).
    router.add({
      path: '/.well-known/brski',
      hidden: true,
      methods: {},
      links: () => [{ href: '/.well-known/brski', attrs: { rt: RT_BRSKI } }, ...(jpyUrl ? [{ href: jpyUrl, attrs: { rt: RT_BRSKI_RJP } }] : [])],
    });
    const endpoint = new Endpoint(datagrams, layers, { logger: logger.child({ component: 'coap' }), clock, random, ...(deps.tracer ? { tracer: deps.tracer } : {}) });
    installCmpResource(router, { ra, maxBodyBytes: config.maxBodyBytes, logger: logger.child({ component: 'cmp' }), ...(config.label ? { label: config.label } : {}), now: () => clock.now() });
    endpoint.setHandler(router.handle);
    if (!deps.manual) {
      ra.start();
      if (vouchers && config.prefetch && config.prefetch.length > 0) vouchers.startPrefetch(config.prefetch, (config.prefetchRefreshSeconds ?? 3600) * 1000);
    }
    const local = transport.localAddress();
    let closed = false;
    return {
      url: `coap://${formatPeer(local)}`,
      port: local.port,
      ...(jpy ? { jpy, jpyUrl: jpyUrl ?? `jpy://${formatPeer(jpy.localAddress())}` } : {}),
      ra,
      store,
      endpoint,
      pki,
      ...(edhoc ? { edhoc } : {}),
      ...(oscore ? { oscore } : {}),
      ...(vouchers ? { vouchers } : {}),
      async close() {
        if (closed) return;
        closed = true;
        await vouchers?.stop();
        await endpoint.close();
        await ra.stop();
        store.close();
      },
    };
  } catch (e) {
    await transport?.close();
    await jpyInner?.close();
    store.close();
    throw e;
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

function readSerial(c: Certificate): string | undefined {
  try {
    return readSubjectSerialNumber(c);
  } catch {
    return undefined;
  }
}

function uniqueDer(list: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of list) if (!out.some((o) => Buffer.compare(o, d) === 0)) out.push(d);
  return out;
}
