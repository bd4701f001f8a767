/**
 * An in-memory CMP world for the round-trip tests: a test CA policy behind a CmpResponder, a
 * transfer function that counts messages, and helpers to build raw requests.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { toHex } from '../../../src/core/bytes.ts';
import type { ManualClock } from '../../../src/core/clock.ts';
import { seededRandom, type Random } from '../../../src/core/random.ts';
import {
  CMPCertificate,
  CaCertsValue,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  ID_IT_ROOT_CA_CERT,
  ID_IT_ROOT_CA_KEY_UPDATE,
  RootCaKeyUpdateContent,
  bodyTypeOf,
  decodePkiMessage,
  encodePkiMessage,
  infoTypeAndValue,
  type FailureInfoName,
  type InfoTypeAndValue,
  type PKIBody,
  type PKIBodyType,
  type PKIMessage,
} from '../../../src/codec/cmp/index.ts';
import { certificateDer, issueCertificate, type Certificate } from '../../../src/pki/index.ts';
import {
  CmpClient,
  CmpResponder,
  MemoryTransactionStore,
  buildHeader,
  newNonce,
  protectMessage,
  senderNameFor,
  type CertRequestInfo,
  type CmpClientOptions,
  type CmpResponderOptions,
  type CmpResponderPolicy,
  type IssueDecision,
  type ProtectionCredentials,
  type RequesterIdentity,
} from '../../../src/protocol/cmp/index.ts';
import { T0, type TestWorld } from './helpers.ts';

const HOUR = 3600 * 1000;

/** A CA policy for tests: issues from the domain CA, optionally waits, records every call. */
export class TestCaPolicy implements CmpResponderPolicy {
  readonly requests: CertRequestInfo[] = [];
  readonly confirmations: { transactionId: string; accepted: boolean }[] = [];
  readonly revocations: { serial: string; issuerDer?: string; requester: RequesterIdentity }[] = [];
  readonly polls: string[] = [];
  /** Answer requests with waiting, then issue after this many polls. */
  waitPolls = 0;
  checkAfterSeconds = 5;
  /** Reject every certificate request with this. */
  reject?: { failInfo: FailureInfoName[]; text: string };
  /** Issue for this key instead of the requested one (a CA gone wrong). */
  wrongKey?: KeyObject;
  revokeResult: { ok: true } | { ok: false; failInfo: readonly FailureInfoName[]; text: string } = { ok: true };
  private readonly pending = new Map<string, { req: CertRequestInfo; polls: number }>();

  constructor(private readonly world: TestWorld) {}

  async issue(req: CertRequestInfo): Promise<IssueDecision> {
    this.requests.push(req);
    if (this.reject) return { kind: 'rejected', ...this.reject };
    if (this.waitPolls > 0) {
      this.pending.set(toHex(req.transactionId), { req, polls: 0 });
      return { kind: 'waiting', checkAfterSeconds: this.checkAfterSeconds, reason: 'awaiting approval' };
    }
    return this.issueNow(req);
  }

  async poll(transactionId: Uint8Array): Promise<IssueDecision> {
    const key = toHex(transactionId);
    this.polls.push(key);
    const p = this.pending.get(key);
    if (!p) return { kind: 'rejected', failInfo: ['badRequest'], text: 'nothing pending' };
    p.polls++;
    if (p.polls < this.waitPolls) return { kind: 'waiting', checkAfterSeconds: this.checkAfterSeconds, reason: `poll ${p.polls}` };
    this.pending.delete(key);
    return this.issueNow(p.req);
  }

  async confirm(transactionId: Uint8Array, accepted: boolean): Promise<void> {
    this.confirmations.push({ transactionId: toHex(transactionId), accepted });
  }

  async revoke(serialNumber: Uint8Array, issuerDer: Uint8Array | undefined, requester: RequesterIdentity) {
    this.revocations.push({ serial: toHex(serialNumber), ...(issuerDer ? { issuerDer: toHex(issuerDer) } : {}), requester });
    return this.revokeResult;
  }

  async generalInfo(oid: string): Promise<InfoTypeAndValue | undefined | 'unsupported'> {
    if (oid === ID_IT_CA_CERTS) {
      return infoTypeAndValue(ID_IT_CA_CERTS, new CaCertsValue([this.world.domainCa.cert, this.world.domainRoot.cert].map((c) => CMPCertificate.fromDer(certificateDer(c)))));
    }
    if (oid === ID_IT_CERT_REQ_TEMPLATE) return undefined; // no template
    if (oid === ID_IT_ROOT_CA_CERT) {
      return infoTypeAndValue(ID_IT_ROOT_CA_KEY_UPDATE, new RootCaKeyUpdateContent({ newWithNew: CMPCertificate.fromDer(certificateDer(this.world.domainRoot.cert)) }));
    }
    return 'unsupported';
  }

