/**
 * CMS-signed JSON voucher artifacts, media type `application/voucher-cms+json` (RFC 8366 §5.4,
 * draft-ietf-anima-rfc8366bis §7.1 "CMS Format Voucher Artifact"; RFC 8995 uses it for PVR, RVR
 * and voucher):
 *
 *   ContentInfo { id-signedData, SignedData {
 *     digestAlgorithms, encapContentInfo { eContentType id-ct-animaJSONVoucher, eContent JSON },
 *     certificates (signer and chain), signerInfos { one SignerInfo with signedAttrs } } }
 *
 *   id-ct-animaJSONVoucher OBJECT IDENTIFIER ::= { id-smime 1 40 }   -- 1.2.840.113549.1.9.16.1.40
 *
 * Signing writes id-ct-animaJSONVoucher, SignedData v3, SignerInfo v1 with issuerAndSerialNumber,
 * and the signed attributes contentType, signingTime and messageDigest (DER SET OF, sorted).
 * Verifying also accepts eContentType id-data, which the deployed RFC 8995 implementation that
 * produced RFC 8995 Appendix C writes, and requires signed attributes (8366bis §7.1: "Decoders MUST
 * verify that SignedAttributes is present"). The signature is checked over the SignedAttributes
 * exactly as received (RFC 5652 §5.4), re-tagged as SET OF.
 */
import { createHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  DigestAlgorithmIdentifiers,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate as AsnCertificate, Name, Time } from '@peculiar/asn1-x509';
import { bytesEqual } from '../../core/bytes.ts';
import { hexPrefix } from '../../core/errors.ts';
import { certificateDer, certificatePublicKey, parseCertificate, type Certificate } from '../../pki/certificate.ts';
import { readSubjectKeyIdentifier } from '../../pki/extensions.ts';
import { keyAlgorithmOf } from '../../pki/key-pair.ts';
import { signData } from '../../pki/signing.ts';
import { signatureAlgorithmFor, signatureAlgorithmIdentifier } from '../../pki/signature-algorithm.ts';
import { decodeVoucherJson, encodeVoucherJson } from './json-voucher.ts';
import { checkArtifact, type ArtifactRole, type VoucherArtifact } from './voucher-data.ts';
import { VoucherError } from './voucher-error.ts';

/** RFC 8366 §5.2 / 8366bis §7.1: eContentType of JSON voucher data. */
export const OID_CT_ANIMA_JSON_VOUCHER = '1.2.840.113549.1.9.16.1.40';
/** RFC 5652 §11.1–11.3 signed attributes. */
export const OID_ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const OID_ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const OID_ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5';

const DIGESTS: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const DIGEST_OID: Readonly<Record<'sha256' | 'sha384' | 'sha512', string>> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

/** Signature algorithms accepted in a SignerInfo, with the hash node:crypto uses (null: none). */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { family: 'ec' | 'ed25519' | 'rsa'; hash: 'sha256' | 'sha384' | 'sha512' | null | 'digest' }>> = {
  '1.2.840.10045.4.3.2': { family: 'ec', hash: 'sha256' }, // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': { family: 'ec', hash: 'sha384' }, // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': { family: 'ec', hash: 'sha512' }, // ecdsa-with-SHA512
  '1.2.840.10045.2.1': { family: 'ec', hash: 'digest' }, // id-ecPublicKey (hash from digestAlgorithm)
  '1.3.101.112': { family: 'ed25519', hash: null }, // id-Ed25519 (RFC 8419)
  '1.2.840.113549.1.1.11': { family: 'rsa', hash: 'sha256' }, // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': { family: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { family: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.1': { family: 'rsa', hash: 'digest' }, // rsaEncryption (hash from digestAlgorithm)
};

const ASN1_CODE = 'ERR_ASN1_MALFORMED' as const;

function malformed(message: string, input?: Uint8Array, cause?: unknown): VoucherError {
  return new VoucherError('malformed', message, input ? { inputHex: hexPrefix(input) } : {}, cause, ASN1_CODE);
}

