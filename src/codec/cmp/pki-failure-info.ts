import * as asn1js from 'asn1js';
import { BitString } from '@peculiar/asn1-schema';

/**
 * Named bits of PKIFailureInfo (RFC 9810 §5.2.3).
 *
 * ```asn1
 * PKIFailureInfo ::= BIT STRING {
 *   badAlg (0), badMessageCheck (1), badRequest (2), badTime (3), badCertId (4),
 *   badDataFormat (5), wrongAuthority (6), incorrectData (7), missingTimeStamp (8),
 *   badPOP (9), certRevoked (10), certConfirmed (11), wrongIntegrity (12),
 *   badRecipientNonce (13), timeNotAvailable (14), unacceptedPolicy (15),
 *   unacceptedExtension (16), addInfoNotAvailable (17), badSenderNonce (18),
 *   badCertTemplate (19), signerNotTrusted (20), transactionIdInUse (21),
 *   unsupportedVersion (22), notAuthorized (23), systemUnavail (24),
 *   systemFailure (25), duplicateCertReq (26) }
 * ```
 */
export const FailureInfo = {
  badAlg: 0,
  badMessageCheck: 1,
  badRequest: 2,
  badTime: 3,
  badCertId: 4,
  badDataFormat: 5,
  wrongAuthority: 6,
  incorrectData: 7,
  missingTimeStamp: 8,
  badPOP: 9,
  certRevoked: 10,
  certConfirmed: 11,
  wrongIntegrity: 12,
  badRecipientNonce: 13,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  badSenderNonce: 18,
  badCertTemplate: 19,
  signerNotTrusted: 20,
  transactionIdInUse: 21,
  unsupportedVersion: 22,
  notAuthorized: 23,
  systemUnavail: 24,
  systemFailure: 25,
  duplicateCertReq: 26,
} as const;

export type FailureInfoName = keyof typeof FailureInfo;

/**
 * PKIFailureInfo as a named-bit BIT STRING. DER drops trailing zero bits, so the encoding
 * is as long as the highest bit set; `fromBits` produces exactly that.
 */
export class PKIFailureInfo extends BitString {
  /** The DER value for the given bit numbers or names. */
  static fromBits(...bits: readonly (number | FailureInfoName)[]): PKIFailureInfo {
    const numbers = bits.map((b) => (typeof b === 'number' ? b : FailureInfo[b]));
    for (const n of numbers) {
      if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`failure bit ${n} out of range`);
    }
    const length = numbers.length === 0 ? 0 : Math.max(...numbers) + 1;
    const octets = new Uint8Array(Math.ceil(length / 8));
    for (const n of numbers) octets[n >> 3]! |= 0x80 >> (n & 7);
    const f = new PKIFailureInfo();
    f.value = octets.buffer;
    f.unusedBits = octets.length * 8 - length;
    return f;
  }

  /** Whether the named or numbered bit is set. */
  has(bit: number | FailureInfoName): boolean {
    const n = typeof bit === 'number' ? bit : FailureInfo[bit];
    const octets = new Uint8Array(this.value);
    return n >= 0 && n >> 3 < octets.length && (octets[n >> 3]! & (0x80 >> (n & 7))) !== 0;
  }

  /** The numbers of the set bits, ascending. */
  bits(): number[] {
    const octets = new Uint8Array(this.value);
    const out: number[] = [];
    for (let n = 0; n < octets.length * 8; n++) if ((octets[n >> 3]! & (0x80 >> (n & 7))) !== 0) out.push(n);
    return out;
  }

  /** The names of the set bits that RFC 9810 defines. */
  names(): FailureInfoName[] {
    const byNumber = new Map<number, FailureInfoName>();
    for (const [name, n] of Object.entries(FailureInfo)) byNumber.set(n, name as FailureInfoName);
    return this.bits().flatMap((n) => (byNumber.has(n) ? [byNumber.get(n)!] : []));
  }

  override fromASN(asn: asn1js.BitString): this {
    if (!(asn instanceof asn1js.BitString)) throw new TypeError('PKIFailureInfo is not a BIT STRING');
    const f = new PKIFailureInfo();
    f.unusedBits = asn.valueBlock.unusedBits;
    f.value = Uint8Array.prototype.slice.call(asn.valueBlock.valueHexView).buffer;
    return f as this;
  }
}
