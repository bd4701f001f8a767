/**
 * The server's replay window of a Recipient Context (RFC 8613 §7.4, §3.2.2): the anti-replay
 * sliding window of RFC 6347 §4.1.2.6, 32 wide by default. A Partial IV above the highest one seen
 * slides the window; one inside it is accepted once; one below it is rejected as too old.
 *
 * Checking and updating are separate so that only a request that decrypts moves the window
 * (§8.2 steps 3 and 6); callers run both without an await in between (§7.4: atomic).
 */
import { StackError } from '../../core/errors.ts';

/** RFC 8613 §3.2.2: the default window size. */
export const RFC8613_S3_2_2_REPLAY_WINDOW = 32;
const MAX_WINDOW = 4096;

export type ReplayVerdict = 'fresh' | 'replay' | 'too-old';

export class ReplayWindow {
  readonly size: number;
  /** Highest sequence number accepted so far; -1 before the first. */
  private top = -1;
  /** Bit i set: sequence number top - i was accepted. */
  private seen = 0n;
  private readonly mask: bigint;

  constructor(size: number = RFC8613_S3_2_2_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_WINDOW) {
      throw new StackError('ERR_CONFIG', `replay window size ${size} is not an integer in 1..${MAX_WINDOW}`);
    }
    this.size = size;
    this.mask = (1n << BigInt(size)) - 1n;
  }

  get highest(): number {
    return this.top;
  }

  check(seq: number): ReplayVerdict {
    if (seq > this.top) return 'fresh';
    const back = this.top - seq;
    if (back >= this.size) return 'too-old';
    return (this.seen >> BigInt(back)) & 1n ? 'replay' : 'fresh';
  }

  /** Records `seq` as received; a sequence number the window would refuse is an error. */
  accept(seq: number): void {
    const verdict = this.check(seq);
    if (verdict !== 'fresh') throw new StackError('ERR_OSCORE_REPLAY', `sequence number ${seq} is ${verdict === 'replay' ? 'a replay' : 'older than the window'}`);
    if (seq > this.top) {
      const shift = this.top < 0 ? this.size : seq - this.top;
      this.seen = shift >= this.size ? 1n : ((this.seen << BigInt(shift)) | 1n) & this.mask;
      this.top = seq;
    } else {
      this.seen |= 1n << BigInt(this.top - seq);
    }
  }
}
