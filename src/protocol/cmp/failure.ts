/**
 * CMP failures as typed errors that know how they are answered on the wire: every failure in
 * the CMP layer carries the PKIFailureInfo bits (RFC 9810 §5.2.3) and the PKIStatus to send, so
 * that a responder turns any error into an ErrorMsgContent (RFC 9810 §5.3.21, RFC 9483 §3.6.4)
 * with the right failInfo, and a client turns a received error message back into an error.
 */
import { StackError, isStackError, type StackErrorCode, type StackErrorDetails } from '../../core/errors.ts';
import {
  ErrorMsgContent,
  FailureInfo,
  PKIFailureInfo,
  PKIFreeText,
  PKIStatus,
  PKIStatusInfo,
  pkiStatusName,
  type FailureInfoName,
} from '../../codec/cmp/index.ts';

/** A StackError that carries the CMP answer: failInfo names and the PKIStatus (rejection unless told). */
export class CmpFailure extends StackError {
  readonly failInfo: readonly FailureInfoName[];
  /** A PKIStatus value (usually PKIStatus.rejection). */
  readonly status: number;

  constructor(
    code: StackErrorCode,
    failInfo: readonly FailureInfoName[],
    message: string,
    details: StackErrorDetails = {},
    cause?: unknown,
    status: number = PKIStatus.rejection,
  ) {
    super(code, message, { ...details, failInfo: [...failInfo], status }, cause);
    this.failInfo = Object.freeze([...failInfo]);
    this.status = status;
  }
}

/** Shorthand: `cmpFailure('ERR_CMP_POP_FAILED', 'badPOP', 'POP signature does not verify')`. */
export function cmpFailure(
  code: StackErrorCode,
  failInfo: FailureInfoName | readonly FailureInfoName[],
  message: string,
  details: StackErrorDetails = {},
  cause?: unknown,
): CmpFailure {
  return new CmpFailure(code, typeof failInfo === 'string' ? [failInfo] : failInfo, message, details, cause);
}

/** Failure bits for a typed error that does not name its own (by code); systemFailure for anything else. */
const BY_CODE: Partial<Record<StackErrorCode, FailureInfoName>> = {
  ERR_CMP_MALFORMED: 'badDataFormat',
  ERR_ASN1_MALFORMED: 'badDataFormat',
  ERR_CMP_PROTECTION: 'badMessageCheck',
  ERR_CMP_POP_FAILED: 'badPOP',
  ERR_CERT_CHAIN: 'signerNotTrusted',
  ERR_CMP_TRANSACTION: 'badRequest',
  ERR_CMP_UNSUPPORTED: 'badRequest',
  ERR_CMP_REJECTED: 'badRequest',
};

/** The failInfo names an error is answered with. */
export function failInfoOf(err: unknown): FailureInfoName[] {
  if (err instanceof CmpFailure) return [...err.failInfo];
  if (isStackError(err)) {
    const carried = err.details.failInfo;
    if (Array.isArray(carried) && carried.every((n) => typeof n === 'string' && n in FailureInfo)) {
      return carried as FailureInfoName[];
    }
    return [BY_CODE[err.code] ?? 'systemFailure'];
  }
  return ['systemFailure'];
}

/** The text sent in statusString: the message of typed errors, nothing internal for others. */
export function failureText(err: unknown): string {
  if (isStackError(err)) {
    if (BY_CODE[err.code] !== undefined || err instanceof CmpFailure) return err.message;
    return `internal error (${err.code})`;
  }
  return 'internal error';
}

/** PKIStatusInfo { status, statusString?, failInfo? }. */
export function statusInfo(status: number, text?: string, failInfo: readonly FailureInfoName[] = []): PKIStatusInfo {
  return new PKIStatusInfo({
    status,
    ...(text ? { statusString: new PKIFreeText([text]) } : {}),
    ...(failInfo.length > 0 ? { failInfo: PKIFailureInfo.fromBits(...failInfo) } : {}),
  });
}

/**
 * ErrorMsgContent for any error: status rejection (or the CmpFailure's status), the failInfo
 * bits of failInfoOf(), statusString = failureText(); errorDetails names the error code.
 */
export function errorMessageBody(err: unknown): ErrorMsgContent {
  const status = err instanceof CmpFailure ? err.status : PKIStatus.rejection;
  const code = isStackError(err) ? err.code : 'ERR_INTERNAL';
  return new ErrorMsgContent({
    pKIStatusInfo: statusInfo(status, failureText(err), failInfoOf(err)),
    errorDetails: new PKIFreeText([code]),
  });
}

/** The readable content of a PKIStatusInfo. */
export interface StatusSummary {
  readonly status: number;
  readonly statusName: string;
  readonly failInfo: FailureInfoName[];
  readonly text: string;
}

export function summarizeStatus(info: PKIStatusInfo): StatusSummary {
  return {
    status: info.status,
    statusName: pkiStatusName(info.status) ?? `status ${info.status}`,
    failInfo: info.failInfo ? info.failInfo.names() : [],
    text: info.statusString ? [...info.statusString].join('; ') : '',
  };
}

/** ERR_CMP_REJECTED from a PKIStatusInfo the peer sent (error message, or a rejecting response). */
export function rejectedBy(info: PKIStatusInfo, what: string, extra: StackErrorDetails = {}): CmpFailure {
  const s = summarizeStatus(info);
  const bits = s.failInfo.length > 0 ? ` [${s.failInfo.join(', ')}]` : '';
  const text = s.text ? `: ${s.text}` : '';
  return new CmpFailure('ERR_CMP_REJECTED', s.failInfo, `${what} ${s.statusName}${bits}${text}`, { ...extra, text: s.text }, undefined, s.status);
}

/** ERR_CMP_REJECTED from a received error message body. */
export function errorFromErrorMessage(content: ErrorMsgContent, extra: StackErrorDetails = {}): CmpFailure {
  const details = content.errorDetails ? [...content.errorDetails].join('; ') : undefined;
  return rejectedBy(content.pKIStatusInfo, 'CMP error message:', {
    ...extra,
    ...(content.errorCode !== undefined ? { errorCode: content.errorCode } : {}),
    ...(details ? { errorDetails: details } : {}),
  });
}
