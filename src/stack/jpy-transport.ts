/**
 * The registrar's side of the stateless Join Proxy (draft-ietf-anima-constrained-join-proxy-20
 * §4.5.7): a Transport over the registrar's JPY socket. Each JPY message received is unwrapped and
 * handed up as if its content came from a synthetic peer standing for the 5-tuple
 * (proxy address, proxy port, header) (§4.4: packets with the same header belong to one pledge);
 * whatever the endpoint sends to that peer goes back to the proxy wrapped in a JPY message with the
 * header unchanged. The registrar never interprets the header.
 *
 * Synthetic peers are IPv6 addresses in the discard-only prefix 100::/64 (RFC 6666), so they are
 * valid literals that can never be reached by accident; the interface identifier is a keyed hash of
 * the 5-tuple, so one pledge keeps its address for as long as its header stays the same, and the
 * port is the proxy's. The map from synthetic peer back to (proxy, header) is bounded (the entry
 * idle longest is evicted) and entries expire after `peerLifetimeMs` without traffic either way.
 */
import { createHmac } from 'node:crypto';
import { decodeJpyMessage, encodeJpyMessage } from '../codec/jpy/jpy-message.ts';
import { bytesEqual, copyBytes } from '../core/bytes.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { isStackError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { cryptoRandom, type Random } from '../core/random.ts';
import { ExpiringMap } from '../protocol/coap/expiring-map.ts';
import { peerKey, type DatagramReceiver, type PeerAddress, type Transport } from '../transport/transport.ts';

export interface JpyTransportOptions {
  /** Synthetic peers kept at most (default 1024). */
  readonly maxPeers?: number;
  /** A synthetic peer without traffic for this long is forgotten (default 300 s). */
  readonly peerLifetimeMs?: number;
  /**
   * Longest jpy_header accepted (default 255). The draft asks proxies for at most 32 bytes (SHOULD)
   * but the registrar must reflect whatever it gets, so this only bounds memory.
   */
  readonly maxHeaderBytes?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

export interface JpyTransportStats {
  /** JPY messages received and unwrapped, and answers wrapped and sent. */
  received: number;
  sent: number;
  /** Datagrams on the JPY socket that were not JPY messages (or had an oversized header). */
  malformed: number;
  /** Answers to a synthetic peer that is no longer known (expired or evicted), or to a non-synthetic one. */
  unknownPeer: number;
  /** Synthetic peers pushed out by the size bound. */
  evicted: number;
  /** Two different 5-tuples hashing to one synthetic address (the second is dropped). */
  collisions: number;
}

/** Where a synthetic peer's datagrams really go. */
export interface JpyPeerInfo {
  readonly proxy: PeerAddress;
  readonly header: Uint8Array;
}

/** RFC 6666 discard prefix 100::/64, as the first four groups of a synthetic address. */
const SYNTHETIC_PREFIX = '100:0:0:0';

export class JpyTransport implements Transport {
  readonly stats: JpyTransportStats = { received: 0, sent: 0, malformed: 0, unknownPeer: 0, evicted: 0, collisions: 0 };
  private receiver: DatagramReceiver = () => {};
  private readonly peers: ExpiringMap<string, JpyPeerInfo>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly salt: Buffer;
  private readonly maxHeaderBytes: number;
  private readonly lifetimeMs: number;
  private readonly maxPeers: number;
  /** (proxy, header) → synthetic peer, so the hash is not recomputed per datagram; cleared when full. */
  private readonly peerCache = new Map<string, PeerAddress>();

  constructor(
    private readonly inner: Transport,
    opts: JpyTransportOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.lifetimeMs = opts.peerLifetimeMs ?? 300_000;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 255;
    this.maxPeers = opts.maxPeers ?? 1024;
    this.peers = new ExpiringMap(this.lifetimeMs, this.maxPeers);
    this.salt = Buffer.from((opts.random ?? cryptoRandom).bytes(16));
    inner.setReceiver((data, from) => this.onDatagram(data, from));
  }

  /** Synthetic peers known now. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** The proxy and header behind a synthetic peer (e.g. to log which proxy a pledge came through). */
  peerInfo(peer: PeerAddress): JpyPeerInfo | undefined {
    return this.peers.get(peerKey(peer), this.clock.now());
  }

  /** Whether a peer is one of the synthetic addresses this transport hands out (100::/64). */
  static isSyntheticPeer(peer: PeerAddress): boolean {
    return peer.address.startsWith(`${SYNTHETIC_PREFIX}:`);
  }

  /** The synthetic peer that stands for (proxy, header). */
  syntheticPeer(proxy: PeerAddress, header: Uint8Array): PeerAddress {
    const h = createHmac('sha256', this.salt);
    h.update(`${proxy.address}|${proxy.port}|`);
    h.update(header);
    const d = h.digest();
    const groups: string[] = [];
    for (let i = 0; i < 8; i += 2) groups.push(((d[i]! << 8) | d[i + 1]!).toString(16));
    return { address: `${SYNTHETIC_PREFIX}:${groups.join(':')}`, port: proxy.port };
  }

  send(data: Uint8Array, to: PeerAddress): void {
    const now = this.clock.now();
    const key = peerKey(to);
    const info = this.peers.get(key, now);
    if (!info) {
      this.stats.unknownPeer++;
      this.logger.debug('jpy: answer to an unknown synthetic peer dropped', { peer: to.address, port: to.port });
      return;
    }
    const evicted = this.peers.set(key, info, now);
    if (evicted) this.stats.evicted += evicted.length;
    this.stats.sent++;
    this.inner.send(encodeJpyMessage({ header: info.header, content: data }), info.proxy);
  }

  setReceiver(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  localAddress(): PeerAddress {
    return this.inner.localAddress();
  }

  close(): Promise<void> {
    this.peers.clear();
    this.peerCache.clear();
    return this.inner.close();
  }

  private onDatagram(data: Uint8Array, from: PeerAddress): void {
    let msg;
    try {
      msg = decodeJpyMessage(data);
    } catch (e) {
      if (!isStackError(e)) throw e;
      this.stats.malformed++;
      this.logger.debug('jpy: malformed message dropped', { peer: from.address, port: from.port, err: e });
      return;
    }
    if (msg.header.length > this.maxHeaderBytes) {
      this.stats.malformed++;
      this.logger.debug('jpy: oversized header dropped', { peer: from.address, port: from.port, bytes: msg.header.length });
      return;
    }
    const now = this.clock.now();
    const cacheKey = `${from.address}|${from.port}|${String.fromCharCode.apply(null, msg.header as unknown as number[])}`;
    let peer = this.peerCache.get(cacheKey);
    if (!peer) {
      peer = this.syntheticPeer(from, msg.header);
      if (this.peerCache.size >= 2 * this.maxPeers) this.peerCache.clear();
      this.peerCache.set(cacheKey, peer);
    }
    const key = peerKey(peer);
    const known = this.peers.get(key, now);
    if (known && !(known.proxy.port === from.port && known.proxy.address === from.address && bytesEqual(known.header, msg.header))) {
      this.stats.collisions++;
      return;
    }
    // Refreshes the entry's lifetime (and makes it the newest for eviction).
    const evicted = this.peers.set(key, known ?? { proxy: { address: from.address, port: from.port }, header: copyBytes(msg.header) }, now);
    if (evicted) this.stats.evicted += evicted.length;
    this.stats.received++;
    this.receiver(msg.content, peer);
  }
}
