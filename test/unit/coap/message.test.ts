import { expect } from 'chai';
import { decodeBlockOption, encodeBlockOption, szxForSize } from '../../../src/codec/coap/block-option.ts';
import { decodeMessage, encodeMessage, type CoapMessage } from '../../../src/codec/coap/message.ts';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { CON } from '../../../src/codec/coap/numbers/types.ts';
import { decodeUint, encodeUint } from '../../../src/codec/coap/option-value.ts';
import { parseCoapUri, uriOptions } from '../../../src/codec/coap/uri.ts';
import { fromHex, toHex, utf8 } from '../../../src/core/bytes.ts';
import { isStackError, type StackError } from '../../../src/core/errors.ts';

function decodeError(hex: string): StackError {
  try {
    decodeMessage(fromHex(hex));
  } catch (e) {
    if (isStackError(e)) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('CoAP message codec (RFC 7252 §3)', () => {
  it('decodes and re-encodes a CON GET with Uri-Path "temperature"', () => {
    const hex = '40017d34bb74656d7065726174757265';
    const m = decodeMessage(fromHex(hex));
    expect(m).to.include({ type: CON, code: Code.GET, messageId: 0x7d34 });
    expect(m.options).to.have.length(1);
    expect(new TextDecoder().decode(m.options[0]!.value)).to.equal('temperature');
    expect(toHex(encodeMessage(m))).to.equal(hex);
  });

  it('uses 1- and 2-byte extended delta and length (13 → +1 byte, 14 → +2 bytes)', () => {
    const m: CoapMessage = {
      type: CON, code: Code.POST, messageId: 1, token: fromHex('a1'),
      options: [
        { number: Opt.SIZE1, value: Uint8Array.of(1, 0) }, // delta 60: nibble 13, ext 47
        { number: Opt.REQUEST_TAG, value: new Uint8Array(300) }, // delta 232: nibble 13 ext 219; length 300: nibble 14 ext 31
        { number: 2000, value: new Uint8Array(13) }, // delta 1708: nibble 14, ext 1439; length 13: nibble 13, ext 0
      ],
      payload: utf8('p'),
    };
    const bytes = encodeMessage(m);
    expect(toHex(bytes.subarray(0, 8))).to.equal('41020001a1d22f01');
    expect(toHex(bytes.subarray(8, 13))).to.equal('00dedb001f');
    const back = decodeMessage(bytes);
    expect(back.options.map((o) => [o.number, o.value.length])).to.deep.equal([[60, 2], [292, 300], [2000, 13]]);
    expect(toHex(encodeMessage(back))).to.equal(toHex(bytes));
  });

  it('rejects format errors with what is needed to answer (MID, token, CON, RST)', () => {
    const e = decodeError('4201abcd1122f0');
    expect(e.code).to.equal('ERR_COAP_MALFORMED');
    expect(e.details.messageId).to.equal(0xabcd);
    expect(toHex(e.details.token!)).to.equal('1122');
    expect(e.details.confirmable).to.equal(true);
    expect(e.details.answer?.kind).to.equal('rst');
    expect(e.message).to.match(/offset 6/);
  });

  for (const [name, hex, answer] of [
    ['shorter than the header', '4001', 'drop'],
    ['unknown version', '8001abcd', 'drop'],
    ['token length 9', '4901abcd', 'rst'],
    ['token past the end', '4401abcd11', 'rst'],
    ['empty message with a token', '41001234aa', 'rst'],
    ['empty message with a payload', '40001234ff01', 'rst'],
    ['payload marker without payload', '40011234ff', 'rst'],
    ['option length nibble 15', '400112341f', 'rst'],
    ['option value past the end', '4001123403aabb', 'rst'],
    ['extended delta past the end', '40011234d0', 'rst'],
    ['format error in a NON', '50011234ff', 'drop'],
  ] as const) {
    it(`rejects ${name}`, () => {
      const e = decodeError(hex);
      expect(e.code).to.equal('ERR_COAP_MALFORMED');
      expect(e.details.answer?.kind).to.equal(answer);
    });
  }

  it('encodes option uints minimally and decodes with leading zeros', () => {
    expect(encodeUint(0).length).to.equal(0);
    expect(toHex(encodeUint(259))).to.equal('0103');
    expect(toHex(encodeUint(0x1000000))).to.equal('01000000');
    expect(decodeUint(Uint8Array.of(0, 0, 1))).to.equal(1);
    expect(() => decodeUint(new Uint8Array(5))).to.throw(/longer than 4/);
  });
});

describe('Block option (RFC 7959 §2.2)', () => {
  it('round-trips NUM/M/SZX and rejects SZX 7', () => {
    expect(toHex(encodeBlockOption({ num: 0, more: true, szx: 2 }))).to.equal('0a');
    expect(toHex(encodeBlockOption({ num: 4, more: false, szx: 2 }))).to.equal('42');
    expect(decodeBlockOption(fromHex('0fffea'))).to.deep.equal({ num: 0xfffe, more: true, szx: 2 });
    expect(() => decodeBlockOption(Uint8Array.of(0x07))).to.throw(/SZX 7/);
    expect(szxForSize(64)).to.equal(2);
    expect(() => szxForSize(100)).to.throw();
  });
});

describe('coap URIs (RFC 7252 §6)', () => {
  it('maps a URI to options, omitting Uri-Host for IP literals and the default port', () => {
    const u = parseCoapUri('coap://[::1]/.well-known/core?rt=ace.cmp&ct=259');
    expect(u).to.deep.include({ host: '::1', port: 5683, path: ['.well-known', 'core'], query: ['rt=ace.cmp', 'ct=259'] });
    expect(uriOptions(u).map((o) => o.number)).to.deep.equal([Opt.URI_PATH, Opt.URI_PATH, Opt.URI_QUERY, Opt.URI_QUERY]);
    const named = parseCoapUri('coap://Registrar.example:61616/a%20b');
    expect(uriOptions(named, 5683).map((o) => [o.number, toHex(o.value)])).to.deep.equal([
      [Opt.URI_HOST, toHex(utf8('registrar.example'))],
      [Opt.URI_PORT, 'f0b0'],
      [Opt.URI_PATH, toHex(utf8('a b'))],
    ]);
    expect(() => parseCoapUri('http://x/')).to.throw(/not coap/);
  });
});
