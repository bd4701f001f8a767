/**
 * A link emulator wrapped around any Transport: loss, duplication, reordering, delay and jitter,
 * a serialisation rate in bit/s with a bounded queue, and an MTU that drops oversize datagrams.
 * Each direction has its own profile. Counters report datagrams, bytes and link-layer frames.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import { StackError } from '../core/errors.ts';
import { cryptoRandom, type Random } from '../core/random.ts';
import type { DatagramReceiver, PeerAddress, Transport } from './transport.ts';

export interface LinkProfile {
  /** Probability in [0, 1) that a datagram is lost. */
  readonly loss?: number;
  /** Probability that a datagram is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a datagram is held back by `reorderDelayMs` (so later ones overtake it). */
  readonly reorder?: number;
  readonly reorderDelayMs?: number;
  /** Fixed one-way delay and uniform jitter in milliseconds. */
  readonly delayMs?: number;
  readonly jitterMs?: number;
  /** Serialisation rate in bit/s (0 or absent: unlimited). */
  readonly rateBps?: number;
  /** Largest datagram the link carries; larger ones are dropped (0 or absent: unlimited). */
  readonly mtu?: number;
  /** Datagrams waiting for the rate limiter at most; more are dropped. */
  readonly maxQueue?: number;
  /** Payload bytes per link-layer frame, for counting frames on air (e.g. 6LoWPAN: about 80). */
  readonly framePayload?: number;
}

export interface LinkCounters {
  datagrams: number;
  bytes: number;
  frames: number;
  lost: number;
  duplicated: number;
  reordered: number;
  oversize: number;
  queueDrops: number;
}

const newCounters = (): LinkCounters => ({ datagrams: 0, bytes: 0, frames: 0, lost: 0, duplicated: 0, reordered: 0, oversize: 0, queueDrops: 0 });

function checkProfile(name: string, p: LinkProfile): LinkProfile {
  for (const k of ['loss', 'duplicate', 'reorder'] as const) {
    const v = p[k];
    if (v !== undefined && !(v >= 0 && v < 1)) throw new StackError('ERR_CONFIG', `${name}.${k} must be in [0, 1), got ${v}`);
  }
  for (const k of ['delayMs', 'jitterMs', 'rateBps', 'mtu', 'maxQueue', 'reorderDelayMs', 'framePayload'] as const) {
    const v = p[k];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new StackError('ERR_CONFIG', `${name}.${k} must be a finite number >= 0, got ${v}`);
  }
  return Object.freeze({ ...p });
}

class Direction {
  readonly counters = newCounters();
  private busyUntil = 0;
  private queued = 0;

  constructor(
    private readonly p: LinkProfile,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly deliver: (data: Uint8Array, peer: PeerAddress) => void,
  ) {}

  pass(data: Uint8Array, peer: PeerAddress): void {
    const p = this.p;
    const c = this.counters;
    if (p.mtu && data.length > p.mtu) {
      c.oversize++;
      return;
    }
    c.datagrams++;
    c.bytes += data.length;
    c.frames += p.framePayload ? Math.max(1, Math.ceil(data.length / p.framePayload)) : 1;
    if (p.loss && this.random.float() < p.loss) {
      c.lost++;
      return;
    }
    const copies = p.duplicate && this.random.float() < p.duplicate ? 2 : 1;
    if (copies === 2) c.duplicated++;
    for (let i = 0; i < copies; i++) this.schedule(data, peer);
  }

  private schedule(data: Uint8Array, peer: PeerAddress): void {
    const p = this.p;
    const now = this.clock.now();
    let wait = 0;
    if (p.rateBps) {
      if (p.maxQueue !== undefined && this.queued >= p.maxQueue) {
        this.counters.queueDrops++;
        return;
      }
      const start = Math.max(now, this.busyUntil);
      this.busyUntil = start + (data.length * 8 * 1000) / p.rateBps;
      wait = this.busyUntil - now;
    }
    wait += p.delayMs ?? 0;
    if (p.jitterMs) wait += this.random.float() * p.jitterMs;
    if (p.reorder && this.random.float() < p.reorder) {
      this.counters.reordered++;
      wait += p.reorderDelayMs ?? 50;
    }
    if (wait <= 0) {
      this.deliver(data, peer);
      return;
    }
    this.queued++;
    this.clock.setTimeout(() => {
      this.queued--;
      this.deliver(data, peer);
    }, wait);
  }
}

export interface LinkEmulatorOptions {
  /** Datagrams this side sends. */
  readonly up?: LinkProfile;
  /** Datagrams this side receives. */
  readonly down?: LinkProfile;
  readonly clock?: Clock;
  readonly random?: Random;
}

export class LinkEmulator implements Transport {
  private receiver: DatagramReceiver = () => {};
  private readonly upDir: Direction;
  private readonly downDir: Direction;

  constructor(
    private readonly inner: Transport,
    opts: LinkEmulatorOptions = {},
  ) {
    const clock = opts.clock ?? systemClock;
    const random = opts.random ?? cryptoRandom;
    this.upDir = new Direction(checkProfile('up', opts.up ?? {}), clock, random, (d, p) => this.inner.send(d, p));
    this.downDir = new Direction(checkProfile('down', opts.down ?? {}), clock, random, (d, p) => this.receiver(d, p));
    inner.setReceiver((data, from) => this.downDir.pass(data, from));
  }

  get counters(): { up: LinkCounters; down: LinkCounters } {
    return { up: { ...this.upDir.counters }, down: { ...this.downDir.counters } };
  }

  send(data: Uint8Array, to: PeerAddress): void {
    this.upDir.pass(data, to);
  }

  setReceiver(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  localAddress(): PeerAddress {
    return this.inner.localAddress();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
