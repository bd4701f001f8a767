/**
 * The CoAP endpoint (RFC 7252): client and server on one transport. The message sublayer is built
 * in (deduplication, CON retransmission with exponential backoff, NSTART, token matching,
 * piggybacked and separate responses); exchange-level layers (block-wise, OSCORE) are composed on
 * top of it, and the top handler (usually a Router) answers requests.
 */
import { decodeMessage, encodeMessage, type CoapMessage, type CoapOption } from '../codec/coap/message.ts';
import { Code, codeClass } from '../codec/coap/numbers/codes.ts';
import { Opt, OPTION_DEFS, isCritical } from '../codec/coap/numbers/options.ts';
import { ACK, CON, NON, RST } from '../codec/coap/numbers/types.ts';
import { bytesEqual, toHex } from '../core/bytes.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { StackError, isStackError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { cryptoRandom, type Random } from '../core/random.ts';
import { ExpiringMap } from '../protocol/coap/expiring-map.ts';
import { endpointConfig, type EndpointConfig } from '../protocol/coap/transmission-params.ts';
import { peerKey, type PeerAddress, type Transport } from '../transport/transport.ts';
import {
  errorResponse,
  response,
  type ClientNext,
  type ClientRequest,
  type CoapResponse,
  type Layer,
  type RequestHandler,
  type ServerNext,
  type ServerRequest,
} from './exchange.ts';

export type TraceDirection = 'in' | 'out';
export type Tracer = (dir: TraceDirection, msg: CoapMessage, peer: PeerAddress) => void;

export interface EndpointOptions {
  readonly config?: Partial<EndpointConfig>;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Sees every message in and out (for `--verbose` traces and tests). */
  readonly tracer?: Tracer;
}

export interface EndpointStats {
  received: number;
  sent: number;
  malformed: number;
  duplicates: number;
  retransmissions: number;
  timeouts: number;
  resets: number;
  emptyAcks: number;
  separateResponses: number;
  badOptions: number;
  overload: number;
  unmatchedResponses: number;
  reusedMessageIds: number;
}

/** Critical options the message layer and router understand without a layer's help (RFC 7252 §5.4.1). */
const BASE_CRITICAL = [Opt.URI_HOST, Opt.URI_PORT, Opt.URI_PATH, Opt.URI_QUERY, Opt.ACCEPT, Opt.PROXY_URI, Opt.PROXY_SCHEME];

/**
 * What the deduplication cache keeps per peer + message ID: enough to tell a retransmission (same
 * type and token) from a new message that reuses the ID, and the bytes a retransmission gets.
 */
interface DedupEntry {
  readonly type: number;
  readonly token: Uint8Array;
  /** The piggybacked response, the empty ACK, or our ACK of a separate response. */
  reply?: Uint8Array;
}

interface ServerExchange extends DedupEntry {
  readonly peer: PeerAddress;
  readonly messageId: number;
  readonly start: number;
  emptyAckSent: boolean;
  done: boolean;
}

/** A CON we sent and retransmit until it is acknowledged. */
interface Outgoing {
  readonly kind: 'client' | 'server';
  readonly peer: PeerAddress;
  readonly key: string;
  readonly bytes: Uint8Array;
  timeout: number;
  retransmits: number;
  timer?: TimerHandle;
  client?: ClientExchange;
}

interface ClientExchange {
  readonly req: ClientRequest;
  readonly peerKey: string;
  readonly resolve: (r: CoapResponse) => void;
  readonly reject: (e: unknown) => void;
  token?: Uint8Array;
  tokenKey?: string;
  out?: Outgoing;
  /** Holds an NSTART slot. */
  active: boolean;
  finished: boolean;
  deadline?: TimerHandle;
  onAbort?: () => void;
}

const EMPTY = new Uint8Array(0);

function isRetransmission(seen: DedupEntry, msg: CoapMessage): boolean {
  return seen.type === msg.type && bytesEqual(seen.token, msg.token);
}

