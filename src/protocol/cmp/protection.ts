/**
 * PKIMessage protection (RFC 9810 §5.1.3, profiled by RFC 9483 §3.2, algorithms of RFC 9481):
 *
 *  - signature: ECDSA P-256/P-384 with SHA-256/384, Ed25519, RSA PKCS#1 v1.5 with SHA-256, over
 *    the DER of ProtectedPart; senderKID = SubjectKeyIdentifier of the protection certificate,
 *    extraCerts = that certificate first, then its chain (RFC 9483 §3.3);
 *  - MAC: PasswordBasedMac (1.2.840.113533.7.66.13; RFC 9810 §5.1.3.1, RFC 9481 §6.1.1) and
 *    PBMAC1 (PBKDF2 + HMAC; RFC 9481 §6.1.2), as `openssl cmp -secret` uses them.
 *
 * verifyProtection() says who protected a message, or throws a CmpFailure carrying the
 * PKIFailureInfo bit to answer with.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { BitString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { bytesEqual } from '../../core/bytes.ts';
import { StackError, isStackError } from '../../core/errors.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';
import {
  CMPCertificate,
  ID_HMAC_SHA1,
  ID_HMAC_WITH_SHA1,
  ID_HMAC_WITH_SHA224,
  ID_HMAC_WITH_SHA256,
  ID_HMAC_WITH_SHA384,
  ID_HMAC_WITH_SHA512,
  ID_PASSWORD_BASED_MAC,
  ID_PBKDF2,
  ID_PBMAC1,
  ID_SHA1,
  ID_SHA256,
  ID_SHA384,
  ID_SHA512,
  PBKDF2Params,
  PBMAC1Params,
  PBMParameter,
  PKIHeader,
  PKIMessage,
  decodeAsn1,
  encodeAsn1,
  encodeProtectedPart,
  type PKIBody,
} from '../../codec/cmp/index.ts';
import {
  certificateDer,
  parseCertificate,
  readSubjectKeyIdentifier,
  sameCertificate,
  signData,
  signatureAlgorithmFor,
  signatureAlgorithmFromOid,
  signatureAlgorithmIdentifier,
  subjectNameDer,
  verifyChain,
  verifyData,
  type Certificate,
} from '../../pki/index.ts';
import { CmpFailure, cmpFailure } from './failure.ts';

// --- credentials --------------------------------------------------------------------------

/** Signature protection with a key and its certificate (e.g. the pledge's IDevID). */
export interface SignatureProtection {
  readonly kind: 'signature';
  readonly privateKey: KeyObject;
  readonly certificate: Certificate;
  /** The certificate's chain (intermediates, optionally the certificate itself first); roots may be left out. */
  readonly chain?: readonly Certificate[];
}

export type MacHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** MAC protection with a shared secret (RFC 9483 §3.2, "MAC-based protection"). */
export interface MacProtection {
  readonly kind: 'mac';
  readonly secret: Uint8Array;
  /** senderKID: the reference value that names the secret (openssl `-ref`). */
  readonly senderKid?: Uint8Array;
  /** 'pbm' (PasswordBasedMac, default) or 'pbmac1'. */
  readonly algorithm?: 'pbm' | 'pbmac1';
  /** PBM one-way function or PBKDF2 PRF hash (default sha256). */
  readonly owf?: MacHash;
  /** HMAC hash (default sha256). */
  readonly mac?: MacHash;
  /** PBM / PBKDF2 iteration count (default 10000). */
  readonly iterationCount?: number;
  /** PBM only: use the IPsec-arc hmac-sha1 OID (1.3.6.1.5.5.8.1.2) for SHA-1, as openssl does. */
  readonly pbmHmacSha1Ipsec?: boolean;
}

export type ProtectionCredentials = SignatureProtection | MacProtection;

/** Bounds for peer-chosen MAC parameters (a huge iteration count is a cheap DoS). */
export const MAX_MAC_ITERATIONS = 100_000;
export const MAX_MAC_SALT_LENGTH = 128;
const DEFAULT_MAC_ITERATIONS = 10_000;
const SALT_LENGTH = 16;

