/**
 * The Sender Sequence Number (RFC 8613 §3.1, §7.2) with the persistence procedure of Appendix B.1.1
 * (§7.5 item 1): before a number at least K past the last stored one is used, it is stored; after
 * a restart counting resumes at stored + K + F. Every number used before the restart is below
 * stored + K, so none is used twice with the same key.
 *
 * The store is synchronous on purpose: `save` must have made the value durable when it returns
 * (a fsync'd file, a SQLite transaction), because the number is used right after.
 */
import { StackError } from '../../core/errors.ts';
import { RFC8613_S7_2_1_MAX_SEQUENCE } from './ids.ts';

export interface SequenceStore {
  /** The value last saved under `key` (see `SenderSequence.storeKey`), if any. */
  load(key: string): number | undefined;
  /** Durably records `ssn` under `key` before it is used. */
  save(key: string, ssn: number): void;
}

/** A SequenceStore in memory: survives a SenderSequence, not the process (tests, restarts in-process). */
export class MemorySequenceStore implements SequenceStore {
  readonly values = new Map<string, number>();
  saves = 0;
  load(key: string): number | undefined {
    return this.values.get(key);
  }
  save(key: string, ssn: number): void {
    this.saves++;
    this.values.set(key, ssn);
  }
}

export interface SequencePersistence {
  readonly store: SequenceStore;
  /** K of Appendix B.1.1: how many numbers one stored value covers. */
  readonly persistEvery?: number;
  /** F of Appendix B.1.1: extra numbers skipped after a restart (0 is safe with a durable store). */
  readonly restartMargin?: number;
}

export const DEFAULT_PERSIST_EVERY = 64;

export class SenderSequence {
  private nextSeq: number;
  private stored: number | undefined;
  private readonly store: SequenceStore | undefined;
  private readonly every: number;

  /**
   * `key` names the sender context in the store (ID Context and Sender ID). Without persistence
   * the count starts at `start` (0, RFC 8613 §3.2.2); with a stored value it resumes past it.
   */
  constructor(
    readonly storeKey: string,
    persistence?: SequencePersistence,
    start = 0,
  ) {
    this.store = persistence?.store;
    this.every = persistence?.persistEvery ?? DEFAULT_PERSIST_EVERY;
    const margin = persistence?.restartMargin ?? 0;
    if (!Number.isInteger(this.every) || this.every < 1) throw new StackError('ERR_CONFIG', `persistEvery must be a positive integer, got ${this.every}`);
    if (!Number.isInteger(margin) || margin < 0) throw new StackError('ERR_CONFIG', `restartMargin must be a non-negative integer, got ${margin}`);
    if (!Number.isInteger(start) || start < 0 || start > RFC8613_S7_2_1_MAX_SEQUENCE) throw new StackError('ERR_CONFIG', `initial sequence number ${start} is out of range`);
    const last = this.store?.load(storeKey);
    if (last !== undefined) {
      if (!Number.isInteger(last) || last < 0) throw new StackError('ERR_STORE', `stored sequence number for ${storeKey} is not a non-negative integer`);
      this.nextSeq = Math.max(start, last + this.every + margin);
    } else {
      this.nextSeq = start;
    }
  }

  /** The number `take` returns next. */
  get next(): number {
    return this.nextSeq;
  }

  /** Whether the context can still send (RFC 8613 §7.2.1: numbers stay below 2^40). */
  get exhausted(): boolean {
    return this.nextSeq > RFC8613_S7_2_1_MAX_SEQUENCE;
  }

  /** Hands out the next number, storing a new high-water mark first when due. */
  take(): number {
    const seq = this.nextSeq;
    if (seq > RFC8613_S7_2_1_MAX_SEQUENCE) {
      // No dedicated code exists for this; ERR_CONFIG: the context must be replaced.
      throw new StackError('ERR_CONFIG', 'OSCORE Sender Sequence Number exhausted (2^40); a new security context is needed');
    }
    if (this.store && (this.stored === undefined || seq - this.stored >= this.every)) {
      this.store.save(this.storeKey, seq);
      this.stored = seq;
    }
    this.nextSeq = seq + 1;
    return seq;
  }
}
