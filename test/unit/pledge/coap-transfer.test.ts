/**
 * CMP over CoAP from the pledge (RFC 9482 with RFC 7959 block-wise), over the in-memory network:
 * POST CF 259 to the configured path, every datagram within the pledge's block size in both
 * directions (Block2 asked for on the last Block1), CoAP errors as typed transport failures,
 * and the byte counters.
 */
import { expect } from 'chai';
import { decodeMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { uintOpt, uintOption } from '../../../src/codec/coap/option-value.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response } from '../../../src/stack/exchange.ts';
import { Router, type RoutedRequest } from '../../../src/stack/router.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { StackError } from '../../../src/core/errors.ts';
import { isRetryableHandshakeFailure, isTransientFailure } from '../../../src/protocol/pledge/index.ts';
import { EdhocError } from '../../../src/protocol/edhoc/index.ts';
import { coapCmpTransfer } from '../../../pledge/coap-transfer.ts';
import { CountingTransport } from '../../../pledge/counting-transport.ts';
import { rejection } from '../cmp-protocol/helpers.ts';

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('pledge: CMP over CoAP transfer (RFC 9482, RFC 7959)', () => {
  let net: MemoryNetwork;
  let server: Endpoint;
  let client: Endpoint;
  let counting: CountingTransport;
  let seen: RoutedRequest[];
  let answer: (req: RoutedRequest) => ReturnType<typeof response>;
  const datagrams: { from: number; size: number; payload: number }[] = [];

  beforeEach(() => {
    net = new MemoryNetwork();
    datagrams.length = 0;
    net.tap = (d) => {
      const m = decodeMessage(d.data);
      datagrams.push({ from: d.from.port, size: d.data.length, payload: m.payload.length });
    };
    seen = [];
    answer = (req) => response(Code.CHANGED, bytes(1500, 9).map((b, i) => b ^ (req.payload[i % req.payload.length] ?? 0)), [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.PKIXCMP)]);
    server = new Endpoint(net.createTransport('10.0.0.1', 5683), [new BlockwiseLayer({ preferredBlockSize: 1024 })]);
    server.setHandler(
      new Router().add({
        path: '/.well-known/cmp',
        prefix: true,
        accepts: [ContentFormat.PKIXCMP],
        methods: {
          [Code.POST]: (req) => {
            seen.push(req);
            return answer(req);
          },
        },
      }).handle,
    );
    counting = new CountingTransport(net.createTransport('10.0.0.2'));
    client = new Endpoint(counting, [new BlockwiseLayer({ preferredBlockSize: 64 })]);
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('POSTs CF 259 to /.well-known/cmp/p/LABEL; 64-byte blocks both ways; the body arrives whole', async () => {
    const transfer = coapCmpTransfer(client, { peer: { address: '10.0.0.1', port: 5683 }, path: ['.well-known', 'cmp', 'p', 'site-a'], blockSize: 64, timeoutMs: 10_000 });
    const req = bytes(700, 3);
    const rsp = await transfer(req);
    expect(seen).to.have.length(1);
    expect(seen[0]!.path).to.deep.equal(['.well-known', 'cmp', 'p', 'site-a']);
    expect(uintOption(seen[0]!, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.PKIXCMP);
    expect(seen[0]!.payload).to.deep.equal(req);
    expect(rsp).to.deep.equal(answer(seen[0]!).payload);
    // No payload above 64 bytes in either direction (the server prefers 1024).
    expect(Math.max(...datagrams.map((d) => d.payload))).to.equal(64);
    const fromServer = datagrams.filter((d) => d.from === 5683);
    expect(fromServer.length).to.equal(Math.ceil(700 / 64) - 1 + Math.ceil(1500 / 64));
    // The counters see exactly the client's side of the wire.
    const sent = datagrams.filter((d) => d.from !== 5683);
    expect(counting.counters.datagramsSent).to.equal(sent.length);
    expect(counting.counters.bytesSent).to.equal(sent.reduce((a, d) => a + d.size, 0));
    expect(counting.counters.bytesReceived).to.equal(fromServer.reduce((a, d) => a + d.size, 0));
  });

  it('a short request without Block1 to a peer known to do block-wise gets its answer in 64-byte blocks (Block2 early negotiation)', async () => {
    const transfer = coapCmpTransfer(client, { peer: { address: '10.0.0.1', port: 5683 }, blockSize: 64, timeoutMs: 10_000 });
    await transfer(bytes(700, 2)); // a block-wise exchange first: the peer is known to do block-wise
    datagrams.length = 0;
    seen.length = 0;
    await transfer(bytes(40, 1));
    expect(seen[0]!.path).to.deep.equal(['.well-known', 'cmp']);
    expect(Math.max(...datagrams.filter((d) => d.from === 5683).map((d) => d.payload))).to.equal(64);
  });

  it('BlockwiseLayer alone asks for its block size in the answer to a POST (RFC 7959 §2.3, §2.4)', async () => {
    const plain = new Endpoint(net.createTransport('10.0.0.3'), [new BlockwiseLayer({ preferredBlockSize: 64 })]);
    try {
      await coapCmpTransfer(plain, { peer: { address: '10.0.0.1', port: 5683 }, blockSize: 64, timeoutMs: 10_000 })(bytes(700, 3));
      expect(Math.max(...datagrams.filter((d) => d.from === 5683).map((d) => d.payload)), 'largest response payload').to.equal(64);
    } finally {
      await plain.close();
    }
  });

  it('5.03 with Max-Age is a transient failure carrying the wait; 4.04 is not transient', async () => {
    const transfer = coapCmpTransfer(client, { peer: { address: '10.0.0.1', port: 5683 }, blockSize: 64, timeoutMs: 10_000 });
    answer = () => response(Code.SERVICE_UNAVAILABLE, 'upstream busy', [uintOpt(Opt.MAX_AGE, 7)]);
    const e = await rejection(transfer(bytes(10, 1)));
    expect(e.code).to.equal('ERR_COAP_RESPONSE');
    expect(e.details.maxAgeSeconds).to.equal(7);
    expect(e.message).to.match(/5\.03.*upstream busy/);
    expect(isTransientFailure(e)).to.equal(true);

    const other = coapCmpTransfer(client, { peer: { address: '10.0.0.1', port: 5683 }, path: ['nothing'], blockSize: 64, timeoutMs: 10_000 });
    const nf = await rejection(other(bytes(10, 1)));
    expect(nf.details.coapCode).to.equal(Code.NOT_FOUND);
    expect(isTransientFailure(nf)).to.equal(false);
  });

  it('a handshake starts over after transient failures, a busy responder or a lost session, not after a refusal', () => {
    expect(isRetryableHandshakeFailure(new StackError('ERR_COAP_TIMEOUT', 'no ACK'))).to.equal(true);
    expect(isRetryableHandshakeFailure(new StackError('ERR_COAP_RESPONSE', 'unprotected 4.08', { responseCode: Code.REQUEST_ENTITY_INCOMPLETE, coapCode: Code.REQUEST_ENTITY_INCOMPLETE }))).to.equal(true);
    expect(isRetryableHandshakeFailure(new EdhocError('Responder answered message_1 with 5.03 and EDHOC error 1: too many sessions', { details: { responseCode: Code.SERVICE_UNAVAILABLE } }))).to.equal(true);
    expect(isRetryableHandshakeFailure(new EdhocError('Responder answered message_3 with 4.00 and EDHOC error 1: unknown or expired EDHOC session', { details: { responseCode: Code.BAD_REQUEST } }))).to.equal(true);
    expect(isRetryableHandshakeFailure(new EdhocError('Responder answered message_3 with 4.00 and EDHOC error 1: pledge X is not on the allow list', { details: { responseCode: Code.BAD_REQUEST } }))).to.equal(false);
    expect(isRetryableHandshakeFailure(new StackError('ERR_COAP_RESPONSE', '4.03', { coapCode: Code.FORBIDDEN }))).to.equal(false);
  });

  it('a 2.04 with another Content-Format, or without payload, is refused', async () => {
    const transfer = coapCmpTransfer(client, { peer: { address: '10.0.0.1', port: 5683 }, blockSize: 64, timeoutMs: 10_000 });
    answer = () => response(Code.CHANGED, 'hello', [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.TEXT_PLAIN)]);
    expect((await rejection(transfer(bytes(10, 1)))).message).to.match(/content-format 0/);
    answer = () => response(Code.CHANGED);
    expect((await rejection(transfer(bytes(10, 1)))).message).to.match(/without a CMP message/);
  });
});
