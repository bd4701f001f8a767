/**
 * A LinkMedium shared by several LinkEmulators: one serialisation queue per direction for all of
 * them (the pledges of one 6LoWPAN radio channel), counters per emulator. Time is a ManualClock,
 * so the delivery instants are exact.
 */
import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock.ts';
import { StackError } from '../../src/core/errors.ts';
import type { Random } from '../../src/core/random.ts';
import { IEEE802154_FRAME_BYTES, LINK_6LOWPAN, LinkEmulator, LinkMedium, type LinkProfile } from '../../src/transport/link-emulator.ts';
import type { DatagramReceiver, PeerAddress, Transport } from '../../src/transport/transport.ts';

const FAR: PeerAddress = { address: '10.0.0.254', port: 5683 };
/** 8000 bit/s: one byte per millisecond. */
const BYTE_PER_MS: LinkProfile = { rateBps: 8000 };

/** A transport that records when each datagram left, and lets the test inject received ones. */
class Wire implements Transport {
  readonly sent: { at: number; size: number }[] = [];
  private receiver: DatagramReceiver = () => {};
  constructor(
    private readonly clock: ManualClock,
    private readonly port: number,
  ) {}
  send(data: Uint8Array): void {
    this.sent.push({ at: this.clock.now(), size: data.length });
  }
  setReceiver(r: DatagramReceiver): void {
    this.receiver = r;
  }
  /** A datagram from the far end arriving at this wire. */
  arrive(size: number): void {
    this.receiver(new Uint8Array(size), FAR);
  }
  localAddress(): PeerAddress {
    return { address: '10.0.0.1', port: this.port };
  }
  async close(): Promise<void> {}
}

const always = (v: number): Random => ({ float: () => v, int: () => 0, bytes: (n) => new Uint8Array(n) });

