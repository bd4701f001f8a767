/** Lockstep: block-wise transfer (RFC 7959, RFC 9175 Request-Tag) on the server side, exact exchanges. */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { decodeBlockOption, encodeBlockOption, type BlockOption } from '../../../src/codec/coap/block-option.ts';
import type { CoapMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { ACK, CON } from '../../../src/codec/coap/numbers/types.ts';
import { decodeUint } from '../../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { toHex } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response } from '../../../src/stack/exchange.ts';
import { Router } from '../../../src/stack/router.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { RawPeer, opt, optionValue } from './raw-peer.ts';

const body = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 0xff);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const block = (m: { options: CoapMessage['options'] }, n: number): BlockOption | undefined => {
  const v = optionValue(m, n);
  return v && decodeBlockOption(v);
};

describe('lockstep: block-wise server (RFC 7959)', () => {
  let net: MemoryNetwork;
  let clock: ManualClock;
  let peer: RawPeer;
  let endpoint: Endpoint;
  let blockwise: BlockwiseLayer;
  let posted: Uint8Array[];
  let getCalls: number;
  const big = body(300);
  let mid = 100;

  function start(config: ConstructorParameters<typeof BlockwiseLayer>[0] = {}): void {
    blockwise = new BlockwiseLayer({ preferredBlockSize: 64, maxBodySize: 1000, ...config }, clock);
    const router = new Router()
      .add({ path: '/up', methods: { [Code.POST]: (r) => (posted.push(r.payload), response(Code.CHANGED, sha(r.payload))) } })
      .add({ path: '/echo', methods: { [Code.POST]: (r) => response(Code.CHANGED, r.payload) } })
      .add({ path: '/big', methods: { [Code.GET]: () => (getCalls++, response(Code.CONTENT, big, [opt(Opt.CONTENT_FORMAT, 42)])) } });
    endpoint = new Endpoint(net.createTransport('10.0.0.1', 5683), [blockwise], { clock }).setHandler(router.handle);
  }

  beforeEach(() => {
    net = new MemoryNetwork();
    clock = new ManualClock();
    peer = new RawPeer(net);
    posted = [];
    getCalls = 0;
  });

  afterEach(() => endpoint.close());

  async function post(path: string, b: BlockOption, payload: Uint8Array, extra: CoapMessage['options'] = [], token = Uint8Array.of(mid & 0xff)): Promise<CoapMessage> {
    peer.send(endpoint.localAddress(), {
      type: CON, code: Code.POST, messageId: ++mid, token,
      options: [...pathOptions(path), opt(Opt.BLOCK1, encodeBlockOption(b)), ...extra].sort((a, c) => a.number - c.number),
      payload,
    });
    const { msg } = await peer.next();
    expect(msg.type).to.equal(ACK);
    expect(msg.messageId).to.equal(mid);
    return msg;
  }

  it('reassembles Block1 sent with a new token per block, answering 2.31 then the final response', async () => {
    start();
    const data = body(150);
    const r0 = await post('/up', { num: 0, more: true, szx: 2 }, data.subarray(0, 64), [opt(Opt.SIZE1, 150)], Uint8Array.of(1));
    expect(r0.code).to.equal(Code.CONTINUE);
    expect(block(r0, Opt.BLOCK1)).to.deep.equal({ num: 0, more: true, szx: 2 });
    const r1 = await post('/up', { num: 1, more: true, szx: 2 }, data.subarray(64, 128), [], Uint8Array.of(2));
    expect(r1.code).to.equal(Code.CONTINUE);
    const r2 = await post('/up', { num: 2, more: false, szx: 2 }, data.subarray(128), [], Uint8Array.of(3));
    expect(r2.code).to.equal(Code.CHANGED);
    expect(block(r2, Opt.BLOCK1)).to.deep.equal({ num: 2, more: false, szx: 2 });
    expect(new TextDecoder().decode(r2.payload)).to.equal(sha(data));
    expect(posted).to.have.length(1);
  });

  it('answers an out-of-order block with 4.08 Request Entity Incomplete', async () => {
    start();
    const data = body(200);
    expect((await post('/up', { num: 0, more: true, szx: 2 }, data.subarray(0, 64))).code).to.equal(Code.CONTINUE);
    expect((await post('/up', { num: 2, more: true, szx: 2 }, data.subarray(128, 192))).code).to.equal(Code.REQUEST_ENTITY_INCOMPLETE);
    // A block with no transfer started at all.
    expect((await post('/echo', { num: 3, more: false, szx: 2 }, data.subarray(0, 10))).code).to.equal(Code.REQUEST_ENTITY_INCOMPLETE);
    expect(posted).to.have.length(0);
  });

  it('answers a repeated block (new message ID, e.g. after a lost 2.31) with 2.31 again and keeps one copy', async () => {
    start();
    const data = body(100);
    await post('/up', { num: 0, more: true, szx: 2 }, data.subarray(0, 64));
    expect((await post('/up', { num: 0, more: true, szx: 2 }, data.subarray(0, 64))).code).to.equal(Code.CONTINUE);
    const last = await post('/up', { num: 1, more: false, szx: 2 }, data.subarray(64));
    expect(new TextDecoder().decode(last.payload)).to.equal(sha(data));
  });

  it('answers 4.13 with Size1 = the limit, from Size1 up front or once the body grows too large', async () => {
    start({ maxBodySize: 256 });
    const early = await post('/up', { num: 0, more: true, szx: 2 }, body(64), [opt(Opt.SIZE1, 5000)]);
    expect(early.code).to.equal(Code.REQUEST_ENTITY_TOO_LARGE);
    expect(decodeUint(optionValue(early, Opt.SIZE1)!)).to.equal(256);
    for (let i = 0; i < 4; i++) expect((await post('/up', { num: i, more: true, szx: 2 }, body(64))).code).to.equal(Code.CONTINUE);
    const late = await post('/up', { num: 4, more: true, szx: 2 }, body(64));
    expect(late.code).to.equal(Code.REQUEST_ENTITY_TOO_LARGE);
    expect(decodeUint(optionValue(late, Opt.SIZE1)!)).to.equal(256);
    // The transfer is gone: the next block is incomplete.
    expect((await post('/up', { num: 5, more: false, szx: 2 }, body(10))).code).to.equal(Code.REQUEST_ENTITY_INCOMPLETE);
  });

  it('asks for a smaller block size and takes the first larger block whole (RFC 7959 §2.5)', async () => {
    start({ preferredBlockSize: 64 });
    const data = body(300);
    const r0 = await post('/up', { num: 0, more: true, szx: 4 }, data.subarray(0, 256));
    expect(r0.code).to.equal(Code.CONTINUE);
    expect(block(r0, Opt.BLOCK1)).to.deep.equal({ num: 0, more: true, szx: 2 });
    // 256 bytes taken; continue at 64-byte blocks: NUM = 256 / 64 = 4.
    const r1 = await post('/up', { num: 4, more: false, szx: 2 }, data.subarray(256));
    expect(r1.code).to.equal(Code.CHANGED);
    expect(new TextDecoder().decode(r1.payload)).to.equal(sha(data));
  });

  it('keeps concurrent transfers to one resource apart by Request-Tag (RFC 9175)', async () => {
    start();
    const a = body(100);
    const b = body(100).map((x) => x ^ 0xff);
    const tagA = [opt(Opt.REQUEST_TAG, Uint8Array.of(0xa))];
    const tagB = [opt(Opt.REQUEST_TAG, Uint8Array.of(0xb))];
    await post('/up', { num: 0, more: true, szx: 2 }, a.subarray(0, 64), tagA);
    await post('/up', { num: 0, more: true, szx: 2 }, b.subarray(0, 64), tagB);
    const ra = await post('/up', { num: 1, more: false, szx: 2 }, a.subarray(64), tagA);
    const rb = await post('/up', { num: 1, more: false, szx: 2 }, b.subarray(64), tagB);
    expect(new TextDecoder().decode(ra.payload)).to.equal(sha(a));
    expect(new TextDecoder().decode(rb.payload)).to.equal(sha(b));
  });

  it('bounds reassemblies per peer: a fifth transfer evicts the oldest', async () => {
    start({ maxReassembliesPerPeer: 4 });
    for (let t = 1; t <= 5; t++) await post('/up', { num: 0, more: true, szx: 2 }, body(64), [opt(Opt.REQUEST_TAG, Uint8Array.of(t))]);
    expect(blockwise.activeReassemblies).to.equal(4);
    expect((await post('/up', { num: 1, more: false, szx: 2 }, body(5), [opt(Opt.REQUEST_TAG, Uint8Array.of(1))])).code).to.equal(Code.REQUEST_ENTITY_INCOMPLETE);
    expect((await post('/up', { num: 1, more: false, szx: 2 }, body(5), [opt(Opt.REQUEST_TAG, Uint8Array.of(5))])).code).to.equal(Code.CHANGED);
  });

  it('serves Block2 with ETag and Size2, random access included, regenerating GET after expiry', async () => {
    start();
    const get = async (b?: BlockOption): Promise<CoapMessage> => {
      const options = [...pathOptions('/big')];
      if (b) options.push(opt(Opt.BLOCK2, encodeBlockOption(b)));
      peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: ++mid, token: Uint8Array.of(mid & 0xff), options });
      return (await peer.next()).msg;
    };
    const r0 = await get();
    expect(block(r0, Opt.BLOCK2)).to.deep.equal({ num: 0, more: true, szx: 2 });
    expect(decodeUint(optionValue(r0, Opt.SIZE2)!)).to.equal(300);
    expect(decodeUint(optionValue(r0, Opt.CONTENT_FORMAT)!)).to.equal(42);
    const etag = toHex(optionValue(r0, Opt.ETAG)!);
    const r3 = await get({ num: 3, more: false, szx: 2 });
    expect(r3.payload).to.deep.equal(big.subarray(192, 256));
    expect(toHex(optionValue(r3, Opt.ETAG)!)).to.equal(etag);
    const r4 = await get({ num: 4, more: false, szx: 2 });
    expect(block(r4, Opt.BLOCK2)).to.deep.equal({ num: 4, more: false, szx: 2 });
    expect(r4.payload).to.deep.equal(big.subarray(256));
    expect(getCalls).to.equal(1);
    // The client may ask for smaller blocks (early negotiation on block 0 and 32-byte random access).
    const small = await get({ num: 5, more: false, szx: 1 });
    expect(small.payload).to.deep.equal(big.subarray(160, 192));
    clock.advance(blockwise.config.transferLifetimeMs + 1);
    const regenerated = await get({ num: 2, more: false, szx: 2 });
    expect(regenerated.payload).to.deep.equal(big.subarray(128, 192));
    expect(toHex(optionValue(regenerated, Opt.ETAG)!)).to.equal(etag);
    expect(getCalls).to.equal(2);
    expect((await get({ num: 9, more: false, szx: 2 })).code).to.equal(Code.BAD_OPTION);
  });

  it('combines Block1 and Block2: the last Block1 answer carries Block2 0, the POST continues with Block2 only', async () => {
    start();
    const data = body(180);
    await post('/echo', { num: 0, more: true, szx: 2 }, data.subarray(0, 64));
    await post('/echo', { num: 1, more: true, szx: 2 }, data.subarray(64, 128));
    const last = await post('/echo', { num: 2, more: false, szx: 2 }, data.subarray(128));
    expect(last.code).to.equal(Code.CHANGED);
    expect(block(last, Opt.BLOCK1)).to.deep.equal({ num: 2, more: false, szx: 2 });
    expect(block(last, Opt.BLOCK2)).to.deep.equal({ num: 0, more: true, szx: 2 });
    const parts = [last.payload];
    for (let n = 1; n < 3; n++) {
      peer.send(endpoint.localAddress(), {
        type: CON, code: Code.POST, messageId: ++mid, token: Uint8Array.of(n),
        options: [...pathOptions('/echo'), opt(Opt.BLOCK2, encodeBlockOption({ num: n, more: false, szx: 2 }))],
      });
      const r = (await peer.next()).msg;
      expect(r.code).to.equal(Code.CHANGED);
      parts.push(r.payload);
    }
    expect(Buffer.concat(parts)).to.deep.equal(Buffer.from(data));
  });

  it('keeps Block2 follow-ups of two OSCORE senders at one address apart (kid in the key, not the Partial IV)', async () => {
    blockwise = new BlockwiseLayer({ preferredBlockSize: 64 }, clock);
    const passOscore = { name: 'oscore-stand-in', criticalOptions: [Opt.OSCORE] };
    endpoint = new Endpoint(net.createTransport('10.0.0.1', 5683), [blockwise, passOscore], { clock }).setHandler(
      new Router().add({ path: '/', prefix: true, methods: { [Code.POST]: (r) => response(Code.CHANGED, r.payload) } }).handle,
    );
    const a = body(150);
    const b = body(150).map((x) => x ^ 0x5a);
    // OSCORE option values: flags 0x09 = kid present + 1-byte Partial IV; PIV then kid.
    const osc = (piv: number, kid: number): CoapMessage['options'][number] => opt(Opt.OSCORE, Uint8Array.of(0x09, piv, kid));
    const send = async (o: CoapMessage['options'], payload: Uint8Array = new Uint8Array(0)): Promise<CoapMessage> => {
      peer.send(endpoint.localAddress(), { type: CON, code: Code.POST, messageId: ++mid, token: Uint8Array.of(mid & 0xff), options: o, payload });
      return (await peer.next()).msg;
    };
    const a0 = await send([osc(1, 0xa)], a);
    const b0 = await send([osc(1, 0xb)], b);
    expect(block(a0, Opt.BLOCK2)).to.deep.include({ num: 0, more: true });
    const a1 = await send([osc(2, 0xa), opt(Opt.BLOCK2, encodeBlockOption({ num: 1, more: false, szx: 2 }))]);
    const b1 = await send([osc(2, 0xb), opt(Opt.BLOCK2, encodeBlockOption({ num: 1, more: false, szx: 2 }))]);
    expect(Buffer.concat([a0.payload, a1.payload])).to.deep.equal(Buffer.from(a.subarray(0, 128)));
    expect(Buffer.concat([b0.payload, b1.payload])).to.deep.equal(Buffer.from(b.subarray(0, 128)));
  });

  it('answers a POST Block2 follow-up it holds no response for with 4.08', async () => {
    start();
    peer.send(endpoint.localAddress(), {
      type: CON, code: Code.POST, messageId: ++mid,
      options: [...pathOptions('/echo'), opt(Opt.BLOCK2, encodeBlockOption({ num: 2, more: false, szx: 2 }))],
    });
    expect((await peer.next()).msg.code).to.equal(Code.REQUEST_ENTITY_INCOMPLETE);
  });

  it('ignores a malformed elective Size1 (5 bytes) instead of failing the request', async () => {
    start();
    const r = await post('/up', { num: 0, more: true, szx: 2 }, body(64), [opt(Opt.SIZE1, new Uint8Array(5))]);
    expect(r.code).to.equal(Code.CONTINUE);
  });

  it('answers a malformed block option (SZX 7) with 4.02', async () => {
    start();
    peer.send(endpoint.localAddress(), { type: CON, code: Code.POST, messageId: ++mid, options: [...pathOptions('/up'), opt(Opt.BLOCK1, Uint8Array.of(0x0f))], payload: body(5) });
    expect((await peer.next()).msg.code).to.equal(Code.BAD_OPTION);
  });
});

