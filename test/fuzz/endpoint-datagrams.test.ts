/**
 * A live Endpoint (BlockwiseLayer + Router with one resource) over UDP on 127.0.0.1 takes 10,000
 * hostile datagrams from a raw dgram socket: mutations of valid GET, POST, Block1, Block2, ping,
 * ACK and RST messages, and plain random bytes. Afterwards it must still answer well-formed
 * requests (block-wise both ways) correctly, nothing may have thrown or rejected unhandled, every
 * datagram it sent back must decode, and its stats must count exactly the malformed ones.
 *
 * Mutations come from seededRandom; set FUZZ_SEED to replay a failure (the seed is in the titles).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { decodeMessage, encodeMessage, type CoapMessage, type CoapOption } from '../../src/codec/coap/message.ts';
import { encodeBlockOption } from '../../src/codec/coap/block-option.ts';
import { Code, codeClass } from '../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../src/codec/coap/numbers/options.ts';
import { ACK, CON, NON, RST, type MessageType } from '../../src/codec/coap/numbers/types.ts';
import { stringOpt, uintOpt } from '../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../src/codec/coap/uri.ts';
import { bytesEqual, toHex } from '../../src/core/bytes.ts';
import { seededRandom, type Random } from '../../src/core/random.ts';
import { BlockwiseLayer } from '../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../src/stack/endpoint.ts';
import { response } from '../../src/stack/exchange.ts';
import { Router } from '../../src/stack/router.ts';
import type { DatagramReceiver, PeerAddress, Transport } from '../../src/transport/transport.ts';
import { UdpTransport } from '../../src/transport/udp.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_c0a9);
const DATAGRAMS = 10_000;
const BATCH = 250;
const BODY = seededRandom(99).bytes(2000);
const EMPTY: Uint8Array = new Uint8Array(0);

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Counts datagrams handed to the endpoint, so the test can await their arrival instead of sleeping. */
class CountingTransport implements Transport {
  received = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(private readonly inner: Transport) {}
  send(data: Uint8Array, to: PeerAddress): void {
    this.inner.send(data, to);
  }
  setReceiver(receiver: DatagramReceiver): void {
    this.inner.setReceiver((data, from) => {
      this.received++;
      receiver(data, from);
      this.waiters = this.waiters.filter((w) => (this.received >= w.n ? (w.resolve(), false) : true));
    });
  }
  /** Resolves once `n` datagrams have arrived in all; rejects after `ms`. */
  waitFor(n: number, ms: number): Promise<void> {
    if (this.received >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.received} of ${n} datagrams arrived within ${ms} ms`)), ms);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }
  localAddress(): PeerAddress {
    return this.inner.localAddress();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Valid messages to start mutations from; MID and token are fresh each time. */
function baseMessage(r: Random): CoapMessage {
  const mid = r.int(0x10000);
  const token = r.bytes(r.int(9));
  const path = pathOptions('/r');
  const blk = (n: number, b: { num: number; more: boolean; szx: number }): CoapOption => ({ number: n, value: encodeBlockOption(b) });
  const sorted = (o: CoapOption[]): CoapOption[] => o.sort((a, b) => a.number - b.number);
  const req = (type: MessageType, code: number, options: CoapOption[], payload = EMPTY): CoapMessage => ({ type, code, messageId: mid, token, options: sorted(options), payload });
  switch (r.int(11)) {
    case 0:
      return req(CON, Code.GET, path);
    case 1:
      return req(NON, Code.GET, path);
    case 2:
      return req(CON, Code.GET, [...path, blk(Opt.BLOCK2, { num: r.int(4), more: false, szx: r.int(7) })]);
    case 3:
      return req(CON, Code.POST, [...path, uintOpt(Opt.CONTENT_FORMAT, 42)], r.bytes(1 + r.int(80)));
    case 4:
      return req(CON, Code.POST, [...path, blk(Opt.BLOCK1, { num: 0, more: true, szx: 2 }), uintOpt(Opt.SIZE1, 200)], r.bytes(64));
    case 5:
      return req(CON, Code.POST, [...path, blk(Opt.BLOCK1, { num: 1 + r.int(3), more: r.float() < 0.5, szx: 2 })], r.bytes(r.float() < 0.5 ? 64 : 10));
    case 6:
      return req(CON, Code.GET, [...pathOptions('/.well-known/core'), stringOpt(Opt.URI_QUERY, 'rt=file')]);
    case 7:
      return { type: CON, code: 0, messageId: mid, token: EMPTY, options: [], payload: EMPTY };
    case 8:
      return { type: r.float() < 0.5 ? ACK : RST, code: 0, messageId: mid, token: EMPTY, options: [], payload: EMPTY };
    case 9:
      return req(r.float() < 0.5 ? ACK : CON, Code.CONTENT, [uintOpt(Opt.CONTENT_FORMAT, 0)], r.bytes(5));
    default:
      return req(CON, r.float() < 0.5 ? Code.PUT : Code.DELETE, [...path, { number: 1 + 2 * r.int(200), value: r.bytes(r.int(4)) }]);
  }
}

function mutate(b: Uint8Array, r: Random): Uint8Array {
  // Mostly one mutation, so that many datagrams stay decodable and reach the layers and the router.
  const rounds = r.float() < 0.6 ? 1 : 2 + r.int(2);
  let out = b;
  for (let k = 0; k < rounds; k++) {
    const i = out.length ? r.int(out.length) : 0;
    switch (r.int(7)) {
      case 0: {
        if (!out.length) break;
        const c = out.slice();
        c[i] = c[i]! ^ (1 + r.int(255));
        out = c;
        break;
      }
      case 1:
        out = out.slice(0, i);
        break;
      case 2:
        out = Uint8Array.of(...out, ...r.bytes(1 + r.int(30)));
        break;
      case 3:
        out = Uint8Array.of(...out.subarray(0, i), ...r.bytes(1 + r.int(6)), ...out.subarray(i));
        break;
      case 4:
        out = Uint8Array.of(...out.subarray(0, i), ...out.subarray(i + 1 + r.int(6)));
        break;
      case 5: {
        // Another token length in the header.
        if (!out.length) break;
        const c = out.slice();
        c[0] = (c[0]! & 0xf0) | r.int(16);
        out = c;
        break;
      }
      default: {
        // An option header byte right after the token, with any delta/length nibbles.
        if (out.length < 4) break;
        const at = Math.min(out.length - 1, 4 + (out[0]! & 0x0f));
        const c = out.slice();
        c[at] = r.int(256);
        out = c;
      }
    }
  }
  return out;
}

function datagram(r: Random): Uint8Array {
  const p = r.float();
  if (p < 0.1) return r.bytes(r.int(120));
  if (p < 0.2) return Uint8Array.of(0x40 | r.int(64), ...r.bytes(3 + r.int(60)));
  return mutate(encodeMessage(baseMessage(r)), r);
}

/** What the endpoint should count as malformed: undecodable, or a reserved code class (1, 6, 7). */
function isMalformed(b: Uint8Array): boolean {
  try {
    const c = codeClass(decodeMessage(b).code);
    return c === 1 || c >= 6;
  } catch {
    return true;
  }
}

describe(`fuzz: live endpoint takes ${DATAGRAMS} hostile datagrams (FUZZ_SEED=${SEED})`, function () {
  this.timeout(30_000);

  let counting: CountingTransport;
  let server: Endpoint;
  let blockwise: BlockwiseLayer;
  let raw: Socket;
  let client: Endpoint;
  const replies: Buffer[] = [];
  const problems: string[] = [];
  const onRejection = (reason: unknown): void => void problems.push(`unhandledRejection: ${String(reason)}`);
  const onException = (err: Error): void => void problems.push(`uncaughtException: ${err.stack ?? String(err)}`);

  before(async function () {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    counting = new CountingTransport(await UdpTransport.bind({ host: '127.0.0.1', port: 0, recvBufferSize: 4 << 20 }));
    blockwise = new BlockwiseLayer({ maxBodySize: 64 * 1024 });
    server = new Endpoint(counting, [blockwise]);
    const router = new Router().add({
      path: '/r',
      methods: {
        [Code.GET]: () => response(Code.CONTENT, BODY),
        [Code.POST]: (req) => response(Code.CHANGED, sha256(req.payload)),
      },
    });
    server.setHandler(router.handle);
    raw = createSocket('udp4');
    raw.on('message', (m) => replies.push(m));
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', () => resolve()));
    client = new Endpoint(await UdpTransport.bind({ host: '127.0.0.1', port: 0 }), [new BlockwiseLayer()], { config: { ackTimeoutMs: 200 } });
  });

  after(async function () {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    await client?.close();
    await server?.close();
    await new Promise<void>((resolve) => (raw ? raw.close(() => resolve()) : resolve()));
  });

  it('survives the flood, counts exactly the malformed datagrams, and sends back only well-formed ones', async function () {
    const r = seededRandom(SEED);
    const to = server.localAddress();
    const statsBefore = { ...server.stats };
    let expectedMalformed = 0;
    for (let sent = 0; sent < DATAGRAMS; ) {
      const batch: Promise<void>[] = [];
      for (let k = 0; k < BATCH && sent < DATAGRAMS; k++, sent++) {
        const d = datagram(r);
        if (isMalformed(d)) expectedMalformed++;
        batch.push(new Promise<void>((resolve, reject) => raw.send(d, to.port, to.address, (e) => (e ? reject(e) : resolve()))));
      }
      await Promise.all(batch);
      // Loopback loses nothing at this pace: wait for the batch to arrive before sending more.
      await counting.waitFor(sent, 5000);
    }
    expect(server.stats.received - statsBefore.received).to.equal(DATAGRAMS);
    expect(server.stats.malformed - statsBefore.malformed).to.equal(expectedMalformed);
    expect(expectedMalformed).to.be.within(DATAGRAMS * 0.2, DATAGRAMS * 0.95);
    // The endpoint answered a good part of the valid ones (responses, RSTs, 2.31s).
    expect(server.stats.sent).to.be.greaterThan(500);
    // State grown by one hostile peer stays within the configured bounds (DESIGN.md §6).
    expect(blockwise.activeReassemblies).to.be.at.most(blockwise.config.maxReassembliesPerPeer);
    expect(blockwise.cachedResponses).to.be.at.most(blockwise.config.maxCachedResponses);

    // A well-formed CON GET from the same hostile peer still gets block 0 of the resource.
    const token = Uint8Array.of(0xfe, 0xed, 0xfa, 0xce);
    const probe = encodeMessage({
      type: CON,
      code: Code.GET,
      messageId: 4242,
      token,
      options: [...pathOptions('/r'), { number: Opt.BLOCK2, value: encodeBlockOption({ num: 0, more: false, szx: 2 }) }],
      payload: EMPTY,
    });
    const answer = new Promise<CoapMessage>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer to the probe')), 5000);
      const onMessage = (m: Buffer): void => {
        const msg = decodeMessage(m);
        if (msg.type === ACK && msg.messageId === 4242 && bytesEqual(msg.token, token)) {
          clearTimeout(t);
          raw.off('message', onMessage);
          resolve(msg);
        }
      };
      raw.on('message', onMessage);
    });
    raw.send(probe, to.port, to.address);
    const msg = await answer;
    expect(msg.code).to.equal(Code.CONTENT);
    expect(toHex(msg.payload)).to.equal(toHex(BODY.subarray(0, 64)));

    // Every datagram the endpoint sent to the fuzzer decodes.
    expect(replies.length).to.be.greaterThan(500);
    const undecodable = replies.filter((b) => {
      try {
        decodeMessage(b);
        return false;
      } catch {
        return true;
      }
    });
    expect(undecodable.map((b) => b.toString('hex'))).to.deep.equal([]);
  });

  it('still serves a block-wise GET and a block-wise POST from another peer correctly', async function () {
    const peer = server.localAddress();
    const got = await client.request({ method: Code.GET, options: pathOptions('/r'), payload: EMPTY, peer, confirmable: true, blockSize: 64 });
    expect(got.code).to.equal(Code.CONTENT);
    expect(toHex(got.payload)).to.equal(toHex(BODY));
    const body = seededRandom(5).bytes(3000);
    const posted = await client.request({ method: Code.POST, options: pathOptions('/r'), payload: body, peer, confirmable: true, blockSize: 64 });
    expect(posted.code).to.equal(Code.CHANGED);
    expect(new TextDecoder().decode(posted.payload)).to.equal(sha256(body));
  });

  it('had no unhandled rejection or uncaught exception', function () {
    expect(problems).to.deep.equal([]);
  });
});
