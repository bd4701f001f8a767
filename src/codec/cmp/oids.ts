/**
 * Object identifiers used with CMP (RFC 9810, RFC 9480, RFC 9481, RFC 9483) and CRMF (RFC 4211).
 * Each value was checked against the OpenSSL 3.0 object table and, where noted, the RFC text.
 */

/** id-pkix 1.3.6.1.5.5.7 */
export const ID_PKIX = '1.3.6.1.5.5.7';

/** id-it: InfoTypeAndValue types, 1.3.6.1.5.5.7.4 (RFC 9810 §5.3.19). */
export const ID_IT = `${ID_PKIX}.4`;
/** id-it-implicitConfirm, value NULL (RFC 9810 §5.1.1.1). */
export const ID_IT_IMPLICIT_CONFIRM = `${ID_IT}.13`;
/** id-it-confirmWaitTime, value GeneralizedTime (RFC 9810 §5.1.1.2). */
export const ID_IT_CONFIRM_WAIT_TIME = `${ID_IT}.14`;
/** id-it-origPKIMessage, value PKIMessages (RFC 9810 §5.1.1.3). */
export const ID_IT_ORIG_PKI_MESSAGE = `${ID_IT}.15`;
/** id-it-caCerts: genm without value, genp with CaCertsValue (RFC 9480 §2.14, RFC 9483 §4.3.1). */
export const ID_IT_CA_CERTS = `${ID_IT}.17`;
/** id-it-rootCaKeyUpdate: genp value RootCaKeyUpdateContent (RFC 9480 §2.15). */
export const ID_IT_ROOT_CA_KEY_UPDATE = `${ID_IT}.18`;
/** id-it-certReqTemplate: genp value CertReqTemplateContent (RFC 9480 §2.16). */
export const ID_IT_CERT_REQ_TEMPLATE = `${ID_IT}.19`;
/** id-it-rootCaCert: genm value the old root certificate, optional (RFC 9480 §2.15). */
export const ID_IT_ROOT_CA_CERT = `${ID_IT}.20`;
/** id-it-certProfile: generalInfo value CertProfileValue (RFC 9480 §2.4). */
export const ID_IT_CERT_PROFILE = `${ID_IT}.21`;
/** id-it-crlStatusList (RFC 9480 §2.17). */
export const ID_IT_CRL_STATUS_LIST = `${ID_IT}.22`;
/** id-it-crls (RFC 9480 §2.17). */
export const ID_IT_CRLS = `${ID_IT}.23`;

/** id-regCtrl: CRMF registration controls, 1.3.6.1.5.5.7.5.1 (RFC 4211 §6). */
export const ID_REG_CTRL = `${ID_PKIX}.5.1`;
export const ID_REG_CTRL_REG_TOKEN = `${ID_REG_CTRL}.1`;
export const ID_REG_CTRL_AUTHENTICATOR = `${ID_REG_CTRL}.2`;
/** id-regCtrl-oldCertID, value CertId (RFC 4211 §6.5). */
export const ID_REG_CTRL_OLD_CERT_ID = `${ID_REG_CTRL}.5`;
/** id-regCtrl-algId, value AlgorithmIdentifier (RFC 9480 §2.16). */
export const ID_REG_CTRL_ALG_ID = `${ID_REG_CTRL}.11`;
/** id-regCtrl-rsaKeyLen, value INTEGER (RFC 9480 §2.16). */
export const ID_REG_CTRL_RSA_KEY_LEN = `${ID_REG_CTRL}.12`;

/** Extended key usages for CMP entities (RFC 6402 §2.10, RFC 9480 §2.2). */
export const ID_KP_CMC_CA = `${ID_PKIX}.3.27`;
export const ID_KP_CMC_RA = `${ID_PKIX}.3.28`;
export const ID_KP_CM_KGA = `${ID_PKIX}.3.32`;

/** PasswordBasedMac (RFC 9810 §5.1.3.1, RFC 9481 §6.1.1), parameters PBMParameter. */
export const ID_PASSWORD_BASED_MAC = '1.2.840.113533.7.66.13';
/** DHBasedMac (RFC 9810 §5.1.3.2). */
export const ID_DH_BASED_MAC = '1.2.840.113533.7.66.30';
/** id-PBMAC1 = pkcs-5 14 (RFC 8018 §A.5, RFC 9481 §6.1.2), parameters PBMAC1-params. */
export const ID_PBMAC1 = '1.2.840.113549.1.5.14';
/** id-PBKDF2 = pkcs-5 12 (RFC 8018 §A.2). */
export const ID_PBKDF2 = '1.2.840.113549.1.5.12';
/** hmac-sha1 of the IPsec arc, the MAC openssl's PBM uses by default (RFC 9810 §5.1.3.1). */
export const ID_HMAC_SHA1 = '1.3.6.1.5.5.8.1.2';
/** HMAC with SHA-1 / SHA-2 (RFC 8018 §B.1, RFC 4231 via RFC 9481 §6.2). */
export const ID_HMAC_WITH_SHA1 = '1.2.840.113549.2.7';
export const ID_HMAC_WITH_SHA224 = '1.2.840.113549.2.8';
export const ID_HMAC_WITH_SHA256 = '1.2.840.113549.2.9';
export const ID_HMAC_WITH_SHA384 = '1.2.840.113549.2.10';
export const ID_HMAC_WITH_SHA512 = '1.2.840.113549.2.11';

/** Hash and signature algorithms seen in CMP protection, POP and certHash (RFC 9481). */
export const ID_SHA1 = '1.3.14.3.2.26';
export const ID_SHA256 = '2.16.840.1.101.3.4.2.1';
export const ID_SHA384 = '2.16.840.1.101.3.4.2.2';
export const ID_SHA512 = '2.16.840.1.101.3.4.2.3';
export const ID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
export const ID_ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
export const ID_ED25519 = '1.3.101.112';
