/**
 * Server-side Block1 reassembly (RFC 7959 §2.3, §2.5; RFC 9175 Request-Tag): pure state keyed by
 * the caller's transfer key (peer + request options, never the token), with bounds on body size,
 * transfers per peer and transfers in total. The map's insertion order is its LRU order.
 */
import { concatBytes } from '../../core/bytes.ts';
import { Code } from '../../codec/coap/numbers/codes.ts';
import { blockSize, type BlockOption } from '../../codec/coap/block-option.ts';

export interface Block1Limits {
  readonly maxBodySize: number;
  readonly maxPerPeer: number;
  readonly maxTotal: number;
  /** A transfer idle longer than this is forgotten. */
  readonly lifetimeMs: number;
}

export type Block1Outcome =
  | { readonly kind: 'continue'; readonly szx: number }
  | { readonly kind: 'complete'; readonly body: Uint8Array }
  | { readonly kind: 'error'; readonly code: number; readonly message: string; readonly size1?: number };

interface Transfer {
  readonly peer: string;
  readonly chunks: Uint8Array[];
  received: number;
  expires: number;
  /** The last block accepted, to answer its retransmission (new message ID) idempotently. */
  lastOffset: number;
  lastLength: number;
}

export class Block1Reassembler {
  private readonly transfers = new Map<string, Transfer>();
  private readonly perPeer = new Map<string, number>();
  evictions = 0;

  constructor(private readonly limits: Block1Limits) {}

  get active(): number {
    return this.transfers.size;
  }

  offer(key: string, peer: string, block: BlockOption, payload: Uint8Array, size1: number | undefined, preferredSzx: number, now: number): Block1Outcome {
    this.expire(now);
    const size = blockSize(block.szx);
    const max = this.limits.maxBodySize;
    if (block.more && payload.length !== size) {
      return { kind: 'error', code: Code.BAD_REQUEST, message: `block ${block.num} has ${payload.length} bytes, not ${size}` };
    }
    if (payload.length > size) {
      return { kind: 'error', code: Code.BAD_REQUEST, message: `last block has ${payload.length} bytes, more than ${size}` };
    }
    if (size1 !== undefined && size1 > max) {
      this.remove(key);
      return { kind: 'error', code: Code.REQUEST_ENTITY_TOO_LARGE, message: `body of ${size1} bytes exceeds ${max}`, size1: max };
    }
    const offset = block.num * size;
    let t = this.transfers.get(key);
    if (block.num === 0) {
      this.remove(key);
      t = { peer, chunks: [], received: 0, expires: 0, lastOffset: -1, lastLength: 0 };
    } else if (!t) {
      return { kind: 'error', code: Code.REQUEST_ENTITY_INCOMPLETE, message: `block ${block.num} without a transfer in progress` };
    } else if (offset !== t.received) {
      if (block.more && offset === t.lastOffset && payload.length === t.lastLength) {
        this.touch(key, t, now);
        return { kind: 'continue', szx: Math.min(block.szx, preferredSzx) };
      }
      return { kind: 'error', code: Code.REQUEST_ENTITY_INCOMPLETE, message: `block at offset ${offset}, expected ${t.received}` };
    }
    if (t.received + payload.length > max) {
      this.remove(key);
      return { kind: 'error', code: Code.REQUEST_ENTITY_TOO_LARGE, message: `body exceeds ${max} bytes`, size1: max };
    }
    t.chunks.push(payload);
    t.lastOffset = offset;
    t.lastLength = payload.length;
    t.received += payload.length;
    if (!block.more) {
      this.remove(key);
      return { kind: 'complete', body: t.chunks.length === 1 ? t.chunks[0]! : concatBytes(...t.chunks) };
    }
    if (!this.transfers.has(key)) this.admit(peer);
    this.touch(key, t, now);
    return { kind: 'continue', szx: Math.min(block.szx, preferredSzx) };
  }

  /** Makes room for one more transfer of `peer`: evicts that peer's oldest, or the oldest of all. */
  private admit(peer: string): void {
    if ((this.perPeer.get(peer) ?? 0) >= this.limits.maxPerPeer) {
      for (const [k, t] of this.transfers) {
        if (t.peer === peer) {
          this.remove(k);
          this.evictions++;
          break;
        }
      }
    }
    if (this.transfers.size >= this.limits.maxTotal) {
      const oldest = this.transfers.keys().next().value;
      if (oldest !== undefined) {
        this.remove(oldest);
        this.evictions++;
      }
    }
  }

  private touch(key: string, t: Transfer, now: number): void {
    const isNew = !this.transfers.delete(key);
    if (isNew) this.perPeer.set(t.peer, (this.perPeer.get(t.peer) ?? 0) + 1);
    t.expires = now + this.limits.lifetimeMs;
    this.transfers.set(key, t);
  }

  private remove(key: string): void {
    const t = this.transfers.get(key);
    if (!t) return;
    this.transfers.delete(key);
    const n = (this.perPeer.get(t.peer) ?? 1) - 1;
    if (n > 0) this.perPeer.set(t.peer, n);
    else this.perPeer.delete(t.peer);
  }

  private expire(now: number): void {
    for (const [k, t] of this.transfers) {
      if (t.expires > now) break;
      this.remove(k);
    }
  }
}
