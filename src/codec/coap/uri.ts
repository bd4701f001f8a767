/** coap:// URIs to request options and back (RFC 7252 §6.4 and §6.5). */
import { isIP } from 'node:net';
import { StackError } from '../../core/errors.ts';
import type { CoapOption } from './message.ts';
import { Opt } from './numbers/options.ts';
import { stringOpt, uintOpt } from './option-value.ts';

export interface CoapUri {
  readonly scheme: 'coap' | 'coaps';
  /** Host as written (brackets removed from IPv6 literals). */
  readonly host: string;
  readonly port: number;
  readonly path: readonly string[];
  readonly query: readonly string[];
}

export const RFC7252_S6_1_DEFAULT_PORT = 5683;
export const RFC7252_S6_2_DEFAULT_SECURE_PORT = 5684;

export function parseCoapUri(text: string): CoapUri {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new StackError('ERR_URI', `not a URI: ${text}`, {}, cause);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'coap' && scheme !== 'coaps') throw new StackError('ERR_URI', `scheme ${scheme} is not coap or coaps`);
  if (url.hash) throw new StackError('ERR_URI', 'a coap URI has no fragment');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) throw new StackError('ERR_URI', `no host in ${text}`);
  const port = url.port ? Number(url.port) : scheme === 'coaps' ? RFC7252_S6_2_DEFAULT_SECURE_PORT : RFC7252_S6_1_DEFAULT_PORT;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch (cause) {
      throw new StackError('ERR_URI', `bad percent-encoding in '${s}'`, {}, cause);
    }
  };
  // §6.4 step 8: a path of "/" alone adds no Uri-Path; empty segments in between are kept.
  const rawPath = url.pathname === '/' || url.pathname === '' ? [] : url.pathname.slice(1).split('/');
  const path = rawPath.map(decode);
  const query = url.search.length > 1 ? url.search.slice(1).split('&').map(decode) : [];
  return { scheme, host, port, path, query };
}

/**
 * Request options for a URI. Uri-Host is left out when the host is an IP literal, and Uri-Port
 * when it equals the destination port (§6.4 steps 5 and 6).
 */
export function uriOptions(uri: CoapUri, destinationPort = uri.port): CoapOption[] {
  const opts: CoapOption[] = [];
  if (isIP(uri.host) === 0) opts.push(stringOpt(Opt.URI_HOST, uri.host.toLowerCase()));
  if (uri.port !== destinationPort) opts.push(uintOpt(Opt.URI_PORT, uri.port));
  for (const s of uri.path) opts.push(stringOpt(Opt.URI_PATH, s));
  for (const q of uri.query) opts.push(stringOpt(Opt.URI_QUERY, q));
  return opts;
}

/** Options for a path like '/.well-known/core' (and an optional query). */
export function pathOptions(path: string, query: readonly string[] = []): CoapOption[] {
  const opts = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => stringOpt(Opt.URI_PATH, s));
  for (const q of query) opts.push(stringOpt(Opt.URI_QUERY, q));
  return opts;
}
