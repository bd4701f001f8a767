/**
 * A registrar world for the LRA tests: a test PKI on disk, the registrar service on the in-memory
 * CoAP network (block-wise, 64-byte blocks from the pledge's side), a fake upstream backed by an
 * in-process CmpResponder that can go offline, and a pledge that builds its CMP messages by hand
 * so that every step (and every nonce) is visible.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.ts';
import { StackError } from '../../../src/core/errors.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import { cryptoRandom } from '../../../src/core/random.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { stringOpt, uintOpt, uintOption } from '../../../src/codec/coap/option-value.ts';
import type { CoapOption } from '../../../src/codec/coap/message.ts';
import {
  CMPCertificate,
  CaCertsValue,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  bodyTypeOf,
  decodePkiMessage,
  encodePkiMessage,
  infoTypeAndValue,
  type FailureInfoName,
  type InfoTypeAndValue,
  type PKIBody,
  type PKIMessage,
} from '../../../src/codec/cmp/index.ts';
import {
  certificateDer,
  generateKeyPairSync,
  initTestPki,
  issueCertificate,
  parseCertificate,
  readSubjectSerialNumber,
  type Certificate,
  type PledgeCredential,
  type TestPki,
} from '../../../src/pki/index.ts';
import {
  CmpResponder,
  MemoryTransactionStore,
  buildCertReqMsg,
  buildCertTemplate,
  buildHeader,
  certConfBody,
  certRequestBody,
  directoryName,
  genmBody,
  newNonce,
  pollReqBody,
  protectMessage,
  type CertRequestInfo,
  type CmpResponderPolicy,
  type IssueDecision,
  type ProtectionCredentials,
  type RequesterIdentity,
} from '../../../src/protocol/cmp/index.ts';
import { verifyProtection, type ProtectionInfo } from '../../../src/protocol/cmp/protection.ts';
import type { Upstream } from '../../../src/protocol/registrar/local-ra.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import type { CoapResponse } from '../../../src/stack/exchange.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerAddress } from '../../../src/transport/transport.ts';
import type { RegistrarServeConfig } from '../../../registrar/config.ts';
import { startRegistrarService, type RegistrarService, type RegistrarServiceDeps } from '../../../registrar/service.ts';
import { makeTempDir, type TempDir } from '../../helpers/files.ts';

const HOUR = 3600_000;

/** The test PKI, made once per test file. */
export async function makePki(dir: TempDir, pledges = 4): Promise<{ pki: TestPki; foreign: TestPki }> {
  const [pki, foreign] = await Promise.all([initTestPki(join(dir.path, 'pki'), { pledges }), initTestPki(join(dir.path, 'foreign'), { pledges: 1 })]);
  return { pki, foreign };
}

/** A CA policy: issues from the domain issuing CA, or waits for approval, or rejects. */
export class FakeCaPolicy implements CmpResponderPolicy {
  readonly issued: CertRequestInfo[] = [];
  readonly confirmations: { transactionId: Uint8Array; accepted: boolean }[] = [];
  /** Answer waiting until `approve()` is called for the transaction. */
  manual = false;
  reject?: { failInfo: FailureInfoName[]; text: string };
  grantImplicit = false;
  private readonly waiting = new Map<string, CertRequestInfo>();
  private readonly approved = new Set<string>();

  constructor(private readonly pki: TestPki) {}

  approveAll(): void {
    for (const k of this.waiting.keys()) this.approved.add(k);
  }

  async issue(req: CertRequestInfo): Promise<IssueDecision> {
    if (this.reject) return { kind: 'rejected', ...this.reject };
    if (this.manual) {
      this.waiting.set(Buffer.from(req.transactionId).toString('hex'), req);
      return { kind: 'waiting', checkAfterSeconds: 1, reason: 'awaiting approval' };
    }
    return this.issueNow(req);
  }

  async poll(transactionId: Uint8Array): Promise<IssueDecision> {
    const key = Buffer.from(transactionId).toString('hex');
    const req = this.waiting.get(key);
    if (!req) return { kind: 'rejected', failInfo: ['badRequest'], text: 'nothing pending' };
    if (!this.approved.has(key)) return { kind: 'waiting', checkAfterSeconds: 1, reason: 'still waiting' };
    this.waiting.delete(key);
    return this.issueNow(req);
  }

