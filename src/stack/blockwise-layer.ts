/**
 * Block-wise transfer (RFC 7959) for both roles and both directions, as one endpoint layer.
 *
 * Server: Block1 requests are reassembled (keyed by peer + request options incl. Request-Tag,
 * never the token), answered 2.31 per block, 4.08 on a gap, 4.13 + Size1 when too large; responses
 * larger than the negotiated block size are cut into Block2 blocks with an ETag and Size2, kept for
 * follow-up requests (random access; GET/FETCH are regenerated if the copy expired).
 * Client: large payloads go out as Block1 (following a smaller SZX the server asks for), and
 * Block2 responses are fetched to the end, checking the ETag.
 */
import { blockSize, decodeBlockOption, encodeBlockOption, szxForSize, type BlockOption } from '../codec/coap/block-option.ts';
import type { CoapOption } from '../codec/coap/message.ts';
import { Code, isSuccess } from '../codec/coap/numbers/codes.ts';
import { Opt } from '../codec/coap/numbers/options.ts';
import { findOption, uintOpt, uintOption } from '../codec/coap/option-value.ts';
import { bytesEqual, concatBytes, toHex } from '../core/bytes.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { StackError, isStackError } from '../core/errors.ts';
import { cryptoRandom, type Random } from '../core/random.ts';
import { Block1Reassembler } from '../protocol/coap/block1-reassembly.ts';
import { decodeOscoreOption } from '../protocol/oscore/oscore-option.ts';
import { ExpiringMap } from '../protocol/coap/expiring-map.ts';
import { peerKey, type PeerAddress } from '../transport/transport.ts';
import { response, type ClientNext, type ClientRequest, type CoapResponse, type Layer, type ServerNext, type ServerRequest } from './exchange.ts';

export interface BlockwiseConfig {
  /** Largest block we send or accept, and the client's default (16..1024). */
  readonly preferredBlockSize: number;
  /** Largest reassembled body, in either direction. */
  readonly maxBodySize: number;
  readonly maxReassembliesPerPeer: number;
  readonly maxReassemblies: number;
  /** Responses kept for Block2 follow-ups. */
  readonly maxCachedResponses: number;
  /** How long an idle transfer (either direction) is kept. */
  readonly transferLifetimeMs: number;
  /**
   * Ask for our block size (Block2 NUM 0) in every request, not only GET/FETCH and requests to
   * peers seen doing block-wise: for clients whose servers must support block-wise (a BRSKI
   * registrar, RFC 9148 §5), so that even the first answer (e.g. EDHOC message_2) comes in small
   * blocks on a constrained link.
   */
  readonly alwaysNegotiateBlock2: boolean;
}

export const BLOCKWISE_DEFAULTS: BlockwiseConfig = Object.freeze({
  preferredBlockSize: 1024,
  maxBodySize: 1 << 20,
  maxReassembliesPerPeer: 4,
  maxReassemblies: 256,
  maxCachedResponses: 256,
  transferLifetimeMs: 247_000,
  alwaysNegotiateBlock2: false,
});

/** Options that identify a request for Block1 reassembly (RFC 9175 §3.3 lists what may not differ). */
const BLOCK1_KEY_OPTIONS = new Set<number>([Opt.URI_HOST, Opt.URI_PORT, Opt.URI_PATH, Opt.URI_QUERY, Opt.CONTENT_FORMAT, Opt.OSCORE, Opt.REQUEST_TAG]);
/**
 * Options that identify a representation for Block2 follow-ups. Under OSCORE the Uri-* options
 * are encrypted, so the sender's kid (not the Partial IV, which changes) keeps the responses of
 * different security contexts from one address apart.
 */
const BLOCK2_KEY_OPTIONS = new Set<number>([Opt.URI_HOST, Opt.URI_PORT, Opt.URI_PATH, Opt.URI_QUERY, Opt.ACCEPT, Opt.OSCORE]);
const TRANSFER_OPTIONS = new Set<number>([Opt.BLOCK1, Opt.BLOCK2, Opt.SIZE1, Opt.SIZE2]);

interface CachedRepresentation {
  readonly res: CoapResponse;
  readonly etag: Uint8Array;
}

export class BlockwiseLayer implements Layer {
  readonly name = 'blockwise';
  readonly criticalOptions = [Opt.BLOCK1, Opt.BLOCK2];
  readonly config: BlockwiseConfig;
  private readonly preferredSzx: number;
  private readonly reassembler: Block1Reassembler;
  private readonly cache: ExpiringMap<string, CachedRepresentation>;
  /** Our Block1 uploads in progress per peer + resource, to add a Request-Tag to concurrent ones. */
  private readonly uploads = new Map<string, number>();
  /** Peers that answered with block options (bounded; forgotten wholesale when full). */
  private readonly blockwisePeers = new Set<string>();

