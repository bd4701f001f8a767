/** RFC 8613 §7.5.1 / Appendix B.1.1: Sender Sequence Numbers persisted every K, skipping ahead after a restart. */
import { expect } from 'chai';
import { Code } from '../../../src/codec/coap/numbers/codes.ts';
import { isStackError } from '../../../src/core/errors.ts';
import { SecurityContextRegistry } from '../../../src/protocol/oscore/context-registry.ts';
import { RFC8613_S7_2_1_MAX_SEQUENCE } from '../../../src/protocol/oscore/ids.ts';
import { protectRequest, verifyRequest } from '../../../src/protocol/oscore/message-protection.ts';
import { MemorySequenceStore, SenderSequence, type SequenceStore } from '../../../src/protocol/oscore/sender-sequence.ts';
import { clientContext, serverContext } from './helpers.ts';

describe('OSCORE Sender Sequence Number (RFC 8613 §7.2, Appendix B.1.1)', () => {
  it('RFC 8613 §3.2.2: starts at 0 and counts up without a store', () => {
    const s = new SenderSequence('k');
    expect([s.take(), s.take(), s.take()]).to.deep.equal([0, 1, 2]);
  });

  it('stores a value before using a number K past the last stored one', () => {
    const store = new MemorySequenceStore();
    const s = new SenderSequence('k', { store, persistEvery: 10 });
    for (let i = 0; i < 25; i++) s.take();
    expect(store.saves, 'stored at 0, 10, 20').to.equal(3);
    expect(store.values.get('k')).to.equal(20);
  });

  it('skips ahead by K (+F) after a restart, so no number is used twice', () => {
    const store = new MemorySequenceStore();
    const first = new SenderSequence('k', { store, persistEvery: 10 });
    const used = new Set<number>();
    for (let i = 0; i < 25; i++) used.add(first.take());
    const second = new SenderSequence('k', { store, persistEvery: 10 });
    expect(second.next, 'stored 20 + K 10').to.equal(30);
    expect(second.next).to.be.greaterThan(Math.max(...used));
    const third = new SenderSequence('k', { store, persistEvery: 10, restartMargin: 5 });
    expect(third.next, 'a restart right after: stored 20 + 10 + F 5').to.equal(35);
  });

  it('never reuses a number across many crashes at arbitrary points', () => {
    const store = new MemorySequenceStore();
    const used = new Set<number>();
    let crashes = 0;
    for (const runLength of [0, 1, 7, 8, 9, 15, 16, 3, 0, 0, 40, 2]) {
      const s = new SenderSequence('ctx', { store, persistEvery: 8 });
      for (let i = 0; i < runLength; i++) {
        const n = s.take();
        expect(used.has(n), `number ${n} used twice`).to.equal(false);
        used.add(n);
      }
      crashes++;
    }
    expect(crashes).to.equal(12);
  });

  it('the context keeps a store key per ID Context and Sender ID', () => {
    const store = new MemorySequenceStore();
    const a = clientContext({ sequence: { store, persistEvery: 4 } });
    a.sequence.take();
    const b = clientContext({ idContext: Uint8Array.of(7), sequence: { store, persistEvery: 4 } });
    b.sequence.take();
    expect([...store.values.keys()].sort()).to.deep.equal(['#07/', '-/']);
  });

  it('a restarted client keeps talking to a server that kept its replay window', () => {
    const store = new MemorySequenceStore();
    const registry = new SecurityContextRegistry().add(serverContext());
    const get = { code: Code.GET, options: [], payload: new Uint8Array(0) };
    let client = clientContext({ sequence: { store, persistEvery: 16 } });
    for (let i = 0; i < 5; i++) verifyRequest(registry, protectRequest(client, get).message);
    client = clientContext({ sequence: { store, persistEvery: 16 } }); // reboot: RAM state lost
    const { binding } = verifyRequest(registry, protectRequest(client, get).message);
    expect(binding.sequenceNumber, 'resumed at stored 0 + 16').to.equal(16);
  });

  it('a store that fails stops the sender before the number is used', () => {
    const failing: SequenceStore = {
      load: () => undefined,
      save: () => {
        throw new Error('disk full');
      },
    };
    const s = new SenderSequence('k', { store: failing });
    expect(() => s.take()).to.throw('disk full');
    expect(s.next, 'nothing was handed out').to.equal(0);
  });

  it('RFC 8613 §7.2.1: refuses to go past 2^40 - 1', () => {
    const s = new SenderSequence('k', undefined, RFC8613_S7_2_1_MAX_SEQUENCE);
    expect(s.take()).to.equal(RFC8613_S7_2_1_MAX_SEQUENCE);
    expect(s.exhausted).to.equal(true);
    expect(() => s.take()).to.throw().that.satisfies((e: unknown) => isStackError(e) && /exhausted/.test((e as Error).message));
  });
});
