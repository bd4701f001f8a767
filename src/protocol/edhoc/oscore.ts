/**
 * OSCORE Security Context parameters from EDHOC (RFC 9528 Appendix A.1):
 *
 *   Master Secret = EDHOC_Exporter( 0, h'', oscore_key_length )   ; default: app AEAD key length
 *   Master Salt   = EDHOC_Exporter( 1, h'', oscore_salt_length )  ; default: 8
 *
 *                      Sender ID   Recipient ID
 *   EDHOC Initiator       C_R          C_I
 *   EDHOC Responder       C_I          C_R
 *
 * AEAD: the application AEAD of the suite; HKDF: with the application hash (SHA-256 here).
 */
import type { EdhocSession } from './session.ts';

export const EXPORTER_LABEL_OSCORE_MASTER_SECRET = 0;
export const EXPORTER_LABEL_OSCORE_MASTER_SALT = 1;
export const OSCORE_DEFAULT_SALT_LENGTH = 8;

export interface OscoreParameters {
  readonly masterSecret: Uint8Array;
  readonly masterSalt: Uint8Array;
  readonly senderId: Uint8Array;
  readonly recipientId: Uint8Array;
  /** COSE identifier of the AEAD algorithm (10 = AES-CCM-16-64-128 for suites 0–3). */
  readonly aeadAlgorithm: number;
  /** COSE identifier of the application hash (−16 = SHA-256); HKDF uses it. */
  readonly hashAlgorithm: number;
}

export interface OscoreFromEdhocOptions {
  readonly keyLength?: number;
  readonly saltLength?: number;
}

export function oscoreFromEdhoc(session: EdhocSession, options: OscoreFromEdhocOptions = {}): OscoreParameters {
  const empty = new Uint8Array(0);
  const initiator = session.role === 'initiator';
  return {
    masterSecret: session.edhocExporter(EXPORTER_LABEL_OSCORE_MASTER_SECRET, empty, options.keyLength ?? session.suite.appKeyLength),
    masterSalt: session.edhocExporter(EXPORTER_LABEL_OSCORE_MASTER_SALT, empty, options.saltLength ?? OSCORE_DEFAULT_SALT_LENGTH),
    senderId: Uint8Array.prototype.slice.call(initiator ? session.connectionIdR : session.connectionIdI),
    recipientId: Uint8Array.prototype.slice.call(initiator ? session.connectionIdI : session.connectionIdR),
    aeadAlgorithm: session.suite.appAead,
    hashAlgorithm: session.suite.appHash,
  };
}
