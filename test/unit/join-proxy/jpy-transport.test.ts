/**
 * The registrar's JPY transport (§4.5.7) under a CoAP Endpoint, over the in-memory network: pledges
 * (Endpoints) → a stateless proxy core → JpyTransport → Endpoint + Router, block-wise included.
 */
import { expect } from 'chai';
import { isIP } from 'node:net';
import { encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { decodeMessage, encodeMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { CON } from '../../../src/codec/coap/numbers/types.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { JpyHeaderKeyRing } from '../../../src/codec/jpy/join-proxy-header.ts';
import { decodeJpyMessage, encodeJpyMessage } from '../../../src/codec/jpy/jpy-message.ts';
import { toHex, utf8 } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { StatelessJoinProxy } from '../../../src/protocol/join-proxy/stateless-relay.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response } from '../../../src/stack/exchange.ts';
import { JpyTransport } from '../../../src/stack/jpy-transport.ts';
import { Router } from '../../../src/stack/router.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerAddress } from '../../../src/transport/transport.ts';

const FILE = new Uint8Array(700).map((_, i) => (i * 31 + 7) & 0xff);
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('JpyTransport: a registrar behind a stateless join proxy', () => {
  let net: MemoryNetwork;
  let clock: ManualClock;
  let jpy: JpyTransport;
  let registrar: Endpoint;
  let seenPeers: PeerAddress[];
  const closers: (() => Promise<void>)[] = [];

  function startRegistrar(opts: ConstructorParameters<typeof JpyTransport>[1] = {}): void {
    seenPeers = [];
    jpy = new JpyTransport(net.createTransport('10.0.0.1', 7634), { clock, random: seededRandom(1), ...opts });
    const router = new Router().add({
      path: '/f',
      methods: {
        [Code.GET]: (r) => {
          seenPeers.push(r.peer);
          return response(Code.CONTENT, FILE);
        },
      },
    });
    registrar = new Endpoint(jpy, [new BlockwiseLayer({ preferredBlockSize: 64 }, clock)], { clock }).setHandler(router.handle);
    closers.push(() => registrar.close());
  }

  /** A stateless proxy core between a join port (10.0.0.2:8485) and an upstream socket (10.0.0.2:9000). */
  function startProxy(): StatelessJoinProxy {
    const join = net.createTransport('10.0.0.2', 8485);
    const up = net.createTransport('10.0.0.2', 9000);
    const ring = new JpyHeaderKeyRing({ rotationMs: 0, graceMs: 0, random: seededRandom(2) }, clock.now());
    const relay = new StatelessJoinProxy(
      { maxPledges: 50, maxPerAddress: 0, idleTimeoutMs: 30_000, ratePerSecond: 0, burst: 1, registrar: { address: '10.0.0.1', port: 7634 } },
      ring,
      { toRegistrar: (d) => up.send(d, { address: '10.0.0.1', port: 7634 }), toPledge: (to, d) => join.send(d, to) },
      clock,
    );
    join.setReceiver((d, from) => relay.fromPledge(d, from));
    up.setReceiver((d, from) => relay.fromRegistrar(d, from));
    closers.push(async () => relay.close());
    return relay;
  }

  function pledge(i: number): Endpoint {
    const e = new Endpoint(net.createTransport(`169.254.0.${i}`, 5000 + i), [new BlockwiseLayer({ preferredBlockSize: 64 }, clock)], { clock });
    closers.push(() => e.close());
    return e;
  }

  const get = (e: Endpoint): Promise<Uint8Array> =>
    e
      .request({ method: Code.GET, options: pathOptions('/f'), payload: new Uint8Array(0), peer: { address: '10.0.0.2', port: 8485 }, confirmable: true, blockSize: 64 })
      .then((r) => {
        expect(r.code).to.equal(Code.CONTENT);
        return r.payload;
      });

  beforeEach(() => {
    net = new MemoryNetwork();
    clock = new ManualClock(0);
  });

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('serves block-wise GETs to several pledges through the proxy; each pledge is one synthetic peer in 100::/64', async () => {
    startRegistrar();
    const relay = startProxy();
    const pledges = [1, 2, 3, 4, 5].map(pledge);
    const bodies = await Promise.all(pledges.map(get));
    for (const b of bodies) expect(toHex(b)).to.equal(toHex(FILE));
    const distinct = new Map(seenPeers.map((p) => [`${p.address}|${p.port}`, p]));
    expect(distinct.size, 'five pledges, five synthetic peers').to.equal(5);
    for (const p of distinct.values()) {
      expect(isIP(p.address)).to.equal(6);
      expect(p.address.startsWith('100:0:0:0:')).to.equal(true);
      expect(p.port, "the proxy's port").to.equal(9000);
      expect(jpy.peerInfo(p)?.proxy).to.deep.equal({ address: '10.0.0.2', port: 9000 });
      expect(jpy.peerInfo(p)?.header.length).to.equal(23);
    }
    // 700 bytes in 64-byte blocks: 11 request/response pairs per pledge.
    expect(jpy.stats).to.deep.include({ received: 55, sent: 55, malformed: 0, unknownPeer: 0 });
    expect(relay.counters).to.deep.include({ relayedUp: 55, relayedDown: 55 });
  });

  it('reflects the header byte for byte and keys peers by (proxy address, proxy port, header)', async () => {
    startRegistrar();
    const proxyA = net.createTransport('10.0.0.7', 1000);
    const proxyB = net.createTransport('10.0.0.8', 1000);
    const inbox: { via: string; header: string; code: number }[] = [];
    for (const [name, t] of [['A', proxyA], ['B', proxyB]] as [string, MemoryTransport][]) {
      t.setReceiver((d) => {
        const m = decodeJpyMessage(d);
        inbox.push({ via: name, header: toHex(m.header), code: decodeMessage(m.content).code });
      });
    }
    const req = (mid: number): Uint8Array => encodeMessage({ type: CON, code: Code.GET, messageId: mid, token: Uint8Array.of(mid), options: pathOptions('/f'), payload: new Uint8Array(0) });
    const header = utf8('opaque proxy state, 32 bytes!!!!');
    expect(header.length).to.equal(32);
    proxyA.send(encodeJpyMessage({ header, content: req(1) }), jpy.localAddress());
    proxyB.send(encodeJpyMessage({ header, content: req(2) }), jpy.localAddress());
    proxyA.send(encodeJpyMessage({ header: utf8('other'), content: req(3) }), jpy.localAddress());
    await settle();
    expect(inbox.map((x) => x.via).sort()).to.deep.equal(['A', 'A', 'B']);
    expect(inbox.filter((x) => x.header === toHex(header)).length).to.equal(2);
    expect(inbox.every((x) => x.code === Code.CONTENT)).to.equal(true);
    expect(new Set(seenPeers.map((p) => p.address)).size, 'same header via two proxies: two peers').to.equal(3);
    expect(jpy.peerCount).to.equal(3);
  });

  it('§4.5.7: accepts JPY arrays with more than two elements', async () => {
    startRegistrar();
    const proxy = net.createTransport('10.0.0.7', 1000);
    let got: Uint8Array | undefined;
    proxy.setReceiver((d) => (got = d));
    const content = encodeMessage({ type: CON, code: Code.GET, messageId: 9, token: Uint8Array.of(9), options: pathOptions('/f'), payload: new Uint8Array(0) });
    const wire = encodeCbor([Uint8Array.of(7), content, null, 'later use']);
    proxy.send(wire, jpy.localAddress());
    await settle();
    expect(got, 'answered').to.not.equal(undefined);
    const m = decodeJpyMessage(got!);
    expect(toHex(m.header)).to.equal('07');
    expect(decodeMessage(m.content).code).to.equal(Code.CONTENT);
  });

  it('counts and drops non-JPY datagrams and oversized headers; answers to unknown peers are dropped and counted', async () => {
    startRegistrar({ maxHeaderBytes: 40 });
    const proxy = net.createTransport('10.0.0.7', 1000);
    let answers = 0;
    proxy.setReceiver(() => answers++);
    proxy.send(utf8('plain CoAP is not JPY'), jpy.localAddress());
    proxy.send(Uint8Array.of(0x82, 0x41), jpy.localAddress());
    proxy.send(encodeJpyMessage({ header: new Uint8Array(41), content: new Uint8Array(4) }), jpy.localAddress());
    await settle();
    expect(jpy.stats.malformed).to.equal(3);
    jpy.send(utf8('x'), { address: '100:0:0:0:1:2:3:4', port: 1000 });
    jpy.send(utf8('x'), { address: '10.0.0.7', port: 1000 });
    expect(jpy.stats.unknownPeer).to.equal(2);
    expect(answers).to.equal(0);
  });

  it('keeps at most maxPeers synthetic peers (oldest idle evicted) and forgets idle ones after peerLifetimeMs', async () => {
    startRegistrar({ maxPeers: 2, peerLifetimeMs: 10_000 });
    const proxy = net.createTransport('10.0.0.7', 1000);
    proxy.setReceiver(() => {});
    const send = (h: number, mid: number): void =>
      proxy.send(
        encodeJpyMessage({ header: Uint8Array.of(h), content: encodeMessage({ type: CON, code: Code.GET, messageId: mid, token: Uint8Array.of(mid), options: pathOptions('/f'), payload: new Uint8Array(0) }) }),
        jpy.localAddress(),
      );
    send(1, 1);
    send(2, 2);
    send(3, 3);
    await settle();
    expect(jpy.peerCount).to.equal(2);
    expect(jpy.stats.evicted).to.equal(1);
    expect(jpy.peerInfo(jpy.syntheticPeer({ address: '10.0.0.7', port: 1000 }, Uint8Array.of(1)))).to.equal(undefined);
    const p3 = jpy.syntheticPeer({ address: '10.0.0.7', port: 1000 }, Uint8Array.of(3));
    expect(jpy.peerInfo(p3)).to.not.equal(undefined);
    clock.advance(10_000);
    expect(jpy.peerInfo(p3)).to.equal(undefined);
    // The same pledge coming back gets the same synthetic peer (the hash, not a counter).
    send(3, 4);
    await settle();
    expect(jpy.peerInfo(p3)?.header).to.deep.equal(Uint8Array.of(3));
  });
});
