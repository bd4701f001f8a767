/**
 * An opt-in hook that reports intermediate values of the key schedule, named as in RFC 9529, so
 * that tests can check every step against the traces. Production code leaves it unset: the values
 * include secret keys.
 */
export type EdhocTraceStep =
  | 'message_1'
  | 'G_X'
  | 'G_Y'
  | 'H(message_1)'
  | 'TH_2'
  | 'G_XY'
  | 'PRK_2e'
  | 'SALT_3e2m'
  | 'G_RX'
  | 'PRK_3e2m'
  | 'context_2'
  | 'MAC_2'
  | 'Signature_or_MAC_2'
  | 'PLAINTEXT_2'
  | 'KEYSTREAM_2'
  | 'CIPHERTEXT_2'
  | 'message_2'
  | 'TH_3'
  | 'SALT_4e3m'
  | 'G_IY'
  | 'PRK_4e3m'
  | 'context_3'
  | 'MAC_3'
  | 'Signature_or_MAC_3'
  | 'PLAINTEXT_3'
  | 'A_3'
  | 'K_3'
  | 'IV_3'
  | 'CIPHERTEXT_3'
  | 'message_3'
  | 'TH_4'
  | 'PRK_out'
  | 'PRK_exporter'
  | 'PLAINTEXT_4'
  | 'A_4'
  | 'K_4'
  | 'IV_4'
  | 'CIPHERTEXT_4'
  | 'message_4';

export type EdhocTraceHook = (step: EdhocTraceStep, value: Uint8Array) => void;

/** Reports a copy of `value` (the caller's bytes are never shared). */
export function report(hook: EdhocTraceHook | undefined, step: EdhocTraceStep, value: Uint8Array): void {
  if (hook) hook(step, Uint8Array.prototype.slice.call(value));
}