  async confirm(transactionId: Uint8Array, accepted: boolean): Promise<void> {
    this.confirmations.push({ transactionId, accepted });
  }

  async revoke(_s: Uint8Array, _i: Uint8Array | undefined, _r: RequesterIdentity): Promise<{ ok: true }> {
    return { ok: true };
  }

  async generalInfo(oid: string): Promise<InfoTypeAndValue | undefined | 'unsupported'> {
    if (oid === ID_IT_CA_CERTS) {
      const certs = [this.pki.domain.issuingCa.certificate, this.pki.domain.rootCa.certificate];
      return infoTypeAndValue(ID_IT_CA_CERTS, new CaCertsValue(certs.map((c) => CMPCertificate.fromDer(certificateDer(c)))));
    }
    if (oid === ID_IT_CERT_REQ_TEMPLATE) return undefined;
    return 'unsupported';
  }

  private async issueNow(req: CertRequestInfo): Promise<IssueDecision> {
    this.issued.push(req);
    const issuing = this.pki.domain.issuingCa;
    const certificate = await issueCertificate({
      subject: `O=Test Domain, CN=LDevID ${req.requester.serialNumber ?? '?'}, serialNumber=${req.requester.serialNumber ?? '?'}`,
      publicKey: createPublicKey({ key: Buffer.from(req.publicKeyDer), format: 'der', type: 'spki' }),
      issuerCertificate: issuing.certificate,
      signingKey: issuing.privateKey,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + 1000 * HOUR),
    });
    return { kind: 'issued', certificate, caPubs: [this.pki.domain.rootCa.certificate], extraCerts: [issuing.certificate] };
  }
}

/** The RA/CA behind the registrar: a CmpResponder that can be switched off. */
export class FakeUpstream implements Upstream {
  online = true;
  /** Process the request but lose the answer (the registrar sees a timeout). */
  loseAnswers = false;
  readonly sent: { der: Uint8Array; label?: string }[] = [];
  readonly policy: FakeCaPolicy;
  readonly store = new MemoryTransactionStore();
  readonly responder: CmpResponder;

  constructor(pki: TestPki) {
    this.policy = new FakeCaPolicy(pki);
    const ra = pki.domain.raCa;
    this.responder = new CmpResponder({
      signer: { privateKey: ra.privateKey, certificate: ra.certificate, chain: ra.chain },
      trustAnchors: [pki.manufacturer.rootCa.certificate, pki.domain.rootCa.certificate],
      raTrustAnchors: [pki.domain.rootCa.certificate],
      store: this.store,
      policy: this.policy,
      allowImplicitConfirm: true,
    });
  }

  async send(der: Uint8Array, o: { label?: string; timeoutMs: number }): Promise<Uint8Array> {
    if (!this.online) throw new StackError('ERR_IO', 'CMP POST failed: ECONNREFUSED', { reason: 'network' });
    this.sent.push({ der, ...(o.label !== undefined ? { label: o.label } : {}) });
    const answer = await this.responder.handle(der, o.label !== undefined ? { label: o.label } : {});
    if (this.loseAnswers) throw new StackError('ERR_IO', `no answer within ${o.timeoutMs} ms`, { reason: 'timeout' });
    return answer;
  }

  /** The body types of what reached the CA, inner messages of nested ones in brackets. */
  sentTypes(): string[] {
    return this.sent.map(({ der }) => {
      const m = decodePkiMessage(der);
      return bodyTypeOf(m) === 'nested' ? `nested[${m.body.nested!.map((i) => bodyTypeOf(i)).join(',')}]` : bodyTypeOf(m);
    });
  }
}

export interface Answer {
  readonly res: CoapResponse;
  readonly der: Uint8Array;
  readonly msg: PKIMessage;
  readonly type: string;
  /** Who protected it (verified against the domain root). */
  readonly by: ProtectionInfo;
}

/** A pledge that speaks CMP over CoAP to the registrar, one hand-made message at a time. */
export class TestPledge {
  readonly newKey: KeyObject = generateKeyPairSync('P-256').privateKey;
  readonly creds: ProtectionCredentials;
  readonly serial: string;

