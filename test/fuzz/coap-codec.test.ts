/**
 * Properties of the CoAP message codec (fast-check):
 * (a) decodeMessage on arbitrary bytes returns a message or throws one StackError
 *     (ERR_COAP_MALFORMED) whose details are consistent with the input; whatever decodes
 *     re-encodes to exactly the same bytes (the wire format has one encoding per message);
 * (b) arbitrary valid messages, with option deltas and lengths in every encoding band (4-bit,
 *     1-byte and 2-byte extensions), round-trip encode -> decode -> encode byte for byte and
 *     decode(encode(m)) deep-equals m;
 * (c) splitting a datagram is not a thing on UDP, so valid encodings are mutated instead (bytes
 *     flipped, truncated, extended, inserted, deleted) and fed to the decoder.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, type CoapMessage, type CoapOption } from '../../src/codec/coap/message.ts';
import type { MessageType } from '../../src/codec/coap/numbers/types.ts';
import { bytesEqual, toHex } from '../../src/core/bytes.ts';
import { isStackError } from '../../src/core/errors.ts';

const EMPTY = new Uint8Array(0);

/** Option deltas from each encoding band: nibble (0..12), 1-byte (13..268), 2-byte (269..65535). */
const deltaArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 12 }), weight: 4 },
  { arbitrary: fc.integer({ min: 13, max: 268 }), weight: 3 },
  { arbitrary: fc.integer({ min: 269, max: 65535 }), weight: 1 },
);
/** Option value lengths from each band, up to 300 bytes. */
const lengthArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 12 }), weight: 4 },
  { arbitrary: fc.integer({ min: 13, max: 268 }), weight: 2 },
  { arbitrary: fc.integer({ min: 269, max: 300 }), weight: 1 },
);
const optionValueArb = lengthArb.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

/** Sorted options with numbers 0..65535 (repeats allowed: delta 0). */
const optionsArb: fc.Arbitrary<CoapOption[]> = fc.array(fc.tuple(deltaArb, optionValueArb), { maxLength: 8 }).map((list) => {
  const out: CoapOption[] = [];
  let n = 0;
  for (const [delta, value] of list) {
    if (n + delta > 0xffff) break;
    n += delta;
    out.push({ number: n, value });
  }
  return out;
});

const typeArb = fc.constantFrom<MessageType>(0, 1, 2, 3);
const midArb = fc.integer({ min: 0, max: 0xffff });

/** A message with a non-zero code: anything goes. */
const fullMessageArb: fc.Arbitrary<CoapMessage> = fc.record({
  type: typeArb,
  code: fc.integer({ min: 1, max: 255 }),
  messageId: midArb,
  token: fc.uint8Array({ maxLength: 8 }),
  options: optionsArb,
  payload: fc.oneof(fc.constant(EMPTY), fc.uint8Array({ minLength: 1, maxLength: 600 })),
});
/** The empty message (code 0.00) is header only (RFC 7252 §4.1). */
const emptyMessageArb: fc.Arbitrary<CoapMessage> = fc.record({
  type: typeArb,
  code: fc.constant(0),
  messageId: midArb,
  token: fc.constant(EMPTY),
  options: fc.constant([] as CoapOption[]),
  payload: fc.constant(EMPTY),
});
const validMessageArb = fc.oneof({ arbitrary: fullMessageArb, weight: 9 }, { arbitrary: emptyMessageArb, weight: 1 });

/**
 * Decodes `input` and checks the contract. Returns whether it decoded.
 * Thrown: only StackError ERR_COAP_MALFORMED, with an offset inside the input, and an RST asked for
 * only for a CON whose message ID is the one in the header. Decoded: re-encodes to the same bytes.
 */
function checkDecode(input: Uint8Array): boolean {
  let m: CoapMessage;
  try {
    m = decodeMessage(input);
  } catch (e) {
    if (!isStackError(e, 'ERR_COAP_MALFORMED')) throw new Error(`decodeMessage(${toHex(input)}) threw ${String(e)}`, { cause: e });
    const d = e.details;
    expect(d.offset, `offset for ${toHex(input)}`).to.be.a('number').within(0, input.length);
    expect(['rst', 'drop']).to.include(d.answer?.kind);
    if (d.answer?.kind === 'rst') {
      expect(input.length).to.be.at.least(4);
      expect((input[0]! >> 4) & 3, 'RST only for a CON').to.equal(0);
      expect(d.messageId).to.equal((input[2]! << 8) | input[3]!);
    }
    return false;
  }
  const again = encodeMessage(m);
  if (!bytesEqual(again, input)) expect(toHex(again), 're-encoding of a decoded message').to.equal(toHex(input));
  return true;
}

