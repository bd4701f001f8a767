/**
 * application/pkcs7-mime; smime-type=certs-only (CoAP Content-Format 281, RFC 9148 §4.3): a
 * degenerate CMS SignedData (RFC 5652 §5; RFC 8551 §3.2.2 "certs-only") with no content and no
 * signers, carrying certificates only. EST-coaps sends it as raw DER (no base64).
 *
 *   ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
 *   SignedData ::= SEQUENCE { version 1, digestAlgorithms {}, encapContentInfo { id-data },
 *                             certificates [0] IMPLICIT CertificateSet, signerInfos {} }
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  SignedData,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { StackError, hexPrefix } from '../../core/errors.ts';

/** Encodes DER certificates as a certs-only SignedData ContentInfo. */
export function encodeCertsOnly(certificates: readonly Uint8Array[]): Uint8Array {
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(certificates.map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, AsnCertificate) }))),
    signerInfos: new SignerInfos([]),
  });
  const info = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) });
  return new Uint8Array(AsnConvert.serialize(info));
}

/** The DER certificates of a certs-only SignedData, in order. */
export function decodeCertsOnly(der: Uint8Array): Uint8Array[] {
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData) throw new Error(`contentType ${info.contentType} is not id-signedData`);
    const sd = AsnConvert.parse(info.content, SignedData);
    const out: Uint8Array[] = [];
    for (const c of sd.certificates ?? []) if (c.certificate) out.push(new Uint8Array(AsnConvert.serialize(c.certificate)));
    if (out.length === 0) throw new Error('no certificates');
    return out;
  } catch (e) {
    throw new StackError('ERR_ASN1_MALFORMED', `not a PKCS#7 certs-only message: ${(e as Error).message} (${hexPrefix(der)})`, {}, e);
  }
}
