/**
 * A Transport wrapper that counts what the CoAP endpoint above it sends and receives: datagrams
 * and UDP payload bytes (CoAP messages, headers included). Placed directly under the endpoint,
 * so a datagram lost by a link emulator below still counts as sent.
 */
import type { DatagramReceiver, PeerAddress, Transport } from '../src/transport/transport.ts';

export interface TrafficCounters {
  datagramsSent: number;
  bytesSent: number;
  datagramsReceived: number;
  bytesReceived: number;
  /** Largest datagram sent or received. */
  largestDatagram: number;
}

export class CountingTransport implements Transport {
  readonly counters: TrafficCounters = { datagramsSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0, largestDatagram: 0 };
  private receiver: DatagramReceiver = () => {};

  constructor(private readonly inner: Transport) {
    inner.setReceiver((data, from) => {
      this.counters.datagramsReceived++;
      this.counters.bytesReceived += data.length;
      if (data.length > this.counters.largestDatagram) this.counters.largestDatagram = data.length;
      this.receiver(data, from);
    });
  }

  send(data: Uint8Array, to: PeerAddress): void {
    this.counters.datagramsSent++;
    this.counters.bytesSent += data.length;
    if (data.length > this.counters.largestDatagram) this.counters.largestDatagram = data.length;
    this.inner.send(data, to);
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
