/**
 * The stateless Join Proxy's `jpy_header`: the pledge's return address, sealed so that only the
 * proxy that wrote it can read it and so that a forged or altered header fails integrity
 * (draft-ietf-anima-constrained-join-proxy-20 §4.5.5 "JPY Message Security", §4.5.6 example).
 * The format is a local matter of the proxy (the registrar reflects it as opaque bytes); ours is:
 *
 *   plaintext  = family (1) | ifindex (1) | port (2, big endian, > 0) | address (4 for IPv4, or the
 *                8-byte interface identifier of an IPv6 address whose upper 64 bits the proxy
 *                keeps in slot `ifindex` of its prefix table, fe80::/64 for link-local pledges)
 *   jpy_header = kid (1) | siv (6) | AES-128-CCM ciphertext of the plaintext | tag (8)
 *
 * 23 bytes for an IPv4 pledge, 27 for IPv6: within the 32 bytes of §4.5.2.
 *
 * The header must be the same for every datagram of one pledge: the registrar tells pledges apart
 * by (proxy address, proxy port, header) (§4.4), so a fresh random nonce per datagram would turn
 * every datagram into a new pledge. The nonce is therefore synthetic (as in SIV, RFC 5297): siv =
 * HMAC-SHA-256(mac key, kid | plaintext) truncated to 6 bytes, and the CCM nonce (13 bytes) =
 * kid | siv | 6 zero bytes. Equal plaintexts give equal headers (intended); different plaintexts
 * reuse a nonce only if their 48-bit siv collide. On opening, the tag is checked and then the siv
 * recomputed from the plaintext, so both must hold. The draft recommends AES-CCM with a 64-bit tag
 * (§7, as RFC 8974 does), which is what is used here.
 *
 * Keys rotate (the draft RECOMMENDS infrequently, e.g. every 24 h): the key id byte names the key
 * that sealed a header; the previous key keeps opening headers for a grace period after a
 * rotation, then it is erased. Time is passed in (`now`, ms), so the ring is pure and testable.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { StackError, hexPrefix } from '../../core/errors.ts';
import { cryptoRandom, type Random } from '../../core/random.ts';

export const JPY_HEADER_FAMILY_IPV4 = 0;
export const JPY_HEADER_FAMILY_IPV6 = 1;

/** The pledge's return address as carried in the header. */
export interface JpyHeaderPlaintext {
  /** 0 = IPv4, 1 = IPv6. */
  readonly family: 0 | 1;
  /** Interface / prefix slot on the pledge side (0..255). */
  readonly ifindex: number;
  /** The pledge's UDP port (1..65535). */
  readonly port: number;
  /** 4 bytes (IPv4) or the 8-byte interface identifier (IPv6). */
  readonly address: Uint8Array;
}

export const HEADER_KID_BYTES = 1;
export const HEADER_SIV_BYTES = 6;
export const HEADER_TAG_BYTES = 8;
const CCM_NONCE_BYTES = 13;
const AES_KEY_BYTES = 16;
const MAC_KEY_BYTES = 32;
/** Bound into every header through the AAD, so a later format cannot be confused with this one. */
const AAD = Uint8Array.of(0x01);

function addressLength(family: number): number {
  return family === JPY_HEADER_FAMILY_IPV4 ? 4 : 8;
}

export function encodeJpyHeaderPlaintext(p: JpyHeaderPlaintext): Uint8Array {
  if (p.family !== 0 && p.family !== 1) throw new StackError('ERR_INVALID_ARGUMENT', `header family ${String(p.family)} is not 0 or 1`);
  if (!Number.isInteger(p.ifindex) || p.ifindex < 0 || p.ifindex > 255) throw new StackError('ERR_INVALID_ARGUMENT', `header ifindex ${p.ifindex} is not 0..255`);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 0xffff) throw new StackError('ERR_INVALID_ARGUMENT', `header port ${p.port} is not 1..65535`);
  const n = addressLength(p.family);
  if (p.address.length !== n) throw new StackError('ERR_INVALID_ARGUMENT', `header address of family ${p.family} must be ${n} bytes, got ${p.address.length}`);
  const out = new Uint8Array(4 + n);
  out[0] = p.family;
  out[1] = p.ifindex;
  out[2] = p.port >> 8;
  out[3] = p.port & 0xff;
  out.set(p.address, 4);
  return out;
}

