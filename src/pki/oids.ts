/**
 * Object identifiers used by the PKI library, each with the document that assigns it.
 * Dotted strings, as @peculiar/asn1-schema and node:crypto take them.
 */

// Key types (RFC 5480 §2.1.1, RFC 3279 §2.3.1, RFC 8410 §3)
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_SECP256R1 = '1.2.840.10045.3.1.7';
export const OID_SECP384R1 = '1.3.132.0.34';
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const OID_ED25519 = '1.3.101.112';

// Hash functions (RFC 5758 §2, NIST CSOR)
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
export const OID_SHA384 = '2.16.840.1.101.3.4.2.2';

// Signature algorithms (RFC 5758 §3.2, RFC 4055 §5, RFC 8410 §3)
export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
export const OID_ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
export const OID_SHA256_WITH_RSA_ENCRYPTION = '1.2.840.113549.1.1.11';
export const OID_ED25519_SIGNATURE = OID_ED25519;

// Name attributes (X.520, RFC 5280 Appendix A.1)
export const OID_AT_COMMON_NAME = '2.5.4.3';
export const OID_AT_SERIAL_NUMBER = '2.5.4.5';
export const OID_AT_COUNTRY = '2.5.4.6';
export const OID_AT_LOCALITY = '2.5.4.7';
export const OID_AT_STATE = '2.5.4.8';
export const OID_AT_ORGANIZATION = '2.5.4.10';
export const OID_AT_ORGANIZATIONAL_UNIT = '2.5.4.11';

// Certificate extensions (RFC 5280 §4.2)
export const OID_CE_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
export const OID_CE_KEY_USAGE = '2.5.29.15';
export const OID_CE_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_CE_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_CE_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
export const OID_CE_EXT_KEY_USAGE = '2.5.29.37';

/** id-pe-masa-url, RFC 8995 §2.3.2: the MASA URI in an IDevID, MASAURLSyntax ::= IA5String. */
export const OID_PE_MASA_URL = '1.3.6.1.5.5.7.1.32';

// Extended key usages (RFC 5280 §4.2.1.12, RFC 6402 §2.10)
export const OID_KP_ANY = '2.5.29.37.0';
export const OID_KP_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const OID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const OID_KP_CMC_CA = '1.3.6.1.5.5.7.3.27';
export const OID_KP_CMC_RA = '1.3.6.1.5.5.7.3.28';
