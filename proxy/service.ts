/**
 * The join proxy service: sockets around the relay cores of src/protocol/join-proxy/.
 *
 * - the join port (pledge side): one UdpTransport; every datagram goes to the relay core
 * - stateful: one UdpTransport per pledge towards the registrar, opened on the pledge's first
 *   datagram and closed when its entry expires
 * - stateless: one UdpTransport towards the registrar's JPY port
 * - the discovery responder: a CoAP endpoint on its own port answering ?brski-jp=*
 */
import { isIP } from 'node:net';
import { JpyHeaderKeyRing } from '../src/codec/jpy/join-proxy-header.ts';
import { systemClock, type Clock } from '../src/core/clock.ts';
import { StackError, isStackError } from '../src/core/errors.ts';
import type { Logger } from '../src/core/logger.ts';
import { snapshotCounters, type JoinProxyCounters } from '../src/protocol/join-proxy/counters.ts';
import type { JoinProxyMode } from '../src/protocol/join-proxy/registrar-discovery.ts';
import { StatefulJoinProxy, type StatefulEntry } from '../src/protocol/join-proxy/stateful-relay.ts';
import { StatelessJoinProxy } from '../src/protocol/join-proxy/stateless-relay.ts';
import { Endpoint } from '../src/stack/endpoint.ts';
import { formatPeer, type PeerAddress } from '../src/transport/transport.ts';
import { UdpTransport } from '../src/transport/udp.ts';
import type { ProxyConfig } from './config.ts';
import { discoverRegistrar, joinPortDiscoveryHandler, resolveHost } from './discovery.ts';

const COAP_DEFAULT_PORT = 5683;
const SOCKET_BUFFER = 4 << 20;

export interface JoinProxyService {
  readonly mode: JoinProxyMode;
  /** The join port. */
  readonly joinAddress: PeerAddress;
  /** Where relayed datagrams go (stateful: the registrar's CoAP(S) port; stateless: its JPY port). */
  readonly registrar: PeerAddress;
  /** The stateless mode's one upstream socket. */
  readonly upstreamAddress: PeerAddress | undefined;
  readonly discoveryAddress: PeerAddress;
  /** The ready line. */
  readonly readyLine: string;
  counters(): JoinProxyCounters & { header?: unknown };
  close(): Promise<void>;
}

export interface JoinProxyDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
}

function upstreamBindHost(config: ProxyConfig, registrar: string): string {
  if (config.upstreamHost) return config.upstreamHost;
  if (isIP(registrar) === 6) return registrar === '::1' ? '::1' : '::';
  return registrar.startsWith('127.') ? '127.0.0.1' : '0.0.0.0';
}

async function bindDiscovery(config: ProxyConfig, logger: Logger): Promise<UdpTransport> {
  if (config.discoveryPort !== undefined) return UdpTransport.bind({ host: config.discoveryHost, port: config.discoveryPort, logger });
  try {
    return await UdpTransport.bind({ host: config.discoveryHost, port: COAP_DEFAULT_PORT, logger });
  } catch (e) {
    if (!isStackError(e, 'ERR_IO')) throw e;
    logger.warn('CoAP port 5683 is taken: the discovery responder uses a free port', { host: config.discoveryHost });
    return UdpTransport.bind({ host: config.discoveryHost, port: 0, logger });
  }
}

