/**
 * The registrar as Local RA (RFC 9733 §5.1, RFC 9483 §4.4 and §5) over the in-memory CoAP
 * network, against an in-process CmpResponder as the RA/CA: online relay, offline holding,
 * polling before and after the answer, re-protected delivery, local certConf, refusals that never
 * reach the CA, idempotent retransmissions, CoAP-level refusals, bounds, restart, offline batches.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { uintOption } from '../../../src/codec/coap/option-value.ts';
import { parseLinks } from '../../../src/codec/link-format/link-format.ts';
import { bytesEqual } from '../../../src/core/bytes.ts';
import {
  CaCertsValue,
  ID_IT_CA_CERTS,
  PKIStatus,
  decodeInfoValue,
  decodePkiMessage,
  encodePkiMessage,
  encodePkiMessages,
  decodePkiMessages,
  type PKIMessage,
} from '../../../src/codec/cmp/index.ts';
import { verifyChain, type TestPki } from '../../../src/pki/index.ts';
import { hasImplicitConfirm } from '../../../src/protocol/cmp/message-builder.ts';
import { CmpClient } from '../../../src/protocol/cmp/client.ts';
import { generateKeyPairSync } from '../../../src/pki/index.ts';
import {
  FakeUpstream,
  certificateOf,
  contentFormatOf,
  failInfoOfAnswer,
  makePki,
  makeWorld,
  newTempDir,
  statusOf,
  TestPledge,
  type World,
} from './harness.ts';
import type { TempDir } from '../../helpers/files.ts';

describe('registrar LRA over CoAP (RFC 9733 §5.1, RFC 9482)', function () {
  this.timeout(30_000);
  let dir: TempDir;
  let base: { dir: TempDir; pki: TestPki; foreign: TestPki };
  let w: World;

  before(async () => {
    dir = newTempDir();
    base = { dir, ...(await makePki(dir)) };
  });
  after(() => dir?.remove());
  afterEach(async () => {
    await w?.close();
  });

  const ra = (): string => base.pki.domain.raCa.certificate.subject;
  const registrar = (): string => base.pki.domain.registrar.certificate.subject;
  const signer = (a: { by: { kind: string; certificate?: { subject: string } } }): string | undefined => a.by.certificate?.subject;

  describe('online', () => {
    it('relays ir → ip and certConf → pkiConf unchanged, wrapped in nested messages signed by the registrar', async () => {
      w = await makeWorld(base);
      const p = w.pledge(0);
      const ir = p.ir();
      const ip = await p.send(ir.der);
      expect(ip.type).to.equal('ip');
      expect(contentFormatOf(ip.res)).to.equal(ContentFormat.PKIXCMP);
      expect(signer(ip), 'the CA protected the relayed answer').to.equal(ra());
      expect(bytesEqual(ip.msg.header.recipNonce!, ir.msg.header.senderNonce!)).to.equal(true);
      const cert = certificateOf(ip.msg);
      const conf = await p.send(p.certConf(ir.tid, ip.msg.header.senderNonce!, cert).der);
      expect(conf.type).to.equal('pkiconf');
      expect(signer(conf)).to.equal(ra());
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[certConf]']);
      // The outer message is the registrar's; the inner one is the pledge's, byte for byte.
      const outer = decodePkiMessage(w.upstream.sent[0]!.der);
      expect(outer.extraCerts![0]!.certificate.tbsCertificate.subject).to.not.equal(undefined);
      expect(bytesEqual(encodePkiMessage(outer.body.nested![0]!), ir.der)).to.equal(true);
      expect(bytesEqual(outer.header.transactionID!, ir.tid)).to.equal(true);
      expect(bytesEqual(outer.header.senderNonce!, ir.msg.header.senderNonce!)).to.equal(true);
      expect(w.upstream.policy.confirmations).to.have.length(1);
      const tx = w.service.store.state.getTx(ir.tid)!;
      expect(tx).to.deep.include({ mode: 'relayed', phase: 'closed', outcome: 'issued' });
      expect(w.service.store.journal.transaction(ir.tid).map((r) => [r.step, r.state])).to.deep.equal([['ir', 'confirmed']]);
    });

    it('relays implicit confirmation and the label of the path', async () => {
      w = await makeWorld(base);
      const p = w.pledge(1);
      const ir = p.ir({ implicitConfirm: true });
      const ip = await p.send(ir.der, ['.well-known', 'cmp', 'p', 'site-a']);
      expect(hasImplicitConfirm(ip.msg.header)).to.equal(true);
      expect(w.upstream.sent[0]!.label).to.equal('site-a');
      expect(w.service.store.state.getTx(ir.tid)).to.deep.include({ phase: 'closed', label: 'site-a' });
    });

    it('relays a waiting CA (manual approval): pollReq goes through to the CA until it issues', async () => {
      w = await makeWorld(base);
      w.upstream.policy.manual = true;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      expect(statusOf(waiting.msg)).to.equal(PKIStatus.waiting);
      expect(signer(waiting)).to.equal(ra());
      const rep = await p.send(p.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      expect(rep.type).to.equal('pollRep');
      expect(signer(rep)).to.equal(ra());
      w.upstream.policy.approveAll();
      const ip = await p.send(p.pollReq(ir.tid, rep.msg.header.senderNonce!).der);
      expect(ip.type).to.equal('ip');
      expect(signer(ip)).to.equal(ra());
      const conf = await p.send(p.certConf(ir.tid, ip.msg.header.senderNonce!, certificateOf(ip.msg)).der);
      expect(conf.type).to.equal('pkiconf');
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[pollReq]', 'nested[pollReq]', 'nested[certConf]']);
    });

    it('with --local-certconf acknowledges certConf itself and confirms upstream through the outbox', async () => {
      w = await makeWorld(base, { localCertConf: true });
      const p = w.pledge(0);
      const ir = p.ir();
      const ip = await p.send(ir.der);
      const conf = await p.send(p.certConf(ir.tid, ip.msg.header.senderNonce!, certificateOf(ip.msg)).der);
      expect(conf.type).to.equal('pkiconf');
      expect(signer(conf), 'pkiConf by the registrar').to.equal(registrar());
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]']);
      expect(w.service.store.state.getTx(ir.tid)!.phase).to.equal('confirming');
      const report = await w.service.ra.runOutbox();
      expect(report).to.deep.include({ attempted: 1, answered: 1 });
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[certConf]']);
      expect(w.upstream.policy.confirmations.map((c) => c.accepted)).to.deep.equal([true]);
      expect(w.service.store.state.getTx(ir.tid)!.phase).to.equal('closed');
      expect(w.service.store.journal.transaction(ir.tid).map((r) => r.state)).to.deep.equal(['confirmed', 'confirmed']);
    });

    it('answers genm caCerts from its cache, filled from the CA, also while the CA is offline', async () => {
      w = await makeWorld(base);
      expect(await w.service.ra.refreshCache()).to.equal(true);
      w.upstream.online = false;
      const p = w.pledge(0);
      const sent = w.upstream.sent.length;
      const genp = await p.send(p.genm([ID_IT_CA_CERTS]).der);
      expect(genp.type).to.equal('genp');
      expect(signer(genp)).to.equal(registrar());
      const certs = decodeInfoValue(genp.msg.body.genp![0]!, CaCertsValue)!;
      expect(certs.length).to.equal(2);
      expect(w.upstream.sent.length).to.equal(sent);
    });
  });

  describe('offline: held transactions', () => {
    it('answers waiting, serves pollReq with pollRep, then delivers the CA answer re-protected and confirms upstream', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      expect(waiting.type).to.equal('ip');
      expect(statusOf(waiting.msg)).to.equal(PKIStatus.waiting);
      expect(signer(waiting), 'waiting answered by the registrar').to.equal(registrar());
      expect(bytesEqual(waiting.msg.header.recipNonce!, ir.msg.header.senderNonce!)).to.equal(true);
      // Committed before the answer, queued for the outbox.
      const row = w.service.store.journal.find(ir.tid, 'ir')!;
      expect(row.state).to.equal('received');
      expect(row.attempts).to.equal(1);
      expect(w.service.store.state.getTx(ir.tid)).to.deep.include({ mode: 'held', phase: 'forwarding' });

      // Poll before the answer: pollRep with the configured checkAfter.
      const rep1 = await p.send(p.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      expect(rep1.type).to.equal('pollRep');
      expect(rep1.msg.body.pollRep![0]!.checkAfter).to.equal(7);
      expect(signer(rep1)).to.equal(registrar());

      // The CA comes back; the outbox forwards after the backoff.
      w.upstream.online = true;
      expect((await w.service.ra.runOutbox()).attempted, 'not yet due').to.equal(0);
      w.clock.advance(1000);
      expect(await w.service.ra.runOutbox()).to.deep.include({ attempted: 1, answered: 1 });
      expect(w.service.store.state.getTx(ir.tid)).to.deep.include({ mode: 'held', phase: 'answered', outcome: 'issued' });

      // Poll after the answer: a new ip, protected by the registrar, answering this pollReq.
      const poll2 = p.pollReq(ir.tid, rep1.msg.header.senderNonce!);
      const ip = await p.send(poll2.der);
      expect(ip.type).to.equal('ip');
      expect(signer(ip), 're-protected by the registrar').to.equal(registrar());
      expect(bytesEqual(ip.msg.header.recipNonce!, poll2.msg.header.senderNonce!)).to.equal(true);
      const cert = certificateOf(ip.msg);
      expect(cert.publicKey).to.not.equal(undefined);
      const rep = ip.msg.body.ip!;
      expect(rep.caPubs!.map((c) => c.der.length)).to.have.length(1);
      const extra = ip.msg.extraCerts!.map((c) => c.der);
      const issuing = base.pki.domain.issuingCa.certificate;
      expect(extra.some((d) => bytesEqual(d, new Uint8Array(issuing.rawData))), 'CA chain in extraCerts').to.equal(true);
      verifyChain(cert, [issuing], [base.pki.domain.rootCa.certificate]);

      // certConf: acknowledged by the registrar, its own certConf goes upstream.
      const conf = await p.send(p.certConf(ir.tid, ip.msg.header.senderNonce!, cert).der);
      expect(conf.type).to.equal('pkiconf');
      expect(signer(conf)).to.equal(registrar());
      expect(w.service.store.state.getTx(ir.tid)!.phase).to.equal('confirming');
      expect(await w.service.ra.runOutbox()).to.deep.include({ attempted: 1, answered: 1 });
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[certConf]']);
      const ownConf = decodePkiMessage(w.upstream.sent[1]!.der).body.nested![0]!;
      expect(ownConf.header.sender.directoryName).to.not.equal(undefined);
      expect(w.upstream.policy.confirmations.map((c) => c.accepted)).to.deep.equal([true]);
      expect(w.service.store.state.getTx(ir.tid)!.phase).to.equal('closed');
      expect(w.service.store.journal.transaction(ir.tid).map((r) => [r.step, r.state])).to.deep.equal([
        ['ir', 'confirmed'],
        ['certConf', 'confirmed'],
      ]);
    });

    it('passes a negative certConf upstream: the CA hears the refusal', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      w.upstream.online = true;
      w.clock.advance(1000);
      await w.service.ra.runOutbox();
      const ip = await p.send(p.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      const conf = await p.send(p.certConf(ir.tid, ip.msg.header.senderNonce!, certificateOf(ip.msg), false).der);
      expect(conf.type).to.equal('pkiconf');
      await w.service.ra.runOutbox();
      expect(w.upstream.policy.confirmations.map((c) => c.accepted)).to.deep.equal([false]);
    });

    it('polls a waiting CA itself and delivers once the CA issues', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      w.upstream.policy.manual = true;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      w.upstream.online = true;
      w.clock.advance(1000);
      await w.service.ra.runOutbox();
      expect(w.service.store.state.getTx(ir.tid)).to.deep.include({ mode: 'held', phase: 'waiting' });
      const poll = w.service.store.journal.find(ir.tid, 'pollReq')!;
      expect(poll.state).to.equal('received');
      const rep = await p.send(p.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      expect(rep.type).to.equal('pollRep');
      w.clock.advance(7000);
      await w.service.ra.runOutbox(); // the registrar's pollReq: still waiting (pollRep from the CA)
      w.upstream.policy.approveAll();
      w.clock.advance(1000);
      await w.service.ra.runOutbox(); // the next pollReq: issued
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[pollReq]', 'nested[pollReq]']);
      expect(w.service.store.state.getTx(ir.tid)!.phase).to.equal('answered');
      const ip = await p.send(p.pollReq(ir.tid, rep.msg.header.senderNonce!).der);
      expect(ip.type).to.equal('ip');
      expect(signer(ip)).to.equal(registrar());
    });

    it('takes over a relayed transaction when the CA goes away between polls', async () => {
      w = await makeWorld(base);
      w.upstream.policy.manual = true;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      expect(signer(waiting)).to.equal(ra());
      w.upstream.online = false;
      const poll = p.pollReq(ir.tid, waiting.msg.header.senderNonce!);
      const rep = await p.send(poll.der);
      expect(rep.type).to.equal('pollRep');
      expect(signer(rep), 'the registrar answers now').to.equal(registrar());
      expect(w.service.store.state.getTx(ir.tid)!.mode).to.equal('held');
      // The pledge's own pollReq goes upstream later; then the registrar polls on its own.
      w.upstream.online = true;
      w.upstream.policy.approveAll();
      w.clock.advance(1000);
      await w.service.ra.runOutbox();
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[pollReq]']);
      const forwardedPoll = encodePkiMessage(decodePkiMessage(w.upstream.sent[1]!.der).body.nested![0]!);
      expect(bytesEqual(forwardedPoll, poll.der), 'the pledge\'s own pollReq went upstream').to.equal(true);
      const ip = await p.send(p.pollReq(ir.tid, rep.msg.header.senderNonce!).der);
      expect(ip.type).to.equal('ip');
      expect(signer(ip)).to.equal(registrar());
    });

    it('recovers from a lost CA answer: the retry gets the CA\'s stored answer, no second certificate', async () => {
      w = await makeWorld(base);
      w.upstream.loseAnswers = true;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      expect(signer(waiting)).to.equal(registrar());
      expect(w.upstream.policy.issued).to.have.length(1);
      w.upstream.loseAnswers = false;
      w.clock.advance(1000);
      await w.service.ra.runOutbox();
      expect(w.upstream.policy.issued, 'issued once').to.have.length(1);
      const ip = await p.send(p.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      expect(ip.type).to.equal('ip');
    });

    it('survives a restart: the journal answers the next poll and the outbox resumes', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      w = await w.restart();
      const p2 = new TestPledge(w, base.pki.pledges[0]!);
      const rep = await p2.send(p2.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      expect(rep.type).to.equal('pollRep');
      w.upstream.online = true;
      w.clock.advance(2000);
      await w.service.ra.runOutbox();
      const ip = await p2.send(p2.pollReq(ir.tid, rep.msg.header.senderNonce!).der);
      expect(ip.type).to.equal('ip');
      // The same retransmitted request bytes get the same answer after the restart too.
      const again = await p2.send(ir.der);
      expect(bytesEqual(again.der, waiting.der)).to.equal(true);
    });
  });

  describe('with the CMP client of the library', () => {
    it('enrolls offline: waiting, polls on checkAfter, certificate once the CA is back, certConf acknowledged', async () => {
      w = await makeWorld(base, { checkAfterSeconds: 1 });
      w.upstream.online = false;
      const pledgeCred = base.pki.pledges[2]!;
      const client = new CmpClient({
        transfer: async (der) => {
          const res = await w.post(der);
          if (res.code !== Code.CHANGED) throw new Error(`CoAP ${res.code}`);
          return res.payload;
        },
        credentials: { kind: 'signature', privateKey: pledgeCred.privateKey, certificate: pledgeCred.certificate, chain: pledgeCred.chain },
        trustAnchors: [base.pki.domain.rootCa.certificate],
        clock: w.clock,
      });
      const newKey = generateKeyPairSync('P-256').privateKey;
      const done = client.enroll({ kind: 'ir', newKey, subject: 'CN=client pledge' });
      let polls = 0;
      // Drive the client's clock; after two polls the CA comes back and the outbox runs.
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setImmediate(r));
        const tx = w.service.store.state.recentTx(1)[0];
        if (tx && tx.phase === 'closed') break;
        if (w.clock.pending > 0) {
          w.clock.advance(1000);
          polls++;
        }
        if (polls === 2 && !w.upstream.online) {
          w.upstream.online = true;
          await w.service.ra.runOutbox();
        }
      }
      const result = await done;
      expect(result.implicitConfirmGranted).to.equal(false);
      expect(result.responder.kind === 'signature' && result.responder.certificate.subject).to.equal(registrar());
      expect(result.chain.length).to.be.greaterThan(1);
      await w.service.ra.runOutbox();
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]', 'nested[certConf]']);
      expect(w.service.store.state.recentTx(1)[0]!.phase).to.equal('closed');
    });
  });

  describe('refusals', () => {
    it('refuses a forged signature (badMessageCheck) and never forwards it', async () => {
      w = await makeWorld(base);
      const p = w.pledge(0);
      const ir = p.ir();
      const forged = decodePkiMessage(ir.der);
      const sig = new Uint8Array(forged.protection!.value);
      sig[sig.length - 5]! ^= 0x40;
      forged.protection!.value = sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength);
      const a = await p.send(encodePkiMessage(forged));
      expect(a.type).to.equal('error');
      expect(failInfoOfAnswer(a.msg)).to.deep.equal(['badMessageCheck']);
      expect(signer(a)).to.equal(registrar());
      expect(w.upstream.sent).to.have.length(0);
      expect(w.service.store.journal.counts().received + w.service.store.journal.counts().confirmed).to.equal(0);
    });

    it('refuses an IDevID of another manufacturer (signerNotTrusted) and a pledge not on the allow list (notAuthorized)', async () => {
      w = await makeWorld(base);
      const stranger = new TestPledge(w, base.foreign.pledges[0]!);
      const a = await stranger.send(stranger.ir().der);
      expect(failInfoOfAnswer(a.msg)).to.deep.equal(['signerNotTrusted']);
      const unlisted = w.pledge(3);
      const b = await unlisted.send(unlisted.ir().der);
      expect(failInfoOfAnswer(b.msg)).to.deep.equal(['notAuthorized']);
      expect(w.upstream.sent).to.have.length(0);
    });

    it('answers retransmissions with the same bytes and refuses other bytes under a used transactionID', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      const p = w.pledge(0);
      const ir = p.ir();
      const [a, b] = await Promise.all([p.send(ir.der), p.send(ir.der)]);
      const c = await p.send(ir.der);
      expect(bytesEqual(a.der, b.der) && bytesEqual(a.der, c.der)).to.equal(true);
      expect(w.service.store.journal.transaction(ir.tid)).to.have.length(1);
      const other = p.ir({ transactionId: ir.tid });
      const d = await p.send(other.der);
      expect(failInfoOfAnswer(d.msg)).to.deep.equal(['transactionIdInUse']);
      // Online now: still one request reaches the CA.
      w.upstream.online = true;
      w.clock.advance(1000);
      await w.service.ra.runOutbox();
      expect(w.upstream.sentTypes()).to.deep.equal(['nested[ir]']);
    });

    it('refuses a pollReq answering a stale nonce (badRecipientNonce) and a certConf with a wrong certHash (badCertId)', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      const bad = await p.send(p.pollReq(ir.tid, new Uint8Array(16)).der);
      expect(failInfoOfAnswer(bad.msg)).to.deep.equal(['badRecipientNonce']);
      w.upstream.online = true;
      w.clock.advance(1000);
      await w.service.ra.runOutbox();
      const ip = await p.send(p.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      const wrongCert = base.pki.domain.registrar.certificate;
      const conf = await p.send(p.certConf(ir.tid, ip.msg.header.senderNonce!, wrongCert).der);
      expect(failInfoOfAnswer(conf.msg)).to.deep.equal(['badCertId']);
    });

    it('refuses follow-ups signed by another pledge than the requester (signerNotTrusted)', async () => {
      w = await makeWorld(base);
      w.upstream.online = false;
      const p = w.pledge(0);
      const ir = p.ir();
      const waiting = await p.send(ir.der);
      const other = w.pledge(1);
      const a = await other.send(other.pollReq(ir.tid, waiting.msg.header.senderNonce!).der);
      expect(a.type).to.equal('error');
      expect(failInfoOfAnswer(a.msg)).to.deep.equal(['signerNotTrusted']);
    });

    it('answers systemUnavail when the journal holds too many open requests of a pledge', async () => {
      w = await makeWorld(base, { maxOpenPerPledge: 1 });
      w.upstream.online = false;
      const p = w.pledge(0);
      expect((await p.send(p.ir().der)).type).to.equal('ip');
      const b = await p.send(p.ir().der);
      expect(failInfoOfAnswer(b.msg)).to.deep.equal(['systemUnavail']);
    });

    it('answers garbage and truncated DER with badDataFormat inside 2.04', async () => {
      w = await makeWorld(base);
      const p = w.pledge(0);
      const garbage = await p.send(new Uint8Array(300).fill(0x5a));
      expect(failInfoOfAnswer(garbage.msg)).to.deep.equal(['badDataFormat']);
      const ir = p.ir();
      const truncated = await p.send(ir.der.subarray(0, ir.der.length - 10));
      expect(failInfoOfAnswer(truncated.msg)).to.deep.equal(['badDataFormat']);
      expect(w.upstream.sent).to.have.length(0);
    });
  });

  describe('CoAP resource (RFC 9482)', () => {
    it('answers 4.00 empty, 4.13 oversized (Size1), 4.15 other formats, 4.05 other methods, 4.04 other paths', async () => {
      w = await makeWorld(base, { maxBodyBytes: 4096 });
      expect((await w.post(new Uint8Array(0))).code).to.equal(Code.BAD_REQUEST);
      const big = await w.post(new Uint8Array(5000).fill(1));
      expect(big.code).to.equal(Code.REQUEST_ENTITY_TOO_LARGE);
      expect(uintOption(big, Opt.SIZE1)).to.equal(4096);
      const bigOneDatagram = await w.post(new Uint8Array(5000).fill(1), { blockSize: 1024 });
      expect(bigOneDatagram.code).to.equal(Code.REQUEST_ENTITY_TOO_LARGE);
      expect((await w.post(new Uint8Array(10), { cf: ContentFormat.OCTET_STREAM })).code).to.equal(Code.UNSUPPORTED_CONTENT_FORMAT);
      expect((await w.post(new Uint8Array(10), { cf: null })).code).to.equal(Code.UNSUPPORTED_CONTENT_FORMAT);
      expect((await w.post(new Uint8Array(0), { method: Code.GET, cf: null })).code).to.equal(Code.METHOD_NOT_ALLOWED);
      expect((await w.post(new Uint8Array(10), { path: ['.well-known', 'cmp', 'p'] })).code).to.equal(Code.NOT_FOUND);
      expect((await w.post(new Uint8Array(10), { path: ['.well-known', 'cmpx'] })).code).to.equal(Code.NOT_FOUND);
    });

    it('accepts /.well-known/cmp/<operation> and /p/<label>/<operation>, and lists rt="ace.cmp";ct=259', async () => {
      w = await makeWorld(base, { label: 'site-b' });
      const p = w.pledge(0);
      const a = await p.send(p.ir().der, ['.well-known', 'cmp', 'initialization']);
      expect(a.type).to.equal('ip');
      expect(w.upstream.sent[0]!.label, 'the configured label wins').to.equal('site-b');
      const b = await p.send(p.ir({ kind: 'cr' }).der, ['.well-known', 'cmp', 'p', 'x', 'certification']);
      expect(b.type).to.equal('cp');
      const core = await w.post(new Uint8Array(0), { path: ['.well-known', 'core'], method: Code.GET, cf: null });
      const links = parseLinks(Buffer.from(core.payload).toString());
      const cmp = links.find((l) => l.href === '/.well-known/cmp')!;
      expect(cmp.attrs).to.deep.include({ rt: 'ace.cmp', ct: 259 });
      expect(links.some((l) => l.href === '/.well-known/cmp/p/site-b')).to.equal(true);
    });
  });

  describe('offline transfer (export / import)', () => {
    it('exports pending requests as registrar-signed nested messages and imports the CA answers by transactionID', async () => {
      w = await makeWorld(base, { label: 'site-a' });
      w.upstream.online = false;
      const pledges = [w.pledge(0), w.pledge(1)];
      const irs = pledges.map((p) => p.ir());
      const waits: PKIMessage[] = [];
      for (const [i, p] of pledges.entries()) waits.push((await p.send(irs[i]!.der)).msg);
      const { der, rows } = w.service.ra.exportBatch();
      expect(rows.map((r) => r.step)).to.deep.equal(['ir', 'ir']);
      const batch = decodePkiMessages(der);
      // The technician carries the file to the CA: every message through the CA's responder.
      const ca = new FakeUpstream(base.pki);
      const answers = [];
      for (const m of batch) answers.push(decodePkiMessage(await ca.responder.handle(encodePkiMessage(m), { label: 'site-a' })));
      const report = await w.service.ra.importBatch(encodePkiMessages(answers));
      expect(report).to.deep.include({ messages: 2, recorded: 2, unmatched: 0 });
      expect((await w.service.ra.importBatch(encodePkiMessages(answers))).duplicates, 'importing twice changes nothing').to.equal(2);
      for (const [i, p] of pledges.entries()) {
        const ip = await p.send(p.pollReq(irs[i]!.tid, waits[i]!.header.senderNonce!).der);
        expect(ip.type).to.equal('ip');
        expect(signer(ip)).to.equal(registrar());
        const conf = await p.send(p.certConf(irs[i]!.tid, ip.msg.header.senderNonce!, certificateOf(ip.msg)).der);
        expect(conf.type).to.equal('pkiconf');
      }
      // The confirmations go by the next batch.
      const second = w.service.ra.exportBatch();
      expect(second.rows.map((r) => r.step)).to.deep.equal(['certConf', 'certConf']);
      const confAnswers = [];
      for (const m of decodePkiMessages(second.der)) confAnswers.push(decodePkiMessage(await ca.responder.handle(encodePkiMessage(m))));
      expect((await w.service.ra.importBatch(encodePkiMessages(confAnswers))).recorded).to.equal(2);
      expect(ca.policy.confirmations.map((c) => c.accepted)).to.deep.equal([true, true]);
      for (const ir of irs) expect(w.service.store.state.getTx(ir.tid)!.phase).to.equal('closed');
      expect(w.service.ra.exportBatch().rows).to.have.length(0);
      // Journal and transactions agree: nothing open, every row confirmed.
      expect(w.service.store.journal.counts()).to.deep.equal({ received: 0, forwarded: 0, answered: 0, confirmed: 4, failed: 0 });
      expect(w.service.store.state.countTx()).to.deep.include({ closed: 2, forwarding: 0, waiting: 0, answered: 0, delivered: 0, confirming: 0 });
    });
  });
});
