/**
 * The registrar's CMP resources over CoAP (RFC 9482): POST with Content-Format 259
 * (application/pkixcmp) to /.well-known/cmp, /.well-known/cmp/<operation>,
 * /.well-known/cmp/p/<label> and /.well-known/cmp/p/<label>/<operation>; listed in
 * /.well-known/core with rt="ace.cmp" and ct=259.
 *
 * The answer is the CMP response as payload, Content-Format 259, code 2.04 (Changed, the POST
 * success code of RFC 7252 §5.9.1.4) — for every CMP answer, a CMP error message too: CoAP error
 * codes are kept for CoAP-level problems (RFC 9482 §2; its exact wording could not be checked
 * offline, see docs/registrar.md). CoAP codes: 4.05 other methods, 4.15 other Content-Formats
 * (Router), 4.04 other paths, 4.00 an empty payload, 4.13 (with Size1) a body over the bound
 * (Block1 transfers are bounded by the BlockwiseLayer with the same limit).
 */
import { Code } from '../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../src/codec/coap/numbers/options.ts';
import { uintOpt } from '../src/codec/coap/option-value.ts';
import { PKIBODY_TYPES } from '../src/codec/cmp/index.ts';
import type { Logger } from '../src/core/logger.ts';
import type { LocalRa } from '../src/protocol/registrar/local-ra.ts';
import { edhocPeer } from '../src/stack/edhoc-resource.ts';
import { response, type CoapResponse } from '../src/stack/exchange.ts';
import type { RoutedRequest, Router } from '../src/stack/router.ts';
import { formatPeer } from '../src/transport/transport.ts';

export const CMP_RESOURCE_PATH = '/.well-known/cmp';
/** Resource type registered by RFC 9482 §4. */
export const RT_ACE_CMP = 'ace.cmp';

const SEGMENT = /^[A-Za-z0-9._~-]{1,64}$/;

export interface CmpResourceOptions {
  readonly ra: LocalRa;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Also list /.well-known/cmp/p/<label> in /.well-known/core. */
  readonly label?: string;
  readonly now?: () => number;
}

/** The label and operation of a path below /.well-known/cmp, or undefined for other paths. */
export function parseCmpSubPath(sub: readonly string[]): { label?: string; operation?: string } | undefined {
  if (sub.length === 0) return {};
  if (sub[0] === 'p') {
    if (sub.length < 2 || sub.length > 3 || !SEGMENT.test(sub[1]!)) return undefined;
    if (sub.length === 3 && !SEGMENT.test(sub[2]!)) return undefined;
    return { label: sub[1]!, ...(sub.length === 3 ? { operation: sub[2]! } : {}) };
  }
  if (sub.length === 1 && SEGMENT.test(sub[0]!)) return { operation: sub[0]! };
  return undefined;
}

export function installCmpResource(router: Router, o: CmpResourceOptions): void {
  const now = o.now ?? Date.now;
  const cf = [uintOpt(Opt.CONTENT_FORMAT, ContentFormat.PKIXCMP)];
  const attrs = { rt: RT_ACE_CMP, ct: ContentFormat.PKIXCMP };
  router.add({
    path: CMP_RESOURCE_PATH,
    prefix: true,
    accepts: [ContentFormat.PKIXCMP],
    produces: [ContentFormat.PKIXCMP],
    attrs,
    links: () => (o.label ? [{ href: `${CMP_RESOURCE_PATH}/p/${o.label}`, attrs }] : []),
    methods: {
      [Code.POST]: async (req: RoutedRequest): Promise<CoapResponse> => {
        const route = parseCmpSubPath(req.subPath);
        if (!route) return response(Code.NOT_FOUND, 'not a CMP path');
        if (req.payload.length === 0) return response(Code.BAD_REQUEST, 'empty CMP request');
        if (req.payload.length > o.maxBodyBytes) {
          return response(Code.REQUEST_ENTITY_TOO_LARGE, `CMP request over ${o.maxBodyBytes} bytes`, [uintOpt(Opt.SIZE1, o.maxBodyBytes)]);
        }
        const t0 = now();
        const peer = formatPeer(req.peer);
        // Over OSCORE the CMP signer must be the pledge EDHOC authenticated (LocalRa checks).
        const oscore = edhocPeer(req);
        const oscorePeer = oscore && oscore.certificates.length > 0 ? { certificate: oscore.certificates[0]!, serialNumber: oscore.serialNumber } : undefined;
        const answer = await o.ra.handle(req.payload, { ...(route.label !== undefined ? { label: route.label } : {}), peer, ...(oscorePeer ? { oscorePeer } : {}) });
        o.logger.info('cmp', {
          peer,
          oscore: oscorePeer !== undefined,
          ...(route.label !== undefined ? { label: route.label } : {}),
          ...(route.operation !== undefined ? { operation: route.operation } : {}),
          request: peekBodyType(req.payload) ?? 'undecodable',
          response: peekBodyType(answer),
          requestBytes: req.payload.length,
          responseBytes: answer.length,
          ms: now() - t0,
        });
        return response(Code.CHANGED, answer, cf);
      },
    },
  });
}

/** The PKIBody type of a DER PKIMessage by a shallow walk (for logs only). */
export function peekBodyType(der: Uint8Array): string | undefined {
  const outer = tlv(der, 0, der.length);
  if (!outer || der[0] !== 0x30) return undefined;
  const header = tlv(der, outer.start, outer.end);
  if (!header) return undefined;
  const body = tlv(der, header.end, outer.end);
  if (!body) return undefined;
  const tag = der[header.end]!;
  return (tag & 0xe0) === 0xa0 ? PKIBODY_TYPES[tag & 0x1f] : undefined;
}

function tlv(der: Uint8Array, off: number, limit: number): { start: number; end: number } | undefined {
  if (off + 2 > limit || (der[off]! & 0x1f) === 0x1f) return undefined;
  let len = der[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { start, end };
}
