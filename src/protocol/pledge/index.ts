/**
 * The pledge side of BRSKI-AE enrollment with CMP (RFC 9733 §5.1): the flow over an injected
 * transfer, what it makes of the certificate request template, and the saved transaction.
 * Pure: transport, clock, randomness, logging and storage are injected.
 */
export * from './cert-req-template.ts';
export * from './transaction-state.ts';
export * from './pledge-enrollment.ts';
export * from './est-enrollment.ts';
export * from './voucher.ts';
