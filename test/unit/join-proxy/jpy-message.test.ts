/** JPY message codec (draft-ietf-anima-constrained-join-proxy-20 §4.5.2, Appendix A). */
import { expect } from 'chai';
import { decodeJpyMessage, encodeJpyMessage } from '../../../src/codec/jpy/jpy-message.ts';
import { encodeCbor } from '../../../src/codec/cbor/cbor.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { StackError } from '../../../src/core/errors.ts';

const h = fromHex;

/**
 * draft-ietf-anima-constrained-join-proxy-20 Appendix A: the DTLS 1.2 Client Hello (427 bytes) the
 * example JPY message carries, as given in full in the draft's source (the cbor.me input in its
 * comment; the rendered text abbreviates it). https://github.com/anima-wg/constrained-join-proxy
 */
const APPENDIX_A_CLIENT_HELLO = h(
  '16fefd0000000000000000019e010001920000000000000192fefde5f1be51956dfe42297b29ff9718390220c9cf8583' +
  '6bb97aa9393d4e6de4a45800000004c0ff00ff01000164000a000400020017000d000400020403000b00020100010001' +
  '4a410400116c00a83d1acc1e3a00c499eac5d1554c17bb3305a7ad0947ab84217a981c2043f6312d119bf5646553c38c' +
  '5f3f8f5012d807d29a1359f6097a855c2a56c341041b1ab1551dafaf3b8b00f6e7c16c1ac20a2d84382d4a35b500e1aa' +
  '40a8afd22db681768fbe78890bf3aa761ae117fe73c01855dd52eee54c597b0da62909edc92040f0189854874397c3e4' +
  '599f6cdeae980685063d4f4ccd3057caea4cd1ec8a92410458e49b3ba437f989f06e2ce0199d1db29572e0c7610e4df8' +
  'c4b437d73b6fc7773dc3a93d35461ca6bdc237bbf921ac386753dc7f86d8f1a729466f4b270144fb4104de9d2c5b4dcd' +
  '9274a47f9ffc6ecc03e7ea2990aff147fa2eb1c77e287bcbca5970f8bbb9c204b481b6ab82caa7626c40a40495de20b8' +
  '03fe6ac4d675874b012e2063b637cf7952d5b19572910c425c5816e1a5b3f84c0ec7c2ee2c3294dfd13d45',
);

function expectMalformed(input: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeJpyMessage(input);
  } catch (e) {
    caught = e;
  }
  expect(caught, toHex(input)).to.be.instanceOf(StackError);
  expect((caught as StackError).code).to.equal('ERR_CBOR_MALFORMED');
  expect((caught as StackError).message).to.match(pattern);
  expect((caught as StackError).details.protocol).to.equal('jpy');
}

