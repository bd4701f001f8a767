/** RFC 8613 §7.4 replay window (RFC 6347 §4.1.2.6 sliding window), alone and through verifyRequest. */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { protectRequest, verifyRequest } from '../../../src/protocol/oscore/message-protection.ts';
import type { CoapParts } from '../../../src/protocol/oscore/plaintext.ts';
import { ReplayWindow } from '../../../src/protocol/oscore/replay-window.ts';
import { clientContext, serverContext, str } from './helpers.ts';

describe('OSCORE replay window (RFC 8613 §7.4)', () => {
  it('RFC 8613 §3.2.2: is 32 wide by default', () => {
    expect(new ReplayWindow().size).to.equal(32);
  });

  it('rejects a replay inside the window', () => {
    const w = new ReplayWindow();
    for (const s of [0, 1, 2, 5]) w.accept(s);
    expect(w.check(2)).to.equal('replay');
    expect(w.check(5)).to.equal('replay');
    expect(w.check(3)).to.equal('fresh');
    expect(() => w.accept(5)).to.throw().that.satisfies((e: unknown) => isStackError(e, 'ERR_OSCORE_REPLAY'));
  });

  it('rejects a number older than the window even if never seen', () => {
    const w = new ReplayWindow(32);
    w.accept(100);
    expect(w.check(68), '100 - 68 = 32: outside').to.equal('too-old');
    expect(w.check(69), '100 - 69 = 31: inside').to.equal('fresh');
    expect(w.check(0)).to.equal('too-old');
  });

  it('accepts out-of-order numbers once each', () => {
    const w = new ReplayWindow();
    w.accept(10);
    w.accept(7);
    w.accept(9);
    expect(w.check(7)).to.equal('replay');
    expect(w.check(9)).to.equal('replay');
    expect(w.check(8)).to.equal('fresh');
    w.accept(8);
    expect(w.check(8)).to.equal('replay');
    expect(w.highest).to.equal(10);
  });

  it('keeps the record when sliding, and forgets it past the window', () => {
    const w = new ReplayWindow(4);
    w.accept(1);
    w.accept(3);
    w.accept(4);
    expect(w.check(1)).to.equal('replay');
    expect(w.check(2)).to.equal('fresh');
    w.accept(5); // window now covers 2..5
    expect(w.check(1)).to.equal('too-old');
    expect(w.check(2)).to.equal('fresh');
    expect(w.check(3)).to.equal('replay');
    w.accept(100); // a jump clears everything below 97
    expect(w.check(97)).to.equal('fresh');
    expect(w.check(96)).to.equal('too-old');
  });

  it('is configurable and validated', () => {
    expect(new ReplayWindow(1).size).to.equal(1);
    expect(() => new ReplayWindow(0)).to.throw(/replay window size/);
    expect(() => serverContext({ replayWindow: 0 })).to.throw(/replay window size/);
    expect(serverContext({ replayWindow: 64 }).replayWindow.size).to.equal(64);
  });

  describe('through verifyRequest', () => {
    const get = (path: string): CoapParts => ({ code: Code.GET, options: [str(Opt.URI_PATH, path)], payload: new Uint8Array(0) });

    function setup(window?: number): { client: ReturnType<typeof clientContext>; registry: SecurityContextRegistry } {
      return { client: clientContext(), registry: new SecurityContextRegistry().add(serverContext(window === undefined ? {} : { replayWindow: window })) };
    }

    it('answers a replayed request with 4.01 "Replay detected"', () => {
      const { client, registry } = setup();
      const { message } = protectRequest(client, get('a'));
      verifyRequest(registry, message);
      try {
        verifyRequest(registry, message);
        expect.fail('replay accepted');
      } catch (e) {
        expect(isStackError(e, 'ERR_OSCORE_REPLAY')).to.equal(true);
        expect((e as { details: { answer: unknown } }).details.answer).to.deep.equal({ kind: 'response', code: Code.UNAUTHORIZED, payload: 'Replay detected' });
      }
    });

    it('accepts reordered requests once each and refuses them after the window moved on', () => {
      const { client, registry } = setup(4);
      const msgs = Array.from({ length: 8 }, (_, i) => protectRequest(client, get(`r${i}`)).message);
      verifyRequest(registry, msgs[3]!);
      verifyRequest(registry, msgs[1]!);
      verifyRequest(registry, msgs[2]!);
      expect(() => verifyRequest(registry, msgs[2]!)).to.throw(/replay/);
      verifyRequest(registry, msgs[7]!); // window 4..7
      expect(() => verifyRequest(registry, msgs[0]!)).to.throw(/too-old/);
      verifyRequest(registry, msgs[4]!);
    });

    it('moves only when decryption succeeds', () => {
      const { client, registry } = setup();
      const { message } = protectRequest(client, get('a'));
      const forged = { ...message, payload: message.payload.map((b, i) => (i === 0 ? b ^ 1 : b)) };
      expect(() => verifyRequest(registry, forged)).to.throw(/does not verify/);
      const { request } = verifyRequest(registry, message);
      expect(request.code).to.equal(Code.GET);
    });
  });
});
