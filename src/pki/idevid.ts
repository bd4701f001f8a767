/**
 * What makes a certificate an IDevID in BRSKI: IEEE 802.1AR puts the device serial number in the
 * subject's serialNumber attribute (RFC 8995 §2.3.1), and RFC 8995 §2.3.2 adds the MASA URI
 * extension, id-pe-masa-url { id-pe 32 }, whose value is MASAURLSyntax ::= IA5String.
 * IDevIDs never expire: notAfter is GeneralizedTime 99991231235959Z (802.1AR §8.5, RFC 5280 §4.1.2.5).
 */
import { hexPrefix, StackError } from '../core/errors.ts';
import { subjectAttributes, type Certificate } from './certificate.ts';
import { findExtension, type RawExtension } from './extensions.ts';
import { OID_AT_SERIAL_NUMBER, OID_PE_MASA_URL } from './oids.ts';

/** RFC 5280 §4.1.2.5: the notAfter of a certificate without a well-defined expiration date. */
export const NO_WELL_DEFINED_EXPIRATION = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

const IA5 = /^[\x00-\x7f]*$/;

/** The id-pe-masa-url extension (non-critical) carrying `url`. */
export function masaUrlExtension(url: string): RawExtension {
  if (!IA5.test(url)) throw new StackError('ERR_INVALID_ARGUMENT', 'the MASA URL must be IA5 (ASCII) text');
  return { oid: OID_PE_MASA_URL, critical: false, value: encodeIa5String(url) };
}

/** The MASA URL from an IDevID, or undefined when the extension is absent. */
export function readMasaUrl(cert: Certificate): string | undefined {
  const ext = findExtension(cert, OID_PE_MASA_URL);
  if (!ext) return undefined;
  return decodeIa5String(new Uint8Array(ext.value));
}

/** The serialNumber attribute of the subject (the 802.1AR device serial), or undefined. */
export function readSubjectSerialNumber(cert: Certificate): string | undefined {
  const values = subjectAttributes(cert, OID_AT_SERIAL_NUMBER);
  if (values.length > 1) throw new StackError('ERR_PKI', `subject has ${values.length} serialNumber attributes`);
  return values[0];
}

const IA5_STRING_TAG = 0x16;

/** DER IA5String: tag 22, definite length (short or long form), the ASCII octets. */
function encodeIa5String(text: string): Uint8Array {
  const body = Buffer.from(text, 'latin1');
  const n = body.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else if (n < 0x100) len = [0x81, n];
  else if (n < 0x10000) len = [0x82, n >> 8, n & 0xff];
  else throw new StackError('ERR_INVALID_ARGUMENT', 'MASA URL longer than 65535 octets');
  return Uint8Array.from([IA5_STRING_TAG, ...len, ...body]);
}

function decodeIa5String(der: Uint8Array): string {
  const fail = (why: string): StackError =>
    new StackError('ERR_PKI', `id-pe-masa-url: ${why}`, { inputHex: hexPrefix(der, 16) });
  if (der.length < 2 || der[0] !== IA5_STRING_TAG) throw fail('not an IA5String');
  let off = 2;
  let n = der[1]!;
  if (n === 0x81 || n === 0x82) {
    const k = n & 0x7f;
    if (der.length < 2 + k) throw fail('truncated length');
    n = 0;
    for (let i = 0; i < k; i++) n = (n << 8) | der[2 + i]!;
    off = 2 + k;
  } else if (n >= 0x80) {
    throw fail('unsupported length form');
  }
  if (off + n !== der.length) throw fail(`length ${n} does not match the ${der.length - off} octets present`);
  const body = der.subarray(off);
  if (body.some((b) => b > 0x7f)) throw fail('non-ASCII octet');
  return Buffer.from(body).toString('latin1');
}