  constructor(
    private readonly world: World,
    readonly cred: PledgeCredential | { certificate: Certificate; privateKey: KeyObject; chain: readonly Certificate[] },
  ) {
    this.creds = { kind: 'signature', privateKey: cred.privateKey, certificate: cred.certificate, chain: cred.chain };
    this.serial = readSubjectSerialNumber(cred.certificate) ?? '?';
  }

  private header(o: { transactionId: Uint8Array; recipNonce?: Uint8Array; pvno?: number; implicitConfirm?: boolean }): ReturnType<typeof buildHeader> {
    return buildHeader({
      ...(o.pvno !== undefined ? { pvno: o.pvno } : {}),
      sender: directoryName(this.creds.kind === 'signature' ? this.creds.certificate : this.cred.certificate),
      messageTime: new Date(),
      transactionId: o.transactionId,
      senderNonce: newNonce(cryptoRandom),
      ...(o.recipNonce ? { recipNonce: o.recipNonce } : {}),
      ...(o.implicitConfirm ? { implicitConfirm: true } : {}),
    });
  }

  message(body: PKIBody, o: { transactionId: Uint8Array; recipNonce?: Uint8Array; pvno?: number; implicitConfirm?: boolean }): { msg: PKIMessage; der: Uint8Array } {
    const msg = protectMessage(this.header(o), body, this.creds);
    return { msg, der: encodePkiMessage(msg) };
  }

  ir(o: { transactionId?: Uint8Array; implicitConfirm?: boolean; kind?: 'ir' | 'cr' } = {}): { msg: PKIMessage; der: Uint8Array; tid: Uint8Array } {
    const tid = o.transactionId ?? newNonce(cryptoRandom);
    const crm = buildCertReqMsg({ template: buildCertTemplate({ subject: `CN=pledge ${this.serial}`, publicKey: this.newKey }), popKey: this.newKey });
    return { ...this.message(certRequestBody(o.kind ?? 'ir', [crm]), { transactionId: tid, ...(o.implicitConfirm ? { implicitConfirm: true } : {}) }), tid };
  }

  pollReq(tid: Uint8Array, recipNonce: Uint8Array, certReqId = 0): { msg: PKIMessage; der: Uint8Array } {
    return this.message(pollReqBody(certReqId), { transactionId: tid, recipNonce });
  }

  certConf(tid: Uint8Array, recipNonce: Uint8Array, cert: Certificate, accept = true): { msg: PKIMessage; der: Uint8Array } {
    const { body, pvno } = certConfBody({ certificate: cert, certReqId: 0, accept, ...(accept ? {} : { text: 'not wanted' }) });
    return this.message(body, { transactionId: tid, recipNonce, pvno });
  }

  genm(infoTypes: string[]): { msg: PKIMessage; der: Uint8Array; tid: Uint8Array } {
    const tid = newNonce(cryptoRandom);
    return { ...this.message(genmBody(infoTypes), { transactionId: tid }), tid };
  }

  /** POSTs `der` and reads the CMP answer (verified against the domain root). */
  async send(der: Uint8Array, path: readonly string[] = ['.well-known', 'cmp']): Promise<Answer> {
    const res = await this.world.post(der, { path });
    if (res.code !== Code.CHANGED) throw new Error(`registrar answered ${res.code >> 5}.${String(res.code & 31).padStart(2, '0')}: ${Buffer.from(res.payload).toString()}`);
    const msg = decodePkiMessage(res.payload);
    const by = verifyProtection(msg, { trustAnchors: [this.world.pki.domain.rootCa.certificate] });
    return { res, der: res.payload, msg, type: bodyTypeOf(msg), by };
  }
}

export interface World {
  readonly dir: TempDir;
  readonly pki: TestPki;
  readonly foreign: TestPki;
  readonly clock: ManualClock;
  readonly upstream: FakeUpstream;
  readonly service: RegistrarService;
  readonly config: RegistrarServeConfig;
  readonly network: MemoryNetwork;
  readonly client: Endpoint;
  readonly registrarPeer: PeerAddress;
  post(payload: Uint8Array, o?: { path?: readonly string[]; method?: number; cf?: number | null; blockSize?: number }): Promise<CoapResponse>;
  pledge(i: number): TestPledge;
  /** Restarts the registrar on the same journal file. */
  restart(): Promise<World>;
  close(): Promise<void>;
}

