/**
 * Choosing a registrar from CoAP discovery results (draft-ietf-anima-constrained-join-proxy-20 §5.1).
 *
 * - stateless: a link with rt=brski.rjp and a `jpy://host:port` target; the port is mandatory (no
 *   default port exists for jpy, §4.5.1) and any path is ignored.
 * - stateful: a link with rt=brski and a `coaps://host[:port]/path` target (5684 when the port is
 *   left out; a `coap://` target means 5683; a relative target resolves against the URI that was
 *   queried); the path is not used by the proxy.
 * A generic proxy that finds any brski.rjp registrar MUST use stateless mode, otherwise stateful if
 * it finds a brski one (§4.1). A configured mode only accepts links of that mode.
 */
import { linkMatches, type Link } from '../../codec/link-format/link-format.ts';
import { StackError } from '../../core/errors.ts';

export type JoinProxyMode = 'stateful' | 'stateless';

export const RT_BRSKI = 'brski';
export const RT_BRSKI_RJP = 'brski.rjp';
/** The pledge-side target attribute of §5.2 (replacing rt=brski.jp of -19 and earlier). */
export const ATTR_BRSKI_JP = 'brski-jp';
export const RT_BRSKI_JP_LEGACY = 'brski.jp';

export interface RegistrarChoice {
  readonly mode: JoinProxyMode;
  /** Host as written in the link (brackets removed); may be a name. */
  readonly host: string;
  readonly port: number;
  /** The link target it came from. */
  readonly href: string;
}

function targetOf(href: string, base: string): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}

function hostOf(u: URL): string {
  const h = u.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** The stateless candidate of a link, if it is one. */
function statelessCandidate(link: Link, base: string): RegistrarChoice | undefined {
  if (!linkMatches(link, 'rt', RT_BRSKI_RJP)) return undefined;
  const u = targetOf(link.href, base);
  if (!u || u.protocol !== 'jpy:' || !u.port || !hostOf(u)) return undefined;
  return { mode: 'stateless', host: hostOf(u), port: Number(u.port), href: link.href };
}

function statefulCandidate(link: Link, base: string): RegistrarChoice | undefined {
  if (!linkMatches(link, 'rt', RT_BRSKI)) return undefined;
  const u = targetOf(link.href, base);
  if (!u || (u.protocol !== 'coaps:' && u.protocol !== 'coap:') || !hostOf(u)) return undefined;
  const port = u.port ? Number(u.port) : u.protocol === 'coaps:' ? 5684 : 5683;
  return { mode: 'stateful', host: hostOf(u), port, href: link.href };
}

/**
 * Picks the registrar from the links a discovery query returned. `base` is the URI that was queried
 * (for relative targets). Throws ERR_NOT_FOUND when no link fits.
 */
export function chooseRegistrar(links: readonly Link[], base: string, mode?: JoinProxyMode): RegistrarChoice {
  if (mode !== 'stateful') {
    for (const l of links) {
      const c = statelessCandidate(l, base);
      if (c) return c;
    }
  }
  if (mode !== 'stateless') {
    for (const l of links) {
      const c = statefulCandidate(l, base);
      if (c) return c;
    }
  }
  const wanted = mode === 'stateless' ? `rt=${RT_BRSKI_RJP} with a jpy://host:port target` : mode === 'stateful' ? `rt=${RT_BRSKI}` : `rt=${RT_BRSKI_RJP} or rt=${RT_BRSKI}`;
  throw new StackError('ERR_NOT_FOUND', `no registrar link (${wanted}) among ${links.length} discovered link(s) from ${base}`);
}
