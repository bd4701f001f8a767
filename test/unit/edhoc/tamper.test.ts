/**
 * Integrity: any change to message_2, message_3 or message_4 is detected (RFC 9528 §5: the
 * transcript hashes and MACs / signatures / AEAD cover every byte), with an EdhocError that
 * carries the error message to send.
 */
import { expect } from 'chai';
import { isStackError } from '../../../src/core/errors.ts';
import { EdhocError, InitiatorStart, localCredential, ResponderStart, x509Credential, type EdhocMethod } from '../../../src/protocol/edhoc/index.ts';
import { hierarchy, publicPart, rpkCredential } from './helpers.ts';

function flipped(b: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const c = Uint8Array.from(b);
  c[i]! ^= mask;
  return c;
}

async function setup(method: EdhocMethod) {
  const h = await hierarchy();
  const sig = method === 0;
  const credI = sig ? localCredential(x509Credential(h.initiator.cert), h.initiator.keys.privateKey) : rpkCredential('P-256', 1);
  const credR = sig ? localCredential(x509Credential(h.responder.cert), h.responder.keys.privateKey) : rpkCredential('P-256', 2);
  return { credI, credR };
}

/** Runs the Initiator's processing of (a possibly altered) message_2 to the end. */
function initiatorSide(method: EdhocMethod, credI: ReturnType<typeof rpkCredential>, credR: ReturnType<typeof rpkCredential>) {
  const waitM2 = new InitiatorStart({ method, suites: [2] }).prepareMessage1();
  const waitM3 = new ResponderStart({ suites: [2] }).processMessage1(waitM2.message1).prepareMessage2({ credential: credR });
  return { waitM2, waitM3, finish: (m2: Uint8Array) => waitM2.parseMessage2(m2).verifyMessage2(publicPart(credR)).prepareMessage3(credI) };
}

function expectDetected(f: () => unknown, what: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `${what} was accepted`).to.be.instanceOf(EdhocError);
  expect(isStackError(err, 'ERR_EDHOC')).to.equal(true);
  expect((err as EdhocError).reply?.code, `${what}: an error message to send`).to.equal(1);
}

describe('EDHOC tampering is detected', () => {
  for (const method of [0, 3] as EdhocMethod[]) {
    it(`method ${method}: every single-bit change of message_2 fails parseMessage2 or verifyMessage2`, async () => {
      const { credI, credR } = await setup(method);
      for (let i = 1; i < 60; i++) {
        const { waitM2, waitM3 } = initiatorSide(method, credI, credR);
        const m2 = waitM3.message2;
        if (i >= m2.length) break;
        expectDetected(() => waitM2.parseMessage2(flipped(m2, i)).verifyMessage2(publicPart(credR)), `message_2 byte ${i}`);
      }
    });

    it(`method ${method}: a changed message_3 fails parseMessage3 (AEAD), a changed message_4 fails processMessage4`, async () => {
      const { credI, credR } = await setup(method);
      for (const pick of [() => 1, () => 2, (n: number) => Math.floor(n / 2), (n: number) => n - 1]) {
        // Each forged message_3 aborts its session, so every attempt gets a session of its own.
        const { waitM3, finish } = initiatorSide(method, credI, credR);
        const m3 = finish(waitM3.message2).message3;
        const i = pick(m3.length);
        expectDetected(() => waitM3.parseMessage3(flipped(m3, i)), `message_3 byte ${i}`);
        expect(waitM3.used, 'the aborted session is spent').to.equal(true);
      }
      const { waitM3, finish } = initiatorSide(method, credI, credR);
      const iDone = finish(waitM3.message2);
      const rDone = waitM3.parseMessage3(iDone.message3).verifyMessage3(publicPart(credI));
      const m4 = rDone.prepareMessage4();
      expectDetected(() => iDone.processMessage4(flipped(m4, m4.length - 1)), 'message_4');
    });
  }

  it('a message_3 from another session does not verify', async () => {
    const { credI, credR } = await setup(3);
    const a = initiatorSide(3, credI, credR);
    const b = initiatorSide(3, credI, credR);
    const iDoneA = a.finish(a.waitM3.message2);
    expectDetected(() => b.waitM3.parseMessage3(iDoneA.message3), 'replayed message_3');
  });

  it('a Signature_or_MAC_3 made with the wrong key does not verify', async () => {
    const { credI, credR } = await setup(3);
    const { waitM3, finish } = initiatorSide(3, credI, credR);
    const iDone = finish(waitM3.message2);
    const pm3 = waitM3.parseMessage3(iDone.message3);
    const impostor = rpkCredential('P-256', 1);
    expectDetected(() => pm3.verifyMessage3(publicPart(impostor)), 'MAC_3 with another static key');
  });
});

