/** CoAP transmission parameters (RFC 7252 §4.8) and the endpoint's bounds, validated and frozen. */
import { StackError } from '../../core/errors.ts';

export interface EndpointConfig {
  /** RFC 7252 §4.8 ACK_TIMEOUT, in ms. */
  readonly ackTimeoutMs: number;
  readonly ackRandomFactor: number;
  readonly maxRetransmit: number;
  /** Outstanding CON interactions per peer (§4.7). */
  readonly nstart: number;
  /** How long a message ID is remembered for deduplication (EXCHANGE_LIFETIME, §4.8.2). */
  readonly exchangeLifetimeMs: number;
  /** How long a server waits for its handler before sending an empty ACK (then a separate response). */
  readonly piggybackDelayMs: number;
  /** How long a client waits for a separate response after an empty ACK, or for a NON response. */
  readonly responseTimeoutMs: number;
  /** Token length for our requests (1..8). */
  readonly tokenLength: number;
  /** Bounds. */
  readonly maxPendingRequests: number;
  readonly maxConcurrentHandlers: number;
  readonly maxDedupEntries: number;
}

export const RFC7252_S4_8_DEFAULTS: EndpointConfig = Object.freeze({
  ackTimeoutMs: 2000,
  ackRandomFactor: 1.5,
  maxRetransmit: 4,
  nstart: 1,
  exchangeLifetimeMs: 247_000,
  piggybackDelayMs: 1000,
  responseTimeoutMs: 93_000,
  tokenLength: 4,
  maxPendingRequests: 1024,
  maxConcurrentHandlers: 1024,
  maxDedupEntries: 65_536,
});

/** MAX_TRANSMIT_SPAN = ACK_TIMEOUT * (2 ** MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR. */
export function maxTransmitSpanMs(c: EndpointConfig): number {
  return c.ackTimeoutMs * (2 ** c.maxRetransmit - 1) * c.ackRandomFactor;
}

export function endpointConfig(partial: Partial<EndpointConfig> = {}): EndpointConfig {
  const c = { ...RFC7252_S4_8_DEFAULTS, ...partial };
  const positive = (k: keyof EndpointConfig, min = 0): void => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new StackError('ERR_CONFIG', `endpoint ${k} must be a number >= ${min}, got ${String(v)}`);
    }
  };
  positive('ackTimeoutMs', 1);
  positive('ackRandomFactor', 1);
  positive('maxRetransmit', 0);
  positive('nstart', 1);
  positive('exchangeLifetimeMs', 0);
  positive('piggybackDelayMs', 0);
  positive('responseTimeoutMs', 1);
  positive('tokenLength', 1);
  positive('maxPendingRequests', 1);
  positive('maxConcurrentHandlers', 1);
  positive('maxDedupEntries', 1);
  if (c.tokenLength > 8) throw new StackError('ERR_CONFIG', `tokenLength must be 1..8, got ${c.tokenLength}`);
  return Object.freeze(c);
}
