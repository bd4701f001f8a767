/**
 * The pledge flow of src/protocol/pledge against an in-memory CmpResponder (RFC 9483 §4, §4.4):
 * message sequence, template applied, polling with the transaction saved before every wait,
 * a restarted pledge resuming the saved transaction, transport failures retried, and a certificate
 * for another pledge never confirmed.
 */
import { expect } from 'chai';
import { createPublicKey } from 'node:crypto';
import { toHex } from '../../../src/core/bytes.ts';
import { StackError } from '../../../src/core/errors.ts';
import { seededRandom } from '../../../src/core/random.ts';
import {
  CMPCertificate,
  CaCertsValue,
  ID_IT_CA_CERTS,
  ID_IT_CERT_REQ_TEMPLATE,
  bodyTypeOf,
  decodePkiMessage,
  infoTypeAndValue,
  type InfoTypeAndValue,
  type PKIBodyType,
} from '../../../src/codec/cmp/index.ts';
import {
  OID_KP_CLIENT_AUTH,
  certificateDer,
  certificatePublicKey,
  issueCertificate,
  keyAlgorithmOf,
  readSubjectSerialNumber,
  samePublicKey,
  type Certificate,
} from '../../../src/pki/index.ts';
import {
  CmpResponder,
  MemoryTransactionStore,
  type CertRequestInfo,
  type CmpResponderPolicy,
  type IssueDecision,
} from '../../../src/protocol/cmp/index.ts';
import {
  enrollPledge,
  type PledgeCredentials,
  type PledgeEnrollmentOptions,
  type PledgeStateStore,
  type PledgeTransactionState,
} from '../../../src/protocol/pledge/index.ts';
import { certReqTemplate } from '../../../ca/policy.ts';
import { T0, drive, makeWorld, manualClockAt, rejection, type TestWorld } from '../cmp-protocol/helpers.ts';
import type { ManualClock } from '../../../src/core/clock.ts';

const HOUR = 3600 * 1000;

/** A CA that issues with the requester's serial number (or a given one), after `waitPolls` polls. */
class PledgeCaPolicy implements CmpResponderPolicy {
  waitPolls = 0;
  checkAfterSeconds = 5;
  serialOverride: string | undefined;
  template = true;
  readonly issued: Certificate[] = [];
  readonly confirmations: boolean[] = [];
  private readonly pending = new Map<string, { req: CertRequestInfo; polls: number }>();

  constructor(private readonly world: TestWorld) {}

  async issue(req: CertRequestInfo): Promise<IssueDecision> {
    if (this.waitPolls > 0) {
      this.pending.set(toHex(req.transactionId), { req, polls: 0 });
      return { kind: 'waiting', checkAfterSeconds: this.checkAfterSeconds };
    }
    return this.issueNow(req);
  }

  async poll(tid: Uint8Array): Promise<IssueDecision> {
    const p = this.pending.get(toHex(tid));
    if (!p) return { kind: 'rejected', failInfo: ['badRequest'], text: 'nothing pending' };
    if (++p.polls < this.waitPolls) return { kind: 'waiting', checkAfterSeconds: this.checkAfterSeconds };
    this.pending.delete(toHex(tid));
    return this.issueNow(p.req);
  }

  async confirm(_tid: Uint8Array, accepted: boolean): Promise<void> {
    this.confirmations.push(accepted);
  }

  async revoke() {
    return { ok: true } as const;
  }

  async generalInfo(oid: string): Promise<InfoTypeAndValue | undefined | 'unsupported'> {
    if (oid === ID_IT_CA_CERTS) {
      return infoTypeAndValue(ID_IT_CA_CERTS, new CaCertsValue([this.world.domainRoot.cert, this.world.domainCa.cert].map((c) => CMPCertificate.fromDer(certificateDer(c)))));
    }
    if (oid === ID_IT_CERT_REQ_TEMPLATE) {
      return this.template
        ? infoTypeAndValue(ID_IT_CERT_REQ_TEMPLATE, certReqTemplate({ subject: 'O=Domain, CN={serial}', keyType: 'P-384', eku: [OID_KP_CLIENT_AUTH] }))
        : undefined;
    }
    return 'unsupported';
  }

