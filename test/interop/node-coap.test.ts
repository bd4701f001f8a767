/**
 * node-coap (the `coap` package, 1.5) as a second, independent peer in both directions.
 *
 * What works and is tested: node-coap's client GETs small and block-wise (Block2) resources from
 * our server and POSTs small bodies to it; our client GETs small and Block2 resources from
 * node-coap's server (at its 1024-byte default and at 64-byte blocks we ask for) and POSTs small
 * bodies to it.
 *
 * What does not work, and why: a Block1 upload from us to node-coap's server. node-coap keys its
 * Block1 reassembly on the token (`_toCacheKey`: token + client address), while our client (like
 * libcoap's) sends every block as a new request with a fresh token, as RFC 7959 §2.3 and RFC 9175
 * §3.3 allow: tokens match responses to requests, not blocks to bodies. Each block therefore lands
 * in a new, empty reassembly; the last one finds its offset is not 0, throws "Byte offset not the
 * next in line...", and node-coap answers 5.00 (a NON, sent by `_sendError`). The test below pins
 * that outcome so a node-coap release that fixes it shows up here. The same mismatch affects
 * node-coap's Block2 cache (also keyed by token): it misses for every follow-up block, and the
 * handler simply runs again for each block, which is harmless for a deterministic resource.
 */
import { expect } from 'chai';
import * as coap from 'coap';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { blockSize, decodeBlockOption } from '../../src/codec/coap/block-option.ts';
import type { CoapMessage } from '../../src/codec/coap/message.ts';
import { Code, formatCode } from '../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../src/codec/coap/numbers/options.ts';
import { ACK } from '../../src/codec/coap/numbers/types.ts';
import { findOption, uintOpt } from '../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../src/codec/coap/uri.ts';
import { fromUtf8 } from '../../src/core/bytes.ts';
import { seededRandom } from '../../src/core/random.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint, type TraceDirection } from '../../src/stack/endpoint.ts';
import { response } from '../../src/stack/exchange.ts';
import { Router } from '../../src/stack/router.ts';
import type { PeerAddress } from '../../src/transport/transport.ts';
import { UdpTransport } from '../../src/transport/udp.ts';

const SMALL = 'hello from the other side';
const LARGE = seededRandom(7).bytes(3000);
const EMPTY = new Uint8Array(0);

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface NodeCoapResponse {
  code: string;
  payload: Buffer;
  headers: Record<string, unknown>;
}

