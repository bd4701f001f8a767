/**
 * CMP (RFC 9810) and CRMF (RFC 4211) codec, as profiled by the Lightweight CMP Profile
 * (RFC 9483). The schema classes follow @peculiar/asn1-schema, one file per ASN.1 concept;
 * this module adds the entry points.
 *
 * Decoding is strict (see der-codec.ts): a message is accepted only if re-encoding the decoded
 * value gives the input back byte for byte, so `encodePkiMessage(decodePkiMessage(der))`
 * equals `der` for every accepted input, and protection can be checked over
 * `encodeProtectedPart(m.header, m.body)`. Every decode error is StackError ERR_CMP_MALFORMED.
 */
import * as asn1js from 'asn1js';
import { StackError, hexPrefix } from '../../core/errors.ts';
import { BER_LIMITS, toArrayBuffer } from './asn1-support.ts';
import { decodeAsn1, encodeAsn1 } from './der-codec.ts';
import { InfoTypeAndValue } from './info-type-and-value.ts';
import { PKIBODY_TYPES, PKIBody, pkiBodyType, type PKIBodyType } from './pki-body.ts';
import type { PKIHeader } from './pki-header.ts';
import { PKIMessage } from './pki-message.ts';
import { PKIMessages } from './pki-messages.ts';
import { ProtectedPart } from './protected-part.ts';

export * from './oids.ts';
export { CMPCertificate } from './cmp-certificate.ts';
export { CertificationRequestDer } from './certification-request-der.ts';
export { PKIFreeText } from './pki-free-text.ts';
export { PKIStatus, pkiStatusName, type PKIStatusName } from './pki-status.ts';
export { FailureInfo, PKIFailureInfo, type FailureInfoName } from './pki-failure-info.ts';
export { PKIStatusInfo } from './pki-status-info.ts';
export { AttributeTypeAndValue, Controls } from './controls.ts';
export { OptionalValidity } from './optional-validity.ts';
export { CertTemplate } from './cert-template.ts';
export { CertRequest } from './cert-request.ts';
export { AuthInfo, PKMACValue, POPOSigningKey, POPOSigningKeyInput } from './poposigning-key.ts';
export { ProofOfPossession } from './proof-of-possession.ts';
export { CertReqMsg } from './cert-req-msg.ts';
export { CertReqMessages } from './cert-req-messages.ts';
export { InfoTypeAndValue } from './info-type-and-value.ts';
export { GenMsgContent, GenRepContent } from './gen-msg-content.ts';
export { CaCertsValue, CertProfileValue, CertReqTemplateContent, RootCaKeyUpdateContent } from './info-values.ts';
export { PKIHeader, PVNO, nullDn } from './pki-header.ts';
export { CertOrEncCert, CertifiedKeyPair } from './certified-key-pair.ts';
export { CertResponse } from './cert-response.ts';
export { CertRepMessage } from './cert-rep-message.ts';
export { ErrorMsgContent } from './error-msg-content.ts';
export { CertConfirmContent, CertStatus } from './cert-confirm-content.ts';
export { PollReqContent, PollReqContentEntry } from './poll-req-content.ts';
export { PollRepContent, PollRepContentEntry } from './poll-rep-content.ts';
export { CertId } from './cert-id.ts';
export { RevDetails, RevReqContent } from './rev-req-content.ts';
export { RevRepContent } from './rev-rep-content.ts';
export { NestedMessageContent } from './nested-message-content.ts';
export { PKIBODY_TYPES, PKIBody, pkiBodyTag, type PKIBodyType } from './pki-body.ts';
export { PKIMessage } from './pki-message.ts';
export { PKIMessages } from './pki-messages.ts';
export { ProtectedPart } from './protected-part.ts';
export { PBMParameter } from './pbm-parameter.ts';
export { PBKDF2Params, PBMAC1Params } from './pbmac1-params.ts';
export { decodeAsn1, encodeAsn1, type DecodeOptions } from './der-codec.ts';

/** Decodes one DER PKIMessage. Throws StackError ERR_CMP_MALFORMED for anything else. */
export function decodePkiMessage(der: Uint8Array): PKIMessage {
  return decodeAsn1(der, PKIMessage, { what: 'PKIMessage', precheck: (root) => checkBodyTag(root, root, der) });
}

