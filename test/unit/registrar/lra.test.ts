/**
 * The LRA's decisions as pure functions (src/protocol/registrar/lra.ts): where a pollReq or
 * certConf goes, and what an answer of the RA/CA does to the transaction. No store, no sockets.
 */
import { expect } from 'chai';
import { PKIMessage, PKIStatus, encodePkiMessage, nullDn } from '../../../src/codec/cmp/index.ts';
import { statusInfo } from '../../../src/protocol/cmp/failure.ts';
import {
  buildHeader,
  certConfBody,
  certResponseBody,
  errorBody,
  pkiConfBody,
  pollRepBody,
  pollReqBody,
} from '../../../src/protocol/cmp/message-builder.ts';
import { errorMessageBody, cmpFailure } from '../../../src/protocol/cmp/failure.ts';
import { phasesAccepting, routeFollowUp, upstreamEffect } from '../../../src/protocol/registrar/lra.ts';
import type { RegistrarTx } from '../../../src/store/registrar-state.ts';
import { generateKeyPairSync, issueCertificate } from '../../../src/pki/index.ts';
import type { PKIBody } from '../../../src/codec/cmp/index.ts';

const nonce = (n: number): Uint8Array => new Uint8Array(16).fill(n);
const TID = nonce(9);
const OURS = nonce(1);
const CAS = nonce(2);

