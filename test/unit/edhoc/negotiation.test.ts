/**
 * Cipher suite selection (RFC 9528 §5.2.2, §5.2.3, §6.3): the Responder answers error code 2 with
 * SUITES_R when the selected suite is not the first of SUITES_I it supports; the Initiator
 * retries with its most preferred suite among SUITES_R, listing the more preferred ones before it.
 */
import { expect } from 'chai';
import { toHex } from '../../../src/core/bytes.ts';
import { InitiatorStart, ResponderStart, decodeMessage1, type EdhocMethod } from '../../../src/protocol/edhoc/index.ts';
import { edhocErrorOf, keyKinds, publicPart, rpkCredential } from './helpers.ts';

function finish(start: InitiatorStart, responder: ResponderStart, method: EdhocMethod) {
  const [ki, kr] = keyKinds(method, start.suite.id);
  const credI = rpkCredential(ki, 1);
  const credR = rpkCredential(kr, 2);
  const waitM2 = start.prepareMessage1();
  const waitM3 = responder.processMessage1(waitM2.message1).prepareMessage2({ credential: credR });
  const iDone = waitM2.parseMessage2(waitM3.message2).verifyMessage2(publicPart(credR)).prepareMessage3(credI);
  const rDone = waitM3.parseMessage3(iDone.message3).verifyMessage3(publicPart(credI));
  return { waitM2, iDone, rDone };
}

describe('EDHOC cipher suite negotiation', () => {
  it('wrong selected suite → error 2 (SUITES_R) → retry with [preferred…, selected] succeeds', () => {
    const responder = new ResponderStart({ suites: [2] });
    const first = new InitiatorStart({ method: 0, suites: [0, 2] });
    expect(first.suitesI).to.deep.equal([0]);
    const wait1 = first.prepareMessage1();
    const answer = edhocErrorOf(() => responder.processMessage1(wait1.message1));
    expect(answer.reply).to.deep.equal({ code: 2, info: 2 });
    expect(toHex(answer.replyMessage!)).to.equal('0202');
    const surfaced = edhocErrorOf(() => wait1.parseMessage2(answer.replyMessage!));
    expect(surfaced.suitesR).to.deep.equal([2]);
    const retry = wait1.retryWithSuitesR(surfaced);
    expect(retry.suitesI).to.deep.equal([0, 2]);
    const r = finish(retry, responder, 0);
    expect(decodeMessage1(r.waitM2.message1).suitesI).to.deep.equal([0, 2]);
    expect(r.iDone.suite.id).to.equal(2);
    expect(toHex(r.iDone.exportPrkOut())).to.equal(toHex(r.rDone.exportPrkOut()));
  });

  it('a suite preferred by the Initiator and supported by the Responder must be selected (SUITES_R names it)', () => {
    const responder = new ResponderStart({ suites: [2, 3] });
    const start = new InitiatorStart({ method: 3, suites: [3, 2], selectedSuite: 2 });
    expect(start.suitesI).to.deep.equal([3, 2]);
    const wait = start.prepareMessage1();
    const answer = edhocErrorOf(() => responder.processMessage1(wait.message1));
    expect(answer.reply).to.deep.equal({ code: 2, info: 3 });
    const retry = wait.retryWithSuitesR(edhocErrorOf(() => wait.parseMessage2(answer.replyMessage!)));
    expect(retry.suitesI).to.deep.equal([3]);
    expect(finish(retry, responder, 3).iDone.suite.id).to.equal(3);
  });

  it('no supported suite in SUITES_I: SUITES_R lists all the Responder supports', () => {
    const responder = new ResponderStart({ suites: [2, 3] });
    const wait = new InitiatorStart({ method: 3, suites: [0, 1] }).prepareMessage1();
    const answer = edhocErrorOf(() => responder.processMessage1(wait.message1));
    expect(answer.reply).to.deep.equal({ code: 2, info: [2, 3] });
    const surfaced = edhocErrorOf(() => wait.parseMessage2(answer.replyMessage!));
    expect(surfaced.suitesR).to.deep.equal([2, 3]);
    expect(() => wait.retryWithSuitesR(surfaced)).to.throw(/no cipher suite in common/);
  });

  it('the selected suite as first supported is accepted without negotiation', () => {
    const responder = new ResponderStart({ suites: [0, 2] });
    const r = finish(new InitiatorStart({ method: 3, suites: [6, 2], selectedSuite: 2 }), responder, 3);
    expect(r.iDone.suite.id).to.equal(2);
  });

  it('configuration is validated once', () => {
    expect(() => new InitiatorStart({ method: 0, suites: [] })).to.throw(/at least one cipher suite/);
    expect(() => new InitiatorStart({ method: 0, suites: [24] })).to.throw(/not implemented/);
    expect(() => new InitiatorStart({ method: 0, suites: [2], selectedSuite: 3 })).to.throw(/not among/);
    expect(() => new InitiatorStart({ method: 7 as EdhocMethod, suites: [2] })).to.throw(/method/);
    expect(() => new ResponderStart({ suites: [] })).to.throw(/at least one/);
  });
});
