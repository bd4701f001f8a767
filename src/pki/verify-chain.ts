/**
 * Certification path validation, the subset of RFC 5280 §6.1 that BRSKI-AE needs: build a path
 * from a leaf through untrusted intermediates to one of the trust anchors and check, for every
 * certificate on it,
 *   - the signature, made by the next certificate's key (and the two signature AlgorithmIdentifiers agree),
 *   - the validity window at the checking time,
 *   - name chaining: the issuer Name equals the next certificate's subject Name (DER compared);
 *     AKI/SKI only order the candidate issuers,
 *   - for every issuer (intermediates and the anchor): basicConstraints cA TRUE, keyUsage (when
 *     present) with keyCertSign, and pathLenConstraint,
 *   - no critical extension we do not understand,
 * and, when asked, that the leaf has a given extendedKeyUsage purpose.
 *
 * Stricter than §6.1: the trust anchor is a certificate and must be a valid CA certificate itself.
 * Not covered: revocation, policies, name constraints (a critical nameConstraints fails the path).
 *
 * On success it returns the path, leaf first and trust anchor last; on failure it throws
 * StackError ERR_CERT_CHAIN with details.reason (see ChainFailureReason) and details.subject.
 */
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { bytesEqual, toHex } from '../core/bytes.ts';
import { StackError } from '../core/errors.ts';
import {
  certificateDer,
  certificatePublicKey,
  issuerNameDer,
  isSelfIssued,
  subjectNameDer,
  toCertificate,
  type Certificate,
  type CertificateInput,
} from './certificate.ts';
import {
  keyIdentifiersChain,
  readBasicConstraints,
  readExtendedKeyUsage,
  readKeyUsage,
} from './extensions.ts';
import {
  OID_CE_AUTHORITY_KEY_IDENTIFIER,
  OID_CE_BASIC_CONSTRAINTS,
  OID_CE_EXT_KEY_USAGE,
  OID_CE_KEY_USAGE,
  OID_CE_SUBJECT_ALT_NAME,
  OID_CE_SUBJECT_KEY_IDENTIFIER,
} from './oids.ts';

export type ChainFailureReason =
  | 'malformed' // a certificate could not be read or has a duplicate extension
  | 'no-issuer' // no candidate certificate carries the issuer's name
  | 'untrusted' // the path ends in a self-issued certificate that is not a trust anchor
  | 'signature' // a signature does not verify with the issuer's key
  | 'expired'
  | 'not-yet-valid'
  | 'not-ca' // an issuer lacks basicConstraints cA TRUE
  | 'key-usage' // an issuer's keyUsage lacks keyCertSign
  | 'path-length' // an issuer's pathLenConstraint is exceeded
  | 'critical-extension' // a critical extension we do not process
  | 'eku' // the leaf lacks the required extendedKeyUsage
  | 'too-long'; // the path would exceed maxLength

export interface VerifyChainOptions {
  /** The time at which every certificate must be valid (default: now). */
  readonly at?: Date;
  /** An extendedKeyUsage OID the leaf must list. */
  readonly requireEku?: string;
  /** Longest path accepted, leaf and anchor included (default 8). */
  readonly maxLength?: number;
  /** Further critical extension OIDs the caller processes itself. */
  readonly knownCriticalExtensions?: readonly string[];
}

const HANDLED_CRITICAL = new Set([
  OID_CE_BASIC_CONSTRAINTS,
  OID_CE_KEY_USAGE,
  OID_CE_EXT_KEY_USAGE,
  OID_CE_SUBJECT_ALT_NAME,
  OID_CE_SUBJECT_KEY_IDENTIFIER,
  OID_CE_AUTHORITY_KEY_IDENTIFIER,
]);

/** One certificate with what path building looks at, computed once. */
interface Node {
  readonly cert: Certificate;
  readonly der: Uint8Array;
  readonly subject: string; // hex of subject Name DER
  readonly issuer: string; // hex of issuer Name DER
  readonly selfIssued: boolean;
  native?: NodeX509Certificate;
}

export function verifyChain(
  leaf: CertificateInput,
  intermediates: readonly CertificateInput[],
  trustAnchors: readonly CertificateInput[],
  options: VerifyChainOptions = {},
): Certificate[] {
  const at = options.at ?? new Date();
  const maxLength = options.maxLength ?? 8;
  const known = new Set([...HANDLED_CRITICAL, ...(options.knownCriticalExtensions ?? [])]);

  const leafNode = toNode(leaf, 'leaf');
  const anchors = trustAnchors.map((c, i) => toNode(c, `trust anchor ${i}`));
  const pool = intermediates.map((c, i) => toNode(c, `intermediate ${i}`));
  if (anchors.length === 0) throw failure('untrusted', leafNode, 'no trust anchors given');

  checkValidity(leafNode, at);
  checkCriticalExtensions(leafNode, known);
  if (options.requireEku !== undefined) {
    const ekus = readExtendedKeyUsage(leafNode.cert);
    if (!ekus?.includes(options.requireEku)) {
      throw failure('eku', leafNode, `${leafNode.cert.subject} lacks extendedKeyUsage ${options.requireEku}`);
    }
  }
  if (anchors.some((a) => bytesEqual(a.der, leafNode.der))) return [leafNode.cert];

  // Depth-first search over candidate issuers; remember the failure seen deepest in the search,
  // which is the most useful one to report when no path works.
  let best: { depth: number; error: StackError } | undefined;
  const note = (depth: number, error: StackError): void => {
    if (!best || depth > best.depth) best = { depth, error };
  };

  const extend = (path: Node[]): Node[] | undefined => {
    const current = path[path.length - 1]!;
    const depth = path.length;
    const candidates = [
      ...anchors.filter((a) => a.subject === current.issuer).map((node) => ({ node, anchor: true })),
      ...pool
        .filter((c) => c.subject === current.issuer && !path.some((p) => bytesEqual(p.der, c.der)))
        .filter((c) => !anchors.some((a) => bytesEqual(a.der, c.der)))
        .map((node) => ({ node, anchor: false })),
    ];
    // AKI/SKI do not exclude a candidate (its signature decides) but put the likely one first.
    candidates.sort((a, b) => Number(keyIdentifiersChain(current.cert, b.node.cert)) - Number(keyIdentifiersChain(current.cert, a.node.cert)));

    if (candidates.length === 0) {
      if (current.selfIssued && signatureVerifies(current, current)) {
        note(depth, failure('untrusted', current, `${current.cert.subject} is self-signed but not a trust anchor`));
      } else {
        note(depth, failure('no-issuer', current, `no issuer certificate for ${current.cert.subject} (issuer ${current.cert.issuer})`));
      }
      return undefined;
    }
    if (depth + 1 > maxLength) {
      note(depth, failure('too-long', current, `path longer than ${maxLength} certificates`));
      return undefined;
    }
    for (const { node, anchor } of candidates) {
      try {
        checkIssued(current, node, path, at, known);
      } catch (e) {
        if (!(e instanceof StackError)) throw e;
        note(depth, e);
        continue;
      }
      const next = [...path, node];
      if (anchor) return next;
      const found = extend(next);
      if (found) return found;
    }
    return undefined;
  };

  const path = extend([leafNode]);
  if (path) return path.map((n) => n.cert);
  throw best!.error;
}