  private noteBlockwisePeer(peer: PeerAddress): void {
    if (this.blockwisePeers.size >= 1024) this.blockwisePeers.clear();
    this.blockwisePeers.add(peerKey(peer));
  }

  constructor(
    config: Partial<BlockwiseConfig> = {},
    private readonly clock: Clock = systemClock,
    private readonly random: Random = cryptoRandom,
  ) {
    const c = { ...BLOCKWISE_DEFAULTS, ...config };
    this.preferredSzx = szxForSize(c.preferredBlockSize);
    for (const k of ['maxBodySize', 'maxReassembliesPerPeer', 'maxReassemblies', 'maxCachedResponses', 'transferLifetimeMs'] as const) {
      if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new StackError('ERR_CONFIG', `blockwise ${k} must be a positive integer, got ${c[k]}`);
    }
    this.config = Object.freeze(c);
    this.reassembler = new Block1Reassembler({
      maxBodySize: c.maxBodySize,
      maxPerPeer: c.maxReassembliesPerPeer,
      maxTotal: c.maxReassemblies,
      lifetimeMs: c.transferLifetimeMs,
    });
    this.cache = new ExpiringMap(c.transferLifetimeMs, c.maxCachedResponses);
  }

  get activeReassemblies(): number {
    return this.reassembler.active;
  }

  get cachedResponses(): number {
    return this.cache.size;
  }

  // ---- server side -----------------------------------------------------------------------------

  async handleRequest(req: ServerRequest, next: ServerNext): Promise<CoapResponse> {
    let block1: BlockOption | undefined;
    let block2: BlockOption | undefined;
    try {
      const b1 = findOption(req, Opt.BLOCK1);
      const b2 = findOption(req, Opt.BLOCK2);
      if (b1) block1 = decodeBlockOption(b1, Opt.BLOCK1);
      if (b2) block2 = decodeBlockOption(b2, Opt.BLOCK2);
    } catch (e) {
      return response(Code.BAD_OPTION, isStackError(e) ? e.message : 'bad block option');
    }
    const pk = peerKey(req.peer);
    const szx2 = Math.min(block2?.szx ?? this.preferredSzx, this.preferredSzx);
    const wantSize2 = findOption(req, Opt.SIZE2) !== undefined;

    if (block2 && block2.num > 0 && !block1) {
      const key = `${pk}|${req.method}|${optionKey(req.options, BLOCK2_KEY_OPTIONS)}`;
      const cached = this.cache.get(key, this.clock.now());
      if (cached) return this.slice(cached, block2.num, szx2, wantSize2);
      if (req.method !== Code.GET && req.method !== Code.FETCH) {
        return response(Code.REQUEST_ENTITY_INCOMPLETE, 'no response kept for this block');
      }
      // Random access on a representation we no longer hold: regenerate it.
      const res = await next(strip(req));
      if (!isSuccess(res.code) || findOption(res, Opt.BLOCK2)) return res;
      return this.slice(this.keep(key, res), block2.num, szx2, wantSize2);
    }

    let full = req;
    let block1Echo: CoapOption | undefined;
    if (block1) {
      const key = `${pk}|${req.method}|${optionKey(req.options, BLOCK1_KEY_OPTIONS)}`;
      const outcome = this.reassembler.offer(key, pk, block1, req.payload, lenientUint(req, Opt.SIZE1), this.preferredSzx, this.clock.now());
      if (outcome.kind === 'error') {
        const opts = outcome.size1 !== undefined ? [uintOpt(Opt.SIZE1, outcome.size1)] : [];
        return response(outcome.code, outcome.message, opts);
      }
      if (outcome.kind === 'continue') {
        return response(Code.CONTINUE, undefined, [{ number: Opt.BLOCK1, value: encodeBlockOption({ num: block1.num, more: true, szx: outcome.szx }) }]);
      }
      full = { ...req, payload: outcome.body, options: req.options.filter((o) => o.number !== Opt.BLOCK1 && o.number !== Opt.SIZE1) };
      block1Echo = { number: Opt.BLOCK1, value: encodeBlockOption({ num: block1.num, more: false, szx: block1.szx }) };
    } else if (req.payload.length > this.config.maxBodySize) {
      return response(Code.REQUEST_ENTITY_TOO_LARGE, undefined, [uintOpt(Opt.SIZE1, this.config.maxBodySize)]);
    }

    let res = await next(block2 ? strip(full) : full);
    if (res.payload.length > blockSize(szx2) && !findOption(res, Opt.BLOCK2)) {
      const key = `${pk}|${req.method}|${optionKey(req.options, BLOCK2_KEY_OPTIONS)}`;
      res = this.slice(this.keep(key, res), 0, szx2, true);
    }
    return block1Echo ? { ...res, options: sorted([...res.options, block1Echo]) } : res;
  }

