/**
 * EST-coaps resources (RFC 9148) served over OSCORE only (draft-ietf-ace-coap-est-oscore):
 *
 *   GET  /.well-known/est/crts  → 2.05, CF 281 (PKCS#7 certs-only; default), 287 (the first
 *                                 certificate) or 62 (multipart-core of 287 parts) by Accept
 *   POST /.well-known/est/sen   CF 286 (PKCS#10) → 2.04, CF 281 (default) or 287 by Accept
 *   POST /.well-known/est/sren  as /sen
 *   GET  /.well-known/est/att   → 2.05, CF 285 (csrattrs)
 *
 * Every function needs an authenticated client (RFC 9148 §4): a request without an EDHOC-derived
 * OSCORE context gets 4.01. A delayed enrollment is answered 5.03 with Max-Age (RFC 9148 §4.7):
 * the client sends the same request again after that many seconds. Listed in /.well-known/core
 * with rt="ace.est.*", ct and the `osc` attribute the EST-oscore draft requires.
 */
import { Code } from '../codec/coap/numbers/codes.ts';
import { ContentFormat } from '../codec/coap/numbers/content-formats.ts';
import { Opt } from '../codec/coap/numbers/options.ts';
import { uintOpt, uintOption } from '../codec/coap/option-value.ts';
import { encodeCertsOnly } from '../codec/est/certs-only.ts';
import { encodeMultipartCore } from '../codec/est/multipart-core.ts';
import type { Logger } from '../core/logger.ts';
import { edhocPeer, type EdhocPeer } from './edhoc-resource.ts';
import { response, type CoapResponse } from './exchange.ts';
import type { RoutedRequest, Router } from './router.ts';

export const EST_ROOT = '/.well-known/est';
/** csrattrs with no attributes: `CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID` (RFC 7030 §4.5.2), empty. */
export const EMPTY_CSR_ATTRS = Uint8Array.of(0x30, 0x00);

export type EstEnrollOutcome =
  | { readonly kind: 'issued'; readonly certificateDer: Uint8Array }
  | { readonly kind: 'waiting'; readonly retryAfterSeconds: number }
  | { readonly kind: 'rejected'; readonly reason: 'badRequest' | 'notAuthorized' | 'failed'; readonly text: string };

export interface EstHandlers {
  /** The CA certificates (DER), the domain root first. */
  caCertificates(): readonly Uint8Array[];
  enroll(csrDer: Uint8Array, peer: EdhocPeer, req: RoutedRequest, reenroll: boolean): Promise<EstEnrollOutcome>;
  /** csrattrs (DER); default an empty sequence. */
  csrAttributes?(): Uint8Array;
  readonly logger?: Logger;
}

const cf = (n: number) => [uintOpt(Opt.CONTENT_FORMAT, n)];

function certResponse(code: number, der: Uint8Array, accept: number | undefined): CoapResponse {
  if (accept === ContentFormat.PKIX_CERT) return response(code, der, cf(ContentFormat.PKIX_CERT));
  return response(code, encodeCertsOnly([der]), cf(ContentFormat.PKCS7_CERTS_ONLY));
}

export function installEstResources(router: Router, h: EstHandlers): void {
  const authenticated = (req: RoutedRequest): EdhocPeer | CoapResponse => edhocPeer(req) ?? response(Code.UNAUTHORIZED, 'EST needs an OSCORE context from EDHOC');
  const enroll = (reenroll: boolean) => async (req: RoutedRequest): Promise<CoapResponse> => {
    const peer = authenticated(req);
    if ('code' in peer) return peer;
    if (req.payload.length === 0) return response(Code.BAD_REQUEST, 'empty PKCS#10 request');
    const accept = uintOption(req, Opt.ACCEPT);
    const r = await h.enroll(req.payload, peer, req, reenroll);
    h.logger?.info('est', { function: reenroll ? 'sren' : 'sen', pledge: peer.serialNumber, outcome: r.kind });
    switch (r.kind) {
      case 'issued':
        return certResponse(Code.CHANGED, r.certificateDer, accept);
      case 'waiting':
        return response(Code.SERVICE_UNAVAILABLE, 'enrollment pending, retry the same request after Max-Age', [uintOpt(Opt.MAX_AGE, r.retryAfterSeconds)]);
      case 'rejected':
        return response(r.reason === 'badRequest' ? Code.BAD_REQUEST : r.reason === 'notAuthorized' ? Code.FORBIDDEN : Code.INTERNAL_SERVER_ERROR, r.text.slice(0, 200));
    }
  };
  const certFormats = [ContentFormat.PKCS7_CERTS_ONLY, ContentFormat.PKIX_CERT];
  router.add({
    path: `${EST_ROOT}/crts`,
    produces: [...certFormats, ContentFormat.MULTIPART_CORE],
    attrs: { rt: 'ace.est.crts', ct: [ContentFormat.PKCS7_CERTS_ONLY, ContentFormat.PKIX_CERT, ContentFormat.MULTIPART_CORE], osc: true },
    methods: {
      [Code.GET]: (req) => {
        const peer = authenticated(req);
        if ('code' in peer) return peer;
        const certs = h.caCertificates();
        const accept = uintOption(req, Opt.ACCEPT);
        if (accept === ContentFormat.PKIX_CERT) return response(Code.CONTENT, certs[0]!, cf(ContentFormat.PKIX_CERT));
        if (accept === ContentFormat.MULTIPART_CORE) {
          return response(Code.CONTENT, encodeMultipartCore(certs.map((c) => ({ contentFormat: ContentFormat.PKIX_CERT, payload: c }))), cf(ContentFormat.MULTIPART_CORE));
        }
        return response(Code.CONTENT, encodeCertsOnly(certs), cf(ContentFormat.PKCS7_CERTS_ONLY));
      },
    },
  });
  for (const [name, re] of [['sen', false], ['sren', true]] as const) {
    router.add({
      path: `${EST_ROOT}/${name}`,
      accepts: [ContentFormat.PKCS10],
      produces: certFormats,
      attrs: { rt: `ace.est.${name}`, ct: certFormats, osc: true },
      methods: { [Code.POST]: enroll(re) },
    });
  }
  router.add({
    path: `${EST_ROOT}/att`,
    produces: [ContentFormat.CSRATTRS],
    attrs: { rt: 'ace.est.att', ct: ContentFormat.CSRATTRS, osc: true },
    methods: {
      [Code.GET]: (req) => {
        const peer = authenticated(req);
        if ('code' in peer) return peer;
        return response(Code.CONTENT, h.csrAttributes?.() ?? EMPTY_CSR_ATTRS, cf(ContentFormat.CSRATTRS));
      },
    },
  });
}