/** One node-coap request, resolved with its (reassembled) response. */
function nodeCoapRequest(agent: coap.Agent, params: coap.CoapRequestParams, payload?: Uint8Array, block2?: Buffer): Promise<NodeCoapResponse> {
  return new Promise((resolve, reject) => {
    const req = coap.request({ agent, hostname: '127.0.0.1', confirmable: true, ...params });
    if (block2) req.setOption('Block2', block2);
    const timer = setTimeout(() => reject(new Error(`node-coap ${params.method ?? 'GET'} ${params.pathname} got no response`)), 10_000);
    req.on('response', (res: NodeCoapResponse) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(payload ? Buffer.from(payload) : undefined);
  });
}

describe('interop: node-coap client -> our server (Endpoint + BlockwiseLayer + Router over UDP)', function () {
  let server: Endpoint;
  let port: number;
  let agent: coap.Agent;
  const posted: Uint8Array[] = [];

  before(async function () {
    const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    server = new Endpoint(transport, [new BlockwiseLayer()]);
    const router = new Router()
      .add({ path: '/small', methods: { [Code.GET]: () => response(Code.CONTENT, SMALL, [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.TEXT_PLAIN)]) } })
      .add({ path: '/large', methods: { [Code.GET]: () => response(Code.CONTENT, LARGE, [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.OCTET_STREAM)]) } })
      .add({
        path: '/echo',
        methods: {
          [Code.POST]: (r) => {
            posted.push(r.payload);
            return response(Code.CHANGED, sha256(r.payload));
          },
        },
      });
    server.setHandler(router.handle);
    port = server.localAddress().port;
    agent = new coap.Agent({ type: 'udp4' });
  });

  after(async function () {
    agent?.close();
    await server?.close();
  });

  it('GET a small resource', async function () {
    const res = await nodeCoapRequest(agent, { port, pathname: '/small', method: 'GET' });
    expect(res.code).to.equal('2.05');
    expect(res.payload.toString('utf8')).to.equal(SMALL);
    expect(res.headers['Content-Format']).to.equal('text/plain');
  });

  it('GET a 3000-byte resource: node-coap follows our Block2 (1024-byte blocks) to the end', async function () {
    const before = server.stats.received;
    const res = await nodeCoapRequest(agent, { port, pathname: '/large', method: 'GET' });
    expect(res.code).to.equal('2.05');
    expect(Buffer.compare(res.payload, LARGE)).to.equal(0);
    expect(server.stats.received - before).to.equal(Math.ceil(LARGE.length / 1024));
  });

  it('GET a 3000-byte resource with 64-byte blocks asked for by node-coap (Block2 early negotiation)', async function () {
    const before = server.stats.received;
    // Block2 num 0, M 0, SZX 2 (64 bytes).
    const res = await nodeCoapRequest(agent, { port, pathname: '/large', method: 'GET' }, undefined, Buffer.of(0x02));
    expect(res.code).to.equal('2.05');
    expect(Buffer.compare(res.payload, LARGE)).to.equal(0);
    expect(server.stats.received - before).to.equal(Math.ceil(LARGE.length / 64));
  });

  it('POST a small body: the handler sees it and the answer is its SHA-256', async function () {
    const body = seededRandom(11).bytes(300);
    posted.length = 0;
    const res = await nodeCoapRequest(agent, { port, pathname: '/echo', method: 'POST' }, body);
    expect(res.code).to.equal('2.04');
    expect(res.payload.toString('utf8')).to.equal(sha256(body));
    expect(posted).to.have.length(1);
    expect(Buffer.compare(posted[0]!, body)).to.equal(0);
  });

  it('GET of a missing resource answers 4.04 and a wrong method 4.05', async function () {
    expect((await nodeCoapRequest(agent, { port, pathname: '/nothing', method: 'GET' })).code).to.equal('4.04');
    expect((await nodeCoapRequest(agent, { port, pathname: '/small', method: 'DELETE' })).code).to.equal('4.05');
  });
});