  private async issueNow(req: CertRequestInfo): Promise<IssueDecision> {
    const certificate = await issueCertificate({
      subject: `O=Domain, CN=LDevID, serialNumber=${this.serialOverride ?? req.requester.serialNumber}`,
      publicKey: createPublicKey({ key: Buffer.from(req.publicKeyDer), format: 'der', type: 'spki' }),
      issuerCertificate: this.world.domainCa.cert,
      signingKey: this.world.domainCa.keys.privateKey,
      notBefore: new Date(T0.getTime() - HOUR),
      notAfter: new Date(T0.getTime() + 1000 * HOUR),
    });
    this.issued.push(certificate);
    return { kind: 'issued', certificate, caPubs: [this.world.domainRoot.cert], extraCerts: [this.world.domainCa.cert] };
  }
}

class MemoryStateStore implements PledgeStateStore {
  state: PledgeTransactionState | undefined;
  readonly saves: PledgeTransactionState[] = [];
  finished: PledgeCredentials | undefined;
  clears = 0;
  async load() {
    return this.state;
  }
  async save(s: PledgeTransactionState) {
    this.saves.push(s);
    this.state = JSON.parse(JSON.stringify(s)) as PledgeTransactionState;
  }
  async clear() {
    this.clears++;
    this.state = undefined;
  }
  async finish(c: PledgeCredentials) {
    this.finished = c;
    this.state = undefined;
  }
}

interface Rig {
  readonly policy: PledgeCaPolicy;
  readonly clock: ManualClock;
  readonly store: MemoryStateStore;
  readonly sent: PKIBodyType[];
  /** Runs before the request reaches the CA (may throw: the request is lost). */
  intercept?: (type: PKIBodyType, n: number) => void;
  /** Runs after the CA answered (may throw: the answer is lost). */
  after?: (type: PKIBodyType, n: number) => void;
  options(o?: Partial<PledgeEnrollmentOptions>): PledgeEnrollmentOptions;
}

function rig(world: TestWorld): Rig {
  const clock = manualClockAt();
  const policy = new PledgeCaPolicy(world);
  const responder = new CmpResponder({
    signer: { privateKey: world.raCa.keys.privateKey, certificate: world.raCa.cert, chain: [world.raCa.cert, world.domainCa.cert] },
    trustAnchors: [world.mfgRoot.cert, world.domainRoot.cert],
    store: new MemoryTransactionStore(),
    policy,
    clock,
    random: seededRandom(7),
  });
  const store = new MemoryStateStore();
  const sent: PKIBodyType[] = [];
  const r: Rig = {
    policy,
    clock,
    store,
    sent,
    options: (o = {}) => ({
      identity: { serialNumber: 'PLEDGE-0001', privateKey: world.pledge.keys.privateKey, certificate: world.pledge.cert, chain: [world.pledge.cert, world.mfgCa.cert] },
      registrar: 'coap://registrar.test',
      transfer: async (der) => {
        const type = bodyTypeOf(decodePkiMessage(der));
        sent.push(type);
        r.intercept?.(type, sent.length);
        const rsp = await responder.handle(der);
        r.after?.(type, sent.length);
        return rsp;
      },
      trustAnchors: [world.domainRoot.cert],
      store,
      clock,
      random: seededRandom(11),
      retryBaseMs: 500,
      ...o,
    }),
  };
  return r;
}

