/**
 * The OSCORE layer end to end: two Endpoints on a MemoryNetwork with layers
 * `[BlockwiseLayer, OscoreLayer]` (outer block-wise under OSCORE), and a raw peer for replays and
 * hand-made requests.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { decodeMessage, type CoapMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { ACK, CON } from '../../../src/codec/coap/numbers/types.ts';
import { findOption, stringOptions } from '../../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { fromUtf8 } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { encodeOscoreOption } from '../../../src/protocol/oscore/oscore-option.ts';
import type { Kid, PartialIv } from '../../../src/protocol/oscore/ids.ts';
import type { SecurityContext } from '../../../src/protocol/oscore/security-context.ts';
import { BlockwiseLayer } from '../../../src/stack/blockwise-layer.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response, type ClientRequest, type CoapResponse } from '../../../src/stack/exchange.ts';
import { OscoreLayer, oscoreInfo, withOscore, type OscoreRejectEvent } from '../../../src/stack/oscore-layer.ts';
import { Router } from '../../../src/stack/router.ts';
import { MemoryNetwork, type Datagram } from '../../../src/transport/memory.ts';
import { RawPeer } from '../lockstep/raw-peer.ts';
import { body, clientContext, serverContext } from './helpers.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const text = (r: { payload: Uint8Array }): string => fromUtf8(r.payload);

describe('OscoreLayer over MemoryNetwork ([blockwise, oscore])', () => {
  let net: MemoryNetwork;
  let server: Endpoint;
  let client: Endpoint;
  let serverLayer: OscoreLayer;
  let clientCtx: SecurityContext;
  let serverCtx: SecurityContext;
  let seen: Datagram[];
  let raw: RawPeer;
  let mid = 0x400;

  beforeEach(() => {
    net = new MemoryNetwork();
    seen = [];
    net.tap = (d) => void seen.push(d);
    serverCtx = serverContext();
    clientCtx = clientContext();
    const registry = new SecurityContextRegistry({ maxContexts: 8 }).add(serverCtx);
    serverLayer = new OscoreLayer({ contexts: registry, require: (req) => stringOptions(req, Opt.URI_PATH)[0] === 'secure' });
    const router = new Router()
      .add({
        path: '/secure/upload',
        methods: {
          [Code.POST]: (req) => {
            const info = oscoreInfo(req)!;
            const reply = new Uint8Array(3 * 1024).map((_, i) => req.payload[i % req.payload.length]! ^ 0x5a);
            return response(Code.CHANGED, reply, [{ number: Opt.LOCATION_PATH, value: new TextEncoder().encode(`${sha(req.payload).slice(0, 8)}-seq${info.sequenceNumber}`) }]);
          },
        },
      })
      .add({ path: '/secure/who', methods: { [Code.GET]: (req) => response(Code.CONTENT, `kid=${Buffer.from(oscoreInfo(req)!.kid).toString('hex')}`) } })
      .add({ path: '/secure/fail', methods: { [Code.GET]: () => Promise.reject(new Error('boom')) } })
      .add({ path: '/open', methods: { [Code.GET]: (req) => response(Code.CONTENT, oscoreInfo(req) ? 'protected' : 'plain') } });
    server = new Endpoint(net.createTransport('10.0.0.1', 5683), [new BlockwiseLayer({ preferredBlockSize: 64 }), serverLayer]).setHandler(router.handle);
    client = new Endpoint(net.createTransport('10.0.0.2', 5683), [new BlockwiseLayer({ preferredBlockSize: 64 }), new OscoreLayer({ contexts: new SecurityContextRegistry().add(clientCtx) })]);
    raw = new RawPeer(net, '10.0.0.3', 5683);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
    await raw.transport.close();
  });

  const req = (method: number, path: string, payload: Uint8Array = new Uint8Array(0)): ClientRequest => ({
    method,
    options: pathOptions(path),
    payload,
    peer: server.localAddress(),
    confirmable: true,
    blockSize: 64,
  });

  async function rawRequest(m: Partial<CoapMessage>): Promise<CoapMessage> {
    raw.send(server.localAddress(), { type: CON, code: Code.POST, messageId: ++mid, token: Uint8Array.of(mid & 0xff), ...m });
    return (await raw.next()).msg;
  }

  it('carries a 3 KB protected POST and a 3 KB protected response in 64-byte outer blocks', async () => {
    const payload = body(3 * 1024, 3);
    const res = await client.request(withOscore(req(Code.POST, '/secure/upload', payload), clientCtx));
    expect(res.code).to.equal(Code.CHANGED);
    expect(res.payload.length).to.equal(3 * 1024);
    expect(res.payload.every((b, i) => b === (payload[i]! ^ 0x5a))).to.equal(true);
    expect(fromUtf8(findOption(res, Opt.LOCATION_PATH)!)).to.equal(`${sha(payload).slice(0, 8)}-seq0`);

    const toServer = seen.filter((d) => d.to.address === '10.0.0.1').map((d) => decodeMessage(d.data));
    const toClient = seen.filter((d) => d.to.address === '10.0.0.2').map((d) => decodeMessage(d.data));
    expect(toServer.filter((m) => findOption(m, Opt.BLOCK1)).length, 'Block1 blocks').to.be.greaterThanOrEqual(48);
    expect(toClient.filter((m) => findOption(m, Opt.BLOCK2)).length, 'Block2 blocks').to.be.greaterThanOrEqual(48);
    for (const m of toServer) {
      expect(findOption(m, Opt.OSCORE), 'every request block carries the OSCORE option').to.not.equal(undefined);
      expect(findOption(m, Opt.URI_PATH), 'Uri-Path travels encrypted').to.equal(undefined);
      expect(m.code, 'outer code').to.equal(Code.POST);
      expect(m.payload.length).to.be.at.most(64);
    }
    const final = toClient.filter((m) => m.code === Code.CHANGED);
    expect(final.length).to.be.greaterThan(0);
    for (const m of final) expect(findOption(m, Opt.LOCATION_PATH), 'Location-Path travels encrypted').to.equal(undefined);
    expect(serverLayer.stats.verified, 'verified once, after reassembly').to.equal(1);
  });

  it('passes the security context facts to the handler', async () => {
    const res = await client.request(withOscore(req(Code.GET, '/secure/who'), clientCtx.key));
    expect(res.code).to.equal(Code.CONTENT);
    expect(text(res)).to.equal('kid=');
  });

  it('protects the error responses of the handler (§8.3)', async () => {
    const notFound = await client.request(withOscore(req(Code.GET, '/secure/nothing'), clientCtx));
    expect(notFound.code).to.equal(Code.NOT_FOUND);
    const failed = await client.request(withOscore(req(Code.GET, '/secure/fail'), clientCtx));
    expect(failed.code).to.equal(Code.INTERNAL_SERVER_ERROR);
    const wire = seen.filter((d) => d.to.address === '10.0.0.2').map((d) => decodeMessage(d.data));
    expect(wire.every((m) => m.code === Code.CHANGED && findOption(m, Opt.OSCORE) !== undefined), 'on the wire: 2.04 with OSCORE').to.equal(true);
  });

  it('answers a replayed protected request with an unprotected 4.01 "Replay detected"', async () => {
    const events: OscoreRejectEvent[] = [];
    const onReject = (e: unknown): void => void events.push(e as OscoreRejectEvent);
    subscribe('brski-ae:oscore:reject', onReject);
    try {
      const first = await client.request(withOscore(req(Code.GET, '/secure/who'), clientCtx));
      expect(first.code).to.equal(Code.CONTENT);
      const captured = decodeMessage(seen.find((d) => d.to.address === '10.0.0.1')!.data);
      const replay = await rawRequest({ code: captured.code, options: captured.options, payload: captured.payload });
      expect(replay.code).to.equal(Code.UNAUTHORIZED);
      expect(text(replay)).to.equal('Replay detected');
      expect(findOption(replay, Opt.OSCORE), 'OSCORE errors are not protected').to.equal(undefined);
      expect(findOption(replay, Opt.MAX_AGE), 'Outer Max-Age 0').to.deep.equal(new Uint8Array(0));
      expect(events.map((e) => e.code)).to.deep.equal(['ERR_OSCORE_REPLAY']);
    } finally {
      unsubscribe('brski-ae:oscore:reject', onReject);
    }
    // the legitimate client goes on
    const again = await client.request(withOscore(req(Code.GET, '/secure/who'), clientCtx));
    expect(again.code).to.equal(Code.CONTENT);
  });

  it('refuses an unprotected request to a protected resource with 4.01, and serves open ones', async () => {
    const refused = await client.request(req(Code.GET, '/secure/who'));
    expect(refused.code).to.equal(Code.UNAUTHORIZED);
    expect(serverLayer.stats.unprotectedRefused).to.equal(1);
    const open = await client.request(req(Code.GET, '/open'));
    expect(open.code).to.equal(Code.CONTENT);
    expect(text(open)).to.equal('plain');
    const openProtected = await client.request(withOscore(req(Code.GET, '/open'), clientCtx));
    expect(text(openProtected)).to.equal('protected');
  });

  it('answers OSCORE errors per §8.2: 4.02 undecodable, 4.01 unknown context, 4.00 decryption failed', async () => {
    const badOption = await rawRequest({ options: [{ number: Opt.OSCORE, value: Uint8Array.of(0x29, 0x01) }], payload: Uint8Array.of(1, 2, 3) });
    expect([badOption.code, text(badOption)]).to.deep.equal([Code.BAD_OPTION, 'Failed to decode COSE']);
    const noPayload = await rawRequest({ options: [{ number: Opt.OSCORE, value: Uint8Array.of(0x09, 0x01) }] });
    expect(noPayload.code).to.equal(Code.BAD_OPTION);
    const unknownKid = encodeOscoreOption({ partialIv: Uint8Array.of(1) as PartialIv, kid: Uint8Array.of(0x77) as Kid });
    const notFound = await rawRequest({ options: [{ number: Opt.OSCORE, value: unknownKid }], payload: body(20) });
    expect([notFound.code, text(notFound)]).to.deep.equal([Code.UNAUTHORIZED, 'Security context not found']);
    const knownKid = encodeOscoreOption({ partialIv: Uint8Array.of(1) as PartialIv, kid: new Uint8Array(0) as Kid });
    const forged = await rawRequest({ options: [{ number: Opt.OSCORE, value: knownKid }], payload: body(20) });
    expect([forged.code, text(forged)]).to.deep.equal([Code.BAD_REQUEST, 'Decryption failed']);
    expect(serverLayer.stats.rejected).to.equal(4);
  });

  it('the client refuses an unprotected answer to a protected request', async () => {
    const stranger = clientContext({ masterSecret: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), recipientId: Uint8Array.of(2), senderId: Uint8Array.of(0x42) });
    try {
      await client.request(withOscore(req(Code.GET, '/secure/who'), stranger));
      expect.fail('resolved');
    } catch (e) {
      expect(isStackError(e, 'ERR_COAP_RESPONSE'), String(e)).to.equal(true);
      expect((e as { details: { responseCode: number; coapCode: number } }).details).to.include({ responseCode: Code.UNAUTHORIZED, coapCode: Code.UNAUTHORIZED });
      expect((e as Error).message).to.match(/Security context not found/);
    }
  });

  it('the client refuses a response protected for another request', async () => {
    const first = await client.request(withOscore(req(Code.GET, '/secure/who'), clientCtx));
    expect(first.code).to.equal(Code.CONTENT);
    const old = decodeMessage(seen.find((d) => d.to.address === '10.0.0.2' && findOption(decodeMessage(d.data), Opt.OSCORE))!.data);
    // A peer that answers the next protected request with the protected bytes of the earlier response.
    const pending = client.request(withOscore({ ...req(Code.GET, '/secure/who'), peer: raw.address }, clientCtx));
    const { msg: incoming } = await raw.next();
    expect(findOption(incoming, Opt.OSCORE)).to.not.equal(undefined);
    raw.send(client.localAddress(), { type: ACK, code: old.code, messageId: incoming.messageId, token: incoming.token, options: old.options, payload: old.payload });
    try {
      await pending;
      expect.fail('accepted the response of another request');
    } catch (e) {
      expect(isStackError(e, 'ERR_OSCORE_DECRYPT'), String(e)).to.equal(true);
    }
  });

  it('gives inner critical options it does not know a protected 4.02', async () => {
    const res: CoapResponse = await client.request(withOscore({ ...req(Code.GET, '/secure/who'), options: [...pathOptions('/secure/who'), { number: 2049, value: Uint8Array.of(1) }] }, clientCtx));
    expect(res.code).to.equal(Code.BAD_OPTION);
  });

  it('resolves an unknown kid through resolveContext and keeps it in the registry', async () => {
    const registry = new SecurityContextRegistry();
    const layer = new OscoreLayer({ contexts: registry, resolveContext: (kid) => (kid.length === 0 ? serverContext() : undefined) });
    const ep = new Endpoint(net.createTransport('10.0.0.1', 6000), [layer]).setHandler(() => response(Code.CONTENT, 'ok'));
    try {
      const res = await client.request(withOscore({ ...req(Code.GET, '/x'), peer: ep.localAddress() }, clientCtx));
      expect(text(res)).to.equal('ok');
      expect(registry.size).to.equal(1);
    } finally {
      await ep.close();
    }
  });
});
