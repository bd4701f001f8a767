/**
 * Signature algorithms and their AlgorithmIdentifiers, one per supported key type:
 *
 *   key       algorithm                 OID                     parameters
 *   P-256     ecdsa-with-SHA256         1.2.840.10045.4.3.2     absent   (RFC 5758 §3.2)
 *   P-384     ecdsa-with-SHA384         1.2.840.10045.4.3.3     absent   (RFC 5758 §3.2)
 *   Ed25519   id-Ed25519                1.3.101.112             absent   (RFC 8410 §3)
 *   RSA-2048  sha256WithRSAEncryption   1.2.840.113549.1.1.11   NULL     (RFC 4055 §5)
 *
 * CMP message protection (RFC 9483 §3.2, RFC 4210 §5.1.3.3) and CRMF POP (RFC 4211 §4.1) name
 * their algorithm with these identifiers.
 */
import type { KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { StackError } from '../core/errors.ts';
import { keyAlgorithmOf, type KeyAlgorithm } from './key-pair.ts';
import {
  OID_ECDSA_WITH_SHA256,
  OID_ECDSA_WITH_SHA384,
  OID_ED25519_SIGNATURE,
  OID_SHA256,
  OID_SHA256_WITH_RSA_ENCRYPTION,
  OID_SHA384,
} from './oids.ts';

/** The key families a signature algorithm can be used with. */
export type KeyFamily = 'ec' | 'ed25519' | 'rsa';

export interface SignatureAlgorithm {
  /** The name the defining RFC uses. */
  readonly name: 'ecdsa-with-SHA256' | 'ecdsa-with-SHA384' | 'id-Ed25519' | 'sha256WithRSAEncryption';
  readonly oid: string;
  /** node:crypto digest name, or null where the scheme hashes internally (Ed25519). */
  readonly hash: 'sha256' | 'sha384' | null;
  /** OID of that digest (for CMP certConf hashAlg and the like), or null. */
  readonly hashOid: string | null;
  readonly keyFamily: KeyFamily;
  /** How the AlgorithmIdentifier carries parameters: omitted, or an explicit ASN.1 NULL. */
  readonly parameters: 'absent' | 'null';
}

export const SIG_ECDSA_WITH_SHA256: SignatureAlgorithm = Object.freeze({
  name: 'ecdsa-with-SHA256',
  oid: OID_ECDSA_WITH_SHA256,
  hash: 'sha256',
  hashOid: OID_SHA256,
  keyFamily: 'ec',
  parameters: 'absent',
});

export const SIG_ECDSA_WITH_SHA384: SignatureAlgorithm = Object.freeze({
  name: 'ecdsa-with-SHA384',
  oid: OID_ECDSA_WITH_SHA384,
  hash: 'sha384',
  hashOid: OID_SHA384,
  keyFamily: 'ec',
  parameters: 'absent',
});

export const SIG_ED25519: SignatureAlgorithm = Object.freeze({
  name: 'id-Ed25519',
  oid: OID_ED25519_SIGNATURE,
  hash: null,
  hashOid: null,
  keyFamily: 'ed25519',
  parameters: 'absent',
});

export const SIG_SHA256_WITH_RSA_ENCRYPTION: SignatureAlgorithm = Object.freeze({
  name: 'sha256WithRSAEncryption',
  oid: OID_SHA256_WITH_RSA_ENCRYPTION,
  hash: 'sha256',
  hashOid: OID_SHA256,
  keyFamily: 'rsa',
  parameters: 'null',
});

export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = Object.freeze([
  SIG_ECDSA_WITH_SHA256,
  SIG_ECDSA_WITH_SHA384,
  SIG_ED25519,
  SIG_SHA256_WITH_RSA_ENCRYPTION,
]);

/** The signature algorithm we use with keys of this algorithm. */
export function signatureAlgorithmForKeyAlgorithm(algorithm: KeyAlgorithm): SignatureAlgorithm {
  switch (algorithm) {
    case 'P-256':
      return SIG_ECDSA_WITH_SHA256;
    case 'P-384':
      return SIG_ECDSA_WITH_SHA384;
    case 'Ed25519':
      return SIG_ED25519;
    case 'RSA-2048':
      return SIG_SHA256_WITH_RSA_ENCRYPTION;
  }
}

/** The signature algorithm we use with this (private or public) key. */
export function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm {
  return signatureAlgorithmForKeyAlgorithm(keyAlgorithmOf(key));
}

/** The supported signature algorithm with this OID; ERR_PKI for any other. */
export function signatureAlgorithmFromOid(oid: string): SignatureAlgorithm {
  const alg = SIGNATURE_ALGORITHMS.find((a) => a.oid === oid);
  if (!alg) throw new StackError('ERR_PKI', `unsupported signature algorithm ${oid}`, { oid });
  return alg;
}

/** The key family of a key, for checking that a signature algorithm fits it. */
export function keyFamilyOf(key: KeyObject): KeyFamily {
  const alg = keyAlgorithmOf(key);
  return alg === 'Ed25519' ? 'ed25519' : alg === 'RSA-2048' ? 'rsa' : 'ec';
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
export function signatureAlgorithmIdentifier(keyOrAlgorithm: KeyObject | SignatureAlgorithm): AlgorithmIdentifier {
  const alg = isSignatureAlgorithm(keyOrAlgorithm) ? keyOrAlgorithm : signatureAlgorithmFor(keyOrAlgorithm);
  return alg.parameters === 'null'
    ? new AlgorithmIdentifier({ algorithm: alg.oid, parameters: null })
    : new AlgorithmIdentifier({ algorithm: alg.oid });
}

/** DER of the AlgorithmIdentifier for this key or algorithm. */
export function encodeSignatureAlgorithmIdentifier(keyOrAlgorithm: KeyObject | SignatureAlgorithm): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(signatureAlgorithmIdentifier(keyOrAlgorithm)));
}

function isSignatureAlgorithm(x: KeyObject | SignatureAlgorithm): x is SignatureAlgorithm {
  return typeof (x as SignatureAlgorithm).oid === 'string' && typeof (x as SignatureAlgorithm).keyFamily === 'string';
}
