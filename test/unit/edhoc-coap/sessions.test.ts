/**
 * The Responder's state a peer can grow: half-open sessions (message_2 sent, message_3 awaited)
 * are capped and expire by the injected clock (a ManualClock here), and connection identifiers
 * are allocated uniquely (RFC 9668 §4.1.2: not C_I, not another session's C_R, not the Recipient
 * ID of a registered OSCORE context), one-byte ones first.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { uintOption } from '../../../src/codec/coap/option-value.ts';
import { toHex } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { decodeErrorMessage, EDHOC_ERR_UNSPECIFIED, isOneByteInt } from '../../../src/protocol/edhoc/index.ts';
import { SecurityContext } from '../../../src/protocol/oscore/security-context.ts';
import { harness, openHalfway, x5chainCredential, type Harness } from './helpers.ts';

const LIFETIME_MS = 30_000;

function expectEdhocError(res: { code: number; options: readonly { number: number; value: Uint8Array }[]; payload: Uint8Array }, code: number, text: RegExp): void {
  expect(res.code).to.equal(code);
  expect(uintOption(res, Opt.CONTENT_FORMAT), 'CF 64').to.equal(ContentFormat.EDHOC_CBOR_SEQ);
  const m = decodeErrorMessage(res.payload);
  expect(m.code).to.equal(EDHOC_ERR_UNSPECIFIED);
  expect(String(m.info)).to.match(text);
}

function dummyContext(recipientId: Uint8Array): SecurityContext {
  return SecurityContext.derive({ masterSecret: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), senderId: Uint8Array.of(0xee, 0xee), recipientId });
}

describe('EDHOC resource: half-open sessions and connection identifiers', () => {
  let h: Harness;
  let clock: ManualClock;

  afterEach(() => h.close());

  describe('expiry (halfOpenLifetimeMs by the injected clock)', () => {
    beforeEach(async () => {
      clock = new ManualClock();
      h = await harness({ resourceClock: clock, resource: { halfOpenLifetimeMs: LIFETIME_MS } });
    });

    it('message_3 just before the lifetime ends completes the session', async () => {
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const s = await openHalfway(h, pledge);
      expect(h.edhoc.halfOpen).to.equal(1);
      clock.advance(LIFETIME_MS - 1);
      const res = await s.send3();
      expect(res.code).to.equal(Code.CHANGED);
      expect(h.serverContexts.size).to.equal(1);
      expect(h.edhoc.halfOpen).to.equal(0);
    });

    it('message_3 after the lifetime is answered 4.00 "unknown or expired" and makes no context', async () => {
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const s = await openHalfway(h, pledge);
      clock.advance(LIFETIME_MS);
      expect(h.edhoc.halfOpen, 'swept').to.equal(0);
      const res = await s.send3();
      expectEdhocError(res, Code.BAD_REQUEST, /unknown or expired/);
      expect(h.serverContexts.size).to.equal(0);
      expect(h.edhoc.stats.unknownSession).to.equal(1);
    });

    it('a session is completed at most once: a second, different message_3 for the same C_R finds none', async () => {
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const s = await openHalfway(h, pledge);
      expect((await s.send3()).code).to.equal(Code.CHANGED);
      // A fresh CoAP exchange (new MID and token), not a retransmission the dedup cache would answer.
      expectEdhocError(await s.send3(), Code.BAD_REQUEST, /unknown or expired/);
      expect(h.serverContexts.size).to.equal(1);
    });
  });

  describe('cap (maxHalfOpen)', () => {
    it('evict-oldest: a third session pushes out the first one', async () => {
      h = await harness({ resource: { maxHalfOpen: 2 } });
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const a = await openHalfway(h, pledge);
      const b = await openHalfway(h, pledge);
      const c = await openHalfway(h, pledge);
      expect(h.edhoc.halfOpen).to.equal(2);
      expect(h.edhoc.stats.evicted).to.equal(1);
      expectEdhocError(await a.send3(), Code.BAD_REQUEST, /unknown or expired/);
      expect((await b.send3()).code).to.equal(Code.CHANGED);
      expect((await c.send3()).code).to.equal(Code.CHANGED);
      expect(h.serverContexts.size).to.equal(2);
    });

    it("evict-oldest: an evicted session's C_R is not handed out again while its initiator may still send message_3", async () => {
      h = await harness({ resource: { maxHalfOpen: 2 } });
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const a = await openHalfway(h, pledge);
      const later = [];
      for (let i = 0; i < 40; i++) later.push(await openHalfway(h, pledge));
      const reused = later.filter((s) => toHex(s.connectionIdR) === toHex(a.connectionIdR));
      expect(reused, 'no newer session got the evicted C_R').to.have.length(0);
      const newest = later.at(-1)!;
      expectEdhocError(await a.send3(), Code.BAD_REQUEST, /unknown or expired/);
      expect((await newest.send3()).code, 'the late message_3 took out nothing').to.equal(Code.CHANGED);
    });

    it('refuse: message_1 beyond the cap is answered 5.03 with Max-Age and an EDHOC error; room frees up on completion', async () => {
      h = await harness({ resource: { maxHalfOpen: 2, whenFull: 'refuse', retryAfterS: 7 } });
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const a = await openHalfway(h, pledge);
      await openHalfway(h, pledge);
      const refused = await openHalfway(h, pledge);
      expectEdhocError(refused.message2Response, Code.SERVICE_UNAVAILABLE, /too many sessions/);
      expect(uintOption(refused.message2Response, Opt.MAX_AGE)).to.equal(7);
      expect(h.edhoc.stats.refused).to.equal(1);
      expect((await a.send3()).code).to.equal(Code.CHANGED);
      const d = await openHalfway(h, pledge);
      expect(d.message2Response.code).to.equal(Code.CHANGED);
      expect(h.edhoc.halfOpen).to.equal(2);
    });
  });

  describe('connection identifiers', () => {
    it('are unique across half-open sessions: the 48 compact one-byte values first, then other single bytes', async () => {
      h = await harness({ resource: { maxHalfOpen: 64 } });
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      const ids: Uint8Array[] = [];
      for (let i = 0; i < 52; i++) ids.push((await openHalfway(h, pledge, Uint8Array.of(0x40, i))).connectionIdR);
      expect(new Set(ids.map(toHex)).size, 'all distinct').to.equal(52);
      expect(ids.every((id) => id.length === 1)).to.equal(true);
      expect(ids.slice(0, 48).every((id) => isOneByteInt(id[0]!)), 'compact ones first').to.equal(true);
      expect(ids.slice(48).some((id) => isOneByteInt(id[0]!))).to.equal(false);
    });

    it('avoid C_I and the Recipient IDs of registered contexts; longer ones when every single byte is taken', async () => {
      h = await harness();
      const pledge = x5chainCredential(h.pkis.pki.pledges[0]!);
      // All compact identifiers but 0x05 are Recipient IDs already, and C_I is 0x05.
      for (let b = 0; b < 256; b++) if (isOneByteInt(b) && b !== 0x05) h.serverContexts.add(dummyContext(Uint8Array.of(b)));
      const s = await openHalfway(h, pledge, Uint8Array.of(0x05));
      expect(s.connectionIdR.length).to.equal(1);
      expect(isOneByteInt(s.connectionIdR[0]!), 'a non-compact single byte').to.equal(false);
      // Now every single byte is taken.
      for (let b = 0; b < 256; b++) if (!isOneByteInt(b) && b !== s.connectionIdR[0]) h.serverContexts.add(dummyContext(Uint8Array.of(b)));
      const t = await openHalfway(h, pledge, Uint8Array.of(0x05));
      expect(t.connectionIdR.length).to.equal(2);
      expect((await t.send3()).code).to.equal(Code.CHANGED);
      expect((await s.send3()).code).to.equal(Code.CHANGED);
    });
  });
});
