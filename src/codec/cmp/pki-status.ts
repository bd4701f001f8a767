/**
 * ```asn1
 * PKIStatus ::= INTEGER {
 *   accepted (0), grantedWithMods (1), rejection (2), waiting (3),
 *   revocationWarning (4), revocationNotification (5), keyUpdateWarning (6) }
 * ```
 * (RFC 9810 §5.2.3)
 */
export const PKIStatus = {
  accepted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
  keyUpdateWarning: 6,
} as const;

export type PKIStatusName = keyof typeof PKIStatus;

/** The name of a status value, or undefined for values outside RFC 9810. */
export function pkiStatusName(status: number): PKIStatusName | undefined {
  for (const [name, value] of Object.entries(PKIStatus)) if (value === status) return name as PKIStatusName;
  return undefined;
}