  private async issueNow(req: CertRequestInfo): Promise<IssueDecision> {
    const certificate = await issueCertificate({
      subject: `O=Test, CN=LDevID ${this.requests.length}`,
      publicKey: this.wrongKey ?? createPublicKey({ key: Buffer.from(req.publicKeyDer), format: 'der', type: 'spki' }),
      issuerCertificate: this.world.domainCa.cert,
      signingKey: this.world.domainCa.keys.privateKey,
      notBefore: new Date(T0.getTime() - HOUR),
      notAfter: new Date(T0.getTime() + 1000 * HOUR),
    });
    return { kind: 'issued', certificate, caPubs: [this.world.domainRoot.cert], extraCerts: [this.world.domainCa.cert] };
  }
}

/** Every message that went over a transfer, as body types. */
export class Wire {
  readonly requests: PKIBodyType[] = [];
  readonly responses: PKIBodyType[] = [];
  readonly requestDers: Uint8Array[] = [];
  readonly responseDers: Uint8Array[] = [];

  constructor(private readonly handle: (der: Uint8Array) => Promise<Uint8Array>) {}

  readonly transfer = async (der: Uint8Array): Promise<Uint8Array> => {
    this.requests.push(bodyTypeOf(decodePkiMessage(der)));
    this.requestDers.push(der);
    const rsp = await this.handle(der);
    this.responses.push(bodyTypeOf(decodePkiMessage(rsp)));
    this.responseDers.push(rsp);
    return rsp;
  };
}

export interface Setup {
  readonly world: TestWorld;
  readonly policy: TestCaPolicy;
  readonly store: MemoryTransactionStore;
  readonly responder: CmpResponder;
  readonly clock: ManualClock;
  readonly random: Random;
  readonly wire: Wire;
  client(o?: Partial<CmpClientOptions>): CmpClient;
  pledgeCreds: ProtectionCredentials;
}

export function setup(world: TestWorld, clock: ManualClock, o: Partial<CmpResponderOptions> = {}): Setup {
  const policy = new TestCaPolicy(world);
  const store = new MemoryTransactionStore();
  const random = seededRandom(42);
  const responder = new CmpResponder({
    signer: { privateKey: world.raCa.keys.privateKey, certificate: world.raCa.cert, chain: [world.raCa.cert, world.domainCa.cert] },
    trustAnchors: [world.mfgRoot.cert, world.domainRoot.cert],
    raTrustAnchors: [world.domainRoot.cert],
    store,
    policy,
    clock,
    random: seededRandom(7),
    ...o,
  });
  const wire = new Wire((der) => responder.handle(der));
  const pledgeCreds: ProtectionCredentials = {
    kind: 'signature',
    privateKey: world.pledge.keys.privateKey,
    certificate: world.pledge.cert,
    chain: [world.mfgCa.cert],
  };
  return {
    world,
    policy,
    store,
    responder,
    clock,
    random,
    wire,
    pledgeCreds,
    client: (co = {}) =>
      new CmpClient({
        transfer: wire.transfer,
        credentials: pledgeCreds,
        trustAnchors: [world.domainRoot.cert],
        clock,
        random,
        ...co,
      }),
  };
}

export interface RawRequestOptions {
  readonly transactionId?: Uint8Array;
  readonly senderNonce?: Uint8Array;
  readonly recipNonce?: Uint8Array;
  readonly messageTime?: Date;
  readonly pvno?: number;
  readonly implicitConfirm?: boolean;
}

/** A protected request built by hand (for negative tests). */
export function rawRequest(body: PKIBody, creds: ProtectionCredentials, random: Random, o: RawRequestOptions = {}): PKIMessage {
  const header = buildHeader({
    ...(o.pvno !== undefined ? { pvno: o.pvno } : {}),
    sender: senderNameFor(creds),
    transactionId: o.transactionId ?? newNonce(random),
    senderNonce: o.senderNonce ?? newNonce(random),
    ...(o.recipNonce ? { recipNonce: o.recipNonce } : {}),
    messageTime: o.messageTime ?? T0,
    ...(o.implicitConfirm ? { implicitConfirm: true } : {}),
  });
  return protectMessage(header, body, creds, { random });
}

export function der(m: PKIMessage): Uint8Array {
  return encodePkiMessage(m);
}

export function certOf(c: { cert: Certificate }): Certificate {
  return c.cert;
}
