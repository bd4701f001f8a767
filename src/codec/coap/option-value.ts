/** Option value formats (RFC 7252 §3.2) and typed access to a message's options. */
import { StackError } from '../../core/errors.ts';
import type { CoapOption } from './message.ts';
import { optionName } from './numbers/options.ts';

const EMPTY = new Uint8Array(0);

/** Anything that carries options: a message, a request or a response. */
export interface HasOptions {
  readonly options: readonly CoapOption[];
}
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Minimal big-endian encoding: 0 is the empty string. */
export function encodeUint(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new StackError('ERR_INVALID_ARGUMENT', `option uint ${n} is not a 32-bit unsigned integer`);
  }
  if (n === 0) return EMPTY;
  if (n < 0x100) return Uint8Array.of(n);
  if (n < 0x10000) return Uint8Array.of(n >> 8, n & 0xff);
  if (n < 0x1000000) return Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
  return Uint8Array.of(n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** Decodes up to 4 bytes (leading zeros are tolerated, as §3.2 asks of receivers). */
export function decodeUint(b: Uint8Array, optionNumber?: number): number {
  if (b.length > 4) {
    throw new StackError('ERR_COAP_BAD_OPTION', `${optionNumber === undefined ? 'uint' : optionName(optionNumber)} value of ${b.length} bytes is longer than 4`, {
      option: optionNumber,
    });
  }
  let n = 0;
  for (let i = 0; i < b.length; i++) n = n * 256 + b[i]!;
  return n;
}

export function encodeString(s: string): Uint8Array {
  return enc.encode(s);
}

export function decodeString(b: Uint8Array, optionNumber?: number): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  // Most option strings are short ASCII (paths, queries): skip the strict UTF-8 decoder for them.
  if (ascii && b.length <= 64) return String.fromCharCode.apply(null, b as unknown as number[]);
  try {
    return dec.decode(b);
  } catch (cause) {
    throw new StackError('ERR_COAP_BAD_OPTION', `${optionNumber === undefined ? 'string' : optionName(optionNumber)} value is not UTF-8`, { option: optionNumber }, cause);
  }
}

export function findOption(m: HasOptions, n: number): Uint8Array | undefined {
  for (const o of m.options) if (o.number === n) return o.value;
  return undefined;
}

export function findOptions(m: HasOptions, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const o of m.options) if (o.number === n) out.push(o.value);
  return out;
}

export function hasOption(m: HasOptions, n: number): boolean {
  for (const o of m.options) if (o.number === n) return true;
  return false;
}

export function uintOption(m: HasOptions, n: number): number | undefined {
  const v = findOption(m, n);
  return v === undefined ? undefined : decodeUint(v, n);
}

export function stringOptions(m: HasOptions, n: number): string[] {
  return findOptions(m, n).map((v) => decodeString(v, n));
}

/** Options with `n` removed. */
export function withoutOption(options: readonly CoapOption[], ...n: number[]): CoapOption[] {
  return options.filter((o) => !n.includes(o.number));
}

/** Options with every `n` replaced by `values` (kept sorted). */
export function withOption(options: readonly CoapOption[], n: number, ...values: Uint8Array[]): CoapOption[] {
  const out = options.filter((o) => o.number !== n);
  let i = 0;
  while (i < out.length && out[i]!.number <= n) i++;
  out.splice(i, 0, ...values.map((value) => ({ number: n, value })));
  return out;
}

export function uintOpt(n: number, v: number): CoapOption {
  return { number: n, value: encodeUint(v) };
}

export function stringOpt(n: number, s: string): CoapOption {
  return { number: n, value: encodeString(s) };
}

export function sortOptions(options: CoapOption[]): CoapOption[] {
  return options.sort((a, b) => a.number - b.number);
}
