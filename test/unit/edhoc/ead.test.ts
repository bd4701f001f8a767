/**
 * External Authorization Data (RFC 9528 §3.8): items reach the application, padding (label 0) is
 * dropped, and an unknown critical item (negative label) fails the session with error code 1.
 */
import { expect } from 'chai';
import { toHex } from '../../../src/core/bytes.ts';
import { encodeEad, InitiatorStart, ResponderStart } from '../../../src/protocol/edhoc/index.ts';
import { edhocErrorOf, handshake, publicPart, rpkCredential } from './helpers.ts';

describe('EDHOC EAD items', () => {
  it('EAD_1..EAD_4 reach the application; padding is discarded; understood critical items pass', () => {
    const credI = rpkCredential('P-256', 1);
    const credR = rpkCredential('P-256', 2);
    const r = handshake({
      initiator: { method: 3, suites: [2], ead1: [{ label: 0, value: new Uint8Array(5) }, { label: 7, value: Uint8Array.of(1) }], understoodEad: [9] },
      responder: { suites: [2], understoodEad: [8] },
      credI,
      credR,
      ead2: [{ label: 9, value: Uint8Array.of(2) }, { label: 0 }],
      ead3: [{ label: -8, value: Uint8Array.of(3) }],
      ead4: [{ label: 11 }],
    });
    expect(r.pm1.ead1).to.deep.equal([{ label: 7, value: Uint8Array.of(1) }]);
    expect(r.pm2.ead2).to.deep.equal([{ label: 9, value: Uint8Array.of(2) }]);
    expect(r.pm3.ead3).to.deep.equal([{ label: -8, value: Uint8Array.of(3) }]);
    expect(r.ead4).to.deep.equal([{ label: 11 }]);
  });

  it('EAD items encode as label, optional bstr value (RFC 9528 §3.8.1 padding examples)', () => {
    expect(toHex(encodeEad([{ label: 0 }]))).to.equal('00');
    expect(toHex(encodeEad([{ label: 0, value: new Uint8Array(0) }]))).to.equal('0040');
    expect(toHex(encodeEad([{ label: 0, value: Uint8Array.of(0xe9) }]))).to.equal('0041e9');
  });

  it('an unknown critical item in EAD_1 → the Responder answers error code 1', () => {
    const wait = new InitiatorStart({ method: 3, suites: [2], ead1: [{ label: -5, value: Uint8Array.of(1) }] }).prepareMessage1();
    const err = edhocErrorOf(() => new ResponderStart({ suites: [2] }).processMessage1(wait.message1));
    expect(err.reply).to.deep.equal({ code: 1, info: 'unsupported critical EAD item -5' });
    expect(err.details.eadLabel).to.equal(-5);
    // The same item without the minus sign is not critical and is simply passed on.
    const ok = new InitiatorStart({ method: 3, suites: [2], ead1: [{ label: 5, value: Uint8Array.of(1) }] }).prepareMessage1();
    expect(new ResponderStart({ suites: [2] }).processMessage1(ok.message1).ead1).to.deep.equal([{ label: 5, value: Uint8Array.of(1) }]);
  });

  it('an unknown critical item in EAD_2 → the Initiator fails parseMessage2 with error code 1 to send', () => {
    const credR = rpkCredential('P-256', 2);
    const wait = new InitiatorStart({ method: 3, suites: [2] }).prepareMessage1();
    const waitM3 = new ResponderStart({ suites: [2] }).processMessage1(wait.message1).prepareMessage2({ credential: credR, ead2: [{ label: -40 }] });
    const err = edhocErrorOf(() => wait.parseMessage2(waitM3.message2));
    expect(err.reply?.code).to.equal(1);
  });

  it('an unknown critical item in EAD_3 → the Responder fails parseMessage3 with error code 1 to send', () => {
    const credI = rpkCredential('P-256', 1);
    const credR = rpkCredential('P-256', 2);
    const wait = new InitiatorStart({ method: 3, suites: [2] }).prepareMessage1();
    const waitM3 = new ResponderStart({ suites: [2] }).processMessage1(wait.message1).prepareMessage2({ credential: credR });
    const iDone = wait.parseMessage2(waitM3.message2).verifyMessage2(publicPart(credR)).prepareMessage3(credI, { ead3: [{ label: -3 }] });
    const err = edhocErrorOf(() => waitM3.parseMessage3(iDone.message3));
    expect(err.reply).to.deep.equal({ code: 1, info: 'unsupported critical EAD item -3' });
  });
});
