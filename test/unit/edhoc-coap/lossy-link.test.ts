/**
 * EDHOC and OSCORE over a lossy link: the pledge's transport is wrapped in a LinkEmulator with 5 %
 * loss in each direction (seeded, so a run is reproducible) and a short ACK_TIMEOUT. Lost
 * datagrams of message_1/2/3 and of the block-wise OSCORE POST are retransmitted by CoAP; the
 * Responder's deduplication answers retransmitted message_1 and message_3 from its cache, so no
 * session is opened or completed twice.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { fromUtf8 } from '../../../src/core/bytes.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { LinkEmulator } from '../../../src/transport/link-emulator.ts';
import { harness, sha256, type Harness } from './helpers.ts';

const LOSS = 0.05;

describe('EDHOC over CoAP over a LinkEmulator with 5 % loss', () => {
  let h: Harness;
  let link: LinkEmulator | undefined;

  beforeEach(async () => {
    h = await harness({
      combinedLayer: true,
      wrapClientTransport: (t) => (link = new LinkEmulator(t, { up: { loss: LOSS }, down: { loss: LOSS }, random: seededRandom(2027) })),
      clientConfig: { ackTimeoutMs: 20, maxRetransmit: 8 },
      serverConfig: { ackTimeoutMs: 20, maxRetransmit: 8 },
    });
  });

  afterEach(() => h.close());

  it('three pledges each run EDHOC (x5chain, 64-byte blocks) and a 2 KB OSCORE POST; one more in combined mode', async () => {
    const pledges = h.pkis.pki.pledges;
    for (let i = 0; i < 3; i++) {
      const est = await h.establish(pledges[i]!);
      const body = seededRandom(100 + i).bytes(2048);
      const res = await est.request(h.echo(body));
      expect(res.code).to.equal(Code.CHANGED);
      expect(fromUtf8(res.payload)).to.equal(`${pledges[i]!.serialNumber} ${sha256(body)}`);
    }
    const est = await h.establish(pledges[0]!, { combined: true });
    const body = seededRandom(200).bytes(2048);
    const res = await est.request(h.echo(body));
    expect(fromUtf8(res.payload)).to.equal(`PLEDGE-0001 ${sha256(body)}`);

    const c = link!.counters;
    expect(c.up.lost + c.down.lost, 'the link did lose datagrams').to.be.greaterThan(0);
    expect(h.client.stats.retransmissions, 'CoAP retransmitted them').to.be.greaterThan(0);
    expect(h.edhoc.stats).to.include({ message1: 4, established: 4, combined: 1, failed: 0, unknownSession: 0 });
    expect(h.serverContexts.size).to.equal(4);
  });
});
