import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CMPCertificate } from './cmp-certificate.ts';
import { CertConfirmContent } from './cert-confirm-content.ts';
import { CertRepMessage } from './cert-rep-message.ts';
import { CertReqMessages } from './cert-req-messages.ts';
import { CertificationRequestDer } from './certification-request-der.ts';
import { ErrorMsgContent } from './error-msg-content.ts';
import { GenMsgContent, GenRepContent } from './gen-msg-content.ts';
import { NestedMessageContent } from './nested-message-content.ts';
import { PollRepContent } from './poll-rep-content.ts';
import { PollReqContent } from './poll-req-content.ts';
import { RevRepContent } from './rev-rep-content.ts';
import { RevReqContent } from './rev-req-content.ts';

/**
 * ```asn1
 * PKIBody ::= CHOICE {       -- message-specific body elements
 *   ir       [0]  CertReqMessages,        --Initialization Request
 *   ip       [1]  CertRepMessage,         --Initialization Response
 *   cr       [2]  CertReqMessages,        --Certification Request
 *   cp       [3]  CertRepMessage,         --Certification Response
 *   p10cr    [4]  CertificationRequest,   --imported from [PKCS10]
 *   popdecc  [5]  POPODecKeyChallContent, --pop Challenge
 *   popdecr  [6]  POPODecKeyRespContent,  --pop Response
 *   kur      [7]  CertReqMessages,        --Key Update Request
 *   kup      [8]  CertRepMessage,         --Key Update Response
 *   krr      [9]  CertReqMessages,        --Key Recovery Request
 *   krp      [10] KeyRecRepContent,       --Key Recovery Response
 *   rr       [11] RevReqContent,          --Revocation Request
 *   rp       [12] RevRepContent,          --Revocation Response
 *   ccr      [13] CertReqMessages,        --Cross-Cert. Request
 *   ccp      [14] CertRepMessage,         --Cross-Cert. Response
 *   ckuann   [15] CAKeyUpdAnnContent,     --CA Key Update Ann.
 *   cann     [16] CertAnnContent,         --Certificate Ann.
 *   rann     [17] RevAnnContent,          --Revocation Ann.
 *   crlann   [18] CRLAnnContent,          --CRL Announcement
 *   pkiconf  [19] PKIConfirmContent,      --Confirmation
 *   nested   [20] NestedMessageContent,   --Nested Message
 *   genm     [21] GenMsgContent,          --General Message
 *   genp     [22] GenRepContent,          --General Response
 *   error    [23] ErrorMsgContent,        --Error Message
 *   certConf [24] CertConfirmContent,     --Certificate confirm
 *   pollReq  [25] PollReqContent,         --Polling request
 *   pollRep  [26] PollRepContent          --Polling response
 * }
 * PKIConfirmContent ::= NULL
 * ```
 * (RFC 9810 §5.1.2, EXPLICIT tags: [n] wraps the complete content element.)
 * Exactly one property is set. The choices the Lightweight CMP Profile does not use
 * (popdecc, popdecr, krp, ckuann, rann, crlann) are kept as the DER of their content.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class PKIBody {
  @AsnProp({ type: CertReqMessages, context: 0 })
  ir?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 1 })
  ip?: CertRepMessage;

  @AsnProp({ type: CertReqMessages, context: 2 })
  cr?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 3 })
  cp?: CertRepMessage;

  @AsnProp({ type: CertificationRequestDer, context: 4 })
  p10cr?: CertificationRequestDer;

  /** DER of the POPODecKeyChallContent. */
  @AsnProp({ type: AsnPropTypes.Any, context: 5 })
  popdecc?: ArrayBuffer;

  /** DER of the POPODecKeyRespContent. */
  @AsnProp({ type: AsnPropTypes.Any, context: 6 })
  popdecr?: ArrayBuffer;

  @AsnProp({ type: CertReqMessages, context: 7 })
  kur?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 8 })
  kup?: CertRepMessage;

  @AsnProp({ type: CertReqMessages, context: 9 })
  krr?: CertReqMessages;

  /** DER of the KeyRecRepContent. */
  @AsnProp({ type: AsnPropTypes.Any, context: 10 })
  krp?: ArrayBuffer;

  @AsnProp({ type: RevReqContent, context: 11 })
  rr?: RevReqContent;

  @AsnProp({ type: RevRepContent, context: 12 })
  rp?: RevRepContent;

  @AsnProp({ type: CertReqMessages, context: 13 })
  ccr?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 14 })
  ccp?: CertRepMessage;

  /** DER of the CAKeyUpdAnnContent. */
  @AsnProp({ type: AsnPropTypes.Any, context: 15 })
  ckuann?: ArrayBuffer;

  /** CertAnnContent ::= CMPCertificate */
  @AsnProp({ type: CMPCertificate, context: 16 })
  cann?: CMPCertificate;

  /** DER of the RevAnnContent. */
  @AsnProp({ type: AsnPropTypes.Any, context: 17 })
  rann?: ArrayBuffer;

  /** DER of the CRLAnnContent. */
  @AsnProp({ type: AsnPropTypes.Any, context: 18 })
  crlann?: ArrayBuffer;

  /** PKIConfirmContent ::= NULL, so `null` when chosen. */
  @AsnProp({ type: AsnPropTypes.Null, context: 19 })
  pkiconf?: null;

  @AsnProp({ type: NestedMessageContent, context: 20 })
  nested?: NestedMessageContent;

  @AsnProp({ type: GenMsgContent, context: 21 })
  genm?: GenMsgContent;

  @AsnProp({ type: GenRepContent, context: 22 })
  genp?: GenRepContent;

  @AsnProp({ type: ErrorMsgContent, context: 23 })
  error?: ErrorMsgContent;

  @AsnProp({ type: CertConfirmContent, context: 24 })
  certConf?: CertConfirmContent;

  @AsnProp({ type: PollReqContent, context: 25 })
  pollReq?: PollReqContent;

  @AsnProp({ type: PollRepContent, context: 26 })
  pollRep?: PollRepContent;

  constructor(params: Partial<PKIBody> = {}) {
    Object.assign(this, params);
  }
}

/** The PKIBody choices in tag order: PKIBODY_TYPES[n] is the name of [n]. */
export const PKIBODY_TYPES = [
  'ir', 'ip', 'cr', 'cp', 'p10cr', 'popdecc', 'popdecr', 'kur', 'kup', 'krr', 'krp', 'rr', 'rp',
  'ccr', 'ccp', 'ckuann', 'cann', 'rann', 'crlann', 'pkiconf', 'nested', 'genm', 'genp', 'error',
  'certConf', 'pollReq', 'pollRep',
] as const;

/** The name of a PKIBody choice, as in the ASN.1 ('pkiconf' is all lower case there). */
export type PKIBodyType = (typeof PKIBODY_TYPES)[number];

/** The choice that is set in `body`; throws a TypeError when none is. */
export function pkiBodyType(body: PKIBody): PKIBodyType {
  for (const t of PKIBODY_TYPES) if (body[t] !== undefined) return t;
  throw new TypeError('PKIBody has no choice set');
}

/** The context tag number of a choice. */
export function pkiBodyTag(type: PKIBodyType): number {
  return PKIBODY_TYPES.indexOf(type);
}
