/**
 * EDHOC over CoAP (RFC 9528 Appendix A.2) between two Endpoints on a MemoryNetwork, both with
 * `[BlockwiseLayer(64), OscoreLayer]`: method 0, cipher suite 2, IDevID and registrar certificates
 * sent as x5chain, the registrar judging the IDevID chain against the manufacturer's root, then an
 * OSCORE-protected 2 KB POST at 64-byte blocks to a resource that answers with the EDHOC peer's
 * serial number. Also: an IDevID from an untrusted manufacturer, a Responder the pledge refuses,
 * and a replayed OSCORE request.
 */
import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { decodeMessage, type CoapMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { CON } from '../../../src/codec/coap/numbers/types.ts';
import { findOption, uintOption } from '../../../src/codec/coap/option-value.ts';
import { pathOptions } from '../../../src/codec/coap/uri.ts';
import { fromUtf8, toHex } from '../../../src/core/bytes.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { certificateDer } from '../../../src/pki/index.ts';
import { decodeErrorMessage, EDHOC_ERR_UNKNOWN_CREDENTIAL, EDHOC_ERR_UNSPECIFIED, EdhocError, encodeIdentifier, MESSAGE_1_PREFIX } from '../../../src/protocol/edhoc/index.ts';
import { edhocPeerOf, type EdhocSessionEvent } from '../../../src/stack/edhoc-resource.ts';
import { withOscore } from '../../../src/stack/oscore-layer.ts';
import type { Datagram } from '../../../src/transport/memory.ts';
import { RawPeer } from '../lockstep/raw-peer.ts';
import { BLOCK, harness, sha256, type Harness } from './helpers.ts';

const toServer = (seen: Datagram[]): CoapMessage[] => seen.filter((d) => d.to.address === '10.0.0.1').map((d) => decodeMessage(d.data));
const toClient = (seen: Datagram[]): CoapMessage[] => seen.filter((d) => d.to.address === '10.0.0.2').map((d) => decodeMessage(d.data));

async function edhocErrorOf(p: Promise<unknown>): Promise<EdhocError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EdhocError) return e;
    throw e;
  }
  throw new Error('expected an EdhocError, but the promise resolved');
}

