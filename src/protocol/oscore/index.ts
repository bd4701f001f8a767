/** OSCORE (RFC 8613): security contexts, message protection, replay and sequence-number state. */
export { AES_CCM_16_64_128, aeadAlgorithm, aeadOpen, aeadSeal, hkdfSha256, type AeadAlgorithm } from './aead.ts';
export { RFC8613_S5_4_OSCORE_VERSION, buildAad, encodeAadArray } from './aad.ts';
export { CONTEXT_REGISTRY_DEFAULTS, SecurityContextRegistry, type ContextRegistryConfig } from './context-registry.ts';
export * from './errors.ts';
export * from './ids.ts';
export {
  RequestBinding,
  protectRequest,
  protectResponse,
  verifyRequest,
  verifyResponse,
  type ContextLookup,
  type ProtectResponseOptions,
  type ProtectedRequest,
  type VerifiedRequest,
} from './message-protection.ts';
export { buildNonce } from './nonce.ts';
export { decomposeProxyUri, mergeOptions, optionClass, splitOptions, type OptionClass, type SplitOptions } from './option-classes.ts';
export * from './oscore-option.ts';
export { decodePlaintext, encodeOptionList, encodePlaintext, type CoapParts } from './plaintext.ts';
export { RFC8613_S3_2_2_REPLAY_WINDOW, ReplayWindow, type ReplayVerdict } from './replay-window.ts';
export { SecurityContext, deriveSecurityContext, encodeKdfInfo, type SecurityContextKeys, type SecurityContextParams } from './security-context.ts';
export { DEFAULT_PERSIST_EVERY, MemorySequenceStore, SenderSequence, type SequencePersistence, type SequenceStore } from './sender-sequence.ts';
