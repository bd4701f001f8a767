/** Block1/Block2 option values (RFC 7959 §2.2): NUM << 4 | M << 3 | SZX, size = 2^(SZX+4). */
import { StackError } from '../../core/errors.ts';
import { decodeUint, encodeUint } from './option-value.ts';

export interface BlockOption {
  readonly num: number;
  readonly more: boolean;
  readonly szx: number;
}

export const RFC7959_S2_2_SZX_MAX = 6;
export const RFC7959_S2_2_NUM_MAX = 0xfffff;

export const blockSize = (szx: number): number => 1 << (szx + 4);

/** SZX for a block size of 16..1024 bytes (a power of two). */
export function szxForSize(size: number): number {
  const szx = Math.log2(size) - 4;
  if (!Number.isInteger(szx) || szx < 0 || szx > RFC7959_S2_2_SZX_MAX) {
    throw new StackError('ERR_INVALID_ARGUMENT', `block size ${size} is not one of 16, 32, 64, 128, 256, 512, 1024`);
  }
  return szx;
}

export function encodeBlockOption(b: BlockOption): Uint8Array {
  if (b.szx < 0 || b.szx > RFC7959_S2_2_SZX_MAX || b.num < 0 || b.num > RFC7959_S2_2_NUM_MAX) {
    throw new StackError('ERR_INVALID_ARGUMENT', `block ${b.num}/${b.szx} out of range`);
  }
  return encodeUint(b.num * 16 + (b.more ? 8 : 0) + b.szx);
}

export function decodeBlockOption(value: Uint8Array, optionNumber?: number): BlockOption {
  if (value.length > 3) {
    throw new StackError('ERR_BLOCK_MALFORMED', `block option of ${value.length} bytes is longer than 3`, { option: optionNumber });
  }
  const v = decodeUint(value, optionNumber);
  const szx = v & 7;
  if (szx === 7) {
    // SZX 7 is BERT (RFC 8323), reserved on UDP.
    throw new StackError('ERR_BLOCK_MALFORMED', 'block SZX 7 (BERT) is reserved over UDP', { option: optionNumber });
  }
  return { num: Math.floor(v / 16), more: (v & 8) !== 0, szx };
}

export function formatBlock(b: BlockOption): string {
  return `${b.num}/${b.more ? 1 : 0}/${blockSize(b.szx)}`;
}
