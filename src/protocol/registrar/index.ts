/**
 * The registrar as Local RA for BRSKI-AE with CMP (RFC 9733 §5.1): the decisions (lra.ts), the
 * messages it builds (messages.ts) and the store-and-forward engine (local-ra.ts).
 */
export * from './lra.ts';
export * from './messages.ts';
export * from './local-ra.ts';
export * from './est-enrollment.ts';
