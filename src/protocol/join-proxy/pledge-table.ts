/**
 * The join proxy's table of pledges (draft-ietf-anima-constrained-join-proxy-20 §4.3): one entry per
 * pledge UDP endpoint, created by the pledge's first datagram and removed after an idle timeout
 * (default 30 s after the last datagram in either direction, §4.3 MUST). Every entry carries the
 * pledge's token bucket; in stateful mode it also holds the upstream socket (the caller's `T`).
 *
 * Bounded: at most `maxPledges` entries and at most `maxPerAddress` per pledge IP address (the
 * draft's SHOULD limits are 10 per interface and 2 per address). A new pledge beyond a limit is
 * refused; existing entries are never evicted to make room, so a flood of new sources cannot push
 * out pledges in the middle of onboarding.
 */
import type { PledgeAddress } from './pledge-address.ts';
import { TokenBucket } from './token-bucket.ts';

/** §4.3: "The default timeout for clearing the state for a Pledge MUST be 30 seconds". */
export const JP_S4_3_DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** §4.3: at most 2 simultaneous state tuples per IP_P (SHOULD). */
export const JP_S4_3_MAX_PER_ADDRESS = 2;
/** §4.3: at most 10 simultaneous state tuples per network interface (SHOULD). */
export const JP_S4_3_MAX_PER_INTERFACE = 10;

export interface PledgeTableConfig {
  /** Most pledges at once (>= 1). */
  readonly maxPledges: number;
  /** Most pledges at once from one IP address (0: no limit of its own). */
  readonly maxPerAddress: number;
  /** An entry without traffic for this long is removed (> 0). */
  readonly idleTimeoutMs: number;
  /** Datagrams per second a pledge may send (0: unlimited). */
  readonly ratePerSecond: number;
  /** Bucket size (datagrams a pledge may send at once after a pause). */
  readonly burst: number;
}

export interface PledgeEntry<T> {
  /** The pledge, with its address in canonical text. */
  readonly pledge: PledgeAddress;
  readonly key: string;
  readonly createdAt: number;
  lastActive: number;
  removed: boolean;
  readonly state: T;
  readonly bucket: TokenBucket | undefined;
}

export type RemovalReason = 'expired' | 'closed';

export type AdmitResult<T> = { readonly entry: PledgeEntry<T>; readonly created: boolean } | { readonly refused: 'cap' | 'per-address' };

export function checkPledgeTableConfig(c: PledgeTableConfig): string | undefined {
  if (!Number.isInteger(c.maxPledges) || c.maxPledges < 1) return `maxPledges must be a whole number >= 1, got ${c.maxPledges}`;
  if (!Number.isInteger(c.maxPerAddress) || c.maxPerAddress < 0) return `maxPerAddress must be a whole number >= 0, got ${c.maxPerAddress}`;
  if (!(Number.isFinite(c.idleTimeoutMs) && c.idleTimeoutMs > 0)) return `idleTimeoutMs must be > 0, got ${c.idleTimeoutMs}`;
  if (!(Number.isFinite(c.ratePerSecond) && c.ratePerSecond >= 0)) return `ratePerSecond must be >= 0, got ${c.ratePerSecond}`;
  if (!(Number.isFinite(c.burst) && c.burst >= 1)) return `burst must be >= 1, got ${c.burst}`;
  return undefined;
}

export class PledgeTable<T> {
  private readonly entries = new Map<string, PledgeEntry<T>>();
  private readonly perAddress = new Map<string, number>();
  /** No entry can have expired before this time (so a full table is not swept on every refusal). */
  private nextExpiry = Infinity;
  peak = 0;

  constructor(
    readonly config: PledgeTableConfig,
    private readonly onRemove: (entry: PledgeEntry<T>, reason: RemovalReason) => void = () => {},
  ) {
    const problem = checkPledgeTableConfig(config);
    if (problem) throw new RangeError(problem);
  }

  get size(): number {
    return this.entries.size;
  }

  /** When the next sweep may find something to remove (Infinity when empty). */
  get nextExpiryAt(): number {
    return this.nextExpiry;
  }

  /** The live entry for a key (an idle one found here is removed as expired). */
  lookup(key: string, now: number): PledgeEntry<T> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now - e.lastActive >= this.config.idleTimeoutMs) {
      this.remove(e, 'expired');
      return undefined;
    }
    return e;
  }

  /** The pledge's entry, created when there is room for it. `pledge.address` must be canonical. */
  admit(pledge: PledgeAddress, key: string, now: number, makeState: () => T): AdmitResult<T> {
    const found = this.lookup(key, now);
    if (found) return { entry: found, created: false };
    if (this.entries.size >= this.config.maxPledges && now >= this.nextExpiry) this.sweep(now);
    if (this.entries.size >= this.config.maxPledges) return { refused: 'cap' };
    const sameAddress = this.perAddress.get(pledge.address) ?? 0;
    if (this.config.maxPerAddress > 0 && sameAddress >= this.config.maxPerAddress) {
      if (now >= this.nextExpiry) this.sweep(now);
      if ((this.perAddress.get(pledge.address) ?? 0) >= this.config.maxPerAddress) return { refused: 'per-address' };
    }
    const c = this.config;
    const entry: PledgeEntry<T> = {
      pledge,
      key,
      createdAt: now,
      lastActive: now,
      removed: false,
      state: makeState(),
      bucket: c.ratePerSecond > 0 ? new TokenBucket(c.ratePerSecond, c.burst, now) : undefined,
    };
    this.entries.set(key, entry);
    this.perAddress.set(pledge.address, (this.perAddress.get(pledge.address) ?? 0) + 1);
    if (this.entries.size > this.peak) this.peak = this.entries.size;
    this.nextExpiry = Math.min(this.nextExpiry, now + c.idleTimeoutMs);
    return { entry, created: true };
  }

  /** Traffic in either direction keeps an entry alive. */
  touch(entry: PledgeEntry<T>, now: number): void {
    if (now > entry.lastActive) entry.lastActive = now;
  }

  /** Takes a token from the pledge's bucket (always true without a rate limit). */
  allow(entry: PledgeEntry<T>, now: number): boolean {
    return entry.bucket ? entry.bucket.take(now) : true;
  }

  remove(entry: PledgeEntry<T>, reason: RemovalReason): void {
    if (entry.removed) return;
    entry.removed = true;
    this.entries.delete(entry.key);
    const n = (this.perAddress.get(entry.pledge.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(entry.pledge.address, n);
    else this.perAddress.delete(entry.pledge.address);
    if (this.entries.size === 0) this.nextExpiry = Infinity;
    this.onRemove(entry, reason);
  }

  /** Removes every idle entry; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    let next = Infinity;
    for (const e of [...this.entries.values()]) {
      const due = e.lastActive + this.config.idleTimeoutMs;
      if (now >= due) {
        this.remove(e, 'expired');
        removed++;
      } else if (due < next) next = due;
    }
    this.nextExpiry = next;
    return removed;
  }

  /** Removes everything (shutdown). */
  clear(): void {
    for (const e of [...this.entries.values()]) this.remove(e, 'closed');
  }

  values(): IterableIterator<PledgeEntry<T>> {
    return this.entries.values();
  }
}
