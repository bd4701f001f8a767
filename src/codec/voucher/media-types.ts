/**
 * Media types of voucher artifacts. One type covers both directions and every role: the same
 * type is used for a PVR, an RVR and the voucher answering them (RFC 8995 §5.2 / §5.5 / §5.6,
 * cBRSKI §6.1: "the Registrar MUST use the same format for the RVR as the Pledge used for its
 * PVR"). There is no separate "voucher-request" media type.
 */
import { ContentFormat } from '../coap/numbers/content-formats.ts';

/** RFC 8366 §8.3 (re-registered by RFC 8366bis): CMS-signed JSON voucher data, file extension .vcj. */
export const MEDIA_TYPE_VOUCHER_CMS_JSON = 'application/voucher-cms+json';
/** cBRSKI §14.2: COSE_Sign1-signed CBOR voucher data, file extension .vch. */
export const MEDIA_TYPE_VOUCHER_COSE = 'application/voucher+cose';
/** cBRSKI §14.3: CoAP Content-Format of application/voucher+cose. */
export const CONTENT_FORMAT_VOUCHER_COSE = ContentFormat.VOUCHER_COSE;
/** RFC 8995 §5.8.1: the audit-log response. */
export const MEDIA_TYPE_AUDIT_LOG = 'application/json';

export type VoucherFormat = 'cose' | 'cms';

/** The voucher format a media type names (parameters ignored, case-insensitive), or undefined. */
export function voucherFormatOfMediaType(contentType: string | undefined): VoucherFormat | undefined {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === MEDIA_TYPE_VOUCHER_COSE) return 'cose';
  if (t === MEDIA_TYPE_VOUCHER_CMS_JSON) return 'cms';
  return undefined;
}

export function mediaTypeOfVoucherFormat(f: VoucherFormat): string {
  return f === 'cose' ? MEDIA_TYPE_VOUCHER_COSE : MEDIA_TYPE_VOUCHER_CMS_JSON;
}
