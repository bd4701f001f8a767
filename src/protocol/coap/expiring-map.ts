/**
 * A Map whose entries expire a fixed time after insertion, with a size cap. Insertion order is
 * expiry order, so expiry and eviction pop from the front: O(1) amortised, no timer per entry.
 * Used for the deduplication cache (RFC 7252 §4.5) and block-wise state.
 */
export class ExpiringMap<K, V> {
  private readonly map = new Map<K, { v: V; expires: number }>();
  evicted = 0;

  constructor(
    private readonly lifetimeMs: number,
    private readonly cap: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.v;
  }

  /** Inserts (or refreshes, moving the key to the back). Returns the entries evicted for space. */
  set(key: K, v: V, now: number, lifetimeMs = this.lifetimeMs): V[] {
    this.sweep(now);
    this.map.delete(key);
    const evicted: V[] = [];
    while (this.map.size >= this.cap) {
      const first = this.map.entries().next().value;
      if (!first) break;
      this.map.delete(first[0]);
      evicted.push(first[1].v);
      this.evicted++;
    }
    this.map.set(key, { v, expires: now + lifetimeMs });
    return evicted;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Drops expired entries at the front (entries refreshed with other lifetimes may linger until reached). */
  sweep(now: number): void {
    for (const [k, e] of this.map) {
      if (e.expires > now) break;
      this.map.delete(k);
    }
  }

  *values(): IterableIterator<V> {
    for (const e of this.map.values()) yield e.v;
  }

  clear(): void {
    this.map.clear();
  }
}
