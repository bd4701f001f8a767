/** A datagram transport under the CoAP endpoint: UDP, an in-memory network, or an emulated link. */

export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

export type DatagramReceiver = (data: Uint8Array, from: PeerAddress) => void;

export interface Transport {
  /** Sends one datagram; never throws for network conditions (they are logged or counted). */
  send(data: Uint8Array, to: PeerAddress): void;
  /** Sets the one receiver; datagrams handed to it are owned by the receiver (no later reuse). */
  setReceiver(receiver: DatagramReceiver): void;
  localAddress(): PeerAddress;
  close(): Promise<void>;
}

/** Stable map key for a peer. */
export function peerKey(p: PeerAddress): string {
  return `${p.address}|${p.port}`;
}

export function formatPeer(p: PeerAddress): string {
  return p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}
