/**
 * CMP codec under random and mutated input: decode either returns a message that re-encodes
 * to exactly the input, or throws StackError ERR_CMP_MALFORMED. Nothing else (no RangeError or
 * TypeError from asn1js, no plain Error from asn1-schema, no hang).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import { bytesEqual } from '../../src/core/bytes.ts';
import { isStackError } from '../../src/core/errors.ts';
import { decodePkiMessage, decodePkiMessages, encodePkiMessage, encodePkiMessages } from '../../src/codec/cmp/index.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/cmp/openssl');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.der'))
  .sort()
  .map((f) => new Uint8Array(readFileSync(join(dir, f))));

/** The property: a clean decode round-trips exactly, a failed one is ERR_CMP_MALFORMED. */
function decodesOrRefuses(input: Uint8Array, batch = false): boolean {
  let encoded: Uint8Array;
  try {
    encoded = batch ? encodePkiMessages(decodePkiMessages(input)) : encodePkiMessage(decodePkiMessage(input));
  } catch (e) {
    if (isStackError(e, 'ERR_CMP_MALFORMED')) return true;
    throw new Error(`decode threw something other than ERR_CMP_MALFORMED: ${String(e)}`, { cause: e });
  }
  return bytesEqual(encoded, input);
}

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'xor'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'duplicate'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('xor' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
);

function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = input.slice();
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'set':
        if (b.length) b[at] = m.value;
        break;
      case 'xor':
        if (b.length) b[at]! ^= m.mask;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = new Uint8Array([...b.slice(0, at), ...m.bytes, ...b.slice(at)]);
        break;
      case 'delete':
        b = new Uint8Array([...b.slice(0, at), ...b.slice(at + m.count)]);
        break;
      case 'duplicate':
        b = new Uint8Array([...b.slice(0, at + m.count), ...b.slice(at, at + m.count), ...b.slice(at + m.count)]);
        break;
    }
  }
  return b;
}

/** A DER header (tag + definite length) for `n` content octets. */
function tlvHeader(tag: number, n: number): number[] {
  if (n < 0x80) return [tag, n];
  const len: number[] = [];
  for (let v = n; v > 0; v >>= 8) len.unshift(v & 0xff);
  return [tag, 0x80 | len.length, ...len];
}

describe('fuzz: CMP codec', function () {
  this.timeout(120_000);

  it('every fixture round-trips (the starting point of the mutations)', () => {
    expect(fixtures.length).to.be.greaterThan(40);
    for (const f of fixtures) expect(decodesOrRefuses(f)).to.equal(true);
  });

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => decodesOrRefuses(b)), { numRuns: 2000 });
  });

  it('random content inside a SEQUENCE header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (content) => decodesOrRefuses(new Uint8Array([...tlvHeader(0x30, content.length), ...content]))),
      { numRuns: 2000 },
    );
  });

  it('mutated fixtures', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 4 }), (f, ms) => decodesOrRefuses(mutate(f, ms))),
      { numRuns: 4000 },
    );
  });

  it('a fixture with one octet changed anywhere (single-byte sweep of the ir)', () => {
    const ir = fixtures.find((f) => decodePkiMessage(f).body.ir !== undefined)!;
    for (let at = 0; at < ir.length; at++) {
      for (const v of [0x00, 0xff, ir[at]! ^ 0x01]) {
        const b = ir.slice();
        b[at] = v;
        expect(decodesOrRefuses(b), `octet ${at} = ${v}`).to.equal(true);
      }
    }
  });

  it('mutated PKIMessages batches', () => {
    const batch = (items: Uint8Array[]): Uint8Array => {
      const content = items.flatMap((i) => [...i]);
      return new Uint8Array([...tlvHeader(0x30, content.length), ...content]);
    };
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fixtures), { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { maxLength: 3 }),
        (items, ms) => decodesOrRefuses(mutate(batch(items), ms), true),
      ),
      { numRuns: 1000 },
    );
  });

  it('deep nesting is refused, not a stack overflow', () => {
    let b: number[] = [0x05, 0x00];
    for (let i = 0; i < 5000; i++) b = [...tlvHeader(0x30, b.length)].concat(b);
    expect(decodesOrRefuses(new Uint8Array(b))).to.equal(true);
  });
});
