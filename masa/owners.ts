/**
 * How an owner is written down (the --owners file and `brski masa owners`): a domain CA
 * certificate as PEM, or the lower- or upper-case hex SHA-256 of its DER (colons allowed, as
 * `openssl x509 -fingerprint -sha256` prints it).
 *
 *   owners file:  { "PLEDGE-0001": "3f2a…(64 hex)", "PLEDGE-0002": "-----BEGIN CERTIFICATE-----\n…" }
 */
import { StackError } from '../src/core/errors.ts';
import { certificateSha256Hex } from '../src/codec/voucher/index.ts';
import { certificateDer, isPem, parseCertificate } from '../src/pki/index.ts';

export interface OwnerIdentity {
  readonly sha256: string;
  readonly der?: Uint8Array;
}

export function parseOwnerIdentity(text: string, where: string): OwnerIdentity {
  const t = text.trim();
  if (isPem(t)) {
    let der: Uint8Array;
    try {
      der = certificateDer(parseCertificate(t));
    } catch (e) {
      throw new StackError('ERR_CONFIG', `${where}: not a readable PEM certificate`, {}, e);
    }
    return { sha256: certificateSha256Hex(der), der };
  }
  const hex = t.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new StackError('ERR_CONFIG', `${where}: expected a PEM certificate or a 64-digit hex SHA-256`);
  return { sha256: hex };
}

/** Pledge serial numbers as 802.1AR puts them in a PrintableString-ish subject attribute. */
export const SERIAL_PATTERN = /^[\x21-\x7e]{1,64}$/;
