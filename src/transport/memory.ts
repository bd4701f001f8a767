/**
 * An in-memory datagram network for tests. Delivery is asynchronous (a microtask), datagrams are
 * copied, and a tap sees every datagram and may drop it, so lockstep tests can lose exact messages.
 */
import { copyBytes } from '../core/bytes.ts';
import { StackError } from '../core/errors.ts';
import { peerKey, type DatagramReceiver, type PeerAddress, type Transport } from './transport.ts';

export interface Datagram {
  readonly from: PeerAddress;
  readonly to: PeerAddress;
  readonly data: Uint8Array;
}

/** Returns false to drop the datagram. */
export type Tap = (d: Datagram) => boolean | void;

export class MemoryNetwork {
  private readonly nodes = new Map<string, MemoryTransport>();
  private nextPort = 40000;
  tap: Tap | undefined;
  delivered = 0;
  dropped = 0;

  /** A transport bound at `address` (port chosen when not given). */
  createTransport(address = '10.0.0.1', port?: number): MemoryTransport {
    const local = { address, port: port ?? this.nextPort++ };
    const key = peerKey(local);
    if (this.nodes.has(key)) throw new StackError('ERR_CONFIG', `memory address ${key} already bound`);
    const t = new MemoryTransport(this, local);
    this.nodes.set(key, t);
    return t;
  }

  /** @internal */
  route(d: Datagram): void {
    if (this.tap && this.tap(d) === false) {
      this.dropped++;
      return;
    }
    const dest = this.nodes.get(peerKey(d.to));
    if (!dest) {
      this.dropped++;
      return;
    }
    this.delivered++;
    queueMicrotask(() => dest.deliver(d.data, d.from));
  }

  /** @internal */
  unbind(t: MemoryTransport): void {
    this.nodes.delete(peerKey(t.localAddress()));
  }
}

export class MemoryTransport implements Transport {
  private receiver: DatagramReceiver = () => {};
  private closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    private readonly local: PeerAddress,
  ) {}

  send(data: Uint8Array, to: PeerAddress): void {
    if (this.closed) return;
    this.network.route({ from: this.local, to, data: copyBytes(data) });
  }

  /** @internal */
  deliver(data: Uint8Array, from: PeerAddress): void {
    if (!this.closed) this.receiver(data, from);
  }

  setReceiver(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  localAddress(): PeerAddress {
    return this.local;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.unbind(this);
  }
}
