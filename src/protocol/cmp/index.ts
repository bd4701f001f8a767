/**
 * CMP protocol logic (RFC 9810 as profiled by RFC 9483): message protection, message building,
 * the client (EE/pledge) and the responder (RA/CA). Pure: time, randomness and transport are
 * injected; no sockets, no HTTP, no storage.
 */
export * from './failure.ts';
export * from './protection.ts';
export * from './message-builder.ts';
export * from './client.ts';
export * from './responder.ts';
