/**
 * The join proxy cores under a ManualClock: the stateful mapping table (§4.3: one upstream socket
 * per pledge, idle expiry, cap, per-address limit, rate limit, source checks) and the stateless
 * relay (§4.4: JPY wrapping, header integrity, key rotation).
 */
import { expect } from 'chai';
import { JpyHeaderKeyRing } from '../../../src/codec/jpy/join-proxy-header.ts';
import { decodeJpyMessage, encodeJpyMessage } from '../../../src/codec/jpy/jpy-message.ts';
import { toHex, utf8 } from '../../../src/core/bytes.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { seededRandom } from '../../../src/core/random.ts';
import type { PledgeAddress } from '../../../src/protocol/join-proxy/pledge-address.ts';
import { JP_S4_3_DEFAULT_IDLE_TIMEOUT_MS, PledgeTable } from '../../../src/protocol/join-proxy/pledge-table.ts';
import { StatefulJoinProxy, type StatefulEntry, type JoinProxyRelayConfig } from '../../../src/protocol/join-proxy/stateful-relay.ts';
import { StatelessJoinProxy } from '../../../src/protocol/join-proxy/stateless-relay.ts';
import { TokenBucket } from '../../../src/protocol/join-proxy/token-bucket.ts';

const REGISTRAR: PledgeAddress = { address: '10.0.0.1', port: 5684 };
const pledge = (i: number, address = '169.254.0.1'): PledgeAddress => ({ address, port: 40000 + i });
const bytes = (s: string): Uint8Array => utf8(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function config(over: Partial<JoinProxyRelayConfig> = {}): JoinProxyRelayConfig {
  return { maxPledges: 10, maxPerAddress: 0, idleTimeoutMs: JP_S4_3_DEFAULT_IDLE_TIMEOUT_MS, ratePerSecond: 0, burst: 1, registrar: REGISTRAR, ...over };
}

/** A fake upstream socket: records what was sent and whether it was closed. */
interface FakeSocket {
  readonly id: number;
  readonly entry: StatefulEntry<FakeSocket>;
  readonly sent: string[];
  closed: boolean;
}

function statefulHarness(over: Partial<JoinProxyRelayConfig> = {}, opts: { deferOpen?: boolean; failOpen?: boolean } = {}) {
  const clock = new ManualClock(0);
  const sockets: FakeSocket[] = [];
  const toPledges: { to: PledgeAddress; data: string }[] = [];
  const opening: (() => void)[] = [];
  const relay = new StatefulJoinProxy<FakeSocket>(
    config(over),
    {
      upstream: {
        open: (entry) => {
          if (opts.failOpen) return Promise.reject(new Error('EMFILE'));
          const s: FakeSocket = { id: sockets.length, entry, sent: [], closed: false };
          sockets.push(s);
          if (!opts.deferOpen) return Promise.resolve(s);
          return new Promise((res) => opening.push(() => res(s)));
        },
        send: (u, data) => u.sent.push(text(data)),
        close: (u) => (u.closed = true),
      },
      toPledge: (to, data) => toPledges.push({ to, data: text(data) }),
    },
    clock,
  );
  return { clock, relay, sockets, toPledges, opening };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('join proxy: token bucket', () => {
  it('lets a burst through, then the rate', () => {
    const b = new TokenBucket(10, 5, 0);
    expect([...Array(6)].map(() => b.take(0))).to.deep.equal([true, true, true, true, true, false]);
    expect(b.take(99)).to.equal(false);
    expect(b.take(100)).to.equal(true);
    expect(b.take(10_000) && b.take(10_000) && b.take(10_000) && b.take(10_000) && b.take(10_000)).to.equal(true);
    expect(b.take(10_000), 'refill stops at the burst size').to.equal(false);
  });
});

describe('join proxy: stateful relay (§4.3)', () => {
  it('relays both ways unchanged, one upstream socket per pledge (a unique p_Jr each)', async () => {
    const { relay, sockets, toPledges } = statefulHarness();
    relay.fromPledge(bytes('hello-1'), pledge(1));
    relay.fromPledge(bytes('hello-2'), pledge(2));
    await flush();
    relay.fromPledge(bytes('again-1'), pledge(1));
    expect(sockets.map((s) => s.sent)).to.deep.equal([['hello-1', 'again-1'], ['hello-2']]);
    relay.fromRegistrar(sockets[1]!.entry, bytes('answer-2'), REGISTRAR);
    expect(toPledges).to.deep.equal([{ to: pledge(2), data: 'answer-2' }]);
    expect(relay.counters).to.deep.include({ relayedUp: 3, relayedDown: 1, bytesUp: 21, bytesDown: 8, mappingsCreated: 2, active: 2, peakActive: 2 });
  });

  it('answers come back only from the registrar address and port', async () => {
    const { relay, sockets, toPledges } = statefulHarness();
    relay.fromPledge(bytes('x'), pledge(1));
    await flush();
    const e = sockets[0]!.entry;
    relay.fromRegistrar(e, bytes('spoof'), { address: '10.0.0.2', port: 5684 });
    relay.fromRegistrar(e, bytes('spoof'), { address: '10.0.0.1', port: 5683 });
    relay.fromRegistrar(e, bytes('ok'), { address: '::ffff:10.0.0.1', port: 5684 });
    expect(toPledges.map((t) => t.data)).to.deep.equal(['ok']);
    expect(relay.counters.dropped.source).to.equal(2);
  });

  it('§4.3: forgets a pledge 30 s after its last datagram either way, closing its socket; late answers are stale', async () => {
    const { clock, relay, sockets, toPledges } = statefulHarness();
    relay.fromPledge(bytes('a'), pledge(1));
    await flush();
    const s = sockets[0]!;
    clock.advance(20_000);
    relay.fromRegistrar(s.entry, bytes('b'), REGISTRAR); // traffic down also keeps it alive
    clock.advance(29_999);
    expect(s.closed).to.equal(false);
    clock.advance(1);
    expect(s.closed, 'closed by the sweep timer').to.equal(true);
    expect(relay.counters).to.deep.include({ expired: 1, active: 0 });
    relay.fromRegistrar(s.entry, bytes('late'), REGISTRAR);
    expect(relay.counters.dropped.stale).to.equal(1);
    expect(toPledges.map((t) => t.data)).to.deep.equal(['b']);
    relay.fromPledge(bytes('c'), pledge(1));
    await flush();
    expect(sockets.length, 'a returning pledge gets a new socket').to.equal(2);
  });

  it('caps the table: new pledges beyond --max-pledges are dropped and counted, existing ones keep going', async () => {
    const { clock, relay, sockets } = statefulHarness({ maxPledges: 3, idleTimeoutMs: 1000 });
    for (let i = 0; i < 3; i++) relay.fromPledge(bytes(`p${i}`), pledge(i));
    relay.fromPledge(bytes('p3'), pledge(3));
    relay.fromPledge(bytes('p3 again'), pledge(3));
    await flush();
    relay.fromPledge(bytes('p0 more'), pledge(0));
    expect(sockets.length).to.equal(3);
    expect(relay.counters.dropped.cap).to.equal(2);
    expect(sockets[0]!.sent).to.deep.equal(['p0', 'p0 more']);
    clock.advance(1000);
    relay.fromPledge(bytes('p3 later'), pledge(3));
    await flush();
    expect(sockets[3]!.sent).to.deep.equal(['p3 later']);
    expect(relay.counters).to.deep.include({ active: 1, peakActive: 3, expired: 3 });
  });

  it('never grows beyond the cap under a flood of new sources', async () => {
    const { clock, relay, sockets } = statefulHarness({ maxPledges: 50, idleTimeoutMs: 500 });
    for (let i = 0; i < 20_000; i++) {
      relay.fromPledge(bytes('x'), pledge(i % 60_000, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
      if (i % 1000 === 999) clock.advance(100);
      expect(relay.table.size).to.be.at.most(50);
    }
    await flush();
    expect(relay.counters.peakActive).to.equal(50);
    expect(relay.counters.dropped.cap + relay.counters.mappingsCreated).to.equal(20_000);
    expect(sockets.filter((s) => !s.closed).length).to.equal(relay.table.size);
  });

  it('§4.3: at most --max-per-address pledges from one IP address', () => {
    const { relay } = statefulHarness({ maxPerAddress: 2 });
    relay.fromPledge(bytes('1'), pledge(1, '169.254.0.1'));
    relay.fromPledge(bytes('2'), pledge(2, '169.254.0.1'));
    relay.fromPledge(bytes('3'), pledge(3, '169.254.0.1'));
    relay.fromPledge(bytes('4'), pledge(4, '169.254.0.2'));
    expect(relay.table.size).to.equal(3);
    expect(relay.counters.dropped.cap).to.equal(1);
  });

  it('rate-limits each pledge with its own token bucket', async () => {
    const { clock, relay, sockets } = statefulHarness({ ratePerSecond: 10, burst: 3 });
    for (let i = 0; i < 5; i++) relay.fromPledge(bytes(`a${i}`), pledge(1));
    for (let i = 0; i < 2; i++) relay.fromPledge(bytes(`b${i}`), pledge(2));
    await flush();
    expect(sockets[0]!.sent).to.deep.equal(['a0', 'a1', 'a2']);
    expect(sockets[1]!.sent).to.deep.equal(['b0', 'b1']);
    expect(relay.counters.dropped.rate).to.equal(2);
    clock.advance(100);
    relay.fromPledge(bytes('a5'), pledge(1));
    relay.fromPledge(bytes('a6'), pledge(1));
    expect(sockets[0]!.sent.at(-1)).to.equal('a5');
    expect(relay.counters.dropped.rate).to.equal(3);
  });

  it('queues a few datagrams while the upstream socket opens, in order; more are dropped as backlog', async () => {
    const { relay, sockets, opening } = statefulHarness({}, { deferOpen: true });
    for (let i = 0; i < 10; i++) relay.fromPledge(bytes(`d${i}`), pledge(1));
    expect(sockets[0]!.sent).to.deep.equal([]);
    opening[0]!();
    await flush();
    expect(sockets[0]!.sent).to.deep.equal(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7']);
    expect(relay.counters.dropped.backlog).to.equal(2);
    expect(relay.counters.relayedUp).to.equal(8);
  });

  it('a socket that cannot be opened removes the entry and is counted', async () => {
    const { relay } = statefulHarness({}, { failOpen: true });
    relay.fromPledge(bytes('x'), pledge(1));
    await flush();
    expect(relay.counters).to.deep.include({ upstreamErrors: 1, active: 0 });
    expect(relay.counters.dropped.backlog).to.equal(1);
  });

  it('close() closes every upstream socket, also one still opening', async () => {
    const { relay, sockets, opening } = statefulHarness({}, { deferOpen: true });
    relay.fromPledge(bytes('x'), pledge(1));
    relay.close();
    opening[0]!();
    await flush();
    expect(sockets[0]!.closed).to.equal(true);
    relay.fromPledge(bytes('y'), pledge(2));
    expect(sockets.length).to.equal(1);
  });
});

describe('join proxy: pledge table', () => {
  it('refuses a config that would be unbounded or meaningless', () => {
    for (const bad of [{ maxPledges: 0 }, { maxPledges: 1.5 }, { idleTimeoutMs: 0 }, { ratePerSecond: -1 }, { burst: 0 }, { maxPerAddress: -1 }]) {
      expect(() => new PledgeTable({ ...config(), ...bad })).to.throw(RangeError);
    }
  });
});

function statelessHarness(over: Partial<JoinProxyRelayConfig> = {}, ringOpts = { rotationMs: 3_600_000, graceMs: 60_000 }) {
  const clock = new ManualClock(0);
  const ring = new JpyHeaderKeyRing({ ...ringOpts, random: seededRandom(3) }, clock.now());
  const up: Uint8Array[] = [];
  const toPledges: { to: PledgeAddress; data: string }[] = [];
  const relay = new StatelessJoinProxy(config(over), ring, { toRegistrar: (d) => up.push(d), toPledge: (to, d) => toPledges.push({ to, data: text(d) }) }, clock);
  /** The registrar's part: reflect the header with a new content. */
  const answer = (jpy: Uint8Array, content: string): Uint8Array => encodeJpyMessage({ header: decodeJpyMessage(jpy).header, content: bytes(content) });
  return { clock, ring, relay, up, toPledges, answer };
}

describe('join proxy: stateless relay (§4.4)', () => {
  it('wraps pledge datagrams in JPY messages with a ≤ 32-byte header and unwraps the answers to the right pledge', () => {
    const { relay, up, toPledges, answer } = statelessHarness();
    relay.fromPledge(bytes('hello-v4'), pledge(1));
    relay.fromPledge(bytes('hello-v6'), { address: 'fe80::211:22ff:fe33:4455%wpan0', port: 5684 });
    const [m1, m2] = up.map(decodeJpyMessage);
    expect(text(m1!.content)).to.equal('hello-v4');
    expect(m1!.header.length).to.equal(23);
    expect(m2!.header.length).to.equal(27);
    relay.fromRegistrar(answer(up[1]!, 'answer-v6'), REGISTRAR);
    relay.fromRegistrar(answer(up[0]!, 'answer-v4'), REGISTRAR);
    expect(toPledges).to.deep.equal([
      { to: { address: 'fe80::211:22ff:fe33:4455%wpan0', port: 5684 }, data: 'answer-v6' },
      { to: pledge(1), data: 'answer-v4' },
    ]);
    expect(relay.counters).to.deep.include({ relayedUp: 2, relayedDown: 2 });
  });

  it('§4.4: one pledge, one header: the registrar can key its sessions by it', () => {
    const { relay, up } = statelessHarness();
    relay.fromPledge(bytes('1'), pledge(1));
    relay.fromPledge(bytes('2'), pledge(1));
    relay.fromPledge(bytes('3'), pledge(2));
    const headers = up.map((d) => toHex(decodeJpyMessage(d).header));
    expect(headers[0]).to.equal(headers[1]);
    expect(headers[0]).to.not.equal(headers[2]);
  });

  it('§4.5.5: a forged or altered header is dropped silently and counted; so are non-JPY datagrams and strangers', () => {
    const { relay, up, toPledges, answer } = statelessHarness();
    relay.fromPledge(bytes('x'), pledge(1));
    const good = decodeJpyMessage(answer(up[0]!, 'a'));
    const altered = Uint8Array.from(good.header);
    altered[10]! ^= 0x01;
    relay.fromRegistrar(encodeJpyMessage({ header: altered, content: bytes('evil') }), REGISTRAR);
    const forged = Uint8Array.from(good.header);
    forged.set([1, 2, 3, 4, 5, 6], 1);
    relay.fromRegistrar(encodeJpyMessage({ header: forged, content: bytes('evil') }), REGISTRAR);
    relay.fromRegistrar(encodeJpyMessage({ header: new Uint8Array(0), content: bytes('evil') }), REGISTRAR);
    relay.fromRegistrar(bytes('not cbor at all'), REGISTRAR);
    relay.fromRegistrar(answer(up[0]!, 'from a stranger'), { address: '10.0.0.9', port: 5684 });
    expect(toPledges).to.deep.equal([]);
    expect(relay.counters.dropped).to.deep.include({ integrity: 3, malformed: 1, source: 1 });
    expect(relay.keyRing.stats.rejected).to.deep.equal({ integrity: 2, malformed: 1, 'unknown-key': 0 });
    relay.fromRegistrar(answer(up[0]!, 'genuine'), REGISTRAR);
    expect(toPledges.map((t) => t.data)).to.deep.equal(['genuine']);
  });

  it('key rotation: new headers after the rotation; answers under the old key are delivered during the grace period only', () => {
    const { clock, relay, up, toPledges, answer } = statelessHarness({}, { rotationMs: 10_000, graceMs: 2_000 });
    relay.fromPledge(bytes('before'), pledge(1));
    clock.advance(10_000);
    relay.fromPledge(bytes('after'), pledge(1));
    const [h0, h1] = up.map((d) => decodeJpyMessage(d).header);
    expect(h1![0]).to.equal((h0![0]! + 1) & 0xff);
    relay.fromRegistrar(answer(up[0]!, 'old key, in grace'), REGISTRAR);
    clock.advance(2_000);
    relay.fromRegistrar(answer(up[0]!, 'old key, too late'), REGISTRAR);
    relay.fromRegistrar(answer(up[1]!, 'new key'), REGISTRAR);
    expect(toPledges.map((t) => t.data)).to.deep.equal(['old key, in grace', 'new key']);
    expect(relay.counters.dropped.integrity).to.equal(1);
  });

  it('an idle pledge still in the table: its cached header stops opening once the key has left its grace period', () => {
    const { clock, relay, up, toPledges, answer } = statelessHarness({ idleTimeoutMs: 3_600_000 }, { rotationMs: 10_000, graceMs: 2_000 });
    relay.fromPledge(bytes('only one'), pledge(1));
    clock.advance(11_000);
    relay.fromRegistrar(answer(up[0]!, 'in grace'), REGISTRAR);
    clock.advance(1_000);
    relay.fromRegistrar(answer(up[0]!, 'too late'), REGISTRAR);
    expect(toPledges.map((t) => t.data)).to.deep.equal(['in grace']);
    expect(relay.counters.dropped.integrity).to.equal(1);
    expect(relay.keyRing.stats.rejected['unknown-key']).to.equal(1);
  });

  it('answers need no table entry (the return path is in the header), while admission is still capped and rate-limited', () => {
    const { clock, relay, up, toPledges, answer } = statelessHarness({ maxPledges: 2, idleTimeoutMs: 1000, ratePerSecond: 1, burst: 1 });
    relay.fromPledge(bytes('1'), pledge(1));
    relay.fromPledge(bytes('1b'), pledge(1));
    relay.fromPledge(bytes('2'), pledge(2));
    relay.fromPledge(bytes('3'), pledge(3));
    expect(up.length).to.equal(2);
    expect(relay.counters.dropped).to.deep.include({ rate: 1, cap: 1 });
    clock.advance(5000);
    expect(relay.table.size, 'expired by the sweep timer').to.equal(0);
    relay.fromRegistrar(answer(up[0]!, 'late but fine'), REGISTRAR);
    expect(toPledges.map((t) => t.data)).to.deep.equal(['late but fine']);
    expect(relay.counters).to.deep.include({ expired: 2, peakActive: 2 });
  });

  it('a pledge address the header cannot carry is dropped as unsupported and takes no table slot', () => {
    const { relay } = statelessHarness();
    relay.fromPledge(bytes('x'), { address: 'not-an-ip', port: 1 });
    expect(relay.counters.dropped.unsupported).to.equal(1);
    expect(relay.table.size).to.equal(0);
  });
});
