/**
 * The pledge's persisted enrollment transaction (`transaction.json`): what a restarted pledge
 * needs to go on polling the same CMP transaction (RFC 9483 §4.4) instead of starting over —
 * the CmpClient's exported state plus the new private key the certificate will be issued for.
 * It holds a private key: whoever writes it keeps it readable by the owner only.
 */
import { StackError } from '../../core/errors.ts';
import type { KeyAlgorithm } from '../../pki/index.ts';
import type { CmpClientState } from '../cmp/index.ts';

export const PLEDGE_TRANSACTION_STATE_VERSION = 1;

export interface PledgeTransactionState {
  readonly version: typeof PLEDGE_TRANSACTION_STATE_VERSION;
  /** The pledge (IDevID subject serialNumber) this transaction belongs to. */
  readonly serialNumber: string;
  /** Where the transaction runs (the registrar's URI), so a state is not resumed elsewhere. */
  readonly registrar: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** The new private key, PKCS#8 PEM. */
  readonly newKeyPem: string;
  readonly cmp: CmpClientState;
  /**
   * The pollReq on its way when the state was written (written ahead of sending it). A restarted
   * pledge sends these exact bytes again: a registrar that already answered them repeats its
   * stored answer, so the nonce chain survives a pledge that died before it saw the answer.
   */
  readonly outstanding?: OutstandingRequest;
  /** Wall-clock time (ISO 8601) the state was written. */
  readonly savedAt: string;
}

export type OutstandingRequest = OutstandingPollReq | OutstandingCertConf;

export interface OutstandingPollReq {
  readonly type: 'pollReq';
  /** DER of the request, hex. */
  readonly requestDer: string;
  /** Its senderNonce, hex. */
  readonly senderNonce: string;
}

/** certConf under way: the certificate it confirms is kept with it (DER, hex). */
export interface OutstandingCertConf {
  readonly type: 'certConf';
  readonly requestDer: string;
  readonly senderNonce: string;
  readonly certificate: string;
  /** Certificates for its path (extraCerts and caPubs of the answer), DER hex. */
  readonly pool: readonly string[];
}

const KEY_ALGORITHMS: readonly string[] = ['P-256', 'P-384', 'Ed25519', 'RSA-2048'];
const BODY_TYPES: readonly string[] = ['ir', 'cr', 'kur', 'p10cr'];
const HEX = /^(?:[0-9a-f]{2})*$/;

/** Checks a parsed transaction.json; ERR_CONFIG naming the first bad field. */
export function parsePledgeTransactionState(value: unknown, where = 'transaction state'): PledgeTransactionState {
  const bad = (field: string, why: string): never => {
    throw new StackError('ERR_CONFIG', `${where}: ${field} ${why}`);
  };
  if (typeof value !== 'object' || value === null) bad('(top level)', 'is not an object');
  const v = value as Record<string, unknown>;
  if (v.version !== PLEDGE_TRANSACTION_STATE_VERSION) bad('version', `is ${JSON.stringify(v.version)}, expected ${PLEDGE_TRANSACTION_STATE_VERSION}`);
  for (const k of ['serialNumber', 'registrar', 'newKeyPem', 'savedAt'] as const) {
    if (typeof v[k] !== 'string' || v[k] === '') bad(k, 'must be a non-empty string');
  }
  if (typeof v.keyAlgorithm !== 'string' || !KEY_ALGORITHMS.includes(v.keyAlgorithm)) bad('keyAlgorithm', `must be one of ${KEY_ALGORITHMS.join(', ')}`);
  const c = v.cmp as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null) bad('cmp', 'is not an object');
  const cmp = c as Record<string, unknown>;
  if (cmp.version !== 1) bad('cmp.version', 'must be 1');
  if (typeof cmp.bodyType !== 'string' || !BODY_TYPES.includes(cmp.bodyType)) bad('cmp.bodyType', `must be one of ${BODY_TYPES.join(', ')}`);
  for (const k of ['transactionId', 'recipNonce', 'publicKeySpki'] as const) {
    if (typeof cmp[k] !== 'string' || !HEX.test(cmp[k]) || cmp[k] === '') bad(`cmp.${k}`, 'must be lower-case hex');
  }
  for (const k of ['certReqId', 'startedAt', 'polls', 'checkAfterSeconds', 'lastResponseAt'] as const) {
    if (typeof cmp[k] !== 'number' || !Number.isFinite(cmp[k])) bad(`cmp.${k}`, 'must be a number');
  }
  if (typeof cmp.implicitConfirmRequested !== 'boolean') bad('cmp.implicitConfirmRequested', 'must be a boolean');
  if (v.outstanding !== undefined) {
    const o = v.outstanding as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || (o.type !== 'pollReq' && o.type !== 'certConf')) bad('outstanding.type', "must be 'pollReq' or 'certConf'");
    const hexFields = o.type === 'certConf' ? (['requestDer', 'senderNonce', 'certificate'] as const) : (['requestDer', 'senderNonce'] as const);
    for (const k of hexFields) {
      if (typeof o[k] !== 'string' || !HEX.test(o[k]) || o[k] === '') bad(`outstanding.${k}`, 'must be lower-case hex');
    }
    if (o.type === 'certConf' && !(Array.isArray(o.pool) && o.pool.every((x) => typeof x === 'string' && HEX.test(x)))) bad('outstanding.pool', 'must be a list of hex strings');
  }
  return v as unknown as PledgeTransactionState;
}
