/**
 * The stateful Join Proxy (draft-ietf-anima-constrained-join-proxy-20 §4.3) without sockets: a UDP
 * circuit proxy keeping, per pledge, the tuple (IP_P:p_P, IP_Jl:p_Jl) <-> (IP_Jr:p_Jr, IP_R:p_R)
 * and an expiry timer. Each pledge gets its own upstream socket (a unique p_Jr, §4.3 MUST), opened
 * by the caller; payloads pass unchanged both ways. Answers are accepted only from the registrar's
 * address and port, only while the pledge's entry lives.
 *
 * The caller supplies the sockets (`StatefulUpstream`) and the way back to pledges, and feeds
 * datagrams in; time comes from the injected clock, so tests run it under a ManualClock.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { newJoinProxyCounters, type JoinProxyCounters } from './counters.ts';
import { canonicalAddress, pledgeKey, type PledgeAddress } from './pledge-address.ts';
import { PledgeTable, type PledgeEntry, type PledgeTableConfig, type RemovalReason } from './pledge-table.ts';

export interface StatefulState<U> {
  upstream: U | undefined;
  /** Datagrams that arrived while the upstream socket was opening. */
  pending: Uint8Array[] | undefined;
}

export type StatefulEntry<U> = PledgeEntry<StatefulState<U>>;

/** Upstream sockets, one per pledge. */
export interface StatefulUpstream<U> {
  /** Opens a socket for a new pledge; datagrams arriving on it go to `fromRegistrar(entry, ...)`. */
  open(entry: StatefulEntry<U>): Promise<U>;
  send(upstream: U, data: Uint8Array): void;
  close(upstream: U): void;
}

export interface JoinProxyRelayConfig extends PledgeTableConfig {
  /** Where pledge datagrams go: the registrar's CoAP(S) port (stateful) or its JPY port (stateless). */
  readonly registrar: PledgeAddress;
  /** Datagrams kept per pledge while its upstream socket opens (default 8). */
  readonly maxPending?: number;
}

export interface StatefulRelayIo<U> {
  readonly upstream: StatefulUpstream<U>;
  /** Sends a datagram from the join port to a pledge. */
  toPledge(to: PledgeAddress, data: Uint8Array): void;
  /** Told about upstream sockets that failed to open (for logs). */
  onUpstreamError?(pledge: PledgeAddress, err: unknown): void;
}

/** Re-arms one clock timer at the table's next possible expiry. */
export class TableSweeper {
  private timer: TimerHandle | undefined;
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly table: { readonly nextExpiryAt: number; sweep(now: number): number },
  ) {}

  /** Call after the table may have gained an earlier expiry. */
  arm(): void {
    const due = this.table.nextExpiryAt;
    if (due === Infinity || due >= this.at) return;
    this.cancel();
    this.at = due;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, due - this.clock.now()));
  }

  cancel(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.at = Infinity;
    this.table.sweep(this.clock.now());
    this.arm();
  };
}

export class StatefulJoinProxy<U> {
  readonly counters: JoinProxyCounters = newJoinProxyCounters();
  readonly table: PledgeTable<StatefulState<U>>;
  private readonly registrarAddress: string;
  private readonly registrarPort: number;
  private readonly maxPending: number;
  private readonly sweeper: TableSweeper;
  private closed = false;

  constructor(
    readonly config: JoinProxyRelayConfig,
    private readonly io: StatefulRelayIo<U>,
    private readonly clock: Clock,
  ) {
    this.table = new PledgeTable(config, (e, why) => this.onRemove(e, why));
    this.registrarAddress = canonicalAddress(config.registrar.address);
    this.registrarPort = config.registrar.port;
    this.maxPending = config.maxPending ?? 8;
    this.sweeper = new TableSweeper(clock, this.table);
  }

  /** A datagram from a pledge on the join port. */
  fromPledge(data: Uint8Array, from: PledgeAddress): void {
    if (this.closed) return;
    const now = this.clock.now();
    const address = canonicalAddress(from.address);
    const key = pledgeKey({ address, port: from.port });
    let entry = this.table.lookup(key, now);
    let created = false;
    if (!entry) {
      const r = this.table.admit({ address, port: from.port }, key, now, () => ({ upstream: undefined, pending: [] }));
      if ('refused' in r) {
        this.counters.dropped.cap++;
        return;
      }
      entry = r.entry;
      created = r.created;
    }
    if (created) {
      this.counters.mappingsCreated++;
      this.updateActive();
      this.sweeper.arm();
      this.openUpstream(entry);
    }
    if (!this.table.allow(entry, now)) {
      this.counters.dropped.rate++;
      return;
    }
    this.table.touch(entry, now);
    const st = entry.state;
    if (st.upstream !== undefined) {
      this.counters.relayedUp++;
      this.counters.bytesUp += data.length;
      this.io.upstream.send(st.upstream, data);
    } else if (st.pending && st.pending.length < this.maxPending) {
      st.pending.push(data);
    } else this.counters.dropped.backlog++;
  }

  /** A datagram on the upstream socket of `entry`. */
  fromRegistrar(entry: StatefulEntry<U>, data: Uint8Array, from: PledgeAddress): void {
    if (this.closed) return;
    if (from.port !== this.registrarPort || canonicalAddress(from.address) !== this.registrarAddress) {
      this.counters.dropped.source++;
      return;
    }
    const now = this.clock.now();
    if (entry.removed || this.table.lookup(entry.key, now) !== entry) {
      this.counters.dropped.stale++;
      return;
    }
    this.table.touch(entry, now);
    this.counters.relayedDown++;
    this.counters.bytesDown += data.length;
    this.io.toPledge(entry.pledge, data);
  }

  /** Removes idle entries now (also done by a timer on the injected clock). */
  sweep(): number {
    return this.table.sweep(this.clock.now());
  }

  /** Closes every upstream socket. */
  close(): void {
    if (this.closed) return;
    this.table.clear();
    this.sweeper.cancel();
    this.closed = true;
  }

  private openUpstream(entry: StatefulEntry<U>): void {
    let opening: Promise<U>;
    try {
      opening = this.io.upstream.open(entry);
    } catch (e) {
      opening = Promise.reject(e);
    }
    opening.then(
      (u) => {
        const st = entry.state;
        if (entry.removed) {
          this.io.upstream.close(u);
          return;
        }
        st.upstream = u;
        const queued = st.pending ?? [];
        st.pending = undefined;
        for (const d of queued) {
          this.counters.relayedUp++;
          this.counters.bytesUp += d.length;
          this.io.upstream.send(u, d);
        }
      },
      (err: unknown) => {
        this.counters.upstreamErrors++;
        this.counters.dropped.backlog += entry.state.pending?.length ?? 0;
        entry.state.pending = undefined;
        this.io.onUpstreamError?.(entry.pledge, err);
        this.table.remove(entry, 'closed');
      },
    );
  }

  private onRemove(entry: StatefulEntry<U>, why: RemovalReason): void {
    if (why === 'expired') this.counters.expired++;
    const st = entry.state;
    if (st.upstream !== undefined) this.io.upstream.close(st.upstream);
    st.upstream = undefined;
    st.pending = undefined;
    this.updateActive();
  }

  private updateActive(): void {
    this.counters.active = this.table.size;
    this.counters.peakActive = this.table.peak;
  }
}
