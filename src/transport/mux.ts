/**
 * One Transport over several sockets, so that one CoAP endpoint (one set of layers, one router,
 * one deduplication cache) serves them all: e.g. the registrar's plain CoAP port and its JPY port
 * (stateless join proxies). Every datagram received on any member goes to the one receiver; an
 * outgoing datagram goes to the first member that claims the peer, else to the first member.
 */
import type { DatagramReceiver, PeerAddress, Transport } from './transport.ts';

export interface MuxMember {
  readonly transport: Transport;
  /** Whether answers to this peer leave through this member (absent: only as the default). */
  readonly owns?: (peer: PeerAddress) => boolean;
}

export class MuxTransport implements Transport {
  constructor(private readonly members: readonly MuxMember[]) {
    if (members.length === 0) throw new RangeError('MuxTransport needs at least one transport');
  }

  send(data: Uint8Array, to: PeerAddress): void {
    const m = this.members.find((x) => x.owns?.(to)) ?? this.members[0]!;
    m.transport.send(data, to);
  }

  setReceiver(receiver: DatagramReceiver): void {
    for (const m of this.members) m.transport.setReceiver(receiver);
  }

  /** The first member's address. */
  localAddress(): PeerAddress {
    return this.members[0]!.transport.localAddress();
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.transport.close()));
  }
}
