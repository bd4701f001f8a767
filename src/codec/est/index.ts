export * from './certs-only.ts';
export * from './multipart-core.ts';
