/** RFC 8613 §6.1 option value codec and §4.1 option classes. */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { Opt } from '../../../src/codec/coap/numbers/options.ts';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import type { IdContext, Kid, PartialIv } from '../../../src/protocol/oscore/ids.ts';
import { protectRequest, protectResponse, verifyRequest, verifyResponse } from '../../../src/protocol/oscore/message-protection.ts';
import { mergeOptions, optionClass, splitOptions } from '../../../src/protocol/oscore/option-classes.ts';
import { decodeOscoreOption, encodeOscoreOption } from '../../../src/protocol/oscore/oscore-option.ts';
import { clientContext, serverContext, str } from './helpers.ts';

const bad = (hex: string, re: RegExp): void => {
  try {
    decodeOscoreOption(fromHex(hex));
    expect.fail(`decoded ${hex}`);
  } catch (e) {
    expect(isStackError(e, 'ERR_COAP_BAD_OPTION'), String(e)).to.equal(true);
    expect((e as Error).message).to.match(re);
    expect((e as { details: { answer: unknown } }).details.answer).to.deep.equal({ kind: 'response', code: Code.BAD_OPTION, payload: 'Failed to decode COSE' });
  }
};

describe('OSCORE option value (RFC 8613 §6.1)', () => {
  it('encodes and decodes every field', () => {
    const value = { partialIv: fromHex('0102') as PartialIv, kidContext: fromHex('aabb') as IdContext, kid: fromHex('0c0d') as Kid };
    const enc = encodeOscoreOption(value);
    expect(toHex(enc)).to.equal('1a' + '0102' + '02aabb' + '0c0d');
    expect(decodeOscoreOption(enc)).to.deep.equal(value);
  });

  it('RFC 8613 §2: all flags zero is the empty value', () => {
    expect(encodeOscoreOption({}).length).to.equal(0);
    expect(decodeOscoreOption(new Uint8Array(0))).to.deep.equal({});
    bad('00', /no flags set/);
  });

  it('an empty kid and an empty kid context are present, not absent', () => {
    const v = { kid: new Uint8Array(0) as Kid, kidContext: new Uint8Array(0) as IdContext };
    expect(toHex(encodeOscoreOption(v))).to.equal('1800');
    expect(decodeOscoreOption(fromHex('1800'))).to.deep.equal(v);
  });

  it('rejects reserved bits, reserved Partial IV lengths and truncation', () => {
    bad('20', /reserved flag bits/);
    bad('80', /reserved flag bits/);
    bad('0e', /Partial IV length 6 is reserved/);
    bad('07', /Partial IV length 7 is reserved/);
    bad('0301', /runs past the end/);
    bad('10', /kid context length byte missing/);
    bad('1005aa', /kid context of 5 bytes runs past the end/);
    bad('0114ff', /after the last field/);
  });
});