describe('EDHOC over CoAP: method 0, suite 2, x5chain IDevIDs, then OSCORE ([blockwise 64, oscore])', () => {
  let h: Harness;
  let seen: Datagram[];

  beforeEach(async () => {
    h = await harness();
    seen = [];
    h.net.tap = (d) => void seen.push(d);
  });

  afterEach(() => h.close());

  it('establishes OSCORE; a 2 KB protected POST at 64-byte blocks reaches a handler that sees the pledge serial number', async () => {
    const pledge = h.pkis.pki.pledges[0]!;
    const est = await h.establish(pledge);

    // Wire format of RFC 9528 Appendix A.2.
    const requests = toServer(seen).filter((m) => m.code === Code.POST);
    const first = requests[0]!;
    expect(first.payload[0], 'message_1 is prefixed by CBOR true').to.equal(MESSAGE_1_PREFIX);
    expect(uintOption(first, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.CID_EDHOC_CBOR_SEQ);
    const m2 = toClient(seen).find((m) => m.code === Code.CHANGED)!;
    expect(uintOption(m2, Opt.CONTENT_FORMAT), 'message_2: application/edhoc+cbor-seq').to.equal(ContentFormat.EDHOC_CBOR_SEQ);
    expect(findOption(m2, Opt.BLOCK2), 'message_2 with the registrar x5chain needs Block2 at 64 bytes').to.not.equal(undefined);
    const m3Blocks = requests.filter((m) => findOption(m, Opt.BLOCK1));
    expect(m3Blocks.length, 'message_3 with the IDevID x5chain goes as Block1').to.be.greaterThan(10);
    expect(m3Blocks.every((m) => m.payload.length <= BLOCK)).to.equal(true);
    const prefix = encodeIdentifier(est.context.senderId);
    expect(toHex(m3Blocks[0]!.payload.subarray(0, prefix.length)), 'message_3 is prefixed by C_R (the client\'s Sender ID)').to.equal(toHex(prefix));

    // Both sides agree; the registrar knows the pledge, the pledge holds the registrar's chain.
    expect(h.serverContexts.size).to.equal(1);
    const serverCtx = h.serverContexts.peek(h.serverContexts.keys()[0]!)!;
    expect(toHex(serverCtx.recipientId)).to.equal(toHex(est.context.senderId));
    expect(toHex(serverCtx.senderId)).to.equal(toHex(est.context.recipientId));
    const serverPeer = edhocPeerOf(serverCtx)!;
    expect(serverPeer.serialNumber).to.equal('PLEDGE-0001');
    expect(serverPeer.certificates.map((c) => toHex(certificateDer(c)))).to.deep.equal(pledge.chain.map((c) => toHex(certificateDer(c))));
    expect(serverPeer.identity!.path!.length, 'IDevID → issuing CA → manufacturer root').to.equal(3);
    expect(est.peer.role).to.equal('responder');
    expect(toHex(certificateDer(est.peer.certificates[0]!))).to.equal(toHex(certificateDer(h.pkis.pki.domain.registrar.certificate)));
    expect(est.pending).to.equal(false);
    expect(h.edhoc.stats).to.include({ message1: 1, established: 1, rejected: 0, failed: 0 });
    expect(h.edhoc.halfOpen).to.equal(0);

    // 2 KB under OSCORE, outer block-wise at 64 bytes.
    const before = seen.length;
    const body = seededRandom(5).bytes(2048);
    const res = await est.request(h.echo(body));
    expect(res.code).to.equal(Code.CHANGED);
    expect(fromUtf8(res.payload)).to.equal(`PLEDGE-0001 ${sha256(body)}`);
    const wire = toServer(seen.slice(before));
    expect(wire.length).to.be.greaterThanOrEqual(2048 / BLOCK);
    for (const m of wire) {
      expect(findOption(m, Opt.OSCORE), 'every block is OSCORE-protected').to.not.equal(undefined);
      expect(findOption(m, Opt.URI_PATH), 'Uri-Path is encrypted').to.equal(undefined);
      expect(m.payload.length).to.be.at.most(BLOCK);
    }
    // The client registry holds the context too, so it can be selected by key.
    const again = await h.client.request(withOscore(h.echo(Uint8Array.of(1, 2, 3)), est.context.key));
    expect(fromUtf8(again.payload)).to.equal(`PLEDGE-0001 ${sha256(Uint8Array.of(1, 2, 3))}`);
  });

  // Concurrent requests from one endpoint whose protected responses need Block2 would fetch each
  // other's blocks (the outer Block2 cache key has no Uri-Path under OSCORE); the answers here fit
  // one block, and establishOscore runs message_1 exchanges one at a time for the same reason.
  it('two pledges get distinct connection identifiers and contexts; each handler call sees its own pledge', async () => {
    const [a, b] = await Promise.all([h.establish(h.pkis.pki.pledges[0]!), h.establish(h.pkis.pki.pledges[1]!)]);
    expect(toHex(a.context.senderId)).to.not.equal(toHex(b.context.senderId));
    expect(h.serverContexts.size).to.equal(2);
    const [ra, rb] = await Promise.all([a.request(h.echo(Uint8Array.of(1))), b.request(h.echo(Uint8Array.of(2)))]);
    expect(fromUtf8(ra.payload).split(' ')[0]).to.equal('PLEDGE-0001');
    expect(fromUtf8(rb.payload).split(' ')[0]).to.equal('PLEDGE-0002');
  });

  it('an IDevID from an untrusted manufacturer gets EDHOC error 1 as 4.00 with CF 64, and no context', async () => {
    const events: EdhocSessionEvent[] = [];
    const onEvent = (e: unknown): void => void events.push(e as EdhocSessionEvent);
    subscribe('brski-ae:edhoc:session', onEvent);
    try {
      const err = await edhocErrorOf(h.establish(h.pkis.foreign.pledges[0]!));
      expect(err.code).to.equal('ERR_EDHOC');
      expect(err.received?.code).to.equal(EDHOC_ERR_UNSPECIFIED);
      expect(err.details).to.include({ stage: 'message_3', responseCode: Code.BAD_REQUEST });
    } finally {
      unsubscribe('brski-ae:edhoc:session', onEvent);
    }
    const answer = toClient(seen).find((m) => m.code === Code.BAD_REQUEST)!;
    expect(uintOption(answer, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.EDHOC_CBOR_SEQ);
    expect(decodeErrorMessage(answer.payload)).to.deep.equal({ code: EDHOC_ERR_UNSPECIFIED, info: 'credential not accepted' });
    expect(h.serverContexts.size, 'no context').to.equal(0);
    expect(h.clientContexts.size, 'none on the client either').to.equal(0);
    expect(h.edhoc.halfOpen).to.equal(0);
    expect(h.edhoc.stats).to.include({ rejected: 1, established: 0 });
    const rejected = events.find((e) => e.event === 'rejected')!;
    expect(rejected.reason, 'the reason stays local').to.match(/certificate chain/);
  });

  it('an IDevID sent by reference (x5t) is answered with error code 3 (unknown credential)', async () => {
    const { localCredential, x509Credential } = await import('../../../src/protocol/edhoc/index.ts');
    const pledge = h.pkis.pki.pledges[0]!;
    const byRef = localCredential(x509Credential(pledge.certificate, { idCred: 'x5t' }), pledge.privateKey);
    const err = await edhocErrorOf(h.establish(pledge, { credential: byRef }));
    expect(err.received?.code).to.equal(EDHOC_ERR_UNKNOWN_CREDENTIAL);
    expect(h.serverContexts.size).to.equal(0);
  });

  it('a Responder the pledge refuses: typed error, error message sent to abort, the session dropped', async () => {
    const err = await edhocErrorOf(h.establish(undefined, { judgeResponder: () => ({ accept: false, reason: 'not my domain' }) }));
    expect(err.details).to.include({ stage: 'message_2', reason: 'not my domain' });
    expect(err.received).to.equal(undefined);
    expect(h.edhoc.stats.abortedByPeer).to.equal(1);
    expect(h.edhoc.halfOpen).to.equal(0);
    expect(h.serverContexts.size).to.equal(0);
    const abort = toServer(seen).filter((m) => m.code === Code.POST).at(-1)!;
    expect(decodeErrorMessage(abort.payload.subarray(1)).code, 'C_R ‖ error message').to.equal(EDHOC_ERR_UNSPECIFIED);
  });

  it('a replayed OSCORE request is answered 4.01 "Replay detected"; the pledge goes on', async () => {
    const est = await h.establish();
    const before = seen.length;
    const first = await est.request(h.echo(Uint8Array.of(7)));
    expect(first.code).to.equal(Code.CHANGED);
    const captured = toServer(seen.slice(before)).find((m) => findOption(m, Opt.OSCORE))!;
    const raw = new RawPeer(h.net, '10.0.0.3', 5683);
    try {
      raw.send(h.server.localAddress(), { type: CON, code: captured.code, messageId: 0x4242, token: Uint8Array.of(0x42), options: captured.options, payload: captured.payload });
      const { msg } = await raw.next();
      expect(msg.code).to.equal(Code.UNAUTHORIZED);
      expect(fromUtf8(msg.payload)).to.equal('Replay detected');
    } finally {
      await raw.transport.close();
    }
    expect(h.serverOscore.stats.rejected).to.equal(1);
    const next = await est.request(h.echo(Uint8Array.of(8)));
    expect(next.code).to.equal(Code.CHANGED);
  });

  it('lists the resource with rt="core.edhoc" and refuses other Content-Formats (4.15) and methods (4.05)', async () => {
    const core = await h.client.request({ method: Code.GET, options: pathOptions('/.well-known/core'), payload: new Uint8Array(0), peer: h.server.localAddress(), confirmable: true });
    expect(fromUtf8(core.payload)).to.include('</.well-known/edhoc>;rt="core.edhoc"');
    const get = await h.client.request({ method: Code.GET, options: pathOptions('/.well-known/edhoc'), payload: new Uint8Array(0), peer: h.server.localAddress(), confirmable: true });
    expect(get.code).to.equal(Code.METHOD_NOT_ALLOWED);
    const cf = await h.client.request({
      method: Code.POST,
      options: [...pathOptions('/.well-known/edhoc'), { number: Opt.CONTENT_FORMAT, value: Uint8Array.of(60) }],
      payload: Uint8Array.of(0xf5, 0),
      peer: h.server.localAddress(),
      confirmable: true,
    });
    expect(cf.code).to.equal(Code.UNSUPPORTED_CONTENT_FORMAT);
  });

  it('a malformed message_1 is answered 4.00 with an EDHOC error message', async () => {
    const { edhocPost } = await import('./helpers.ts');
    const res = await edhocPost(h, Uint8Array.of(0xf5, 0x00, 0x02));
    expect(res.code).to.equal(Code.BAD_REQUEST);
    expect(uintOption(res, Opt.CONTENT_FORMAT)).to.equal(ContentFormat.EDHOC_CBOR_SEQ);
    expect(decodeErrorMessage(res.payload).code).to.equal(EDHOC_ERR_UNSPECIFIED);
    expect(h.edhoc.halfOpen).to.equal(0);
  });

  it('after error code 2 (wrong selected suite) the Initiator retries once with a suite of SUITES_R', async () => {
    const est = await h.establish(undefined, { suite: 3, suites: [3, 2] });
    expect(est.session.suite.id).to.equal(2);
    expect(h.edhoc.stats).to.include({ message1: 2, established: 1 });
    const first = toClient(seen).find((m) => m.code === Code.BAD_REQUEST)!;
    expect(decodeErrorMessage(first.payload)).to.deep.equal({ code: 2, info: 2 });
  });

  it('method 3 (static DH both ways) with the same P-256 certificates', async () => {
    const est = await h.establish(undefined, { method: 3 });
    expect(est.session.method).to.equal(3);
    const res = await est.request(h.echo(Uint8Array.of(1)));
    expect(fromUtf8(res.payload).split(' ')[0]).to.equal('PLEDGE-0001');
  });
});
