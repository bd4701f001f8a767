/**
 * Distinguished names (RFC 5280 §4.1.2.4) built from a short spec.
 *
 * A spec is a list of attributes in DER order (the first is the outermost RDN, e.g. C or O; the
 * last is the most specific, e.g. CN), or the same as a string "O=Acme, CN=pledge 1" (also in
 * DER order, as openssl -subj and @peculiar/x509 read them; not the reversed RFC 4514 order).
 * Values are UTF8String (RFC 5280 §4.1.2.6 "SHOULD"), except countryName and serialNumber,
 * which X.520 defines as PrintableString.
 */
import { StackError } from '../core/errors.ts';
import {
  OID_AT_COMMON_NAME,
  OID_AT_COUNTRY,
  OID_AT_LOCALITY,
  OID_AT_ORGANIZATION,
  OID_AT_ORGANIZATIONAL_UNIT,
  OID_AT_SERIAL_NUMBER,
  OID_AT_STATE,
} from './oids.ts';
import { x509 } from './x509-provider.ts';

export interface NameAttribute {
  /** A short name (C, ST, L, O, OU, CN, serialNumber) or a dotted OID. */
  readonly type: string;
  readonly value: string;
}

export type NameSpec = string | readonly NameAttribute[];

const SHORT_NAMES: Readonly<Record<string, string>> = {
  C: OID_AT_COUNTRY,
  ST: OID_AT_STATE,
  L: OID_AT_LOCALITY,
  O: OID_AT_ORGANIZATION,
  OU: OID_AT_ORGANIZATIONAL_UNIT,
  CN: OID_AT_COMMON_NAME,
  serialNumber: OID_AT_SERIAL_NUMBER,
};

const PRINTABLE_ONLY = new Set([OID_AT_COUNTRY, OID_AT_SERIAL_NUMBER]);
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** The @peculiar/x509 Name for a spec; ERR_INVALID_ARGUMENT for unknown types or bad values. */
export function buildName(spec: NameSpec): x509.Name {
  const attrs = typeof spec === 'string' ? parseNameString(spec) : spec;
  if (attrs.length === 0) throw new StackError('ERR_INVALID_ARGUMENT', 'a distinguished name needs at least one attribute');
  const json: x509.JsonNameParams = attrs.map(({ type, value }) => {
    const oid = attributeOid(type);
    if (PRINTABLE_ONLY.has(oid)) {
      if (!PRINTABLE.test(value)) {
        throw new StackError('ERR_INVALID_ARGUMENT', `${type} must be a PrintableString, got ${JSON.stringify(value)}`);
      }
      return { [oid]: [{ printableString: value }] };
    }
    return { [oid]: [{ utf8String: value }] };
  });
  return new x509.Name(json);
}

/** The dotted OID for a short attribute name or an OID. */
export function attributeOid(type: string): string {
  if (/^\d+(\.\d+)+$/.test(type)) return type;
  const oid = SHORT_NAMES[type];
  if (!oid) throw new StackError('ERR_INVALID_ARGUMENT', `unknown name attribute type ${type}`);
  return oid;
}

/** "O=Acme, CN=x" (DER order) as a list of attributes; `\,` escapes a comma in a value. */
export function parseNameString(s: string): NameAttribute[] {
  const out: NameAttribute[] = [];
  let current = '';
  const parts: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      current += s[++i];
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else if (ch === '+') {
      throw new StackError('ERR_INVALID_ARGUMENT', 'multi-valued RDNs (+) are not supported in name strings');
    } else {
      current += ch;
    }
  }
  parts.push(current);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new StackError('ERR_INVALID_ARGUMENT', `not a TYPE=value pair: ${JSON.stringify(part.trim())}`);
    out.push({ type: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
  }
  return out;
}

/** A readable form of a name, in DER order, with serialNumber shown by name. */
export function formatName(name: x509.Name): string {
  return new x509.Name(name.toArrayBuffer(), { serialNumber: OID_AT_SERIAL_NUMBER }).toString();
}