describe('OSCORE option classes (RFC 8613 §4.1)', () => {
  it('follows Figure 5', () => {
    for (const n of [Opt.URI_HOST, Opt.URI_PORT, Opt.OSCORE, Opt.PROXY_URI, Opt.PROXY_SCHEME]) expect(optionClass(n), `option ${n}`).to.equal('U');
    for (const n of [Opt.OBSERVE, Opt.MAX_AGE, Opt.BLOCK1, Opt.BLOCK2, Opt.SIZE1, Opt.SIZE2, Opt.NO_RESPONSE]) expect(optionClass(n), `option ${n}`).to.equal('EU');
    for (const n of [Opt.IF_MATCH, Opt.ETAG, Opt.URI_PATH, Opt.CONTENT_FORMAT, Opt.URI_QUERY, Opt.ACCEPT, Opt.LOCATION_PATH, 65000]) expect(optionClass(n), `option ${n}`).to.equal('E');
  });

  it('splits a request: Uri-Host outer; Uri-Path, Content-Format, Block1 inner; Observe both', () => {
    const { inner, outer } = splitOptions([str(Opt.URI_HOST, 'h'), { number: Opt.OBSERVE, value: new Uint8Array(0) }, str(Opt.URI_PATH, 'p'), { number: Opt.CONTENT_FORMAT, value: Uint8Array.of(60) }, { number: Opt.BLOCK1, value: Uint8Array.of(2) }], 'request');
    expect(inner.map((o) => o.number)).to.deep.equal([Opt.OBSERVE, Opt.URI_PATH, Opt.CONTENT_FORMAT, Opt.BLOCK1]);
    expect(outer.map((o) => o.number)).to.deep.equal([Opt.URI_HOST, Opt.OBSERVE]);
  });

  it('RFC 8613 §4.1.3.3: decomposes Proxy-Uri', () => {
    const { inner, outer } = splitOptions([str(Opt.PROXY_URI, 'coap://example.com/resource?q=1')], 'request');
    expect(outer.map((o) => [o.number, new TextDecoder().decode(o.value)])).to.deep.equal([[Opt.PROXY_URI, 'coap://example.com']]);
    expect(inner.map((o) => [o.number, new TextDecoder().decode(o.value)])).to.deep.equal([
      [Opt.URI_PATH, 'resource'],
      [Opt.URI_QUERY, 'q=1'],
    ]);
  });

  it('RFC 8613 §4.1.3.5.2: a notification has an empty Inner Observe', () => {
    const { inner, outer } = splitOptions([{ number: Opt.OBSERVE, value: Uint8Array.of(5) }], 'response');
    expect(inner[0]!.value.length).to.equal(0);
    expect(outer[0]!.value).to.deep.equal(Uint8Array.of(5));
  });

  it('RFC 8613 §8.2 step 1: the receiver drops Outer Class E options (outer Block1, Max-Age, Observe)', () => {
    const merged = mergeOptions(
      [str(Opt.URI_HOST, 'h'), { number: Opt.OSCORE, value: Uint8Array.of(9) }, { number: Opt.MAX_AGE, value: new Uint8Array(0) }, { number: Opt.BLOCK1, value: Uint8Array.of(8) }, str(Opt.URI_PATH, 'evil')],
      [str(Opt.URI_PATH, 'good')],
    );
    expect(merged.map((o) => [o.number, new TextDecoder().decode(o.value)])).to.deep.equal([
      [Opt.URI_HOST, 'h'],
      [Opt.URI_PATH, 'good'],
    ]);
  });

  it('refuses to protect a message that already carries OSCORE (§4.1.3.7)', () => {
    expect(() => splitOptions([{ number: Opt.OSCORE, value: new Uint8Array(0) }], 'request')).to.throw(/nested/);
  });

  it('RFC 8613 §4.2 / §4.1.3.5: outer codes POST / 2.04, and FETCH / 2.05 with Observe', () => {
    const client = clientContext();
    const registry = new SecurityContextRegistry().add(serverContext());
    const plain = protectRequest(client, { code: Code.DELETE, options: [str(Opt.URI_PATH, 'x')], payload: new Uint8Array(0) });
    expect(plain.message.code).to.equal(Code.POST);
    const observed = protectRequest(client, { code: Code.GET, options: [{ number: Opt.OBSERVE, value: new Uint8Array(0) }], payload: new Uint8Array(0) });
    expect(observed.message.code).to.equal(Code.FETCH);
    const v1 = verifyRequest(registry, plain.message);
    expect(v1.request.code, 'inner code restored').to.equal(Code.DELETE);
    const r1 = protectResponse(v1.binding, { code: Code.DELETED, options: [], payload: new Uint8Array(0) });
    expect(r1.code).to.equal(Code.CHANGED);
    expect(verifyResponse(plain.binding, r1).code).to.equal(Code.DELETED);
    const v2 = verifyRequest(registry, observed.message);
    const r2 = protectResponse(v2.binding, { code: Code.CONTENT, options: [{ number: Opt.OBSERVE, value: Uint8Array.of(3) }], payload: Uint8Array.of(1) }, { partialIv: true });
    expect(r2.code).to.equal(Code.CONTENT);
    const back = verifyResponse(observed.binding, r2);
    expect(back.options.find((o) => o.number === Opt.OBSERVE)!.value.length, 'Inner Observe of a notification is empty').to.equal(0);
  });

  it('RFC 8613 §8.4: an Inner Observe in the response to a non-Observe request is refused', () => {
    const client = clientContext();
    const registry = new SecurityContextRegistry().add(serverContext());
    const p = protectRequest(client, { code: Code.GET, options: [], payload: new Uint8Array(0) });
    const v = verifyRequest(registry, p.message);
    const r = protectResponse(v.binding, { code: Code.CONTENT, options: [{ number: Opt.OBSERVE, value: Uint8Array.of(1) }], payload: new Uint8Array(0) });
    expect(() => verifyResponse(p.binding, r)).to.throw(/Inner Observe/);
  });
});
