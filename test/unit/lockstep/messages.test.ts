/** Lockstep: the message sublayer (RFC 7252 §4): retransmission, deduplication, separate responses. */
import { expect } from 'chai';
import { encodeBlockOption } from '../../../src/codec/coap/block-option.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { ACK, CON, NON, RST } from '../../../src/codec/coap/numbers/types.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { bytesEqual, toHex, utf8 } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { seededRandom, type Random } from '../../../src/core/random.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response, type CoapResponse } from '../../../src/stack/exchange.ts';
import { Router } from '../../../src/stack/router.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { RawPeer, opt, optionValue, settle } from './raw-peer.ts';

/** ACK_TIMEOUT exactly (random factor draws 0), so retransmission times are exact. */
function exactRandom(): Random {
  const r = seededRandom(7);
  return { bytes: r.bytes, float: () => 0, int: () => 0x1000 };
}

describe('lockstep: message layer (RFC 7252 §4)', () => {
  let net: MemoryNetwork;
  let clock: ManualClock;
  let peer: RawPeer;
  let endpoint: Endpoint;
  let calls: number;
  let gate: { resolve?: (r: CoapResponse) => void };

  beforeEach(() => {
    net = new MemoryNetwork();
    clock = new ManualClock();
    peer = new RawPeer(net);
    calls = 0;
    gate = {};
    const router = new Router()
      .add({ path: '/hello', methods: { [Code.GET]: () => (calls++, response(Code.CONTENT, 'world')) } })
      .add({ path: '/slow', methods: { [Code.GET]: () => (calls++, new Promise<CoapResponse>((r) => (gate.resolve = r))) } });
    endpoint = new Endpoint(net.createTransport('10.0.0.1', 5683), [new BlockwiseLayer({}, clock)], {
      clock,
      random: exactRandom(),
      config: { piggybackDelayMs: 500 },
    }).setHandler(router.handle);
  });

  afterEach(() => endpoint.close());

  it('answers a CON request with a piggybacked ACK carrying the same MID and token', async () => {
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 0x1234, token: Uint8Array.of(1, 2), options: pathOptions('/hello') });
    const { msg } = await peer.next();
    expect(msg.type).to.equal(ACK);
    expect(msg.messageId).to.equal(0x1234);
    expect(toHex(msg.token)).to.equal('0102');
    expect(msg.code).to.equal(Code.CONTENT);
    expect(new TextDecoder().decode(msg.payload)).to.equal('world');
  });

  it('answers a duplicate CON from the dedup cache, byte for byte, without calling the handler again', async () => {
    const req = { type: CON, code: Code.GET, messageId: 77, token: Uint8Array.of(9), options: pathOptions('/hello') } as const;
    peer.send(endpoint.localAddress(), req);
    const first = await peer.next();
    peer.send(endpoint.localAddress(), req);
    const second = await peer.next();
    expect(bytesEqual(first.raw, second.raw)).to.equal(true);
    expect(calls).to.equal(1);
    expect(endpoint.stats.duplicates).to.equal(1);
    // After EXCHANGE_LIFETIME the message ID is new again.
    clock.advance(endpoint.config.exchangeLifetimeMs + 1);
    peer.send(endpoint.localAddress(), req);
    await peer.next();
    expect(calls).to.equal(2);
  });

  it('treats a reused message ID with another token as a new request, not a duplicate', async () => {
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 900, token: Uint8Array.of(1), options: pathOptions('/hello') });
    expect(toHex((await peer.next()).msg.token)).to.equal('01');
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 900, token: Uint8Array.of(2), options: pathOptions('/hello') });
    const second = (await peer.next()).msg;
    expect(toHex(second.token)).to.equal('02');
    expect(second.code).to.equal(Code.CONTENT);
    expect(calls).to.equal(2);
    expect(endpoint.stats.reusedMessageIds).to.equal(1);
    expect(endpoint.stats.duplicates).to.equal(0);
  });

  it('sends an empty ACK when the handler is slow, then a separate CON response it retransmits until ACKed', async () => {
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 500, token: Uint8Array.of(0xaa, 0xbb), options: pathOptions('/slow') });
    await peer.nothing();
    clock.advance(499);
    await peer.nothing();
    clock.advance(1);
    const empty = (await peer.next()).msg;
    expect(empty).to.include({ type: ACK, code: 0, messageId: 500 });
    expect(empty.token.length).to.equal(0);
    // A retransmission of the request now gets the empty ACK again.
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 500, token: Uint8Array.of(0xaa, 0xbb), options: pathOptions('/slow') });
    expect((await peer.next()).msg).to.include({ type: ACK, code: 0, messageId: 500 });
    expect(calls).to.equal(1);

    gate.resolve!(response(Code.CONTENT, 'late'));
    const sep = (await peer.next()).msg;
    expect(sep.type).to.equal(CON);
    expect(sep.messageId).to.not.equal(500);
    expect(toHex(sep.token)).to.equal('aabb');
    expect(new TextDecoder().decode(sep.payload)).to.equal('late');
    // Not acknowledged: retransmitted after ACK_TIMEOUT with the same message ID.
    clock.advance(2000);
    const again = (await peer.next()).msg;
    expect(again.messageId).to.equal(sep.messageId);
    peer.send(endpoint.localAddress(), { type: ACK, code: 0, messageId: sep.messageId });
    await settle();
    clock.advance(60_000);
    await peer.nothing();
  });

  it('rejects a CoAP ping (empty CON) with RST and a CON with a format error with RST', async () => {
    peer.send(endpoint.localAddress(), { type: CON, code: 0, messageId: 42 });
    expect((await peer.next()).msg).to.include({ type: RST, messageId: 42, code: 0 });
    // Option delta nibble 15 without payload marker: message format error.
    peer.sendRaw(endpoint.localAddress(), Uint8Array.of(0x40, 0x01, 0x00, 0x2b, 0xf1, 0x00));
    expect((await peer.next()).msg).to.include({ type: RST, messageId: 43 });
    // The same in a NON is silently ignored.
    peer.sendRaw(endpoint.localAddress(), Uint8Array.of(0x50, 0x01, 0x00, 0x2c, 0xf1, 0x00));
    await peer.nothing();
  });

  it('answers an unrecognized critical option with 4.02 and ignores an unknown elective one', async () => {
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 1, options: [...pathOptions('/hello'), opt(2049, 'x')] });
    expect((await peer.next()).msg.code).to.equal(Code.BAD_OPTION);
    peer.send(endpoint.localAddress(), { type: CON, code: Code.GET, messageId: 2, options: [...pathOptions('/hello'), opt(2048, 'x')] });
    expect((await peer.next()).msg.code).to.equal(Code.CONTENT);
  });

  it('answers a NON request with a NON response', async () => {
    peer.send(endpoint.localAddress(), { type: NON, code: Code.GET, messageId: 3, token: Uint8Array.of(5), options: pathOptions('/hello') });
    const { msg } = await peer.next();
    expect(msg.type).to.equal(NON);
    expect(msg.code).to.equal(Code.CONTENT);
    expect(toHex(msg.token)).to.equal('05');
  });

  it('answers 4.04, 4.05 and 4.15/4.06 from the router', async () => {
    const r = new Router().add({ path: '/cmp', methods: { [Code.POST]: () => response(Code.CHANGED) }, accepts: [259], produces: [259] });
    endpoint.setHandler(r.handle);
    const ask = async (mid: number, code: number, options = pathOptions('/cmp'), payload: Uint8Array = new Uint8Array(0)): Promise<number> => {
      peer.send(endpoint.localAddress(), { type: CON, code, messageId: mid, options, payload });
      return (await peer.next()).msg.code;
    };
    expect(await ask(10, Code.GET, pathOptions('/nope'))).to.equal(Code.NOT_FOUND);
    expect(await ask(11, Code.GET)).to.equal(Code.METHOD_NOT_ALLOWED);
    expect(await ask(12, Code.POST, [...pathOptions('/cmp'), opt(Opt.CONTENT_FORMAT, 42)], utf8('x'))).to.equal(Code.UNSUPPORTED_CONTENT_FORMAT);
    expect(await ask(13, Code.POST, [...pathOptions('/cmp'), opt(Opt.CONTENT_FORMAT, 259), opt(Opt.ACCEPT, 60)], utf8('x'))).to.equal(Code.NOT_ACCEPTABLE);
    expect(await ask(14, Code.POST, [...pathOptions('/cmp'), opt(Opt.CONTENT_FORMAT, 259)], utf8('x'))).to.equal(Code.CHANGED);
  });
});