describe('JPY message (draft-ietf-anima-constrained-join-proxy-20 §4.5.2)', () => {
  it('Appendix A: the Client Hello request, 82 50 <16-byte header> 59 01AB <427 bytes>', () => {
    const header = h('d01914bcc376a88ffecc50ca6017b0c1');
    expect(APPENDIX_A_CLIENT_HELLO.length).to.equal(427);
    const wire = encodeJpyMessage({ header, content: APPENDIX_A_CLIENT_HELLO });
    expect(toHex(wire.subarray(0, 21)), 'array(2), bytes(16), bytes(427) heads').to.equal('8250d01914bcc376a88ffecc50ca6017b0c15901ab');
    expect(toHex(wire.subarray(21, 34))).to.equal('16fefd0000000000000000019e');
    expect(toHex(wire.subarray(-2))).to.equal('3d45');
    const back = decodeJpyMessage(wire);
    expect(toHex(back.header)).to.equal('d01914bcc376a88ffecc50ca6017b0c1');
    expect(toHex(back.content)).to.equal(toHex(APPENDIX_A_CLIENT_HELLO));
  });

  it('Appendix A: the Hello Verify Request reply, the same header reflected, 60-byte content (58 3C)', () => {
    // The full record is in the draft's source comment as well.
    const header = h('d01914bcc376a88ffecc50ca6017b0c1');
    const content = h('16fefd0000000000000000002f030000230000000000000023fefd2000000000277c7678d82fde80c1f4400beb7fd390c40b49f6f2b460e21d2766c1');
    expect(content.length).to.equal(60);
    const wire = encodeJpyMessage({ header, content });
    expect(toHex(wire.subarray(0, 2 + 16 + 2))).to.equal('8250d01914bcc376a88ffecc50ca6017b0c1583c');
    expect(toHex(wire)).to.equal(toHex(encodeCbor([header, content])));
    const back = decodeJpyMessage(wire);
    expect(toHex(back.header)).to.equal(toHex(header));
    expect(toHex(back.content)).to.equal(toHex(content));
  });

  it('round-trips every length class of header and content (0, 23, 24, 255, 256, 65536 bytes)', () => {
    for (const hl of [0, 1, 23, 24, 32]) {
      for (const cl of [0, 23, 24, 255, 256, 1024, 65535, 65536]) {
        const header = new Uint8Array(hl).map((_, i) => i);
        const content = new Uint8Array(cl).map((_, i) => i * 7);
        const wire = encodeJpyMessage({ header, content });
        expect(toHex(wire), `${hl}/${cl}`).to.equal(toHex(encodeCbor([header, content])));
        const back = decodeJpyMessage(wire);
        expect(back.header.length).to.equal(hl);
        expect(toHex(back.content)).to.equal(toHex(content));
      }
    }
  });

  it('§4.5.7: accepts arrays of more than two elements and uses the first two', () => {
    const wire = encodeCbor([h('aabb'), h('0102'), 7, 'extra', [1, 2]]);
    const m = decodeJpyMessage(wire);
    expect(toHex(m.header)).to.equal('aabb');
    expect(toHex(m.content)).to.equal('0102');
  });

  it('accepts non-preferred encodings: indefinite array, indefinite and long-form byte strings', () => {
    expect(toHex(decodeJpyMessage(h('9f42aabb420102ff')).content)).to.equal('0102');
    expect(toHex(decodeJpyMessage(h('82 5f 41aa 41bb ff 42 0102')).header)).to.equal('aabb');
    expect(toHex(decodeJpyMessage(h('82 5802 aabb 590002 0102')).content)).to.equal('0102');
    // Extra elements with indefinite lengths of their own are skipped, not refused.
    expect(toHex(decodeJpyMessage(h('84 42aabb 420102 5f4101ff bf0102ff')).content)).to.equal('0102');
  });

  it('refuses what is not a JPY message, with a typed error', () => {
    expectMalformed(new Uint8Array(0), /empty datagram/);
    expectMalformed(h('a0'), /expected a CBOR array, found major type 5/);
    expectMalformed(h('1c'), /expected a CBOR array, found major type 0/);
    expectMalformed(h('80'), /array of 0 element/);
    expectMalformed(h('8142aabb'), /array of 1 element/);
    expectMalformed(h('9f42aabbff'), /array of 1 element/);
    expectMalformed(h('82'), /jpy_header expected at offset 1, but the datagram ends/);
    expectMalformed(h('8242aabb'), /jpy_content expected at offset 4, but the datagram ends/);
    expectMalformed(h('8245aabb'), /byte string of 5 bytes at offset 1 runs past the end \(4 bytes\)/);
    expectMalformed(h('8242aabb4401'), /byte string of 4 bytes at offset 4 runs past the end/);
    expectMalformed(h('825b00000000000000ff00'), /byte string of 255 bytes at offset 1 runs past the end/);
    expectMalformed(h('8242aabb420102ff'), /1 byte\(s\) after the array/);
    expectMalformed(h('82 62 6869 42 0102'), /jpy_header is not a byte string \(major type 3 at offset 1\)/);
    expectMalformed(h('82 42 0102 01'), /jpy_content is not a byte string \(major type 0 at offset 4\)/);
    expectMalformed(h('82 42 aabb 5f 6101 ff'), /chunk of jpy_content at offset 5 is not a definite byte string/);
    // Extra elements must be well-formed too (RFC 8949 Appendix C).
    expectMalformed(h('83 42 aabb 42 0102'), /a data item expected at offset 7/);
    expectMalformed(h('83 42 aabb 42 0102 9f'), /an item or break expected at offset 8/);
    expectMalformed(h('83 42 aabb 42 0102 f818'), /simple value 24 in two bytes/);
    expectMalformed(h('83 42 aabb 42 0102 c0'), /a data item expected at offset 8/);
    expectMalformed(h('83 42 aabb 42 0102 9b00000000ffffffff'), /container of 4294967295 items at offset 7 is longer than the datagram/);
    expectMalformed(h('83 42 aabb 42 0102 1c'), /reserved additional information 28/);
  });

  it('decodes random bytes into a message or a StackError, never anything else', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const len = rnd() % 40;
      const b = new Uint8Array(len).map(() => rnd());
      if (i % 3 === 0 && len > 0) b[0] = 0x82;
      try {
        const m = decodeJpyMessage(b);
        expect(m.header).to.be.instanceOf(Uint8Array);
      } catch (e) {
        expect(e, toHex(b)).to.be.instanceOf(StackError);
      }
    }
  });
});
