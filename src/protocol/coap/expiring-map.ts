/**
 * A Map whose entries expire a fixed time after insertion, with a size cap (the deduplication
 * cache of RFC 7252 §4.5, block-wise state). Expiry and eviction walk a FIFO of insertions kept
 * beside the Map, never the Map itself: V8 leaves a hole for every deleted Map entry, so walking
 * a Map from the front after many deletions costs time proportional to the holes. No timers.
 */
interface Slot<V> {
  v: V;
  expires: number;
  seq: number;
}

interface Insertion<K> {
  readonly key: K;
  readonly seq: number;
  readonly expires: number;
}

export class ExpiringMap<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  private fifo: Insertion<K>[] = [];
  private head = 0;
  private seq = 0;
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

  /** Inserts, or refreshes (the key then counts as newest). Returns what was evicted for room. */
  set(key: K, v: V, now: number, lifetimeMs = this.lifetimeMs): V[] | undefined {
    this.sweep(now);
    this.map.delete(key);
    let evicted: V[] | undefined;
    while (this.map.size >= this.cap) {
      const oldest = this.popOldest();
      if (!oldest) break;
      (evicted ??= []).push(oldest.v);
      this.evicted++;
    }
    const seq = ++this.seq;
    const expires = now + lifetimeMs;
    this.map.set(key, { v, expires, seq });
    this.fifo.push({ key, seq, expires });
    return evicted;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Drops expired entries from the front (an entry refreshed with a longer lifetime stops the walk). */
  sweep(now: number): void {
    const fifo = this.fifo;
    while (this.head < fifo.length) {
      const ins = fifo[this.head]!;
      const cur = this.map.get(ins.key);
      if (cur && cur.seq === ins.seq) {
        if (ins.expires > now) break;
        this.map.delete(ins.key);
      }
      this.head++;
    }
    this.compact();
  }

  *values(): IterableIterator<V> {
    for (const e of this.map.values()) yield e.v;
  }

  clear(): void {
    this.map.clear();
    this.fifo = [];
    this.head = 0;
  }

  private popOldest(): Slot<V> | undefined {
    const fifo = this.fifo;
    while (this.head < fifo.length) {
      const ins = fifo[this.head++]!;
      const cur = this.map.get(ins.key);
      if (cur && cur.seq === ins.seq) {
        this.map.delete(ins.key);
        return cur;
      }
    }
    return undefined;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    }
  }
}
