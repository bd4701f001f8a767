/**
 * CMP over HTTP, client side (RFC 6712 as updated by RFC 9811): POST one DER PKIMessage with
 * `Content-Type: application/pkixcmp` and read the DER answer of a 200 with the same type. Every
 * CMP answer, an error message too, is a 200; anything else is a transport failure. One
 * connection per exchange (`Connection: close`), a timeout per exchange, the answer bounded.
 *
 * `fetch` is injected (jose's customFetch), so tests can run without sockets.
 */
import { StackError } from '../core/errors.ts';

export const PKIXCMP_MEDIA_TYPE = 'application/pkixcmp';
/** The well-known CMP path (RFC 9811 §3.3, RFC 9483 §6.1). */
export const CMP_WELL_KNOWN_PATH = '/.well-known/cmp';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpCmpOptions {
  /** The RA/CA: a base URL (`http://host:port`, the well-known path is added) or a full CMP URL. */
  readonly url: string;
  readonly fetch?: FetchLike;
  /** Largest answer accepted (default 1 MiB). */
  readonly maxResponseBytes?: number;
}

const LABEL = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * The CMP URL for a label: a base URL without a path gets `/.well-known/cmp` and, with a label,
 * `/p/<label>`; a URL ending in `/.well-known/cmp` gets `/p/<label>`; any other path is used as
 * given (the label then plays no part).
 */
export function cmpUrl(base: string, label?: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch (e) {
    throw new StackError('ERR_CONFIG', `not a URL: ${base}`, {}, e);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new StackError('ERR_CONFIG', `CMP URL must be http: or https:, got ${u.protocol}`);
  if (label !== undefined && !LABEL.test(label)) throw new StackError('ERR_CONFIG', `label ${JSON.stringify(label)} must match ${LABEL}`);
  const path = u.pathname.replace(/\/+$/, '');
  if (path === '' || path === CMP_WELL_KNOWN_PATH) {
    u.pathname = `${CMP_WELL_KNOWN_PATH}${label !== undefined ? `/p/${label}` : ''}`;
  }
  return u.toString();
}

export class HttpCmpClient {
  private readonly fetchImpl: FetchLike;
  private readonly maxResponseBytes: number;

  constructor(private readonly opts: HttpCmpOptions) {
    cmpUrl(opts.url); // validates
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.maxResponseBytes = opts.maxResponseBytes ?? 1 << 20;
  }

  /**
   * POSTs `der` and resolves to the DER answer. Rejects with StackError ERR_IO (details.reason
   * 'timeout', 'network', 'status' or 'content-type') or ERR_BODY_TOO_LARGE.
   */
  async send(der: Uint8Array, o: { readonly label?: string; readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<Uint8Array> {
    const url = cmpUrl(this.opts.url, o.label);
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': PKIXCMP_MEDIA_TYPE, accept: PKIXCMP_MEDIA_TYPE, connection: 'close', 'cache-control': 'no-cache' },
        body: der,
        signal,
      });
    } catch (e) {
      const timedOut = timeout.aborted;
      const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
      const why = timedOut ? `no answer within ${o.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e));
      throw new StackError('ERR_IO', `CMP POST to ${url} failed: ${why}`, { reason: timedOut ? 'timeout' : 'network' }, e);
    }
    try {
      if (res.status !== 200) {
        throw new StackError('ERR_IO', `CMP POST to ${url}: HTTP ${res.status} ${res.statusText}`, { reason: 'status', status: res.status });
      }
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== PKIXCMP_MEDIA_TYPE) {
        throw new StackError('ERR_IO', `CMP POST to ${url}: answer has content-type ${type || 'none'}, not ${PKIXCMP_MEDIA_TYPE}`, { reason: 'content-type' });
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > this.maxResponseBytes) {
        throw new StackError('ERR_BODY_TOO_LARGE', `CMP answer of ${declared} bytes exceeds ${this.maxResponseBytes}`);
      }
      return await readBounded(res, this.maxResponseBytes, signal, o.timeoutMs);
    } catch (e) {
      await res.body?.cancel().catch(() => undefined);
      throw e;
    }
  }
}

async function readBounded(res: Response, max: number, signal: AbortSignal, timeoutMs: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > max) throw new StackError('ERR_BODY_TOO_LARGE', `CMP answer exceeds ${max} bytes`);
      parts.push(value);
    }
  } catch (e) {
    if (e instanceof StackError) throw e;
    throw new StackError('ERR_IO', signal.aborted ? `CMP answer not complete within ${timeoutMs} ms` : `reading the CMP answer failed: ${(e as Error).message}`, {}, e);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
