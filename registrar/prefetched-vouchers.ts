/**
 * Nonceless vouchers the registrar fetched ahead of time (RFC 8995 §5.5: a registrar may ask for a
 * voucher without a nonce; the MASA bounds it with expires-on), kept in the registrar database
 * (registrar_meta, one JSON record under META_PREFETCHED_VOUCHERS) so they survive restarts and
 * can be served to pledges while the MASA cannot be reached.
 *
 * An expired voucher is never handed out: `usable` logs it and reports it, so the caller can say why
 * it has nothing to serve.
 */
import type { Clock } from '../src/core/clock.ts';
import type { Logger } from '../src/core/logger.ts';
import type { RegistrarStateStore } from '../src/store/registrar-state.ts';

export const META_PREFETCHED_VOUCHERS = 'noncelessVouchers';

export interface PrefetchedVoucher {
  /** The voucher as the pledge gets it (COSE_Sign1, unprotected certificates stripped), base64. */
  readonly voucher: string;
  readonly expiresOn: string;
  readonly fetchedAt: string;
  /** How often it was served. */
  readonly served: number;
}

export type PrefetchLookup =
  | { readonly kind: 'usable'; readonly voucher: Uint8Array; readonly expiresOn: string }
  | { readonly kind: 'expired'; readonly expiresOn: string }
  | { readonly kind: 'none' };

export class PrefetchedVouchers {
  constructor(
    private readonly state: RegistrarStateStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  all(): Record<string, PrefetchedVoucher> {
    return readPrefetchedVouchers(this.state);
  }

  private write(all: Record<string, PrefetchedVoucher>): void {
    this.state.putMetaJson(META_PREFETCHED_VOUCHERS, all);
  }

  put(serial: string, voucher: Uint8Array, expiresOn: string): void {
    const all = this.all();
    all[serial] = { voucher: Buffer.from(voucher).toString('base64'), expiresOn, fetchedAt: new Date(this.clock.now()).toISOString(), served: 0 };
    this.write(all);
  }

  /**
   * The voucher to serve to `serial` now. An expired one is reported (and logged) instead; it stays
   * stored, so every later request can be told why, until a prefetch round replaces it.
   */
  usable(serial: string): PrefetchLookup {
    const v = this.all()[serial];
    if (!v) return { kind: 'none' };
    if (!(Date.parse(v.expiresOn) > this.clock.now())) {
      this.logger.warn('prefetched nonceless voucher expired; not served', { pledge: serial, expiresOn: v.expiresOn, fetchedAt: v.fetchedAt });
      return { kind: 'expired', expiresOn: v.expiresOn };
    }
    return { kind: 'usable', voucher: new Uint8Array(Buffer.from(v.voucher, 'base64')), expiresOn: v.expiresOn };
  }

  markServed(serial: string): void {
    const all = this.all();
    const v = all[serial];
    if (!v) return;
    all[serial] = { ...v, served: v.served + 1 };
    this.write(all);
  }
}

export function readPrefetchedVouchers(state: RegistrarStateStore): Record<string, PrefetchedVoucher> {
  return state.getMetaJson<Record<string, PrefetchedVoucher>>(META_PREFETCHED_VOUCHERS) ?? {};
}