describe('lockstep: client reliability (RFC 7252 §4.2, §4.7)', () => {
  let net: MemoryNetwork;
  let clock: ManualClock;
  let server: RawPeer;
  let client: Endpoint;

  beforeEach(() => {
    net = new MemoryNetwork();
    clock = new ManualClock();
    server = new RawPeer(net, '10.0.0.1', 5683);
    client = new Endpoint(net.createTransport('10.0.0.2'), [new BlockwiseLayer({}, clock)], { clock, random: exactRandom() });
  });

  afterEach(() => client.close());

  const get = (path = '/x', extra: object = {}): Promise<CoapResponse> =>
    client.request({ method: Code.GET, options: pathOptions(path), payload: new Uint8Array(0), peer: server.address, confirmable: true, ...extra });

  it('retransmits a CON whose ACK was lost at 2, 4, 8, 16 s, then fails with ERR_COAP_TIMEOUT', async () => {
    const p = get();
    let failure: unknown;
    p.catch((e) => (failure = e));
    const first = await server.next();
    const times: number[] = [];
    const t0 = clock.now();
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      await server.nothing();
      clock.advance(2000 * 2 ** i - 1000);
      const again = await server.next();
      expect(bytesEqual(again.raw, first.raw), 'retransmission is byte-identical').to.equal(true);
      times.push(clock.now() - t0);
    }
    expect(times).to.deep.equal([2000, 6000, 14000, 30000]);
    clock.advance(31_999);
    await settle();
    expect(failure).to.equal(undefined);
    clock.advance(1);
    await settle();
    expect(isStackError(failure, 'ERR_COAP_TIMEOUT')).to.equal(true);
    expect(client.stats.retransmissions).to.equal(4);
  });

  it('completes when the ACK to a retransmission arrives', async () => {
    const p = get();
    const first = (await server.next()).msg;
    clock.advance(2000);
    const second = (await server.next()).msg;
    expect(second.messageId).to.equal(first.messageId);
    server.send(client.localAddress(), { type: ACK, code: Code.CONTENT, messageId: second.messageId, token: second.token, payload: utf8('ok') });
    const res = await p;
    expect(new TextDecoder().decode(res.payload)).to.equal('ok');
  });

  it('takes an empty ACK then a separate CON response, and acknowledges it (twice if it is repeated)', async () => {
    const p = get();
    const req = (await server.next()).msg;
    server.send(client.localAddress(), { type: ACK, code: 0, messageId: req.messageId });
    await settle();
    clock.advance(60_000); // no retransmission after the empty ACK
    await server.nothing();
    const sep = { type: CON, code: Code.CONTENT, messageId: 0x4242, token: req.token, payload: utf8('separate') } as const;
    server.send(client.localAddress(), sep);
    const ack = (await server.next()).msg;
    expect(ack).to.include({ type: ACK, code: 0, messageId: 0x4242 });
    expect(new TextDecoder().decode((await p).payload)).to.equal('separate');
    server.send(client.localAddress(), sep);
    expect((await server.next()).msg).to.include({ type: ACK, code: 0, messageId: 0x4242 });
  });

  it('rejects a CON response with an unknown token with RST', async () => {
    server.send(client.localAddress(), { type: CON, code: Code.CONTENT, messageId: 9, token: Uint8Array.of(1, 2, 3) });
    expect((await server.next()).msg).to.include({ type: RST, messageId: 9 });
  });

  it('fails the request on RST', async () => {
    const p = get();
    const req = (await server.next()).msg;
    server.send(client.localAddress(), { type: RST, code: 0, messageId: req.messageId });
    let err: unknown;
    await p.catch((e) => (err = e));
    expect(isStackError(err, 'ERR_COAP_RESET')).to.equal(true);
  });

  it('keeps NSTART = 1: a second CON to the same server waits until the first is acknowledged', async () => {
    const p1 = get('/a');
    const p2 = get('/b');
    const r1 = (await server.next()).msg;
    await server.nothing();
    server.send(client.localAddress(), { type: ACK, code: Code.CONTENT, messageId: r1.messageId, token: r1.token });
    await p1;
    const r2 = (await server.next()).msg;
    expect(new TextDecoder().decode(optionValue(r2, Opt.URI_PATH))).to.equal('b');
    server.send(client.localAddress(), { type: ACK, code: Code.CONTENT, messageId: r2.messageId, token: r2.token });
    await p2;
  });

  it('matches the piggybacked response by MID and token: a wrong token is ignored', async () => {
    const p = get();
    const req = (await server.next()).msg;
    server.send(client.localAddress(), { type: ACK, code: Code.CONTENT, messageId: req.messageId, token: Uint8Array.of(0xde, 0xad), payload: utf8('wrong') });
    await settle();
    server.send(client.localAddress(), { type: ACK, code: Code.CONTENT, messageId: req.messageId, token: req.token, payload: utf8('right') });
    expect(new TextDecoder().decode((await p).payload)).to.equal('right');
  });

  it('follows a smaller Block2 size chosen by the server', async () => {
    const body = new Uint8Array(100).map((_, i) => i);
    const p = get('/big', { blockSize: 1024 });
    const r0 = (await server.next()).msg;
    expect(optionValue(r0, Opt.BLOCK2)).to.deep.equal(encodeBlockOption({ num: 0, more: false, szx: 6 }));
    server.send(client.localAddress(), {
      type: ACK, code: Code.CONTENT, messageId: r0.messageId, token: r0.token,
      options: [opt(Opt.BLOCK2, encodeBlockOption({ num: 0, more: true, szx: 2 }))], payload: body.subarray(0, 64),
    });
    const r1 = (await server.next()).msg;
    expect(optionValue(r1, Opt.BLOCK2)).to.deep.equal(encodeBlockOption({ num: 1, more: false, szx: 2 }));
    server.send(client.localAddress(), {
      type: ACK, code: Code.CONTENT, messageId: r1.messageId, token: r1.token,
      options: [opt(Opt.BLOCK2, encodeBlockOption({ num: 1, more: false, szx: 2 }))], payload: body.subarray(64),
    });
    expect((await p).payload).to.deep.equal(body);
  });
});

