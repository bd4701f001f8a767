/**
 * src/pki: keys, certificates, path validation, signatures, and the test-PKI generator.
 * Import from here; the files behind it each own one concept.
 */
export * from './oids.ts';
export * from './pem.ts';
export * from './key-pair.ts';
export * from './key-identifier.ts';
export * from './signature-algorithm.ts';
export * from './signing.ts';
export * from './certificate.ts';
export * from './distinguished-name.ts';
export * from './extensions.ts';
export * from './serial-number.ts';
export * from './idevid.ts';
export * from './issue-certificate.ts';
export * from './verify-chain.ts';
export * from './test-pki-layout.ts';
export * from './test-pki-load.ts';
export * from './test-pki-init.ts';