describe('fuzz: CoAP codec', function () {
  this.timeout(60_000);

  it('(a) arbitrary bytes: a message or ERR_COAP_MALFORMED, and what decodes re-encodes exactly', function () {
    let decoded = 0;
    let rejected = 0;
    const count = (ok: boolean): void => void (ok ? decoded++ : rejected++);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => count(checkDecode(b))), { numRuns: 20_000 });
    // Version 1 in the first byte, so that the decoder gets past the header most of the time.
    const v1 = fc.tuple(fc.integer({ min: 0x40, max: 0x7f }), fc.uint8Array({ minLength: 0, maxLength: 80 })).map(([h, rest]) => Uint8Array.of(h, ...rest));
    fc.assert(fc.property(v1, (b) => count(checkDecode(b))), { numRuns: 20_000 });
    // Both outcomes were exercised, or the property proves little.
    expect(decoded).to.be.greaterThan(100);
    expect(rejected).to.be.greaterThan(100);
  });

  it('(a) boundary inputs: empty, short header, reserved token lengths, bad version, truncated extensions', function () {
    const malformed = [
      '',
      '40',
      '400100',
      '49010000', // TKL 9
      '4f010000', // TKL 15
      '80010000', // version 2
      '41010000', // token runs past the end
      '40010000ff', // payload marker without payload
      '40010000d0', // 1-byte delta extension missing
      '40010000e000', // 2-byte delta extension missing a byte
      '400100000d', // 1-byte length extension missing
      '40010000f0', // delta nibble 15 without the marker
      '400100000f', // length nibble 15
      '40010000e0fef301', // option number 65804 > 65535
      '4000000001', // empty message with bytes after the header
      '41000000aa', // empty message with a token
      '40010000b46162', // Uri-Path value of 4 bytes, 2 present
    ];
    for (const hex of malformed) {
      const b = Uint8Array.from(Buffer.from(hex, 'hex'));
      expect(checkDecode(b), hex).to.equal(false);
    }
    // The same Uri-Path with its 3 bytes present decodes.
    expect(checkDecode(Uint8Array.from(Buffer.from('40010000b3616263', 'hex')))).to.equal(true);
    // Largest option number (65535 = 269 + 0xfef2 in a 2-byte delta) with a 2-byte length.
    const big: CoapMessage = { type: 0, code: 1, messageId: 1, token: EMPTY, options: [{ number: 65535, value: new Uint8Array(269) }], payload: EMPTY };
    const wire = encodeMessage(big);
    expect(toHex(wire.subarray(4, 9))).to.equal('eefef20000');
    expect(decodeMessage(wire)).to.deep.equal(big);
  });

  it('(b) valid messages: encode -> decode -> encode is byte-exact and decode(encode(m)) deep-equals m', function () {
    const seen = { delta1: 0, delta2: 0, len1: 0, len2: 0, repeats: 0, empty: 0, payload: 0 };
    fc.assert(
      fc.property(validMessageArb, (m) => {
        const wire = encodeMessage(m);
        const back = decodeMessage(wire);
        expect(back).to.deep.equal(m);
        expect(bytesEqual(encodeMessage(back), wire)).to.equal(true);
        // Coverage of the encoding bands.
        let prev = 0;
        for (const o of m.options) {
          const d = o.number - prev;
          if (d >= 13 && d < 269) seen.delta1++;
          if (d >= 269) seen.delta2++;
          if (o.value.length >= 13 && o.value.length < 269) seen.len1++;
          if (o.value.length >= 269) seen.len2++;
          if (d === 0 && o !== m.options[0]) seen.repeats++;
          prev = o.number;
        }
        if (m.code === 0) seen.empty++;
        if (m.payload.length) seen.payload++;
      }),
      { numRuns: 3000 },
    );
    for (const [k, v] of Object.entries(seen)) expect(v, `messages exercising ${k}`).to.be.greaterThan(10);
  });

  it('(c) mutated valid encodings (flip, truncate, extend, insert, delete) decode or fail with ERR_COAP_MALFORMED only', function () {
    type Mutation =
      | { kind: 'flip'; at: number; xor: number }
      | { kind: 'truncate'; at: number }
      | { kind: 'extend'; bytes: Uint8Array }
      | { kind: 'insert'; at: number; bytes: Uint8Array }
      | { kind: 'delete'; at: number; n: number };
    const at = fc.nat({ max: 2000 });
    const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at, xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at }),
      fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 8 }) }),
    );
    const apply = (b: Uint8Array, mu: Mutation): Uint8Array => {
      if (b.length === 0 && mu.kind !== 'extend') return b;
      const i = 'at' in mu ? mu.at % b.length : 0;
      switch (mu.kind) {
        case 'flip': {
          const c = b.slice();
          c[i] = c[i]! ^ mu.xor;
          return c;
        }
        case 'truncate':
          return b.slice(0, i);
        case 'extend':
          return Uint8Array.of(...b, ...mu.bytes);
        case 'insert':
          return Uint8Array.of(...b.subarray(0, i), ...mu.bytes, ...b.subarray(i));
        case 'delete':
          return Uint8Array.of(...b.subarray(0, i), ...b.subarray(i + mu.n));
      }
    };
    let decoded = 0;
    let rejected = 0;
    fc.assert(
      fc.property(validMessageArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (m, mutations) => {
        const b = mutations.reduce(apply, encodeMessage(m));
        if (checkDecode(b)) decoded++;
        else rejected++;
      }),
      { numRuns: 5000 },
    );
    expect(decoded).to.be.greaterThan(100);
    expect(rejected).to.be.greaterThan(100);
  });

  it('(c) a truncation inside the header or token always fails, and only as a drop or RST', function () {
    fc.assert(
      fc.property(fullMessageArb, fc.nat(), (m, k) => {
        const wire = encodeMessage(m);
        const cut = k % (4 + m.token.length);
        expect(checkDecode(wire.slice(0, cut))).to.equal(false);
      }),
      { numRuns: 2000 },
    );
  });
});
