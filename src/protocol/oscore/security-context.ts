/**
 * The OSCORE security context (RFC 8613 §3): Common, Sender and Recipient Context, derived from a
 * Master Secret with HKDF (§3.2.1):
 *
 *   info = [ id: bstr, id_context: bstr / nil, alg_aead: int / tstr, type: "Key" / "IV", L: uint ]
 *   Sender Key    = HKDF(Master Salt, Master Secret, info(Sender ID, "Key", key length))
 *   Recipient Key = HKDF(Master Salt, Master Secret, info(Recipient ID, "Key", key length))
 *   Common IV     = HKDF(Master Salt, Master Secret, info(h'', "IV", nonce length))
 *
 * Keys and the Common IV are private fields: a logged or JSON-serialised context shows its IDs only.
 */
import { encodeCbor } from '../../codec/cbor/cbor.ts';
import { toHex } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import { AES_CCM_16_64_128, aeadAlgorithm, aeadOpen, aeadSeal, hkdfSha256, type AeadAlgorithm } from './aead.ts';
import { asIdContext, asKid, contextKey, idContextKey, type IdContext, type Kid, type PartialIv } from './ids.ts';
import { buildNonce } from './nonce.ts';
import { ReplayWindow, RFC8613_S3_2_2_REPLAY_WINDOW } from './replay-window.ts';
import { SenderSequence, type SequencePersistence } from './sender-sequence.ts';

export interface SecurityContextParams {
  readonly masterSecret: Uint8Array;
  /** Default: the empty byte string (§3.2). */
  readonly masterSalt?: Uint8Array;
  readonly senderId: Uint8Array;
  readonly recipientId: Uint8Array;
  /** ID Context; absent means nil in the HKDF info (§3.2.1). */
  readonly idContext?: Uint8Array;
  /** COSE AEAD algorithm; only 10 (AES-CCM-16-64-128, the default) is implemented. */
  readonly aeadAlgorithm?: number;
  /** HKDF; only HKDF SHA-256 (the default) is implemented. */
  readonly hkdf?: 'HKDF-SHA-256';
  /** Replay window size of the Recipient Context (default 32, §3.2.2). */
  readonly replayWindow?: number;
  /** Send the ID Context as 'kid context' in requests (§5.1). Default: when an ID Context is set. */
  readonly sendKidContext?: boolean;
  /** Persist the Sender Sequence Number (Appendix B.1.1). */
  readonly sequence?: SequencePersistence;
  /** First Sender Sequence Number when nothing is stored (default 0, §3.2.2; the vectors use 20). */
  readonly initialSequence?: number;
}

/** The derived values, for test vectors and diagnostics that really need them. */
export interface SecurityContextKeys {
  readonly senderKey: Uint8Array;
  readonly recipientKey: Uint8Array;
  readonly commonIv: Uint8Array;
}

/** HKDF info (§3.2.1) for one derived value. */
export function encodeKdfInfo(id: Uint8Array, idContext: Uint8Array | undefined, algAead: number, type: 'Key' | 'IV', length: number): Uint8Array {
  return encodeCbor([id, idContext ?? null, algAead, type, length]);
}

export class SecurityContext {
  readonly aead: AeadAlgorithm;
  readonly senderId: Kid;
  readonly recipientId: Kid;
  readonly idContext: IdContext | undefined;
  readonly sendKidContext: boolean;
  /** Registry key: ID Context and Recipient ID. */
  readonly key: string;
  readonly replayWindow: ReplayWindow;
  readonly sequence: SenderSequence;
  readonly #senderKey: Uint8Array;
  readonly #recipientKey: Uint8Array;
  readonly #commonIv: Uint8Array;

  private constructor(p: SecurityContextParams, aead: AeadAlgorithm) {
    this.aead = aead;
    this.senderId = asKid(p.senderId);
    this.recipientId = asKid(p.recipientId);
    this.idContext = p.idContext === undefined ? undefined : asIdContext(p.idContext);
    this.sendKidContext = p.sendKidContext ?? this.idContext !== undefined;
    this.key = contextKey(this.idContext, this.recipientId);
    const salt = p.masterSalt ?? new Uint8Array(0);
    const derive = (id: Uint8Array, type: 'Key' | 'IV', length: number): Uint8Array =>
      hkdfSha256(salt, p.masterSecret, encodeKdfInfo(id, this.idContext, aead.cose, type, length), length);
    this.#senderKey = derive(this.senderId, 'Key', aead.keyLength);
    this.#recipientKey = derive(this.recipientId, 'Key', aead.keyLength);
    this.#commonIv = derive(new Uint8Array(0), 'IV', aead.nonceLength);
    this.replayWindow = new ReplayWindow(p.replayWindow ?? RFC8613_S3_2_2_REPLAY_WINDOW);
    this.sequence = new SenderSequence(`${idContextKey(this.idContext)}/${toHex(this.senderId)}`, p.sequence, p.initialSequence ?? 0);
  }

  /** Validates the input parameters (§3.2, §3.3) and derives the context. */
  static derive(p: SecurityContextParams): SecurityContext {
    const aead = aeadAlgorithm(p.aeadAlgorithm ?? AES_CCM_16_64_128.cose);
    if (p.hkdf !== undefined && p.hkdf !== 'HKDF-SHA-256') throw new StackError('ERR_CONFIG', `HKDF ${String(p.hkdf)} is not supported`);
    if (p.masterSecret.length === 0) throw new StackError('ERR_CONFIG', 'OSCORE Master Secret is empty');
    const maxId = aead.nonceLength - 6;
    for (const [name, id] of [['Sender ID', p.senderId], ['Recipient ID', p.recipientId]] as const) {
      if (id.length > maxId) throw new StackError('ERR_CONFIG', `${name} of ${id.length} bytes exceeds ${maxId} (nonce length - 6, §3.3)`);
    }
    if (p.sendKidContext && p.idContext === undefined) throw new StackError('ERR_CONFIG', 'sendKidContext needs an ID Context');
    if (p.idContext && p.idContext.length > 255) throw new StackError('ERR_CONFIG', `ID Context of ${p.idContext.length} bytes cannot be sent as kid context (max 255)`);
    return new SecurityContext(p, aead);
  }

  /** Sender Key, Recipient Key and Common IV. Key material: for test vectors only, never log it. */
  exportKeys(): SecurityContextKeys {
    return { senderKey: this.#senderKey.slice(), recipientKey: this.#recipientKey.slice(), commonIv: this.#commonIv.slice() };
  }

  /** The AEAD nonce for a Partial IV generated by `idPiv` (our Sender ID or the Recipient ID). */
  nonce(idPiv: Uint8Array, piv: PartialIv): Uint8Array {
    return buildNonce(this.#commonIv, idPiv, piv);
  }

  /** Encrypts with the Sender Key. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return aeadSeal(this.aead, this.#senderKey, nonce, aad, plaintext);
  }

  /** Decrypts with the Recipient Key; undefined when the tag does not verify. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    return aeadOpen(this.aead, this.#recipientKey, nonce, aad, ciphertext);
  }

  toJSON(): Record<string, string> {
    return {
      senderId: toHex(this.senderId),
      recipientId: toHex(this.recipientId),
      idContext: this.idContext === undefined ? '(none)' : toHex(this.idContext),
      aead: this.aead.name,
    };
  }
}

export function deriveSecurityContext(p: SecurityContextParams): SecurityContext {
  return SecurityContext.derive(p);
}
