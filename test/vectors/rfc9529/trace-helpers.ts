/** Helpers for the RFC 9529 trace tests: hex as printed, a Random that replays the traces' keys, a trace recorder. */
import { expect } from 'chai';
import { fromHex, toHex } from '../../../src/core/bytes.ts';
import type { Random } from '../../../src/core/random.ts';
import type { EdhocTraceHook, EdhocTraceStep } from '../../../src/protocol/edhoc/index.ts';

/** The bytes of a trace entry; fails loudly on a key that is not in the trace. */
export function entry(trace: Readonly<Record<string, string>>, key: string): Uint8Array {
  const hex = trace[key];
  if (hex === undefined) throw new Error(`no entry "${key}" in the trace data`);
  return fromHex(hex);
}

/** A Random whose bytes() hands out the given values in order (each draw must ask for exactly its length). */
export function replayRandom(...values: Uint8Array[]): Random & { readonly left: number } {
  const queue = [...values];
  return {
    bytes(n: number): Uint8Array {
      const next = queue.shift();
      if (!next) throw new Error(`replayRandom: no value left for a draw of ${n} bytes`);
      if (next.length !== n) throw new Error(`replayRandom: draw of ${n} bytes, but the next value has ${next.length}`);
      return Uint8Array.from(next);
    },
    float: () => {
      throw new Error('replayRandom: float() not expected');
    },
    int: () => {
      throw new Error('replayRandom: int() not expected');
    },
    get left() {
      return queue.length;
    },
  };
}

export class TraceRecorder {
  readonly values = new Map<EdhocTraceStep, Uint8Array>();
  readonly hook: EdhocTraceHook = (step, value) => {
    this.values.set(step, value);
  };

  /** Asserts that `step` was reported with exactly the trace's value. */
  expectStep(step: EdhocTraceStep, expected: Uint8Array, who: string): void {
    const got = this.values.get(step);
    expect(got, `${who} did not report ${step}`).to.not.equal(undefined);
    expect(toHex(got!), `${who} ${step} disagrees with the trace`).to.equal(toHex(expected));
  }
}

/** Where each reported step is printed in the traces (the same captions in RFC 9529 §2 and §3). */
export const STEP_CAPTIONS: ReadonlyArray<readonly [EdhocTraceStep, string]> = [
  ['message_1', 'message_1 (CBOR Sequence)'],
  ['G_X', 'G_X (Raw Value)'],
  ['G_Y', 'G_Y (Raw Value)'],
  ['H(message_1)', 'H(message_1) (Raw Value)'],
  ['TH_2', 'TH_2 (Raw Value)'],
  ['G_XY', 'G_XY (Raw Value) (ECDH shared secret)'],
  ['PRK_2e', 'PRK_2e (Raw Value)'],
  ['PRK_3e2m', 'PRK_3e2m (Raw Value)'],
  ['context_2', 'context_2 (CBOR Sequence)'],
  ['MAC_2', 'MAC_2 (Raw Value)'],
  ['Signature_or_MAC_2', 'Signature_or_MAC_2 (Raw Value)'],
  ['PLAINTEXT_2', 'PLAINTEXT_2 (CBOR Sequence)'],
  ['KEYSTREAM_2', 'KEYSTREAM_2 (Raw Value)'],
  ['CIPHERTEXT_2', 'CIPHERTEXT_2 (Raw Value)'],
  ['message_2', 'message_2 (CBOR Sequence)'],
  ['TH_3', 'TH_3 (Raw Value)'],
  ['PRK_4e3m', 'PRK_4e3m (Raw Value)'],
  ['context_3', 'context_3 (CBOR Sequence)'],
  ['MAC_3', 'MAC_3 (Raw Value)'],
  ['Signature_or_MAC_3', 'Signature_or_MAC_3 (Raw Value)'],
  ['PLAINTEXT_3', 'PLAINTEXT_3 (CBOR Sequence)'],
  ['A_3', 'A_3 (CBOR Data Item)'],
  ['K_3', 'K_3 (Raw Value)'],
  ['IV_3', 'IV_3 (Raw Value)'],
  ['CIPHERTEXT_3', 'CIPHERTEXT_3 (Raw Value)'],
  ['message_3', 'message_3 (CBOR Sequence)'],
  ['TH_4', 'TH_4 (Raw Value)'],
  ['PRK_out', 'PRK_out (Raw Value)'],
  ['PRK_exporter', 'PRK_exporter (Raw Value)'],
  ['A_4', 'A_4 (CBOR Data Item)'],
  ['K_4', 'K_4 (Raw Value)'],
  ['IV_4', 'IV_4 (Raw Value)'],
  ['CIPHERTEXT_4', 'CIPHERTEXT_4'],
  ['message_4', 'message_4 (CBOR Sequence)'],
];

/** Static DH steps, printed only in trace 2. */
export const STATIC_DH_STEP_CAPTIONS: ReadonlyArray<readonly [EdhocTraceStep, string]> = [
  ['SALT_3e2m', 'SALT_3e2m (Raw Value)'],
  ['G_RX', 'G_RX (Raw Value) (ECDH shared secret)'],
  ['SALT_4e3m', 'SALT_4e3m (Raw Value)'],
  ['G_IY', 'G_IY (Raw Value) (ECDH shared secret)'],
];

/** Steps only the Initiator computes (the Responder receives them) and vice versa. */
export const INITIATOR_ONLY: readonly EdhocTraceStep[] = ['message_3'];
export const RESPONDER_ONLY: readonly EdhocTraceStep[] = ['message_2', 'message_4'];
