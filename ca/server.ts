/**
 * CMP over HTTP (RFC 6712 as updated by RFC 9811): the transport of the operator RA/CA.
 *
 * POST a DER PKIMessage with `Content-Type: application/pkixcmp` to `/.well-known/cmp`,
 * `/.well-known/cmp/<operation>`, `/.well-known/cmp/p/<label>` or
 * `/.well-known/cmp/p/<label>/<operation>` (operation labels of RFC 9483 §6.1 / the IANA
 * "CMP Well-Known URI Path Segments" registry). The answer is always 200 with a DER PKIMessage
 * (a CMP error message too), `application/pkixcmp`, `Cache-Control: no-cache`; delayed delivery
 * uses CMP polling, never HTTP 202.
 *
 * HTTP-level refusals: 404 other paths, 405 other methods, 415 other content types, 413 bodies
 * above the limit (checked on Content-Length and while reading, never buffering more), 400 an
 * empty body, 503 when the request queue is full. Bounded: connections, requests in progress,
 * requests waiting, body size, time per request.
 */
import { BodyTooLarge, readBoundedBody } from '../src/transport/http-body.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type LogFields, type Logger } from '../src/core/logger.ts';

export const CMP_CONTENT_TYPE = 'application/pkixcmp';
export const CMP_WELL_KNOWN = '/.well-known/cmp';

/** Operation path segments (IANA registry of RFC 9811, entries for HTTP). */
export const CMP_OPERATIONS: ReadonlySet<string> = new Set([
  'initialization',
  'certification',
  'keyupdate',
  'pkcs10',
  'revocation',
  'getcacerts',
  'getrootupdate',
  'getcertreqtemplate',
  'getcrls',
  'nested',
]);

const LABEL = /^[A-Za-z0-9._~-]{1,64}$/;

export interface CmpPath {
  readonly label?: string;
  readonly operation?: string;
}