describe('lockstep: block-wise client (RFC 7959)', () => {
  it('switches to the smaller Block1 size the server asks for, continuing at the right NUM', async () => {
    const net = new MemoryNetwork();
    const clock = new ManualClock();
    const server = new RawPeer(net, '10.0.0.1', 5683);
    const client = new Endpoint(net.createTransport('10.0.0.2'), [new BlockwiseLayer({}, clock)], { clock });
    const data = body(400);
    const p = client.request({ method: Code.POST, options: pathOptions('/up'), payload: data, peer: server.address, confirmable: true, blockSize: 256 });
    const m0 = (await server.next()).msg;
    expect(block(m0, Opt.BLOCK1)).to.deep.equal({ num: 0, more: true, szx: 4 });
    expect(decodeUint(optionValue(m0, Opt.SIZE1)!)).to.equal(400);
    server.send(client.localAddress(), { type: ACK, code: Code.CONTINUE, messageId: m0.messageId, token: m0.token, options: [opt(Opt.BLOCK1, encodeBlockOption({ num: 0, more: true, szx: 2 }))] });
    const got = [m0.payload];
    for (let num = 4; ; num++) {
      const m = (await server.next()).msg;
      const b = block(m, Opt.BLOCK1)!;
      expect(b.num).to.equal(num);
      expect(b.szx).to.equal(2);
      got.push(m.payload);
      if (!b.more) {
        server.send(client.localAddress(), { type: ACK, code: Code.CHANGED, messageId: m.messageId, token: m.token, options: [opt(Opt.BLOCK1, encodeBlockOption(b))] });
        break;
      }
      server.send(client.localAddress(), { type: ACK, code: Code.CONTINUE, messageId: m.messageId, token: m.token, options: [opt(Opt.BLOCK1, encodeBlockOption(b))] });
    }
    expect((await p).code).to.equal(Code.CHANGED);
    expect(Buffer.concat(got)).to.deep.equal(Buffer.from(data));
    await client.close();
  });

  it('asks a new peer for small Block2 blocks in a small POST only with alwaysNegotiateBlock2 (a critical option a plain server might refuse)', async () => {
    const net = new MemoryNetwork();
    const clock = new ManualClock();
    const server = new RawPeer(net, '10.0.0.1', 5683);
    const plain = new Endpoint(net.createTransport('10.0.0.2'), [new BlockwiseLayer({}, clock)], { clock });
    const eager = new Endpoint(net.createTransport('10.0.0.3'), [new BlockwiseLayer({ alwaysNegotiateBlock2: true }, clock)], { clock });
    for (const [client, hint] of [[plain, undefined], [eager, { num: 0, more: false, szx: 2 }]] as const) {
      const p = client.request({ method: Code.POST, options: pathOptions('/edhoc'), payload: body(40), peer: server.address, confirmable: true, blockSize: 64 });
      const m = (await server.next()).msg;
      expect(block(m, Opt.BLOCK2)).to.deep.equal(hint);
      server.send(client.localAddress(), { type: ACK, code: Code.CHANGED, messageId: m.messageId, token: m.token, options: [] });
      expect((await p).code).to.equal(Code.CHANGED);
      await client.close();
    }
  });
});
