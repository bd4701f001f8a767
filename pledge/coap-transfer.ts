/**
 * CMP over CoAP, client side (RFC 9482): each CMP message is the payload of a confirmable POST
 * with Content-Format 259 (application/pkixcmp) to /.well-known/cmp[/p/<label>]; the CMP answer
 * comes back in a 2.04 (2.05 accepted too). Any other CoAP code is a transport failure
 * (ERR_COAP_RESPONSE with the code and, for 5.03, the Max-Age to wait).
 */
import { Code, formatCode, isSuccess } from '../src/codec/coap/numbers/codes.ts';
import { ContentFormat } from '../src/codec/coap/numbers/content-formats.ts';
import { Opt } from '../src/codec/coap/numbers/options.ts';
import { stringOpt, uintOpt, uintOption } from '../src/codec/coap/option-value.ts';
import { fromUtf8 } from '../src/core/bytes.ts';
import { StackError } from '../src/core/errors.ts';
import type { Endpoint } from '../src/stack/endpoint.ts';
import type { ClientRequest, CoapResponse } from '../src/stack/exchange.ts';
import type { PeerAddress } from '../src/transport/transport.ts';

export const RFC9482_CMP_PATH = ['.well-known', 'cmp'] as const;

export interface CoapCmpTarget {
  readonly peer: PeerAddress;
  /** Uri-Path segments (default .well-known/cmp). */
  readonly path?: readonly string[];
  /** Uri-Host when the registrar was named by a host name. */
  readonly uriHost?: string;
  /** Block size for Block1 and Block2 (16..1024). */
  readonly blockSize: number;
  /** Upper bound for one exchange (all its blocks), ms. */
  readonly timeoutMs: number;
  /** Sends the request another way than endpoint.request (e.g. over an OSCORE context). */
  readonly send?: (req: ClientRequest) => Promise<CoapResponse>;
}

export function coapCmpTransfer(endpoint: Endpoint, t: CoapCmpTarget): (der: Uint8Array) => Promise<Uint8Array> {
  const options = [
    ...(t.uriHost ? [stringOpt(Opt.URI_HOST, t.uriHost)] : []),
    ...(t.path ?? RFC9482_CMP_PATH).map((s) => stringOpt(Opt.URI_PATH, s)),
    uintOpt(Opt.CONTENT_FORMAT, ContentFormat.PKIXCMP),
  ];
  return async (der) => {
    const send = t.send ?? ((r: ClientRequest) => endpoint.request(r));
    const res = await send({
      method: Code.POST,
      options,
      payload: der,
      peer: t.peer,
      confirmable: true,
      blockSize: t.blockSize,
      timeoutMs: t.timeoutMs,
    });
    if (!isSuccess(res.code) || res.code === Code.CONTINUE) {
      const maxAge = res.code === Code.SERVICE_UNAVAILABLE ? (uintOption(res, Opt.MAX_AGE) ?? 60) : undefined;
      let diagnostic = '';
      try {
        diagnostic = fromUtf8(res.payload.subarray(0, 120));
      } catch {
        diagnostic = `${res.payload.length} bytes`;
      }
      throw new StackError('ERR_COAP_RESPONSE', `registrar answered ${formatCode(res.code)}${diagnostic ? `: ${diagnostic}` : ''}`, {
        coapCode: res.code,
        ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
      });
    }
    const cf = uintOption(res, Opt.CONTENT_FORMAT);
    if (cf !== undefined && cf !== ContentFormat.PKIXCMP) {
      throw new StackError('ERR_COAP_RESPONSE', `registrar answered ${formatCode(res.code)} with content-format ${cf}, not ${ContentFormat.PKIXCMP}`, { coapCode: res.code });
    }
    if (res.payload.length === 0) throw new StackError('ERR_COAP_RESPONSE', `registrar answered ${formatCode(res.code)} without a CMP message`, { coapCode: res.code });
    return res.payload;
  };
}
