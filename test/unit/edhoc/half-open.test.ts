/**
 * Half-open Responder sessions (message_2 sent, message_3 awaited) are plain values: no timers,
 * sockets or callbacks, so the caller bounds and expires them with its own table — here the
 * stack's ExpiringMap driven by a ManualClock — and a session that was dropped simply no longer
 * exists. Every state allows one transition only.
 */
import { expect } from 'chai';
import { toHex } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { ExpiringMap } from '../../../src/protocol/coap/expiring-map.ts';
import { InitiatorStart, ResponderStart, ResponderWaitM3, type InitiatorWaitM2 } from '../../../src/protocol/edhoc/index.ts';
import { publicPart, rpkCredential } from './helpers.ts';

const LIFETIME_MS = 30_000;
const CAP = 64;

describe('EDHOC half-open Responder state', () => {
  const credI = rpkCredential('P-256', 1);
  const credR = rpkCredential('P-256', 2);
  const responder = new ResponderStart({ suites: [2] });

  function open(n: number): { initiator: InitiatorWaitM2; state: ResponderWaitM3 } {
    const initiator = new InitiatorStart({ method: 3, suites: [2], connectionId: Uint8Array.of(0xf0) }).prepareMessage1();
    const state = responder.processMessage1(initiator.message1).prepareMessage2({ credential: credR, connectionId: Uint8Array.of(n >> 8, n & 0xff) });
    return { initiator, state };
  }

  it('holds only data: no timers or handles appear, no function-valued fields', () => {
    const before = process.getActiveResourcesInfo().length;
    const states = Array.from({ length: 50 }, (_, i) => open(i).state);
    expect(process.getActiveResourcesInfo().length).to.equal(before);
    for (const s of states) {
      for (const [k, v] of Object.entries(s)) expect(typeof v, `field ${k}`).to.not.equal('function');
      expect(s.used).to.equal(false);
    }
  });

  it('a caller bounds and expires them by C_R; a dropped session cannot be completed', () => {
    const clock = new ManualClock();
    const table = new ExpiringMap<string, ResponderWaitM3>(LIFETIME_MS, CAP);
    const initiators = new Map<string, InitiatorWaitM2>();
    for (let i = 0; i < 100; i++) {
      const { initiator, state } = open(i);
      const key = toHex(state.connectionIdR);
      table.set(key, state, clock.now());
      initiators.set(key, initiator);
      clock.advance(100);
    }
    expect(table.size, 'bounded').to.equal(CAP);
    const evictedKey = toHex(Uint8Array.of(0, 0));
    expect(table.get(evictedKey, clock.now()), 'the oldest sessions were evicted').to.equal(undefined);

    const liveKey = toHex(Uint8Array.of(0, 99));
    const live = table.get(liveKey, clock.now())!;
    expect(live).to.be.instanceOf(ResponderWaitM3);
    const iDone = initiators.get(liveKey)!.parseMessage2(live.message2).verifyMessage2(publicPart(credR)).prepareMessage3(credI);
    const done = live.parseMessage3(iDone.message3).verifyMessage3(publicPart(credI));
    expect(toHex(done.exportPrkOut())).to.equal(toHex(iDone.exportPrkOut()));
    table.delete(liveKey);

    clock.advance(LIFETIME_MS);
    table.sweep(clock.now());
    expect(table.size, 'all expired').to.equal(0);
    expect(table.get(toHex(Uint8Array.of(0, 98)), clock.now())).to.equal(undefined);
  });

  it('every state takes one transition only (message_3 is processed once per session)', () => {
    const { initiator, state } = open(1);
    const pm2 = initiator.parseMessage2(state.message2);
    expect(() => initiator.parseMessage2(state.message2)).to.throw(/already been used/);
    const iDone = pm2.verifyMessage2(publicPart(credR)).prepareMessage3(credI);
    state.parseMessage3(iDone.message3);
    expect(() => state.parseMessage3(iDone.message3)).to.throw(/already been used/);
    const start = new InitiatorStart({ method: 3, suites: [2] });
    start.prepareMessage1();
    expect(() => start.prepareMessage1()).to.throw(/already been used/);
  });
});
