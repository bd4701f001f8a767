/**
 * Certificate extensions (RFC 5280 §4.2): builders for the ones we issue and readers for the ones
 * path validation and the roles look at. Builders return @peculiar/x509 Extension objects for
 * issueCertificate(); any other extension can be added from its OID and DER value.
 */
import { bytesEqual } from '../core/bytes.ts';
import { StackError } from '../core/errors.ts';
import type { Certificate } from './certificate.ts';
import {
  OID_CE_AUTHORITY_KEY_IDENTIFIER,
  OID_CE_BASIC_CONSTRAINTS,
  OID_CE_EXT_KEY_USAGE,
  OID_CE_KEY_USAGE,
  OID_CE_SUBJECT_KEY_IDENTIFIER,
} from './oids.ts';
import { x509 } from './x509-provider.ts';

/** KeyUsage bit names (RFC 5280 §4.2.1.3). */
export const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

export type KeyUsage = (typeof KEY_USAGES)[number];

export interface SubjectAltNames {
  readonly dns?: readonly string[];
  /** IPv4 or IPv6 addresses in text form. */
  readonly ip?: readonly string[];
  readonly uri?: readonly string[];
  readonly email?: readonly string[];
}

/** Any extension, given as its OID and the DER that goes inside extnValue's OCTET STRING. */
export interface RawExtension {
  readonly oid: string;
  readonly critical?: boolean;
  readonly value: Uint8Array;
}

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength?: number;
}

/** basicConstraints: critical by default, as RFC 5280 §4.2.1.9 requires in CA certificates. */
export function basicConstraintsExtension(bc: BasicConstraints, critical = true): x509.Extension {
  if (bc.pathLength !== undefined && (!bc.ca || !Number.isInteger(bc.pathLength) || bc.pathLength < 0)) {
    throw new StackError('ERR_INVALID_ARGUMENT', 'pathLength needs ca: true and a non-negative integer');
  }
  return new x509.BasicConstraintsExtension(bc.ca, bc.pathLength, critical);
}

/** keyUsage: critical by default (RFC 5280 §4.2.1.3 "SHOULD mark this extension critical"). */
export function keyUsageExtension(usages: readonly KeyUsage[], critical = true): x509.Extension {
  if (usages.length === 0) throw new StackError('ERR_INVALID_ARGUMENT', 'keyUsage needs at least one bit');
  let flags = 0;
  for (const u of usages) flags |= x509.KeyUsageFlags[u];
  return new x509.KeyUsagesExtension(flags, critical);
}

/** extKeyUsage from OIDs (RFC 5280 §4.2.1.12); non-critical by default. */
export function extendedKeyUsageExtension(oids: readonly string[], critical = false): x509.Extension {
  if (oids.length === 0) throw new StackError('ERR_INVALID_ARGUMENT', 'extKeyUsage needs at least one purpose');
  return new x509.ExtendedKeyUsageExtension([...oids], critical);
}

export function subjectKeyIdentifierExtension(keyId: Uint8Array): x509.Extension {
  return new x509.SubjectKeyIdentifierExtension(Buffer.from(keyId).toString('hex'), false);
}

/** authorityKeyIdentifier with keyIdentifier only (RFC 5280 §4.2.1.1). */
export function authorityKeyIdentifierExtension(keyId: Uint8Array): x509.Extension {
  return new x509.AuthorityKeyIdentifierExtension(Buffer.from(keyId).toString('hex'), false);
}

export function subjectAltNameExtension(names: SubjectAltNames, critical = false): x509.Extension {
  const list: x509.JsonGeneralNames = [
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(names.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(names.uri ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(names.email ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  if (list.length === 0) throw new StackError('ERR_INVALID_ARGUMENT', 'subjectAltName needs at least one name');
  return new x509.SubjectAlternativeNameExtension(list, critical);
}

export function rawExtension(ext: RawExtension): x509.Extension {
  return new x509.Extension(ext.oid, ext.critical ?? false, Uint8Array.from(ext.value));
}

// --- readers -------------------------------------------------------------------------------

/** The extension with this OID, or undefined; ERR_PKI when it occurs more than once (RFC 5280 §4.2). */
export function findExtension(cert: Certificate, oid: string): x509.Extension | undefined {
  const found = cert.extensions.filter((e) => e.type === oid);
  if (found.length > 1) throw new StackError('ERR_PKI', `extension ${oid} occurs ${found.length} times in ${cert.subject}`);
  return found[0];
}

export function readBasicConstraints(cert: Certificate): BasicConstraints | undefined {
  const ext = findExtension(cert, OID_CE_BASIC_CONSTRAINTS);
  if (!ext) return undefined;
  const bc = ext instanceof x509.BasicConstraintsExtension ? ext : new x509.BasicConstraintsExtension(ext.rawData);
  return bc.pathLength === undefined ? { ca: bc.ca } : { ca: bc.ca, pathLength: bc.pathLength };
}

export function readKeyUsage(cert: Certificate): KeyUsage[] | undefined {
  const ext = findExtension(cert, OID_CE_KEY_USAGE);
  if (!ext) return undefined;
  const ku = ext instanceof x509.KeyUsagesExtension ? ext : new x509.KeyUsagesExtension(ext.rawData);
  return KEY_USAGES.filter((u) => (ku.usages & x509.KeyUsageFlags[u]) !== 0);
}

/** The extKeyUsage purposes as OIDs, or undefined when the extension is absent. */
export function readExtendedKeyUsage(cert: Certificate): string[] | undefined {
  const ext = findExtension(cert, OID_CE_EXT_KEY_USAGE);
  if (!ext) return undefined;
  const eku = ext instanceof x509.ExtendedKeyUsageExtension ? ext : new x509.ExtendedKeyUsageExtension(ext.rawData);
  return eku.usages.map(String);
}

export function readSubjectKeyIdentifier(cert: Certificate): Uint8Array | undefined {
  const ext = findExtension(cert, OID_CE_SUBJECT_KEY_IDENTIFIER);
  if (!ext) return undefined;
  const ski = ext instanceof x509.SubjectKeyIdentifierExtension ? ext : new x509.SubjectKeyIdentifierExtension(ext.rawData);
  return Uint8Array.from(Buffer.from(ski.keyId, 'hex'));
}

export function readAuthorityKeyIdentifier(cert: Certificate): Uint8Array | undefined {
  const ext = findExtension(cert, OID_CE_AUTHORITY_KEY_IDENTIFIER);
  if (!ext) return undefined;
  const aki = ext instanceof x509.AuthorityKeyIdentifierExtension ? ext : new x509.AuthorityKeyIdentifierExtension(ext.rawData);
  return aki.keyId === undefined ? undefined : Uint8Array.from(Buffer.from(aki.keyId, 'hex'));
}

/** True when the AKI of `child` (if any) names the SKI of `issuer` (if any); absent values do not exclude. */
export function keyIdentifiersChain(child: Certificate, issuer: Certificate): boolean {
  const aki = readAuthorityKeyIdentifier(child);
  const ski = readSubjectKeyIdentifier(issuer);
  return aki === undefined || ski === undefined || bytesEqual(aki, ski);
}
