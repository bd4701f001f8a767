/**
 * Block-wise transfers over a lossy emulated link: 10 % loss in each direction (seeded, so a run
 * is reproducible), a short ACK_TIMEOUT so retransmission is quick. A 5 KB Block1 POST and a 5 KB
 * Block2 GET at 64-byte blocks complete with the right bytes, over the in-memory network and over
 * UDP loopback; the emulator's counters prove the loss happened and every lost datagram was
 * retransmitted. The MTU tests show oversize datagrams dropped and counted, and a smaller block
 * size getting through.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Code } from '../../src/codec/coap/numbers/codes.ts';
import { pathOptions } from '../../src/codec/coap/uri.ts';
import { fromUtf8, toHex } from '../../src/core/bytes.ts';
import { isStackError } from '../../src/core/errors.ts';
import { seededRandom } from '../../src/core/random.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../src/stack/endpoint.ts';
import { response } from '../../src/stack/exchange.ts';
import { Router } from '../../src/stack/router.ts';
import { LinkEmulator, type LinkProfile } from '../../src/transport/link-emulator.ts';
import { MemoryNetwork } from '../../src/transport/memory.ts';
import type { PeerAddress, Transport } from '../../src/transport/transport.ts';
import { UdpTransport } from '../../src/transport/udp.ts';

const SIZE = 5000;
const BLOCK = 64;
const BLOCKS = Math.ceil(SIZE / BLOCK);
const EMPTY = new Uint8Array(0);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Harness {
  client: Endpoint;
  server: Endpoint;
  link: LinkEmulator;
  serverPeer: PeerAddress;
  uploads: Uint8Array[];
  body: Uint8Array;
  close(): Promise<void>;
}

/**
 * A server (BlockwiseLayer + Router: GET /data, POST /upload) and a client whose transport is
 * wrapped in a LinkEmulator with `up` / `down` profiles (so both directions of the link are
 * emulated at the client's end).
 */
