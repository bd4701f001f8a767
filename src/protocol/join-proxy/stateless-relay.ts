/**
 * The stateless Join Proxy (draft-ietf-anima-constrained-join-proxy-20 §4.4) without sockets: every
 * pledge datagram goes to the registrar's JPY port as JPY[H(pledge), C(payload)] from one fixed
 * upstream socket (§4.5.3); every JPY message coming back is opened by its header and its content
 * sent to the pledge the header names. A header that does not open is dropped silently (§4.5.5)
 * and counted; so is anything that does not come from the registrar's JPY address and port.
 *
 * The return path lives entirely in the header, so answers are delivered whether or not the pledge
 * is still in the table. The table here only does admission (cap, per-address limit) and the
 * per-pledge rate limit, and caches each pledge's sealed header. An answer whose header is byte for
 * byte one this proxy sealed for a pledge still in the table, under a key still accepted, is the
 * answer open() would give (headers are deterministic), so it skips the decryption; any other
 * header is opened and checked.
 */
import type { Clock } from '../../core/clock.ts';
import { isStackError } from '../../core/errors.ts';
import type { JpyHeaderKeyRing } from '../../codec/jpy/join-proxy-header.ts';
import { decodeJpyMessage, encodeJpyMessage } from '../../codec/jpy/jpy-message.ts';
import { newJoinProxyCounters, type JoinProxyCounters } from './counters.ts';
import { PledgeAddressCodec, canonicalAddress, pledgeKey, type PledgeAddress } from './pledge-address.ts';
import { PledgeTable, type PledgeEntry, type RemovalReason } from './pledge-table.ts';
import { TableSweeper, type JoinProxyRelayConfig } from './stateful-relay.ts';

export interface StatelessState {
  /** The pledge's sealed header and the key id it was sealed under (-1: none yet). */
  header: Uint8Array | undefined;
  kid: number;
}

export interface StatelessRelayIo {
  /** Sends a JPY message from the fixed upstream socket to the registrar's JPY port. */
  toRegistrar(data: Uint8Array): void;
  /** Sends a datagram from the join port to a pledge. */
  toPledge(to: PledgeAddress, data: Uint8Array): void;
}

export interface StatelessRelayConfig extends JoinProxyRelayConfig {
  /** IPv6 prefixes (with zone) the header can name (1..256, default 16). */
  readonly maxPrefixes?: number;
}

export class StatelessJoinProxy {
  readonly counters: JoinProxyCounters = newJoinProxyCounters();
  readonly table: PledgeTable<StatelessState>;
  readonly addresses: PledgeAddressCodec;
  private readonly registrarAddress: string;
  private readonly registrarPort: number;
  private readonly sweeper: TableSweeper;
  /** Headers sealed for pledges in the table (binary string of the header bytes → entry). */
  private readonly byHeader = new Map<string, PledgeEntry<StatelessState>>();
  private closed = false;

  constructor(
    readonly config: StatelessRelayConfig,
    readonly keyRing: JpyHeaderKeyRing,
    private readonly io: StatelessRelayIo,
    private readonly clock: Clock,
  ) {
    this.table = new PledgeTable<StatelessState>(config, (e, why) => this.onRemove(e, why));
    this.addresses = new PledgeAddressCodec(config.maxPrefixes ?? 16);
    this.registrarAddress = canonicalAddress(config.registrar.address);
    this.registrarPort = config.registrar.port;
    this.sweeper = new TableSweeper(clock, this.table);
  }

  /** A datagram from a pledge on the join port. */
  fromPledge(data: Uint8Array, from: PledgeAddress): void {
    if (this.closed) return;
    const now = this.clock.now();
    const pledge = { address: canonicalAddress(from.address), port: from.port };
    const r = this.table.admit(pledge, pledgeKey(pledge), now, () => ({ header: undefined, kid: -1 }));
    if ('refused' in r) {
      this.counters.dropped.cap++;
      return;
    }
    const { entry, created } = r;
    if (created) {
      this.counters.mappingsCreated++;
      this.updateActive();
      this.sweeper.arm();
    }
    if (!this.table.allow(entry, now)) {
      this.counters.dropped.rate++;
      return;
    }
    this.table.touch(entry, now);
    const st = entry.state;
    this.keyRing.maintain(now);
    if (st.header === undefined || st.kid !== this.keyRing.currentKid) {
      const plaintext = this.addresses.toPlaintext(pledge);
      if (!plaintext) {
        this.counters.dropped.unsupported++;
        if (created) this.table.remove(entry, 'closed');
        return;
      }
      if (st.header) this.byHeader.delete(headerKey(st.header));
      st.header = this.keyRing.seal(plaintext, now);
      st.kid = this.keyRing.currentKid;
      this.byHeader.set(headerKey(st.header), entry);
    }
    this.counters.relayedUp++;
    this.counters.bytesUp += data.length;
    this.io.toRegistrar(encodeJpyMessage({ header: st.header, content: data }));
  }

  /** A datagram on the upstream socket. */
  fromRegistrar(data: Uint8Array, from: PledgeAddress): void {
    if (this.closed) return;
    if (from.port !== this.registrarPort || canonicalAddress(from.address) !== this.registrarAddress) {
      this.counters.dropped.source++;
      return;
    }
    let msg;
    try {
      msg = decodeJpyMessage(data);
    } catch (e) {
      if (!isStackError(e)) throw e;
      this.counters.dropped.malformed++;
      return;
    }
    const now = this.clock.now();
    const known = this.byHeader.get(headerKey(msg.header));
    if (known && !known.removed && this.keyRing.accepts(known.state.kid, now)) {
      this.table.touch(known, now);
      this.deliver(known.pledge, msg.content);
      return;
    }
    const opened = this.keyRing.open(msg.header, now);
    const pledge = opened.ok ? this.addresses.fromPlaintext(opened.plaintext) : undefined;
    if (!pledge) {
      this.counters.dropped.integrity++;
      return;
    }
    const entry = this.table.lookup(pledgeKey(pledge), now);
    if (entry) this.table.touch(entry, now);
    this.deliver(pledge, msg.content);
  }

  private deliver(pledge: PledgeAddress, content: Uint8Array): void {
    this.counters.relayedDown++;
    this.counters.bytesDown += content.length;
    this.io.toPledge(pledge, content);
  }

  sweep(): number {
    return this.table.sweep(this.clock.now());
  }

  close(): void {
    if (this.closed) return;
    this.table.clear();
    this.sweeper.cancel();
    this.closed = true;
  }

  private onRemove(entry: PledgeEntry<StatelessState>, why: RemovalReason): void {
    if (entry.state.header) this.byHeader.delete(headerKey(entry.state.header));
    if (why === 'expired') this.counters.expired++;
    this.updateActive();
  }

  private updateActive(): void {
    this.counters.active = this.table.size;
    this.counters.peakActive = this.table.peak;
  }
}

/** A Map key for header bytes (each byte one char; headers are at most a few dozen bytes). */
function headerKey(h: Uint8Array): string {
  return String.fromCharCode.apply(null, h as unknown as number[]);
}
