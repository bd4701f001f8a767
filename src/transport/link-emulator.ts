/**
 * A link emulator wrapped around any Transport: loss, duplication, reordering, delay and jitter,
 * a serialisation rate in bit/s with a bounded queue, and an MTU that drops oversize datagrams.
 * Each direction has its own profile. Counters report datagrams, bytes and link-layer frames.
 *
 * Several emulators may share one `LinkMedium`: a radio channel that all of them transmit on (the
 * pledges of one 6LoWPAN network and their border router). Each direction of the medium has one
 * serialisation queue, so a datagram waits until the ones sent before it by any emulator on the
 * medium are on the air; counters stay per emulator.
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
  /**
   * Bytes each frame adds on air besides its payload (MAC header, FCS, 6LoWPAN headers), counted
   * in `airBytes` and in the serialisation time (with framePayload; default 0).
   */
  readonly frameOverhead?: number;
}

/**
 * IEEE 802.15.4 at 2.4 GHz (250 kbit/s) carrying 6LoWPAN: 127-byte frames of which about 80 bytes
 * are left for the UDP payload after the MAC header, FCS and compressed IPv6/UDP headers (RFC 4944,
 * RFC 6282; the fragment header of a fragmented datagram eats part of it too).
 */
export const IEEE802154_FRAME_BYTES = 127;
export const LINK_6LOWPAN: LinkProfile = Object.freeze({
  rateBps: 250_000,
  framePayload: 80,
  frameOverhead: IEEE802154_FRAME_BYTES - 80,
});

export interface LinkCounters {
  datagrams: number;
  bytes: number;
  frames: number;
  /** Bytes on air: datagram bytes plus frameOverhead per frame. */
  airBytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
  oversize: number;
  queueDrops: number;
}

const newCounters = (): LinkCounters => ({ datagrams: 0, bytes: 0, frames: 0, airBytes: 0, lost: 0, duplicated: 0, reordered: 0, oversize: 0, queueDrops: 0 });

function checkProfile(name: string, p: LinkProfile): LinkProfile {
  for (const k of ['loss', 'duplicate', 'reorder'] as const) {
    const v = p[k];
    if (v !== undefined && !(v >= 0 && v < 1)) throw new StackError('ERR_CONFIG', `${name}.${k} must be in [0, 1), got ${v}`);
  }
  for (const k of ['delayMs', 'jitterMs', 'rateBps', 'mtu', 'maxQueue', 'reorderDelayMs', 'framePayload', 'frameOverhead'] as const) {
    const v = p[k];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new StackError('ERR_CONFIG', `${name}.${k} must be a finite number >= 0, got ${v}`);
  }
  return Object.freeze({ ...p });
}

/** The serialisation state of one direction: private to an emulator, or shared through a LinkMedium. */
interface Channel {
  /** When the datagrams booked so far are all on the air (clock ms). */
  busyUntil: number;
  /** Datagrams booked and not yet delivered. */
  queued: number;
}

const newChannel = (): Channel => ({ busyUntil: 0, queued: 0 });

/**
 * A shared radio channel: one profile and one serialisation queue per direction for every
 * LinkEmulator constructed with it (`up` = towards the far end, `down` = towards the emulators),
 * or with `halfDuplex` one queue for both directions (one radio channel that the emulators and the
 * far end take turns on, as on IEEE 802.15.4). Use one clock for the medium and its emulators.
 */
export class LinkMedium {
  readonly profile: LinkProfile;
  readonly clock: Clock;
  readonly halfDuplex: boolean;
  /** @internal */
  readonly up: Channel = newChannel();
  /** @internal */
  readonly down: Channel;

  constructor(profile: LinkProfile = {}, opts: { readonly clock?: Clock; readonly halfDuplex?: boolean } = {}) {
    this.profile = checkProfile('medium', profile);
    this.clock = opts.clock ?? systemClock;
    this.halfDuplex = opts.halfDuplex ?? false;
    this.down = this.halfDuplex ? this.up : newChannel();
  }
}

class Direction {
  readonly counters = newCounters();

  constructor(
    private readonly p: LinkProfile,
    private readonly channel: Channel,
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
    const frames = p.framePayload ? Math.max(1, Math.ceil(data.length / p.framePayload)) : 1;
    const airBytes = data.length + (p.framePayload ? frames * (p.frameOverhead ?? 0) : 0);
    c.datagrams++;
    c.bytes += data.length;
    c.frames += frames;
    c.airBytes += airBytes;
    if (p.loss && this.random.float() < p.loss) {
      c.lost++;
      // A datagram lost on the way was still transmitted: it takes its air time.
      if (p.rateBps) this.book(airBytes, this.clock.now());
      return;
    }
    const copies = p.duplicate && this.random.float() < p.duplicate ? 2 : 1;
    if (copies === 2) c.duplicated++;
    for (let i = 0; i < copies; i++) this.schedule(data, airBytes, peer);
  }

  /** Books air time for `airBytes` on the channel; returns when they are sent. */
  private book(airBytes: number, now: number): number {
    const ch = this.channel;
    const start = Math.max(now, ch.busyUntil);
    ch.busyUntil = start + (airBytes * 8 * 1000) / this.p.rateBps!;
    return ch.busyUntil;
  }

  private schedule(data: Uint8Array, airBytes: number, peer: PeerAddress): void {
    const p = this.p;
    const ch = this.channel;
    const now = this.clock.now();
    let wait = 0;
    if (p.rateBps) {
      if (p.maxQueue !== undefined && ch.queued >= p.maxQueue) {
        this.counters.queueDrops++;
        return;
      }
      wait = this.book(airBytes, now) - now;
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
    ch.queued++;
    this.clock.setTimeout(() => {
      ch.queued--;
      this.deliver(data, peer);
    }, wait);
  }
}

export interface LinkEmulatorOptions {
  /** Datagrams this side sends. */
  readonly up?: LinkProfile;
  /** Datagrams this side receives. */
  readonly down?: LinkProfile;
  /**
   * A medium shared with other emulators: its profile applies to both directions (`up` and `down`
   * override single fields, e.g. the loss), and its queues are shared. Its clock is used.
   */
  readonly medium?: LinkMedium;
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
    const medium = opts.medium;
    if (medium && opts.clock && opts.clock !== medium.clock) throw new StackError('ERR_CONFIG', 'a LinkEmulator on a shared medium must use the medium\'s clock');
    const clock = medium?.clock ?? opts.clock ?? systemClock;
    const random = opts.random ?? cryptoRandom;
    const base = medium?.profile ?? {};
    this.upDir = new Direction(checkProfile('up', { ...base, ...opts.up }), medium?.up ?? newChannel(), clock, random, (d, p) => this.inner.send(d, p));
    this.downDir = new Direction(checkProfile('down', { ...base, ...opts.down }), medium?.down ?? newChannel(), clock, random, (d, p) => this.receiver(d, p));
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