async function harness(kind: 'memory' | 'udp', link: { up: LinkProfile; down: LinkProfile }, seed: number, maxRetransmit = 8): Promise<Harness> {
  let clientInner: Transport;
  let serverTransport: Transport;
  if (kind === 'memory') {
    const net = new MemoryNetwork();
    serverTransport = net.createTransport('10.0.0.2', 5683);
    clientInner = net.createTransport('10.0.0.1');
  } else {
    serverTransport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    clientInner = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  }
  const body = seededRandom(seed + 1000).bytes(SIZE);
  const uploads: Uint8Array[] = [];
  const server = new Endpoint(serverTransport, [new BlockwiseLayer({ preferredBlockSize: 1024 })], { random: seededRandom(seed + 1) });
  server.setHandler(
    new Router()
      .add({ path: '/data', methods: { [Code.GET]: () => response(Code.CONTENT, body) } })
      .add({
        path: '/upload',
        methods: {
          [Code.POST]: (r) => {
            uploads.push(r.payload);
            return response(Code.CHANGED, sha256(r.payload));
          },
        },
      }).handle,
  );
  const emulator = new LinkEmulator(clientInner, { ...link, random: seededRandom(seed) });
  const client = new Endpoint(emulator, [new BlockwiseLayer({ preferredBlockSize: 1024 })], {
    config: { ackTimeoutMs: 20, maxRetransmit },
    random: seededRandom(seed + 2),
  });
  return {
    client,
    server,
    link: emulator,
    serverPeer: server.localAddress(),
    uploads,
    body,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

for (const kind of ['memory', 'udp'] as const) {
  describe(`link emulator (${kind}): 5 KB block-wise transfers at ${BLOCK}-byte blocks with 10 % loss each way`, function () {
    this.timeout(30_000);
    let h: Harness;

    beforeEach(async function () {
      h = await harness(kind, { up: { loss: 0.1 }, down: { loss: 0.1 } }, 42);
    });

    afterEach(async function () {
      await h?.close();
    });

    function expectLossWasApplied(): void {
      const { up, down } = h.link.counters;
      // About 10 % of some 80+ datagrams each way: with the seeded generator this is never 0.
      expect(up.lost, 'requests lost').to.be.greaterThan(0);
      expect(down.lost, 'responses lost').to.be.greaterThan(0);
      expect(up.lost / up.datagrams).to.be.within(0.02, 0.25);
      expect(down.lost / down.datagrams).to.be.within(0.02, 0.25);
      // The server only answers (piggybacked), so each loss, either way, cost the client exactly
      // one retransmission (more only if a timer fired spuriously).
      expect(h.client.stats.retransmissions).to.be.at.least(up.lost + down.lost);
      expect(h.client.stats.timeouts).to.equal(0);
    }

    it('Block1 POST arrives whole and the answer is its SHA-256', async function () {
      const payload = seededRandom(7).bytes(SIZE);
      const res = await h.client.request({ method: Code.POST, options: pathOptions('/upload'), payload, peer: h.serverPeer, confirmable: true, blockSize: BLOCK });
      expect(res.code).to.equal(Code.CHANGED);
      expect(fromUtf8(res.payload)).to.equal(sha256(payload));
      expect(h.uploads).to.have.length(1);
      expect(toHex(h.uploads[0]!)).to.equal(toHex(payload));
      // Every block went up at least once: BLOCKS distinct exchanges.
      expect(h.link.counters.up.datagrams).to.be.at.least(BLOCKS);
      expectLossWasApplied();
    });

    it('Block2 GET comes back whole', async function () {
      const res = await h.client.request({ method: Code.GET, options: pathOptions('/data'), payload: EMPTY, peer: h.serverPeer, confirmable: true, blockSize: BLOCK });
      expect(res.code).to.equal(Code.CONTENT);
      expect(toHex(res.payload)).to.equal(toHex(h.body));
      expect(h.link.counters.down.datagrams - h.link.counters.down.lost).to.be.at.least(BLOCKS);
      expectLossWasApplied();
    });
  });
}

describe('link emulator: MTU', function () {
  this.timeout(10_000);
  let h: Harness;

  afterEach(async function () {
    await h?.close();
  });

  it('drops and counts oversize requests; 64-byte blocks fit and get through', async function () {
    const maxRetransmit = 2;
    h = await harness('memory', { up: { mtu: 127 }, down: {} }, 1, maxRetransmit);
    const payload = seededRandom(3).bytes(SIZE);
    const post = (blockSize: number) =>
      h.client.request({ method: Code.POST, options: pathOptions('/upload'), payload, peer: h.serverPeer, confirmable: true, blockSize });

    // 1024-byte blocks: the first block never fits, is sent 1 + MAX_RETRANSMIT times, and times out.
    const err = await post(1024).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStackError(err, 'ERR_COAP_TIMEOUT'), String(err)).to.equal(true);
    expect(h.link.counters.up.oversize).to.equal(1 + maxRetransmit);
    expect(h.link.counters.up.datagrams).to.equal(0);
    expect(h.server.stats.received).to.equal(0);

    // 64-byte blocks (about 80 bytes on the wire) pass the 127-byte MTU.
    const res = await post(BLOCK);
    expect(res.code).to.equal(Code.CHANGED);
    expect(fromUtf8(res.payload)).to.equal(sha256(payload));
    expect(h.link.counters.up.oversize).to.equal(1 + maxRetransmit);
    expect(h.link.counters.up.datagrams).to.equal(BLOCKS);
  });

  it('drops and counts oversize responses on the way down', async function () {
    const maxRetransmit = 2;
    h = await harness('memory', { up: {}, down: { mtu: 127 } }, 2, maxRetransmit);
    const get = (blockSize?: number) => h.client.request({ method: Code.GET, options: pathOptions('/data'), payload: EMPTY, peer: h.serverPeer, confirmable: true, blockSize });

    // Without a block size the server answers with a 1024-byte block 0, which the link drops;
    // each retransmitted request gets the same (deduplicated) answer, dropped again.
    const err = await get().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStackError(err, 'ERR_COAP_TIMEOUT'), String(err)).to.equal(true);
    expect(h.link.counters.down.oversize).to.equal(1 + maxRetransmit);
    expect(h.server.stats.duplicates).to.equal(maxRetransmit);

    const res = await get(BLOCK);
    expect(res.code).to.equal(Code.CONTENT);
    expect(toHex(res.payload)).to.equal(toHex(h.body));
    expect(h.link.counters.down.oversize).to.equal(1 + maxRetransmit);
    expect(h.link.counters.down.datagrams).to.equal(BLOCKS);
  });
});