/** Encodes a PKIMessage as DER. Throws StackError ERR_INVALID_ARGUMENT for unencodable values. */
export function encodePkiMessage(message: PKIMessage): Uint8Array {
  return encodeAsn1(message, 'PKIMessage');
}

/** Parser limits for a batch: room for thousands of messages, still bounded. */
const BATCH_LIMITS = { ...BER_LIMITS, maxNodes: 4_000_000, maxContentLength: 64 << 20 };

/** Decodes a DER PKIMessages (a batch, e.g. an offline transfer file). */
export function decodePkiMessages(der: Uint8Array): PKIMessages {
  return decodeAsn1(der, PKIMessages, {
    what: 'PKIMessages',
    limits: BATCH_LIMITS,
    precheck: (root) => {
      if (root instanceof asn1js.Sequence) for (const m of root.valueBlock.value) checkBodyTag(m, root, der);
    },
  });
}

/** Encodes PKIMessages as DER. */
export function encodePkiMessages(messages: PKIMessages | readonly PKIMessage[]): Uint8Array {
  const batch = messages instanceof PKIMessages ? messages : new PKIMessages([...messages]);
  return encodeAsn1(batch, 'PKIMessages');
}

/** The DER of ProtectedPart { header, body }: the input to PKIMessage.protection. */
export function encodeProtectedPart(header: PKIHeader, body: PKIBody): Uint8Array {
  return encodeAsn1(new ProtectedPart({ header, body }), 'ProtectedPart');
}

/** Which PKIBody choice a message or body carries. */
export function bodyTypeOf(x: PKIMessage | PKIBody): PKIBodyType {
  const body = x instanceof PKIMessage ? x.body : x;
  try {
    return pkiBodyType(body);
  } catch (e) {
    throw new StackError('ERR_INVALID_ARGUMENT', 'PKIBody has no choice set', {}, e);
  }
}

/**
 * The typed value of an InfoTypeAndValue, e.g. `decodeInfoValue(itav, CaCertsValue)`;
 * undefined when the value is absent. The caller checks infoType first.
 */
export function decodeInfoValue<T extends object>(itav: InfoTypeAndValue, type: new () => T): T | undefined {
  const v = itav.infoValue;
  if (v === undefined) return undefined;
  const der = v === null ? new Uint8Array([0x05, 0x00]) : new Uint8Array(v);
  return decodeAsn1(der, type, { what: `infoValue of ${itav.infoType}` });
}

/** An InfoTypeAndValue; `value` is a schema object, `null` for NULL, or omitted for none. */
export function infoTypeAndValue(infoType: string, value?: object | null): InfoTypeAndValue {
  if (value === undefined) return new InfoTypeAndValue({ infoType });
  if (value === null) return new InfoTypeAndValue({ infoType, infoValue: null });
  return new InfoTypeAndValue({ infoType, infoValue: toArrayBuffer(encodeAsn1(value)) });
}

/** Refuses a body tag outside PKIBody with a clear message (asn1-schema says only "Choice"). */
function checkBodyTag(message: asn1js.AsnType, root: asn1js.AsnType, input: Uint8Array): void {
  if (!(message instanceof asn1js.Sequence)) return;
  const body = message.valueBlock.value[1];
  if (!body) return;
  const { tagClass, tagNumber } = body.idBlock;
  if (tagClass !== 3 || tagNumber >= PKIBODY_TYPES.length || !body.idBlock.isConstructed) {
    const tag = tagClass === 3 ? `[${tagNumber}]` : `class ${tagClass} tag ${tagNumber}`;
    throw new StackError('ERR_CMP_MALFORMED', `PKIMessage: body tag ${tag} is not a PKIBody choice`, {
      offset: body.valueBeforeDecodeView.byteOffset - (root as asn1js.BaseBlock).valueBeforeDecodeView.byteOffset,
      inputHex: hexPrefix(input),
    });
  }
  if (PKIBODY_TYPES[tagNumber] === 'nested') {
    const inner = (body as asn1js.Constructed).valueBlock.value[0];
    if (inner instanceof asn1js.Sequence) for (const m of inner.valueBlock.value) checkBodyTag(m, root, input);
  }
}