describe('link emulator: a medium shared by two emulators', () => {
  const T0 = 1_000_000;
  let clock: ManualClock;
  let wa: Wire;
  let wb: Wire;

  beforeEach(() => {
    clock = new ManualClock(T0);
    wa = new Wire(clock, 1);
    wb = new Wire(clock, 2);
  });

  it('up: the second datagram waits for the serialisation time of the first, sent by the other emulator', () => {
    const medium = new LinkMedium(BYTE_PER_MS, { clock });
    const a = new LinkEmulator(wa, { medium });
    const b = new LinkEmulator(wb, { medium });
    a.send(new Uint8Array(100), FAR);
    b.send(new Uint8Array(50), FAR);
    clock.advance(99);
    expect(wa.sent).to.deep.equal([]);
    clock.advance(1);
    expect(wa.sent).to.deep.equal([{ at: T0 + 100, size: 100 }]);
    expect(wb.sent).to.deep.equal([]);
    clock.advance(50);
    expect(wb.sent).to.deep.equal([{ at: T0 + 150, size: 50 }]);
    // Counters stay per emulator.
    expect(a.counters.up).to.include({ datagrams: 1, bytes: 100, frames: 1 });
    expect(b.counters.up).to.include({ datagrams: 1, bytes: 50, frames: 1 });
  });

  it('without a shared medium each emulator has its own queue', () => {
    const a = new LinkEmulator(wa, { up: BYTE_PER_MS, clock });
    const b = new LinkEmulator(wb, { up: BYTE_PER_MS, clock });
    a.send(new Uint8Array(100), FAR);
    b.send(new Uint8Array(50), FAR);
    clock.advance(150);
    expect(wa.sent).to.deep.equal([{ at: T0 + 100, size: 100 }]);
    expect(wb.sent).to.deep.equal([{ at: T0 + 50, size: 50 }]);
  });

  it('down: datagrams to different emulators share the downlink queue; up and down are separate queues', () => {
    const medium = new LinkMedium(BYTE_PER_MS, { clock });
    const got: string[] = [];
    const a = new LinkEmulator(wa, { medium });
    const b = new LinkEmulator(wb, { medium });
    a.setReceiver((d) => got.push(`a:${d.length}@${clock.now() - T0}`));
    b.setReceiver((d) => got.push(`b:${d.length}@${clock.now() - T0}`));
    wa.arrive(30);
    wb.arrive(20);
    a.send(new Uint8Array(10), FAR);
    clock.advance(100);
    expect(got).to.deep.equal(['a:30@30', 'b:20@50']);
    expect(wa.sent).to.deep.equal([{ at: T0 + 10, size: 10 }]);
    expect(a.counters.down).to.include({ datagrams: 1, bytes: 30 });
    expect(b.counters.down).to.include({ datagrams: 1, bytes: 20 });
  });

  it('half duplex: what the emulators send and what they receive share one queue', () => {
    const medium = new LinkMedium(BYTE_PER_MS, { clock, halfDuplex: true });
    const got: string[] = [];
    const a = new LinkEmulator(wa, { medium });
    a.setReceiver((d) => got.push(`a:${d.length}@${clock.now() - T0}`));
    a.send(new Uint8Array(10), FAR);
    wa.arrive(30);
    clock.advance(100);
    expect(wa.sent).to.deep.equal([{ at: T0 + 10, size: 10 }]);
    expect(got, 'the answer waits for the request to be on the air').to.deep.equal(['a:30@40']);
  });

  it('a datagram waits for the whole queue: three emulators, then one after the channel went idle', () => {
    const medium = new LinkMedium(BYTE_PER_MS, { clock });
    const wc = new Wire(clock, 3);
    const [a, b, c] = [wa, wb, wc].map((w) => new LinkEmulator(w, { medium }));
    a!.send(new Uint8Array(40), FAR);
    b!.send(new Uint8Array(40), FAR);
    c!.send(new Uint8Array(40), FAR);
    clock.advance(500);
    expect([wa.sent[0]!.at, wb.sent[0]!.at, wc.sent[0]!.at].map((t) => t - T0)).to.deep.equal([40, 80, 120]);
    a!.send(new Uint8Array(10), FAR);
    clock.advance(100);
    expect(wa.sent[1]!.at - T0).to.equal(510);
  });

  it('6LoWPAN profile: 80 payload bytes per 127-byte frame, and the frames decide the air time', () => {
    const medium = new LinkMedium(LINK_6LOWPAN, { clock });
    const a = new LinkEmulator(wa, { medium });
    const b = new LinkEmulator(wb, { medium });
    a.send(new Uint8Array(200), FAR); // 3 frames: 200 + 3 * 47 = 341 bytes on air
    b.send(new Uint8Array(80), FAR); // 1 frame: 127 bytes on air
    clock.advance(1000);
    const air1 = ((200 + 3 * (IEEE802154_FRAME_BYTES - 80)) * 8 * 1000) / 250_000;
    const air2 = (IEEE802154_FRAME_BYTES * 8 * 1000) / 250_000;
    expect(wa.sent[0]!.at - T0).to.be.closeTo(air1, 1e-9);
    expect(wb.sent[0]!.at - T0).to.be.closeTo(air1 + air2, 1e-9);
    expect(a.counters.up).to.include({ frames: 3, airBytes: 341 });
    expect(b.counters.up).to.include({ frames: 1, airBytes: 127 });
  });

  it('a lost datagram still takes its air time on the shared channel', () => {
    const medium = new LinkMedium(BYTE_PER_MS, { clock });
    const a = new LinkEmulator(wa, { medium, up: { loss: 0.5 }, random: always(0) });
    const b = new LinkEmulator(wb, { medium });
    a.send(new Uint8Array(100), FAR);
    b.send(new Uint8Array(50), FAR);
    clock.advance(1000);
    expect(wa.sent).to.deep.equal([]);
    expect(a.counters.up).to.include({ datagrams: 1, lost: 1, frames: 1 });
    expect(wb.sent).to.deep.equal([{ at: T0 + 150, size: 50 }]);
  });

  it('per-emulator fields override the medium profile; maxQueue bounds the shared queue', () => {
    const medium = new LinkMedium({ ...BYTE_PER_MS, maxQueue: 1 }, { clock });
    const a = new LinkEmulator(wa, { medium, up: { delayMs: 5 } });
    const b = new LinkEmulator(wb, { medium });
    a.send(new Uint8Array(10), FAR);
    b.send(new Uint8Array(10), FAR);
    clock.advance(100);
    expect(wa.sent).to.deep.equal([{ at: T0 + 15, size: 10 }]);
    expect(wb.sent).to.deep.equal([]);
    expect(b.counters.up.queueDrops).to.equal(1);
  });

  it('refuses an emulator with a clock other than its medium’s, and bad medium profiles', () => {
    const medium = new LinkMedium(BYTE_PER_MS, { clock });
    expect(() => new LinkEmulator(wa, { medium, clock: new ManualClock() })).to.throw(StackError, /medium's clock/);
    expect(() => new LinkMedium({ loss: 1 })).to.throw(StackError, /medium\.loss/);
    expect(() => new LinkMedium({ frameOverhead: -1 })).to.throw(StackError, /medium\.frameOverhead/);
  });
});
