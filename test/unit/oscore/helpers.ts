/** Shared fixtures for the OSCORE unit tests: the RFC 8613 C.1 pair of contexts and message helpers. */
import type { CoapOption } from '../../../src/codec/coap/message.ts';
import { fromHex } from '../../../src/core/bytes.ts';
import { SecurityContext, type SecurityContextParams } from '../../../src/protocol/oscore/security-context.ts';

export const MASTER_SECRET = fromHex('0102030405060708090a0b0c0d0e0f10');
export const MASTER_SALT = fromHex('9e7ca92223786340');

/** Client side of RFC 8613 C.1 (Sender ID '', Recipient ID 01), with overrides. */
export function clientContext(extra: Partial<SecurityContextParams> = {}): SecurityContext {
  return SecurityContext.derive({ masterSecret: MASTER_SECRET, masterSalt: MASTER_SALT, senderId: new Uint8Array(0), recipientId: Uint8Array.of(1), ...extra });
}

/** Server side of RFC 8613 C.1 (Sender ID 01, Recipient ID ''), with overrides. */
export function serverContext(extra: Partial<SecurityContextParams> = {}): SecurityContext {
  return SecurityContext.derive({ masterSecret: MASTER_SECRET, masterSalt: MASTER_SALT, senderId: Uint8Array.of(1), recipientId: new Uint8Array(0), ...extra });
}

export const str = (n: number, s: string): CoapOption => ({ number: n, value: new TextEncoder().encode(s) });
export const body = (n: number, seed = 1): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed * 7) & 0xff);