describe('interop: our client (Endpoint + BlockwiseLayer over UDP) -> node-coap server', function () {
  let nodeServer: coap.Server;
  let peer: PeerAddress;
  let client: Endpoint;
  const trace: { dir: TraceDirection; msg: CoapMessage }[] = [];
  const ackWaiters = new Set<() => void>();
  const handled: { method: string; url: string; payload: Buffer }[] = [];

  before(async function () {
    nodeServer = coap.createServer({ type: 'udp4' }, (req, res) => {
      handled.push({ method: req.method, url: req.url, payload: req.payload });
      if (req.method === 'GET' && req.url === '/small') {
        res.setOption('Content-Format', 'text/plain');
        res.end(SMALL);
      } else if (req.method === 'GET' && req.url === '/large') {
        res.end(Buffer.from(LARGE));
      } else if (req.method === 'POST' && req.url === '/echo') {
        res.code = '2.04';
        res.end(sha256(req.payload));
      } else {
        res.code = '4.04';
        res.end();
      }
    });
    await new Promise<void>((resolve, reject) => nodeServer.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    peer = { address: '127.0.0.1', port: (nodeServer._sock as Socket).address().port };
    const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    const tracer = (dir: TraceDirection, msg: CoapMessage): void => {
      trace.push({ dir, msg });
      for (const w of [...ackWaiters]) w();
    };
    client = new Endpoint(transport, [new BlockwiseLayer()], { tracer, config: { ackTimeoutMs: 500 } });
  });

  after(async function () {
    await client?.close();
    await new Promise<void>((resolve) => (nodeServer ? nodeServer.close(() => resolve()) : resolve()));
  });

  beforeEach(function () {
    trace.length = 0;
    handled.length = 0;
  });

  /** Resolves when an empty ACK for message `mid` comes in (seen by the tracer). */
  function lateAck(mid: number, ms = 3000): Promise<void> {
    const seen = (): boolean => trace.some((t) => t.dir === 'in' && t.msg.type === ACK && t.msg.code === 0 && t.msg.messageId === mid);
    if (seen()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ackWaiters.delete(check);
        reject(new Error(`no empty ACK for MID ${mid} within ${ms} ms`));
      }, ms);
      const check = (): void => {
        if (!seen()) return;
        clearTimeout(timer);
        ackWaiters.delete(check);
        resolve();
      };
      ackWaiters.add(check);
    });
  }

  const get = (path: string, blockSize?: number) =>
    client.request({ method: Code.GET, options: pathOptions(path), payload: EMPTY, peer, confirmable: true, blockSize });

  it('GET a small resource', async function () {
    const res = await get('/small');
    expect(formatCode(res.code)).to.equal('2.05');
    expect(fromUtf8(res.payload)).to.equal(SMALL);
  });

  it('GET a 3000-byte resource: we follow node-coap Block2 (its 1024-byte default) to the end', async function () {
    const res = await get('/large');
    expect(formatCode(res.code)).to.equal('2.05');
    expect(Buffer.compare(res.payload, LARGE)).to.equal(0);
    const blocks = trace.filter((t) => t.dir === 'in').map((t) => decodeBlockOption(findOption(t.msg, Opt.BLOCK2)!));
    expect(blocks.map((b) => b.num)).to.deep.equal([0, 1, 2]);
    expect(blocks.every((b) => blockSize(b.szx) === 1024)).to.equal(true);
  });

  it('GET a 3000-byte resource at 64-byte blocks: node-coap honours our early Block2 negotiation', async function () {
    const res = await get('/large', 64);
    expect(formatCode(res.code)).to.equal('2.05');
    expect(Buffer.compare(res.payload, LARGE)).to.equal(0);
    const inbound = trace.filter((t) => t.dir === 'in').map((t) => t.msg);
    expect(inbound).to.have.length(Math.ceil(LARGE.length / 64));
    expect(inbound.every((m) => m.payload.length <= 64)).to.equal(true);
    expect(inbound.map((m) => decodeBlockOption(findOption(m, Opt.BLOCK2)!).num)).to.deep.equal([...Array(inbound.length).keys()]);
  });

  it('POST a small body (one message): node-coap sees it whole and answers its SHA-256', async function () {
    const body = seededRandom(13).bytes(500);
    const res = await client.request({ method: Code.POST, options: pathOptions('/echo'), payload: body, peer, confirmable: true });
    expect(formatCode(res.code)).to.equal('2.04');
    expect(fromUtf8(res.payload)).to.equal(sha256(body));
    expect(handled).to.have.length(1);
    expect(Buffer.compare(handled[0]!.payload, body)).to.equal(0);
    expect(trace.filter((t) => t.dir === 'out').every((t) => findOption(t.msg, Opt.BLOCK1) === undefined)).to.equal(true);
  });

  it('known limitation: a Block1 POST from us fails on node-coap (it reassembles by token), with 5.00', async function () {
    const body = seededRandom(17).bytes(3000);
    const res = await client.request({ method: Code.POST, options: pathOptions('/echo'), payload: body, peer, confirmable: true, blockSize: 1024 });
    // Blocks 0 and 1 were each acknowledged 2.31; the last one failed reassembly.
    const inbound = trace.filter((t) => t.dir === 'in').map((t) => formatCode(t.msg.code));
    expect(inbound).to.deep.equal(['2.31', '2.31', '5.00']);
    expect(formatCode(res.code)).to.equal('5.00');
    expect(fromUtf8(res.payload)).to.match(/Byte offset not the next in line/);
    // The handler never saw the body.
    expect(handled).to.have.length(0);
    // node-coap's piggyback timer for that failed request still fires ~50 ms later with an empty
    // ACK. Wait for it: closing node-coap's server before then makes that timer send on a closed
    // socket, an uncaught ERR_SOCKET_DGRAM_NOT_RUNNING inside node-coap (its close() does not
    // cancel pending response timers).
    const lastMid = trace.filter((t) => t.dir === 'out').at(-1)!.msg.messageId;
    await lateAck(lastMid);
  });
});