describe('pledge: enrollment flow (RFC 9733 §5.1, RFC 9483 §4.1.1, §4.4)', function () {
  this.timeout(20_000);
  let world: TestWorld;
  before(async () => {
    world = await makeWorld();
  });

  it('genm caCerts → genm certReqTemplate → ir → certConf; template key type and subject applied; chain to the domain root', async () => {
    const r = rig(world);
    const res = await drive(r.clock, enrollPledge(r.options()));
    expect(r.sent).to.deep.equal(['genm', 'genm', 'ir', 'certConf']);
    expect(res.messages).to.deep.equal(r.sent);
    expect(res.keyAlgorithm).to.equal('P-384');
    expect(keyAlgorithmOf(res.privateKey)).to.equal('P-384');
    expect(samePublicKey(certificatePublicKey(res.certificate), createPublicKey(res.privateKey))).to.equal(true);
    expect(res.template?.subject?.map((a) => a.value)).to.deep.equal(['Domain', 'PLEDGE-0001']);
    expect(res.path.map((c) => c.subject)).to.deep.equal([res.certificate.subject, world.domainCa.cert.subject, world.domainRoot.cert.subject]);
    expect(readSubjectSerialNumber(res.certificate)).to.equal('PLEDGE-0001');
    expect(res.polls).to.equal(0);
    expect(res.resumed).to.equal(false);
    expect(r.policy.confirmations).to.deep.equal([true]);
    expect(r.store.finished?.certificate).to.equal(res.certificate);
    // Only ahead of certConf (nothing to wait for).
    expect(r.store.saves.map((x) => x.outstanding?.type)).to.deep.equal(['certConf']);
    expect(r.store.state).to.equal(undefined);
  });

  it('waiting: pollReq honouring checkAfter; the transaction is saved ahead of every pollReq and before every wait', async () => {
    const r = rig(world);
    r.policy.waitPolls = 3;
    r.policy.checkAfterSeconds = 7;
    const t0 = r.clock.now();
    const res = await drive(r.clock, enrollPledge(r.options()), 1000);
    expect(r.sent).to.deep.equal(['genm', 'genm', 'ir', 'pollReq', 'pollReq', 'pollReq', 'certConf']);
    expect(res.polls).to.equal(3);
    // Two waits of checkAfter (the first pollReq follows the waiting ip at once).
    expect(r.clock.now() - t0).to.be.at.least(14_000);
    // Ahead of each pollReq (with its bytes) and of certConf, and at the start of each wait.
    expect(r.store.saves.map((s) => s.outstanding?.type ?? 'wait')).to.deep.equal(['pollReq', 'wait', 'pollReq', 'wait', 'pollReq', 'certConf']);
    expect(r.store.saves.map((s) => s.cmp.polls)).to.deep.equal([1, 1, 2, 2, 3, 3]);
    // A wait saves the nonce of the answer just received: the next pollReq carries it.
    expect(r.store.saves[1]!.cmp.recipNonce).to.not.equal(r.store.saves[0]!.cmp.recipNonce);
    expect(r.store.saves[2]!.cmp.recipNonce).to.equal(r.store.saves[1]!.cmp.recipNonce);
    expect(r.store.saves.every((s) => s.cmp.transactionId === res.transactionId && s.serialNumber === 'PLEDGE-0001')).to.equal(true);
    expect(r.store.state).to.equal(undefined);
    expect(r.store.finished).to.not.equal(undefined);
  });

  it('a pledge killed while waiting resumes the same transaction with the saved key (no second ir, one certificate)', async () => {
    const r = rig(world);
    r.policy.waitPolls = 4;
    r.policy.checkAfterSeconds = 5;
    const abort = new AbortController();
    r.intercept = (type, n) => {
      if (type === 'pollReq' && n === 5) abort.abort(new StackError('ERR_COAP_CANCELLED', 'killed'));
    };
    const first = await rejection(drive(r.clock, enrollPledge(r.options({ signal: abort.signal }))));
    expect(first.message).to.equal('killed');
    const saved = r.store.state!;
    expect(saved).to.not.equal(undefined);
    expect(saved.cmp.polls).to.be.at.least(1);

    r.intercept = undefined;
    r.sent.length = 0;
    const res = await drive(r.clock, enrollPledge(r.options()));
    expect(res.resumed).to.equal(true);
    expect(r.sent.filter((t) => t === 'ir' || t === 'genm')).to.deep.equal([]);
    expect(r.sent[r.sent.length - 1]).to.equal('certConf');
    expect(res.transactionId).to.equal(saved.cmp.transactionId);
    expect(toHex(new Uint8Array(createPublicKey(res.privateKey).export({ format: 'der', type: 'spki' })))).to.equal(saved.cmp.publicKeySpki);
    expect(r.policy.issued).to.have.length(1);
  });

  it('killed after the CA answered a pollReq but before the answer arrived: the restarted pledge repeats those bytes and the nonce chain holds', async () => {
    const r = rig(world);
    r.policy.waitPolls = 3;
    r.policy.checkAfterSeconds = 2;
    const abort = new AbortController();
    let lost = 0;
    r.after = (type) => {
      if (type === 'pollReq' && lost === 0) {
        lost++;
        abort.abort(new StackError('ERR_COAP_CANCELLED', 'killed'));
        throw new StackError('ERR_COAP_CANCELLED', 'killed'); // the answer goes down with the pledge
      }
    };
    await rejection(drive(r.clock, enrollPledge(r.options({ signal: abort.signal }))));
    const saved = r.store.state!;
    expect(saved.outstanding?.type).to.equal('pollReq');

    r.after = undefined;
    r.sent.length = 0;
    const res = await drive(r.clock, enrollPledge(r.options()));
    expect(res.resumed).to.equal(true);
    expect(res.transactionId).to.equal(saved.cmp.transactionId);
    expect(r.sent).to.deep.equal(['pollReq', 'pollReq', 'pollReq', 'certConf']);
    expect(r.policy.issued).to.have.length(1);
  });

  it('killed with certConf under way (pkiConf lost): the restarted pledge repeats certConf and keeps the certificate', async () => {
    const r = rig(world);
    const abort = new AbortController();
    r.after = (type) => {
      if (type === 'certConf') {
        abort.abort(new StackError('ERR_COAP_CANCELLED', 'killed'));
        throw new StackError('ERR_COAP_CANCELLED', 'killed');
      }
    };
    await rejection(drive(r.clock, enrollPledge(r.options({ signal: abort.signal }))));
    const saved = r.store.state!;
    expect(saved.outstanding?.type).to.equal('certConf');
    expect(r.policy.confirmations).to.deep.equal([true]);

    r.after = undefined;
    r.sent.length = 0;
    const res = await drive(r.clock, enrollPledge(r.options()));
    expect(res.resumed).to.equal(true);
    expect(r.sent).to.deep.equal(['certConf']);
    expect(toHex(certificateDer(res.certificate))).to.equal((saved.outstanding as { certificate: string }).certificate);
    expect(r.policy.issued).to.have.length(1);
    expect(r.store.finished?.certificate).to.equal(res.certificate);
  });

  it('the CoAP exchange fails during polling: retried from the saved transaction after a backoff', async () => {
    const r = rig(world);
    r.policy.waitPolls = 3;
    r.policy.checkAfterSeconds = 2;
    let failed = 0;
    r.intercept = (type) => {
      if (type === 'pollReq' && failed < 2) {
        failed++;
        throw new StackError('ERR_COAP_TIMEOUT', 'no ACK from the registrar');
      }
    };
    const res = await drive(r.clock, enrollPledge(r.options()), 250);
    expect(res.retries).to.equal(2);
    expect(res.resumed).to.equal(true);
    expect(r.sent.filter((t) => t === 'ir')).to.have.length(1);
    expect(r.policy.issued).to.have.length(1);
  });

  it('without a template (genp value absent) the pledge uses P-256 and requests no subject', async () => {
    const r = rig(world);
    r.policy.template = false;
    const res = await drive(r.clock, enrollPledge(r.options()));
    expect(res.keyAlgorithm).to.equal('P-256');
    expect(res.template).to.deep.equal({ keyAlgorithm: 'P-256', keyFromTemplate: false });
  });

  it('a certificate naming another pledge is never confirmed; the saved transaction is dropped', async () => {
    const r = rig(world);
    r.policy.serialOverride = 'PLEDGE-0666';
    const e = await rejection(drive(r.clock, enrollPledge(r.options())));
    expect(e.code).to.equal('ERR_CERT_CHAIN');
    expect(e.message).to.match(/PLEDGE-0666/);
    expect(r.sent).to.deep.equal(['genm', 'genm', 'ir']);
    expect(r.policy.confirmations).to.deep.equal([]);
    expect(r.store.finished).to.equal(undefined);
    expect(r.store.clears).to.equal(1);
  });

  it('a rejected ir fails the pledge with the CA\'s reason', async () => {
    const r = rig(world);
    r.policy.issue = async () => ({ kind: 'rejected', failInfo: ['notAuthorized'], text: 'not in the inventory' });
    const e = await rejection(drive(r.clock, enrollPledge(r.options())));
    expect(e.code).to.equal('ERR_CMP_REJECTED');
    expect(e.message).to.match(/not in the inventory/);
  });

  it('gives up at the timeout while still waiting, and keeps the transaction (with the newest nonce) for the next run', async () => {
    const r = rig(world);
    r.policy.waitPolls = 100;
    r.policy.checkAfterSeconds = 3;
    const e = await rejection(drive(r.clock, enrollPledge(r.options({ timeoutMs: 10_000 }))));
    expect(e.details.reason).to.equal('poll-timeout');
    const kept = r.store.state!;
    expect(kept.cmp.polls).to.equal(r.sent.filter((t) => t === 'pollReq').length);
    // The next run goes on from there: its first pollReq is answered with the certificate.
    r.policy.waitPolls = 0;
    r.sent.length = 0;
    const res = await drive(r.clock, enrollPledge(r.options()));
    expect(res.resumed).to.equal(true);
    expect(r.sent).to.deep.equal(['pollReq', 'certConf']);
    expect(res.transactionId).to.equal(kept.cmp.transactionId);
  });
});
