/**
 * Properties of OSCORE (fast-check):
 * (a) the OSCORE option decoder returns a value or throws one StackError (ERR_COAP_BAD_OPTION
 *     with a 4.02 answer), and whatever decodes re-encodes to the same bytes;
 * (b) verifyRequest / verifyResponse / decodePlaintext on random and on mutated protected
 *     messages throw only StackError, and no mutation of the OSCORE option or ciphertext verifies;
 * (c) a live server ([blockwise, oscore]) answers random protected garbage with 4.xx, each CON
 *     once, and keeps serving the real client afterwards.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { CoapOption } from '../../src/codec/coap/message.ts';
import { Code, codeClass } from '../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../src/codec/coap/numbers/options.ts';
import { CON } from '../../src/codec/coap/numbers/types.ts';
import { pathOptions } from '../../src/codec/coap/uri.ts';
import { fromHex, toHex } from '../../src/core/bytes.ts';
import { isStackError } from '../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../src/protocol/oscore/context-registry.ts';
import { protectRequest, protectResponse, verifyRequest, verifyResponse } from '../../src/protocol/oscore/message-protection.ts';
import { decodeOscoreOption, encodeOscoreOption } from '../../src/protocol/oscore/oscore-option.ts';
import { decodePlaintext, type CoapParts } from '../../src/protocol/oscore/plaintext.ts';
import { SecurityContext } from '../../src/protocol/oscore/security-context.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../src/stack/endpoint.ts';
import { response } from '../../src/stack/exchange.ts';
import { OscoreLayer, withOscore } from '../../src/stack/oscore-layer.ts';
import { Router } from '../../src/stack/router.ts';
import { MemoryNetwork } from '../../src/transport/memory.ts';
import { RawPeer, settle } from '../unit/lockstep/raw-peer.ts';

const SECRET = fromHex('0102030405060708090a0b0c0d0e0f10');
const client = (): SecurityContext => SecurityContext.derive({ masterSecret: SECRET, senderId: Uint8Array.of(0xc1), recipientId: Uint8Array.of(0x5e) });
const server = (): SecurityContext => SecurityContext.derive({ masterSecret: SECRET, senderId: Uint8Array.of(0x5e), recipientId: Uint8Array.of(0xc1) });

function onlyStackErrors<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!isStackError(e)) throw e;
    return undefined;
  }
}

/** OSCORE option values shaped like real ones (plausible flags and kid 0xc1) or random. */
const oscoreValueArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.record({ n: fc.integer({ min: 0, max: 7 }), h: fc.boolean(), piv: fc.uint8Array({ maxLength: 7 }), ctx: fc.uint8Array({ maxLength: 9 }), kid: fc.constantFrom(Uint8Array.of(0xc1), new Uint8Array(0), Uint8Array.of(1, 2)) }).map(
    ({ n, h, piv, ctx, kid }) => Uint8Array.from([n | 0x08 | (h ? 0x10 : 0), ...piv.subarray(0, n), ...(h ? [ctx.length, ...ctx] : []), ...kid]),
  ),
);

const outerOptionsArb: fc.Arbitrary<CoapOption[]> = fc
  .array(fc.record({ number: fc.constantFrom(1, 3, 6, 7, 11, 12, 14, 23, 27, 28, 60, 258, 2049), value: fc.uint8Array({ maxLength: 6 }) }), { maxLength: 4 })
  .map((o) => o.sort((a, b) => a.number - b.number));

const garbageArb = fc.record({ code: fc.integer({ min: 1, max: 31 }), options: outerOptionsArb, oscore: oscoreValueArb, payload: fc.uint8Array({ maxLength: 120 }) });

const toParts = (g: { code: number; options: CoapOption[]; oscore: Uint8Array; payload: Uint8Array }): CoapParts => ({
  code: g.code,
  options: [...g.options, { number: Opt.OSCORE, value: g.oscore }].sort((a, b) => a.number - b.number),
  payload: g.payload,
});

