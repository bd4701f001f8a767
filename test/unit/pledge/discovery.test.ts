/**
 * `brski pledge --discover` (draft-ietf-anima-constrained-join-proxy-20 §5.2): choosing the join
 * port from link-format answers, and the GET /.well-known/core exchanges against the proxy's own
 * responder (proxy/discovery.ts) and against a -19 proxy that only knows rt=brski.jp.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { stringOptions, uintOpt } from '../../../src/codec/coap/option-value.ts';
import { parseLinks } from '../../../src/codec/link-format/link-format.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { Endpoint } from '../../../src/stack/endpoint.ts';
import { response, type CoapResponse, type ServerRequest } from '../../../src/stack/exchange.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { joinPortDiscoveryHandler } from '../../../proxy/discovery.ts';
import { chooseJoinProxy, discoverJoinProxy } from '../../../pledge/discovery.ts';

const BASE = 'coap://10.0.0.2:5683/';

describe('pledge: choosing the join proxy from /.well-known/core links (§5.2)', () => {
  it('<>;brski-jp=PORT: the asked host with that port', () => {
    expect(chooseJoinProxy(parseLinks('<>;brski-jp=8485'), BASE)).to.deep.equal({ host: '10.0.0.2', port: 8485, link: '<>;brski-jp=8485' });
    expect(chooseJoinProxy(parseLinks('<>;brski-jp=8485'), 'coap://[fe80::1]:5683/')).to.include({ host: 'fe80::1', port: 8485 });
  });

  it('takes the first link with a usable port and skips the others', () => {
    const links = parseLinks('</sensors>;rt=temp,<>;brski-jp=0,<>;brski-jp=70000,<>;brski-jp=x,<>;brski-jp=7001,<>;brski-jp=7002');
    expect(chooseJoinProxy(links, BASE)).to.include({ port: 7001 });
  });

  it('the -19 form rt=brski.jp: the port from the link target (5683 when left out)', () => {
    expect(chooseJoinProxy(parseLinks('<coap://10.0.0.2:8485>;rt=brski.jp'), BASE)).to.include({ host: '10.0.0.2', port: 8485 });
    expect(chooseJoinProxy(parseLinks('<coap://[fe80::2]>;rt=brski.jp'), BASE)).to.include({ host: 'fe80::2', port: 5683 });
    expect(chooseJoinProxy(parseLinks('<>;rt=brski.jp;brski-jp=9000'), BASE)).to.include({ port: 9000 });
  });

  it('nothing usable: undefined', () => {
    expect(chooseJoinProxy([], BASE)).to.equal(undefined);
    expect(chooseJoinProxy(parseLinks('</rv>;rt=brski.rv,<coap://10.0.0.3>;rt=brski'), BASE)).to.equal(undefined);
  });
});

describe('pledge: discovering the join port over CoAP', () => {
  let net: MemoryNetwork;
  let server: Endpoint | undefined;
  const seen: string[][] = [];

  beforeEach(() => {
    net = new MemoryNetwork();
    seen.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function serve(handler: (req: ServerRequest) => CoapResponse): void {
    server = new Endpoint(net.createTransport('10.0.0.2', 5683));
    server.setHandler((req) => {
      seen.push(stringOptions(req, Opt.URI_QUERY));
      return handler(req);
    });
  }

  const discover = (uri = 'coap://10.0.0.2:5683') => discoverJoinProxy(uri, { transport: net.createTransport('10.0.0.1'), coap: { ackTimeoutMs: 50 }, timeoutMs: 2000 });

  it("asks ?brski-jp=* and takes the proxy responder's <>;brski-jp=PORT", async () => {
    serve(joinPortDiscoveryHandler(8485));
    expect(await discover()).to.deep.equal({ host: '10.0.0.2', port: 8485, link: '<>;brski-jp=8485' });
    expect(seen).to.deep.equal([['brski-jp=*']]);
  });

  it('a -19 proxy selects nothing for brski-jp=*: then ?rt=brski.jp is asked too', async () => {
    serve((req) => {
      const q = stringOptions(req, Opt.URI_QUERY);
      const body = q[0] === 'rt=brski.jp' ? '<coap://10.0.0.2:7777>;rt=brski.jp' : '';
      return response(Code.CONTENT, body, [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.LINK_FORMAT)]);
    });
    expect(await discover()).to.include({ host: '10.0.0.2', port: 7777 });
    expect(seen).to.deep.equal([['brski-jp=*'], ['rt=brski.jp']]);
  });

  it('no join proxy there: ERR_NOT_FOUND naming both answers', async () => {
    serve(() => response(Code.NOT_FOUND));
    const e = await discover().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isStackError(e) && e.code).to.equal('ERR_NOT_FOUND');
    expect((e as Error).message).to.match(/no join proxy link at coap:\/\/10\.0\.0\.2:5683 \(\?brski-jp=\*: 4\.04; \?rt=brski\.jp: 4\.04\)/);
  });

  it('nobody answers: the CON times out after MAX_RETRANSMIT', async () => {
    const e = await discoverJoinProxy('coap://10.0.0.9:5683', { transport: net.createTransport('10.0.0.1'), coap: { ackTimeoutMs: 10, maxRetransmit: 1 }, timeoutMs: 2000 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isStackError(e)).to.equal(true);
  });
});