const HASH_OIDS: Readonly<Record<MacHash, string>> = {
  sha1: ID_SHA1,
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: ID_SHA256,
  sha384: ID_SHA384,
  sha512: ID_SHA512,
};
const HMAC_OIDS: Readonly<Record<MacHash, string>> = {
  sha1: ID_HMAC_WITH_SHA1,
  sha224: ID_HMAC_WITH_SHA224,
  sha256: ID_HMAC_WITH_SHA256,
  sha384: ID_HMAC_WITH_SHA384,
  sha512: ID_HMAC_WITH_SHA512,
};
const HASH_BY_OID = new Map<string, MacHash>(Object.entries(HASH_OIDS).map(([h, o]) => [o, h as MacHash]));
const HMAC_BY_OID = new Map<string, MacHash>([
  ...Object.entries(HMAC_OIDS).map(([h, o]) => [o, h as MacHash] as const),
  [ID_HMAC_SHA1, 'sha1'],
]);
const HASH_LENGTH: Readonly<Record<MacHash, number>> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

// --- protecting ---------------------------------------------------------------------------

export interface ProtectOptions {
  readonly random?: Random;
  /** Certificates appended to extraCerts after the protection certificate and its chain. */
  readonly extraCerts?: readonly Certificate[];
}

/**
 * The protected PKIMessage for `header` and `body`: sets protectionAlg (and senderKID when the
 * header has none: the SKI of the protection certificate, or the MAC reference), computes the
 * protection over DER(ProtectedPart) and fills extraCerts. `header` itself is not changed.
 */
export function protectMessage(header: PKIHeader, body: PKIBody, creds: ProtectionCredentials, opts: ProtectOptions = {}): PKIMessage {
  const random = opts.random ?? cryptoRandom;
  const senderKid = header.senderKID ?? (creds.kind === 'signature' ? readSubjectKeyIdentifier(creds.certificate) : creds.senderKid);
  const h = new PKIHeader({
    ...header,
    protectionAlg: creds.kind === 'signature' ? signatureAlgorithmIdentifier(creds.privateKey) : macAlgorithmIdentifier(creds, random),
    ...(senderKid ? { senderKID: senderKid } : {}),
  });
  const data = encodeProtectedPart(h, body);
  const protection = creds.kind === 'signature' ? signData(creds.privateKey, data) : computeMac(h.protectionAlg!, creds.secret, data);
  const certs = creds.kind === 'signature' ? [creds.certificate, ...(creds.chain ?? [])] : [];
  const extra = uniqueCertificates([...certs, ...(opts.extraCerts ?? [])]);
  return new PKIMessage({
    header: h,
    body,
    protection: new BitString(protection),
    ...(extra.length > 0 ? { extraCerts: extra.map((c) => CMPCertificate.fromDer(certificateDer(c))) } : {}),
  });
}

/** Certificates without duplicates, first occurrence kept. */
export function uniqueCertificates(certs: readonly Certificate[]): Certificate[] {
  const out: Certificate[] = [];
  for (const c of certs) if (!out.some((o) => sameCertificate(o, c))) out.push(c);
  return out;
}

/** A fresh AlgorithmIdentifier (new salt) for MAC protection. */
export function macAlgorithmIdentifier(creds: MacProtection, random: Random = cryptoRandom): AlgorithmIdentifier {
  const iterationCount = creds.iterationCount ?? DEFAULT_MAC_ITERATIONS;
  if (!Number.isSafeInteger(iterationCount) || iterationCount < 1 || iterationCount > MAX_MAC_ITERATIONS) {
    throw new StackError('ERR_INVALID_ARGUMENT', `MAC iteration count must be 1..${MAX_MAC_ITERATIONS}, got ${iterationCount}`);
  }
  const owf = creds.owf ?? 'sha256';
  const mac = creds.mac ?? 'sha256';
  const salt = Uint8Array.from(random.bytes(SALT_LENGTH));
  if ((creds.algorithm ?? 'pbm') === 'pbm') {
    const macOid = mac === 'sha1' && creds.pbmHmacSha1Ipsec ? ID_HMAC_SHA1 : HMAC_OIDS[mac];
    const params = new PBMParameter({
      salt,
      owf: new AlgorithmIdentifier({ algorithm: HASH_OIDS[owf] }),
      iterationCount,
      mac: new AlgorithmIdentifier({ algorithm: macOid }),
    });
    return new AlgorithmIdentifier({ algorithm: ID_PASSWORD_BASED_MAC, parameters: toBuffer(encodeAsn1(params)) });
  }
  const kdf = new PBKDF2Params({
    salt,
    iterationCount,
    keyLength: HASH_LENGTH[mac],
    prf: new AlgorithmIdentifier({ algorithm: HMAC_OIDS[owf], parameters: null }),
  });
  const params = new PBMAC1Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: ID_PBKDF2, parameters: toBuffer(encodeAsn1(kdf)) }),
    messageAuthScheme: new AlgorithmIdentifier({ algorithm: HMAC_OIDS[mac], parameters: null }),
  });
  return new AlgorithmIdentifier({ algorithm: ID_PBMAC1, parameters: toBuffer(encodeAsn1(params)) });
}

