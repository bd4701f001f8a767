/**
 * Fixtures for EDHOC over CoAP: one test PKI (three pledges) plus a foreign manufacturer's PKI
 * made once per run with initTestPki, and a harness of two Endpoints on a MemoryNetwork with
 * `[BlockwiseLayer(64), OscoreLayer]` — the server (registrar role) serving /.well-known/edhoc and
 * an OSCORE-only resource /echo-serial that answers with the EDHOC peer's serial number and the
 * SHA-256 (first 8 bytes, hex) of what it received.
 */
import { createHash } from 'node:crypto';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { sortOptions, stringOptions, uintOpt } from '../../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import type { Clock } from '../../../src/core/clock.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { initTestPki, type Credential, type TestPki } from '../../../src/pki/index.ts';
import { CF_CID_EDHOC_CBOR_SEQ, frameMessage1, frameWithConnectionId, InitiatorStart, type ConnectionId, type EdhocLocalCredential } from '../../../src/protocol/edhoc/index.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { establishOscore, type EstablishOscoreOptions, type OscoreEstablishment } from '../../../src/stack/edhoc-client.ts';
import { credentialByValue, edhocPeer, EdhocResource, x5chainCredential, x5chainJudge, type EdhocResourceConfig } from '../../../src/stack/edhoc-resource.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response, type ClientRequest, type CoapResponse, type Layer } from '../../../src/stack/exchange.ts';
import { OscoreLayer } from '../../../src/stack/oscore-layer.ts';
import { Router } from '../../../src/stack/router.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { EndpointConfig } from '../../../src/protocol/coap/transmission-params.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { makeTempDir } from '../../helpers/files.ts';

export const BLOCK = 64;
/** A short digest, so that /echo-serial answers fit one 64-byte block (see the note in handshake.test.ts). */
export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

export interface Pkis {
  /** Manufacturer + domain PKI; pledges PLEDGE-0001..0003. */
  readonly pki: TestPki;
  /** Another manufacturer, not trusted by the registrar. */
  readonly foreign: TestPki;
}

let cached: Promise<Pkis> | undefined;

/** Both PKIs, made once per run in a temporary directory removed at exit. */
export function pkis(): Promise<Pkis> {
  cached ??= (async () => {
    const dir = makeTempDir('brski-edhoc-coap-');
    process.once('exit', () => dir.remove());
    const [pki, foreign] = await Promise.all([initTestPki(`${dir.path}/pki`, { pledges: 3 }), initTestPki(`${dir.path}/foreign`, { pledges: 1 })]);
    return { pki, foreign };
  })();
  return cached;
}

export interface HarnessOptions {
  readonly resource?: Partial<EdhocResourceConfig>;
  /** Put the RFC 9668 combined-request layer into the server's stack. */
  readonly combinedLayer?: boolean;
  /** Wraps the client's transport (e.g. in a LinkEmulator). */
  readonly wrapClientTransport?: (t: Transport) => Transport;
  readonly clientConfig?: Partial<EndpointConfig>;
  readonly serverConfig?: Partial<EndpointConfig>;
  readonly resourceClock?: Clock;
  readonly seed?: number;
}

export interface Harness {
  readonly pkis: Pkis;
  readonly net: MemoryNetwork;
  readonly server: Endpoint;
  readonly client: Endpoint;
  readonly edhoc: EdhocResource;
  readonly serverContexts: SecurityContextRegistry;
  readonly clientContexts: SecurityContextRegistry;
  readonly serverOscore: OscoreLayer;
  /** Options for establishOscore as a pledge with IDevID `pledge` (default: PLEDGE-0001). */
  pledgeOptions(pledge?: Credential, extra?: Partial<EstablishOscoreOptions>): EstablishOscoreOptions;
  establish(pledge?: Credential, extra?: Partial<EstablishOscoreOptions>): Promise<OscoreEstablishment>;
  /** A POST to /echo-serial (not yet protected). */
  echo(payload: Uint8Array): ClientRequest;
  close(): Promise<void>;
}

const EDHOC_PATH = ['.well-known', 'edhoc'];

