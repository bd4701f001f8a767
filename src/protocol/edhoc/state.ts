/**
 * What every EDHOC state object shares: a transition may be taken once (a state stands for one
 * point in one session, as a consumed value does in lakers), and it holds only plain data — no
 * timers, sockets or callbacks besides the opt-in trace hook — so a caller can keep half-open
 * sessions in a bounded table and simply drop them when they expire.
 */
import { EdhocError } from './edhoc-error.ts';

export abstract class EdhocState {
  #used = false;

  /** True once a transition has been taken from this state. */
  get used(): boolean {
    return this.#used;
  }

  /** Marks the state as consumed; a second transition fails with ERR_EDHOC. */
  protected consume(transition: string): void {
    if (this.#used) throw new EdhocError(`${this.constructor.name}.${transition}: this state has already been used`);
    this.#used = true;
  }
}
