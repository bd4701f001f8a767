/**
 * Resource router: Uri-Path matching, methods (4.05), request Content-Format (4.15) and Accept
 * (4.06) checks, and /.well-known/core in CoRE Link Format with query filtering (RFC 6690).
 */
import { Code, codeName } from '../codec/coap/numbers/codes.ts';
import { ContentFormat } from '../codec/coap/numbers/content-formats.ts';
import { Opt } from '../codec/coap/numbers/options.ts';
import { stringOptions, uintOpt, uintOption } from '../codec/coap/option-value.ts';
import { encodeLinks, linkMatches, type Link, type LinkAttrValue } from '../codec/link-format/link-format.ts';
import { StackError, isStackError } from '../core/errors.ts';
import { response, type CoapResponse, type ServerRequest } from './exchange.ts';

export interface RoutedRequest extends ServerRequest {
  /** Uri-Path segments. */
  readonly path: readonly string[];
  /** Segments after the resource's own path (prefix resources). */
  readonly subPath: readonly string[];
  readonly query: readonly string[];
}

export type ResourceHandler = (req: RoutedRequest) => CoapResponse | Promise<CoapResponse>;

export interface ResourceDef {
  /** '/a/b' */
  readonly path: string;
  /** Handlers by method code (Code.GET, Code.POST, ...). */
  readonly methods: Readonly<Partial<Record<number, ResourceHandler>>>;
  /** Match sub-paths too (the handler sees them in `subPath`). */
  readonly prefix?: boolean;
  /** Content-Formats accepted in request payloads; others get 4.15. */
  readonly accepts?: readonly number[];
  /** Content-Formats this resource can produce; an Accept outside them gets 4.06. */
  readonly produces?: readonly number[];
  /** Link attributes for /.well-known/core (rt, if, ct, sz, title, obs ...). */
  readonly attrs?: Readonly<Record<string, LinkAttrValue>>;
  /** Not listed in /.well-known/core. */
  readonly hidden?: boolean;
  /** Extra links listed under this resource (e.g. the files below a directory). */
  readonly links?: () => readonly Link[];
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

export class Router {
  private readonly resources: { def: ResourceDef; segments: string[] }[] = [];

  constructor(private readonly wellKnownCore = true) {}

  add(def: ResourceDef): this {
    const segments = splitPath(def.path);
    if (this.resources.some((r) => r.segments.join('/') === segments.join('/'))) {
      throw new StackError('ERR_CONFIG', `resource ${def.path} registered twice`);
    }
    this.resources.push({ def, segments });
    // Longest path first, so the most specific resource wins.
    this.resources.sort((a, b) => b.segments.length - a.segments.length);
    return this;
  }

  links(): Link[] {
    const out: Link[] = [];
    for (const { def, segments } of [...this.resources].reverse()) {
      if (!def.hidden) out.push({ href: `/${segments.join('/')}`, attrs: def.attrs ?? {} });
      if (def.links) out.push(...def.links());
    }
    return out;
  }

  /** The request handler for Endpoint.setHandler. */
  readonly handle = async (req: ServerRequest): Promise<CoapResponse> => {
    let path: string[];
    let query: string[];
    try {
      path = stringOptions(req, Opt.URI_PATH);
      query = stringOptions(req, Opt.URI_QUERY);
    } catch (e) {
      return response(Code.BAD_OPTION, isStackError(e) ? e.message : 'bad option');
    }
    if (this.wellKnownCore && path.length === 2 && path[0] === '.well-known' && path[1] === 'core') {
      return this.wellKnown(req, query);
    }
    const match = this.find(path);
    if (!match) return response(Code.NOT_FOUND);
    const { def, segments } = match;
    const handler = def.methods[req.method];
    if (!handler) return response(Code.METHOD_NOT_ALLOWED, `${codeName(req.method)} not allowed`);
    const cf = uintOption(req, Opt.CONTENT_FORMAT);
    if (def.accepts && (req.payload.length > 0 || cf !== undefined) && (cf === undefined || !def.accepts.includes(cf))) {
      return response(Code.UNSUPPORTED_CONTENT_FORMAT, `content-format ${cf ?? 'none'} not accepted`);
    }
    const accept = uintOption(req, Opt.ACCEPT);
    if (accept !== undefined && def.produces && !def.produces.includes(accept)) {
      return response(Code.NOT_ACCEPTABLE, `cannot produce content-format ${accept}`);
    }
    return handler({ ...req, path, subPath: path.slice(segments.length), query });
  };

  private find(path: readonly string[]): { def: ResourceDef; segments: string[] } | undefined {
    for (const r of this.resources) {
      const s = r.segments;
      if (path.length < s.length || (!r.def.prefix && path.length !== s.length)) continue;
      let ok = true;
      for (let i = 0; i < s.length; i++) {
        if (s[i] !== path[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return r;
    }
    return undefined;
  }

  private wellKnown(req: ServerRequest, query: readonly string[]): CoapResponse {
    if (req.method !== Code.GET) return response(Code.METHOD_NOT_ALLOWED);
    const accept = uintOption(req, Opt.ACCEPT);
    if (accept !== undefined && accept !== ContentFormat.LINK_FORMAT) return response(Code.NOT_ACCEPTABLE);
    let links = this.links();
    for (const q of query) {
      const eq = q.indexOf('=');
      const name = eq < 0 ? q : q.slice(0, eq);
      const value = eq < 0 ? '' : q.slice(eq + 1);
      links = links.filter((l) => linkMatches(l, name, value));
    }
    return response(Code.CONTENT, encodeLinks(links), [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.LINK_FORMAT)]);
  }
}