/** The label and operation of a CMP request path, or undefined when it is not one. */
export function parseCmpPath(rawUrl: string): CmpPath | undefined {
  const q = rawUrl.search(/[?#]/);
  const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  if (path !== CMP_WELL_KNOWN && !path.startsWith(`${CMP_WELL_KNOWN}/`)) return undefined;
  const segs = path.slice(CMP_WELL_KNOWN.length).split('/').slice(1);
  if (segs.length > 0 && segs[segs.length - 1] === '') segs.pop(); // one trailing slash
  let decoded: string[];
  try {
    decoded = segs.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  const op = (s: string | undefined): boolean => s !== undefined && CMP_OPERATIONS.has(s);
  switch (decoded.length) {
    case 0:
      return {};
    case 1:
      return op(decoded[0]) ? { operation: decoded[0]! } : undefined;
    case 2:
      return decoded[0] === 'p' && LABEL.test(decoded[1]!) ? { label: decoded[1]! } : undefined;
    case 3:
      return decoded[0] === 'p' && LABEL.test(decoded[1]!) && op(decoded[2]) ? { label: decoded[1]!, operation: decoded[2]! } : undefined;
    default:
      return undefined;
  }
}

export interface CmpHttpServerOptions {
  /** Answers one request; must resolve to a DER PKIMessage (errors as CMP error messages). */
  readonly handle: (requestDer: Uint8Array, ctx: CmpPath) => Promise<Uint8Array>;
  readonly maxBodyBytes: number;
  /** Requests handled at once. */
  readonly maxConcurrent: number;
  /** Requests waiting for a slot; beyond this, 503. */
  readonly maxQueued: number;
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
  /** Fields for the per-request log line (transaction ID, message types, status). */
  readonly describe?: (requestDer: Uint8Array, responseDer: Uint8Array) => LogFields;
}

export interface CmpHttpStats {
  requests: number;
  answered: number;
  refused: Record<number, number>;
  active: number;
  queued: number;
  maxActiveSeen: number;
}

/** A counting gate: at most `max` holders, at most `maxQueued` waiting. */
class Gate {
  active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}
  get queued(): number {
    return this.waiting.length;
  }
  /** Resolves when admitted; undefined when the queue is full. */
  enter(): Promise<void> | undefined {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued) return undefined;
    return new Promise<void>((res) => this.waiting.push(res));
  }
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

export class CmpHttpServer {
  private readonly server: Server;
  private readonly gate: Gate;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats: CmpHttpStats = { requests: 0, answered: 0, refused: {}, active: 0, queued: 0, maxActiveSeen: 0 };

  constructor(private readonly opts: CmpHttpServerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.gate = new Gate(opts.maxConcurrent, opts.maxQueued);
    this.server = createServer((req, res) => {
      const p = this.onRequest(req, res).catch((e: unknown) => {
        this.logger.error('HTTP request failed', { error: e as Error });
        if (!res.headersSent) this.plain(res, 500, 'internal error');
        else res.destroy();
      });
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    });
    const timeout = opts.requestTimeoutMs ?? 30_000;
    this.server.requestTimeout = timeout;
    this.server.headersTimeout = Math.min(timeout, 20_000);
    this.server.keepAliveTimeout = 5_000;
    // Connections bound the memory that bodies being read can take.
    this.server.maxConnections = opts.maxConcurrent + opts.maxQueued + 64;
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
      this.logger.debug('HTTP client error', { error: err });
    });
  }

  /** Listens; resolves with the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** Stops accepting, lets requests in progress finish (up to `graceMs`), then drops connections. */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((res) => this.server.close(() => res()));
    this.server.closeIdleConnections();
    const grace = new Promise<void>((res) => setTimeout(res, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    this.server.closeAllConnections();
    await closed;
  }

  private refuse(res: ServerResponse, status: number, text: string, fields: LogFields, headers: Record<string, string> = {}): void {
    this.stats.refused[status] = (this.stats.refused[status] ?? 0) + 1;
    this.logger.info('http refused', { status, reason: text, ...fields });
    this.plain(res, status, text, headers);
  }

  private plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    const body = Buffer.from(`${text}\n`, 'utf8');
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-cache', ...headers });
    res.end(body);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.stats.requests++;
    const url = req.url ?? '/';
    const where = { method: req.method, path: url.length > 200 ? `${url.slice(0, 200)}…` : url, peer: req.socket.remoteAddress };
    const route = parseCmpPath(url);
    if (!route) return this.refuseAndDrain(req, res, 404, 'not a CMP endpoint', where);
    if (req.method !== 'POST') return this.refuseAndDrain(req, res, 405, 'CMP requests are POSTed', where, { Allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== CMP_CONTENT_TYPE) return this.refuseAndDrain(req, res, 415, `Content-Type must be ${CMP_CONTENT_TYPE}`, where);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.opts.maxBodyBytes) {
      return this.refuseAndDrain(req, res, 413, `body larger than ${this.opts.maxBodyBytes} bytes`, where);
    }
    let body: Uint8Array;
    try {
      body = await readBoundedBody(req, this.opts.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) return this.refuseAndDrain(req, res, 413, `body larger than ${this.opts.maxBodyBytes} bytes`, where);
      this.logger.info('request body not received', { ...where, error: e as Error });
      res.destroy();
      return;
    }
    if (body.length === 0) return this.refuse(res, 400, 'empty body: a CMP request is one DER PKIMessage', where);

    const admitted = this.gate.enter();
    if (!admitted) return this.refuse(res, 503, 'too many requests', where, { 'Retry-After': '1' });
    this.stats.queued = this.gate.queued;
    await admitted;
    this.stats.active = this.gate.active;
    this.stats.maxActiveSeen = Math.max(this.stats.maxActiveSeen, this.gate.active);
    let response: Uint8Array;
    try {
      response = await this.opts.handle(body, route);
    } finally {
      this.gate.leave();
      this.stats.active = this.gate.active;
      this.stats.queued = this.gate.queued;
    }
    if (res.destroyed) return;
    res.writeHead(200, { 'Content-Type': CMP_CONTENT_TYPE, 'Content-Length': response.length, 'Cache-Control': 'no-cache' });
    res.end(response);
    this.stats.answered++;
    let described: LogFields = {};
    try {
      described = this.opts.describe?.(body, response) ?? {};
    } catch {
      described = {};
    }
    this.logger.info('cmp', {
      ...route,
      ...described,
      requestBytes: body.length,
      responseBytes: response.length,
      ms: Math.round((performance.now() - started) * 10) / 10,
      peer: where.peer,
    });
  }

  /** Refuses, then closes the connection once the answer is out if the body was not read. */
  private refuseAndDrain(req: IncomingMessage, res: ServerResponse, status: number, text: string, where: LogFields, headers: Record<string, string> = {}): void {
    const unread = !req.complete;
    this.refuse(res, status, text, where, unread ? { ...headers, Connection: 'close' } : headers);
    if (unread) {
      // Node ends the connection after this answer (Connection: close); what the client still
      // sends meanwhile is discarded unread, and a client that keeps sending is cut off.
      req.resume();
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
    }
  }
}

