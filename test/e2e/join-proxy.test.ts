/**
 * e2e: `brski proxy` on UDP loopback, in both modes (draft-ietf-anima-constrained-join-proxy-20).
 *
 * - stateful: in front of `brski coap serve` (a stand-in registrar); 20 concurrent pledges fetch a
 *   5 KB file at 64-byte blocks through a proxy capped at 8 mappings; libcoap's coap-client reaches
 *   the server's /.well-known/core through it; the discovery responder announces the join port.
 * - stateless: the proxy finds an in-test registrar by `--discover` (rt=brski.rjp), which serves
 *   the same file through a JpyTransport; the same 20 pledges; forged and altered JPY headers sent
 *   to the proxy's upstream socket are dropped and counted.
 */
import { expect } from 'chai';
import { Code } from '../../src/codec/coap/numbers/codes.ts';
import { pathOptions } from '../../src/codec/coap/uri.ts';
import { encodeJpyMessage } from '../../src/codec/jpy/jpy-message.ts';
import { toHex, utf8 } from '../../src/core/bytes.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../src/stack/endpoint.ts';
import { response } from '../../src/stack/exchange.ts';
import { JpyTransport } from '../../src/stack/jpy-transport.ts';
import { Router } from '../../src/stack/router.ts';
import type { PeerAddress } from '../../src/transport/transport.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { makeTempDir, type TempDir } from '../helpers/files.ts';
import { BRSKI, killAll, requirePeer, run, spawnReady, type ReadyProcess } from '../helpers/processes.ts';

const SIZE = 5000;
const BLOCK = 64;
const PLEDGES = 20;
const CAP = 8;
const READY = /^ready udp:\/\/127\.0\.0\.1:(\d+) mode=(\w+) registrar=\S+(?: upstream=127\.0\.0\.1:(\d+))? discovery=coap:\/\/127\.0\.0\.1:(\d+)/;

interface Counters {
  relayedUp: number;
  relayedDown: number;
  dropped: Record<'cap' | 'rate' | 'integrity' | 'malformed' | 'source' | 'unsupported' | 'backlog' | 'stale', number>;
  mappingsCreated: number;
  expired: number;
  active: number;
  peakActive: number;
  header?: { rejected: Record<string, number> };
}