describe('fuzz: OSCORE', () => {
  it('(a) the option decoder throws only StackError, and decode/encode round-trips', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), oscoreValueArb), (bytes) => {
        try {
          const v = decodeOscoreOption(bytes);
          expect(toHex(encodeOscoreOption(v))).to.equal(toHex(bytes));
        } catch (e) {
          if (!isStackError(e, 'ERR_COAP_BAD_OPTION')) throw e;
          expect(e.details.answer?.code).to.equal(Code.BAD_OPTION);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('(b) decodePlaintext and verifyRequest throw only StackError on random input', () => {
    const registry = new SecurityContextRegistry().add(server());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), garbageArb, (pt, g) => {
        onlyStackErrors(() => decodePlaintext(pt));
        const r = onlyStackErrors(() => verifyRequest(registry, toParts(g)));
        expect(r, 'random bytes verified').to.equal(undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it("(b) no mutation of a protected request's OSCORE option or ciphertext, or of a response, verifies", () => {
    const c = client();
    const original: CoapParts = { code: Code.POST, options: [...pathOptions('/est/sen'), { number: Opt.CONTENT_FORMAT, value: Uint8Array.of(60) }], payload: fromHex('a10102') };
    fc.assert(
      fc.property(
        fc.record({ which: fc.constantFrom('oscore', 'payload'), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }), cut: fc.nat({ max: 3 }), extra: fc.uint8Array({ maxLength: 3 }) }),
        ({ which, at, mask, cut, extra }) => {
          const registry = new SecurityContextRegistry().add(server());
          const { message, binding } = protectRequest(c, original);
          const mutate = (b: Uint8Array): Uint8Array => {
            const m = Uint8Array.from([...b.subarray(0, Math.max(0, b.length - cut)), ...extra]);
            if (m.length > 0) m[at % m.length]! ^= mask;
            return m;
          };
          const oscore = message.options.find((o) => o.number === Opt.OSCORE)!.value;
          const tampered: CoapParts =
            which === 'oscore'
              ? { ...message, options: message.options.map((o) => (o.number === Opt.OSCORE ? { number: o.number, value: mutate(oscore) } : o)) }
              : { ...message, payload: mutate(message.payload) };
          expect(onlyStackErrors(() => verifyRequest(registry, tampered)), `tampered ${which} verified`).to.equal(undefined);
          // The genuine message still verifies, and a tampered response never does.
          const good = onlyStackErrors(() => verifyRequest(new SecurityContextRegistry().add(server()), message));
          expect(good, 'the untouched message verifies').to.not.equal(undefined);
          const res = protectResponse(good!.binding, { code: Code.CHANGED, options: [], payload: Uint8Array.of(7) });
          const badRes = { ...res, payload: mutate(res.payload) };
          expect(onlyStackErrors(() => verifyResponse(binding, badRes)), 'tampered response verified').to.equal(undefined);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('(b) verifyResponse throws only StackError on random input', () => {
    const { binding } = protectRequest(client(), { code: Code.GET, options: [], payload: new Uint8Array(0) });
    fc.assert(
      fc.property(garbageArb, fc.integer({ min: 64, max: 191 }), (g, code) => {
        expect(onlyStackErrors(() => verifyResponse(binding, { ...toParts(g), code })), 'random response verified').to.equal(undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('(c) the layer answers random protected garbage and keeps serving', async () => {
    const net = new MemoryNetwork();
    const registry = new SecurityContextRegistry().add(server());
    const layer = new OscoreLayer({ contexts: registry, require: true });
    const router = new Router().add({ path: '/echo', methods: { [Code.POST]: (r) => response(Code.CHANGED, r.payload) } });
    const srv = new Endpoint(net.createTransport('10.0.0.1', 5683), [new BlockwiseLayer({ preferredBlockSize: 64 }), layer]).setHandler(router.handle);
    const cli = new Endpoint(net.createTransport('10.0.0.2', 5683), [new BlockwiseLayer({ preferredBlockSize: 64 }), new OscoreLayer({ contexts: new SecurityContextRegistry() })]);
    const peer = new RawPeer(net, '10.0.0.3', 5683);
    const ctx = client();
    let mid = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(garbageArb, { minLength: 1, maxLength: 8 }), fc.uint8Array({ maxLength: 200 }), async (garbage, payload) => {
          for (const g of garbage) {
            const p = toParts(g);
            peer.send(srv.localAddress(), { type: CON, code: p.code, messageId: ++mid & 0xffff, token: Uint8Array.of(mid & 0xff, mid >> 8), options: p.options, payload: p.payload });
          }
          await settle();
          const answers: number[] = [];
          for (;;) {
            try {
              answers.push((await peer.next()).msg.code);
            } catch {
              break;
            }
          }
          expect(answers.length, 'every CON answered once').to.equal(garbage.length);
          // 4.xx from OSCORE or the endpoint; 2.31 when a garbage outer Block1 starts a reassembly.
          for (const code of answers) expect(codeClass(code) === 4 || code === Code.CONTINUE, `answer ${code}`).to.equal(true);
          const res = await cli.request(withOscore({ method: Code.POST, options: pathOptions('/echo'), payload, peer: srv.localAddress(), confirmable: true, blockSize: 64 }, ctx));
          expect(res.code).to.equal(Code.CHANGED);
          expect(toHex(res.payload)).to.equal(toHex(payload));
        }),
        { numRuns: 60 },
      );
      expect(layer.stats.verified).to.equal(60);
    } finally {
      await cli.close();
      await srv.close();
      await peer.transport.close();
    }
  });
});