function tx(over: Partial<RegistrarTx> = {}): RegistrarTx {
  return {
    transactionId: TID,
    requestType: 'ir',
    certReqId: 0,
    mode: 'held',
    phase: 'forwarding',
    pledgeSerial: 'PLEDGE-0001',
    peer: undefined,
    label: undefined,
    signerDer: new Uint8Array(1),
    requestDer: new Uint8Array(1),
    ourNonce: OURS,
    upstreamNonce: CAS,
    answerDer: undefined,
    outcome: undefined,
    certificateDer: undefined,
    implicitConfirm: false,
    upstreamCheckAfter: undefined,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

function msg(body: PKIBody, recipNonce?: Uint8Array, o: { implicitConfirm?: boolean } = {}): PKIMessage {
  return new PKIMessage({
    header: buildHeader({ sender: nullDn(), transactionId: TID, senderNonce: nonce(7), ...(recipNonce ? { recipNonce } : {}), ...(o.implicitConfirm ? { implicitConfirm: true } : {}) }),
    body,
  });
}

describe('registrar LRA decisions (pure)', () => {
  let cert: Awaited<ReturnType<typeof issueCertificate>>;
  before(async () => {
    const k = generateKeyPairSync('P-256');
    cert = await issueCertificate({ subject: 'CN=x', publicKey: k.publicKey, signingKey: k.privateKey });
  });

  describe('routeFollowUp (RFC 9483 §4.4: recipNonce tells whose message is answered)', () => {
    it('held: pollReq gets pollRep while pending, the delivery once answered', () => {
      expect(routeFollowUp(tx(), msg(pollReqBody(0), OURS), { localCertConf: false })).to.deep.equal({ kind: 'poll-pending' });
      expect(routeFollowUp(tx({ phase: 'waiting' }), msg(pollReqBody(0), OURS), { localCertConf: false }).kind).to.equal('poll-pending');
      expect(routeFollowUp(tx({ phase: 'answered' }), msg(pollReqBody(0), OURS), { localCertConf: false }).kind).to.equal('poll-deliver');
    });

    it('relayed: pollReq answering the CA goes to the CA; certConf too, or locally with --local-certconf', () => {
      const relayed = tx({ mode: 'relayed', phase: 'waiting' });
      expect(routeFollowUp(relayed, msg(pollReqBody(0), CAS), { localCertConf: false }).kind).to.equal('poll-relay');
      const delivered = tx({ mode: 'relayed', phase: 'delivered', outcome: 'issued' });
      const conf = msg(certConfBody({ certificate: cert, certReqId: 0 }).body, CAS);
      expect(routeFollowUp(delivered, conf, { localCertConf: false }).kind).to.equal('confirm-relay');
      expect(routeFollowUp(delivered, conf, { localCertConf: true })).to.deep.equal({ kind: 'confirm-local', upstream: 'pledge' });
    });

    it('held certConf is confirmed locally with the registrar\'s own certConf upstream', () => {
      const conf = msg(certConfBody({ certificate: cert, certReqId: 0 }).body, OURS);
      expect(routeFollowUp(tx({ phase: 'delivered', outcome: 'issued' }), conf, { localCertConf: false })).to.deep.equal({ kind: 'confirm-local', upstream: 'own' });
    });

    it('refuses unknown nonces, the CA nonce of a held transaction, second certConfs and polls after delivery', () => {
      const r = (t: RegistrarTx, m: PKIMessage): unknown => routeFollowUp(t, m, { localCertConf: false });
      expect(r(tx(), msg(pollReqBody(0), nonce(5)))).to.include({ kind: 'refuse', failInfo: 'badRecipientNonce' });
      expect(r(tx(), msg(pollReqBody(0)))).to.include({ kind: 'refuse', failInfo: 'badRecipientNonce' });
      expect(r(tx({ mode: 'held' }), msg(pollReqBody(0), CAS))).to.include({ failInfo: 'badRecipientNonce' });
      const conf = msg(certConfBody({ certificate: cert, certReqId: 0 }).body, OURS);
      expect(r(tx({ phase: 'confirming', outcome: 'issued' }), conf)).to.include({ failInfo: 'certConfirmed' });
      expect(r(tx({ phase: 'forwarding' }), conf)).to.include({ failInfo: 'badRequest' });
      expect(r(tx({ phase: 'delivered', outcome: 'issued' }), msg(pollReqBody(0), OURS))).to.include({ failInfo: 'badRequest' });
    });
  });

  describe('upstreamEffect', () => {
    const der = new Uint8Array([1]);
    it('waiting: held transactions poll after the default checkAfter, relayed ones leave polling to the pledge', () => {
      const waiting = msg(certResponseBody('ip', { certReqId: 0, status: statusInfo(PKIStatus.waiting) }), nonce(7));
      expect(upstreamEffect('ir', waiting, der, 'held', 5)).to.deep.include({ kind: 'waiting', pollAfterMs: 5000 });
      expect(upstreamEffect('ir', waiting, der, 'relayed', 5).pollAfterMs).to.equal(undefined);
      const rep = msg(pollRepBody(0, 3), nonce(7));
      expect(upstreamEffect('pollReq', rep, der, 'held', 5)).to.deep.include({ kind: 'waiting', pollAfterMs: 3000 });
    });

    it('issued: held → answered (delivered at the next poll); relayed → delivered, or closed when implicitly confirmed', () => {
      const ip = msg(certResponseBody('ip', { certReqId: 0, status: statusInfo(PKIStatus.accepted), certificate: cert }), nonce(7));
      const held = upstreamEffect('ir', ip, der, 'held', 5);
      expect(held.kind).to.equal('issued');
      expect(held.patch).to.deep.include({ phase: 'answered', outcome: 'issued', implicitConfirm: false });
      expect(held.close).to.equal(undefined);
      expect(upstreamEffect('ir', ip, der, 'relayed', 5).patch.phase).to.equal('delivered');
      const implicit = msg(ip.body, nonce(7), { implicitConfirm: true });
      expect(upstreamEffect('ir', implicit, der, 'relayed', 5)).to.deep.include({ close: 'issued' });
    });

    it('rejection and error: stored for delivery (held) or closing (relayed); pkiConf closes a certConf', () => {
      const rej = msg(certResponseBody('ip', { certReqId: 0, status: statusInfo(PKIStatus.rejection, 'no', ['notAuthorized']) }), nonce(7));
      expect(upstreamEffect('ir', rej, der, 'held', 5).patch).to.deep.include({ phase: 'answered', outcome: 'rejected' });
      expect(upstreamEffect('ir', rej, der, 'relayed', 5).close).to.equal('rejected');
      const err = msg(errorBody(errorMessageBody(cmpFailure('ERR_CMP_REJECTED', 'badRequest', 'bad'))), nonce(7));
      expect(upstreamEffect('ir', err, der, 'held', 5)).to.deep.include({ kind: 'error', text: 'bad' });
      expect(upstreamEffect('certConf', msg(pkiConfBody(), nonce(7)), der, 'held', 5)).to.deep.include({ kind: 'confirmed', close: 'issued' });
      expect(upstreamEffect('certConf', msg(pollReqBody(0), nonce(7)), der, 'held', 5).kind).to.equal('unexpected');
      expect(encodePkiMessage(rej).length).to.be.greaterThan(0);
    });

    it('accepts answers only in the phases that wait for them', () => {
      expect(phasesAccepting('ir')).to.deep.equal(['forwarding', 'waiting']);
      expect(phasesAccepting('pollReq')).to.deep.equal(['forwarding', 'waiting']);
      expect(phasesAccepting('certConf')).to.deep.equal(['delivered', 'confirming']);
    });
  });
});