/** Sends SIGUSR2 and waits for the `counters {...}` line it prints. */
async function readCounters(p: ReadyProcess): Promise<Counters> {
  const lines = (): string[] => p.stdout().split('\n').filter((l) => l.startsWith('counters '));
  const before = lines().length;
  p.child.kill('SIGUSR2');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const now = lines();
    if (now.length > before) return JSON.parse(now.at(-1)!.slice('counters '.length)) as Counters;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no counters line after SIGUSR2 (exit code ${p.child.exitCode}, signal ${p.child.signalCode})\n${p.stdout()}\n${p.stderr()}`);
}

interface ProxyInfo {
  readonly proc: ReadyProcess;
  readonly join: PeerAddress;
  readonly mode: string;
  readonly upstream: PeerAddress | undefined;
  readonly discovery: PeerAddress;
}

async function startProxy(args: string[]): Promise<ProxyInfo> {
  const proc = await spawnReady(
    BRSKI,
    ['proxy', '--listen', '127.0.0.1:0', '--max-pledges', String(CAP), '--max-per-address', '0', '--idle-timeout', '1', '--rate', '1000/s', '--discovery-port', '0', '--stats-interval', '0', '--log-level', 'warn', ...args],
    { ready: READY, timeoutMs: 30_000 },
  );
  const m = proc.match;
  return {
    proc,
    join: { address: '127.0.0.1', port: Number(m[1]) },
    mode: m[2]!,
    upstream: m[3] ? { address: '127.0.0.1', port: Number(m[3]) } : undefined,
    discovery: { address: '127.0.0.1', port: Number(m[4]) },
  };
}

/** One pledge: its own UDP socket, block-wise at 64 bytes, short retransmission timeouts. */
async function newPledge(): Promise<Endpoint> {
  const t = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  return new Endpoint(t, [new BlockwiseLayer({ preferredBlockSize: BLOCK })], { config: { ackTimeoutMs: 300, maxRetransmit: 7 } });
}

async function fetchFile(e: Endpoint, via: PeerAddress): Promise<Uint8Array> {
  const res = await e.request({ method: Code.GET, options: pathOptions('/f.bin'), payload: new Uint8Array(0), peer: via, confirmable: true, blockSize: BLOCK });
  expect(res.code, 'GET /f.bin').to.equal(Code.CONTENT);
  return res.payload;
}

/**
 * PLEDGES pledges fetch the file at once through the proxy, while its counters are sampled; returns
 * the samples. The proxy admits CAP of them at a time: the others are dropped (counted) and get in
 * by retransmission once earlier pledges have gone idle for --idle-timeout.
 */
async function fetchThroughProxy(proxy: ProxyInfo, file: Uint8Array): Promise<Counters[]> {
  const pledges = await Promise.all([...Array(PLEDGES)].map(newPledge));
  const samples: Counters[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      samples.push(await readCounters(proxy.proc));
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  try {
    const bodies = await Promise.all(pledges.map((p) => fetchFile(p, proxy.join)));
    for (const [i, b] of bodies.entries()) expect(toHex(b), `pledge ${i}`).to.equal(toHex(file));
  } finally {
    done = true;
    await sampler;
    await Promise.all(pledges.map((p) => p.close()));
  }
  samples.push(await readCounters(proxy.proc));
  return samples;
}

function expectCapHeld(samples: Counters[]): Counters {
  const last = samples.at(-1)!;
  for (const s of samples) expect(s.active, 'active mappings in a sample').to.be.at.most(CAP);
  expect(last.peakActive, 'most mappings ever at once').to.be.at.most(CAP);
  expect(last.peakActive).to.be.greaterThan(1);
  expect(last.mappingsCreated, 'every pledge got in eventually').to.be.at.least(PLEDGES);
  expect(last.dropped.cap, 'pledges beyond the cap were dropped at first').to.be.greaterThan(0);
  const blocks = Math.ceil(SIZE / BLOCK);
  expect(last.relayedUp).to.be.at.least(PLEDGES * blocks);
  expect(last.relayedDown).to.be.at.least(PLEDGES * blocks);
  return last;
}

describe('e2e: brski proxy (join proxy)', function () {
  this.timeout(120_000);
  let root: TempDir;
  let file: Uint8Array;

  before(() => {
    root = makeTempDir('brski-proxy-');
    file = root.write('f.bin', SIZE);
  });

  after(async () => {
    await killAll();
    root?.remove();
  });

  describe('stateful mode, in front of brski coap serve', () => {
    let server: ReadyProcess;
    let proxy: ProxyInfo;

    before(async () => {
      server = await spawnReady(BRSKI, ['coap', 'serve', '--root', root.path, '--port', '0', '--log-level', 'warn'], { ready: /^ready coap:\/\/(127\.0\.0\.1:\d+) /, timeoutMs: 30_000 });
      proxy = await startProxy(['--mode', 'stateful', '--registrar', server.match[1]!]);
      expect(proxy.mode).to.equal('stateful');
    });

    after(async () => {
      await proxy?.proc.kill();
      await server?.kill();
    });

    it(`${PLEDGES} concurrent pledges fetch ${SIZE} bytes at ${BLOCK}-byte blocks; mappings never exceed --max-pledges ${CAP}`, async () => {
      const last = expectCapHeld(await fetchThroughProxy(proxy, file));
      expect(last.dropped.source + last.dropped.integrity).to.equal(0);
    });

    it('the discovery responder answers ?brski-jp=* with the join port (and the older ?rt=brski.jp)', async () => {
      const e = await newPledge();
      try {
        for (const q of ['brski-jp=*', 'rt=brski.jp']) {
          const res = await e.request({ method: Code.GET, options: pathOptions('/.well-known/core', [q]), payload: new Uint8Array(0), peer: proxy.discovery, confirmable: true });
          expect(res.code).to.equal(Code.CONTENT);
          expect(new TextDecoder().decode(res.payload), q).to.equal(`<>;brski-jp=${proxy.join.port}`);
        }
      } finally {
        await e.close();
      }
    });

    it("libcoap's coap-client-notls reaches /.well-known/core of the server behind the proxy", async function () {
      const client = requirePeer(this, 'coap-client-notls');
      const r = await run(client, ['-B', '10', `coap://127.0.0.1:${proxy.join.port}/.well-known/core`], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.toString('utf8')).to.include('</f.bin>;rt="file";ct=42;sz=5000');
    });

    it('stops on SIGTERM and prints its counters at exit', async () => {
      const before = proxy.proc.stdout().split('\n').filter((l) => l.startsWith('counters ')).length;
      const exit = await proxy.proc.kill();
      expect(exit.code).to.equal(0);
      const lines = proxy.proc.stdout().split('\n').filter((l) => l.startsWith('counters '));
      expect(lines.length).to.equal(before + 1);
    });
  });

  describe('stateless mode, found by --discover, in front of an in-test JPY registrar', () => {
    let inner: UdpTransport;
    let jpy: JpyTransport;
    let registrar: Endpoint;
    let discovery: Endpoint;
    let proxy: ProxyInfo;
    const peers = new Map<string, PeerAddress>();

    before(async () => {
      inner = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
      jpy = new JpyTransport(inner);
      registrar = new Endpoint(jpy, [new BlockwiseLayer()]).setHandler(
        new Router().add({
          path: '/f.bin',
          methods: {
            [Code.GET]: (r) => {
              peers.set(`${r.peer.address}|${r.peer.port}`, r.peer);
              return response(Code.CONTENT, file);
            },
          },
        }).handle,
      );
      const jpyPort = inner.localAddress().port;
      // The registrar's discovery side (§5.1.1): a plain CoAP endpoint announcing the JPY port.
      discovery = new Endpoint(await UdpTransport.bind({ host: '127.0.0.1', port: 0 }), []).setHandler(
        new Router().add({ path: '/b', hidden: true, methods: {}, links: () => [{ href: `jpy://127.0.0.1:${jpyPort}`, attrs: { rt: 'brski.rjp' } }] }).handle,
      );
      proxy = await startProxy(['--discover', `coap://127.0.0.1:${discovery.localAddress().port}`]);
    });

    after(async () => {
      await proxy?.proc.kill();
      await registrar?.close();
      await discovery?.close();
    });

    it('chose stateless mode from rt=brski.rjp and relays to the announced JPY port', () => {
      expect(proxy.mode).to.equal('stateless');
      expect(proxy.upstream).to.not.equal(undefined);
      expect(proxy.proc.match[0]).to.include(`registrar=127.0.0.1:${inner.localAddress().port}`);
    });

    it(`${PLEDGES} concurrent pledges fetch ${SIZE} bytes at ${BLOCK}-byte blocks through JPY; each is one synthetic peer at the registrar`, async () => {
      const last = expectCapHeld(await fetchThroughProxy(proxy, file));
      expect(last.dropped.integrity).to.equal(0);
      expect(peers.size).to.equal(PLEDGES);
      for (const p of peers.values()) {
        const info = jpy.peerInfo(p);
        expect(info?.proxy).to.deep.equal(proxy.upstream);
        expect(info!.header.length, 'header length (IPv4 pledge)').to.equal(23);
      }
      expect(jpy.stats.malformed).to.equal(0);
    });

    it('a forged or altered JPY header sent to the upstream socket is dropped and counted; so are strangers and non-JPY datagrams', async () => {
      const before = await readCounters(proxy.proc);
      const known = jpy.peerInfo([...peers.values()][0]!)?.header ?? new Uint8Array(23);
      const altered = Uint8Array.from(known);
      altered[12]! ^= 0x40;
      const forged = Uint8Array.from(known);
      forged.fill(0x5a, 1);
      const content = utf8('not for any pledge');
      // From the registrar's own JPY socket: passes the source check, fails integrity.
      inner.send(encodeJpyMessage({ header: altered, content }), proxy.upstream!);
      inner.send(encodeJpyMessage({ header: forged, content }), proxy.upstream!);
      inner.send(encodeJpyMessage({ header: new Uint8Array(32), content }), proxy.upstream!);
      inner.send(utf8('not a JPY message'), proxy.upstream!);
      // From anyone else: fails the source check.
      const stranger = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
      stranger.send(encodeJpyMessage({ header: known, content }), proxy.upstream!);
      await new Promise((r) => setTimeout(r, 300));
      await stranger.close();
      const after = await readCounters(proxy.proc);
      expect(after.dropped.integrity - before.dropped.integrity, 'integrity drops').to.equal(3);
      expect(after.dropped.malformed - before.dropped.malformed, 'malformed drops').to.equal(1);
      expect(after.dropped.source - before.dropped.source, 'source drops').to.equal(1);
      expect(after.relayedDown, 'nothing relayed to a pledge').to.equal(before.relayedDown);
      expect(after.header!.rejected.integrity - before.header!.rejected.integrity).to.equal(2);
      expect(after.header!.rejected.malformed - before.header!.rejected.malformed).to.equal(1);
    });
  });
});
