/**
 * One flipped byte on the wire, in message_2 (Block2 from the registrar) or message_3 (Block1 from
 * the pledge), is detected: the handshake fails with a typed EdhocError, the Responder is told or
 * answers with an EDHOC error message, and no OSCORE context exists on either side.
 */
import { expect } from 'chai';
import { decodeBlockOption } from '../../../src/codec/coap/block-option.ts';
import { decodeMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../../../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { findOption, uintOption } from '../../../src/codec/coap/option-value.ts';
import { EDHOC_ERR_UNSPECIFIED, EdhocError } from '../../../src/protocol/edhoc/index.ts';
import type { Datagram } from '../../../src/transport/memory.ts';
import { harness, type Harness } from './helpers.ts';

type Pick = (d: Datagram) => boolean;

/** Flips one bit of the byte `fromEnd` bytes before the end of the first datagram `pick` selects. */
function flipOnce(h: Harness, pick: Pick, fromEnd: number): { readonly flipped: () => boolean } {
  let done = false;
  h.net.tap = (d) => {
    if (!done && pick(d)) {
      done = true;
      d.data[d.data.length - fromEnd]! ^= 0x01;
    }
  };
  return { flipped: () => done };
}

function block(d: Datagram, option: number): { num: number; more: boolean } | undefined {
  const raw = findOption(decodeMessage(d.data), option);
  return raw ? decodeBlockOption(raw, option) : undefined;
}

async function failure(p: Promise<unknown>): Promise<EdhocError> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(EdhocError);
    return e as EdhocError;
  }
  throw new Error('the handshake succeeded');
}

describe('EDHOC over CoAP: a flipped byte in message_2 or message_3 is detected', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await harness();
  });

  afterEach(() => h.close());

  const toClient = (d: Datagram): boolean => d.to.address === '10.0.0.2';
  const toServer = (d: Datagram): boolean => d.to.address === '10.0.0.1';
  const isMessage2 = (d: Datagram): boolean => {
    const m = decodeMessage(d.data);
    return m.code === Code.CHANGED && uintOption(m, Opt.CONTENT_FORMAT) === ContentFormat.EDHOC_CBOR_SEQ;
  };

  it('message_2, last block (Signature_or_MAC_2): signature check fails, the pledge aborts the session', async () => {
    const t = flipOnce(h, (d) => toClient(d) && isMessage2(d) && block(d, Opt.BLOCK2)?.more === false, 3);
    const err = await failure(h.establish());
    expect(t.flipped()).to.equal(true);
    expect(err.message).to.match(/Signature_or_MAC_2 does not verify/);
    expect(h.clientContexts.size).to.equal(0);
    expect(h.serverContexts.size).to.equal(0);
    expect(h.edhoc.stats.abortedByPeer, 'the pledge sent C_R ‖ error').to.equal(1);
    expect(h.edhoc.halfOpen).to.equal(0);
  });

  it('message_2, a middle block (inside the registrar certificate): the handshake fails', async () => {
    const t = flipOnce(h, (d) => toClient(d) && isMessage2(d) && block(d, Opt.BLOCK2)?.num === 4, 20);
    const err = await failure(h.establish());
    expect(t.flipped()).to.equal(true);
    expect(err.code).to.equal('ERR_EDHOC');
    expect(h.clientContexts.size).to.equal(0);
    expect(h.serverContexts.size).to.equal(0);
  });

  it('message_3, a middle Block1 block: CIPHERTEXT_3 does not decrypt, 4.00 with EDHOC error 1', async () => {
    const t = flipOnce(h, (d) => toServer(d) && block(d, Opt.BLOCK1)?.num === 5, 10);
    const err = await failure(h.establish());
    expect(t.flipped()).to.equal(true);
    expect(err.received?.code).to.equal(EDHOC_ERR_UNSPECIFIED);
    expect(err.received?.info).to.equal('message_3 authentication failed');
    expect(err.details).to.include({ stage: 'message_3', responseCode: Code.BAD_REQUEST });
    expect(h.serverContexts.size).to.equal(0);
    expect(h.edhoc.stats.failed).to.equal(1);
  });

  it('message_3, last Block1 block: likewise', async () => {
    const t = flipOnce(h, (d) => toServer(d) && block(d, Opt.BLOCK1)?.more === false, 1);
    const err = await failure(h.establish());
    expect(t.flipped()).to.equal(true);
    expect(err.received?.code).to.equal(EDHOC_ERR_UNSPECIFIED);
    expect(h.serverContexts.size).to.equal(0);
  });
});