// --- a minimal DER reader, to get at the SignedAttributes bytes as received ---------------------

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function readTlv(b: Uint8Array, off: number, limit: number): Tlv {
  if (off + 2 > limit) throw malformed('truncated DER');
  const tag = b[off]!;
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte DER tags are not used in CMS');
  let len = b[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw malformed('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) throw malformed('DER length beyond the end of its container');
  return { tag, start: off, contentStart: p, end: p + len };
}

function children(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.contentStart; off < parent.end; ) {
    const t = readTlv(b, off, parent.end);
    out.push(t);
    off = t.end;
  }
  return out;
}

/** The SignedAttributes of the first SignerInfo, re-tagged from [0] IMPLICIT to SET (RFC 5652 §5.4). */
function signedAttributesToVerify(signedDataDer: Uint8Array): Uint8Array | undefined {
  const sd = readTlv(signedDataDer, 0, signedDataDer.length);
  const signerInfos = children(signedDataDer, sd).at(-1);
  if (!signerInfos || signerInfos.tag !== 0x31) throw malformed('SignedData does not end with signerInfos');
  const first = children(signedDataDer, signerInfos)[0];
  if (!first) return undefined;
  const attrs = children(signedDataDer, first).find((t) => t.tag === 0xa0);
  if (!attrs) return undefined;
  const out = signedDataDer.slice(attrs.start, attrs.end);
  out[0] = 0x31;
  return out;
}

/** DER of an OBJECT IDENTIFIER (the value of a contentType attribute). */
function encodeOid(oid: string): ArrayBuffer {
  return new asn1js.ObjectIdentifier({ value: oid }).toBER(false);
}

function decodeOid(der: ArrayBuffer): string {
  const { offset, result } = asn1js.fromBER(der);
  if (offset !== der.byteLength || !(result instanceof asn1js.ObjectIdentifier)) throw malformed('contentType attribute is not one OBJECT IDENTIFIER');
  return result.valueBlock.toString();
}

// --- signing ------------------------------------------------------------------------------------

export interface SignVoucherCmsOptions {
  readonly privateKey: KeyObject;
  /** The signer's certificate (its issuer and serial number identify the signer). */
  readonly certificate: Certificate;
  /** Further certificates to carry (intermediates, and per RFC 8366 the trust anchor). */
  readonly chain?: readonly Certificate[];
  /** signingTime attribute (default: now). */
  readonly signingTime?: Date;
  /** eContentType (default id-ct-animaJSONVoucher). */
  readonly eContentType?: string;
  /** Check the artifact against the rules of this role before signing. */
  readonly role?: ArtifactRole;
}

function digestFor(key: KeyObject): 'sha256' | 'sha384' | 'sha512' {
  const alg = keyAlgorithmOf(key);
  // RFC 8419 §3: with signed attributes, Ed25519 uses SHA-512 as the message digest.
  return alg === 'Ed25519' ? 'sha512' : alg === 'P-384' ? 'sha384' : 'sha256';
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Signs voucher data as CMS SignedData over its JSON serialization; returns the DER ContentInfo. */
export function signVoucherCms(a: VoucherArtifact, opts: SignVoucherCmsOptions): Uint8Array {
  if (opts.role) checkArtifact(a, opts.role);
  const json = encodeVoucherJson(a);
  const eContentType = opts.eContentType ?? OID_CT_ANIMA_JSON_VOUCHER;
  const digest = digestFor(opts.privateKey);
  const messageDigest = new Uint8Array(createHash(digest).update(json).digest());
  const attrs = [
    new Attribute({ attrType: OID_ATTR_CONTENT_TYPE, attrValues: [encodeOid(eContentType)] }),
    new Attribute({ attrType: OID_ATTR_SIGNING_TIME, attrValues: [AsnConvert.serialize(new Time(opts.signingTime ?? new Date()))] }),
    new Attribute({ attrType: OID_ATTR_MESSAGE_DIGEST, attrValues: [AsnConvert.serialize(new OctetString(messageDigest))] }),
  ]
    .map((attr) => ({ attr, der: new Uint8Array(AsnConvert.serialize(attr)) }))
    .sort((x, y) => compareBytes(x.der, y.der));
  const body = attrs.reduce((n, x) => n + x.der.length, 0);
  const setDer = new Uint8Array([0x31, ...derLength(body), ...attrs.flatMap((x) => [...x.der])]);
  const signature = signData(opts.privateKey, setDer);

  const cert = AsnConvert.parse(certificateDer(opts.certificate), AsnCertificate);
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer as Name, serialNumber: cert.tbsCertificate.serialNumber }),
    }),
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: DIGEST_OID[digest] }),
    signedAttrs: attrs.map((x) => x.attr),
    signatureAlgorithm: signatureAlgorithmIdentifier(signatureAlgorithmFor(opts.privateKey)),
    signature: new OctetString(signature),
  });
  const certificates = [opts.certificate, ...(opts.chain ?? [])].map(
    (c) => new CertificateChoices({ certificate: AsnConvert.parse(certificateDer(c), AsnCertificate) }),
  );
  const signedData = new SignedData({
    version: eContentType === id_data ? 1 : 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: DIGEST_OID[digest] })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType, eContent: new EncapsulatedContent({ single: new OctetString(json) }) }),
    certificates: new CertificateSet(certificates),
    signerInfos: new SignerInfos([signerInfo]),
  });
  const contentInfo = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) });
  return new Uint8Array(AsnConvert.serialize(contentInfo));
}