/** Checks that `issuer` may have issued `child`, the last certificate of `path`. */
function checkIssued(child: Node, issuer: Node, path: readonly Node[], at: Date, known: ReadonlySet<string>): void {
  if (!sameSignatureAlgorithm(child.cert)) {
    throw failure('malformed', child, `${child.cert.subject}: signature and tbsCertificate.signature algorithms differ`);
  }
  if (!signatureVerifies(child, issuer)) {
    throw failure('signature', child, `signature on ${child.cert.subject} does not verify with the key of ${issuer.cert.subject}`);
  }
  checkValidity(issuer, at);
  checkCriticalExtensions(issuer, known);
  const bc = readBasicConstraintsOf(issuer);
  if (!bc?.ca) throw failure('not-ca', issuer, `${issuer.cert.subject} is not a CA (basicConstraints cA is not TRUE)`);
  const ku = readKeyUsageOf(issuer);
  if (ku && !ku.includes('keyCertSign')) {
    throw failure('key-usage', issuer, `${issuer.cert.subject} keyUsage lacks keyCertSign`);
  }
  if (bc.pathLength !== undefined) {
    // RFC 5280 §4.2.1.9: non-self-issued intermediates between this issuer and the leaf.
    const below = path.slice(1).filter((n) => !n.selfIssued).length;
    if (below > bc.pathLength) {
      throw failure('path-length', issuer, `${issuer.cert.subject} allows ${bc.pathLength} intermediate CA(s) below it, path has ${below}`);
    }
  }
}

function checkValidity(node: Node, at: Date): void {
  const t = at.getTime();
  if (t < node.cert.notBefore.getTime()) {
    throw failure('not-yet-valid', node, `${node.cert.subject} is not valid before ${node.cert.notBefore.toISOString()}`);
  }
  if (t > node.cert.notAfter.getTime()) {
    throw failure('expired', node, `${node.cert.subject} expired at ${node.cert.notAfter.toISOString()}`);
  }
}

function checkCriticalExtensions(node: Node, known: ReadonlySet<string>): void {
  for (const ext of node.cert.extensions) {
    if (ext.critical && !known.has(ext.type)) {
      throw failure('critical-extension', node, `${node.cert.subject} has unsupported critical extension ${ext.type}`);
    }
  }
}

function signatureVerifies(child: Node, issuer: Node): boolean {
  try {
    child.native ??= new NodeX509Certificate(child.der);
    return child.native.verify(certificatePublicKey(issuer.cert));
  } catch {
    return false;
  }
}

function sameSignatureAlgorithm(cert: Certificate): boolean {
  const asn = AsnConvert.parse(cert.rawData, AsnCertificate);
  const outer = AsnConvert.serialize(asn.signatureAlgorithm);
  const inner = AsnConvert.serialize(asn.tbsCertificate.signature);
  return bytesEqual(new Uint8Array(outer), new Uint8Array(inner));
}

function readBasicConstraintsOf(node: Node): ReturnType<typeof readBasicConstraints> {
  return guarded(node, () => readBasicConstraints(node.cert));
}

function readKeyUsageOf(node: Node): ReturnType<typeof readKeyUsage> {
  return guarded(node, () => readKeyUsage(node.cert));
}

function guarded<T>(node: Node, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new StackError('ERR_CERT_CHAIN', `${node.cert.subject}: ${(e as Error).message}`, { reason: 'malformed', subject: node.cert.subject }, e);
  }
}

function toNode(input: CertificateInput, what: string): Node {
  let cert: Certificate;
  try {
    cert = toCertificate(input);
  } catch (e) {
    throw new StackError('ERR_CERT_CHAIN', `${what} is not a readable certificate`, { reason: 'malformed' }, e);
  }
  const subject = toHex(subjectNameDer(cert));
  const issuer = toHex(issuerNameDer(cert));
  return { cert, der: certificateDer(cert), subject, issuer, selfIssued: isSelfIssued(cert) };
}

function failure(reason: ChainFailureReason, node: Node, message: string): StackError {
  return new StackError('ERR_CERT_CHAIN', message, {
    reason,
    subject: node.cert.subject,
    serialNumber: node.cert.serialNumber,
  });
}