export async function startJoinProxy(config: ProxyConfig, deps: JoinProxyDeps): Promise<JoinProxyService> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;

  // 1. The registrar: configured or discovered.
  let mode: JoinProxyMode;
  let registrar: PeerAddress;
  if (config.discover) {
    const found = await discoverRegistrar(config.discover, config.mode, logger);
    mode = found.mode;
    registrar = { address: found.address, port: found.port };
    logger.info('registrar discovered', { uri: config.discover, mode, href: found.href, address: found.address, port: found.port });
  } else {
    mode = config.mode!;
    const address = await resolveHost(config.registrar!.host);
    registrar = { address, port: mode === 'stateless' ? config.jpyPort! : config.registrar!.port };
  }
  if (registrar.port === 0) throw new StackError('ERR_CONFIG', 'the registrar port must not be 0');

  const tableConfig = {
    maxPledges: config.maxPledges,
    maxPerAddress: config.maxPerAddress,
    idleTimeoutMs: config.idleTimeoutMs,
    ratePerSecond: config.ratePerSecond,
    burst: config.burst,
    registrar,
  };
  const upstreamHost = upstreamBindHost(config, registrar.address);

  // 2. The join port.
  const join = await UdpTransport.bind({ host: config.listen.host, port: config.listen.port, logger, recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
  const closers: (() => Promise<void>)[] = [() => join.close()];
  const toPledge = (to: PeerAddress, data: Uint8Array): void => join.send(data, to);

  let counters: () => JoinProxyCounters & { header?: unknown };
  let upstreamAddress: PeerAddress | undefined;
  try {
    if (mode === 'stateful') {
      const upstreams = new Set<UdpTransport>();
      const relay: StatefulJoinProxy<UdpTransport> = new StatefulJoinProxy<UdpTransport>(
        tableConfig,
        {
          upstream: {
            open: async (entry: StatefulEntry<UdpTransport>) => {
              const u = await UdpTransport.bind({ host: upstreamHost, port: 0, logger });
              upstreams.add(u);
              u.setReceiver((data, from) => relay.fromRegistrar(entry, data, from));
              logger.debug('mapping opened', { pledge: formatPeer(entry.pledge), upstream: formatPeer(u.localAddress()) });
              return u;
            },
            send: (u, data) => u.send(data, registrar),
            close: (u) => {
              upstreams.delete(u);
              void u.close();
            },
          },
          toPledge,
          onUpstreamError: (pledge, err) => logger.warn('cannot open an upstream socket', { pledge: formatPeer(pledge), err }),
        },
        clock,
      );
      join.setReceiver((data, from) => relay.fromPledge(data, from));
      closers.push(async () => {
        const open = [...upstreams];
        relay.close();
        await Promise.all(open.map((u) => u.close()));
      });
      counters = () => snapshotCounters(relay.counters);
    } else {
      const keyRing = new JpyHeaderKeyRing({ rotationMs: config.keyRotationMs, graceMs: config.keyGraceMs }, clock.now());
      const upstream = await UdpTransport.bind({ host: upstreamHost, port: 0, logger, recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
      closers.push(() => upstream.close());
      const relay = new StatelessJoinProxy(tableConfig, keyRing, { toRegistrar: (data) => upstream.send(data, registrar), toPledge }, clock);
      upstream.setReceiver((data, from) => relay.fromRegistrar(data, from));
      join.setReceiver((data, from) => relay.fromPledge(data, from));
      closers.push(async () => relay.close());
      upstreamAddress = upstream.localAddress();
      counters = () => ({
        ...snapshotCounters(relay.counters),
        header: { kid: keyRing.currentKid, rotations: keyRing.stats.rotations, sealed: keyRing.stats.sealed, opened: keyRing.stats.opened, rejected: { ...keyRing.stats.rejected } },
      });
    }

    // 3. The discovery responder, on its own port.
    const joinAddress = join.localAddress();
    const discoveryTransport = await bindDiscovery(config, logger);
    const discovery = new Endpoint(discoveryTransport, [], { logger });
    discovery.setHandler(joinPortDiscoveryHandler(joinAddress.port));
    closers.push(() => discovery.close());
    const discoveryAddress = discoveryTransport.localAddress();

    const readyLine =
      `ready udp://${formatPeer(joinAddress)} mode=${mode} registrar=${formatPeer(registrar)}` +
      (upstreamAddress ? ` upstream=${formatPeer(upstreamAddress)}` : '') +
      ` discovery=coap://${formatPeer(discoveryAddress)} max-pledges=${config.maxPledges}`;
    let closed = false;
    return {
      mode,
      joinAddress,
      registrar,
      upstreamAddress,
      discoveryAddress,
      readyLine,
      counters: () => counters(),
      close: async () => {
        if (closed) return;
        closed = true;
        for (const c of closers.reverse()) await c();
      },
    };
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => {});
    throw e;
  }
}