// --- parsing and verifying ----------------------------------------------------------------------

export interface ParsedCmsVoucher {
  /** The DER as received. */
  readonly bytes: Uint8Array;
  readonly eContentType: string;
  /** The JSON voucher data bytes (eContent). */
  readonly json: Uint8Array;
  readonly artifact: VoucherArtifact;
  /** Certificates carried in SignedData.certificates. */
  readonly certificates: readonly Certificate[];
  readonly signerInfo: SignerInfo;
  /** DER of SignedData (for locating the signed attributes). */
  readonly signedDataDer: Uint8Array;
}

/**
 * Decodes a CMS voucher artifact and its JSON voucher data (schema-checked; `role`, if given,
 * adds the rules of that role). Does not verify the signature.
 */
export function parseVoucherCms(bytes: Uint8Array, role?: ArtifactRole): ParsedCmsVoucher {
  let signedData: SignedData;
  let signedDataDer: Uint8Array;
  try {
    const ci = AsnConvert.parse(bytes, ContentInfo);
    if (ci.contentType !== id_signedData) throw malformed(`ContentInfo contentType is ${ci.contentType}, not id-signedData`, bytes);
    signedDataDer = new Uint8Array(ci.content);
    signedData = AsnConvert.parse(signedDataDer, SignedData);
  } catch (e) {
    if (e instanceof VoucherError) throw e;
    throw malformed(`not a CMS ContentInfo with SignedData: ${(e as Error).message}`, bytes, e);
  }
  const eContentType = signedData.encapContentInfo.eContentType;
  if (eContentType !== OID_CT_ANIMA_JSON_VOUCHER && eContentType !== id_data) {
    throw malformed(`eContentType ${eContentType} is not id-ct-animaJSONVoucher`, bytes);
  }
  const single = signedData.encapContentInfo.eContent?.single;
  if (!single) throw malformed('SignedData has no (primitive) eContent: detached or constructed content is not supported', bytes);
  const json = new Uint8Array(single.buffer);
  if (signedData.signerInfos.length !== 1) throw malformed(`SignedData has ${signedData.signerInfos.length} SignerInfos, expected one`, bytes);
  const certificates: Certificate[] = [];
  for (const choice of signedData.certificates ?? []) {
    if (!choice.certificate) continue;
    try {
      certificates.push(parseCertificate(new Uint8Array(AsnConvert.serialize(choice.certificate))));
    } catch (e) {
      throw malformed('SignedData carries an unreadable certificate', bytes, e);
    }
  }
  const artifact = decodeVoucherJson(json);
  if (role) checkArtifact(artifact, role);
  return { bytes, eContentType, json, artifact, certificates, signerInfo: signedData.signerInfos[0]!, signedDataDer };
}

