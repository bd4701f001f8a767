/**
 * The registrar's JPY socket for stateless join proxies (--jpy-port): JPY messages are unwrapped
 * and served by the same endpoint as the CoAP port, answers go back to the proxy with the header
 * byte for byte; the CoAP port's /.well-known/core announces rt=brski and the jpy:// link.
 */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ACK, CON } from '../../../src/codec/coap/numbers/types.ts';
import { decodeMessage, encodeMessage } from '../../../src/codec/coap/message.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { decodeJpyMessage, encodeJpyMessage } from '../../../src/codec/jpy/jpy-message.ts';
import { fromUtf8 } from '../../../src/core/bytes.ts';
import { parseLinks } from '../../../src/codec/link-format/link-format.ts';
import type { PeerAddress } from '../../../src/transport/transport.ts';
import { UdpTransport } from '../../../src/transport/udp.ts';
import type { TempDir } from '../../helpers/files.ts';
import { makePki, makeWorld, newTempDir, REGISTRAR_ADDRESS, type World } from './harness.ts';

describe('registrar --jpy-port (stateless join proxies)', () => {
  let dir: TempDir;
  let w: World;
  let proxy: UdpTransport;
  const got: { data: Uint8Array; from: PeerAddress }[] = [];

  before(async () => {
    dir = newTempDir();
    const base = { dir, ...(await makePki(dir, 1)) };
    w = await makeWorld(base, { security: 'oscore', jpyPort: 0, jpyHost: '127.0.0.1' });
    proxy = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    proxy.setReceiver((data, from) => got.push({ data, from }));
  });
  after(async () => {
    await proxy.close();
    await w.close();
    dir.remove();
  });

  const get = (mid: number, path: string, query: string[] = []): Uint8Array =>
    encodeMessage({ type: CON, code: Code.GET, messageId: mid, token: new Uint8Array([mid & 0xff]), options: pathOptions(path, query), payload: new Uint8Array(0) });

  async function answer(n: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (got.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).to.equal(n);
  }

  it('announces </.well-known/brski>;rt=brski and <jpy://127.0.0.1:PORT>;rt=brski.rjp on the CoAP port', async () => {
    const res = await w.client.request({ method: Code.GET, options: pathOptions('/.well-known/core', ['rt=brski*']), payload: new Uint8Array(0), peer: REGISTRAR_ADDRESS, confirmable: true });
    const links = parseLinks(fromUtf8(res.payload));
    expect(links.find((l) => l.attrs['rt'] === 'brski')?.href).to.equal('/.well-known/brski');
    expect(links.find((l) => l.attrs['rt'] === 'brski.rjp')?.href).to.equal(`jpy://127.0.0.1:${w.service.jpy!.localAddress().port}`);
    expect(w.service.jpyUrl).to.equal(`jpy://127.0.0.1:${w.service.jpy!.localAddress().port}`);
  });

  it('serves a JPY-wrapped request and answers with the same header, one synthetic peer per header', async () => {
    const jpyPort = w.service.jpy!.localAddress();
    const headers = [new Uint8Array([0xa1, 0x01, 0x02, 0x03]), new Uint8Array(17).fill(7)];
    proxy.send(encodeJpyMessage({ header: headers[0]!, content: get(0x101, '/.well-known/core', ['rt=brski.rjp']) }), jpyPort);
    await answer(1);
    proxy.send(encodeJpyMessage({ header: headers[1]!, content: get(0x102, '/.well-known/edhoc') }), jpyPort);
    await answer(2);
    const [a, b] = got.map((g) => ({ ...decodeJpyMessage(g.data), from: g.from }));
    expect(a!.header).to.deep.equal(headers[0]);
    expect(a!.from.port).to.equal(jpyPort.port);
    const ma = decodeMessage(a!.content);
    expect([ma.type, ma.code, ma.messageId]).to.deep.equal([ACK, Code.CONTENT, 0x101]);
    expect(fromUtf8(ma.payload)).to.include('rt="brski.rjp"');
    expect(b!.header).to.deep.equal(headers[1]);
    expect(decodeMessage(b!.content).code, 'GET on the EDHOC resource').to.equal(Code.METHOD_NOT_ALLOWED);
    expect(w.service.jpy!.stats).to.deep.include({ received: 2, sent: 2, malformed: 0 });
    expect(w.service.jpy!.peerCount).to.equal(2);
  });

  it('drops what is not a JPY message, counted, without an answer', async () => {
    const before = got.length;
    proxy.send(get(0x103, '/.well-known/core'), w.service.jpy!.localAddress());
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).to.equal(before);
    expect(w.service.jpy!.stats.malformed).to.equal(1);
  });
});
