/**
 * CoRE Link Format (RFC 6690): `</path>;rt="a b";ct=40;if=x,</other>` — encode, parse, and the
 * query filtering of /.well-known/core (§4.1: one attribute=value, `*` at the end matches a prefix).
 */
import { StackError } from '../../core/errors.ts';

export type LinkAttrValue = string | number | true | readonly (string | number)[];

export interface Link {
  readonly href: string;
  readonly attrs: Readonly<Record<string, LinkAttrValue>>;
}

/** Attributes written as tokens (unquoted) when they are numbers. */
const SPACE_SEPARATED = new Set(['rt', 'if', 'ct', 'rel']);

function encodeAttr(name: string, v: LinkAttrValue): string {
  if (v === true) return name;
  if (typeof v === 'number') return `${name}=${v}`;
  if (Array.isArray(v)) {
    const allNumbers = v.every((x) => typeof x === 'number');
    const joined = v.join(' ');
    return allNumbers && v.length === 1 ? `${name}=${joined}` : `${name}="${joined}"`;
  }
  return `${name}="${String(v).replace(/(["\\])/g, '\\$1')}"`;
}

export function encodeLinks(links: readonly Link[]): string {
  return links
    .map((l) => [`<${l.href}>`, ...Object.entries(l.attrs).map(([k, v]) => encodeAttr(k, v))].join(';'))
    .join(',');
}

/** Parses a link-format document; throws ERR_LINK_FORMAT with the offset of the problem. */
export function parseLinks(text: string): Link[] {
  const links: Link[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new StackError('ERR_LINK_FORMAT', `${msg} at offset ${i}`, { offset: i });
  };
  const n = text.length;
  if (n === 0) return links;
  for (;;) {
    if (text[i] !== '<') fail("expected '<'");
    const close = text.indexOf('>', i);
    if (close < 0) fail("missing '>'");
    const href = text.slice(i + 1, close);
    i = close + 1;
    const attrs: Record<string, LinkAttrValue> = {};
    while (text[i] === ';') {
      i++;
      const m = /^[A-Za-z0-9!#$&+\-.^_`|~*]+/.exec(text.slice(i));
      if (!m) fail('expected an attribute name');
      const name = m![0];
      i += name.length;
      let value: LinkAttrValue = true;
      if (text[i] === '=') {
        i++;
        if (text[i] === '"') {
          i++;
          let s = '';
          while (i < n && text[i] !== '"') {
            if (text[i] === '\\') i++;
            if (i >= n) break;
            s += text[i++];
          }
          if (text[i] !== '"') fail('unterminated quoted value');
          i++;
          value = s;
        } else {
          const t = /^[^;,]*/.exec(text.slice(i))![0];
          i += t.length;
          value = /^\d+$/.test(t) ? Number(t) : t;
        }
      }
      attrs[name] = value;
    }
    links.push({ href, attrs });
    if (i >= n) break;
    if (text[i] !== ',') fail("expected ',' or ';'");
    i++;
  }
  return links;
}

function values(v: LinkAttrValue): string[] {
  if (v === true) return [''];
  if (Array.isArray(v)) return v.map(String);
  const s = String(v);
  return s.split(' ');
}

/**
 * RFC 6690 §4.1 query filter: `href`, or any attribute; space-separated attributes (rt, if, ct)
 * match when any of their values matches; a trailing `*` matches a prefix.
 */
export function linkMatches(link: Link, name: string, pattern: string): boolean {
  const prefix = pattern.endsWith('*');
  const want = prefix ? pattern.slice(0, -1) : pattern;
  const test = (s: string): boolean => (prefix ? s.startsWith(want) : s === want);
  if (name === 'href') return test(link.href);
  const v = link.attrs[name];
  if (v === undefined) return false;
  const candidates = SPACE_SEPARATED.has(name) ? values(v) : [v === true ? '' : Array.isArray(v) ? v.join(' ') : String(v)];
  return candidates.some(test);
}