function identifies(si: SignerInfo, cert: Certificate): boolean {
  const iasn = si.sid.issuerAndSerialNumber;
  if (iasn) {
    const asn = AsnConvert.parse(certificateDer(cert), AsnCertificate);
    return (
      bytesEqual(new Uint8Array(AsnConvert.serialize(iasn.issuer)), new Uint8Array(AsnConvert.serialize(asn.tbsCertificate.issuer))) &&
      bytesEqual(new Uint8Array(iasn.serialNumber), new Uint8Array(asn.tbsCertificate.serialNumber))
    );
  }
  const ski = si.sid.subjectKeyIdentifier;
  if (ski) {
    const own = readSubjectKeyIdentifier(cert);
    return own !== undefined && bytesEqual(own, new Uint8Array(ski.buffer));
  }
  return false;
}

function attributeValue(si: SignerInfo, oid: string): ArrayBuffer {
  const found = (si.signedAttrs ?? []).filter((a) => a.attrType === oid);
  if (found.length !== 1 || found[0]!.attrValues.length !== 1) {
    throw new VoucherError('signature', `signed attribute ${oid} must appear once with one value`, { oid });
  }
  return found[0]!.attrValues[0]!;
}

/**
 * Verifies the CMS signature. The signer certificate is looked up by the SignerInfo's sid among
 * `signers` (default: the certificates the SignedData carries); returns the certificate that
 * verified. Path validation of that certificate is the caller's business.
 */
export function verifyVoucherCms(parsed: ParsedCmsVoucher, signers: readonly Certificate[] = parsed.certificates): Certificate {
  const si = parsed.signerInfo;
  const cert = signers.find((c) => identifies(si, c));
  if (!cert) throw new VoucherError('no-signer', 'no certificate matches the SignerInfo identifier');
  if (!si.signedAttrs || si.signedAttrs.length === 0) throw new VoucherError('signature', 'SignerInfo has no signed attributes (RFC 8366bis §7.1 requires them)');
  const digestName = DIGESTS[si.digestAlgorithm.algorithm];
  if (!digestName) throw new VoucherError('unsupported-algorithm', `digest algorithm ${si.digestAlgorithm.algorithm} is not supported`);
  const sig = SIGNATURE_ALGORITHMS[si.signatureAlgorithm.algorithm];
  if (!sig) throw new VoucherError('unsupported-algorithm', `signature algorithm ${si.signatureAlgorithm.algorithm} is not supported`);

  let contentType: string;
  let messageDigest: Uint8Array;
  try {
    contentType = decodeOid(attributeValue(si, OID_ATTR_CONTENT_TYPE));
    messageDigest = new Uint8Array(AsnConvert.parse(attributeValue(si, OID_ATTR_MESSAGE_DIGEST), OctetString).buffer);
  } catch (e) {
    if (e instanceof VoucherError) throw e;
    throw new VoucherError('signature', 'contentType or messageDigest attribute does not parse', {}, e);
  }
  if (contentType !== parsed.eContentType) throw new VoucherError('signature', `contentType attribute ${contentType} differs from eContentType ${parsed.eContentType}`);
  const actual = new Uint8Array(createHash(digestName).update(parsed.json).digest());
  if (!bytesEqual(actual, messageDigest)) throw new VoucherError('signature', 'messageDigest does not match the voucher data');

  const signedAttrs = signedAttributesToVerify(parsed.signedDataDer);
  if (!signedAttrs) throw new VoucherError('signature', 'SignerInfo has no signed attributes');
  const key = certificatePublicKey(cert);
  const family = key.asymmetricKeyType === 'ec' ? 'ec' : key.asymmetricKeyType === 'ed25519' ? 'ed25519' : key.asymmetricKeyType === 'rsa' ? 'rsa' : undefined;
  if (family !== sig.family) throw new VoucherError('unsupported-algorithm', `signature algorithm ${si.signatureAlgorithm.algorithm} does not fit the signer's ${key.asymmetricKeyType} key`);
  const hash = sig.hash === 'digest' ? digestName : sig.hash;
  let ok = false;
  try {
    ok = nodeVerify(hash, signedAttrs, key, new Uint8Array(si.signature.buffer));
  } catch {
    ok = false;
  }
  if (!ok) throw new VoucherError('signature', `the CMS signature of the ${parsed.artifact.kind} does not verify with ${cert.subject}`);
  return cert;
}
