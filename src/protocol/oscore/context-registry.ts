/**
 * Security contexts by (ID Context, Recipient ID) — what a server looks up with a request's 'kid'
 * and 'kid context' (RFC 8613 §8.2 step 2) — bounded as an LRU: at most `maxContexts` entries, the
 * least recently used one dropped first.
 *
 * A request without 'kid context' matches the context without ID Context first, then (§3.3: the
 * server "may need to try multiple times") those with an ID Context and the same Recipient ID.
 */
import { toHex } from '../../core/bytes.ts';
import { StackError } from '../../core/errors.ts';
import { contextKey, type IdContext, type Kid } from './ids.ts';
import type { SecurityContext } from './security-context.ts';

export interface ContextRegistryConfig {
  readonly maxContexts: number;
  /** How many contexts one request without 'kid context' may be tried against. */
  readonly maxCandidates: number;
  /** Told about contexts dropped to stay within `maxContexts`. */
  readonly onEvict?: (ctx: SecurityContext) => void;
}

export const CONTEXT_REGISTRY_DEFAULTS: ContextRegistryConfig = Object.freeze({ maxContexts: 256, maxCandidates: 4 });

export class SecurityContextRegistry {
  readonly config: ContextRegistryConfig;
  private readonly byKey = new Map<string, SecurityContext>();
  /** Recipient ID (hex) -> keys of the contexts with that Recipient ID. */
  private readonly byRecipient = new Map<string, Set<string>>();
  evictions = 0;

  constructor(config: Partial<ContextRegistryConfig> = {}) {
    const c = { ...CONTEXT_REGISTRY_DEFAULTS, ...config };
    for (const k of ['maxContexts', 'maxCandidates'] as const) {
      if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new StackError('ERR_CONFIG', `context registry ${k} must be a positive integer, got ${c[k]}`);
    }
    this.config = Object.freeze(c);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** Adds (or replaces) a context under its key, dropping the least recently used beyond the cap. */
  add(ctx: SecurityContext): this {
    this.delete(ctx.key);
    this.byKey.set(ctx.key, ctx);
    const rid = toHex(ctx.recipientId);
    let set = this.byRecipient.get(rid);
    if (!set) this.byRecipient.set(rid, (set = new Set()));
    set.add(ctx.key);
    while (this.byKey.size > this.config.maxContexts) {
      const oldest = this.byKey.values().next().value as SecurityContext;
      this.delete(oldest.key);
      this.evictions++;
      this.config.onEvict?.(oldest);
    }
    return this;
  }

  /** The context under `key` (see SecurityContext.key), marking it recently used. */
  get(key: string): SecurityContext | undefined {
    const ctx = this.byKey.get(key);
    if (ctx) {
      this.byKey.delete(key);
      this.byKey.set(key, ctx);
    }
    return ctx;
  }

  /** Without touching the LRU order. */
  peek(key: string): SecurityContext | undefined {
    return this.byKey.get(key);
  }

  delete(key: string): boolean {
    const ctx = this.byKey.get(key);
    if (!ctx) return false;
    this.byKey.delete(key);
    const rid = toHex(ctx.recipientId);
    const set = this.byRecipient.get(rid);
    set?.delete(key);
    if (set && set.size === 0) this.byRecipient.delete(rid);
    return true;
  }

  /** Contexts to try for a request's kid and kid context, best match first. */
  find(kid: Kid, kidContext?: IdContext): SecurityContext[] {
    if (kidContext !== undefined) {
      const ctx = this.get(contextKey(kidContext, kid));
      return ctx ? [ctx] : [];
    }
    const out: SecurityContext[] = [];
    const exact = this.get(contextKey(undefined, kid));
    if (exact) out.push(exact);
    for (const key of this.byRecipient.get(toHex(kid)) ?? []) {
      if (out.length >= this.config.maxCandidates) break;
      const ctx = this.byKey.get(key);
      if (ctx && ctx !== exact) out.push(ctx);
    }
    return out;
  }
}
