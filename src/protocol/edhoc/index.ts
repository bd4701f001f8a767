/** src/protocol/edhoc: EDHOC (RFC 9528) Initiator and Responder as pure typestate machines. */
export * from './suites.ts';
export * from './identifiers.ts';
export * from './edhoc-error.ts';
export * from './ead.ts';
export * from './id-cred.ts';
export * from './credentials.ts';
export * from './messages.ts';
export * from './kdf.ts';
export * from './key-schedule.ts';
export * from './ecdh.ts';
export * from './trace.ts';
export * from './session.ts';
export * from './state.ts';
export * from './initiator.ts';
export * from './responder.ts';
export * from './oscore.ts';
export * from './coap-transport.ts';
export { checkSignatureOrMacLength } from './common.ts';
