/**
 * src/codec/voucher: voucher and voucher-request artifacts (RFC 8366, RFC 8995 §3,
 * draft-ietf-anima-rfc8366bis, cBRSKI §7): the data model and its checks, the CBOR (SID) and JSON
 * serializations, and the COSE_Sign1 and CMS signed forms.
 */
export * from './sid.ts';
export * from './voucher-error.ts';
export * from './date-time.ts';
export * from './voucher-data.ts';
export * from './cbor-voucher.ts';
export * from './json-voucher.ts';
export * from './cose-voucher.ts';
export * from './cms-voucher.ts';
export * from './media-types.ts';
export * from './identifiers.ts';
