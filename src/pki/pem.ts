/**
 * PEM armour (RFC 7468): base64 DER between "-----BEGIN label-----" and "-----END label-----".
 * Decoding is strict about the armour (matching labels, base64 alphabet) and lax about line
 * lengths and surrounding text, as RFC 7468 §2 asks of parsers.
 */
import { StackError } from '../core/errors.ts';

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

export const PEM_CERTIFICATE = 'CERTIFICATE';
export const PEM_PRIVATE_KEY = 'PRIVATE KEY';
export const PEM_PUBLIC_KEY = 'PUBLIC KEY';

/** PEM text of one DER object, 64 base64 characters a line, ending in a newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = [`-----BEGIN ${label}-----`];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(`-----END ${label}-----`, '');
  return lines.join('\n');
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Every PEM block in `text`, in order; `label` keeps only blocks with that label. */
export function decodePemBlocks(text: string, label?: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m;
    if (begin !== end) {
      throw new StackError('ERR_PKI', `PEM block BEGIN ${begin} closed by END ${end}`, { offset: m.index });
    }
    const b64 = body!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new StackError('ERR_PKI', `PEM block ${begin} is not valid base64`, { offset: m.index });
    }
    if (label === undefined || begin === label) {
      out.push({ label: begin!, der: Uint8Array.from(Buffer.from(b64, 'base64')) });
    }
  }
  return out;
}

/** The DER of the only (or first) block with `label`; throws ERR_PKI when there is none. */
export function decodePem(text: string, label: string): Uint8Array {
  const blocks = decodePemBlocks(text, label);
  if (blocks.length === 0) throw new StackError('ERR_PKI', `no PEM block labelled ${label}`);
  return blocks[0]!.der;
}

/** True when `input` looks like PEM text rather than DER bytes. */
export function isPem(input: string | Uint8Array): boolean {
  if (typeof input === 'string') return input.includes('-----BEGIN ');
  // DER starts with a SEQUENCE tag 0x30; PEM with '-' (0x2d) or whitespace.
  return input.length > 0 && input[0] !== 0x30 && Buffer.from(input.subarray(0, 4096)).toString('latin1').includes('-----BEGIN ');
}
