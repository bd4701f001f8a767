/**
 * Pledge addresses: the text form the transports use ('192.0.2.1', 'fe80::1%eth0') to and from the
 * plaintext of the stateless proxy's jpy_header (family, ifindex, port, address bytes).
 *
 * An IPv6 pledge is carried as its 64-bit interface identifier plus a slot in a small prefix table
 * kept here: slot → (upper 64 bits, zone). For link-local pledges (the draft's case) that is
 * fe80::/64 with the receiving interface's zone, so the slot plays the role of the draft's interface
 * index (§4.5.6). The table is the proxy's only long-lived state in stateless mode; it is bounded
 * (at most 256 slots, fewer when configured) and a pledge whose prefix does not fit is refused.
 */
import { isIP } from 'node:net';
import { JPY_HEADER_FAMILY_IPV4, JPY_HEADER_FAMILY_IPV6, type JpyHeaderPlaintext } from '../../codec/jpy/join-proxy-header.ts';

/** A UDP endpoint (the same shape as the transports' PeerAddress). */
export interface PledgeAddress {
  readonly address: string;
  readonly port: number;
}

/** The key of a UDP endpoint in maps (same format as transport's peerKey). */
export function pledgeKey(p: PledgeAddress): string {
  return `${p.address}|${p.port}`;
}

/** Parses an IPv4 dotted quad; undefined when it is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses an IPv6 literal (zone removed first) into 16 bytes; undefined when it is not one. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (isIP(text) !== 6) return undefined;
  let head = text;
  let v4: Uint8Array | undefined;
  const lastColon = head.lastIndexOf(':');
  if (head.indexOf('.', lastColon) >= 0) {
    v4 = parseIpv4(head.slice(lastColon + 1));
    if (!v4) return undefined;
    head = `${head.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.indexOf('::');
  const groupsOf = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let groups: string[];
  if (dbl >= 0) {
    const left = groupsOf(head.slice(0, dbl));
    const right = groupsOf(head.slice(dbl + 2));
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  } else groups = groupsOf(head);
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

/** RFC 5952 text of 16 bytes (lower case, longest run of two or more zero groups as '::'). */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** One text form per address: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 per RFC 5952 (zone kept). */
export function canonicalAddress(text: string): string {
  if (!text.includes(':')) return text; // IPv4 (the common case on the relay's hot path)
  const pct = text.indexOf('%');
  const bare = pct >= 0 ? text.slice(0, pct) : text;
  const zone = pct >= 0 ? text.slice(pct) : '';
  if (isIP(bare) === 4) return bare;
  const b = parseIpv6(bare);
  if (!b) return text;
  if (isV4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return formatIpv6(b) + zone;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

interface PrefixSlot {
  readonly key: string;
  readonly prefix: Uint8Array;
  readonly zone: string;
}

/** Maps pledge addresses to header plaintexts and back, with a bounded IPv6 prefix table. */
export class PledgeAddressCodec {
  private readonly slots: PrefixSlot[] = [];
  private readonly bySlotKey = new Map<string, number>();

  constructor(private readonly maxPrefixes = 16) {
    if (!Number.isInteger(maxPrefixes) || maxPrefixes < 1 || maxPrefixes > 256) throw new RangeError(`maxPrefixes ${maxPrefixes} is not 1..256`);
  }

  get prefixes(): number {
    return this.slots.length;
  }

  /** The header plaintext for a pledge; undefined when its address cannot be carried (prefix table full, not IP). */
  toPlaintext(p: PledgeAddress): JpyHeaderPlaintext | undefined {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 0xffff) return undefined;
    const pct = p.address.indexOf('%');
    const bare = pct >= 0 ? p.address.slice(0, pct) : p.address;
    const zone = pct >= 0 ? p.address.slice(pct + 1) : '';
    const v4 = parseIpv4(bare);
    if (v4) return zone ? undefined : { family: JPY_HEADER_FAMILY_IPV4, ifindex: 0, port: p.port, address: v4 };
    const b = parseIpv6(bare);
    if (!b) return undefined;
    if (isV4Mapped(b) && !zone) return { family: JPY_HEADER_FAMILY_IPV4, ifindex: 0, port: p.port, address: b.slice(12) };
    const prefix = b.slice(0, 8);
    const key = `${Buffer.from(prefix).toString('hex')}%${zone}`;
    let slot = this.bySlotKey.get(key);
    if (slot === undefined) {
      if (this.slots.length >= this.maxPrefixes) return undefined;
      slot = this.slots.length;
      this.slots.push({ key, prefix, zone });
      this.bySlotKey.set(key, slot);
    }
    return { family: JPY_HEADER_FAMILY_IPV6, ifindex: slot, port: p.port, address: b.slice(8) };
  }

  /** The pledge a header plaintext names (canonical text); undefined for an unknown prefix slot. */
  fromPlaintext(h: JpyHeaderPlaintext): PledgeAddress | undefined {
    if (h.family === JPY_HEADER_FAMILY_IPV4) {
      const a = h.address;
      return { address: `${a[0]}.${a[1]}.${a[2]}.${a[3]}`, port: h.port };
    }
    const slot = this.slots[h.ifindex];
    if (!slot) return undefined;
    const b = new Uint8Array(16);
    b.set(slot.prefix, 0);
    b.set(h.address, 8);
    return { address: formatIpv6(b) + (slot.zone ? `%${slot.zone}` : ''), port: h.port };
  }
}
