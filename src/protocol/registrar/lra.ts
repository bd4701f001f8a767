/**
 * The decisions of the registrar as Local RA (RFC 9733 §5.1, RFC 9483 §4.4 and §5), as pure
 * functions of the transaction state and a message: no store, no sockets, no clock.
 *
 * A pledge's certificate request is either *relayed* — the CA answered within the upstream
 * timeout and the registrar passed that answer on unchanged, so the pledge talks to the CA
 * (its nonces are the CA's) — or *held*: the registrar answered "waiting" itself and carries the
 * transaction: it polls the CA on its own, answers the pledge's pollReq with pollRep, delivers
 * the CA's final answer re-protected, acknowledges certConf locally and confirms upstream.
 * A relayed transaction becomes held when the CA is out of reach at a later step.
 *
 * A follow-up (pollReq, certConf) tells by its recipNonce whom it answers: the registrar's own
 * last message (held) or the CA's (relayed).
 */
import { bytesEqual } from '../../core/bytes.ts';
import {
  PKIStatus,
  bodyTypeOf,
  type FailureInfoName,
  type PKIBodyType,
  type PKIMessage,
} from '../../codec/cmp/index.ts';
import type { RegistrarTx, TxMode, TxOutcome, TxPatch, TxPhase } from '../../store/registrar-state.ts';
import { hasImplicitConfirm } from '../cmp/message-builder.ts';
import { readCertResponse } from './messages.ts';

export const CERT_REQUEST_TYPES = ['ir', 'cr', 'kur', 'p10cr'] as const;
export type CertRequestType = (typeof CERT_REQUEST_TYPES)[number];

export function isCertRequestType(t: string): t is CertRequestType {
  return (CERT_REQUEST_TYPES as readonly string[]).includes(t);
}

/** A refusal to send back as a CMP error message. */
export interface Refusal {
  readonly kind: 'refuse';
  readonly failInfo: FailureInfoName;
  readonly text: string;
}

const refuse = (failInfo: FailureInfoName, text: string): Refusal => ({ kind: 'refuse', failInfo, text });

// --- follow-up messages from the pledge -----------------------------------------------------

export type FollowUpRoute =
  /** Held, still without the CA's final answer: pollRep with checkAfter. */
  | { readonly kind: 'poll-pending' }
  /** Held, the CA's final answer is here: deliver it re-protected. */
  | { readonly kind: 'poll-deliver' }
  /** Relayed: forward the pledge's pollReq to the CA (nested) and relay the answer. */
  | { readonly kind: 'poll-relay' }
  /**
   * Acknowledge certConf with the registrar's own pkiConf and confirm upstream: with the pledge's
   * certConf ('pledge', relayed transactions: it answers the CA's message) or with the
   * registrar's own ('own', held transactions).
   */
  | { readonly kind: 'confirm-local'; readonly upstream: 'pledge' | 'own' }
  /** Relayed: forward certConf to the CA and relay its pkiConf. */
  | { readonly kind: 'confirm-relay' }
  | Refusal;

/** Where a pollReq or certConf of the pledge goes, given the transaction's state. */
export function routeFollowUp(tx: RegistrarTx, msg: PKIMessage, o: { readonly localCertConf: boolean }): FollowUpRoute {
  const type = bodyTypeOf(msg);
  const rn = msg.header.recipNonce;
  if (!rn) return refuse('badRecipientNonce', `${type} without recipNonce`);
  const toUs = tx.ourNonce !== undefined && bytesEqual(rn, tx.ourNonce);
  const toCa = tx.mode === 'relayed' && tx.upstreamNonce !== undefined && bytesEqual(rn, tx.upstreamNonce);
  if (!toUs && !toCa) return refuse('badRecipientNonce', `${type}: recipNonce is not the senderNonce of the last response in this transaction`);

  if (type === 'pollReq') {
    if (toCa) return tx.phase === 'waiting' ? { kind: 'poll-relay' } : refuse('badRequest', `pollReq, but the transaction is ${tx.phase}, not waiting`);
    if (tx.phase === 'forwarding' || tx.phase === 'waiting') return { kind: 'poll-pending' };
    if (tx.phase === 'answered') return { kind: 'poll-deliver' };
    return refuse('badRequest', `pollReq, but the answer was delivered already (${tx.phase})`);
  }
  if (type === 'certConf') {
    if (tx.phase === 'confirming' || tx.phase === 'closed') return refuse('certConfirmed', 'the certificate of this transaction has been confirmed already');
    if (tx.phase !== 'delivered' || tx.outcome !== 'issued') return refuse('badRequest', `certConf, but the transaction is ${tx.phase}`);
    if (toCa) return o.localCertConf ? { kind: 'confirm-local', upstream: 'pledge' } : { kind: 'confirm-relay' };
    return { kind: 'confirm-local', upstream: 'own' };
  }
  return refuse('badRequest', `${type} is not a follow-up message`);
}

