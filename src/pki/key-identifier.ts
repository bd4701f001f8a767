/**
 * Key identifiers for the subjectKeyIdentifier / authorityKeyIdentifier extensions:
 * RFC 5280 §4.2.1.2 method (1), the SHA-1 hash of the subjectPublicKey BIT STRING value
 * (without tag, length and unused-bits octet).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { exportPublicKeyDer } from './key-pair.ts';

export function keyIdentifierFromSpki(spkiDer: Uint8Array): Uint8Array {
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  return Uint8Array.from(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest());
}

export function keyIdentifier(key: KeyObject): Uint8Array {
  return keyIdentifierFromSpki(exportPublicKeyDer(key));
}
