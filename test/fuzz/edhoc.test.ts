/**
 * Properties of the EDHOC message parsers (fast-check):
 * (a) on arbitrary bytes every decoder and state-machine entry point either succeeds or throws an
 *     EdhocError (StackError ERR_EDHOC) that carries an error message to send or the one received;
 *     what decodes re-encodes to the same bytes (EDHOC messages have one encoding);
 * (b) the same for CBOR Sequences of arbitrary well-formed items, which get further into the parsers;
 * (c) valid messages (RFC 9529 trace 2 and fresh handshakes) mutated — bytes flipped, truncated,
 *     extended, inserted, deleted — are rejected the same way, never accepted as a different session.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { encodeCborSequence, type CborValue } from '../../src/codec/cbor/cbor.ts';
import { privateKeyFromRaw } from '../../src/codec/cose/key.ts';
import { bytesEqual, fromHex, toHex } from '../../src/core/bytes.ts';
import { isStackError } from '../../src/core/errors.ts';
import {
  ccsCredential,
  decodeErrorMessage,
  decodeMessage1,
  decodeMessage2,
  decodeMessage3,
  decodeMessage4,
  decodePlaintext2,
  decodePlaintext3,
  decodePlaintext4,
  EdhocError,
  encodeMessage1,
  encodePlaintext2,
  encodePlaintext3,
  InitiatorStart,
  localCredential,
  parseEdhocRequest,
  ResponderStart,
} from '../../src/protocol/edhoc/index.ts';
import { replayRandom } from '../vectors/rfc9529/trace-helpers.ts';
import { RFC9529_S3_TRACE2 as T } from '../vectors/rfc9529/trace2.data.ts';

const v = (k: string): Uint8Array => fromHex(T[k]!);

/** Runs f; a throw must be an EdhocError with something to send or something received. Returns whether f succeeded. */
function onlyEdhocErrors(what: string, input: Uint8Array, f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!(e instanceof EdhocError) || !isStackError(e, 'ERR_EDHOC')) throw new Error(`${what}(${toHex(input)}) threw ${String(e)}`, { cause: e });
    expect(e.reply !== undefined || e.received !== undefined, `${what}: ${e.message}`).to.equal(true);
    return false;
  }
}

const responder = new ResponderStart({ suites: [0, 1, 2, 3, 6] });

function checkAll(b: Uint8Array): void {
  onlyEdhocErrors('decodeMessage1', b, () => {
    const m = decodeMessage1(b);
    expect(toHex(encodeMessage1(m)), 'message_1 re-encodes').to.equal(toHex(b));
  });
  onlyEdhocErrors('decodeMessage2', b, () => decodeMessage2(b, 32));
  onlyEdhocErrors('decodeMessage3', b, () => decodeMessage3(b));
  onlyEdhocErrors('decodeMessage4', b, () => decodeMessage4(b));
  onlyEdhocErrors('decodePlaintext2', b, () => {
    const p = decodePlaintext2(b);
    expect(toHex(encodePlaintext2(p.cR, p.idCredR, p.signatureOrMac2, p.ead2Raw)), 'PLAINTEXT_2 re-encodes').to.equal(toHex(b));
  });
  onlyEdhocErrors('decodePlaintext3', b, () => {
    const p = decodePlaintext3(b);
    expect(toHex(encodePlaintext3(p.idCredI, p.signatureOrMac3, p.ead3Raw)), 'PLAINTEXT_3 re-encodes').to.equal(toHex(b));
  });
  onlyEdhocErrors('decodePlaintext4', b, () => decodePlaintext4(b));
  onlyEdhocErrors('decodeErrorMessage', b, () => decodeErrorMessage(b));
  onlyEdhocErrors('parseEdhocRequest', b, () => parseEdhocRequest(b));
  onlyEdhocErrors('processMessage1', b, () => responder.processMessage1(b));
}