  private keep(key: string, res: CoapResponse): CachedRepresentation {
    const etag = findOption(res, Opt.ETAG) ?? etagOf(res);
    const rep = { res: { ...res, options: res.options.filter((o) => o.number !== Opt.ETAG && o.number !== Opt.BLOCK1) }, etag };
    this.cache.set(key, rep, this.clock.now());
    return rep;
  }

  private slice(rep: CachedRepresentation, num: number, szx: number, withSize2: boolean): CoapResponse {
    const size = blockSize(szx);
    const body = rep.res.payload;
    const offset = num * size;
    if (offset >= body.length && !(offset === 0 && body.length === 0)) {
      return response(Code.BAD_OPTION, `block ${num} is past the end (${body.length} bytes)`);
    }
    const end = Math.min(offset + size, body.length);
    const opts: CoapOption[] = rep.res.options.filter((o) => o.number !== Opt.SIZE2);
    opts.push({ number: Opt.ETAG, value: rep.etag });
    opts.push({ number: Opt.BLOCK2, value: encodeBlockOption({ num, more: end < body.length, szx }) });
    if (withSize2) opts.push(uintOpt(Opt.SIZE2, body.length));
    return { code: rep.res.code, options: sorted(opts), payload: body.subarray(offset, end) };
  }

  // ---- client side -----------------------------------------------------------------------------

  async sendRequest(req: ClientRequest, next: ClientNext): Promise<CoapResponse> {
    let szx = Math.min(szxForSize(req.blockSize ?? this.config.preferredBlockSize), this.preferredSzx);
    let res: CoapResponse;
    if (req.payload.length > blockSize(szx)) {
      res = await this.upload(req, szx, next);
      const b1 = findOption(res, Opt.BLOCK1);
      if (b1) szx = Math.min(szx, decodeBlockOption(b1, Opt.BLOCK1).szx);
    } else {
      let options = req.options;
      // Early negotiation (RFC 7959 §2.4): ask for our block size from the first response block on.
      // For GET/FETCH always; for other methods only towards a peer known to do block-wise, as
      // Block2 is critical and a server without it would answer 4.02.
      const known =
        this.config.alwaysNegotiateBlock2 || req.method === Code.GET || req.method === Code.FETCH || this.blockwisePeers.has(peerKey(req.peer));
      if (req.blockSize !== undefined && known && !findOption(req, Opt.BLOCK2)) options = sorted([...options, block2Hint(szx)]);
      res = await next({ ...req, options });
    }
    if (findOption(res, Opt.BLOCK1) || findOption(res, Opt.BLOCK2)) this.noteBlockwisePeer(req.peer);
    return this.download(req, res, szx, next);
  }

  private async upload(req: ClientRequest, szx: number, next: ClientNext): Promise<CoapResponse> {
    const body = req.payload;
    const resourceKey = `${peerKey(req.peer)}|${optionKey(req.options, BLOCK1_KEY_OPTIONS)}`;
    const concurrent = this.uploads.get(resourceKey) ?? 0;
    this.uploads.set(resourceKey, concurrent + 1);
    const base = req.options.filter((o) => !TRANSFER_OPTIONS.has(o.number) && (concurrent === 0 || o.number !== Opt.REQUEST_TAG));
    if (concurrent > 0) base.push({ number: Opt.REQUEST_TAG, value: this.random.bytes(4) });
    try {
      let offset = 0;
      for (;;) {
        const size = blockSize(szx);
        const chunk = body.subarray(offset, offset + size);
        const more = offset + chunk.length < body.length;
        const opts = [...base, { number: Opt.BLOCK1, value: encodeBlockOption({ num: offset / size, more, szx }) }];
        if (offset === 0) opts.push(uintOpt(Opt.SIZE1, body.length));
        // With the last block, the size we want the response in (RFC 7959 §3.3, combined use).
        if (!more && req.blockSize !== undefined && !findOption(req, Opt.BLOCK2)) opts.push(block2Hint(szx));
        const res = await next({ ...req, options: sorted(opts), payload: chunk });
        if (!more || res.code !== Code.CONTINUE) return res;
        const echo = findOption(res, Opt.BLOCK1);
        if (echo) {
          const b = decodeBlockOption(echo, Opt.BLOCK1);
          // The server may ask for smaller blocks; what we sent is taken whole (RFC 7959 §2.5).
          if (b.szx < szx) szx = b.szx;
        }
        offset += chunk.length;
      }
    } finally {
      const n = (this.uploads.get(resourceKey) ?? 1) - 1;
      if (n > 0) this.uploads.set(resourceKey, n);
      else this.uploads.delete(resourceKey);
    }
  }