export async function harness(o: HarnessOptions = {}): Promise<Harness> {
  const p = await pkis();
  const { pki } = p;
  const net = new MemoryNetwork();
  const serverContexts = new SecurityContextRegistry({ maxContexts: 300 });
  const clientContexts = new SecurityContextRegistry();
  const seed = o.seed ?? 7;
  const edhoc = new EdhocResource({
    credential: x5chainCredential(pki.domain.registrar),
    contexts: serverContexts,
    judgeInitiator: x5chainJudge({ trustAnchors: [pki.manufacturer.rootCa.certificate], requireSerialNumber: true }),
    random: seededRandom(seed),
    ...(o.resourceClock && { clock: o.resourceClock }),
    ...o.resource,
  });
  const serverOscore = new OscoreLayer({
    contexts: serverContexts,
    require: (req) => {
      const path = stringOptions(req, Opt.URI_PATH);
      return !(path[0] === '.well-known' && (path[1] === 'edhoc' || path[1] === 'core'));
    },
  });
  const router = new Router().add(edhoc.resourceDef()).add({
    path: '/echo-serial',
    methods: {
      [Code.POST]: (req) => {
        const peer = edhocPeer(req);
        if (!peer) return response(Code.UNAUTHORIZED, 'no EDHOC peer');
        return response(Code.CHANGED, `${peer.serialNumber} ${sha256(req.payload)}`);
      },
    },
  });
  const serverLayers: Layer[] = [new BlockwiseLayer({ preferredBlockSize: BLOCK })];
  if (o.combinedLayer) serverLayers.push(edhoc.combinedLayer());
  serverLayers.push(serverOscore);
  const server = new Endpoint(net.createTransport('10.0.0.1', 5683), serverLayers, {
    random: seededRandom(seed + 1),
    ...(o.serverConfig && { config: o.serverConfig }),
  }).setHandler(router.handle);
  const clientTransport = net.createTransport('10.0.0.2', 5683);
  const client = new Endpoint(
    o.wrapClientTransport ? o.wrapClientTransport(clientTransport) : clientTransport,
    [new BlockwiseLayer({ preferredBlockSize: BLOCK }), new OscoreLayer({ contexts: clientContexts })],
    { random: seededRandom(seed + 2), ...(o.clientConfig && { config: o.clientConfig }) },
  );
  const pledgeOptions = (pledge: Credential = pki.pledges[0]!, extra: Partial<EstablishOscoreOptions> = {}): EstablishOscoreOptions => ({
    credential: pledge,
    method: 0,
    suite: 2,
    // Provisional acceptance as in BRSKI: any registrar whose chain validates to the domain root in this test.
    judgeResponder: x5chainJudge({ trustAnchors: [pki.domain.rootCa.certificate] }),
    contexts: clientContexts,
    blockSize: BLOCK,
    ...extra,
  });
  return {
    pkis: p,
    net,
    server,
    client,
    edhoc,
    serverContexts,
    clientContexts,
    serverOscore,
    pledgeOptions,
    establish: (pledge, extra) => establishOscore(client, server.localAddress(), pledgeOptions(pledge, extra)),
    echo: (payload) => ({ method: Code.POST, options: pathOptions('/echo-serial'), payload, peer: server.localAddress(), confirmable: true, blockSize: BLOCK }),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A handshake run by hand up to a prepared message_3 (the Responder then holds a half-open session). */
export interface HalfOpenHandshake {
  readonly connectionIdR: ConnectionId;
  /** Sends C_R ‖ message_3. */
  send3(): Promise<CoapResponse>;
}

export function edhocPost(h: Harness, payload: Uint8Array): Promise<CoapResponse> {
  return h.client.request({
    method: Code.POST,
    options: sortOptions([...pathOptions(`/${EDHOC_PATH.join('/')}`), uintOpt(Opt.CONTENT_FORMAT, CF_CID_EDHOC_CBOR_SEQ)]),
    payload,
    peer: h.server.localAddress(),
    confirmable: true,
    blockSize: BLOCK,
  });
}

/** message_1 → message_2 (checked), message_3 prepared but not sent. */
export async function openHalfway(h: Harness, pledge: EdhocLocalCredential, connectionId?: Uint8Array): Promise<HalfOpenHandshake & { readonly message2Response: CoapResponse }> {
  const waitM2 = new InitiatorStart({ method: 0, suites: [2], ...(connectionId && { connectionId }) }).prepareMessage1();
  const res = await edhocPost(h, frameMessage1(waitM2.message1));
  if (res.code !== Code.CHANGED) return { connectionIdR: new Uint8Array(0) as ConnectionId, message2Response: res, send3: () => Promise.reject(new Error('no message_2')) };
  const pm2 = waitM2.parseMessage2(res.payload);
  const done = pm2.verifyMessage2(credentialByValue(pm2.idCredR)!).prepareMessage3(pledge);
  return { connectionIdR: pm2.connectionIdR, message2Response: res, send3: () => edhocPost(h, frameWithConnectionId(pm2.connectionIdR, done.message3)) };
}

export { x5chainCredential };