/** Arbitrary well-formed CBOR items of the kinds EDHOC messages are made of. */
const w = (arbitrary: fc.Arbitrary<CborValue>, weight: number) => ({ arbitrary, weight });
const itemArb: fc.Arbitrary<CborValue> = fc.letrec<{ item: CborValue }>((tie) => {
  const item = tie('item') as fc.Arbitrary<CborValue>;
  return {
    item: fc.oneof(
      w(fc.integer({ min: -30, max: 30 }), 5),
      w(fc.integer({ min: -70000, max: 70000 }), 1),
      w(fc.uint8Array({ maxLength: 40 }), 4),
      w(fc.uint8Array({ minLength: 32, maxLength: 32 }), 2),
      w(fc.string({ maxLength: 10 }), 1),
      w(fc.constantFrom<CborValue>(true, false, null), 1),
      w(fc.array(item, { maxLength: 3 }), 1),
      w(fc.array(fc.tuple(fc.integer({ min: -5, max: 40 }), item), { maxLength: 3 }).map((es) => new Map<CborValue, CborValue>(es)), 1),
    ),
  };
}).item;

type Mutation = { kind: 'flip'; at: number; mask: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; byte: number } | { kind: 'delete'; at: number } | { kind: 'append'; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(b: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(b);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : ('at' in m ? m.at % out.length : 0);
    if (m.kind === 'flip' && out.length > 0) out[at]! ^= m.mask;
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'insert') out = Uint8Array.from([...out.slice(0, at), m.byte, ...out.slice(at)]);
    else if (m.kind === 'delete' && out.length > 0) out = Uint8Array.from([...out.slice(0, at), ...out.slice(at + 1)]);
    else if (m.kind === 'append') out = Uint8Array.from([...out, ...m.bytes]);
  }
  return out;
}

/** RFC 9529 trace 2 states, rebuilt deterministically for each run. */
function trace2States() {
  const credR = localCredential(ccsCredential(v('CRED_R (CBOR Data Item)')), privateKeyFromRaw('P-256', v('SK_R (Raw Value)')));
  const start = new InitiatorStart({ method: 3, suites: [6, 2], selectedSuite: 2, connectionId: v('C_I (Raw Value)'), random: replayRandom(v('X (Raw Value)')) });
  const waitM2 = start.prepareMessage1();
  const r = new ResponderStart({ suites: [2], random: replayRandom(v('Y (Raw Value)')) });
  const waitM3 = r.processMessage1(waitM2.message1).prepareMessage2({ credential: credR, connectionId: v('C_R (raw value)') });
  return { waitM2, waitM3 };
}

describe('fuzz: EDHOC parsers', function () {
  this.timeout(120_000);

  it('(a) arbitrary bytes: success or EdhocError only; decoded messages re-encode exactly', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => checkAll(b)), { numRuns: 3000 });
  });

  it('(b) CBOR Sequences of arbitrary items: success or EdhocError only', () => {
    let m1 = 0;
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 7 }), (items) => {
        const b = encodeCborSequence(items);
        checkAll(b);
        if (onlyEdhocErrors('decodeMessage1', b, () => decodeMessage1(b))) m1++;
      }),
      { numRuns: 3000 },
    );
    expect(m1, 'some sequences are well-formed message_1').to.be.greaterThan(0);
  });

  it('(b) nesting, huge declared lengths and indefinite items are refused without a crash', () => {
    for (const hex of ['81'.repeat(5000), '9b7fffffffffffffff', 'bf', '5f41aaff', '5b0000000100000000', 'd8ff'.repeat(100) + '00', '1c', 'f818', 'f900']) {
      checkAll(fromHex(hex));
    }
  });

  it('(c) mutated RFC 9529 message_1 / message_2 / message_3: rejected with EdhocError, never accepted', () => {
    const m1 = v('message_1 (CBOR Sequence)');
    const m2 = v('message_2 (CBOR Sequence)');
    const m3 = v('message_3 (CBOR Sequence)');
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (ms) => {
        const b1 = mutate(m1, ms);
        checkAll(b1);
        const { waitM2, waitM3 } = trace2States();
        const b2 = mutate(m2, ms);
        const ok2 = onlyEdhocErrors('parseMessage2', b2, () => {
          const pm2 = waitM2.parseMessage2(b2);
          pm2.verifyMessage2(ccsCredential(v('CRED_R (CBOR Data Item)')));
        });
        if (ok2) expect(toHex(b2), 'only the genuine message_2 verifies').to.equal(toHex(m2));
        const b3 = mutate(m3, ms);
        const ok3 = onlyEdhocErrors('parseMessage3', b3, () => waitM3.parseMessage3(b3));
        if (ok3) expect(bytesEqual(b3, m3), 'only the genuine message_3 decrypts').to.equal(true);
      }),
      { numRuns: 400 },
    );
  });
});
