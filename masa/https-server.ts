/**
 * The MASA's HTTPS front (RFC 8995 §5.4): node:https with the manufacturer's MASA TLS
 * certificate, TLS client authentication requested but not required (the registrar's certificate,
 * when sent, is handed to the authority and recorded in the audit log; trust in it comes from
 * the RVR's signature chain, RFC 8995 §5.5.2).
 *
 *   POST /.well-known/brski/requestvoucher   → MasaVoucherAuthority.requestVoucher
 *   POST /.well-known/brski/requestauditlog  → MasaVoucherAuthority.requestAuditLog
 *
 * HTTP-level refusals: 404 other paths, 405 other methods, 413 bodies above the limit (checked on
 * Content-Length and while reading), 400 an empty body. Every answer gets one log line.
 */
import { BodyTooLarge, readBoundedBody } from '../src/transport/http-body.ts';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { silentLogger, type LogFields, type Logger } from '../src/core/logger.ts';
import type { MasaHttpRequest, MasaHttpResponse, MasaVoucherAuthority } from './voucher-authority.ts';

export const BRSKI_WELL_KNOWN = '/.well-known/brski';
export const PATH_REQUEST_VOUCHER = `${BRSKI_WELL_KNOWN}/requestvoucher`;
export const PATH_REQUEST_AUDIT_LOG = `${BRSKI_WELL_KNOWN}/requestauditlog`;

export interface MasaHttpsServerOptions {
  readonly authority: MasaVoucherAuthority;
  /** PEM private key and PEM certificate chain (leaf first) of the TLS server. */
  readonly key: string;
  readonly cert: string;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
}

export interface MasaHttpStats {
  requests: number;
  byStatus: Record<number, number>;
}

export class MasaHttpsServer {
  private readonly server: Server;
  private readonly logger: Logger;
  readonly stats: MasaHttpStats = { requests: 0, byStatus: {} };

  constructor(private readonly opts: MasaHttpsServerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.server = createServer({ key: opts.key, cert: opts.cert, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, (req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        this.logger.error('request failed', { error: e as Error });
        if (!res.headersSent) this.send(res, { status: 500, contentType: 'text/plain; charset=utf-8', body: Buffer.from('internal error\n'), fields: {} });
        else res.destroy();
      });
    });
    const timeout = opts.requestTimeoutMs ?? 30_000;
    this.server.requestTimeout = timeout;
    this.server.headersTimeout = Math.min(timeout, 20_000);
    this.server.keepAliveTimeout = 5_000;
    this.server.maxConnections = 256;
    this.server.on('tlsClientError', (err) => this.logger.debug('TLS handshake failed', { error: err }));
  }

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

  async close(): Promise<void> {
    const closed = new Promise<void>((res) => this.server.close(() => res()));
    this.server.closeIdleConnections();
    setTimeout(() => this.server.closeAllConnections(), 2000).unref();
    await closed;
  }

  private send(res: ServerResponse, r: MasaHttpResponse, extraHeaders: Record<string, string> = {}): void {
    this.stats.byStatus[r.status] = (this.stats.byStatus[r.status] ?? 0) + 1;
    res.writeHead(r.status, { 'Content-Type': r.contentType, 'Content-Length': r.body.length, 'Cache-Control': 'no-store', ...extraHeaders });
    res.end(r.body);
  }

  private plain(status: number, reason: string, fields: LogFields = {}): MasaHttpResponse {
    return { status, contentType: 'text/plain; charset=utf-8', body: Buffer.from(`${reason}\n`, 'utf8'), reason, fields };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.stats.requests++;
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const socket = req.socket as TLSSocket;
    const peer = { peer: socket.remoteAddress, method: req.method, path: path.length > 100 ? `${path.slice(0, 100)}…` : path };
    const handler =
      path === PATH_REQUEST_VOUCHER
        ? (r: MasaHttpRequest) => this.opts.authority.requestVoucher(r)
        : path === PATH_REQUEST_AUDIT_LOG
          ? (r: MasaHttpRequest) => this.opts.authority.requestAuditLog(r)
          : undefined;
    let answer: MasaHttpResponse;
    let headers: Record<string, string> = {};
    if (!handler) answer = this.plain(404, 'not a BRSKI MASA resource');
    else if (req.method !== 'POST') {
      answer = this.plain(405, 'voucher and audit-log requests are POSTed');
      headers = { Allow: 'POST' };
    } else {
      const declared = Number(req.headers['content-length'] ?? 0);
      let body: Uint8Array | undefined;
      if (declared > this.opts.maxBodyBytes) answer = this.plain(413, `body larger than ${this.opts.maxBodyBytes} bytes`);
      else {
        try {
          body = await readBoundedBody(req, this.opts.maxBodyBytes);
        } catch (e) {
          if (!(e instanceof BodyTooLarge)) {
            this.logger.info('request body not received', { ...peer, error: e as Error });
            res.destroy();
            return;
          }
        }
        if (body === undefined) answer = this.plain(413, `body larger than ${this.opts.maxBodyBytes} bytes`);
        else if (body.length === 0) answer = this.plain(400, 'empty body: POST the registrar voucher-request');
        else {
          const client = socket.getPeerCertificate?.();
          const tlsClientCertificate = client && client.raw ? new Uint8Array(client.raw) : undefined;
          answer = handler({
            body,
            ...(req.headers['content-type'] !== undefined ? { contentType: req.headers['content-type'] } : {}),
            ...(req.headers.accept !== undefined ? { accept: req.headers.accept } : {}),
            ...(tlsClientCertificate ? { tlsClientCertificate } : {}),
          });
        }
      }
    }
    if (!req.complete) {
      headers.Connection = 'close';
      req.resume();
    }
    this.send(res, answer, headers);
    const line = { ...peer, ...answer.fields, status: answer.status, responseBytes: answer.body.length, ms: Math.round((performance.now() - started) * 10) / 10 };
    if (answer.status >= 400) this.logger.warn('refused', { ...line, reason: answer.reason });
    else this.logger.info(answer.fields.op === 'requestauditlog' ? 'audit log served' : 'voucher issued', line);
  }
}