// --- answers from the CA --------------------------------------------------------------------

export interface UpstreamEffect {
  /** What the CA said. */
  readonly kind: 'waiting' | 'issued' | 'rejected' | 'error' | 'confirmed' | 'unexpected';
  /** Changes to the transaction (empty for 'unexpected'). */
  readonly patch: TxPatch;
  /** Held and the CA still waits: the registrar polls again after this many ms. */
  readonly pollAfterMs?: number;
  /** The transaction is finished. */
  readonly close?: TxOutcome;
  readonly text?: string;
}

/** The phases in which an answer to a message of type `sent` may still change the transaction. */
export function phasesAccepting(sent: string): readonly TxPhase[] {
  if (sent === 'certConf') return ['delivered', 'confirming'];
  return ['forwarding', 'waiting'];
}

/**
 * What the CA's (verified) answer to a message of type `sent` means for a transaction now run
 * in `mode`. `defaultCheckAfterSeconds` applies when the CA says waiting without a time.
 */
export function upstreamEffect(
  sent: PKIBodyType | string,
  answer: PKIMessage,
  answerDer: Uint8Array,
  mode: TxMode,
  defaultCheckAfterSeconds: number,
): UpstreamEffect {
  const type = bodyTypeOf(answer);
  const upstreamNonce = answer.header.senderNonce;
  const held = mode === 'held';
  const base: TxPatch = { ...(upstreamNonce ? { upstreamNonce } : {}) };

  if (sent === 'certConf') {
    if (type === 'pkiconf') return { kind: 'confirmed', patch: { ...base, phase: 'closed' }, close: 'issued' };
    if (type === 'error') {
      const text = answer.body.error!.pKIStatusInfo.statusString ? [...answer.body.error!.pKIStatusInfo.statusString].join('; ') : '';
      // The pledge holds its certificate already; the CA's refusal is logged, the transaction ends.
      return { kind: 'error', patch: { ...base, phase: 'closed' }, close: 'issued', text };
    }
    return { kind: 'unexpected', patch: {}, text: `${type} in answer to certConf` };
  }

  if (type === 'ip' || type === 'cp' || type === 'kup') {
    const r = readCertResponse(answer);
    if (r.kind === 'waiting') {
      return {
        kind: 'waiting',
        patch: { ...base, phase: 'waiting' },
        ...(held ? { pollAfterMs: defaultCheckAfterSeconds * 1000 } : {}),
      };
    }
    if (r.kind === 'issued') {
      const implicit = hasImplicitConfirm(answer.header);
      const phase: TxPhase = held ? 'answered' : implicit ? 'closed' : 'delivered';
      return {
        kind: 'issued',
        patch: { ...base, phase, answerDer, outcome: 'issued', certificateDer: r.certificateDer!, implicitConfirm: implicit, certReqId: r.certReqId },
        ...(!held && implicit ? { close: 'issued' as const } : {}),
      };
    }
    const text = r.status.statusString ? [...r.status.statusString].join('; ') : '';
    return { kind: 'rejected', patch: { ...base, phase: held ? 'answered' : 'closed', answerDer, outcome: 'rejected' }, ...(!held ? { close: 'rejected' as const } : {}), text };
  }
  if (type === 'pollRep') {
    const entry = answer.body.pollRep![0];
    const checkAfter = entry ? Math.max(0, entry.checkAfter) : defaultCheckAfterSeconds;
    return { kind: 'waiting', patch: { ...base, phase: 'waiting', upstreamCheckAfter: checkAfter }, ...(held ? { pollAfterMs: checkAfter * 1000 } : {}) };
  }
  if (type === 'error') {
    const info = answer.body.error!.pKIStatusInfo;
    const text = info.statusString ? [...info.statusString].join('; ') : '';
    if (info.status === PKIStatus.waiting) {
      return { kind: 'waiting', patch: { ...base, phase: 'waiting' }, ...(held ? { pollAfterMs: defaultCheckAfterSeconds * 1000 } : {}), text };
    }
    return { kind: 'error', patch: { ...base, phase: held ? 'answered' : 'closed', answerDer, outcome: 'error' }, ...(!held ? { close: 'error' as const } : {}), text };
  }
  return { kind: 'unexpected', patch: {}, text: `${type} in answer to ${sent}` };
}
