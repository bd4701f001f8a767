/**
 * The result of a completed EDHOC session (RFC 9528 §4.2): PRK_out and the exporter interface,
 *
 *   EDHOC_Exporter( label, context, length ) = EDHOC_KDF( PRK_exporter, label, context, length )
 *
 * and EDHOC_KeyUpdate (Appendix H), which yields a session with a new PRK_out.
 */
import { StackError } from '../../core/errors.ts';
import type { EdhocCredential } from './credentials.ts';
import type { ConnectionId } from './identifiers.ts';
import { KDF_KEY_UPDATE, prkExporter } from './key-schedule.ts';
import { edhocKdf } from './kdf.ts';
import type { EdhocMethod, EdhocSuite } from './suites.ts';

export type EdhocRole = 'initiator' | 'responder';

export interface EdhocSessionInit {
  readonly role: EdhocRole;
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  /** The peer's credential, as the application resolved and EDHOC verified it. */
  readonly peerCredential: EdhocCredential;
  readonly prkOut: Uint8Array;
}

export class EdhocSession {
  readonly role: EdhocRole;
  readonly method: EdhocMethod;
  readonly suite: EdhocSuite;
  readonly connectionIdI: ConnectionId;
  readonly connectionIdR: ConnectionId;
  readonly peerCredential: EdhocCredential;
  readonly #prkOut: Uint8Array;
  readonly #prkExporter: Uint8Array;

  constructor(init: EdhocSessionInit) {
    this.role = init.role;
    this.method = init.method;
    this.suite = init.suite;
    this.connectionIdI = init.connectionIdI;
    this.connectionIdR = init.connectionIdR;
    this.peerCredential = init.peerCredential;
    this.#prkOut = Uint8Array.prototype.slice.call(init.prkOut);
    this.#prkExporter = prkExporter(init.suite, this.#prkOut);
  }

  /** EDHOC_Exporter(label, context, length). */
  edhocExporter(label: number, context: Uint8Array, length: number): Uint8Array {
    if (!Number.isSafeInteger(label) || label < 0) throw new StackError('ERR_INVALID_ARGUMENT', `exporter label ${label} is not a uint`);
    return edhocKdf(this.suite, this.#prkExporter, label, context, length);
  }

  /** EDHOC_KeyUpdate(context): a session whose PRK_out is EDHOC_KDF(PRK_out, 11, context, hash_length). */
  keyUpdate(context: Uint8Array): EdhocSession {
    return new EdhocSession({ ...this.sessionInit(), prkOut: edhocKdf(this.suite, this.#prkOut, KDF_KEY_UPDATE, context, this.suite.hashLength) });
  }

  /** A copy of PRK_out (for applications that store it, RFC 9528 §4.1.3). */
  exportPrkOut(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.#prkOut);
  }

  /** A copy of PRK_exporter. */
  exportPrkExporter(): Uint8Array {
    return Uint8Array.prototype.slice.call(this.#prkExporter);
  }

  private sessionInit(): EdhocSessionInit {
    return {
      role: this.role,
      method: this.method,
      suite: this.suite,
      connectionIdI: this.connectionIdI,
      connectionIdR: this.connectionIdR,
      peerCredential: this.peerCredential,
      prkOut: this.#prkOut,
    };
  }
}
