/**
 * CoAP option numbers and their value formats (RFC 7252 §5.10 and §12.2, RFC 7959, RFC 7641,
 * RFC 8613, RFC 9175, RFC 9668). Critical = odd number; unsafe = bit 1; NoCacheKey = bits 2-4 all 1.
 */
export const Opt = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  OSCORE: 9,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  HOP_LIMIT: 16,
  ACCEPT: 17,
  Q_BLOCK1: 19,
  LOCATION_QUERY: 20,
  EDHOC: 21,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  Q_BLOCK2: 31,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  ECHO: 252,
  NO_RESPONSE: 258,
  REQUEST_TAG: 292,
} as const;

export type OptionFormat = 'empty' | 'opaque' | 'uint' | 'string';

export interface OptionDef {
  readonly name: string;
  readonly format: OptionFormat;
  readonly min: number;
  readonly max: number;
  readonly repeatable: boolean;
}

const d = (name: string, format: OptionFormat, min: number, max: number, repeatable = false): OptionDef => ({
  name,
  format,
  min,
  max,
  repeatable,
});

export const OPTION_DEFS: ReadonlyMap<number, OptionDef> = new Map<number, OptionDef>([
  [Opt.IF_MATCH, d('If-Match', 'opaque', 0, 8, true)],
  [Opt.URI_HOST, d('Uri-Host', 'string', 1, 255)],
  [Opt.ETAG, d('ETag', 'opaque', 1, 8, true)],
  [Opt.IF_NONE_MATCH, d('If-None-Match', 'empty', 0, 0)],
  [Opt.OBSERVE, d('Observe', 'uint', 0, 3)],
  [Opt.URI_PORT, d('Uri-Port', 'uint', 0, 2)],
  [Opt.LOCATION_PATH, d('Location-Path', 'string', 0, 255, true)],
  [Opt.OSCORE, d('OSCORE', 'opaque', 0, 255)],
  [Opt.URI_PATH, d('Uri-Path', 'string', 0, 255, true)],
  [Opt.CONTENT_FORMAT, d('Content-Format', 'uint', 0, 2)],
  [Opt.MAX_AGE, d('Max-Age', 'uint', 0, 4)],
  [Opt.URI_QUERY, d('Uri-Query', 'string', 0, 255, true)],
  [Opt.HOP_LIMIT, d('Hop-Limit', 'uint', 1, 1)],
  [Opt.ACCEPT, d('Accept', 'uint', 0, 2)],
  [Opt.LOCATION_QUERY, d('Location-Query', 'string', 0, 255, true)],
  [Opt.EDHOC, d('EDHOC', 'empty', 0, 0)],
  [Opt.BLOCK2, d('Block2', 'uint', 0, 3)],
  [Opt.BLOCK1, d('Block1', 'uint', 0, 3)],
  [Opt.SIZE2, d('Size2', 'uint', 0, 4)],
  [Opt.PROXY_URI, d('Proxy-Uri', 'string', 1, 1034)],
  [Opt.PROXY_SCHEME, d('Proxy-Scheme', 'string', 1, 255)],
  [Opt.SIZE1, d('Size1', 'uint', 0, 4)],
  [Opt.ECHO, d('Echo', 'opaque', 1, 40)],
  [Opt.NO_RESPONSE, d('No-Response', 'uint', 0, 1)],
  [Opt.REQUEST_TAG, d('Request-Tag', 'opaque', 0, 8, true)],
]);

export const isCritical = (n: number): boolean => (n & 1) === 1;
export const isUnsafe = (n: number): boolean => (n & 2) === 2;
export const isNoCacheKey = (n: number): boolean => (n & 0x1e) === 0x1c;

export function optionName(n: number): string {
  return OPTION_DEFS.get(n)?.name ?? `Option${n}`;
}
