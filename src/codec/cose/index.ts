/** src/codec/cose: the parts of COSE (RFC 9052 / 9053 / 9360) that EDHOC, OSCORE and constrained vouchers use. */
export * from './algorithms.ts';
export * from './header-parameters.ts';
export * from './headers.ts';
export * from './aead.ts';
export * from './key.ts';
export * from './sign1.ts';
export * from './encrypt0.ts';
export * from './x509-headers.ts';