describe('lockstep: two endpoints, messages lost on the wire', () => {
  it('lost CON: the client retransmits after ACK_TIMEOUT and the handler runs once', async () => {
    const net = new MemoryNetwork();
    const clock = new ManualClock();
    let calls = 0;
    const server = new Endpoint(net.createTransport('10.0.0.1', 5683), [], { clock }).setHandler(
      new Router().add({ path: '/x', methods: { [Code.GET]: () => (calls++, response(Code.CONTENT, 'x')) } }).handle,
    );
    const client = new Endpoint(net.createTransport('10.0.0.2'), [], { clock, random: exactRandom() });
    let dropped = 0;
    net.tap = (d) => !(d.to.port === 5683 && dropped++ === 0);
    const p = client.request({ method: Code.GET, options: pathOptions('/x'), payload: new Uint8Array(0), peer: server.localAddress(), confirmable: true });
    await settle();
    expect(calls).to.equal(0);
    clock.advance(2000);
    await settle();
    expect(new TextDecoder().decode((await p).payload)).to.equal('x');
    expect(calls).to.equal(1);
    expect(client.stats.retransmissions).to.equal(1);
    await Promise.all([client.close(), server.close()]);
  });

  it('lost ACK: the retransmitted CON is answered from the dedup cache, the handler runs once', async () => {
    const net = new MemoryNetwork();
    const clock = new ManualClock();
    let calls = 0;
    const server = new Endpoint(net.createTransport('10.0.0.1', 5683), [], { clock }).setHandler(
      new Router().add({ path: '/x', methods: { [Code.POST]: () => (calls++, response(Code.CHANGED, `call ${calls}`)) } }).handle,
    );
    const client = new Endpoint(net.createTransport('10.0.0.2'), [], { clock, random: exactRandom() });
    let dropped = 0;
    net.tap = (d) => !(d.from.port === 5683 && dropped++ === 0);
    const p = client.request({ method: Code.POST, options: pathOptions('/x'), payload: utf8('a'), peer: server.localAddress(), confirmable: true });
    await settle();
    expect(calls).to.equal(1);
    clock.advance(2000);
    await settle();
    expect(new TextDecoder().decode((await p).payload)).to.equal('call 1');
    expect(calls).to.equal(1);
    expect(server.stats.duplicates).to.equal(1);
    await Promise.all([client.close(), server.close()]);
  });
});
