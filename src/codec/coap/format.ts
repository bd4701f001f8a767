/** One-line human rendering of a CoAP message, for traces (`--verbose`) and logs. */
import { toHex } from '../../core/bytes.ts';
import { decodeBlockOption, formatBlock } from './block-option.ts';
import type { CoapMessage } from './message.ts';
import { codeName } from './numbers/codes.ts';
import { OPTION_DEFS, Opt, optionName } from './numbers/options.ts';
import { TYPE_NAMES } from './numbers/types.ts';
import { decodeUint } from './option-value.ts';

function formatValue(n: number, v: Uint8Array): string {
  try {
    if (n === Opt.BLOCK1 || n === Opt.BLOCK2) return formatBlock(decodeBlockOption(v, n));
    const def = OPTION_DEFS.get(n);
    if (def?.format === 'uint') return String(decodeUint(v, n));
    if (def?.format === 'string') return JSON.stringify(new TextDecoder().decode(v));
    if (def?.format === 'empty') return '';
  } catch {
    // fall through to hex
  }
  return `0x${toHex(v)}`;
}

export function formatMessage(m: CoapMessage): string {
  const parts = [`${TYPE_NAMES[m.type]} [MID=${m.messageId}] ${codeName(m.code)}`];
  if (m.token.length) parts.push(`T=${toHex(m.token)}`);
  for (const o of m.options) {
    const v = formatValue(o.number, o.value);
    parts.push(v === '' ? optionName(o.number) : `${optionName(o.number)}:${v}`);
  }
  if (m.payload.length) parts.push(`payload ${m.payload.length} B`);
  return parts.join(' ');
}
