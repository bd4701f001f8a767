/**
 * The proxy's two discoveries (draft-ietf-anima-constrained-join-proxy-20 §5):
 *
 * - pledge side (§5.2): a CoAP handler for GET /.well-known/core answering `<>;brski-jp=PORT`, the
 *   join port. A query `brski-jp=*` selects it; so does the older `rt=brski.jp` of -19 and earlier
 *   (it gets the -20 link too). Other queries filter per RFC 6690 §4.1.
 * - registrar side (§5.1): GET /.well-known/core?rt=brski* at a configured CoAP URI; a link with
 *   rt=brski.rjp selects stateless mode, else rt=brski stateful.
 */
import { Code } from '../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../src/codec/coap/numbers/options.ts';
import { stringOptions, uintOpt, uintOption } from '../src/codec/coap/option-value.ts';
import { parseCoapUri, pathOptions } from '../src/codec/coap/uri.ts';
import { encodeLinks, linkMatches, parseLinks, type Link } from '../src/codec/link-format/link-format.ts';
import { fromUtf8 } from '../src/core/bytes.ts';
import { StackError, isStackError } from '../src/core/errors.ts';
import type { Logger } from '../src/core/logger.ts';
import { ATTR_BRSKI_JP, RT_BRSKI_JP_LEGACY, chooseRegistrar, type JoinProxyMode, type RegistrarChoice } from '../src/protocol/join-proxy/registrar-discovery.ts';
import { BlockwiseLayer } from '../src/stack/blockwise-layer.ts';
import { Endpoint } from '../src/stack/endpoint.ts';
import { response, type CoapResponse, type ServerRequest } from '../src/stack/exchange.ts';
import { UdpTransport } from '../src/transport/udp.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The handler of the pledge-side discovery endpoint. */
export function joinPortDiscoveryHandler(joinPort: number): (req: ServerRequest) => CoapResponse {
  const link: Link = { href: '', attrs: { [ATTR_BRSKI_JP]: joinPort } };
  /** How the same link looked before -20, for rt= queries from older pledges. */
  const legacy: Link = { href: '', attrs: { rt: RT_BRSKI_JP_LEGACY, [ATTR_BRSKI_JP]: joinPort } };
  return (req) => {
    let path: string[];
    let query: string[];
    try {
      path = stringOptions(req, Opt.URI_PATH);
      query = stringOptions(req, Opt.URI_QUERY);
    } catch (e) {
      return response(Code.BAD_OPTION, isStackError(e) ? e.message : 'bad option');
    }
    if (path.length !== 2 || path[0] !== '.well-known' || path[1] !== 'core') return response(Code.NOT_FOUND);
    if (req.method !== Code.GET) return response(Code.METHOD_NOT_ALLOWED);
    const accept = uintOption(req, Opt.ACCEPT);
    if (accept !== undefined && accept !== ContentFormat.LINK_FORMAT) return response(Code.NOT_ACCEPTABLE);
    let selected = true;
    for (const q of query) {
      const eq = q.indexOf('=');
      const name = eq < 0 ? q : q.slice(0, eq);
      const value = eq < 0 ? '' : q.slice(eq + 1);
      if (!linkMatches(name === 'rt' ? legacy : link, name, value)) selected = false;
    }
    return response(Code.CONTENT, selected ? encodeLinks([link]) : '', [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.LINK_FORMAT)]);
  };
}

export interface DiscoveredRegistrar extends RegistrarChoice {
  /** The registrar's address as an IP literal (names resolved). */
  readonly address: string;
  /** The links it was chosen from. */
  readonly links: readonly Link[];
}

/** Resolves a host name to one IP literal (literals pass through). */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host)).address;
  } catch (e) {
    throw new StackError('ERR_CONFIG', `cannot resolve '${host}': ${(e as Error).message}`, {}, e);
  }
}

/** GET URI/.well-known/core?rt=brski* and choose the registrar (§5.1; see docs/join-proxy.md on the query). */
export async function discoverRegistrar(uri: string, mode: JoinProxyMode | undefined, logger: Logger, timeoutMs = 20_000): Promise<DiscoveredRegistrar> {
  const target = parseCoapUri(uri);
  const address = await resolveHost(target.host);
  const transport = await UdpTransport.bind({ host: isIP(address) === 6 ? '::' : '0.0.0.0', port: 0, logger });
  const endpoint = new Endpoint(transport, [new BlockwiseLayer()], { logger });
  try {
    const res = await endpoint.request({
      method: Code.GET,
      options: pathOptions('/.well-known/core', ['rt=brski*']),
      payload: new Uint8Array(0),
      peer: { address, port: target.port },
      confirmable: true,
      timeoutMs,
    });
    if (res.code !== Code.CONTENT) throw new StackError('ERR_NOT_FOUND', `registrar discovery at ${uri} answered ${res.code >> 5}.${String(res.code & 31).padStart(2, '0')}`);
    const links = parseLinks(fromUtf8(res.payload));
    const base = `coap://${address.includes(':') ? `[${address}]` : address}:${target.port}/`;
    const choice = chooseRegistrar(links, base, mode);
    return { ...choice, address: await resolveHost(choice.host), links };
  } finally {
    await endpoint.close();
  }
}
