/**
 * `brski pledge --discover`: finding the join proxy's join port (draft-ietf-anima-constrained-
 * join-proxy-20 §5.2). The pledge asks GET /.well-known/core?brski-jp=* and takes the first link
 * with a `brski-jp` port: `<>;brski-jp=PORT` means the join proxy's address with that port. A proxy
 * of -19 or earlier answers `?rt=brski.jp` instead, with a link whose target carries the port
 * (`<coap://[fe80::1]:8485>;rt=brski.jp`); when the first query selects nothing, the older one is
 * asked too.
 */
import { isIP } from 'node:net';
import { Code } from '../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../src/codec/coap/numbers/options.ts';
import { uintOpt, uintOption } from '../src/codec/coap/option-value.ts';
import { parseCoapUri, pathOptions } from '../src/codec/coap/uri.ts';
import { linkMatches, parseLinks, type Link } from '../src/codec/link-format/link-format.ts';
import { fromUtf8 } from '../src/core/bytes.ts';
import type { Clock } from '../src/core/clock.ts';
import { StackError } from '../src/core/errors.ts';
import type { Logger } from '../src/core/logger.ts';
import { ATTR_BRSKI_JP, RT_BRSKI_JP_LEGACY } from '../src/protocol/join-proxy/registrar-discovery.ts';
import type { EndpointConfig } from '../src/protocol/coap/transmission-params.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { Endpoint } from '../src/stack/endpoint.ts';
import type { Transport } from '../src/transport/transport.ts';

export interface JoinProxyChoice {
  /** The join proxy's host: the discovery host, or the one a legacy link names. */
  readonly host: string;
  readonly port: number;
  /** The link it was chosen from, as received. */
  readonly link: string;
}

const formatCode = (c: number): string => `${c >> 5}.${String(c & 31).padStart(2, '0')}`;

function portOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 && n <= 0xffff ? n : undefined;
}

/**
 * The first usable join-proxy link of a discovery answer. `base` is the URI that was asked
 * (coap://HOST:PORT/), against which targets resolve; undefined when no link qualifies.
 */
export function chooseJoinProxy(links: readonly Link[], base: string): JoinProxyChoice | undefined {
  for (const l of links) {
    let target: URL;
    try {
      target = new URL(l.href, base);
    } catch {
      continue;
    }
    const h = target.hostname;
    const host = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
    const jp = portOf(l.attrs[ATTR_BRSKI_JP]);
    if (jp !== undefined && host) return { host, port: jp, link: linkText(l) };
    if (linkMatches(l, 'rt', RT_BRSKI_JP_LEGACY) && host) {
      const port = portOf(target.port) ?? 5683;
      return { host, port, link: linkText(l) };
    }
  }
  return undefined;
}

function linkText(l: Link): string {
  return [`<${l.href}>`, ...Object.entries(l.attrs).map(([k, v]) => (v === true ? k : `${k}=${Array.isArray(v) ? v.join(' ') : String(v)}`))].join(';');
}

export interface DiscoverJoinProxyOptions {
  /** A bound transport for the short-lived endpoint; it is closed afterwards. */
  readonly transport: Transport;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** ACK_TIMEOUT and MAX_RETRANSMIT of the discovery requests. */
  readonly coap?: Partial<Pick<EndpointConfig, 'ackTimeoutMs' | 'maxRetransmit'>>;
  /** Bound for each GET (default 30 s). */
  readonly timeoutMs?: number;
}

/**
 * Asks `uri` (coap://HOST[:PORT]) for the join port, with the current query first and the legacy
 * one second. The host of the answer is an IP literal when HOST is: callers resolve names first.
 */
export async function discoverJoinProxy(uri: string, opts: DiscoverJoinProxyOptions): Promise<JoinProxyChoice> {
  const target = parseCoapUri(uri);
  const hostText = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const base = `coap://${hostText}:${target.port}/`;
  const endpoint = new Endpoint(opts.transport, [new BlockwiseLayer()], {
    config: { ...opts.coap },
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  try {
    const answers: string[] = [];
    for (const query of [`${ATTR_BRSKI_JP}=*`, `rt=${RT_BRSKI_JP_LEGACY}`]) {
      const res = await endpoint.request({
        method: Code.GET,
        options: [...pathOptions('/.well-known/core', [query]), uintOpt(Opt.ACCEPT, ContentFormat.LINK_FORMAT)],
        payload: new Uint8Array(0),
        peer: { address: target.host, port: target.port },
        confirmable: true,
        timeoutMs: opts.timeoutMs ?? 30_000,
      });
      if (res.code !== Code.CONTENT) {
        answers.push(`?${query}: ${formatCode(res.code)}`);
        continue;
      }
      const cf = uintOption(res, Opt.CONTENT_FORMAT);
      if (cf !== undefined && cf !== ContentFormat.LINK_FORMAT) {
        answers.push(`?${query}: content-format ${cf}`);
        continue;
      }
      const text = fromUtf8(res.payload);
      const choice = chooseJoinProxy(parseLinks(text), base);
      if (choice) return choice;
      answers.push(`?${query}: '${text.slice(0, 80)}'`);
    }
    throw new StackError('ERR_NOT_FOUND', `no join proxy link at ${uri} (${answers.join('; ')})`);
  } finally {
    await endpoint.close();
  }
}
