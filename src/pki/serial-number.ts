/**
 * Certificate serial numbers (RFC 5280 §4.1.2.2): positive, unique per CA, at most 20 octets.
 * We draw 16 random octets with the top bit clear and a non-zero first octet, so the INTEGER is
 * positive and its DER encoding is exactly 16 octets long (no sign or padding octet).
 */
import { toHex } from '../core/bytes.ts';
import { StackError } from '../core/errors.ts';
import { cryptoRandom, type Random } from '../core/random.ts';

export const SERIAL_NUMBER_LENGTH = 16;

export function randomSerialNumber(random: Random = cryptoRandom): Uint8Array {
  const b = random.bytes(SERIAL_NUMBER_LENGTH);
  b[0] = b[0]! & 0x7f || 0x01;
  return b;
}

/** Hex of a serial for @peculiar/x509, checking RFC 5280's limits. */
export function serialNumberHex(serial: Uint8Array): string {
  if (serial.length === 0 || serial.length > 20) {
    throw new StackError('ERR_INVALID_ARGUMENT', `a serial number has 1 to 20 octets, got ${serial.length}`);
  }
  if ((serial[0]! & 0x80) !== 0 || serial.every((x) => x === 0)) {
    throw new StackError('ERR_INVALID_ARGUMENT', 'a serial number must be a positive integer');
  }
  if (serial.length > 1 && serial[0] === 0 && (serial[1]! & 0x80) === 0) {
    throw new StackError('ERR_INVALID_ARGUMENT', 'a serial number must be minimally encoded (no leading zero octet)');
  }
  return toHex(serial);
}