/** Decodes a plaintext; undefined when it is not one (only possible for a key misuse: it was authenticated). */
export function decodeJpyHeaderPlaintext(b: Uint8Array): JpyHeaderPlaintext | undefined {
  if (b.length < 4) return undefined;
  const family = b[0]!;
  if (family !== 0 && family !== 1) return undefined;
  if (b.length !== 4 + addressLength(family)) return undefined;
  const port = (b[2]! << 8) | b[3]!;
  if (port === 0) return undefined;
  return { family, ifindex: b[1]!, port, address: b.slice(4) };
}

/** Why a header was refused. Every refusal means: drop the datagram silently (§4.5.5) and count it. */
export type JpyHeaderRejection = 'malformed' | 'unknown-key' | 'integrity';

export type JpyHeaderOpenResult = { readonly ok: true; readonly plaintext: JpyHeaderPlaintext; readonly kid: number } | { readonly ok: false; readonly reason: JpyHeaderRejection };

export interface JpyKeyRingOptions {
  /** A new key every this many ms (0: never rotate). */
  readonly rotationMs: number;
  /** How long the previous key still opens headers after a rotation. */
  readonly graceMs: number;
  readonly random?: Random;
}

export interface JpyKeyRingStats {
  sealed: number;
  opened: number;
  rotations: number;
  rejected: Record<JpyHeaderRejection, number>;
}

interface HeaderKey {
  readonly kid: number;
  readonly aes: Buffer;
  readonly mac: Buffer;
  readonly createdAt: number;
  /** When it stopped sealing (previous key only). */
  retiredAt?: number;
}

/** Seals and opens `jpy_header`s under a rotating proxy-local key. */
export class JpyHeaderKeyRing {
  readonly stats: JpyKeyRingStats = { sealed: 0, opened: 0, rotations: 0, rejected: { malformed: 0, 'unknown-key': 0, integrity: 0 } };
  private current: HeaderKey;
  private previous: HeaderKey | undefined;
  private readonly random: Random;
  private readonly rotationMs: number;
  private readonly graceMs: number;

  constructor(opts: JpyKeyRingOptions, now: number) {
    if (!(Number.isFinite(opts.rotationMs) && opts.rotationMs >= 0)) throw new StackError('ERR_CONFIG', `key rotation interval ${opts.rotationMs} ms is not >= 0`);
    if (!(Number.isFinite(opts.graceMs) && opts.graceMs >= 0)) throw new StackError('ERR_CONFIG', `key grace period ${opts.graceMs} ms is not >= 0`);
    this.rotationMs = opts.rotationMs;
    this.graceMs = opts.graceMs;
    this.random = opts.random ?? cryptoRandom;
    this.current = this.newKey(this.random.int(256), now);
  }

  /** The key id that seals now. */
  get currentKid(): number {
    return this.current.kid;
  }

  /** The key id still accepted during a grace period, if any. */
  previousKid(now: number): number | undefined {
    this.maintain(now);
    return this.previous?.kid;
  }

  /** Whether headers under key `kid` still open now (the current key, or the previous one in its grace period). */
  accepts(kid: number, now: number): boolean {
    this.maintain(now);
    return kid === this.current.kid || kid === this.previous?.kid;
  }

  /** Starts a new key now; the current one becomes the previous one (and a still older one is erased). */
  rotate(now: number): void {
    this.rotateAt(now, now);
  }

  /**
   * Rotates when due and drops the previous key when its grace period is over. Rotation is checked
   * lazily (on use), but counted from when it was due: the retired key's grace period starts at its
   * due time, and the new key's interval at the last due time passed.
   */
  maintain(now: number): void {
    const r = this.rotationMs;
    if (r > 0 && now - this.current.createdAt >= r) {
      const intervals = Math.floor((now - this.current.createdAt) / r);
      this.rotateAt(this.current.createdAt + r, this.current.createdAt + intervals * r);
    }
    if (this.previous && now - this.previous.retiredAt! >= this.graceMs) {
      this.erase(this.previous);
      this.previous = undefined;
    }
  }