  private async download(req: ClientRequest, first: CoapResponse, preferredSzx: number, next: ClientNext): Promise<CoapResponse> {
    const b2raw = findOption(first, Opt.BLOCK2);
    if (!b2raw) return first;
    let b2 = decodeBlockOption(b2raw, Opt.BLOCK2);
    if (!b2.more) return first;
    if (b2.num !== 0) throw new StackError('ERR_BLOCK_OUT_OF_ORDER', `first response carries block ${b2.num}, not 0`);
    const size2 = lenientUint(first, Opt.SIZE2);
    if (size2 !== undefined && size2 > this.config.maxBodySize) {
      throw new StackError('ERR_BODY_TOO_LARGE', `response of ${size2} bytes exceeds ${this.config.maxBodySize}`);
    }
    const etag = findOption(first, Opt.ETAG);
    const base = req.options.filter((o) => !TRANSFER_OPTIONS.has(o.number) && o.number !== Opt.CONTENT_FORMAT && o.number !== Opt.REQUEST_TAG);
    const parts = [first.payload];
    let received = first.payload.length;
    let szx = Math.min(b2.szx, preferredSzx);
    while (b2.more) {
      const size = blockSize(szx);
      const num = received / size;
      if (!Number.isInteger(num)) throw new StackError('ERR_BLOCK_OUT_OF_ORDER', `received ${received} bytes, not a multiple of ${size}`);
      const opts = sorted([...base, { number: Opt.BLOCK2, value: encodeBlockOption({ num, more: false, szx }) }]);
      const res = await next({ ...req, options: opts, payload: new Uint8Array(0) });
      if (!isSuccess(res.code)) return res;
      const raw = findOption(res, Opt.BLOCK2);
      if (!raw) throw new StackError('ERR_BLOCK_MALFORMED', `response to block ${num} carries no Block2 option`);
      b2 = decodeBlockOption(raw, Opt.BLOCK2);
      const tag = findOption(res, Opt.ETAG);
      if (etag && tag && !bytesEqual(etag, tag)) {
        throw new StackError('ERR_BLOCK_ETAG_CHANGED', `representation changed during the transfer (ETag ${toHex(etag)} → ${toHex(tag)})`);
      }
      if (b2.num * blockSize(b2.szx) !== received) {
        throw new StackError('ERR_BLOCK_OUT_OF_ORDER', `asked for offset ${received}, got block ${b2.num} of ${blockSize(b2.szx)}`);
      }
      if (b2.more && res.payload.length !== blockSize(b2.szx)) {
        throw new StackError('ERR_BLOCK_MALFORMED', `block ${b2.num} has ${res.payload.length} bytes, not ${blockSize(b2.szx)}`);
      }
      received += res.payload.length;
      if (received > this.config.maxBodySize) throw new StackError('ERR_BODY_TOO_LARGE', `response exceeds ${this.config.maxBodySize} bytes`);
      parts.push(res.payload);
      szx = Math.min(b2.szx, szx);
    }
    const options = first.options.filter((o) => o.number !== Opt.BLOCK2 && o.number !== Opt.SIZE2);
    return { code: first.code, options, payload: concatBytes(...parts) };
  }
}

/** An elective uint option with a malformed value is ignored (RFC 7252 §5.4.3), not an error. */
function lenientUint(m: { readonly options: readonly CoapOption[] }, n: number): number | undefined {
  const v = findOption(m, n);
  return v && v.length <= 4 ? uintOption(m, n) : undefined;
}

function block2Hint(szx: number): CoapOption {
  return { number: Opt.BLOCK2, value: encodeBlockOption({ num: 0, more: false, szx }) };
}

function strip(req: ServerRequest): ServerRequest {
  return { ...req, options: req.options.filter((o) => o.number !== Opt.BLOCK2 && o.number !== Opt.SIZE2) };
}

function sorted(options: CoapOption[]): CoapOption[] {
  return options.sort((a, b) => a.number - b.number);
}

function optionKey(options: readonly CoapOption[], which: ReadonlySet<number>): string {
  let k = '';
  for (const o of options) {
    if (!which.has(o.number)) continue;
    k += `${o.number}=${o.number === Opt.OSCORE && which === BLOCK2_KEY_OPTIONS ? oscoreSenderKey(o.value) : toHex(o.value)};`;
  }
  return k;
}

/** kid context and kid of an OSCORE option value (the Partial IV left out). */
function oscoreSenderKey(value: Uint8Array): string {
  try {
    const o = decodeOscoreOption(value);
    return `${o.kidContext ? toHex(o.kidContext) : ''}/${o.kid ? toHex(o.kid) : ''}`;
  } catch {
    return toHex(value);
  }
}

/** A short ETag from the representation (FNV-1a over code and payload, plus the length). */
function etagOf(res: CoapResponse): Uint8Array {
  let h = 0x811c9dc5 ^ res.code;
  const p = res.payload;
  for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p[i]!, 0x01000193);
  const n = p.length;
  return Uint8Array.of(h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
