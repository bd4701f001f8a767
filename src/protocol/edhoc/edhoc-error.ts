/**
 * EDHOC error messages (RFC 9528 §6) and the exception that carries them.
 *
 *   error = ( ERR_CODE : int, ERR_INFO : any )
 *
 *   ERR_CODE 0 reserved (success, never on the wire), 1 unspecified error (tstr),
 *   2 wrong selected cipher suite (SUITES_R : suites), 3 unknown credential referenced (true).
 *
 * EdhocError is a StackError with code ERR_EDHOC. When this endpoint must answer, `reply` holds
 * the error message to send (and `replyMessage` its encoding); when the peer sent an error
 * message, `received` holds it. Every EdhocError is also published on the diagnostics channel
 * `brski-ae:edhoc:error` as { message, reply, received } (error codes and texts only).
 */
import { channel } from 'node:diagnostics_channel';
import { encodeCborSequence, type CborValue } from '../../codec/cbor/cbor.ts';
import { StackError, type StackErrorDetails } from '../../core/errors.ts';

export const EDHOC_ERR_SUCCESS = 0;
export const EDHOC_ERR_UNSPECIFIED = 1;
export const EDHOC_ERR_WRONG_SELECTED_SUITE = 2;
export const EDHOC_ERR_UNKNOWN_CREDENTIAL = 3;

/** An EDHOC error message, decoded. */
export interface EdhocErrorMessage {
  readonly code: number;
  readonly info: CborValue;
}

/** The encoding of an error message as a CBOR Sequence. */
export function encodeErrorMessage(m: EdhocErrorMessage): Uint8Array {
  return encodeCborSequence([m.code, m.info]);
}

export function unspecifiedError(text: string): EdhocErrorMessage {
  return { code: EDHOC_ERR_UNSPECIFIED, info: text };
}

export function wrongSelectedSuiteError(suitesR: readonly number[]): EdhocErrorMessage {
  return { code: EDHOC_ERR_WRONG_SELECTED_SUITE, info: suitesR.length === 1 ? suitesR[0]! : [...suitesR] };
}

export function unknownCredentialError(): EdhocErrorMessage {
  return { code: EDHOC_ERR_UNKNOWN_CREDENTIAL, info: true };
}

export interface EdhocErrorOptions {
  readonly reply?: EdhocErrorMessage;
  readonly received?: EdhocErrorMessage;
  readonly details?: StackErrorDetails;
  readonly cause?: unknown;
}

/** Subscribers see every EdhocError as it is made (RFC 9528 §6: the diagnostic should reach a log). */
export const edhocErrorChannel = channel('brski-ae:edhoc:error');

export class EdhocError extends StackError {
  /** The error message this endpoint should send back (then abort the session). */
  readonly reply: EdhocErrorMessage | undefined;
  /** The error message the peer sent. */
  readonly received: EdhocErrorMessage | undefined;

  constructor(message: string, opts: EdhocErrorOptions = {}) {
    super('ERR_EDHOC', message, opts.details ?? {}, opts.cause);
    this.reply = opts.reply;
    this.received = opts.received;
    if (edhocErrorChannel.hasSubscribers) {
      edhocErrorChannel.publish({ message, reply: opts.reply?.code, received: opts.received?.code, details: this.details });
    }
  }

  /** The encoded error message to send, if this endpoint should answer. */
  get replyMessage(): Uint8Array | undefined {
    return this.reply ? encodeErrorMessage(this.reply) : undefined;
  }

  /** SUITES_R of a received error code 2, as a list. */
  get suitesR(): number[] | undefined {
    if (this.received?.code !== EDHOC_ERR_WRONG_SELECTED_SUITE) return undefined;
    const info = this.received.info;
    return typeof info === 'number' ? [info] : Array.isArray(info) ? (info as number[]) : undefined;
  }

  /** A malformed or unprocessable message: answer with error code 1. */
  static malformed(what: string, problem: string, details: StackErrorDetails = {}, cause?: unknown): EdhocError {
    return new EdhocError(`malformed ${what}: ${problem}`, { reply: unspecifiedError(`malformed ${what}`), details, cause });
  }

  /** A processing failure to be answered with error code 1 and this diagnostic text. */
  static unspecified(message: string, text: string, details: StackErrorDetails = {}, cause?: unknown): EdhocError {
    return new EdhocError(message, { reply: unspecifiedError(text), details, cause });
  }

  /** The peer sent an error message. */
  static fromPeer(received: EdhocErrorMessage, where: string): EdhocError {
    const text = received.code === EDHOC_ERR_UNSPECIFIED && typeof received.info === 'string' ? `: ${received.info}` : '';
    return new EdhocError(`peer sent EDHOC error ${received.code} in place of ${where}${text}`, {
      received,
      details: { errCode: received.code },
    });
  }
}
