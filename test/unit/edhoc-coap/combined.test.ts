/**
 * RFC 9668 §3: message_3 carried in the first OSCORE request (EDHOC option 21, payload
 * message_3 ‖ OSCORE ciphertext), so that EDHOC and the first protected exchange take two round
 * trips; the server has `[blockwise, edhoc.combinedLayer(), oscore]`. Also message_4 in the
 * sequential flow, and the refusals RFC 9668 asks for.
 */
import { expect } from 'chai';
import { decodeBlockOption } from '../../../src/codec/coap/block-option.ts';
import { decodeMessage, type CoapMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { findOption } from '../../../src/codec/coap/option-value.ts';
import { fromUtf8 } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { EDHOC_ERR_UNSPECIFIED, EdhocError } from '../../../src/protocol/edhoc/index.ts';
import type { Datagram } from '../../../src/transport/memory.ts';
import { harness, sha256, type Harness } from './helpers.ts';

/** Requests that start an exchange: no Block1 past block 0, no Block2 follow-up. */
function initialRequests(seen: readonly Datagram[]): CoapMessage[] {
  return seen
    .filter((d) => d.to.address === '10.0.0.1')
    .map((d) => decodeMessage(d.data))
    .filter((m) => m.code !== 0 && m.code < 32)
    .filter((m) => {
      const b1 = findOption(m, Opt.BLOCK1);
      const b2 = findOption(m, Opt.BLOCK2);
      return (!b1 || decodeBlockOption(b1, Opt.BLOCK1).num === 0) && (!b2 || decodeBlockOption(b2, Opt.BLOCK2).num === 0);
    });
}

describe('EDHOC + OSCORE combined request (RFC 9668)', () => {
  let h: Harness;
  let seen: Datagram[];

  afterEach(() => h.close());

  describe('with the combined layer on the server', () => {
    beforeEach(async () => {
      h = await harness({ combinedLayer: true });
      seen = [];
      h.net.tap = (d) => void seen.push(d);
    });

    it('message_1, then message_3 + a 2 KB protected POST: two exchanges, the handler sees the pledge', async () => {
      const est = await h.establish(h.pkis.pki.pledges[2]!, { combined: true });
      expect(est.pending).to.equal(true);
      expect(h.serverContexts.size, 'the registrar has no context before message_3').to.equal(0);
      const body = seededRandom(9).bytes(2048);
      const res = await est.request(h.echo(body));
      expect(res.code).to.equal(Code.CHANGED);
      expect(fromUtf8(res.payload)).to.equal(`PLEDGE-0003 ${sha256(body)}`);
      expect(est.pending).to.equal(false);
      const initial = initialRequests(seen);
      expect(initial.length, 'EDHOC request + EDHOC+OSCORE request').to.equal(2);
      const combined = initial[1]!;
      expect(findOption(combined, Opt.EDHOC), 'EDHOC option, empty').to.deep.equal(new Uint8Array(0));
      expect(findOption(combined, Opt.OSCORE)).to.not.equal(undefined);
      expect(combined.payload[0]! >> 5, 'COMB_PAYLOAD starts with message_3, a byte string').to.equal(2);
      expect(h.edhoc.stats).to.include({ established: 1, combined: 1 });
      expect(h.serverContexts.size).to.equal(1);
      // Later requests are plain OSCORE requests.
      const before = seen.length;
      const next = await est.request(h.echo(Uint8Array.of(1)));
      expect(fromUtf8(next.payload).split(' ')[0]).to.equal('PLEDGE-0003');
      expect(initialRequests(seen.slice(before)).every((m) => findOption(m, Opt.EDHOC) === undefined)).to.equal(true);
    });

    it('two requests issued at once: the second waits for the combined one', async () => {
      const est = await h.establish(undefined, { combined: true });
      const [a, b] = await Promise.all([est.request(h.echo(Uint8Array.of(1))), est.request(h.echo(Uint8Array.of(2)))]);
      expect([a.code, b.code]).to.deep.equal([Code.CHANGED, Code.CHANGED]);
      expect(h.edhoc.stats.combined).to.equal(1);
    });

    it('an untrusted IDevID: the combined request is answered with EDHOC error 1, unprotected, and no context', async () => {
      const est = await h.establish(h.pkis.foreign.pledges[0]!, { combined: true });
      try {
        await est.request(h.echo(Uint8Array.of(1)));
        expect.fail('resolved');
      } catch (e) {
        expect(e, String(e)).to.be.instanceOf(EdhocError);
        expect((e as EdhocError).received?.code).to.equal(EDHOC_ERR_UNSPECIFIED);
        expect((e as EdhocError).details).to.include({ responseCode: Code.BAD_REQUEST });
      }
      expect(h.serverContexts.size).to.equal(0);
      expect(h.clientContexts.size, 'the client dropped its context too').to.equal(0);
    });

    it('an EDHOC option without message_3 in front is answered 4.00', async () => {
      const est = await h.establish(undefined, { combined: true });
      // A regular protected request, with the EDHOC option added by hand.
      const { protectRequest } = await import('../../../src/protocol/oscore/message-protection.ts');
      const { message } = protectRequest(est.context, { code: Code.POST, options: h.echo(Uint8Array.of(1)).options, payload: Uint8Array.of(1) });
      const res = await h.client.request({
        ...h.echo(Uint8Array.of(1)),
        method: message.code,
        options: [...message.options, { number: Opt.EDHOC, value: new Uint8Array(0) }].sort((x, y) => x.number - y.number),
        payload: message.payload,
      });
      expect(res.code).to.equal(Code.BAD_REQUEST);
      expect(h.serverContexts.size).to.equal(0);
    });
  });

  it('a server without the combined layer refuses the EDHOC option as an unknown critical option (4.02)', async () => {
    h = await harness();
    const est = await h.establish(undefined, { combined: true });
    try {
      await est.request(h.echo(Uint8Array.of(1)));
      expect.fail('resolved');
    } catch (e) {
      expect(isStackError(e, 'ERR_COAP_RESPONSE'), String(e)).to.equal(true);
      expect((e as { details: { responseCode: number } }).details.responseCode).to.equal(Code.BAD_OPTION);
    }
  });

  describe('with message_4 (sendMessage4)', () => {
    beforeEach(async () => {
      h = await harness({ combinedLayer: true, resource: { sendMessage4: true } });
    });

    it('the sequential flow ends with message_4, which the Initiator processes', async () => {
      const est = await h.establish();
      const res = await est.request(h.echo(Uint8Array.of(3)));
      expect(fromUtf8(res.payload).split(' ')[0]).to.equal('PLEDGE-0001');
    });

    it('the combined request is refused (RFC 9668 §3.3.1 step 4) and no context is made', async () => {
      const est = await h.establish(undefined, { combined: true });
      try {
        await est.request(h.echo(Uint8Array.of(1)));
        expect.fail('resolved');
      } catch (e) {
        expect(e, String(e)).to.be.instanceOf(EdhocError);
        expect((e as EdhocError).received?.code).to.equal(EDHOC_ERR_UNSPECIFIED);
      }
      expect(h.serverContexts.size).to.equal(0);
    });
  });
});