export const REGISTRAR_ADDRESS: PeerAddress = { address: '10.0.0.1', port: 5683 };

export async function makeWorld(
  base: { dir: TempDir; pki: TestPki; foreign: TestPki },
  over: Partial<RegistrarServeConfig> = {},
  shared?: { clock: ManualClock; upstream: FakeUpstream; dbPath: string },
  extraDeps: Partial<RegistrarServiceDeps> = {},
): Promise<World> {
  const clock = shared?.clock ?? new ManualClock(Date.now());
  const upstream = shared?.upstream ?? new FakeUpstream(base.pki);
  const config: RegistrarServeConfig = {
    pkiDir: base.pki.dir,
    host: '127.0.0.1',
    port: 0,
    dbPath: shared?.dbPath ?? join(base.dir.path, `registrar-${Math.random().toString(36).slice(2)}.db`),
    caUrl: 'http://upstream.invalid',
    allowAny: false,
    allow: base.pki.pledges.map((p) => p.serialNumber).slice(0, 3),
    checkAfterSeconds: 7,
    upstreamTimeoutMs: 2000,
    retryBaseMs: 1000,
    retryMaxMs: 8000,
    localCertConf: false,
    maxBodyBytes: 16 * 1024,
    blockSize: 1024,
    maxOpenPerPledge: 8,
    maxOpen: 1000,
    maxClockSkewSeconds: 600,
    cacheRefreshSeconds: 3600,
    trustAnchorFiles: [],
    logLevel: 'warn',
    verbose: false,
    ...over,
  };
  const network = new MemoryNetwork();
  const service = await startRegistrarService(config, {
    pki: base.pki,
    transport: network.createTransport(REGISTRAR_ADDRESS.address, REGISTRAR_ADDRESS.port),
    upstream,
    clock,
    logger: silentLogger,
    manual: true,
    ...extraDeps,
  });
  const client = new Endpoint(network.createTransport('10.0.0.2'), [new BlockwiseLayer({ preferredBlockSize: 64 })]);
  const world: World = {
    ...base,
    clock,
    upstream,
    service,
    config,
    network,
    client,
    registrarPeer: REGISTRAR_ADDRESS,
    post(payload, o = {}) {
      const options: CoapOption[] = [...(o.path ?? ['.well-known', 'cmp']).map((s) => stringOpt(Opt.URI_PATH, s))];
      const cf = o.cf === undefined ? ContentFormat.PKIXCMP : o.cf;
      if (cf !== null) options.push(uintOpt(Opt.CONTENT_FORMAT, cf));
      return client.request({ method: o.method ?? Code.POST, options, payload, peer: REGISTRAR_ADDRESS, confirmable: true, blockSize: o.blockSize ?? 64, timeoutMs: 30_000 });
    },
    pledge: (i) => new TestPledge(world, base.pki.pledges[i]!),
    async restart() {
      await world.close();
      return makeWorld(base, over, { clock, upstream, dbPath: config.dbPath });
    },
    async close() {
      await client.close();
      await service.close();
    },
  };
  return world;
}

export function newTempDir(): TempDir {
  return makeTempDir('brski-registrar-test-');
}

/** The certificate in an ip/cp/kup answer. */
export function certificateOf(msg: PKIMessage): Certificate {
  const type = bodyTypeOf(msg) as 'ip' | 'cp' | 'kup';
  const c = msg.body[type]!.response[0]!.certifiedKeyPair!.certOrEncCert.certificate!;
  return parseCertificate(c.der);
}

/** The PKIStatus of the one CertResponse of an ip/cp/kup. */
export function statusOf(msg: PKIMessage): number {
  const type = bodyTypeOf(msg) as 'ip' | 'cp' | 'kup';
  return msg.body[type]!.response[0]!.status.status;
}

/** failInfo names of an error answer. */
export function failInfoOfAnswer(msg: PKIMessage): string[] {
  return msg.body.error?.pKIStatusInfo.failInfo?.names() ?? [];
}

export function contentFormatOf(res: CoapResponse): number | undefined {
  return uintOption(res, Opt.CONTENT_FORMAT);
}
