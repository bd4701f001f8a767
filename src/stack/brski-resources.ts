/**
 * cBRSKI voucher resources of a registrar (draft-ietf-anima-constrained-voucher §5.5), served over
 * OSCORE only (the EDHOC-authenticated IDevID takes the place of the DTLS client certificate):
 *
 *   POST /.well-known/brski/rv   CF 836 (COSE_Sign1 PVR) → 2.04, CF 836 (the voucher)
 *   POST /.well-known/brski/vs   CF 60 (CBOR voucher status telemetry) → 2.04
 *   POST /.well-known/brski/es   CF 60 (CBOR enrollment status telemetry) → 2.04
 *
 * A request without an EDHOC-derived OSCORE context gets 4.01. Listed in /.well-known/core with
 * rt="brski.rv" / "brski.vs" / "brski.es" (cBRSKI §14.1) and the `osc` attribute.
 */
import { Code } from '../codec/coap/numbers/codes.ts';
import { ContentFormat } from '../codec/coap/numbers/content-formats.ts';
import { Opt } from '../codec/coap/numbers/options.ts';
import { uintOpt, uintOption } from '../codec/coap/option-value.ts';
import type { Logger } from '../core/logger.ts';
import { edhocPeer, type EdhocPeer } from './edhoc-resource.ts';
import { response, type CoapResponse } from './exchange.ts';
import type { RoutedRequest, Router } from './router.ts';

export const BRSKI_ROOT = '/.well-known/brski';

export type VoucherOutcome =
  | { readonly kind: 'voucher'; readonly voucher: Uint8Array }
  /** code: a CoAP 4.xx code (4.00, 4.03, 4.04, 4.06, 4.15). */
  | { readonly kind: 'refused'; readonly code: number; readonly text: string }
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds: number; readonly text: string };

export interface BrskiHandlers {
  requestVoucher(pvr: Uint8Array, peer: EdhocPeer, req: RoutedRequest): Promise<VoucherOutcome>;
  /** Telemetry (`vs` or `es`): the CBOR payload as received; return a text to refuse with 4.00. */
  status(kind: 'vs' | 'es', payload: Uint8Array, peer: EdhocPeer): string | undefined;
  readonly logger?: Logger;
}

export function installBrskiResources(router: Router, h: BrskiHandlers): void {
  const authenticated = (req: RoutedRequest): EdhocPeer | CoapResponse =>
    edhocPeer(req) ?? response(Code.UNAUTHORIZED, 'BRSKI needs an OSCORE context from EDHOC');
  router.add({
    path: `${BRSKI_ROOT}/rv`,
    accepts: [ContentFormat.VOUCHER_COSE],
    produces: [ContentFormat.VOUCHER_COSE],
    attrs: { rt: 'brski.rv', ct: ContentFormat.VOUCHER_COSE, osc: true },
    methods: {
      [Code.POST]: async (req) => {
        const peer = authenticated(req);
        if ('code' in peer) return peer;
        const cf = uintOption(req, Opt.CONTENT_FORMAT);
        if (cf !== ContentFormat.VOUCHER_COSE) return response(Code.UNSUPPORTED_CONTENT_FORMAT, 'the voucher-request must be application/voucher+cose (836)');
        const accept = uintOption(req, Opt.ACCEPT);
        if (accept !== undefined && accept !== ContentFormat.VOUCHER_COSE) return response(Code.NOT_ACCEPTABLE, 'only application/voucher+cose (836) vouchers');
        if (req.payload.length === 0) return response(Code.BAD_REQUEST, 'empty voucher-request');
        const r = await h.requestVoucher(req.payload, peer, req);
        switch (r.kind) {
          case 'voucher':
            return response(Code.CHANGED, r.voucher, [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.VOUCHER_COSE)]);
          case 'refused':
            return response(r.code, r.text.slice(0, 200));
          case 'unavailable':
            return response(Code.SERVICE_UNAVAILABLE, r.text.slice(0, 200), [uintOpt(Opt.MAX_AGE, r.retryAfterSeconds)]);
        }
      },
    },
  });
  for (const kind of ['vs', 'es'] as const) {
    router.add({
      path: `${BRSKI_ROOT}/${kind}`,
      accepts: [ContentFormat.CBOR],
      attrs: { rt: `brski.${kind}`, ct: ContentFormat.CBOR, osc: true },
      methods: {
        [Code.POST]: (req) => {
          const peer = authenticated(req);
          if ('code' in peer) return peer;
          if (uintOption(req, Opt.CONTENT_FORMAT) !== ContentFormat.CBOR) return response(Code.UNSUPPORTED_CONTENT_FORMAT, 'status telemetry must be CBOR (60)');
          const refused = h.status(kind, req.payload, peer);
          if (refused !== undefined) return response(Code.BAD_REQUEST, refused.slice(0, 200));
          return response(Code.CHANGED);
        },
      },
    });
  }
}