export class Endpoint {
  readonly config: EndpointConfig;
  readonly stats: EndpointStats = {
    received: 0,
    sent: 0,
    malformed: 0,
    duplicates: 0,
    retransmissions: 0,
    timeouts: 0,
    resets: 0,
    emptyAcks: 0,
    separateResponses: 0,
    badOptions: 0,
    overload: 0,
    unmatchedResponses: 0,
    reusedMessageIds: 0,
  };

  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly tracer: Tracer | undefined;
  private readonly critical: Set<number>;
  private readonly serverChain: ServerNext;
  private readonly clientChain: ClientNext;
  private handler: RequestHandler = () => response(Code.NOT_FOUND);

  private mid: number;
  private readonly dedup: ExpiringMap<string, DedupEntry>;
  /** CONs awaiting ACK, by peer + message ID. */
  private readonly outgoing = new Map<string, Outgoing>();
  /** Our requests awaiting a response, by peer + token. */
  private readonly byToken = new Map<string, ClientExchange>();
  private readonly activePerPeer = new Map<string, number>();
  private readonly queuedPerPeer = new Map<string, ClientExchange[]>();
  private pendingClient = 0;
  private handlersRunning = 0;
  /** CON requests still waiting for their handler, oldest first. */
  private readonly awaitingAck = new Set<ServerExchange>();
  private ackSweep: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly layers: readonly Layer[] = [],
    opts: EndpointOptions = {},
  ) {
    this.config = endpointConfig(opts.config);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.logger = opts.logger ?? silentLogger;
    this.tracer = opts.tracer;
    this.mid = this.random.int(0x10000);
    this.dedup = new ExpiringMap(this.config.exchangeLifetimeMs, this.config.maxDedupEntries);
    this.critical = new Set<number>(BASE_CRITICAL);
    for (const l of layers) for (const n of l.criticalOptions ?? []) this.critical.add(n);

    let server: ServerNext = (req) => this.callHandler(req);
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      if (layer.handleRequest) {
        const next = server;
        server = (req) => layer.handleRequest!(req, next);
      }
    }
    this.serverChain = server;
    let client: ClientNext = (req) => this.sendRequestMessage(req);
    for (const layer of layers) {
      if (layer.sendRequest) {
        const next = client;
        client = (req) => layer.sendRequest!(req, next);
      }
    }
    this.clientChain = client;
    transport.setReceiver((data, from) => this.onDatagram(data, from));
  }

  /** The top of the server side (a Router's handle, usually). */
  setHandler(handler: RequestHandler): this {
    this.handler = handler;
    return this;
  }

  localAddress(): PeerAddress {
    return this.transport.localAddress();
  }

  /** Sends a request through the layers and resolves with the (reassembled) response. */
  request(req: ClientRequest): Promise<CoapResponse> {
    if (this.closed) return Promise.reject(new StackError('ERR_TRANSPORT_CLOSED', 'endpoint is closed'));
    return this.clientChain(req);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ackSweep) this.clock.clearTimeout(this.ackSweep);
    for (const o of this.outgoing.values()) if (o.timer) this.clock.clearTimeout(o.timer);
    this.outgoing.clear();
    const cancelled = new StackError('ERR_COAP_CANCELLED', 'endpoint closed');
    for (const ex of [...this.byToken.values()]) this.fail(ex, cancelled);
    for (const q of this.queuedPerPeer.values()) for (const ex of q) this.fail(ex, cancelled);
    this.queuedPerPeer.clear();
    for (const l of this.layers) l.close?.();
    await this.transport.close();
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onDatagram(data: Uint8Array, peer: PeerAddress): void {
    if (this.closed) return;
    this.stats.received++;
    let msg: CoapMessage;
    try {
      msg = decodeMessage(data);
    } catch (e) {
      this.stats.malformed++;
      const d = isStackError(e) ? e.details : undefined;
      this.logger.debug('malformed datagram', { peer: peer.address, port: peer.port, err: e });
      if (d?.answer?.kind === 'rst' && d.messageId !== undefined) this.sendReset(d.messageId, peer);
      return;
    }
    this.tracer?.('in', msg, peer);
    const cls = codeClass(msg.code);
    if (msg.code === 0) {
      if (msg.type === CON) this.sendReset(msg.messageId, peer); // CoAP ping (§4.3)
      else if (msg.type === ACK) this.onEmptyAck(msg, peer);
      else if (msg.type === RST) this.onReset(msg, peer);
      return;
    }
    if (cls === 0) {
      if (msg.type === CON || msg.type === NON) this.onRequest(msg, peer);
      return; // a request code in an ACK or RST is a format error: ignored (§4.2)
    }
    if (cls >= 2 && cls <= 5) {
      if (msg.type === RST) return;
      this.onResponse(msg, peer);
      return;
    }
    // Reserved code classes 1, 6, 7 (§12.1): format error.
    this.stats.malformed++;
    if (msg.type === CON) this.sendReset(msg.messageId, peer);
  }

  private onRequest(msg: CoapMessage, peer: PeerAddress): void {
    const now = this.clock.now();
    const key = `${peerKey(peer)}#${msg.messageId}`;
    const seen = this.dedup.get(key, now);
    if (seen) {
      if (isRetransmission(seen, msg)) {
        this.stats.duplicates++;
        if (seen.reply) this.transport.send(seen.reply, peer);
        return;
      }
      // The same message ID with another token or type: the peer reused the ID (californium's
      // auto-replace); treat it as a new request rather than answering with a stale response.
      this.stats.reusedMessageIds++;
    }
    const ex: ServerExchange = { peer, type: msg.type, messageId: msg.messageId, token: msg.token, start: now, emptyAckSent: false, done: false };
    this.dedup.set(key, ex, now);

    if (this.handlersRunning >= this.config.maxConcurrentHandlers) {
      this.stats.overload++;
      this.finishServer(ex, response(Code.SERVICE_UNAVAILABLE, 'busy', [{ number: Opt.MAX_AGE, value: Uint8Array.of(1) }]));
      return;
    }
    const bad = this.checkOptions(msg);
    if (bad) {
      this.finishServer(ex, bad);
      return;
    }
    const req: ServerRequest = {
      method: msg.code,
      options: msg.options,
      payload: msg.payload,
      peer,
      confirmable: msg.type === CON,
      messageId: msg.messageId,
      token: msg.token,
      context: {},
    };
    if (msg.type === CON) {
      this.awaitingAck.add(ex);
      this.armAckSweep();
    }
    this.handlersRunning++;
    let result: Promise<CoapResponse>;
    try {
      result = this.serverChain(req);
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (res) => {
        this.handlersRunning--;
        this.finishServer(ex, res);
      },
      (err: unknown) => {
        this.handlersRunning--;
        if (!isStackError(err)) this.logger.error('request handler failed', { err, stack: (err as Error)?.stack });
        this.finishServer(ex, errorResponse(isStackError(err) ? err : undefined, Code.INTERNAL_SERVER_ERROR, 'internal error'));
      },
    );
  }

  /** RFC 7252 §5.4.1: unrecognized critical options in a request give 4.02 Bad Option. */
  private checkOptions(msg: CoapMessage): CoapResponse | undefined {
    let prev = -1;
    for (const o of msg.options) {
      const n = o.number;
      if (!isCritical(n)) {
        prev = n;
        continue;
      }
      const def = OPTION_DEFS.get(n);
      let problem: string | undefined;
      if (!this.critical.has(n)) problem = `unrecognized critical option ${n}`;
      else if (def && (o.value.length < def.min || o.value.length > def.max)) problem = `option ${def.name} has length ${o.value.length}`;
      else if (def && !def.repeatable && prev === n) problem = `option ${def.name} repeated`;
      if (problem) {
        this.stats.badOptions++;
        return response(Code.BAD_OPTION, problem);
      }
      if (n === Opt.PROXY_URI || n === Opt.PROXY_SCHEME) return response(Code.PROXYING_NOT_SUPPORTED);
      prev = n;
    }
    return undefined;
  }

  private callHandler(req: ServerRequest): Promise<CoapResponse> {
    try {
      return Promise.resolve(this.handler(req));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private finishServer(ex: ServerExchange, res: CoapResponse): void {
    if (ex.done || this.closed) return;
    ex.done = true;
    this.awaitingAck.delete(ex);
    if (ex.type === CON && !ex.emptyAckSent) {
      const msg: CoapMessage = { type: ACK, code: res.code, messageId: ex.messageId, token: ex.token, options: res.options, payload: res.payload };
      ex.reply = this.send(msg, ex.peer);
      return;
    }
    // Separate response (after an empty ACK), or the answer to a NON: a new message ID.
    const type = ex.type === CON ? CON : NON;
    const msg: CoapMessage = { type, code: res.code, messageId: this.nextMid(), token: ex.token, options: res.options, payload: res.payload };
    if (type === CON) {
      this.stats.separateResponses++;
      const bytes = this.encodeAndTrace(msg, ex.peer);
      this.startReliable({ kind: 'server', peer: ex.peer, key: `${peerKey(ex.peer)}#${msg.messageId}`, bytes, timeout: 0, retransmits: 0 });
    } else {
      ex.reply = this.send(msg, ex.peer);
    }
  }

  private armAckSweep(): void {
    if (this.ackSweep || this.awaitingAck.size === 0) return;
    const oldest = this.awaitingAck.values().next().value as ServerExchange;
    const due = Math.max(0, oldest.start + this.config.piggybackDelayMs - this.clock.now());
    this.ackSweep = this.clock.setTimeout(() => {
      this.ackSweep = undefined;
      const now = this.clock.now();
      for (const ex of this.awaitingAck) {
        if (ex.start + this.config.piggybackDelayMs > now) break;
        this.awaitingAck.delete(ex);
        ex.emptyAckSent = true;
        this.stats.emptyAcks++;
        ex.reply = this.send({ type: ACK, code: 0, messageId: ex.messageId, token: EMPTY, options: [], payload: EMPTY }, ex.peer);
      }
      this.armAckSweep();
    }, due);
  }

  private onResponse(msg: CoapMessage, peer: PeerAddress): void {
    const pk = peerKey(peer);
    if (msg.type === ACK) {
      const out = this.outgoing.get(`${pk}#${msg.messageId}`);
      const ex = out?.client;
      if (!out || !ex || !ex.token || toHex(ex.token) !== toHex(msg.token)) {
        this.stats.unmatchedResponses++;
        return;
      }
      this.stopReliable(out);
      this.complete(ex, msg);
      return;
    }
    // A separate response (CON) or a NON response: matched by token.
    const now = this.clock.now();
    if (msg.type === CON) {
      const key = `${pk}#${msg.messageId}`;
      const seen = this.dedup.get(key, now);
      if (seen && isRetransmission(seen, msg)) {
        this.stats.duplicates++;
        if (seen.reply) this.transport.send(seen.reply, peer);
        return;
      }
    }
    const ex = this.byToken.get(`${pk}#${toHex(msg.token)}`);
    if (!ex) {
      this.stats.unmatchedResponses++;
      if (msg.type === CON) this.sendReset(msg.messageId, peer);
      return;
    }
    if (msg.type === CON) {
      const ack = this.send({ type: ACK, code: 0, messageId: msg.messageId, token: EMPTY, options: [], payload: EMPTY }, peer);
      this.dedup.set(`${pk}#${msg.messageId}`, { type: CON, token: msg.token, reply: ack }, now);
    }
    if (ex.out) this.stopReliable(ex.out);
    this.complete(ex, msg);
  }

  private onEmptyAck(msg: CoapMessage, peer: PeerAddress): void {
    const out = this.outgoing.get(`${peerKey(peer)}#${msg.messageId}`);
    if (!out) return;
    this.stopReliable(out);
    const ex = out.client;
    if (ex) {
      // The server will answer separately: the interaction no longer counts against NSTART.
      this.release(ex);
      this.armDeadline(ex, ex.req.timeoutMs ?? this.config.responseTimeoutMs);
    }
  }

  private onReset(msg: CoapMessage, peer: PeerAddress): void {
    const out = this.outgoing.get(`${peerKey(peer)}#${msg.messageId}`);
    if (!out) return;
    this.stats.resets++;
    this.stopReliable(out);
    if (out.client) this.fail(out.client, new StackError('ERR_COAP_RESET', `${peer.address}:${peer.port} reset message ${msg.messageId}`));
  }

  // ---- sending requests ------------------------------------------------------------------------

  private sendRequestMessage(req: ClientRequest): Promise<CoapResponse> {
    if (this.closed) return Promise.reject(new StackError('ERR_TRANSPORT_CLOSED', 'endpoint is closed'));
    if (this.pendingClient >= this.config.maxPendingRequests) {
      return Promise.reject(new StackError('ERR_COAP_TOO_MANY_EXCHANGES', `more than ${this.config.maxPendingRequests} requests pending`));
    }
    if (req.signal?.aborted) return Promise.reject(new StackError('ERR_COAP_CANCELLED', 'request aborted'));
    return new Promise<CoapResponse>((resolve, reject) => {
      const ex: ClientExchange = { req, peerKey: peerKey(req.peer), resolve, reject, active: false, finished: false };
      this.pendingClient++;
      if (req.signal) {
        ex.onAbort = () => this.fail(ex, new StackError('ERR_COAP_CANCELLED', 'request aborted'));
        req.signal.addEventListener('abort', ex.onAbort, { once: true });
      }
      if (req.timeoutMs !== undefined) this.armDeadline(ex, req.timeoutMs);
      const active = this.activePerPeer.get(ex.peerKey) ?? 0;
      if (!req.confirmable || active < this.config.nstart) this.startClient(ex);
      else {
        let q = this.queuedPerPeer.get(ex.peerKey);
        if (!q) this.queuedPerPeer.set(ex.peerKey, (q = []));
        q.push(ex);
      }
    });
  }

  private startClient(ex: ClientExchange): void {
    const req = ex.req;
    const pk = ex.peerKey;
    let token: Uint8Array;
    let tokenKey: string;
    do {
      token = this.random.bytes(this.config.tokenLength);
      tokenKey = `${pk}#${toHex(token)}`;
    } while (this.byToken.has(tokenKey));
    ex.token = token;
    ex.tokenKey = tokenKey;
    this.byToken.set(tokenKey, ex);
    const msg: CoapMessage = {
      type: req.confirmable ? CON : NON,
      code: req.method,
      messageId: this.nextMid(),
      token,
      options: req.options,
      payload: req.payload,
    };
    const bytes = this.encodeAndTrace(msg, req.peer);
    if (req.confirmable) {
      ex.active = true;
      this.activePerPeer.set(pk, (this.activePerPeer.get(pk) ?? 0) + 1);
      ex.out = { kind: 'client', peer: req.peer, key: `${pk}#${msg.messageId}`, bytes, timeout: 0, retransmits: 0, client: ex };
      this.startReliable(ex.out);
    } else {
      this.transport.send(bytes, req.peer);
      this.stats.sent++;
      if (!ex.deadline) this.armDeadline(ex, this.config.responseTimeoutMs);
    }
  }

  private armDeadline(ex: ClientExchange, ms: number): void {
    if (ex.deadline) this.clock.clearTimeout(ex.deadline);
    ex.deadline = this.clock.setTimeout(() => {
      this.stats.timeouts++;
      this.fail(ex, new StackError('ERR_COAP_TIMEOUT', `no response from ${ex.req.peer.address}:${ex.req.peer.port} within ${ms} ms`));
    }, ms);
  }

  private complete(ex: ClientExchange, msg: CoapMessage): void {
    if (ex.finished) return;
    this.cleanup(ex);
    ex.resolve({ code: msg.code, options: msg.options, payload: msg.payload });
  }

  private fail(ex: ClientExchange, err: unknown): void {
    if (ex.finished) return;
    this.cleanup(ex);
    ex.reject(err);
  }

  private cleanup(ex: ClientExchange): void {
    ex.finished = true;
    this.pendingClient--;
    if (ex.tokenKey) this.byToken.delete(ex.tokenKey);
    if (ex.out) this.stopReliable(ex.out);
    if (ex.deadline) this.clock.clearTimeout(ex.deadline);
    if (ex.onAbort) ex.req.signal?.removeEventListener('abort', ex.onAbort);
    const q = this.queuedPerPeer.get(ex.peerKey);
    if (q) {
      const i = q.indexOf(ex);
      if (i >= 0) q.splice(i, 1);
    }
    this.release(ex);
  }

  /** Frees the NSTART slot and starts the next queued request for that peer. */
  private release(ex: ClientExchange): void {
    if (!ex.active) return;
    ex.active = false;
    const n = (this.activePerPeer.get(ex.peerKey) ?? 1) - 1;
    if (n > 0) this.activePerPeer.set(ex.peerKey, n);
    else this.activePerPeer.delete(ex.peerKey);
    const q = this.queuedPerPeer.get(ex.peerKey);
    const next = q?.shift();
    if (q && q.length === 0) this.queuedPerPeer.delete(ex.peerKey);
    if (next && !this.closed) this.startClient(next);
  }

  // ---- reliable transmission (§4.2) ------------------------------------------------------------

  private startReliable(out: Outgoing): void {
    const c = this.config;
    out.timeout = c.ackTimeoutMs * (1 + this.random.float() * (c.ackRandomFactor - 1));
    this.outgoing.set(out.key, out);
    this.transport.send(out.bytes, out.peer);
    this.stats.sent++;
    out.timer = this.clock.setTimeout(() => this.onRetransmitTimer(out), out.timeout);
  }

  private onRetransmitTimer(out: Outgoing): void {
    out.timer = undefined;
    if (this.outgoing.get(out.key) !== out) return;
    if (out.retransmits >= this.config.maxRetransmit) {
      this.outgoing.delete(out.key);
      this.stats.timeouts++;
      if (out.client) {
        this.fail(out.client, new StackError('ERR_COAP_TIMEOUT', `no ACK from ${out.peer.address}:${out.peer.port} after ${out.retransmits} retransmissions`));
      } else this.logger.debug('separate response not acknowledged', { peer: out.peer.address, port: out.peer.port });
      return;
    }
    out.retransmits++;
    out.timeout *= 2;
    this.stats.retransmissions++;
    this.transport.send(out.bytes, out.peer);
    this.stats.sent++;
    out.timer = this.clock.setTimeout(() => this.onRetransmitTimer(out), out.timeout);
  }

  private stopReliable(out: Outgoing): void {
    if (out.timer) this.clock.clearTimeout(out.timer);
    out.timer = undefined;
    if (this.outgoing.get(out.key) === out) this.outgoing.delete(out.key);
  }

  // ---- wire helpers ----------------------------------------------------------------------------

  private nextMid(): number {
    this.mid = (this.mid + 1) & 0xffff;
    return this.mid;
  }

  private encodeAndTrace(msg: CoapMessage, peer: PeerAddress): Uint8Array {
    this.tracer?.('out', msg, peer);
    return encodeMessage(msg);
  }

  private send(msg: CoapMessage, peer: PeerAddress): Uint8Array {
    const bytes = this.encodeAndTrace(msg, peer);
    this.transport.send(bytes, peer);
    this.stats.sent++;
    return bytes;
  }

  private sendReset(messageId: number, peer: PeerAddress): void {
    this.send({ type: RST, code: 0, messageId, token: EMPTY, options: [], payload: EMPTY }, peer);
  }
}

export type { CoapOption };
