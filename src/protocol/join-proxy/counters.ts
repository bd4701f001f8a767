/** What a join proxy counts: relayed traffic, drops by reason, and its mapping table. */

/**
 * Why a datagram was dropped:
 * - cap: a new pledge beyond --max-pledges, or beyond the per-address limit (§4.3)
 * - rate: the pledge's token bucket was empty
 * - integrity: a jpy_header that does not open (forged, altered, unknown or expired key) (§4.5.5)
 * - malformed: a datagram from the registrar's JPY port that is not a JPY message
 * - source: a datagram on an upstream socket from anyone but the registrar
 * - unsupported: a pledge address the header cannot carry (stateless mode, prefix table full)
 * - backlog: the pledge's upstream socket was still opening and its short queue was full
 * - stale: an answer for a mapping that has already expired (stateful mode)
 */
export type JoinProxyDropReason = 'cap' | 'rate' | 'integrity' | 'malformed' | 'source' | 'unsupported' | 'backlog' | 'stale';

export interface JoinProxyCounters {
  /** Datagrams relayed pledge → registrar, and their payload bytes. */
  relayedUp: number;
  bytesUp: number;
  /** Datagrams relayed registrar → pledge, and their payload bytes. */
  relayedDown: number;
  bytesDown: number;
  dropped: Record<JoinProxyDropReason, number>;
  /** Pledges admitted to the table, and those removed after --idle-timeout without traffic. */
  mappingsCreated: number;
  expired: number;
  /** Pledges in the table now, and the most there ever were at once. */
  active: number;
  peakActive: number;
  /** Upstream sockets that could not be opened (stateful mode). */
  upstreamErrors: number;
}

export function newJoinProxyCounters(): JoinProxyCounters {
  return {
    relayedUp: 0,
    bytesUp: 0,
    relayedDown: 0,
    bytesDown: 0,
    dropped: { cap: 0, rate: 0, integrity: 0, malformed: 0, source: 0, unsupported: 0, backlog: 0, stale: 0 },
    mappingsCreated: 0,
    expired: 0,
    active: 0,
    peakActive: 0,
    upstreamErrors: 0,
  };
}

/** A copy safe to log or print. */
export function snapshotCounters(c: JoinProxyCounters): JoinProxyCounters {
  return { ...c, dropped: { ...c.dropped } };
}