/**
 * MacProtection that answers a MAC-protected message in kind (RFC 9483 §3.2: a response to a
 * MAC-protected request is protected with the same secret): same algorithm and hash choices,
 * a fresh salt.
 */
export function macProtectionLike(requestAlg: AlgorithmIdentifier, secret: Uint8Array, senderKid?: Uint8Array): MacProtection {
  const p = readMacParameters(requestAlg);
  return {
    kind: 'mac',
    secret,
    ...(senderKid ? { senderKid } : {}),
    algorithm: p.algorithm,
    owf: p.owf,
    mac: p.mac,
    iterationCount: p.iterationCount,
    pbmHmacSha1Ipsec: p.macOid === ID_HMAC_SHA1,
  };
}

// --- MAC computation ----------------------------------------------------------------------

interface MacParameters {
  readonly algorithm: 'pbm' | 'pbmac1';
  readonly salt: Uint8Array;
  readonly iterationCount: number;
  readonly owf: MacHash;
  readonly mac: MacHash;
  readonly macOid: string;
  readonly keyLength?: number;
}

function badAlg(message: string, cause?: unknown): CmpFailure {
  return cmpFailure('ERR_CMP_PROTECTION', 'badAlg', message, {}, cause);
}

function readMacParameters(alg: AlgorithmIdentifier): MacParameters {
  if (alg.parameters === undefined || alg.parameters === null) throw badAlg(`${alg.algorithm} without parameters`);
  const paramsDer = new Uint8Array(alg.parameters);
  const checkCommon = (salt: Uint8Array, iterationCount: number): void => {
    if (iterationCount < 1 || iterationCount > MAX_MAC_ITERATIONS) {
      throw badAlg(`MAC iteration count ${iterationCount} outside 1..${MAX_MAC_ITERATIONS}`);
    }
    if (salt.length > MAX_MAC_SALT_LENGTH) throw badAlg(`MAC salt of ${salt.length} octets is too long`);
  };
  if (alg.algorithm === ID_PASSWORD_BASED_MAC) {
    const p = decodeMacParams(paramsDer, PBMParameter, 'PBMParameter');
    const owf = HASH_BY_OID.get(p.owf.algorithm);
    const mac = HMAC_BY_OID.get(p.mac.algorithm);
    if (!owf) throw badAlg(`unsupported PBM one-way function ${p.owf.algorithm}`);
    if (!mac) throw badAlg(`unsupported PBM MAC ${p.mac.algorithm}`);
    checkCommon(p.salt, p.iterationCount);
    return { algorithm: 'pbm', salt: p.salt, iterationCount: p.iterationCount, owf, mac, macOid: p.mac.algorithm };
  }
  if (alg.algorithm === ID_PBMAC1) {
    const p = decodeMacParams(paramsDer, PBMAC1Params, 'PBMAC1-params');
    if (p.keyDerivationFunc.algorithm !== ID_PBKDF2 || !p.keyDerivationFunc.parameters) {
      throw badAlg(`unsupported PBMAC1 key derivation ${p.keyDerivationFunc.algorithm}`);
    }
    const kdf = decodeMacParams(new Uint8Array(p.keyDerivationFunc.parameters), PBKDF2Params, 'PBKDF2-params');
    const owf = HMAC_BY_OID.get(kdf.prf.algorithm);
    const mac = HMAC_BY_OID.get(p.messageAuthScheme.algorithm);
    if (!owf) throw badAlg(`unsupported PBKDF2 PRF ${kdf.prf.algorithm}`);
    if (!mac) throw badAlg(`unsupported PBMAC1 MAC ${p.messageAuthScheme.algorithm}`);
    checkCommon(kdf.salt, kdf.iterationCount);
    if (kdf.keyLength !== undefined && (kdf.keyLength < 1 || kdf.keyLength > 64)) throw badAlg(`PBKDF2 key length ${kdf.keyLength} outside 1..64`);
    return {
      algorithm: 'pbmac1',
      salt: kdf.salt,
      iterationCount: kdf.iterationCount,
      owf,
      mac,
      macOid: p.messageAuthScheme.algorithm,
      ...(kdf.keyLength !== undefined ? { keyLength: kdf.keyLength } : {}),
    };
  }
  throw badAlg(`unsupported MAC algorithm ${alg.algorithm}`);
}