  private rotateAt(retiredAt: number, createdAt: number): void {
    this.erase(this.previous);
    this.current.retiredAt = retiredAt;
    this.previous = this.current;
    this.current = this.newKey((this.current.kid + 1) & 0xff, createdAt);
    this.stats.rotations++;
  }

  /** The header for a pledge: the same bytes for the same plaintext under the same key. */
  seal(plaintext: JpyHeaderPlaintext, now: number): Uint8Array {
    this.maintain(now);
    const k = this.current;
    const pt = encodeJpyHeaderPlaintext(plaintext);
    const siv = syntheticIv(k, pt);
    const c = createCipheriv('aes-128-ccm', k.aes, nonceOf(k.kid, siv), { authTagLength: HEADER_TAG_BYTES });
    c.setAAD(AAD, { plaintextLength: pt.length });
    const ct = c.update(pt);
    c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(HEADER_KID_BYTES + HEADER_SIV_BYTES + ct.length + HEADER_TAG_BYTES);
    out[0] = k.kid;
    out.set(siv, HEADER_KID_BYTES);
    out.set(ct, HEADER_KID_BYTES + HEADER_SIV_BYTES);
    out.set(tag, HEADER_KID_BYTES + HEADER_SIV_BYTES + ct.length);
    this.stats.sealed++;
    return out;
  }

  /** Opens a header from a registrar; never throws for bad input (a refusal is counted and returned). */
  open(header: Uint8Array, now: number): JpyHeaderOpenResult {
    this.maintain(now);
    const overhead = HEADER_KID_BYTES + HEADER_SIV_BYTES + HEADER_TAG_BYTES;
    const ptLen = header.length - overhead;
    if (ptLen !== 8 && ptLen !== 12) return this.reject('malformed');
    const kid = header[0]!;
    const k = kid === this.current.kid ? this.current : kid === this.previous?.kid ? this.previous : undefined;
    if (!k) return this.reject('unknown-key');
    const siv = header.subarray(HEADER_KID_BYTES, HEADER_KID_BYTES + HEADER_SIV_BYTES);
    const ct = header.subarray(HEADER_KID_BYTES + HEADER_SIV_BYTES, HEADER_KID_BYTES + HEADER_SIV_BYTES + ptLen);
    const tag = header.subarray(header.length - HEADER_TAG_BYTES);
    let pt: Buffer;
    try {
      const d = createDecipheriv('aes-128-ccm', k.aes, nonceOf(kid, siv), { authTagLength: HEADER_TAG_BYTES });
      d.setAuthTag(tag);
      d.setAAD(AAD, { plaintextLength: ptLen });
      pt = d.update(ct);
      d.final();
    } catch {
      return this.reject('integrity');
    }
    if (!constantTimeEqual(syntheticIv(k, pt), siv)) return this.reject('integrity');
    const plaintext = decodeJpyHeaderPlaintext(pt);
    if (!plaintext) return this.reject('integrity');
    this.stats.opened++;
    return { ok: true, plaintext, kid };
  }

  private reject(reason: JpyHeaderRejection): JpyHeaderOpenResult {
    this.stats.rejected[reason]++;
    return { ok: false, reason };
  }

  private newKey(kid: number, now: number): HeaderKey {
    return { kid, aes: Buffer.from(this.random.bytes(AES_KEY_BYTES)), mac: Buffer.from(this.random.bytes(MAC_KEY_BYTES)), createdAt: now };
  }

  private erase(k: HeaderKey | undefined): void {
    k?.aes.fill(0);
    k?.mac.fill(0);
  }
}

function syntheticIv(k: HeaderKey, pt: Uint8Array): Uint8Array {
  const h = createHmac('sha256', k.mac);
  h.update(Uint8Array.of(k.kid));
  h.update(pt);
  return new Uint8Array(h.digest().subarray(0, HEADER_SIV_BYTES));
}

function nonceOf(kid: number, siv: Uint8Array): Uint8Array {
  const n = new Uint8Array(CCM_NONCE_BYTES);
  n[0] = kid;
  n.set(siv, 1);
  return n;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** For error messages and logs: a header is shown by its key id and a short prefix, never decrypted. */
export function describeJpyHeader(header: Uint8Array): string {
  return `kid ${header[0] ?? '-'} (${header.length} bytes: ${hexPrefix(header, 8)})`;
}
