/**
 * Branded byte strings of OSCORE (RFC 8613 §3.1, §5): a Sender/Recipient ID as carried in 'kid',
 * an ID Context as carried in 'kid context', and a Partial IV. The brands keep one from being
 * passed where another is expected (a kid is not a Partial IV).
 */
import { toHex } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';

export type Kid = Uint8Array & { readonly __brand: 'Kid' };
export type IdContext = Uint8Array & { readonly __brand: 'IdContext' };
export type PartialIv = Uint8Array & { readonly __brand: 'PartialIv' };

/** RFC 8613 §7.2.1: Sender Sequence Numbers stay below 2^40 (a Partial IV has at most 5 bytes). */
export const RFC8613_S7_2_1_MAX_SEQUENCE = 2 ** 40 - 1;
/** RFC 8613 §6.1: the Partial IV length n is 0..5 (6 and 7 are reserved). */
export const RFC8613_S6_1_MAX_PIV_LENGTH = 5;

export function asKid(b: Uint8Array): Kid {
  return Uint8Array.prototype.slice.call(b) as Kid;
}

export function asIdContext(b: Uint8Array): IdContext {
  return Uint8Array.prototype.slice.call(b) as IdContext;
}

/**
 * RFC 8613 §5: the Sender Sequence Number in network byte order without leading zero bytes,
 * except that 0 is the one byte 0x00.
 */
export function encodePartialIv(seq: number): PartialIv {
  if (!Number.isInteger(seq) || seq < 0 || seq > RFC8613_S7_2_1_MAX_SEQUENCE) {
    throw new StackError('ERR_INVALID_ARGUMENT', `sequence number ${seq} is not an integer in 0..2^40-1`);
  }
  const bytes: number[] = [];
  let v = seq;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  return Uint8Array.from(bytes) as PartialIv;
}

/** The sequence number a Partial IV stands for (leading zero bytes are tolerated). */
export function decodePartialIv(piv: PartialIv): number {
  if (piv.length === 0 || piv.length > RFC8613_S6_1_MAX_PIV_LENGTH) {
    throw new StackError('ERR_INVALID_ARGUMENT', `Partial IV of ${piv.length} bytes (expected 1..5)`);
  }
  let n = 0;
  for (const b of piv) n = n * 256 + b;
  return n;
}

/** Stable text key of an ID Context (absent and empty are different: nil vs h''). */
export function idContextKey(idContext: Uint8Array | undefined): string {
  return idContext === undefined ? '-' : `#${toHex(idContext)}`;
}

/** Registry key of a context: its ID Context and Recipient ID. */
export function contextKey(idContext: Uint8Array | undefined, recipientId: Uint8Array): string {
  return `${idContextKey(idContext)}/${toHex(recipientId)}`;
}