function decodeMacParams<T extends object>(der: Uint8Array, type: new () => T, what: string): T {
  try {
    return decodeAsn1(der, type, { what });
  } catch (e) {
    throw cmpFailure('ERR_CMP_PROTECTION', 'badAlg', `cannot read ${what}`, {}, e);
  }
}

/** The MAC value over `data` for a PBM or PBMAC1 AlgorithmIdentifier. */
export function computeMac(alg: AlgorithmIdentifier, secret: Uint8Array, data: Uint8Array): Uint8Array {
  const p = readMacParameters(alg);
  let key: Uint8Array;
  if (p.algorithm === 'pbm') {
    // RFC 9810 §5.1.3.1: BASEKEY = OWF(secret || salt), then OWF applied iterationCount - 1 more times.
    key = createHash(p.owf).update(secret).update(p.salt).digest();
    for (let i = 1; i < p.iterationCount; i++) key = createHash(p.owf).update(key).digest();
  } else {
    key = pbkdf2Sync(secret, p.salt, p.iterationCount, p.keyLength ?? HASH_LENGTH[p.mac], p.owf);
  }
  return Uint8Array.from(createHmac(p.mac, key).update(data).digest());
}

// --- verifying ----------------------------------------------------------------------------

export interface VerifyProtectionOptions {
  /** Trust anchors for signature-protected messages. */
  readonly trustAnchors: readonly Certificate[];
  /** Further certificates that may serve as the signer (found by senderKID) or as intermediates. */
  readonly untrusted?: readonly Certificate[];
  /** The shared secret for a senderKID; without it MAC protection is refused (wrongIntegrity). */
  readonly macSecret?: (senderKid: Uint8Array | undefined) => Uint8Array | undefined;
  /** Time for path validation (default now). */
  readonly at?: Date;
  /** An extendedKeyUsage the signer certificate must carry (e.g. id-kp-cmcRA); else notAuthorized. */
  readonly requireEku?: string;
}

export type ProtectionInfo =
  | {
      readonly kind: 'signature';
      readonly certificate: Certificate;
      /** The validated path: signer first, trust anchor last. */
      readonly chain: readonly Certificate[];
      readonly senderKid?: Uint8Array;
      readonly algorithm: string;
    }
  | { readonly kind: 'mac'; readonly senderKid?: Uint8Array; readonly algorithm: string; readonly secret: Uint8Array };

/** The certificates in extraCerts; badDataFormat when one cannot be read. */
export function extraCertificates(msg: PKIMessage): Certificate[] {
  return (msg.extraCerts ?? []).map((c, i) => {
    try {
      return parseCertificate(c.der);
    } catch (e) {
      throw cmpFailure('ERR_CMP_MALFORMED', 'badDataFormat', `extraCerts[${i}] is not a readable certificate`, {}, e);
    }
  });
}

/**
 * Checks the protection of a decoded message. Returns who protected it; throws CmpFailure
 * (ERR_CMP_PROTECTION) with failInfo badMessageCheck, badAlg, wrongIntegrity, signerNotTrusted
 * or notAuthorized.
 */
