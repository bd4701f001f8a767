/**
 * External Authorization Data (RFC 9528 §3.8): EAD_x = 1* ead, ead = ( ead_label : int,
 * ? ead_value : bstr ). A negative label marks a critical item; an unrecognised critical item is
 * an error (answered with error code 1). Label 0 is padding (§3.8.1), discarded on receipt.
 */
import { encodeCborSequence, type CborValue } from '../../codec/cbor/cbor.ts';
import type { CborItem } from './cbor-items.ts';
import { EdhocError } from './edhoc-error.ts';

export interface EadItem {
  readonly label: number;
  readonly value?: Uint8Array;
}

export const EAD_PADDING_LABEL = 0;

export function isCriticalEad(item: EadItem): boolean {
  return item.label < 0;
}

/** The encoded EAD field (empty when there are no items). */
export function encodeEad(items: readonly EadItem[] | undefined): Uint8Array {
  const seq: CborValue[] = [];
  for (const it of items ?? []) {
    if (!Number.isSafeInteger(it.label)) throw new EdhocError(`EAD label ${it.label} is not an integer`);
    seq.push(it.label);
    if (it.value !== undefined) seq.push(it.value);
  }
  return encodeCborSequence(seq);
}

/** Reads EAD items from the trailing items of a message or plaintext. */
export function parseEad(items: readonly CborItem[], what: string): EadItem[] {
  const out: EadItem[] = [];
  for (let i = 0; i < items.length; i++) {
    const label = items[i]!.value;
    if (typeof label !== 'number' || !Number.isSafeInteger(label)) throw EdhocError.malformed(what, `EAD label at offset ${items[i]!.offset} is not an integer`);
    const next = items[i + 1]?.value;
    if (next instanceof Uint8Array) {
      out.push({ label, value: next });
      i++;
    } else {
      out.push({ label });
    }
  }
  return out;
}

/**
 * Applies the criticality rule: drops padding, keeps the rest for the application, and throws
 * EdhocError (reply: error code 1) on a critical item whose |label| is not in `understood`.
 */
export function checkEad(items: readonly EadItem[], understood: readonly number[], what: string): EadItem[] {
  const kept: EadItem[] = [];
  for (const it of items) {
    if (it.label === EAD_PADDING_LABEL) continue;
    if (isCriticalEad(it) && !understood.includes(Math.abs(it.label))) {
      throw EdhocError.unspecified(`${what} has a critical EAD item with unknown label ${it.label}`, `unsupported critical EAD item ${it.label}`, {
        eadLabel: it.label,
      });
    }
    kept.push(it);
  }
  return kept;
}
