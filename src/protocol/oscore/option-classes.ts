/**
 * Which CoAP options OSCORE encrypts (Class E, "Inner") and which stay visible (Class U, "Outer"),
 * after RFC 8613 §4.1 (Figure 5) and the special rules of §4.1.3:
 *
 * - Outer only: Uri-Host, Uri-Port, Proxy-Scheme, Proxy-Uri (after decomposing it, §4.1.3.3),
 *   OSCORE itself, Hop-Limit (RFC 8768 §3) and EDHOC (RFC 9668 §3.1).
 * - Observe: Inner and Outer (§4.1.3.5); in a notification the Inner value is empty.
 * - Max-Age, Block1, Block2, Size1, Size2, No-Response: an original option is Inner. Outer
 *   instances belong to hops: outer block-wise (§4.1.3.4.2, the block-wise layer below OSCORE)
 *   and Outer Max-Age 0 on unprotected OSCORE errors (§4.1.3.1). A receiver discards them (§8.2
 *   and §8.4 step 1), like every Class E option found outside the ciphertext.
 * - Everything else, known or not, is Inner (§4.1).
 *
 * No Class I option is defined, so the AAD's option field stays empty.
 */
import type { CoapOption } from '../../codec/coap/message.ts';
import { Opt } from '../../codec/coap/numbers/options.ts';
import { stringOpt } from '../../codec/coap/option-value.ts';
import { parseCoapUri, RFC7252_S6_1_DEFAULT_PORT, RFC7252_S6_2_DEFAULT_SECURE_PORT } from '../../codec/coap/uri.ts';
import { fromUtf8 } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';

export type OptionClass = 'E' | 'U' | 'EU';

/** Options that never enter the plaintext. */
const OUTER_ONLY = new Set<number>([Opt.URI_HOST, Opt.URI_PORT, Opt.OSCORE, Opt.HOP_LIMIT, Opt.EDHOC, Opt.PROXY_URI, Opt.PROXY_SCHEME]);
/** Options with an Inner and an Outer instance (Figure 5). */
const BOTH = new Set<number>([Opt.OBSERVE, Opt.MAX_AGE, Opt.BLOCK2, Opt.BLOCK1, Opt.SIZE2, Opt.SIZE1, Opt.NO_RESPONSE]);

/** RFC 7967: No-Response value 26 suppresses all responses; a client may repeat it Outer (§4.1.3.6). */
const NO_RESPONSE_ALL = 26;

export function optionClass(n: number): OptionClass {
  if (OUTER_ONLY.has(n)) return 'U';
  if (BOTH.has(n)) return 'EU';
  return 'E';
}

export interface SplitOptions {
  /** Class E: the plaintext's options. */
  readonly inner: CoapOption[];
  /** Class U: the OSCORE message's options (without the OSCORE option, added by the caller). */
  readonly outer: CoapOption[];
}

const byNumber = (a: CoapOption, b: CoapOption): number => a.number - b.number;

/**
 * Splits the options of an original message (the sender's side of §4.1). Throws when the message
 * already carries an OSCORE option (nested OSCORE is not supported, §4.1.3.7).
 */
export function splitOptions(options: readonly CoapOption[], kind: 'request' | 'response'): SplitOptions {
  const inner: CoapOption[] = [];
  const outer: CoapOption[] = [];
  for (const o of options) {
    switch (o.number) {
      case Opt.OSCORE:
        throw new StackError('ERR_INVALID_ARGUMENT', 'the message already carries an OSCORE option (nested OSCORE is not supported)');
      case Opt.PROXY_URI: {
        const { proxyUri, innerOptions } = decomposeProxyUri(o.value);
        outer.push(proxyUri);
        inner.push(...innerOptions);
        break;
      }
      case Opt.OBSERVE:
        // §4.1.3.5.1: both copies carry the registration value; §4.1.3.5.2: a notification's
        // Inner Observe is empty and its Outer one may keep the original value.
        inner.push(kind === 'request' ? o : { number: Opt.OBSERVE, value: new Uint8Array(0) });
        outer.push(o);
        break;
      case Opt.NO_RESPONSE:
        inner.push(o);
        if (kind === 'request' && o.value.length === 1 && o.value[0] === NO_RESPONSE_ALL) outer.push(o);
        break;
      default:
        (OUTER_ONLY.has(o.number) ? outer : inner).push(o);
    }
  }
  return { inner: inner.sort(byNumber), outer: outer.sort(byNumber) };
}

/**
 * The options of the decrypted message (the receiver's side, §8.2 steps 1 and 7, §8.4 steps 1 and
 * 6): the Outer options that are Class U only, and the Inner options. Outer Class E instances
 * (Observe, Max-Age, block options, ...) and the OSCORE option are dropped; Inner copies of
 * Outer-only options are ignored, as they are never sent encrypted.
 */
export function mergeOptions(outer: readonly CoapOption[], inner: readonly CoapOption[]): CoapOption[] {
  const out: CoapOption[] = [];
  for (const o of outer) if (OUTER_ONLY.has(o.number) && o.number !== Opt.OSCORE) out.push(o);
  for (const o of inner) if (!OUTER_ONLY.has(o.number)) out.push(o);
  return out.sort(byNumber);
}

/**
 * RFC 8613 §4.1.3.3: the client decomposes Proxy-Uri (RFC 7252 §6.4); Uri-Path and Uri-Query go
 * Inner and the Outer Proxy-Uri keeps scheme, host and port, e.g. "coap://example.com".
 */
export function decomposeProxyUri(value: Uint8Array): { proxyUri: CoapOption; innerOptions: CoapOption[] } {
  let text: string;
  try {
    text = fromUtf8(value);
  } catch (cause) {
    throw new StackError('ERR_URI', 'Proxy-Uri is not UTF-8', {}, cause);
  }
  const uri = parseCoapUri(text);
  const defaultPort = uri.scheme === 'coaps' ? RFC7252_S6_2_DEFAULT_SECURE_PORT : RFC7252_S6_1_DEFAULT_PORT;
  const host = uri.host.includes(':') ? `[${uri.host}]` : uri.host;
  const authority = uri.port === defaultPort ? host : `${host}:${uri.port}`;
  const innerOptions = [...uri.path.map((s) => stringOpt(Opt.URI_PATH, s)), ...uri.query.map((q) => stringOpt(Opt.URI_QUERY, q))];
  return { proxyUri: stringOpt(Opt.PROXY_URI, `${uri.scheme}://${authority}`), innerOptions };
}