export function verifyProtection(msg: PKIMessage, opts: VerifyProtectionOptions): ProtectionInfo {
  const alg = msg.header.protectionAlg;
  if (!msg.protection) throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'message is not protected');
  if (!alg) throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'protection present but no protectionAlg in the header');
  if (msg.protection.unusedBits !== 0) throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'protection BIT STRING has unused bits');
  const protection = new Uint8Array(msg.protection.value);
  const data = encodeProtectedPart(msg.header, msg.body);
  const senderKid = msg.header.senderKID;

  if (alg.algorithm === ID_PASSWORD_BASED_MAC || alg.algorithm === ID_PBMAC1) {
    if (!opts.macSecret) {
      throw cmpFailure('ERR_CMP_PROTECTION', 'wrongIntegrity', 'MAC protection is not accepted here; signature protection expected');
    }
    const secret = opts.macSecret(senderKid);
    if (!secret) {
      throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'no shared secret for this senderKID', kidDetail(senderKid));
    }
    const expected = computeMac(alg, secret, data);
    if (expected.length !== protection.length || !timingSafeEqual(expected, protection)) {
      throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'MAC protection does not verify', kidDetail(senderKid));
    }
    return { kind: 'mac', ...(senderKid ? { senderKid } : {}), algorithm: alg.algorithm, secret };
  }

  // Signature protection.
  let sigAlg;
  try {
    sigAlg = signatureAlgorithmFromOid(alg.algorithm);
  } catch (e) {
    throw badAlg(`unsupported protection algorithm ${alg.algorithm}`, e);
  }
  const extra = extraCertificates(msg);
  const untrusted = [...extra, ...(opts.untrusted ?? [])];
  const signer = findSigner(msg, extra, opts.untrusted ?? []);
  if (!signer) {
    throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'no protection certificate: extraCerts is empty and no known certificate matches senderKID');
  }
  const ski = readSubjectKeyIdentifier(signer);
  if (senderKid && ski && !bytesEqual(senderKid, ski)) {
    throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', 'senderKID does not match the SubjectKeyIdentifier of the protection certificate (extraCerts[0])');
  }
  const senderDn = msg.header.sender.directoryName;
  if (!senderDn || !bytesEqual(encodeAsn1(senderDn), subjectNameDer(signer))) {
    throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', `header sender is not the subject of the protection certificate (${signer.subject})`);
  }
  let ok: boolean;
  try {
    ok = verifyData(signer, data, protection, { algorithm: sigAlg });
  } catch (e) {
    throw badAlg(`protection algorithm ${sigAlg.name} does not fit the key of ${signer.subject}`, e);
  }
  if (!ok) throw cmpFailure('ERR_CMP_PROTECTION', 'badMessageCheck', `signature protection does not verify with the key of ${signer.subject}`);

  let chain: Certificate[];
  try {
    chain = verifyChain(signer, untrusted, opts.trustAnchors, {
      ...(opts.at ? { at: opts.at } : {}),
      ...(opts.requireEku ? { requireEku: opts.requireEku } : {}),
    });
  } catch (e) {
    if (isStackError(e, 'ERR_CERT_CHAIN')) {
      const notAuthorized = e.details.reason === 'eku';
      throw cmpFailure(
        'ERR_CMP_PROTECTION',
        notAuthorized ? 'notAuthorized' : 'signerNotTrusted',
        `protection certificate ${signer.subject} ${notAuthorized ? 'is not authorized' : 'is not trusted'}: ${e.message}`,
        { reason: e.details.reason },
        e,
      );
    }
    throw e;
  }
  return { kind: 'signature', certificate: signer, chain, ...(senderKid ? { senderKid } : {}), algorithm: sigAlg.oid };
}

/** extraCerts[0] (RFC 9483 §3.3), else a known certificate whose SKI equals senderKID. */
function findSigner(msg: PKIMessage, extra: readonly Certificate[], known: readonly Certificate[]): Certificate | undefined {
  if (extra.length > 0) return extra[0];
  const kid = msg.header.senderKID;
  if (!kid) return undefined;
  return known.find((c) => {
    const ski = readSubjectKeyIdentifier(c);
    return ski !== undefined && bytesEqual(ski, kid);
  });
}

function kidDetail(kid: Uint8Array | undefined): Record<string, string> {
  return kid ? { senderKid: Buffer.from(kid).toString('hex') } : {};
}

function toBuffer(u8: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(u8.byteLength);
  new Uint8Array(out).set(u8);
  return out;
}

/** The signature algorithm OID a key protects with (for logs and tests). */
export function protectionAlgorithmOf(creds: ProtectionCredentials): string {
  return creds.kind === 'signature' ? signatureAlgorithmFor(creds.privateKey).oid : creds.algorithm === 'pbmac1' ? ID_PBMAC1 : ID_PASSWORD_BASED_MAC;
}

/** True for errors this module throws for a protection problem. */
export function isProtectionFailure(e: unknown): e is CmpFailure {
  return e instanceof CmpFailure && e.code === 'ERR_CMP_PROTECTION';
}
